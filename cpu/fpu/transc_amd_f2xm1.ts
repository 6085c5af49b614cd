/**
 * F2XM1 (2^x - 1) of the AMD Zen 4 / Zen 5 microcode for |x| < 1 with ONE
 * set of coefficients and one evaluation: exact (no difference in random
 * hold-outs) for |x| < 2^-1 and a best fit at 2^-1 <= |x| < 1 (none of
 * 200,000 fresh random x differs there in RD/RU/RN, nor 1,080 x aimed
 * within a few thousandths of a cell of a midpoint of P or Q; the fit data
 * keep 4 misses; figures below), measured on AMD EPYC family 26
 * model 2 (Zen 5) with tools/x87-transc/f2xm1_tiny.c (tools/x87-transc/
 * README.md, sections "F2XM1 model", "F2XM1 beyond 2^-9", "F2XM1 over the
 * whole domain", "F2XM1: g = R68(x^2)" and "F2XM1: one set (round 5)").
 * There is no argument reduction: one rational in x^2 serves the whole
 * domain (close to a relative minimax design on x^2 up to about 1.013).
 *
 * The microcode evaluates the classic form
 *
 *     g = x^2                              rounded to nearest-even at 68 bits
 *     P = P(g), Q = Q(g)                   Horner's rule, every step
 *                                          R68(R68(acc * g) + c): product and
 *                                          sum each rounded to nearest-even
 *     N = x * P                            rounded to nearest-even at 68 bits
 *     D = Q - N / 2                        rounded to nearest-even at 68 bits
 *     2^x - 1 = N / D                      rounded once with the rounding control
 *
 * (N / D = 2t / (1 - t) with t = x P / (2 Q) ~ tanh(x ln2 / 2)). P and Q have
 * degree 3 in g; P(0) / Q(0) = ln 2 and the scale is that of Q's g^3
 * coefficient, exactly 2^-20. How the coefficients were found:
 *
 * - P(0) and Q(0) exactly: for tiny x the result's error against x ln 2
 *   depends on the significand only (the rounding of x P(0) at 68 bits);
 *   its frequency along strides of the significand gave P(0), the position
 *   of the recorded results against the exact x ln 2 then pinned Q(0)
 *   (every 68-bit candidate but one is excluded).
 * - The other six: the relative minimax (3,3) approximation of
 *   2 tanh(x ln2 / 2) / x on x^2 <= 1.0128047 as the start, then joint
 *   linear programs over the 68-bit cells of P and Q that reproduce the
 *   recorded cases, stepped out band by band of |x| from 2^-7 to 1
 *   (`f2xm1_wide.sh`), Q3 fixed at 2^-20 where it had settled, and last a
 *   coordinate search on the exact miss count under this evaluation
 *   (`f2xm1_search.py`, `f2xm1_eval.c`). Round 5 moved P2, P3 and Q2 (by
 *   0x4f, -0x9e284 and 6 of their 68-bit cells: a few thousandths of a cell
 *   of P and Q at g = 1) by `f2xm1_cell_search.py` on x aimed at 2^-2 ... 1
 *   where the set and a slightly perturbed one disagree (`f2xm1_eval --aim`;
 *   such x sit within a few thousandths of a cell of a rounding midpoint of
 *   P or Q), five rounds, each tested on fresh aimed x first: the misses of
 *   such x at 2^-1 ... 1 fell from about 1 in 3 to none of 640. Round 6
 *   moved P3 by +0x600 cells (README "F2XM1: ties (round 6)"): of 300 fresh
 *   x at 2^-1 ... 1 where the two P3 values give different results the host
 *   sides with the new one in all 300.
 *
 * Until round 5 two more sets served |x| < 2^-7 (fused steps, exact g) and
 * 2^-7 ... 2^-5; every case on which one of them and this set disagree is a
 * witness, and the host sided with this set in all of them (README, "F2XM1:
 * one set (round 5)"): 2,400 of 2,400 such x aimed at 2^-14 ... 2^-7 (the
 * older set is off in its g^2, g^3 coefficients, about 1 in 150,000 random
 * x at 2^-8 ... 2^-7) and 287 of 287 random ones at 2^-7 ... 2^-5 (those
 * also need both g = R68(x^2) and the unfused steps: either alone misses 57
 * and 229 of them). Exact ties of the last Horner sums (frequent: the sum
 * lies on a grid 1/16 ... 1/64 of a cell) round to even: 2,100 of 2,100
 * aimed ties at 2^-11 ... 1.
 *
 * Hold-outs never used for fitting (RD/RU/RN or all ten control words;
 * correct rounding differs in 3.5 to 4.5% of random cases in every binade):
 * the README section "F2XM1: one set (round 5)" has the fresh ones recorded
 * after these coefficients were fixed. Before round 5 (g^2, g^3 coefficients
 * of the third set) random x missed 7 of 40,000 at 2^-1 ... 1 (RD/RU/RN) and
 * none below, and 22 of 100,000 in the fresh sets above. The few fit cases
 * round 5 still missed had P's last Horner sum at or next to an exact tie
 * (the product R68(acc g) one cell off): P3 was 0x600 cells low (round 6;
 * 0 of 24,000 fresh x aimed at P's and Q's last-step ties and product
 * cells, against 1 with the round-5 P3).
 *
 * @module
 */

import { Exc, fx } from "./f80.ts";
import {
  addScaled,
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
  [0xe87d6bda437afe244n, -73], // 0.028380118035883029 (fitted)
  [0x9be60d47a553a74bdn, -81], // 7.4338264529552809e-5 (fitted)
  [0xca971a0ec1c9413e2n, -93], // 2.358460814669961e-8 (fitted; round 6: +0x600 cells)
];
/** Q's coefficients (constant term first), 68-bit significand and exponent. */
export const F2XM1_Q: readonly Scaled[] = [
  [0xaa2fa223ad82d2d2dn, -66], // 2.6591573093810840 (measured)
  [0x96f2c97dddf7901afn, -70], // 0.14741053419810829 (fitted)
  [0xea5c0005e3c9b59aan, -78], // 8.9401006832526872e-4 (fitted)
  [0x80000000000000000n, -87], // 2^-20 (fitted as 2^-20 (1 + 1.4e-14), then fixed)
];

/**
 * Below this exponent of x (|x| < 2^-1) the model is exact: no difference in
 * the random and aimed hold-outs (module comment and README).
 */
export const F2XM1_EXACT_LIMIT = -1;
/**
 * The model is used when x's exponent is below this (|x| < 1); from
 * {@link F2XM1_EXACT_LIMIT} on it is a best fit (measured miss rates in the
 * module comment), still far closer to the host than
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
  const g = roundSig(...mulScaled(x, x), IBITS);
  const p = horner68Unfused(F2XM1_P, g);
  const q = horner68Unfused(F2XM1_Q, g);
  const [nm, ne] = roundSig(...mulScaled(x, p), IBITS);
  // D = Q - N/2 > 0 (|N| < 1.85 and Q > 2.65 for |x| < 1); the quotient has x's sign.
  const [dm, de] = roundSig(...addScaled(q, [-nm, ne - 1]), IBITS);
  roundQuotient(neg ? 1 : 0, neg ? -nm : nm, ne, dm, de);
  fx.exc |= Exc.PE;
  return true;
}
