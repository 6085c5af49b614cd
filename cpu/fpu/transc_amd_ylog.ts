/**
 * FYL2XP1 and FYL2X of AMD Zen 4 / Zen 5 microcode. Two domains:
 *
 * - Exact (the domain of the earlier models, proven band by band with
 *   dense probe checks: none or at most about 1 in 100,000 cases differ,
 *   see below): FYL2XP1 of 0 < |x| < 2^-5, and FYL2X of x = 2^k m'
 *   (normal or denormal) with m' in [sqrt(1/2), sqrt(2)) and |m' - 1| <
 *   2^-5 for k = 0, 2^-3 for k != 0 (x within a factor 1 +- 2^-3 of a
 *   power of two other than 1, or 1 +- 2^-5 of 1).
 * - Best-fit (the same kernel with ONE fitted remainder for every k and
 *   both instructions, {@link REM_ONE}: R = R68(R68(|L1| g) P(g)), g =
 *   R68(T^2), rounded to 68 bits before the add;
 *   used because it differs from the host about 300 times less often than
 *   correct rounding): FYL2XP1 of the rest of 1 + x in [sqrt(1/2),
 *   sqrt(2)) (its whole defined range |x| < 1 - sqrt(1/2) and a little
 *   more), and every other finite x > 0 of FYL2X. Measured miss rates
 *   (results, C1 or flags against probe.c, ten control words; correct
 *   rounding in brackets): FYL2XP1 with |x| in [2^-5, 2^-4) 1 in 300,000
 *   (1 in 24), [2^-4, 2^-3) 1 in 50,000, [2^-3, 2^-2) 1 in 7,300, beyond
 *   1 in 3,900; FYL2X with k = 0 1 in 37,000 at [2^-5, 2^-4) and at
 *   [2^-4, 2^-3), 1 in 10,700 at [2^-3, 2^-2), 1 in 4,000 at [2^-2,
 *   2^-1); k != 0 with |t| >= 2^-3 1 in 100,000; random x 1 in 42,000 (1
 *   in 35).
 *
 * Operands outside both (FYL2XP1 with 1 + x outside [sqrt(1/2), sqrt(2)))
 * keep the correctly rounded result of `transc.ts`.
 *
 * Measured on AMD EPYC family 26 model 2 (Zen 5) with
 * tools/x87-transc/ylog_pin.ts and ylog_scan.ts (README there, section
 * "FYL2X / FYL2XP1"). Both instructions form an internal logarithm L with
 * 68 significant bits and return y * L rounded once with the rounding
 * control: running one x with a few hundred random y pins L to a few
 * hundredths of its last bit, and that interval always holds exactly one
 * 68-bit value. One kernel serves both: t = x (FYL2XP1) or, for FYL2X, x
 * = 2^k (1 + t) with 1 + t in [sqrt(1/2), sqrt(2)) (t exact). With z = t
 * / (2 + t) and W = ln(1 + t) - 2z = 2z^3/3 + 2z^5/5 + ...:
 *
 *     T  = R68(2t / R68(2 + t))      (the quotient 2z, with 2 + t rounded first)
 *     L1 = T C                       rounded to 68 bits
 *     W' = W + z^3 e(z^2) / C        (e: the remainder's approximation error, fitted)
 *     L  = L1 + C W'                 rounded to 68 bits (k = 0)
 *     L  = R68(R68(k + L1) + C W')   (k != 0; L = k exactly for t = 0)
 *     C  = log2(e) rounded to nearest at 66 bits (0x2e2a8eca5705fc2ef * 2^-65)
 *
 * (all roundings to nearest-even, on magnitudes). Below |t| = 2^-10 the
 * first model's forms are kept (proven there): T = R68(t P1 + t^3 / (4 +
 * 2t)) with P1 = 1 - t/2 rounded on the grid 2^-67 (t > 0) or 2^-68 (t <
 * 0), which is 2 - R68(2 + t)/2, and the exact W; they agree with the
 * quotient form on every measured case. C was found from tiny t by
 * intersecting |t C - L| <= half a unit over 2,000 random significands;
 * P1's grids by scanning grids and rounding modes; the reduction and the
 * two roundings of k + L1 + C W from FYL2X near powers of two (k from
 * -16,381 to 16,384); the quotient form from the cases where it and the
 * P1 form round apart; e by a linear program (Chebyshev degree 6 in z^2)
 * over 6,700 pinned logarithms with 2^-10 <= |t| < 0.42, using the cases
 * whose T is far from a rounding tie (its error, relative to the
 * logarithm, equioscillates with about 2^-70: a minimax approximation).
 * The fitted e is not exact next to rounding boundaries, and is used only
 * below |t| = 2^-6 for k = 0 and FYL2XP1 (none of 120,000 probe cases
 * there differs) and below 2^-4 for k != 0 (none of about 100,000). From
 * there on, in the rest of the exact domain and in the whole best-fit
 * domain, C W' = R68(R68(|L1| g) P(g)) with g = R68(T^2) and the degree-9
 * {@link REM_ONE}, one polynomial for every band, k and instruction
 * (README, sections "FYL2X / FYL2XP1: one remainder (round 5)" and "one
 * structure (round 7)"). It replaced four per-band polynomials, the last
 * two in the exact bands 2^-6 <= |t| < 2^-5 (k = 0) and 2^-4 <= |t| <
 * 2^-3 (k != 0); fresh probe checks there (results, C1 or flags, ten
 * control words): 16 of 3,000,000 cases differ at k = 0 (the former
 * polynomial: 19), none of 990,813 at k != 0 (the former: 1); on the
 * internal L itself it misses 325 of 779 cases where the two models
 * disagree (the former ones 454), but for t > 0 at k = 0 it is the worse
 * one (165 against 130). FYL2X reduces at exactly sqrt(2): significands up to
 * floor(sqrt(2) 2^63) take k = e, the next one up k = e + 1 (README,
 * section "FYL2X / FYL2XP1: whole reduced range (fourth helper)").
 *
 * @module
 */

