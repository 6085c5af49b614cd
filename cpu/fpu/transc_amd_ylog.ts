/**
 * FYL2XP1 and FYL2X of AMD Zen 4 / Zen 5 microcode where a model
 * reproduces them: FYL2XP1 of x in (0, 2^-10) and FYL2X of x in (1, 1 +
 * 2^-10) (the same kernel on t = x - 1, which is exact there).
 *
 * Measured on AMD EPYC family 26 model 2 (Zen 5) with
 * tools/x87-transc/ylog_pin.ts and ylog_scan.ts (README there, section
 * "FYL2X / FYL2XP1"). Both instructions form an internal logarithm L with
 * 68 significant bits and return y * L rounded once with the rounding
 * control: running one x with a few hundred random y pins L to a few
 * hundredths of its last bit, and that interval always holds exactly one
 * 68-bit value. For 0 < t < 2^-10 that value is (z = t / (2 + t))
 *
 *     P1 = 1 - t/2               rounded to nearest on the grid 2^-67
 *     T  = t P1 + t^3 / (4 + 2t)  rounded to 68 bits (2z, with P1 standing for 1 - t/2)
 *     L1 = T C                    rounded to 68 bits
 *     L  = L1 + C (ln(1 + t) - 2z) rounded to 68 bits (2z^3/3 + 2z^5/5 ...)
 *     C  = log2(e) rounded to nearest at 66 bits (0x2e2a8eca5705fc2ef * 2^-65)
 *
 * (all roundings to nearest-even). C was found from tiny t (where P1 = 1
 * and T = t) by intersecting |t C - L| <= half a unit over 2,000 random
 * significands; P1's grid by scanning grids and rounding modes; the
 * split of ln(1 + t) into 2z (with P1's rounding error left in) and the
 * atanh remainder from the cases near 2^-36 ... 2^-5 that the simpler
 * forms miss. From t = 2^-10 on some results differ (1 in 15,000 at 2^-10,
 * 2% at 2^-7, 19% at 2^-4: an approximation of the remainder or of 2z that
 * was not identified), and negative t (FYL2XP1 of negative x, FYL2X of x
 * < 1) takes a path that no model here reproduces: those operands keep
 * the correctly rounded result of `transc.ts`.
 *
 * @module
 */

import { Exc, fx, roundPack80, type Unpacked, W } from "./f80.ts";
import { sig } from "./bigmath.ts";

/** log2(e) rounded to nearest at 66 significant bits, times 2^65. */
export const LOG2E66 = 0x2e2a8eca5705fc2efn;

/** The model covers t = x (FYL2XP1) or t = x - 1 (FYL2X) for 0 < t < 2^YLOG_T_LIMIT. */
export const YLOG_T_LIMIT = -10;

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
 * Round the value v + f (v >= 0 an integer, 0 <= f < 1 a non-zero
 * remainder when `sticky`) to 68 significant bits, nearest-even:
 * [significand, added exponent]. A sticky remainder breaks ties upward.
 */
function round68s(v: bigint, sticky: boolean): [bigint, number] {
  const [q, d] = round68((v << 1n) | (sticky ? 1n : 0n));
  return [q, d - 1];
}

/**
 * The microcode's 68-bit log2(1 + t) for t = m * 2^e (m < 2^64, 0 < t <
 * 2^-10, so e <= -74): [significand, exponent]. With z = t / (2 + t),
 *
 *     P1 = 1 - t/2 rounded to nearest on the grid 2^-67
 *     T  = t P1 + t^3 / (4 + 2t)          rounded to 68 bits
 *          (2z = t (1 - t/2) + t^3 / (4 + 2t): P1 stands for 1 - t/2)
 *     L1 = T C                            rounded to 68 bits
 *     L  = L1 + C (ln(1 + t) - 2z)        rounded to 68 bits
 *
 * (ln(1 + t) - 2z = 2 (z^3/3 + z^5/5 + ...) is below 2^-7 of L1's last
 * unit for t < 2^-36, where L = L1.)
 */
export function log2p1Small(m: bigint, e: number): [bigint, number] {
  // P1 = 2^67 - round(m 2^(e+66)), as an integer times 2^-67.
  const sh = e + 66;
  let half: bigint;
  if (sh >= 0) half = m << BigInt(sh);
  else {
    const d = BigInt(-sh);
    half = m >> d;
    const rem = m - (half << d), h = 1n << (d - 1n);
    if (rem > h || (rem === h && (half & 1n) === 1n)) half++;
  }
  const p1 = (1n << 67n) - half;
  // A = t P1 2^-67 + t^3 / (4 + 2t), in units of 2^(e - 197) with a sticky
  // remainder: t P1 -> m P1 2^130; t^3/(4 + 2t) = m^3 2^(2e) / (2^(2-e) + 2m).
  const num0 = m * m * m, den0 = (1n << BigInt(2 - e)) + 2n * m;
  const k = e + 197; // t^3/(4+2t) in units of 2^(e-197) is num0 2^k / den0
  const num = k >= 0 ? num0 << BigInt(k) : num0;
  const den = k >= 0 ? den0 : den0 << BigInt(-k);
  const r = num / den;
  const [tm, te] = round68s(((m * p1) << 130n) + r, num !== r * den);
  const [lm, ld] = round68(tm * LOG2E66);
  const le = ld + te + e - 197 - 65; // L1 = lm 2^le
  if (e + 63 < -36) return [lm, le];
  // L1 + C W, W = 2 sum z^(2k+1)/(2k+1), z = m / q, in fixed point 2^-G.
  const G = 100 - e;
  const q = (1n << BigInt(1 - e)) + m;
  const zf = (m << BigInt(G)) / q;
  const z2 = (zf * zf) >> BigInt(G);
  let w = 0n, term = zf;
  for (let j = 3n; term !== 0n; j += 2n) {
    term = (term * z2) >> BigInt(G);
    w += term / j;
  }
  const cw = (2n * w * LOG2E66) >> 65n; // C W, floored (a few units of 2^-G low)
  const total = (lm << BigInt(le + G)) + cw;
  const [fm, fd] = round68s(total, true);
  return [fm, fd - G];
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
