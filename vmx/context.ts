/**
 * The runtime context shared by both halves of the VMX plugin: part 1
 * (VMX operation, vmcs12 management: `instructions/`, `msrs.ts`, `state.ts`)
 * and part 2 (VM entry/exit and non-root execution: `entry/`, `exit/`,
 * `nonroot/`, `ept/`), and the interface through which part 1 hands work to
 * part 2.
 *
 * Contract with part 2: export a {@link NestedOpsFactory} named
 * `createNestedOps` from `vmx/entry/mod.ts`; `plugin.ts` calls it once in
 * `setup()` with the shared {@link VmxContext}. Part 1 performs the checks
 * common to all VMX instructions (#UD for mode / not in VMX operation, VM
 * exit when in non-root operation, #GP for CPL > 0) before calling
 * `vmentry`, `invept` or `invvpid`.
 *
 * @module
 */

import type { Vcpu } from "../core/vcpu.ts";
import type { ExitDisposition, VmxInstructionExit } from "../core/vmexit.ts";
import type { PluginContext } from "../core/plugin.ts";
import type { GuestMemory } from "../mm/types.ts";
import type { VmxFeatures } from "./features.ts";
import type { VmxState } from "./state.ts";

/** What part 2 (VM entry/exit) provides to the plugin. */
export interface NestedOps {
  /**
   * VMLAUNCH (`launch` true) or VMRESUME in VMX root operation at CPL 0
   * (common checks done). From "current-VMCS pointer is not valid" on, the
   * SDM's checks are part 2's. Returns "handled" for a VMfail, "reflected"
   * once L2 runs (the instruction must not be retired).
   */
  vmentry(exit: VmxInstructionExit, launch: boolean): ExitDisposition;
  /**
   * Any VMX instruction (including VMXON, VMCALL, VMFUNC) executed in VMX
   * non-root operation: perform the VM exit to L1 (or VMFUNC's own
   * behaviour). Usually "reflected".
   */
  nonRootInstruction(exit: VmxInstructionExit): ExitDisposition;
  /** INVEPT in VMX root operation at CPL 0 (common checks done). */
  invept(exit: VmxInstructionExit): ExitDisposition;
  /** INVVPID in VMX root operation at CPL 0 (common checks done). */
  invvpid(exit: VmxInstructionExit): ExitDisposition;
  /**
   * The VMCS at `ptr` was cleared or stopped being current (VMCLEAR,
   * VMPTRLD of another, VMXOFF): drop anything cached about it.
   */
  onVmcsReleased?(ptr: number): void;
  /** VMXOFF executed (or VMX operation ended by reset/teardown). */
  onVmxoff?(): void;
  /** Power-on reset. */
  reset?(): void;
  /** Part 2's snapshot data (JSON-compatible). */
  saveState?(): unknown;
  /** Restore part 2's snapshot data (after part 1 restored its own). */
  loadState?(data: unknown): void;
  /** Release everything part 2 holds (pins, timers). */
  dispose?(): void;
}

/** Builds part 2's operations for one plugin instance. */
export type NestedOpsFactory = (vmx: VmxContext) => NestedOps;

/** Everything the VMX code needs at run time. */
export interface VmxContext {
  /** The plugin context (exits, memory, clock, services, log). */
  readonly plugin: PluginContext;
  /** The vCPU. */
  readonly vcpu: Vcpu;
  /** Guest-physical memory. */
  readonly memory: GuestMemory;
  /** Nested-VMX state of the vCPU. */
  readonly state: VmxState;
  /** Advertised feature set. */
  readonly features: VmxFeatures;
  /** Physical-address width in bits (CPUID 0x80000008 EAX[7:0]). */
  readonly physBits: number;
  /** IA32_FEATURE_CONTROL. */
  featureControl: number;
  /** Part 2's operations. */
  nested: NestedOps;
}
