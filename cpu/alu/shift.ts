/**
 * Shifts and rotates (SHL SHR SAR ROL ROR RCL RCR SHLD SHRD) for
 * {@link Alu}. SDM Vol. 2B "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR",
 * Vol. 2B "SHLD", "SHRD".
 *
 * Count rules: the count is masked to 5 bits (6 for 64-bit operands); a
 * masked count of 0 changes nothing (flags included). RCL/RCR then take the
 * count mod 9 (8-bit) or mod 17 (16-bit).
 *
 * Flags the SDM leaves undefined follow the ALU's vendor profile
 * (vendor_flags.ts, which cites the sources). On the recording CPU (AMD
 * family 19h), verified by tests/alu_vectors_test.ts:
 * - SHL/SHR/SAR/SHLD/SHRD with a nonzero count set AF = 1 (Intel family 6
 *   keeps AF, family 15 clears it: {@link Alu.shiftFlags}).
 * - OF for counts > 1 follows the count-1 formula of each instruction,
 *   applied to the final result (documented per function); Intel family 6
 *   keeps OF instead, for the rotates ROL/ROR too.
 * - RCL/RCR and SHL/SHR of a byte or word by more than its width: as
 *   recorded in every profile (no Intel data; vendor_flags.ts FALLBACK).
 *
 * @module
 */
import type { Alu } from "./alu.ts";
import { CF, MASK, OF } from "./flags.ts";

/** Bit `i` (0..63) of the 64-bit value hi:lo. */
function bit64(lo: number, hi: number, i: number): number {
  return i < 32 ? (lo >>> i) & 1 : (hi >>> (i - 32)) & 1;
}

/** hi:lo << n (0 < n < 64): low half returned, high half in alu.hi. */
function shl64(alu: Alu, lo: number, hi: number, n: number): number {
  if (n < 32) {
    alu.hi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    return (lo << n) >>> 0;
  }
  alu.hi = (lo << (n - 32)) >>> 0;
  return 0;
}

/** hi:lo >>> n (0 < n < 64), logical. */
function shr64(alu: Alu, lo: number, hi: number, n: number): number {
  if (n < 32) {
    alu.hi = hi >>> n;
    return ((lo >>> n) | (hi << (32 - n))) >>> 0;
  }
  alu.hi = 0;
  return hi >>> (n - 32);
}

/** hi:lo >> n (0 < n < 64), arithmetic. */
function sar64(alu: Alu, lo: number, hi: number, n: number): number {
  if (n < 32) {
    alu.hi = (hi >> n) >>> 0;
    return ((lo >>> n) | (hi << (32 - n))) >>> 0;
  }
  alu.hi = (hi >> 31) >>> 0;
  return (hi >> (n - 32)) >>> 0;
}

/** Sign bit of a size-wide value (hi for 64-bit). */
function msb(size: number, lo: number, hi: number): number {
  return size === 8 ? hi >>> 31 : (lo >>> (size * 8 - 1)) & 1;
}

/** SHL/SAL. CF = last bit out; OF = MSB(result) XOR CF (for every count on the recording CPU). */
export function shl(alu: Alu, size: number, aLo: number, aHi: number, count: number): number {
  const n = count & (size === 8 ? 63 : 31);
  if (n === 0) {
    alu.hi = aHi;
    return aLo;
  }
  let r: number;
  let rh = 0;
  let cf: number;
  if (size === 8) {
    cf = bit64(aLo, aHi, 64 - n);
    r = shl64(alu, aLo, aHi, n);
    rh = alu.hi;
  } else {
    const bits = size * 8;
    cf = n <= bits ? (aLo >>> (bits - n)) & 1 : 0;
    r = (n < bits ? aLo << n : 0) & MASK[size];
    r >>>= 0;
  }
  const of = (msb(size, r, rh) ^ cf) !== 0 ? OF : 0;
  alu.setResult(size, r, rh, alu.shiftFlags(cf, of, n));
  return r;
}

