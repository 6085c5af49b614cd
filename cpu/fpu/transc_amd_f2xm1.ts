/**
 * F2XM1 (2^x - 1) of the AMD Zen 4 / Zen 5 microcode for |x| < 1, exact
 * for |x| < 2^-5 and a best fit from 2^-5 on (at most 0.1% of random cases
 * differ; figures below), measured on
 * AMD EPYC family 26 model 2 (Zen 5) with tools/x87-transc/f2xm1_tiny.c
 * (tools/x87-transc/README.md, sections "F2XM1 model", "F2XM1 beyond 2^-9"
 * and "F2XM1 over the whole domain"). There is no argument reduction: one
 * rational in x^2 serves the whole domain (close to a relative minimax design on
 * x^2 up to about 1.013).
 *
 * The microcode evaluates the classic form
 *
 *     g = x^2                              (exact)
 *     P = P(g), Q = Q(g)                   Horner's rule, every step acc*g + c
 *                                          rounded to nearest-even at 68 bits
 *     N = x * P                            rounded to nearest-even at 68 bits
 *     D = Q - N / 2                        rounded to nearest-even at 68 bits
 *     2^x - 1 = N / D                      rounded once with the rounding control
 *
 * (N / D = 2t / (1 - t) with t = x P / (2 Q) ~ tanh(x ln2 / 2)). P and Q have
 * degree 3 in g; P(0) / Q(0) = ln 2 and the scale is that of Q's g^3
 * coefficient, about 2^-20. How the coefficients were found:
 *
 * - P(0) and Q(0) exactly: for tiny x the result's error against x ln 2
 *   depends on the significand only (the rounding of x P(0) at 68 bits);
 *   its frequency along strides of the significand gave P(0), the position
 *   of the recorded results against the exact x ln 2 then pinned Q(0)
 *   (every 68-bit candidate but one is excluded).
 * - The g and g^2 coefficients: feasible regions in which the 68-bit cells
 *   of P and Q reproduce every recorded result (three rounding modes each)
 *   of about 290,000 random cases with |x| in 2^-31 ... 2^-7: (P1, Q1)
 *   with the g^2 terms held fixed, then (P2, Q2) (from |x| >= 2^-10) with
 *   (P1, Q1) held at the middle of their region, alternately, twice each;
 *   the middle of each region is taken. (Both regions become empty about
 *   17,000 cases into 2^-8 ... 2^-7, as does (P3, Q3).) Their
 *   starting point was the relative minimax (3,3) approximation of
 *   2 tanh(x ln2 / 2) / x on x^2 <= 1.0128047 (the interval that makes its
 *   P1 match the measured one), whose Q has its g^3 coefficient equal to
 *   2^-20 to 2e-9.
 * - The g^3 coefficients started as that minimax approximation's P3 and
 *   Q3 = 2^-20, which left rare differences from 2^-10 on (2 of 20,000
 *   at 2^-10 ... 2^-9, 7 of 300,000 at 2^-9 ... 2^-8).
 * - Last step (`tools/x87-transc/f2xm1_joint.py`): all six coefficients
 *   P1..P3, Q1..Q3 moved together, by linear programs over one allowed
 *   box of (P, Q) cells per recorded case, each case free to change cells,
 *   then centred: first on 180,000 random cases with |x| in 2^-12 ... 2^-7,
 *   then again with 9,000 cases chosen with P's or Q's last Horner step
 *   within 0.003 of a cell of a rounding midpoint (`f2xm1_target.py`: about
 *   60 times as informative as random ones; 2 of the 189,000 fit cases
 *   stay unexplained). Q3 is no longer exactly 2^-20 (0.99987 2^-20).
 *
 * Not exact, but close: on probe hold-outs never used for fitting, no
 * difference in 570,000 random cases with |x| in 2^-11 ... 2^-7; of the
 * near-midpoint cases chosen against this model 2 of 6,000 differ at
 * 2^-9 ... 2^-8 and 1 of 6,000 at 2^-8 ... 2^-7 (none of 6,000 below); such cases are
 * 1 in 80 random arguments, so a rate of a few in 10^6 (correct rounding differs in about 1
 * in 28 at 2^-8 ... 2^-7).
 *
 * From 2^-7 on a second set ({@link F2XM1_WIDE_P}, {@link F2XM1_WIDE_Q}; same
 * P(0), Q(0) and structure) is used: the first set extrapolates badly (its
 * g^2 and g^3 coefficients are nearly free below 2^-7; 10 units off at
 * 2^-4, 10^8 at 1), so the same joint refit was stepped out in small bands
 * of |x| (2^-7 ... 0.0234, 0.0255, 2^-5, 0.045, 2^-4, 0.08, 2^-3, 0.17,
 * 2^-2, 0.32, 0.4, 2^-1, 0.6, 0.75, 1), each started from the previous
 * result (one large step fails even on synthetic data of the model
 * itself), then refitted on 210,500 cases (random and near-midpoint) with
 * Q3 held at 2^-20, where it had settled (1 + 1.4e-14), and last moved by a
 * coordinate search on the exact number of differing fit cases (365 to
 * 308). Hold-outs never used for fitting (RD/RU/RN or all ten control
 * words; correct rounding differs in 3.5 to 4.5% of random cases in every
 * binade):
 *
 * - exact, |x| < 2^-5 (2^-7 ... 2^-5 by the second set): no difference in
 *   131,000 random cases there (68,000 of them recorded after the final
 *   fit); near-midpoint ones 0 of 2,000 at 2^-7 ... 2^-6 and 1 of 2,000 at
 *   2^-6 ... 2^-5 (as rare as in the first set's domain).
 * - best fit, 2^-5 <= |x| < 1, by a third set ({@link F2XM1_TOP_P}) with
 *   unfused Horner steps R68(R68(acc g) + c): evaluated that way, the same
 *   search from the second set differs from the host about half as often
 *   at 2^-1 ... 1 and a quarter as often at 2^-2 ... 2^-1 as with fused
 *   steps (below 2^-5 the two are alike; there the second set with fused
 *   steps stays, 0 against 1 of 40,000), so the microcode most likely rounds
 *   the products. It squares x to 68 bits first: with g = R68(x^2) (and
 *   the same coefficients) the differences at 2^-1 ... 1 fall about
 *   sevenfold (README, "F2XM1: g = R68(x^2)"; g exact, at 67 or at 69 bits
 *   all do worse). Probe hold-outs (all ten control words, about 45,500
 *   random x per binade in five sets, one of them recorded after this
 *   change, the others never used for fitting): none differs at 2^-5 ...
 *   2^-1 and 1 of 45,635 at 2^-1 ... 1 (correct rounding: 1,851); fresh
 *   RD/RU/RN sets recorded after it: 7 of 40,000 at 2^-1 ... 1 (exact g:
 *   61), 0 of 40,000 each at 2^-2 ... 2^-1 and 2^-3 ... 2^-2. Each remaining
 *   difference has P's or Q's last Horner step at or within 1/16 of a cell
 *   of an exact tie (of 68-bit cells).
 *
 * On the record.sh hold-out seed 0xf2c5e7d2026 (20,000 random x, 2^-70
 * ... 1) no result or C1 differs (correct rounding: 508 + 209), nor on
 * hold-out B (seed 0xf1a22026c1d7, 10,000; correct rounding 259 + 88, the
 * first set alone 30 + 10), nor on the record.sh hold-out seed 0xf2d6a1b2c3
 * recorded after g = R68(x^2) (20,000; correct rounding 510 + 192).
 *
 * @module
 */

