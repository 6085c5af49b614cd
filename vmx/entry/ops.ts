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
import { createHooks, onL2Exit } from "../nonroot/hook.ts";
import { Nested } from "../nonroot/session.ts";
import { VMX_STATS, VmxStats } from "../stats.ts";
import type { VcpuX } from "./cpu_extras.ts";
import { vmentry } from "./vmentry.ts";

/** Create the nested session of a VMX context (hooks installed, no service registration). */
export function createNested(vmx: VmxContext, stats: VmxStats = new VmxStats()): Nested {
  const n = new Nested(
    vmx.vcpu as VcpuX,
    vmx.memory,
    vmx.plugin?.clock ?? null,
    vmx.state,
    vmx.features,
    stats,
  );
  const hooks = createHooks(n);
  n.hook = hooks.plain;
  n.hookEpt = hooks.ept;
  return n;
}

/**
 * Build part 2 for the plugin: registers the {@link VMX_STATS} service and
 * a level-1 interceptor that counts L1->L0 exits.
 */
export function createNestedOps(vmx: VmxContext): NestedOps {
  const ctx = vmx.plugin;
  const stats = ctx?.services?.find(VMX_STATS) ?? new VmxStats();
  if (ctx?.services !== undefined && ctx.services.find(VMX_STATS) === undefined) {
    ctx.services.provide(VMX_STATS, stats);
  }
  const n = createNested(vmx, stats);
  if (ctx !== undefined) {
    n.onShutdown = () => ctx.stop({ kind: "shutdown" });
    // L2 events that the CPU hands to the exit bus (CPUID, I/O, MSRs, VMX
    // instructions, ...) reach the non-root hook first; L1's exits are
    // only counted.
    ctx.exits?.intercept((exit) => {
      if (exit.level === 2) return vmx.vcpu.nonRoot ? onL2Exit(n, exit) : "pass";
      if (!vmx.vcpu.nonRoot) stats.countL1(exit);
      return "pass";
    });
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
      vmx.vcpu.nonRootHook = null;
    },
    saveState(): unknown {
      // L2 state lives in the vCPU and vmcs12 (guest RAM); record whether L2 runs.
      return { inL2: n.inL2 };
    },
    loadState(data: unknown): void {
      const d = data as { inL2?: unknown } | null;
      if (d !== null && typeof d === "object" && d.inL2 === true && vmx.state.current !== null) {
        n.vmcs = vmx.state.current.vmcs;
        n.d = n.vmcs.view;
        n.inL2 = true;
        vmx.vcpu.nonRoot = true;
        vmx.vcpu.nonRootHook = n.hook;
      }
    },
    dispose(): void {
      if (n.timer !== null) n.timer.cancel();
      n.timer = null;
    },
  };
  OPS_SESSIONS.set(ops, n);
  return ops;
}

const OPS_SESSIONS = new WeakMap<NestedOps, Nested>();

/** The session behind operations built by {@link createNestedOps} (tests, benchmarks, API). */
export function nestedOfOps(ops: NestedOps): Nested | undefined {
  return OPS_SESSIONS.get(ops);
}