import { Cls, Exc, fx, type Unpacked } from "./f80.ts";
import { bitLength, IBITS, roundExact, roundSig, type Scaled } from "./scaled68.ts";
import { sig } from "./bigmath.ts";

/** log2(e) rounded to nearest at 66 significant bits, times 2^65. */
export const LOG2E66 = 0x2e2a8eca5705fc2efn;

/**
 * t = x (FYL2XP1) or t = x - 1 (FYL2X, k = 0) below 2^YLOG_T_LIMIT use the
 * fitted remainder correction REM_CHEB (from 2^-10 on), as first proven.
 */
export const YLOG_T_LIMIT = -6;

/**
 * The exact domain of FYL2XP1, and of FYL2X with k = 0, is 0 < |t| <
 * 2^YLOG_POLY_LIMIT (with the remainder REM_ONE from 2^YLOG_T_LIMIT on);
 * beyond it the model is best-fit.
 */
export const YLOG_POLY_LIMIT = -5;

/**
 * FYL2X of x = 2^k (1 + t) with k != 0: the exact domain is |t| <
 * 2^YLOG_K_T_LIMIT (from 2^{@link YLOG_K_CHEB_LIMIT} on with the
 * remainder {@link REM_ONE}, which continues into the best-fit domain).
 */
export const YLOG_K_T_LIMIT = -3;

/** FYL2X with k != 0 uses REM_CHEB below |t| = 2^YLOG_K_CHEB_LIMIT, REM_ONE from it on. */
const YLOG_K_CHEB_LIMIT = -4;

/**
 * Below |t| = 2^YLOG_NARROW the kernel's T is formed as t P1 + t^3/(4 + 2t)
 * (the first model, proven there) and the remainder W is exact; from it on,
 * T = R68(2t / R68(2 + t)) and W carries the fitted approximation error.
 */
const YLOG_NARROW = -10;

/** Round v >= 0 to 68 significant bits, nearest-even: [significand, added exponent]. */
function round68(v: bigint): Scaled {
  return roundSig(v, 0, IBITS);
}

/**
 * Round the value v + f (v >= 0 an integer, 0 <= f < 1 a non-zero
 * remainder when `sticky`) to 68 significant bits, nearest-even:
 * [significand, added exponent]. A sticky remainder breaks ties upward.
 */
function round68s(v: bigint, sticky: boolean): Scaled {
  const [q, d] = round68((v << 1n) | (sticky ? 1n : 0n));
  return [q, d - 1];
}

