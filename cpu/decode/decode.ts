/**
 * The x86 instruction decoder (stub; implementation follows).
 *
 * @module
 */
import { type CodeFetch, DecodedInsn, type DecodeMode, Op } from "./types.ts";

/**
 * Decode one instruction whose bytes come from `fetch`, for the given mode,
 * into `out` (every field is overwritten). Returns `out.len`.
 */
export function decode(fetch: CodeFetch, mode: DecodeMode, out: DecodedInsn): number {
  void fetch;
  out.mode = mode;
  out.op = Op.INVALID;
  out.len = 1;
  return 1;
}

/**
 * Decode one instruction from `bytes` at `pos`. Bytes beyond the end of
 * `bytes` come from `more(offset)` (offset from the instruction start) if
 * given, else the result is {@link Op.TRUNCATED}. Returns `out.len`.
 */
export function decodeBytes(
  bytes: Uint8Array,
  pos: number,
  mode: DecodeMode,
  out: DecodedInsn,
  more?: CodeFetch,
): number {
  void bytes, pos, more;
  return decode(() => 0, mode, out);
}
