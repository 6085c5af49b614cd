/**
 * vmcs12: the VMCS that L1 keeps for L2, in L1's memory. Field encodings,
 * the packed layout with its revision id, and field accessors.
 *
 * @module
 */

export * from "./fields.ts";
export * from "./layout.ts";
export * from "./vmcs12.ts";