/** The kernel's pieces for one t (see {@link kernelParts}). */
type Parts = {
  /** |T| = tm 2^te (68 bits). */
  tm: bigint;
  te: number;
  /** |L1| = R68(|T| C) = lm 2^le. */
  lm: bigint;
  le: number;
  /** |C W| in fixed point 2^-g: floored (a few units of 2^-g low), or exact when {@link exact}. */
  cw: bigint;
  g: number;
  /** cw is exact in 2^-g (the remainder R of {@link remainderL1}, rounded to 68 bits). */
  exact: boolean;
};

/**
 * The kernel's pieces for t = +-m 2^e (m > 0, |t| < 1/2; `neg` for t < 0),
 * all as magnitudes (each has the sign of t). With z = t / (2 + t):
 *
 *     T  = R68(t P1 + t^3 / (4 + 2t)), P1 = 1 - t/2 rounded to nearest on
 *          the grid 2^-67 (t > 0) or 2^-68 (t < 0)    (|t| < 2^-10)
 *     T  = R68(2t / R68(2 + t))                      (|t| >= 2^-10)
 *     L1 = T C                      rounded to 68 bits
 *     W  = ln(1 + t) - 2z = 2 (z^3/3 + z^5/5 + ...), plus from 2^-10 on
 *          the fitted approximation error ({@link remainderCorrection});
 *          with `coef` (P's coefficients), C W = R68(R68(|L1| g) P(g)),
 *          g = R68(T^2), instead ({@link remainderL1})
 */
function kernelParts(m: bigint, e: number, neg: boolean, coef?: readonly bigint[]): Parts {
  const wide = bitLength(m) - 1 + e >= YLOG_NARROW;
  let tm: bigint, te: number;
  if (!wide) [tm, te] = narrowT(m, e, neg);
  else {
    // T = R68(2t / D), D = R68(2 + t): [dm, dd] with D = dm 2^(e + dd).
    const [dm, dd] = round68(neg ? (1n << BigInt(1 - e)) - m : (1n << BigInt(1 - e)) + m);
    const S = 140; // |2t / D| = m 2^(1 - dd) / dm, in units of 2^-S
    const num = m << BigInt(S + 1 - dd);
    const q = num / dm;
    const [qm, qd] = round68s(q, num !== q * dm);
    [tm, te] = [qm, qd - S];
  }
  const [lm, ld] = round68(tm * LOG2E66);
  const le = ld + te - 65;
  if (coef) {
    return {
      tm,
      te,
      lm,
      le,
      cw: remainderL1(tm, te, lm, le, 100 - e, coef),
      g: 100 - e,
      exact: true,
    };
  }
  // |W| = 2 sum |z|^(2k+1)/(2k+1), |z| = m / q, in fixed point 2^-g.
  const g = 100 - e;
  const q = neg ? (1n << BigInt(1 - e)) - m : (1n << BigInt(1 - e)) + m;
  const zf = (m << BigInt(g)) / q;
  const z2 = (zf * zf) >> BigInt(g);
  let w = 0n, term = zf;
  for (let j = 3n; term !== 0n; j += 2n) {
    term = (term * z2) >> BigInt(g);
    w += term / j;
  }
  let cw = (2n * w * LOG2E66) >> 65n;
  if (wide) cw += remainderCorrection(zf, z2, g);
  return { tm, te, lm, le, cw, g, exact: false };
}

/** T for |t| < 2^{@link YLOG_NARROW}: R68(t P1 + t^3 / (4 + 2t)) (see {@link kernelParts}). */
function narrowT(m: bigint, e: number, neg: boolean): [bigint, number] {
  // |t|/2 rounded on P1's grid: m 2^(e+66) (t > 0) or m 2^(e+67) (t < 0).
  const sh = e + (neg ? 67 : 66);
  let half: bigint;
  if (sh >= 0) half = m << BigInt(sh);
  else {
    const d = BigInt(-sh);
    half = m >> d;
    const rem = m - (half << d), h = 1n << (d - 1n);
    if (rem > h || (rem === h && (half & 1n) === 1n)) half++;
  }
  // P1 in units of 2^-67 (t > 0) or 2^-68 (t < 0).
  const p1 = neg ? (1n << 68n) + half : (1n << 67n) - half;
  // |A| = |t| P1 + |t|^3 / (4 + 2t), in units of 2^(e - 197) with a sticky
  // remainder: |t| P1 -> m P1 2^130 (2^129 for t < 0);
  // |t|^3/(4 + 2t) = m^3 2^(2e) / (2^(2-e) +- 2m).
  const num0 = m * m * m;
  const den0 = neg ? (1n << BigInt(2 - e)) - 2n * m : (1n << BigInt(2 - e)) + 2n * m;
  const k = e + 197; // |t|^3/(4+2t) in units of 2^(e-197) is num0 2^k / den0
  const num = k >= 0 ? num0 << BigInt(k) : num0;
  const den = k >= 0 ? den0 : den0 << BigInt(-k);
  const r = num / den;
  const [tm, td] = round68s(((m * p1) << (neg ? 129n : 130n)) + r, num !== r * den);
  return [tm, td + e - 197];
}

