/**
 * Per-vCPU plugin contexts. A plugin whose state is per vCPU (a local
 * APIC, nested VMX) sets up one instance of that state for each vCPU with
 * {@link vcpuScope}: the scoped context's `vcpu` is vCPU `index`, and the
 * exit handlers, interceptors and observers registered through it see only
 * the exits that vCPU raises (the machine's {@link PluginContext.currentVcpu}
 * says which one raised an exit). Everything else (ports, MMIO, IRQs,
 * clock, memory, services) is the machine's and shared.
 *
 * On a one-vCPU machine the scope of vCPU 0 is the context itself, so a
 * uniprocessor machine dispatches exactly as before (no wrapper call).
 *
 * @example
 * ```ts ignore
 * setup(ctx) {
 *   for (let i = 0; i < ctx.vcpus.length; i++) {
 *     const mine = vcpuScope(ctx, i);
 *     mine.exits.on("rdmsr", (exit) => readMsrOf(mine.vcpu, exit));
 *   }
 * }
 * ```
 *
 * @module
 */

import type { ExitHandler, PluginContext } from "./plugin.ts";
import type { VmExit } from "./vmexit.ts";

/**
 * The context of vCPU `index`: `vcpu` is that vCPU, and exit registrations
 * only fire for exits it raises. Throws a RangeError for an index that is
 * not a vCPU of the machine.
 */
export function vcpuScope(ctx: PluginContext, index: number): PluginContext {
  if (!Number.isInteger(index) || index < 0 || index >= ctx.vcpus.length) {
    throw new RangeError(`vCPU ${index} does not exist (0..${ctx.vcpus.length - 1})`);
  }
  if (ctx.vcpus.length === 1) return ctx;
  const mine = (): boolean => ctx.currentVcpu() === index;
  return {
    ...ctx,
    vcpu: ctx.vcpus[index],
    exits: {
      on: (kind, handler) =>
        ctx.exits.on(kind, ((exit: VmExit) => mine() ? handler(exit as never) : "pass") as never),
      intercept: (handler: ExitHandler, levels, order) =>
        ctx.exits.intercept((exit) => mine() ? handler(exit) : "pass", levels, order),
      observe: (observer) =>
        ctx.exits.observe((exit) => {
          if (mine()) observer(exit);
        }),
      watchExceptions: (vectors) => ctx.exits.watchExceptions(vectors),
    },
  };
}
