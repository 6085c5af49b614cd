/**
 * Nested VMX for nestvm: the plugin that lets a guest (L1) use Intel VMX to
 * run its own guests (L2).
 *
 * - Part 1 (VMX operation and VMCS management): the vmcs12 field table,
 *   layout and accessors (`vmcs12/`), the capability MSRs (`msrs.ts`) built
 *   from the advertised feature set (`features.ts`, `controls.ts`), the VMX
 *   instructions VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE
 *   (`instructions/`), the per-vCPU nested state (`state.ts`) and the plugin
 *   factory {@link createVmxPlugin}.
 * - Part 2 (VM entry/exit, non-root execution, nested EPT with
 *   accessed/dirty flags, PML and mode-based execute control, EPT-violation
 *   #VE in `ept/virtualization_exception.ts`, VMFUNC's EPTP switching in
 *   `nonroot/vmfunc.ts`, APIC virtualization in `apicv/`:
 *   TPR shadow, APIC-access page, APIC-register virtualization, virtualized
 *   x2APIC mode, virtual-interrupt delivery, posted interrupts) plugs in
 *   through {@link NestedOps} (`context.ts`); its statistics service is
 *   {@link VMX_STATS}.
 *
 * @module
 */

export * from "./context.ts";
export * from "./controls.ts";
export * from "./features.ts";
export * from "./fallback.ts";
export * from "./instructions/mod.ts";
export * from "./msrs.ts";
export * from "./operation.ts";
export * from "./plugin.ts";
export * from "./state.ts";
export * from "./vmcs12/mod.ts";
export * from "./stats.ts";
export { createNestedOps } from "./entry/ops.ts";

/** Core contracts (types) this module's API is written against. */
export type * from "../core/mod.ts";
