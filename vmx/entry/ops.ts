/**
 * Part 2's operations for the VMX plugin ({@link NestedOps}): VM entry,
 * VMX instructions in non-root operation, INVEPT/INVVPID, and the
 * statistics service. Created once per plugin instance by `plugin.ts`.
 *
 * @module
 */

import type { ExitDisposition, VmxInstructionExit } from "../../core/vmexit.ts";
import type { NestedOps, VmxContext } from "../context.ts";
import { invept, invvpid } from "../ept/invalidate.ts";
import { enterL2Context } from "./tlb_context.ts";
import { onL2Exit } from "../nonroot/exit_decision.ts";
import { Nested } from "../nonroot/session.ts";
import { VMX_STATS, VmxStats } from "../stats.ts";
import { rearmPreemptionTimer, vmentry } from "./vmentry.ts";
import { PROC, PROC2 } from "../controls.ts";
import { startEpt } from "../ept/nested_ept.ts";
import { type ApicvSnapshot, restoreApicv, saveApicv } from "../apicv/hooks.ts";

/** Create the nested session of a VMX context (no service registration). */
export function createNested(vmx: VmxContext, stats: VmxStats = new VmxStats()): Nested {
  return new Nested(
    vmx.vcpu,
    vmx.memory,
    vmx.plugin?.clock ?? null,
    vmx.state,
    vmx.features,
    stats,
  );
}

/**
 * Build part 2 for the plugin: registers the {@link VMX_STATS} service and
 * the plugin's interceptor on the exit bus, the one route by which L2's
 * exits reach VMX (and by which L1's exits are counted).
 */
export function createNestedOps(vmx: VmxContext): NestedOps {
  const ctx = vmx.plugin;
  const stats = ctx?.services?.find(VMX_STATS) ?? new VmxStats();
  if (ctx?.services !== undefined && ctx.services.find(VMX_STATS) === undefined) {
    ctx.services.provide(VMX_STATS, stats);
  }
  const n = createNested(vmx, stats);
  if (ctx !== undefined) {
    // L2's accesses to an APIC-access page reach nestvm through a window page of this vCPU.
    n.apicv.mmio = ctx.mmio ?? null;
    n.apicv.index = Math.max(0, ctx.vcpus?.indexOf(vmx.vcpu) ?? 0);
    n.onAbort = (indicator, vmcsPointer) => ctx.stop({ kind: "vmx-abort", indicator, vmcsPointer });
    // Every exit the CPU raises in non-root operation reaches the L2 exit
    // decision here, after the observers and before any owner; L1's exits
    // are only counted.
    ctx.exits?.intercept(
      (exit) => {
        if (exit.level === 2) return vmx.vcpu.nonRoot ? onL2Exit(n, exit) : "pass";
        if (!vmx.vcpu.nonRoot) {
          stats.countL1(exit);
          // INIT is blocked in VMX root operation: it stays latched (SDM Vol. 3C 24.8).
          if (exit.kind === "init-signal" && vmx.state.vmxon) return "handled";
        }
        return "pass";
      },
      undefined,
      "nested-vmx",
    );
  }
  const ops: NestedOps = {
    vmentry(_exit: VmxInstructionExit, launch: boolean): ExitDisposition {
      return vmentry(n, launch);
    },
    nonRootInstruction(exit: VmxInstructionExit): ExitDisposition {
      return onL2Exit(n, exit);
    },
    invept(exit: VmxInstructionExit): ExitDisposition {
      return invept(n, exit);
    },
    invvpid(exit: VmxInstructionExit): ExitDisposition {
      return invvpid(n, exit);
    },
    onVmxoff(): void {
      if (n.timer !== null) n.timer.cancel();
      n.timer = null;
    },
    reset(): void {
      if (n.timer !== null) n.timer.cancel();
      n.timer = null;
      n.inL2 = false;
      vmx.vcpu.nonRoot = false;
      vmx.vcpu.guestPhysical = null;
      vmx.vcpu.nonRootTscOffset = 0;
      vmx.vcpu.nonRootTscMultiplier = null;
    },
    saveState(): unknown {
      // L2's registers live in the vCPU and vmcs12 in guest RAM (part 1
      // writes its cache back first); what is only here is the bookkeeping
      // of the current L2 run.
      const multiplier = vmx.vcpu.nonRootTscMultiplier;
      const data: NestedSnapshot = {
        inL2: n.inL2,
        l2TscDelta: vmx.vcpu.nonRootTscOffset,
        tscOffsetApart: true,
        l2TscMultiplier: multiplier === null ? null : multiplier.toString(),
        timerLeft: n.timer !== null && n.clock !== null
          ? Math.max(0, n.timerDeadline - n.clock.now)
          : -1,
        debugctlLoaded: n.debugctlLoaded,
        apicv: saveApicv(n),
      };
      return data;
    },
    loadState(data: unknown): void {
      restoreNested(n, vmx, data);
    },
    dispose(): void {
      if (n.timer !== null) n.timer.cancel();
      n.timer = null;
    },
  };
  OPS_SESSIONS.set(ops, n);
  return ops;
}

