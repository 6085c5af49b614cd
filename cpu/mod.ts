/**
 * The x86-64 execution engine: the {@link Cpu} class (run loop, state,
 * the Vcpu view for plugins), its CPU model and snapshots.
 *
 * @module
 */
export { Cpu } from "./cpu.ts";
export type { CpuMode, CpuOptions, CpuSnapshot, CpuStop } from "./cpu.ts";
export { cpuidLeaf, defaultModel, FEATURES, hasFeature, modelFromSpec } from "./model.ts";
export type { CpuidRegs, CpuModel } from "./model.ts";
export { ABANDON, Abandon, CpuFault, Vec } from "./fault.ts";
export type { PhysMem } from "./memory.ts";
export { CPU_SNAPSHOT_VERSION } from "./snapshot.ts";
