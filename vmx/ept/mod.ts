/**
 * Nested EPT (through mm/'s EPT walker), EPT-violation #VE, and INVEPT/INVVPID.
 *
 * @module
 */

export * from "./invalidate.ts";
export * from "./nested_ept.ts";
export * from "./virtualization_exception.ts";