/** Part 2's snapshot data. */
export interface NestedSnapshot {
  /** L2 was running (VMX non-root operation). */
  readonly inL2: boolean;
  /** vmcs12's TSC offset applied while L2 runs. */
  readonly l2TscDelta: number;
  /**
   * The CPU's saved TSC offset is the processor's, without
   * {@link l2TscDelta}. Absent in older snapshots, whose CPU state had
   * L2's offset folded in while L2 ran.
   */
  readonly tscOffsetApart?: boolean;
  /** vmcs12's TSC multiplier applied while L2 runs (decimal), null without TSC scaling. */
  readonly l2TscMultiplier?: string | null;
  /** Virtual ns left on the preemption timer, or -1 when not armed. */
  readonly timerLeft: number;
  /** VM entry loaded IA32_DEBUGCTL. */
  readonly debugctlLoaded: boolean;
  /** APIC virtualization between two boundaries (absent in older snapshots). */
  readonly apicv?: ApicvSnapshot;
}

function num(v: unknown, dflt: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : dflt;
}

/** Restore the L2 bookkeeping saved by saveState (malformed data: stays in root operation). */
function restoreNested(n: Nested, vmx: VmxContext, data: unknown): void {
  const d = data as Partial<NestedSnapshot> | null;
  if (n.timer !== null) n.timer.cancel();
  n.timer = null;
  n.inL2 = false;
  vmx.vcpu.nonRootTscOffset = 0;
  vmx.vcpu.nonRootTscMultiplier = null;
  if (d === null || typeof d !== "object" || d.inL2 !== true || vmx.state.current === null) return;
  const vmcs = vmx.state.current.vmcs;
  n.vmcs = vmcs;
  n.d = vmcs.view;
  n.inL2 = true;
  const offset = num(d.l2TscDelta, 0);
  // The CPU's state was restored first: take an older snapshot's L2
  // offset out of the processor's TSC.
  if (d.tscOffsetApart !== true) vmx.vcpu.tscOffset -= offset;
  vmx.vcpu.nonRootTscOffset = offset;
  vmx.vcpu.nonRootTscMultiplier =
    typeof d.l2TscMultiplier === "string" && /^\d+$/.test(d.l2TscMultiplier)
      ? BigInt.asUintN(64, BigInt(d.l2TscMultiplier))
      : null;
  n.debugctlLoaded = d.debugctlLoaded === true;
  n.injectedPending = false;
  const proc = vmcs.procControls;
  const proc2 = vmcs.procControls2;
  n.ept = (proc & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0 && (proc2 & PROC2.ENABLE_EPT) !== 0
    ? startEpt(n)
    : null;
  vmx.vcpu.nonRoot = true;
  vmx.vcpu.guestPhysical = n.ept;
  restoreApicv(n, d.apicv);
  // L2's translations were not saved: its context starts empty.
  enterL2Context(n, true);
  const left = num(d.timerLeft, -1);
  if (left >= 0) rearmPreemptionTimer(n, left);
}

const OPS_SESSIONS = new WeakMap<NestedOps, Nested>();

/** The session behind operations built by {@link createNestedOps} (tests, benchmarks, API). */
export function nestedOfOps(ops: NestedOps): Nested | undefined {
  return OPS_SESSIONS.get(ops);
}
