/**
 * The x86 instruction decoder: {@link decode} fills a reusable
 * {@link DecodedInsn} with the operation id, prefixes, ModRM/SIB operands
 * and immediates of one instruction in 16-, 32- or 64-bit mode.
 *
 * @module
 */
export { decode, decodeBytes } from "./decode.ts";
export { BYTE_REG_HIGH, DecodedInsn, Op, OpMap, Rep } from "./types.ts";
export type { CodeFetch, DecodeMode } from "./types.ts";
export { describe, mnemonic, OP_NAMES } from "./describe.ts";
