/**
 * Exact binary values m * 2^e as BigInt pairs, and the roundings the AMD
 * Zen transcendental models are built from (`transc_amd*.ts`): the
 * microcode's 68-bit intermediate roundings, Horner's rule in those steps,
 * and the final rounding of an exact value or quotient to the register
 * format with the rounding control.
 *
 * @module
 */

import { roundPack80, W } from "./f80.ts";

/** A value m * 2^e (m a signed BigInt): exact, never rounded by itself. */
export type Scaled = readonly [bigint, number];

/** Significant bits of the microcode's intermediate values. */
export const IBITS = 68;

/** Bits in the binary form of `v` > 0. */
export function bitLength(v: bigint): number {
  return v.toString(2).length;
}

/** Round m * 2^e (m signed) to `bits` significant bits, nearest-even. */
export function roundSig(m: bigint, e: number, bits: number): Scaled {
  const neg = m < 0n;
  const a = neg ? -m : m;
  const drop = bitLength(a) - bits;
  if (a === 0n || drop <= 0) return [m, e];
  const d = BigInt(drop);
  let q = a >> d;
  const rem = a - (q << d), half = 1n << (d - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q++;
  return [neg ? -q : q, e + drop];
}

/** a + b, exactly. */
export function addScaled(a: Scaled, b: Scaled): Scaled {
  return a[1] >= b[1]
    ? [(a[0] << BigInt(a[1] - b[1])) + b[0], b[1]]
    : [a[0] + (b[0] << BigInt(b[1] - a[1])), a[1]];
}

/** a * b, exactly. */
export function mulScaled(a: Scaled, b: Scaled): Scaled {
  return [a[0] * b[0], a[1] + b[1]];
}

/**
 * c0 + g (c1 + g (c2 + ...)) by Horner's rule (`cs` constant term first),
 * each step acc * g + c rounded once to 68 bits (a fused step).
 */
export function horner68(cs: readonly Scaled[], g: Scaled): Scaled {
  let acc = cs[cs.length - 1];
  for (let k = cs.length - 2; k >= 0; k--) {
    acc = roundSig(...addScaled(mulScaled(acc, g), cs[k]), IBITS);
  }
  return acc;
}

/**
 * Horner's rule as {@link horner68}, but each step R68(R68(acc * g) + c):
 * the product and the sum rounded separately.
 */
export function horner68Unfused(cs: readonly Scaled[], g: Scaled): Scaled {
  let acc = cs[cs.length - 1];
  for (let k = cs.length - 2; k >= 0; k--) {
    acc = roundSig(...addScaled(roundSig(...mulScaled(acc, g), IBITS), cs[k]), IBITS);
  }
  return acc;
}

/**
 * Round the value v * 2^e (v > 0, exact, or with a sticky low bit) once to
 * the register format with sign s and the rounding control, into fx.
 */
export function roundExact(s: number, v: bigint, e: number): void {
  const n = bitLength(v);
  let top = n >= 128 ? v >> BigInt(n - 128) : v << BigInt(128 - n);
  if (n > 128 && (v & ((1n << BigInt(n - 128)) - 1n)) !== 0n) top |= 1n;
  W[3] = Number((top >> 96n) & 0xffffffffn);
  W[2] = Number((top >> 64n) & 0xffffffffn);
  W[1] = Number((top >> 32n) & 0xffffffffn);
  W[0] = Number(top & 0xffffffffn);
  roundPack80(s, n - 1 + e, 64);
}

/**
 * Round the exact quotient (n * 2^ne) / (d * 2^de) (n, d > 0) once to the
 * register format with sign s, into fx.
 */
export function roundQuotient(s: number, n: bigint, ne: number, d: bigint, de: number): void {
  const sh = 130 - (bitLength(n) - bitLength(d));
  const num = sh >= 0 ? n << BigInt(sh) : n;
  const den = sh >= 0 ? d : d << BigInt(-sh);
  const q = num / den;
  // 129..131 quotient bits and a sticky bit for a non-zero remainder.
  roundExact(s, (q << 1n) | (num === q * den ? 0n : 1n), ne - de - sh - 1);
}