/**
 * Chebyshev coefficients (in x = 2 z^2 / REM_SMAX - 1, times 10^-18) of
 * the microcode's error in C W relative to |z|^3: its remainder is an
 * approximation whose error, relative to the logarithm, equioscillates
 * with about 2^-70 over z in [-0.172, 0.172]. Fitted by a linear program
 * to 6,700 pinned logarithms with 2^-10 <= |t| < 0.42 (README).
 */
const REM_CHEB = [
  -0.5146288468656222,
  1.0416243054627567,
  -0.9152158271295715,
  0.816602102778486,
  -0.6427904520689982,
  0.2634051088785328,
  -0.06498264353937859,
];
const REM_SMAX = 0.0295;

/** The correction to |C W| in fixed point 2^-g for |z| = zf 2^-g (z2 = z^2 there). */
function remainderCorrection(zf: bigint, z2: bigint, g: number): bigint {
  const s = Number(z2 >> BigInt(g - 60)) / 2 ** 60;
  const x = (2 * s) / REM_SMAX - 1;
  // Clenshaw's recurrence for sum REM_CHEB[j] T_j(x).
  let b1 = 0, b2 = 0;
  for (let j = REM_CHEB.length - 1; j >= 1; j--) {
    const b0 = REM_CHEB[j] + 2 * x * b1 - b2;
    b2 = b1;
    b1 = b0;
  }
  const d = REM_CHEB[0] + x * b1 - b2; // units of 10^-18
  const dInt = BigInt(Math.round(d * 1e-18 * 2 ** 120));
  const z3 = (z2 * zf) >> BigInt(g);
  return (z3 * dInt) >> 120n;
}

/**
 * The one remainder (every band from |t| = 2^{@link YLOG_T_LIMIT} on for
 * k = 0 and FYL2XP1, from 2^{@link YLOG_K_CHEB_LIMIT} on for k != 0; both
 * instructions): coefficients p_j (times 2^140, degree 9) of P in
 *
 *     g = R68(T^2),  h = R68(|L1| g),  R = R68(h P(g)),  L = R68(S + R)
 *
 * (P exact; p_j near 1 / ((2j + 3) 4^(j + 1)), the atanh series in T = 2z
 * without the factor C, which L1 = R68(T C) already carries). Fitted by a
 * linear program (summed violation) to 163,743 pinned logarithms with |t|
 * >= 2^-6 of FYL2XP1 and FYL2X of every k, about 12,000 of them aimed at
 * rounding midpoints; it replaced four per-band sets (REM_MID and REM_HI
 * in round 5, REM_POLY and REM_FULL in round 7) and reproduces the host at
 * least as well in every band they covered (README, sections "FYL2X /
 * FYL2XP1: one remainder (round 5)" and "one structure (round 7)").
 */
const REM_ONE = [
  0x155555555555554e6eb3593ad5b3d555555n,
  0x333333333333696280eb669cb333333333n,
  0x924924924892a04d49e99b64924924924n,
  0x1c71c71c7ddbd2ada26a51471c71c71c7n,
  0x5d1745c7fa295425af275d1745d1745dn,
  0x13b13b6a2db2a1e6982fb13b13b13b13n,
  0x4444164a8915ba70664444444444444n,
  0xf10814e3df4648eef0f0f0f0f0f0f0n,
  0x355a55c333ca69679435e50d79435en,
  0xe19b2a31dfc1800c30c30c30c30c3n,
];