/** SHR. CF = last bit out; OF = MSB of the original operand (count 1). */
export function shr(alu: Alu, size: number, aLo: number, aHi: number, count: number): number {
  const n = count & (size === 8 ? 63 : 31);
  if (n === 0) {
    alu.hi = aHi;
    return aLo;
  }
  let r: number;
  let rh = 0;
  let cf: number;
  if (size === 8) {
    cf = bit64(aLo, aHi, n - 1);
    r = shr64(alu, aLo, aHi, n);
    rh = alu.hi;
  } else {
    cf = (aLo >>> (n - 1)) & 1;
    r = aLo >>> n;
  }
  const of = msb(size, aLo, aHi) !== 0 && n === 1 ? OF : 0;
  alu.setResult(size, r, rh, alu.shiftFlags(cf, of, n));
  return r;
}

/** SAR. CF = last bit out (sign bits beyond the width); OF = 0. */
export function sar(alu: Alu, size: number, aLo: number, aHi: number, count: number): number {
  const n = count & (size === 8 ? 63 : 31);
  if (n === 0) {
    alu.hi = aHi;
    return aLo;
  }
  let r: number;
  let rh = 0;
  let cf: number;
  if (size === 8) {
    cf = bit64(aLo, aHi, n - 1);
    r = sar64(alu, aLo, aHi, n);
    rh = alu.hi;
  } else {
    const sh = 32 - size * 8;
    const s = (aLo << sh) >> sh; // sign-extended to 32 bits
    cf = (s >> (n - 1)) & 1;
    r = ((s >> n) & MASK[size]) >>> 0;
  }
  alu.setResult(size, r, rh, alu.shiftFlags(cf, 0, n));
  return r;
}

/**
 * Replace CF and OF only, keeping the other flags (rotates); with a masked
 * count `n` above 1 a profile may keep OF as well.
 */
function setCfOf(alu: Alu, cf: number, of: number, n: number): void {
  if (n > 1 && alu.keepMultiOf !== 0) alu.overlayFlags(CF, cf);
  else alu.overlayFlags(CF | OF, cf | (of !== 0 ? OF : 0));
}

/** ROL. CF = LSB(result); OF = MSB(result) XOR CF. */
export function rol(alu: Alu, size: number, aLo: number, aHi: number, count: number): number {
  const n = count & (size === 8 ? 63 : 31);
  if (n === 0) {
    alu.hi = aHi;
    return aLo;
  }
  let r: number;
  let rh = 0;
  if (size === 8) {
    if (n === 32) {
      r = aHi;
      rh = aLo;
    } else {
      const m = n & 31;
      const x = n < 32 ? aLo : aHi;
      const y = n < 32 ? aHi : aLo;
      rh = ((y << m) | (x >>> (32 - m))) >>> 0;
      r = ((x << m) | (y >>> (32 - m))) >>> 0;
    }
    alu.hi = rh;
  } else {
    const bits = size * 8;
    const m = n & (bits - 1);
    r = m === 0 ? aLo : (((aLo << m) | (aLo >>> (bits - m))) & MASK[size]) >>> 0;
  }
  const cf = r & 1;
  setCfOf(alu, cf, msb(size, r, rh) ^ cf, n);
  return r;
}

/** ROR. CF = MSB(result); OF = MSB(result) XOR the bit below it. */
export function ror(alu: Alu, size: number, aLo: number, aHi: number, count: number): number {
  const n = count & (size === 8 ? 63 : 31);
  if (n === 0) {
    alu.hi = aHi;
    return aLo;
  }
  let r: number;
  let rh = 0;
  let top: number;
  let next: number;
  if (size === 8) {
    if (n === 32) {
      r = aHi;
      rh = aLo;
    } else {
      const m = n & 31;
      const x = n < 32 ? aLo : aHi;
      const y = n < 32 ? aHi : aLo;
      r = ((x >>> m) | (y << (32 - m))) >>> 0;
      rh = ((y >>> m) | (x << (32 - m))) >>> 0;
    }
    alu.hi = rh;
    top = rh >>> 31;
    next = (rh >>> 30) & 1;
  } else {
    const bits = size * 8;
    const m = n & (bits - 1);
    r = m === 0 ? aLo : (((aLo >>> m) | (aLo << (bits - m))) & MASK[size]) >>> 0;
    top = (r >>> (bits - 1)) & 1;
    next = (r >>> (bits - 2)) & 1;
  }
  setCfOf(alu, top, top ^ next, n);
  return r;
}

