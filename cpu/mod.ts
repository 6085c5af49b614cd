/**
 * The x86-64 execution engine: the {@link Cpu} class (run loop, state,
 * the Vcpu view for plugins), its CPU model and snapshots.
 *
 * @module
 */
export { Cpu } from "./cpu.ts";
export type { CpuMode, CpuOptions, CpuSnapshot, CpuStop } from "./cpu.ts";
export { cpuidLeaf, defaultModel, FEATURES, hasFeature } from "./model.ts";
export {
  type CpuSpecResult,
  modelFromSpec,
  NAMED_MODELS,
  type NamedModel,
  parseCpuSpec,
} from "./cpu_spec.ts";
export type { CpuidRegs, CpuModel } from "./model.ts";
export { ABANDON, Abandon, CpuFault, Vec } from "./fault.ts";
export type { PhysMem } from "./memory.ts";
export { CPU_SNAPSHOT_VERSION } from "./snapshot.ts";
export type { FeatureLoc } from "./model.ts";
export type { CodePageCache, Handler, Insn } from "./icache.ts";
export type { Alu, VendorFlags, VendorFlagsName } from "./alu/mod.ts";
export { vendorFlagsOf } from "./alu/mod.ts";
export type { PagingContext, WalkResult } from "../mm/paging_types.ts";
export type * from "../core/vcpu.ts";
export type * from "../core/vmexit.ts";
export type { DecodedInsn } from "./decode/mod.ts";
export type { MachineCheckState } from "./msr_mce.ts";
export type { AmdPerfState } from "./msr_perf_amd.ts";
export type { PmuSnapshot, PmuState } from "./pmu.ts";
export type { LbrState } from "./msr_lbr.ts";
export type { DebugHook } from "./debug_hook.ts";
export * from "./fpu/state.ts";
export { JitEngine } from "./jit/mod.ts";
export type { JitBlock, JitStats } from "./jit/mod.ts";

/** Core contracts (types) this module's API is written against. */
export type * from "../core/mod.ts";

export type * from "../mm/mod.ts";