import { Exc, fx } from "./f80.ts";
import {
  addScaled,
  horner68,
  horner68Unfused,
  IBITS,
  mulScaled,
  roundQuotient,
  roundSig,
  type Scaled,
} from "./scaled68.ts";

/** P's coefficients (constant term first), 68-bit significand and exponent. */
export const F2XM1_P: readonly Scaled[] = [
  [0xebed907fcbb85b9d8n, -67], // 1.8431873916628686 (measured)
  [0xe87d6bda437afe209n, -73], // 0.028380118035883028 (fitted)
  [0x9be60d47a981ecb7cn, -81], // 7.4338264530017e-5 (fitted)
  [0xca82de2e71d02325cn, -93], // 2.35754068381e-8 (fitted)
];
/** Q's coefficients (constant term first), 68-bit significand and exponent. */
export const F2XM1_Q: readonly Scaled[] = [
  [0xaa2fa223ad82d2d2dn, -66], // 2.6591573093810840 (measured)
  [0x96f2c97dddf79018an, -70], // 0.14741053419810829 (fitted)
  [0xea5c0005e6aab8925n, -78], // 8.940100683278e-4 (fitted)
  [0xfffcd3014f312ac10n, -88], // 9.5362810300e-7 (fitted, ~2^-20)
];

/**
 * The second coefficient set, used for 2^-7 <= |x| < 2^-5 (P(0) and Q(0) as in
 * {@link F2XM1_P} and {@link F2XM1_Q}): refitted band by band out to |x| = 1
 * (tools/x87-transc/README.md, section "F2XM1 over the whole domain").
 */
