/**
 * Bit operations (BT BTS BTR BTC BSF BSR TZCNT LZCNT POPCNT BSWAP) for
 * {@link Alu}. SDM Vol. 2A "BT", "BTS", "BTR", "BTC", "BSF", "BSR",
 * "BSWAP", Vol. 2B "LZCNT", "POPCNT", "TZCNT".
 *
 * Flags the SDM leaves undefined, as the recording CPU (AMD family 19h) sets
 * them (verified by tests/alu_vectors_test.ts), and where the ALU's vendor
 * profile (vendor_flags.ts) says otherwise:
 * - BT/BTS/BTR/BTC: only CF changes (OF, SF, AF, PF and ZF unchanged), in
 *   every profile.
 * - BSF/BSR: CF = OF = SF = AF = 0; PF from the result index (see below).
 *   Intel family 6 changes only ZF.
 * - TZCNT/LZCNT: PF = SF = AF = 0, OF unchanged (every profile: no Intel
 *   data).
 * - BSWAP with a 16-bit operand: the low 16 bits become 0 (every profile).
 *
 * @module
 */
import type { Alu } from "./alu.ts";
import { CF, OF, PARITY, ZF } from "./flags.ts";

/** BT: CF = the selected bit; nothing else changes. */
export function bt(alu: Alu, size: number, aLo: number, aHi: number, bit: number): void {
  const i = bit & (size * 8 - 1);
  const b = i < 32 ? (aLo >>> i) & 1 : (aHi >>> (i - 32)) & 1;
  alu.overlayFlags(CF, b);
}

/** BTS (op 1), BTR (op 2), BTC (op 3): CF = old bit, returns the modified value (hi in alu.hi). */
export function btx(
  alu: Alu,
  size: number,
  aLo: number,
  aHi: number,
  bit: number,
  op: number,
): number {
  const i = bit & (size * 8 - 1);
  let lo = aLo;
  let hi = aHi;
  let b: number;
  if (i < 32) {
    const m = 1 << i;
    b = (lo >>> i) & 1;
    lo = (op === 1 ? lo | m : op === 2 ? lo & ~m : lo ^ m) >>> 0;
  } else {
    const m = 1 << (i - 32);
    b = (hi >>> (i - 32)) & 1;
    hi = (op === 1 ? hi | m : op === 2 ? hi & ~m : hi ^ m) >>> 0;
  }
  alu.overlayFlags(CF, b);
  alu.hi = hi;
  return lo;
}

/** Count trailing zeros of a 32-bit value (32 if zero). */
function ctz32(x: number): number {
  return x === 0 ? 32 : 31 - Math.clz32(x & -x);
}

/**
 * Flags of BSF/BSR with result index `r` (-1: zero source): ZF = (r < 0);
 * the others 0 with PF of the index (of 0 for a zero source), or unchanged
 * when the vendor profile keeps them (Intel family 6).
 */
function scanFlags(alu: Alu, r: number): void {
  const zf = r < 0 ? ZF : 0;
  if (alu.vendor.bitScan === "keep") alu.setFlags((alu.getFlags() & ~ZF) | zf);
  else alu.setFlags(zf | PARITY[r < 0 ? 0 : r]);
}

/** BSF: index of the lowest set bit, or -1 (ZF=1, destination unchanged) if zero. */
export function bsf(alu: Alu, size: number, aLo: number, aHi: number): number {
  const hi = size === 8 ? aHi : 0;
  if ((aLo | hi) === 0) {
    scanFlags(alu, -1);
    return -1;
  }
  const r = aLo !== 0 ? ctz32(aLo) : 32 + ctz32(hi);
  scanFlags(alu, r);
  alu.hi = 0;
  return r;
}

/** BSR: index of the highest set bit, or -1 (ZF=1, destination unchanged) if zero. */
export function bsr(alu: Alu, size: number, aLo: number, aHi: number): number {
  const hi = size === 8 ? aHi : 0;
  if ((aLo | hi) === 0) {
    scanFlags(alu, -1);
    return -1;
  }
  const r = hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(aLo);
  scanFlags(alu, r);
  alu.hi = 0;
  return r;
}

/** TZCNT: trailing zeros (operand width if zero). CF = src==0, ZF = result==0. */
export function tzcnt(alu: Alu, size: number, aLo: number, aHi: number): number {
  const bits = size * 8;
  let r: number;
  if (size === 8) r = aLo !== 0 ? ctz32(aLo) : 32 + ctz32(aHi);
  else r = aLo === 0 ? bits : ctz32(aLo);
  const keep = alu.getFlags() & OF;
  alu.setFlags(keep | (r === bits ? CF : 0) | (r === 0 ? ZF : 0));
  alu.hi = 0;
  return r;
}

/** LZCNT: leading zeros (operand width if zero). CF = src==0, ZF = result==0. */
export function lzcnt(alu: Alu, size: number, aLo: number, aHi: number): number {
  const bits = size * 8;
  let r: number;
  if (size === 8) r = aHi !== 0 ? Math.clz32(aHi) : 32 + Math.clz32(aLo);
  else r = Math.clz32(aLo) - (32 - bits);
  const keep = alu.getFlags() & OF;
  alu.setFlags(keep | (r === bits ? CF : 0) | (r === 0 ? ZF : 0));
  alu.hi = 0;
  return r;
}

/** Population count of a 32-bit value. */
function pop32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** POPCNT: set bits; ZF = src==0, all other arithmetic flags 0. */
export function popcnt(alu: Alu, size: number, aLo: number, aHi: number): number {
  const r = pop32(aLo) + (size === 8 ? pop32(aHi) : 0);
  alu.setFlags(r === 0 ? ZF : 0);
  alu.hi = 0;
  return r;
}

/** BSWAP: byte-reverse a 32- or 64-bit value; 16-bit operand gives 0. Flags unchanged. */
export function bswap(alu: Alu, size: number, aLo: number, aHi: number): number {
  if (size === 8) {
    alu.hi = swap32(aLo);
    return swap32(aHi);
  }
  if (size === 4) return swap32(aLo);
  return 0;
}

function swap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}
