/**
 * SSE compares, MIN/MAX, rounding to integral and conversions on raw
 * binary32/binary64 bit patterns, with the MXCSR rules of softfp.ts.
 * SDM Vol. 2: CMPPS (predicate table), COMISS/UCOMISS, MINPS/MAXPS (the
 * second operand is returned when either is a NaN or both are zeros),
 * CVT* (integer indefinite 80000000H / 8000000000000000H), ROUNDPS.
 *
 * @module
 */
import {
  bits32,
  DE,
  env,
  f32,
  f64,
  finish,
  IE,
  in32,
  in64,
  isNaN32,
  isNaN64,
  PE,
  put64,
  res,
  val32,
  val64,
} from "./softfp.ts";

const TWO32 = 4294967296;

/**
 * Compare predicate 0-7 (EQ LT LE UNORD NEQ NLT NLE ORD) of two values
 * given as `nan` (unordered) and a, b. Raises IE for SNaN, or for any NaN
 * when the predicate signals on QNaN (LT, LE, NLT, NLE).
 */
function predicate(pred: number, unordered: boolean, a: number, b: number): boolean {
  switch (pred & 7) {
    case 0:
      return !unordered && a === b;
    case 1:
      return !unordered && a < b;
    case 2:
      return !unordered && a <= b;
    case 3:
      return unordered;
    case 4:
      return unordered || a !== b;
    case 5:
      return unordered || !(a < b);
    case 6:
      return unordered || !(a <= b);
    default:
      return !unordered;
  }
}

/** CMPxx binary64: true when the predicate holds. */
export function cmp64(pred: number, alo: number, ahi: number, blo: number, bhi: number): boolean {
  const an = isNaN64(alo, ahi), bn = isNaN64(blo, bhi);
  if (an || bn) {
    const sig = (pred & 3) === 1 || (pred & 3) === 2;
    if (sig || (an && (ahi & 0x80000) === 0) || (bn && (bhi & 0x80000) === 0)) env.flags |= IE;
    return predicate(pred, true, 0, 0);
  }
  return predicate(pred, false, in64(alo, ahi), in64(blo, bhi));
}

/** CMPxx binary32. */
export function cmp32(pred: number, a: number, b: number): boolean {
  const an = isNaN32(a), bn = isNaN32(b);
  if (an || bn) {
    const sig = (pred & 3) === 1 || (pred & 3) === 2;
    if (sig || (an && (a & 0x400000) === 0) || (bn && (b & 0x400000) === 0)) env.flags |= IE;
    return predicate(pred, true, 0, 0);
  }
  return predicate(pred, false, in32(a), in32(b));
}

/**
 * (U)COMISx: returns the ZF/PF/CF bits (unordered 0x45, less 0x01, equal
 * 0x40, greater 0). `signalQ` (COMIS) raises IE on QNaN too.
 */
export function comi64(
  signalQ: boolean,
  alo: number,
  ahi: number,
  blo: number,
  bhi: number,
): number {
  const an = isNaN64(alo, ahi), bn = isNaN64(blo, bhi);
  if (an || bn) {
    if (signalQ || (an && (ahi & 0x80000) === 0) || (bn && (bhi & 0x80000) === 0)) env.flags |= IE;
    return 0x45;
  }
  const a = in64(alo, ahi), b = in64(blo, bhi);
  return a < b ? 1 : a === b ? 0x40 : 0;
}

/** (U)COMISS. */
export function comi32(signalQ: boolean, a: number, b: number): number {
  const an = isNaN32(a), bn = isNaN32(b);
  if (an || bn) {
    if (signalQ || (an && (a & 0x400000) === 0) || (bn && (b & 0x400000) === 0)) env.flags |= IE;
    return 0x45;
  }
  const x = in32(a), y = in32(b);
  return x < y ? 1 : x === y ? 0x40 : 0;
}

/** MIN (max = false) or MAX binary64: returns true when the FIRST operand is the result. */
export function minmax64(
  max: boolean,
  alo: number,
  ahi: number,
  blo: number,
  bhi: number,
): boolean {
  if (isNaN64(alo, ahi) || isNaN64(blo, bhi)) {
    env.flags |= IE;
    return false;
  }
  const a = in64(alo, ahi), b = in64(blo, bhi);
  return max ? a > b : a < b;
}

/** MIN/MAX binary32: true when the first operand is the result. */
export function minmax32(max: boolean, a: number, b: number): boolean {
  if (isNaN32(a) || isNaN32(b)) {
    env.flags |= IE;
    return false;
  }
  const x = in32(a), y = in32(b);
  return max ? x > y : x < y;
}

/** Round x to an integral value by rounding control rc (0 even, 1 down, 2 up, 3 trunc). */
export function roundInt(x: number, rc: number): number {
  let r: number;
  if (rc === 1) r = Math.floor(x);
  else if (rc === 2) r = Math.ceil(x);
  else if (rc === 3) r = Math.trunc(x);
  else {
    const t = Math.floor(x);
    const d = x - t;
    r = d > 0.5 ? t + 1 : d < 0.5 ? t : t % 2 === 0 ? t : t + 1;
  }
  return r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r;
}

