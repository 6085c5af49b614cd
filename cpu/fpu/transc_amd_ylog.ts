/**
 * FYL2XP1 of AMD Zen 4 / Zen 5 microcode where a model reproduces it:
 * positive x below 2^-67.
 *
 * Measured on AMD EPYC family 26 model 2 (Zen 5) with
 * tools/x87-transc/ylog_pin.ts and ylog_scan.ts (README there, section
 * "FYL2X / FYL2XP1"). Both instructions form an internal logarithm L with
 * 68 significant bits and return y * L rounded once with the rounding
 * control: running one x with thousands of random y pins L to a few
 * thousandths of its last bit, and that interval always holds exactly one
 * 68-bit value. For FYL2XP1 with 0 < x < 2^-67 that value is
 *
 *     L = x * C rounded to nearest-even at 68 significant bits,
 *     C = log2(e) rounded to nearest at 66 bits (0x2e2a8eca5705fc2ef * 2^-65),
 *
 * the x^2/2 term of log2(1 + x) being left out (it reaches 1.2 units of
 * L's 68th bit at x = 2^-68). C was found by intersecting the constraints
 * |m C - L| <= L's half unit over 2,000 random significands (it lies within
 * log2(e) + [0.181, 0.184] * 2^-68, where the 66-bit rounding is the only
 * short dyadic). From x = 2^-67 on, and for every negative x, the
 * microcode takes another path that no model here reproduces; those
 * operands keep the correctly rounded result of `transc.ts`.
 *
 * @module
 */

import { Exc, fx, roundPack80, type Unpacked, W } from "./f80.ts";
import { sig } from "./bigmath.ts";

/** log2(e) rounded to nearest at 66 significant bits, times 2^65. */
export const LOG2E66 = 0x2e2a8eca5705fc2efn;

/** The model covers FYL2XP1 for 0 < x < 2^YL2XP1_TINY_LIMIT. */
export const YL2XP1_TINY_LIMIT = -67;

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

/**
 * FYL2XP1 of finite non-zero y and x (ST(0) = x, ST(1) = y) as the AMD
 * microcode computes it, when 0 < x < 2^{@link YL2XP1_TINY_LIMIT}: the
 * result goes to fx and the function returns true. Returns false, leaving
 * fx alone, for other x.
 */
export function yl2xp1AmdZen(y: Unpacked, x: Unpacked): boolean {
  if (x.s !== 0 || x.e >= YL2XP1_TINY_LIMIT) return false;
  // L = R68(x * C), x = sig(x) * 2^(e - 63), C = LOG2E66 * 2^-65.
  const [lm, le] = round68(sig(x) * LOG2E66);
  roundExact(y.s, sig(y) * lm, le + x.e - 63 - 65 + y.e - 63);
  // Reported inexact even when y * L is representable (as FPTAN does; with
  // underflow for a denormal result).
  if (fx.x === 0) fx.exc |= Exc.UE;
  fx.exc |= Exc.PE;
  return true;
}