/**
 * R = R68(R68(|L1| g) P(g)) with g = R68(T^2) (|T| = tm 2^te, |L1| = lm
 * 2^le, P's coefficients `coef` times 2^140, P evaluated exactly to 2^-200)
 * in fixed point 2^-fix (exact there).
 */
function remainderL1(
  tm: bigint,
  te: number,
  lm: bigint,
  le: number,
  fix: number,
  coef: readonly bigint[],
): bigint {
  const [gm, gd] = round68(tm * tm); // g = gm 2^ge
  const ge = gd + 2 * te;
  const [hm, hd] = round68(lm * gm); // h = hm 2^(hd + le + ge)
  const F = 200n;
  const gf = shl(gm, ge + 200);
  let acc = 0n;
  for (let j = coef.length - 1; j >= 0; j--) acc = ((acc * gf) >> F) + (coef[j] << 60n);
  const [rm, rd] = round68(hm * acc); // R = rm 2^(rd + hd + le + ge - 200)
  return shl(rm, rd + hd + le + ge - 200 + fix);
}

/**
 * The microcode's 68-bit log2(1 + t) for t = +-m * 2^e (m < 2^64, 1 + t
 * in [sqrt(1/2), sqrt(2)); `neg` for t < 0): [significand, exponent] of
 * |L| (L has the sign of t), with the pieces of {@link kernelParts}:
 *
 *     L = L1 + C W rounded to nearest-even at 68 bits (C W with the fitted
 *                                                       error from 2^-10 on)
 *
 * From |t| = 2^{@link YLOG_T_LIMIT} on C W is R68(R68(|L1| g) P(g)) with
 * {@link REM_ONE} (best-fit from 2^{@link YLOG_POLY_LIMIT} on).
 * (C W is below 2^-7 of L1's last unit for |t| < 2^-36, where L = L1.)
 */
export function log2p1Small(m: bigint, e: number, neg = false): [bigint, number] {
  const te = bitLength(m) - 1 + e;
  const { lm, le, cw, g, exact } = kernelParts(m, e, neg, te >= YLOG_T_LIMIT ? REM_ONE : undefined);
  if (e + 63 < -36) return [lm, le];
  // L1 and C W have the sign of t: |L| = |L1| + |C W| (cw exact, rounded, for
  // REM_ONE).
  const [fm, fd] = round68s((lm << BigInt(le + g)) + cw, !exact);
  return [fm, fd - g];
}

/** v * 2^s for an integer s of either sign (floor when s < 0). */
function shl(v: bigint, s: number): bigint {
  return s >= 0 ? v << BigInt(s) : v >> BigInt(-s);
}

/**
 * The microcode's 68-bit log2 x of FYL2X for x = 2^k (1 + t) with k != 0,
 * t = +-m 2^e (`neg` for t < 0; 1 + t in [sqrt(1/2), sqrt(2))): [sign,
 * significand, exponent] of L. With the kernel pieces of {@link
 * kernelParts} for t (L1 = R68(T C), W; from |t| = 2^{@link
 * YLOG_K_CHEB_LIMIT} on C W = R68(R68(|L1| g) P(g)) with {@link REM_ONE},
 * best-fit from 2^{@link YLOG_K_T_LIMIT} on):
 *
 *     L = R68(R68(k + L1) + C W)     (each sum rounded to nearest-even)
 *
 * and L = k exactly for t = 0.
 */
export function log2Scaled(
  k: number,
  m: bigint,
  e: number,
  neg: boolean,
): [number, bigint, number] {
  const ls = k < 0 ? 1 : 0;
  const ka = BigInt(k < 0 ? -k : k);
  if (m === 0n) return [ls, ka, 0];
  const te = bitLength(m) - 1 + e;
  const coef = te >= YLOG_K_CHEB_LIMIT ? REM_ONE : undefined;
  const { lm, le, cw, g, exact } = kernelParts(m, e, neg, coef);
  // L1 and C W have the sign of t: |k + L1| = |k| +- |L1| (le < 0).
  const add = (k < 0) === neg;
  const kl = ka << BigInt(-le);
  const [sm, sd] = round68(add ? kl + lm : kl - lm);
  const sx = le + sd + g; // |S| = sm 2^(sx - g), sx >= 0
  // |S + C W| = |S| +- |C W| in units 2^-g; cw is floored (or exact).
  const v = add ? shl(sm, sx) + cw : shl(sm, sx) - cw - (exact ? 0n : 1n);
  const [fm, fd] = round68s(v, !exact);
  return [ls, fm, fd - g];
}

