/**
 * VMX non-root operation: the hook that decides, for each L2 event,
 * whether L1 gets a VM exit or nestvm handles it; I/O and MSR bitmaps,
 * CR shadowing, instruction information.
 *
 * @module
 */

export * from "./bitmaps.ts";
export * from "./cr.ts";
export * from "./exit_decision.ts";
export * from "./instr_info.ts";
export * from "./session.ts";
