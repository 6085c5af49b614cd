/**
 * High-precision reference mathematics for the x87 transcendental
 * instructions. Values are exact rationals of BigInts (mantissa / divisor
 * * 2^exp) where possible; series are evaluated as a relative correction
 * factor ("bracket") in fixed point with {@link PREC} fraction bits,
 * truncating toward minus infinity, so tiny arguments keep full relative
 * precision and the sign of the residual error is known. The result is
 * rounded once. BigInt is used on purpose: transcendental instructions are
 * rare and far off the interpreter's hot path.
 *
 * @module
 */

import { roundPack80, type Unpacked, W } from "./f80.ts";

/** Fraction bits of fixed-point brackets and constants. */
export const PREC = 192;
const P = BigInt(PREC);
/** 1.0 in fixed point. */
export const ONE: bigint = 1n << P;

/** The operand's significand as a BigInt (value = sig * 2^(e - 63)). */
export function sig(u: Unpacked): bigint {
  return (BigInt(u.hi) << 32n) | BigInt(u.lo);
}

/** Floor division for a possibly negative numerator and positive divisor. */
export function fdivFloor(a: bigint, b: bigint): bigint {
  if (a >= 0n) return a / b;
  return -((-a + b - 1n) / b);
}

function atanInv(n: bigint, f: bigint): bigint {
  const one = 1n << f;
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

/** pi with PREC + 64 fraction bits (truncated). */
export const PI: bigint = (16n * atanInv(5n, P + 96n) - 4n * atanInv(239n, P + 96n)) >> 32n;
/** ln 2 with PREC + 64 fraction bits. */
export const LN2: bigint = (() => {
  const f = P + 96n;
  const z = (1n << f) / 3n;
  const z2 = (z * z) >> f;
  let p = z, sum = z;
  for (let k = 3n; p !== 0n; k += 2n) {
    p = (p * z2) >> f;
    sum += p / k;
  }
  return (2n * sum) >> 32n;
})();
/** Fraction bits of {@link PI} and {@link LN2}. */
export const CF: bigint = P + 64n;

/**
 * The 66-bit pi the x87 argument reduction uses (pi truncated to 66
 * significant bits), as an integer times 2^-64.
 */
export const PI66: bigint = (0xc90fdaa22168c234n << 2n) | 3n;

/** Fixed-point (PREC) t^2 for fixed-point t; at least 1 unit when t is not zero (the true square is positive). */
function sq(t: bigint): bigint {
  const v = (t * t) >> P;
  return v === 0n && t !== 0n ? 1n : v;
}

/** sin(t)/t for fixed-point |t| <= 1: 1 - t^2/3! + t^4/5! ... (floored terms). */
export function sinBracket(t: bigint): bigint {
  const t2 = sq(t);
  let term = ONE, sum = ONE;
  for (let k = 2n; term !== 0n; k += 2n) {
    term = fdivFloor(-term * t2, ONE * k * (k + 1n));
    sum += term;
    if (term === -1n) break;
  }
  return sum;
}

/** cos(t) for fixed-point |t| <= 1. */
export function cosFixed(t: bigint): bigint {
  const t2 = sq(t);
  let term = ONE, sum = ONE;
  for (let k = 1n; term !== 0n; k += 2n) {
    term = fdivFloor(-term * t2, ONE * k * (k + 1n));
    sum += term;
    if (term === -1n) break;
  }
  return sum;
}

/** atan(r)/r for fixed-point 0 <= r <= 1/4: 1 - r^2/3 + r^4/5 ... */
export function atanBracket(r: bigint): bigint {
  const r2 = sq(r);
  let p = ONE, sum = ONE;
  for (let k = 3n; p !== 0n; k += 2n) {
    p = (p * r2) >> P;
    const t = p / k;
    sum += ((k >> 1n) & 1n) === 1n ? -t - 1n : t;
  }
  return sum;
}

/** atanh(z)/z for fixed-point |z| <= 1/2: 1 + z^2/3 + z^4/5 ... */
export function atanhBracket(z: bigint): bigint {
  const z2 = sq(z);
  let p = ONE, sum = ONE;
  for (let k = 3n; p !== 0n; k += 2n) {
    p = (p * z2) >> P;
    sum += p / k;
  }
  return sum;
}

/** (e^t - 1)/t for fixed-point |t| <= 1: 1 + t/2! + t^2/3! ... */
export function expm1Bracket(t: bigint): bigint {
  let term = ONE, sum = ONE;
  for (let k = 2n; term !== 0n && term !== -1n; k++) {
    term = fdivFloor(term * t, ONE * k);
    sum += term;
  }
  return sum;
}

/** sqrt of a fixed-point (PREC) value. */
export function sqrtFixed(v: bigint): bigint {
  const n = v << P;
  if (n <= 0n) return 0n;
  let x = 1n << BigInt((n.toString(2).length >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** atan(r) in fixed point for fixed-point 0 <= r <= 1 (argument halving, then the series). */
export function atanFixed(r: bigint): bigint {
  let h = 0n;
  while (r > ONE >> 2n) {
    r = (r << P) / (ONE + sqrtFixed(ONE + sq(r)));
    h++;
  }
  return ((r * atanBracket(r)) >> P) << h;
}

/**
 * Round num/den * 2^exp2 (num, den > 0; an irrational value approximated
 * from below by at most a few units far below the last kept bit) to the
 * 80-bit format with 64-bit precision, sign s, into fx.
 */
export function roundRational(s: number, num: bigint, den: bigint, exp2: number): void {
  if (num < 0n) {
    num = -num;
    s ^= 1;
  }
  if (den < 0n) {
    den = -den;
    s ^= 1;
  }
  if (num === 0n) {
    W[3] =
      W[2] =
      W[1] =
      W[0] =
        0;
    roundPack80(s, 0, 64);
    return;
  }
  const ln = num.toString(2).length, ld = den.toString(2).length;
  // Quotient with 130..131 bits.
  const sh = 130 - (ln - ld);
  const q = sh >= 0 ? (num << BigInt(sh)) / den : num / (den << BigInt(-sh));
  const lq = q.toString(2).length;
  let top = lq >= 128 ? q >> BigInt(lq - 128) : q << BigInt(128 - lq);
  top |= 1n; // sticky: the true value lies above the truncated approximation
  W[3] = Number((top >> 96n) & 0xffffffffn);
  W[2] = Number((top >> 64n) & 0xffffffffn);
  W[1] = Number((top >> 32n) & 0xffffffffn);
  W[0] = Number(top & 0xffffffffn);
  // value = q * 2^(exp2 - sh); q's top bit has weight 2^(lq - 1 + exp2 - sh).
  roundPack80(s, lq - 1 + exp2 - sh, 64);
}
