/**
 * FYL2XP1 and FYL2X of AMD Zen 4 / Zen 5 microcode where a model
 * reproduces them: FYL2XP1 of a positive x below 2^-36, and FYL2X of x in
 * (1, 1 + 2^-36) (the same kernel on t = x - 1).
 *
 * Measured on AMD EPYC family 26 model 2 (Zen 5) with
 * tools/x87-transc/ylog_pin.ts and ylog_scan.ts (README there, section
 * "FYL2X / FYL2XP1"). Both instructions form an internal logarithm L with
 * 68 significant bits and return y * L rounded once with the rounding
 * control: running one x with a few hundred random y pins L to a few
 * hundredths of its last bit, and that interval always holds exactly one
 * 68-bit value. For 0 < t < 2^-36 that value is
 *
 *     P = ln(1 + t) / t   rounded to nearest on the grid 2^-67 (fixed point)
 *     T = t * P           rounded to nearest-even at 68 significant bits
 *     L = T * C           rounded to nearest-even at 68 significant bits
 *     C = log2(e) rounded to nearest at 66 bits (0x2e2a8eca5705fc2ef * 2^-65)
 *
 * C was found from tiny t (where P = 1 and T = t) by intersecting the
 * constraints |t C - L| <= L's half unit over 2,000 random significands:
 * it lies within log2(e) + [0.181, 0.184] * 2^-68, where the 66-bit
 * rounding is the only short dyadic. With C fixed, the candidates for T
 * (68-bit values with T C within half a unit of L) sit where t minus T
 * follows t^2/2 rounded on P's grid; P's grid was then scanned (2^-66 ...
 * 2^-73, nearest / down / up) and only 2^-67 nearest fits every case.
 * From t = 2^-36 on the microcode works otherwise (another reduction; no
 * model found), and negative t (FYL2XP1 of negative x, FYL2X of x < 1)
 * takes a path that no model here reproduces: those operands keep the
 * correctly rounded result of `transc.ts`.
 *
 * @module
 */

import { Exc, fx, roundPack80, type Unpacked, W } from "./f80.ts";
import { sig } from "./bigmath.ts";

/** log2(e) rounded to nearest at 66 significant bits, times 2^65. */
export const LOG2E66 = 0x2e2a8eca5705fc2efn;

/** The model covers t = x (FYL2XP1) or t = x - 1 (FYL2X) for 0 < t < 2^YLOG_T_LIMIT. */
export const YLOG_T_LIMIT = -38;

/** Significant bits of the internal logarithm. */
const IBITS = 68;

function bitLength(v: bigint): number {
  return v.toString(2).length;
}

/** Round v > 0 to `bits` significant bits, nearest-even: [significand, added exponent]. */
function round68(v: bigint): [bigint, number] {
  const drop = bitLength(v) - IBITS;
  if (drop <= 0) return [v, 0];
  const d = BigInt(drop);
  let q = v >> d;
  const rem = v - (q << d), half = 1n << (d - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q++;
  return [q, drop];
}

/** Round the exact value v * 2^e (v > 0) once to the register format with sign s, into fx. */
function roundExact(s: number, v: bigint, e: number): void {
  const n = bitLength(v);
  let top = n >= 128 ? v >> BigInt(n - 128) : v << BigInt(128 - n);
  if (n > 128 && (v & ((1n << BigInt(n - 128)) - 1n)) !== 0n) top |= 1n;
  W[3] = Number((top >> 96n) & 0xffffffffn);
  W[2] = Number((top >> 64n) & 0xffffffffn);
  W[1] = Number((top >> 32n) & 0xffffffffn);
  W[0] = Number(top & 0xffffffffn);
  roundPack80(s, n - 1 + e, 64);
}

/** Fraction bits of the fixed-point series for P (far beyond P's grid of 2^-67). */
const PF = 200;

/**
 * The microcode's 68-bit log2(1 + t) for t = m * 2^e, 0 < t < 2^-36:
 * [significand, exponent].
 */
export function log2p1Small(m: bigint, e: number): [bigint, number] {
  // P = sum (-t)^k / (k + 1) in fixed point (PF fraction bits, each term
  // floored: the error stays below 2^-190, far from P's rounding points).
  let p = 0n;
  let tk = 1n << BigInt(PF); // t^k in fixed point
  const tf = (v: bigint): bigint => e >= 0 ? (v * m) << BigInt(e) : (v * m) >> BigInt(-e);
  for (let k = 0n; tk !== 0n; k++) {
    p += (k & 1n) === 0n ? tk / (k + 1n) : -(tk / (k + 1n));
    tk = tf(tk);
  }
  const sh = BigInt(PF - 67);
  const pg = (p + (1n << (sh - 1n))) >> sh; // P on the 2^-67 grid, nearest
  const [tm, te] = round68(m * pg);
  const [lm, le] = round68(tm * LOG2E66);
  return [lm, le + te + e - 67 - 65];
}

/**
 * FYL2XP1 (`p1`) or FYL2X of finite non-zero y and x (ST(0) = x, ST(1) =
 * y) as the AMD microcode computes it, when t = x (FYL2XP1) or t = x - 1
 * (FYL2X) lies in (0, 2^{@link YLOG_T_LIMIT}): the result goes to fx and
 * the function returns true. Returns false, leaving fx alone, otherwise.
 */
export function ylogAmdZen(y: Unpacked, x: Unpacked, p1: boolean): boolean {
  if (x.s !== 0) return false;
  let m: bigint, e: number;
  if (p1) {
    if (x.e >= YLOG_T_LIMIT) return false;
    m = sig(x);
    e = x.e - 63;
  } else {
    // x = 1 + j 2^-63 with 0 < j < 2^27.
    if (x.e !== 0) return false;
    m = sig(x) - (1n << 63n);
    if (m === 0n || m >= 1n << BigInt(63 + YLOG_T_LIMIT)) return false;
    e = -63;
  }
  const [lm, le] = log2p1Small(m, e);
  roundExact(y.s, sig(y) * lm, le + y.e - 63);
  // Reported inexact even when y * L is representable (as FPTAN does; with
  // underflow for a denormal result).
  if (fx.x === 0) fx.exc |= Exc.UE;
  fx.exc |= Exc.PE;
  return true;
}