export const F2XM1_WIDE_P: readonly Scaled[] = [
  F2XM1_P[0],
  [0xe87d6bda437afe244n, -73], // 0.028380118035883029
  [0x9be60d47a553a741cn, -81], // 7.4338264529552809e-5
  [0xca971a0ec1ca3a741n, -93], // 2.3584608146699714e-8
];
/** Q's coefficients of the second set (constant term first). */
export const F2XM1_WIDE_Q: readonly Scaled[] = [
  F2XM1_Q[0],
  [0x96f2c97dddf7901afn, -70], // 0.14741053419810829
  [0xea5c0005e3c9b59a4n, -78], // 8.9401006832526872e-4
  [0x80000000000000000n, -87], // 2^-20 (fitted as 2^-20 (1 + 1.4e-14), then fixed)
];

/**
 * The third coefficient set, used for 2^-5 <= |x| < 1 with g = R68(x^2) and
 * unfused Horner steps R68(R68(acc g) + c) (`horner68Unfused`): the second set moved by a
 * search on the exact miss count under that evaluation, which reproduces
 * the host about twice as often as fused steps there (README, "F2XM1 over
 * the whole domain").
 */
export const F2XM1_TOP_P: readonly Scaled[] = [
  F2XM1_P[0],
  [0xe87d6bda437afe244n, -73], // 0.028380118035883029
  [0x9be60d47a553a746en, -81], // 7.4338264529552809e-5
  [0xca971a0ec1c9df066n, -93], // 2.3584608146699677e-8
];
/** Q's coefficients of the third set (those of the second set). */
export const F2XM1_TOP_Q: readonly Scaled[] = F2XM1_WIDE_Q;

/** From this exponent of x on (|x| >= 2^-7) the second set is used. */
export const F2XM1_WIDE_FROM = -7;
/**
 * Below this exponent of x (|x| < 2^-5) the model is exact: no difference in
 * the random hold-outs (see the module comment for the near-midpoint rates).
 */
export const F2XM1_EXACT_LIMIT = -5;
/**
 * The model is used when x's exponent is below this (|x| < 1); from
 * {@link F2XM1_EXACT_LIMIT} on it is a best fit (measured miss rates in the
 * module comment; the third set), still far closer to the host than
 * correct rounding.
 */
export const F2XM1_MODEL_LIMIT = 0;
/** ... and not below this one (results near the denormal range were not measured). */
export const F2XM1_MODEL_MIN = -16300;

/**
 * F2XM1 of the normal x = (-1)^neg * m * 2^(e - 63) (m the 64-bit
 * significand, top bit set) as the AMD microcode computes it, when
 * {@link F2XM1_MODEL_MIN} <= e < {@link F2XM1_MODEL_LIMIT}; the result (with
 * PE) goes to fx. Returns false, leaving fx alone, for other exponents.
 */
export function f2xm1AmdZen(neg: boolean, m: bigint, e: number): boolean {
  if (e >= F2XM1_MODEL_LIMIT || e < F2XM1_MODEL_MIN || m >> 63n !== 1n) return false;
  const x: Scaled = [neg ? -m : m, e - 63];
  const g = mulScaled(x, x);
  let p: Scaled, q: Scaled;
  if (e >= F2XM1_EXACT_LIMIT) {
    // The third set: g rounded to 68 bits, unfused steps (README, "F2XM1: g = R68(x^2)").
    const g68 = roundSig(...g, IBITS);
    p = horner68Unfused(F2XM1_TOP_P, g68);
    q = horner68Unfused(F2XM1_TOP_Q, g68);
  } else if (e >= F2XM1_WIDE_FROM) {
    p = horner68(F2XM1_WIDE_P, g);
    q = horner68(F2XM1_WIDE_Q, g);
  } else {
    p = horner68(F2XM1_P, g);
    q = horner68(F2XM1_Q, g);
  }
  const [nm, ne] = roundSig(...mulScaled(x, p), IBITS);
  // D = Q - N/2 > 0 (|N| < 1.85 and Q > 2.65 for |x| < 1); the quotient has x's sign.
  const [dm, de] = roundSig(...addScaled(q, [-nm, ne - 1]), IBITS);
  roundQuotient(neg ? 1 : 0, neg ? -nm : nm, ne, dm, de);
  fx.exc |= Exc.PE;
  return true;
}
