/**
 * Nested EPT (through mm/'s EPT walker) and INVEPT/INVVPID.
 *
 * @module
 */

export * from "./invalidate.ts";
export * from "./nested_ept.ts";