/**
 * Float (as number, or NaN flag) to a signed integer of `bits` (32 or 64)
 * by rounding control `rc`; integer indefinite on NaN/overflow. Result in
 * res[0]/res[1].
 */
function toInt(nan: boolean, x: number, rc: number, bits: number): void {
  if (!nan) {
    const r = roundInt(x, rc);
    const lim = bits === 32 ? 2147483648 : 9223372036854775808;
    if (r >= -lim && r < lim) {
      if (r !== x) env.flags |= PE;
      if (bits === 32) {
        res[0] = r >>> 0;
        res[1] = 0;
      } else {
        const hi = Math.floor(r / TWO32);
        res[0] = (r - hi * TWO32) >>> 0;
        res[1] = hi >>> 0;
      }
      return;
    }
  }
  env.flags |= IE;
  res[0] = bits === 32 ? 0x80000000 : 0;
  res[1] = bits === 32 ? 0 : 0x80000000;
}

/** CVT(T)SD2SI & co: binary64 to int32/int64; `trunc` forces rounding toward zero. */
export function cvt64ToInt(lo: number, hi: number, trunc: boolean, bits: number): void {
  const nan = isNaN64(lo, hi) || (hi & 0x7ff00000) === 0x7ff00000;
  toInt(nan, nan ? 0 : val64(lo, hi), trunc ? 3 : env.rc, bits);
}

/** CVT(T)SS2SI & co: binary32 to int32/int64. */
export function cvt32ToInt(b: number, trunc: boolean, bits: number): void {
  const nan = (b & 0x7f800000) === 0x7f800000;
  toInt(nan, nan ? 0 : val32(b), trunc ? 3 : env.rc, bits);
}

/** Signed 64-bit integer (lo, hi words) to binary64 (p = 53) or binary32 (p = 24) as a number. */
export function intToFloat(lo: number, hi: number, p: number): number {
  lo >>>= 0;
  hi >>>= 0;
  const neg = (hi & 0x80000000) !== 0;
  if (neg) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  const big = hi * TWO32;
  const m = big + lo;
  if (m === 0) return 0;
  const bb = m - big;
  const e = (big - (m - bb)) + (lo - bb);
  return finish(m, e > 0 ? 1 : e < 0 ? -1 : 0, 0, neg, p);
}

/** CVTSD2SS: binary64 to binary32 bits (in res[0]). */
export function cvt64to32(lo: number, hi: number): void {
  if (isNaN64(lo, hi)) {
    if ((hi & 0x80000) === 0) env.flags |= IE;
    res[0] = ((hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29)) >>> 0;
    return;
  }
  const x = in64(lo, hi);
  if (x === 0 || x === Infinity || x === -Infinity) {
    res[0] = bits32(x);
    return;
  }
  const neg = x < 0;
  res[0] = bits32(finish(neg ? -x : x, 0, 0, neg, 24));
}

/** CVTSS2SD: binary32 bits to binary64 (res[0]/hi). */
export function cvt32to64(b: number): void {
  if (isNaN32(b)) {
    if ((b & 0x400000) === 0) env.flags |= IE;
    res[1] = ((b & 0x80000000) | 0x7ff80000 | ((b & 0x3fffff) >>> 3)) >>> 0;
    res[0] = (b << 29) >>> 0;
    return;
  }
  put64(in32(b));
}

/** ROUNDSD/PD lane: imm bits 1:0 rc, bit 2 use MXCSR.RC, bit 3 suppress PE. */
export function round64(lo: number, hi: number, imm: number): void {
  if (isNaN64(lo, hi)) {
    if ((hi & 0x80000) === 0) env.flags |= IE;
    res[0] = lo;
    res[1] = (hi | 0x80000) >>> 0;
    return;
  }
  const x = val64(lo, hi);
  const r = (x === Infinity || x === -Infinity)
    ? x
    : roundInt(x, (imm & 4) !== 0 ? env.rc : imm & 3);
  if (r !== x && (imm & 8) === 0) env.flags |= PE;
  put64(r);
}

/** ROUNDSS/PS lane. */
export function round32(b: number, imm: number): void {
  if (isNaN32(b)) {
    if ((b & 0x400000) === 0) env.flags |= IE;
    res[0] = (b | 0x400000) >>> 0;
    return;
  }
  const x = val32(b);
  const r = (x === Infinity || x === -Infinity)
    ? x
    : roundInt(x, (imm & 4) !== 0 ? env.rc : imm & 3);
  if (r !== x && (imm & 8) === 0) env.flags |= PE;
  res[0] = bits32(r);
}

/** Denormal check without DAZ semantics (for flags only). */
export function denormal32(b: number): boolean {
  return (b & 0x7f800000) === 0 && (b & 0x7fffff) !== 0;
}

export { DE, f32, f64 };
