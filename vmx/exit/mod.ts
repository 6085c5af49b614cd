/**
 * VM exits to L1: exit reasons and information fields, saving L2's guest
 * state, loading L1's host state, MSR lists, VM-entry failure exits and
 * VMX aborts.
 *
 * @module
 */

export * from "./exit_info.ts";
export * from "./load_host.ts";
export * from "./reasons.ts";
export * from "./save_guest.ts";
export * from "./vmexit.ts";
