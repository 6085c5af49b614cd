/**
 * Exact references for the x87 transcendental instructions, for the
 * analysis of recorded hardware results (tools/x87-transc/analyze.ts).
 * Each function returns the true value as an exact rational num/den * 2^exp2
 * of BigInts built from the fixed-point series of cpu/fpu/bigmath.ts
 * (192 fraction bits), far more precise than the 64-bit results compared.
 *
 * @module
 */

import {
  atanBracket,
  atanFixed,
  atanhBracket,
  CF,
  cosFixed,
  expm1Bracket,
  LN2,
  ONE,
  PI,
  PREC,
  sinBracket,
} from "../../cpu/fpu/bigmath.ts";

/** A finite non-zero operand: value = (-1)^s * m * 2^(e - 63), m with bit 63 set. */
export interface Operand {
  /** Sign bit. */
  s: number;
  /** Unbiased exponent of bit 63. */
  e: number;
  /** 64-bit significand (normalized). */
  m: bigint;
}

/** A real value as sign and num/den * 2^exp2 (num, den > 0, num may be 0). */
export interface Real {
  /** Sign bit. */
  s: number;
  /** Numerator (>= 0). */
  num: bigint;
  /** Denominator (> 0). */
  den: bigint;
  /** Binary exponent. */
  exp2: number;
}

/** Parse a 20-hex-digit 80-bit value; null for zero, infinities, NaNs and unsupported encodings. */
export function operand(h: string): Operand | null {
  const se = parseInt(h.slice(0, 4), 16);
  const x = se & 0x7fff;
  let m = BigInt("0x" + h.slice(4));
  if (x === 0x7fff || m === 0n) return null;
  if (x !== 0 && m >> 63n === 0n) return null; // unnormal
  let e = x === 0 ? -16382 : x - 16383;
  while (m >> 63n === 0n) {
    m <<= 1n;
    e--;
  }
  return { s: se >> 15, e, m };
}

const P = BigInt(PREC);

function real(s: number, num: bigint, den: bigint, exp2: number): Real {
  if (num < 0n) {
    num = -num;
    s ^= 1;
  }
  if (den < 0n) {
    den = -den;
    s ^= 1;
  }
  return { s, num, den, exp2 };
}

/** 2^x - 1 for 0 < |x| < 1. */
export function f2xm1(x: Operand): Real {
  const ml = x.m * LN2 * (x.s !== 0 ? -1n : 1n); // x ln2 * 2^(63 - e + CF)
  const sh = x.e - 63 - Number(CF) + PREC;
  const tf = sh >= 0 ? ml << BigInt(sh) : ml >> BigInt(-sh);
  return real(0, ml * expm1Bracket(tf), 1n, x.e - 63 - Number(CF) - PREC);
}

/** y * (k + 2 atanh(p/q) / ln 2) for |p/q| < 1/2. */
function ylog(y: Operand, k: bigint, p: bigint, q: bigint): Real {
  const zf = (p << P) / q - (p < 0n ? 1n : 0n);
  const ahb = atanhBracket(zf);
  const den = (q * LN2) << P;
  const num = k * den + ((2n * p * ahb) << CF);
  return real(y.s, y.m * num, den, y.e - 63);
}

/** k + log2((1 + z)/(1 - z)) for z = p/q (|z| < 1/2). */
export function log2Atanh(k: bigint, p: bigint, q: bigint): Real {
  return ylog({ s: 0, e: 0, m: 1n << 63n }, k, p, q);
}

/** y * log2(x) for x > 0, x != 1. */
export function fyl2x(y: Operand, x: Operand): Real {
  const big = x.m > 0xb504f333f9de6484n; // m/2^63 > sqrt 2
  const base = big ? 1n << 64n : 1n << 63n;
  return ylog(y, BigInt(big ? x.e + 1 : x.e), x.m - base, x.m + base);
}

/** y * log2(1 + x) for |x| < 1 - sqrt(2)/2 (the defined range). */
export function fyl2xp1(y: Operand, x: Operand): Real {
  const p = x.s !== 0 ? -x.m : x.m;
  return ylog(y, 0n, p, (1n << BigInt(64 - x.e)) + p);
}