/** RCL: rotate the (size*8+1)-bit value CF:a left. OF = MSB(result) XOR new CF. */
export function rcl(alu: Alu, size: number, aLo: number, aHi: number, count: number): number {
  let n = count & (size === 8 ? 63 : 31);
  if (size === 1) n %= 9;
  else if (size === 2) n %= 17;
  const c = alu.cf();
  if (n === 0) {
    // A masked count that is a multiple of 9/17: nothing rotates, but the
    // recording CPU still rewrites OF from the unchanged value.
    if ((count & 31) !== 0) setCfOf(alu, c, msb(size, aLo, aHi) ^ c, 1);
    alu.hi = aHi;
    return aLo;
  }
  let r: number;
  let rh = 0;
  let cf: number;
  if (size === 8) {
    // 65-bit rotate: result = a << n | c << (n-1) | a >>> (65 - n)
    cf = bit64(aLo, aHi, 64 - n);
    let lo = shl64(alu, aLo, aHi, n);
    let hi = alu.hi;
    // c at bit n-1
    if (n - 1 < 32) lo = (lo | (c << (n - 1))) >>> 0;
    else hi = (hi | (c << (n - 33))) >>> 0;
    if (n > 1) {
      const lo2 = shr64(alu, aLo, aHi, 65 - n);
      lo = (lo | lo2) >>> 0;
      hi = (hi | alu.hi) >>> 0;
    }
    r = lo;
    rh = hi;
    alu.hi = rh;
  } else {
    const bits = size * 8;
    cf = (aLo >>> (bits - n)) & 1;
    // (bits+1)-bit value c:a fits in 33 bits; build the rotated result in parts.
    let v = n < 32 ? aLo << n : 0;
    v |= c << (n - 1);
    if (n > 1) v |= aLo >>> (bits + 1 - n);
    r = (v & MASK[size]) >>> 0;
  }
  setCfOf(alu, cf, msb(size, r, rh) ^ cf, 1); // RCL/RCR: the recorded OF in every profile
  return r;
}

/** RCR: rotate the (size*8+1)-bit value a:CF right. OF = MSB(result) XOR the bit below it. */
export function rcr(alu: Alu, size: number, aLo: number, aHi: number, count: number): number {
  let n = count & (size === 8 ? 63 : 31);
  if (size === 1) n %= 9;
  else if (size === 2) n %= 17;
  const c = alu.cf();
  if (n === 0) {
    if ((count & 31) !== 0) {
      setCfOf(alu, c, msb(size, aLo, aHi) ^ ((aLo >>> (size * 8 - 2)) & 1), 1);
    }
    alu.hi = aHi;
    return aLo;
  }
  let r: number;
  let rh = 0;
  let cf: number;
  let top: number;
  let next: number;
  if (size === 8) {
    cf = bit64(aLo, aHi, n - 1);
    let lo = shr64(alu, aLo, aHi, n);
    let hi = alu.hi;
    // c at bit 64 - n
    const cb = 64 - n;
    if (cb < 32) lo = (lo | (c << cb)) >>> 0;
    else hi = (hi | (c << (cb - 32))) >>> 0;
    if (n > 1) {
      const lo2 = shl64(alu, aLo, aHi, 65 - n);
      lo = (lo | lo2) >>> 0;
      hi = (hi | alu.hi) >>> 0;
    }
    r = lo;
    rh = hi;
    alu.hi = rh;
    top = rh >>> 31;
    next = (rh >>> 30) & 1;
  } else {
    const bits = size * 8;
    cf = (aLo >>> (n - 1)) & 1;
    let v = aLo >>> n;
    v |= c << (bits - n);
    if (n > 1) v |= aLo << (bits + 1 - n);
    r = (v & MASK[size]) >>> 0;
    top = (r >>> (bits - 1)) & 1;
    next = (r >>> (bits - 2)) & 1;
  }
  setCfOf(alu, cf, top ^ next, 1);
  return r;
}

/**
 * SHLD: a shifted left by n, filled from the top of b. For 16-bit operands
 * with n > 16 (undefined in the SDM) the recording CPU shifts the 48-bit
 * value a:b:b and Intel processors a:b:a (bits from the source, then from
 * the destination: angr/vex pull request 64, Valgrind bug 492961), CF being
 * the last bit shifted out on Intel and 0 on the recording CPU.
 */
