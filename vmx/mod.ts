/**
 * Nested VMX for nestvm: the plugin that lets a guest (L1) use Intel VMX to
 * run its own guests (L2). vmcs12 layout and accessors, capability MSRs,
 * the VMX instructions, and the per-vCPU nested state.
 *
 * @module
 */

export * from "./context.ts";
export * from "./controls.ts";
export * from "./features.ts";
export * from "./fallback.ts";
export * from "./instructions/mod.ts";
export * from "./msrs.ts";
export * from "./plugin.ts";
export * from "./state.ts";
export * from "./vmcs12/mod.ts";