/**
 * FYL2XP1 (`p1`) or FYL2X of finite non-zero y and x (ST(0) = x, ST(1) =
 * y) as the AMD microcode computes it. Exact domain: FYL2XP1 of 0 < |x| <
 * 2^{@link YLOG_POLY_LIMIT} (t = x); FYL2X of x = 2^k m' (normal or
 * denormal; m' in
 * [sqrt(1/2), sqrt(2)), x != 1) with |m' - 1| < 2^{@link YLOG_POLY_LIMIT}
 * (k = 0) or 2^{@link YLOG_K_T_LIMIT} (k != 0) (t = m' - 1, exact). With
 * `bestFit` (the default) also the best-fit domain: FYL2XP1 with 1 + x in
 * [sqrt(1/2), sqrt(2)), FYL2X of every finite x > 0. The result goes to fx
 * and the function returns true; returns false, leaving fx alone,
 * otherwise.
 */
export function ylogAmdZen(y: Unpacked, x: Unpacked, p1: boolean, bestFit = true): boolean {
  if (p1) {
    // t = x, with 1 + t in [sqrt(1/2), sqrt(2)) (best-fit from 2^YLOG_POLY_LIMIT on).
    if (x.e >= YLOG_POLY_LIMIT && !(bestFit && inReducedRange(sig(x), x.e - 63, x.s !== 0))) {
      return false;
    }
    const [lm, le] = log2p1Small(sig(x), x.e - 63, x.s !== 0);
    return finish(y, x.s, lm, le);
  }
  // Denormal x as normal ones (Unpacked holds it normalized).
  if (x.s !== 0 || (x.cls !== Cls.NORMAL && x.cls !== Cls.DENORMAL)) return false;
  const s = sig(x);
  let k: number, m: bigint, e: number, neg: boolean;
  if (s * s < 1n << 127n) {
    // x = 2^k (1 + m 2^-63), 1 + t < sqrt(2).
    k = x.e;
    m = s - (1n << 63n);
    e = -63;
    neg = false;
  } else {
    // x = 2^(k-1) (2 - 2m 2^-64) = 2^k (1 - m 2^-64), 1 + t >= sqrt(1/2).
    k = x.e + 1;
    m = (1n << 64n) - s;
    e = -64;
    neg = true;
  }
  // Beyond |t| = 2^YLOG_POLY_LIMIT (k = 0) or 2^YLOG_K_T_LIMIT (k != 0) the
  // model is best-fit (REM_ONE), used only with `bestFit`; x = 1 is handled
  // by the caller.
  if (
    m === 0n
      ? k === 0
      : !bestFit && bitLength(m) - 1 + e >= (k === 0 ? YLOG_POLY_LIMIT : YLOG_K_T_LIMIT)
  ) {
    return false;
  }
  if (k !== 0) {
    const [ls, lm, le] = log2Scaled(k, m, e, neg);
    return finish(y, ls, lm, le);
  }
  const [lm, le] = log2p1Small(m, e, neg);
  return finish(y, neg ? 1 : 0, lm, le);
}

/** Is 1 + t in [sqrt(1/2), sqrt(2)) for t = +-m 2^e (`neg` for t < 0, |t| < 1)? */
export function inReducedRange(m: bigint, e: number, neg: boolean): boolean {
  if (e >= 0 || m >= 1n << BigInt(-e)) return false;
  const v = neg ? (1n << BigInt(-e)) - m : (1n << BigInt(-e)) + m; // (1 + t) 2^-e
  const one2 = 1n << BigInt(-2 * e); // (2^-e)^2
  return 2n * v * v >= one2 && v * v < 2n * one2;
}

/** Round y * L (|L| = lm 2^le with sign ls) once into fx; PE always. */
function finish(y: Unpacked, ls: number, lm: bigint, le: number): boolean {
  roundExact(y.s ^ ls, sig(y) * lm, le + y.e - 63);
  // Reported inexact even when y * L is representable (as FPTAN does; with
  // underflow for a denormal result).
  if (fx.x === 0) fx.exc |= Exc.UE;
  fx.exc |= Exc.PE;
  return true;
}