export function shld(
  alu: Alu,
  size: number,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
  count: number,
): number {
  const n = count & (size === 8 ? 63 : 31);
  if (n === 0) {
    alu.hi = aHi;
    return aLo;
  }
  let r: number;
  let rh = 0;
  let cf: number;
  if (size === 8) {
    cf = bit64(aLo, aHi, 64 - n);
    const lo = shl64(alu, aLo, aHi, n);
    const hi = alu.hi;
    const lo2 = shr64(alu, bLo, bHi, 64 - n);
    r = (lo | lo2) >>> 0;
    rh = (hi | alu.hi) >>> 0;
    alu.hi = rh;
  } else if (size === 4) {
    cf = (aLo >>> (32 - n)) & 1;
    r = ((aLo << n) | (bLo >>> (32 - n))) >>> 0;
  } else {
    // 16-bit: shift a 48-bit string a:b:x left by n (n < 32) and keep the top
    // 16 bits. For n <= 16 this is the SDM's definition whatever x is; for
    // n > 16 (result undefined in the SDM) x is b on the recording CPU and a
    // on Intel.
    const intel = alu.vendor.shxdWide === "intel";
    const w = aLo * 0x100000000 + bLo * 0x10000 + (intel ? aLo : bLo); // exact in a double
    r = Math.floor(w / 2 ** (32 - n)) % 0x10000;
    cf = n > 16 && !intel ? 0 : Math.floor(w / 2 ** (48 - n)) % 2;
  }
  // OF: sign change for count 1; for larger counts the recording CPU gives
  // MSB(result) XOR CF, except for 16-bit operands: OF = CF at count 16 and
  // CF = OF = 0 above 16 (shiftFlags may keep OF instead).
  const of = (size === 2 && n >= 16 ? cf : msb(size, r, rh) ^ cf) !== 0 ? OF : 0;
  alu.setResult(size, r, rh, alu.shiftFlags(cf, of, n));
  return r;
}

/**
 * SHRD: a shifted right by n, filled from the bottom of b. For 16-bit
 * operands with n > 16 the recording CPU shifts the 48-bit value b:b:a
 * right, Intel processors a:b:a (see shld).
 */
export function shrd(
  alu: Alu,
  size: number,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
  count: number,
): number {
  const n = count & (size === 8 ? 63 : 31);
  if (n === 0) {
    alu.hi = aHi;
    return aLo;
  }
  let r: number;
  let rh = 0;
  let cf: number;
  if (size === 8) {
    cf = bit64(aLo, aHi, n - 1);
    const lo = shr64(alu, aLo, aHi, n);
    const hi = alu.hi;
    const lo2 = shl64(alu, bLo, bHi, 64 - n);
    r = (lo | lo2) >>> 0;
    rh = (hi | alu.hi) >>> 0;
    alu.hi = rh;
  } else if (size === 4) {
    cf = (aLo >>> (n - 1)) & 1;
    r = ((aLo >>> n) | (bLo << (32 - n))) >>> 0;
  } else {
    // 16-bit: bits n..n+15 of the 48-bit string x:b:a, x = b on the recording
    // CPU and a on Intel (see shld).
    const intel = alu.vendor.shxdWide === "intel";
    const x = (intel ? aLo : bLo) * 0x100000000 + bLo * 0x10000 + aLo;
    r = Math.floor(x / 2 ** n) % 0x10000;
    // CF = 0 above 16 on the recording CPU, the last bit shifted out on Intel.
    cf = n > 16 && !intel ? 0 : Math.floor(x / 2 ** (n - 1)) % 2;
  }
  // OF: sign change for count 1; for larger counts the recording CPU gives
  // MSB(result) XOR the bit below it (shiftFlags may keep OF instead).
  const bits = size * 8;
  const top = msb(size, r, rh);
  const next = size === 8 ? (rh >>> 30) & 1 : (r >>> (bits - 2)) & 1;
  const of = (top ^ next) !== 0 ? OF : 0;
  alu.setResult(size, r, rh, alu.shiftFlags(cf, of, n));
  return r;
}
