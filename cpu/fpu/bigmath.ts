/**
 * High-precision reference mathematics for the x87 transcendental
 * instructions: fixed-point BigInt evaluation of sin, cos, atan, ln and
 * exp-minus-one with at least 190 correct bits, and the conversion of such
 * a value to an 80-bit result rounded once. BigInt is used here on purpose:
 * transcendental instructions are rare and far off the interpreter's hot
 * path, and exactness is worth more than speed for them.
 *
 * @module
 */

import { fx, roundPack80, type Unpacked, W } from "./f80.ts";

/** Fixed-point guard precision in bits. */
export const PREC = 200;

/** A finite value as mantissa * 2^exp (mantissa unsigned), with sign. */
export interface Exact {
  /** Sign bit. */
  s: number;
  /** Mantissa (non-negative). */
  m: bigint;
  /** Exponent of the mantissa's unit bit. */
  e: number;
}

/** A finite non-zero unpacked operand as an {@link Exact}. */
export function exact(u: Unpacked): Exact {
  return { s: u.s, m: (BigInt(u.hi) << 32n) | BigInt(u.lo), e: u.e - 63 };
}

/** `v` (mantissa * 2^e) as a fixed-point integer with `f` fraction bits (truncated). */
export function toFixed(m: bigint, e: number, f: number): bigint {
  const sh = e + f;
  return sh >= 0 ? m << BigInt(sh) : m >> BigInt(-sh);
}

let piCache: bigint | null = null;
let piBits = 0;
let ln2Cache: bigint | null = null;
let ln2Bits = 0;

function atanInv(n: bigint, f: number): bigint {
  // atan(1/n) = sum (-1)^k / ((2k+1) n^(2k+1))
  const one = 1n << BigInt(f);
  let term = one / n;
  const n2 = n * n;
  let sum = term;
  for (let k = 1n; term !== 0n; k++) {
    term /= n2;
    const t = term / (2n * k + 1n);
    sum += (k & 1n) === 1n ? -t : t;
  }
  return sum;
}

/** pi with `f` fraction bits. */
export function pi(f: number): bigint {
  if (piCache === null || piBits < f) {
    const g = f + 32;
    piCache = 16n * atanInv(5n, g) - 4n * atanInv(239n, g);
    piBits = g;
  }
  return piCache >> BigInt(piBits - f);
}

/** ln 2 with `f` fraction bits. */
export function ln2(f: number): bigint {
  if (ln2Cache === null || ln2Bits < f) {
    const g = f + 32;
    ln2Cache = atanh((1n << BigInt(g)) / 3n, g) * 2n;
    ln2Bits = g;
  }
  return ln2Cache >> BigInt(ln2Bits - f);
}

/** atanh(z) for fixed-point |z| < 1 with `f` fraction bits. */
export function atanh(z: bigint, f: number): bigint {
  const F = BigInt(f);
  const z2 = (z * z) >> F;
  let p = z;
  let sum = z;
  for (let k = 3n; p !== 0n; k += 2n) {
    p = (p * z2) >> F;
    sum += p / k;
  }
  return sum;
}

/** atan(z) for fixed-point 0 <= z <= 1. */
export function atan(z: bigint, f: number): bigint {
  const F = BigInt(f);
  const one = 1n << F;
  // Halve the argument twice: atan(z) = 2 atan(z / (1 + sqrt(1 + z^2))).
  let halvings = 0;
  while (z > one >> 3n && halvings < 4) {
    const s = sqrtFixed(one + ((z * z) >> F), f);
    z = (z << F) / (one + s);
    halvings++;
  }
  const z2 = (z * z) >> F;
  let p = z;
  let sum = z;
  for (let k = 3n; p !== 0n; k += 2n) {
    p = (p * z2) >> F;
    const t = p / k;
    sum += ((k >> 1n) & 1n) === 1n ? -t : t;
  }
  return sum << BigInt(halvings);
}

/** sqrt of a fixed-point value. */
export function sqrtFixed(v: bigint, f: number): bigint {
  const n = v << BigInt(f);
  if (n === 0n) return 0n;
  let x = 1n << BigInt((n.toString(2).length >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** sin and cos of fixed-point |t| <= pi/4 (returned as [sin, cos]). */
export function sinCosSmall(t: bigint, f: number): [bigint, bigint] {
  const F = BigInt(f);
  const t2 = (t * t) >> F;
  let s = t, term = t;
  for (let k = 2n; term !== 0n; k += 2n) {
    term = -((term * t2) >> F) / (k * (k + 1n));
    s += term;
  }
  const one = 1n << F;
  let c = one;
  term = one;
  for (let k = 1n; term !== 0n; k += 2n) {
    term = -((term * t2) >> F) / (k * (k + 1n));
    c += term;
  }
  return [s, c];
}

/** exp(t) - 1 for fixed-point |t| <= 1. */
export function expm1(t: bigint, f: number): bigint {
  const F = BigInt(f);
  let term = t, sum = t;
  for (let k = 2n; term !== 0n; k++) {
    term = ((term * t) >> F) / k;
    sum += term;
  }
  return sum;
}

/**
 * Round `n` * 2^-f (sign s, n > 0, an inexact approximation) to the
 * 80-bit format with 64-bit precision into fx.
 */
export function roundFixed(s: number, n: bigint, f: number): void {
  if (n < 0n) {
    n = -n;
    s ^= 1;
  }
  const len = n.toString(2).length;
  // Top 128 bits with the rest as sticky; always sticky (the value is an approximation).
  let top: bigint;
  if (len >= 128) top = (n >> BigInt(len - 128)) | 1n;
  else top = (n << BigInt(128 - len)) | 1n;
  W[3] = Number((top >> 96n) & 0xffffffffn);
  W[2] = Number((top >> 64n) & 0xffffffffn);
  W[1] = Number((top >> 32n) & 0xffffffffn);
  W[0] = Number(top & 0xffffffffn);
  roundPack80(s, len - 1 - f, 64);
}

/** Set fx to a zero when `n` is zero, else round (see {@link roundFixed}). */
export function roundFixedOrZero(s: number, n: bigint, f: number): void {
  if (n === 0n) {
    fx.s = s;
    fx.x = 0;
    fx.hi = 0;
    fx.lo = 0;
    return;
  }
  roundFixed(s, n, f);
}