/** atan2(y, x). */
export function fpatan(y: Operand, x: Operand): Real {
  const yBig = y.e > x.e || (y.e === x.e && y.m > x.m);
  const n = yBig ? x : y, d = yBig ? y : x;
  const ed = n.e - d.e;
  const sh = ed + PREC;
  const rf = sh >= 0 ? (n.m << BigInt(sh)) / d.m : n.m / (d.m << BigInt(-sh));
  if (!yBig && x.s === 0) {
    if (rf <= ONE >> 2n) return real(y.s, n.m * atanBracket(rf), d.m, ed - PREC);
    return real(y.s, atanFixed(rf), 1n, -PREC);
  }
  const at = rf <= ONE >> 2n ? (rf * atanBracket(rf)) >> P : atanFixed(rf);
  let v = at << (CF - P);
  if (yBig) v = (PI >> 1n) - v;
  if (x.s !== 0) v = PI - v;
  return real(y.s, v, 1n, -Number(CF));
}

/**
 * A pi used for argument reduction: pi ~= int * 2^-frac. `piBits(66)` is
 * pi truncated to 66 significant bits (the x87's documented reduction
 * constant); `piBits(0)` is pi to {@link CF} fraction bits (true pi).
 */
export interface PiApprox {
  /** Integer significand. */
  int: bigint;
  /** Fraction bits. */
  frac: number;
}

/** pi truncated (or rounded to nearest when `round`) to `bits` significant bits; 0 = CF bits. */
export function piBits(bits: number, round = false): PiApprox {
  if (bits === 0) return { int: PI, frac: Number(CF) };
  const drop = BigInt(Number(CF) + 2 - bits);
  let int = PI >> drop;
  if (round && ((PI >> (drop - 1n)) & 1n) === 1n) int++;
  return { int, frac: bits - 2 };
}

/** sin, cos and tan of x (|x| < 2^63) with the reduction x = n pi'/2 + t using `pi`. */
export function trig(x: Operand, pi: PiApprox): { sin: Real; cos: Real; tan: Real } {
  let n = 0n, T = x.m, te = x.e - 63;
  if (x.e >= -2) {
    const xs = x.m << BigInt(x.e - 62 + pi.frac); // 2x * 2^frac
    n = (xs + (pi.int >> 1n)) / pi.int;
    T = xs - n * pi.int;
    te = -pi.frac - 1;
  }
  let tf = te + PREC >= 0 ? T << BigInt(te + PREC) : T >> BigInt(-te - PREC);
  if (tf === 0n && T !== 0n) tf = T < 0n ? -1n : 1n;
  const sb = sinBracket(tf), c = cosFixed(tf);
  const q = Number(n & 3n);
  const neg = x.s;
  // sin t = T * sb * 2^(te - PREC); cos t = c * 2^-PREC.
  const sinT = (s: number) => real(s, T * sb, 1n, te - PREC);
  const cosT = (s: number) => real(s, c, 1n, -PREC);
  const sin = [sinT(neg), cosT(neg), sinT(neg ^ 1), cosT(neg ^ 1)][q];
  const cos = [cosT(0), sinT(1), cosT(1), sinT(0)][q];
  const tan = (q & 1) === 0 ? real(neg, T * sb, c, te) : real(neg ^ 1, c, T * sb, -te);
  return { sin, cos, tan };
}

/** e^t - 1 for |t| < 1 (t may be an unnormalized operand: value m * 2^(e - 63)). */
export function expm1(t: Operand): Real {
  const sh = t.e - 63 + PREC;
  const m = t.s !== 0 ? -t.m : t.m;
  const tf = sh >= 0 ? m << BigInt(sh) : m >> BigInt(-sh);
  return real(0, m * expm1Bracket(tf), 1n, t.e - 63 - PREC);
}

/** atan(r) for 0 <= r <= 1 (r may be an unnormalized operand). */
export function atan(r: Operand): Real {
  const sh = r.e - 63 + PREC;
  const rf = sh >= 0 ? r.m << BigInt(sh) : r.m >> BigInt(-sh);
  if (rf <= ONE >> 2n) return real(0, r.m * atanBracket(rf), 1n, r.e - 63 - PREC);
  return real(0, atanFixed(rf), 1n, -PREC);
}
