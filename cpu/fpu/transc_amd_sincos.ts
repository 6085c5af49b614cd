/**
 * FSIN, FCOS and FSINCOS of AMD Zen 4 / Zen 5 microcode: x = n pi66/2 + t
 * exactly (pi66 is pi truncated to 66 bits, the reduction `transc.ts`
 * already does; |t| <= pi/4), then two polynomials in t.
 *
 * Measured on AMD EPYC family 26 model 2 (Zen 5) with
 * tools/x87-transc/probe.c; found with the scripts in
 * tools/x87-transc/sincos_py (README section "FSIN, FCOS, FSINCOS"). With
 * R68 meaning "rounded to nearest-even at 68 significant bits", the
 * microcode computes
 *
 *     g = R68(t^2)
 *     sin t = t - R68(R68(t g) * S(g))      S of degree 6, S(0) ~ 1/6
 *     cos t = 1 - R68(g * C(g))             C of degree 7, C(0) = 1/2
 *
 * where S and C are evaluated by Horner's rule with each step
 * R68(R68(acc * g) + c) (product and sum rounded separately), and rounds
 * the exact difference once with the rounding control (PE is always
 * reported). The coefficients are minimax approximations on t^2 <=
 * (pi/4)^2 rounded to 68 bits: S for the relative error of sin t (S
 * approximates (t - sin t)/t^3; its constant term is 1/6 - 4.86 * 2^-64),
 * C for the absolute error of C itself (C approximates (1 - cos t)/t^2; its
 * constant term rounds to exactly 1/2); then S's t^2 coefficient one unit
 * and C's t^4 coefficient three units lower in the last place (a search
 * against the recorded cases); then (round 6) the g^2 .. g^4 coefficients of
 * S and of C moved together so that S(g) rises by about 0.0125 and C(g)
 * falls by about 0.006 units of 2^-70 at g = 0.6, less below (a search in
 * those coordinates against cases aimed at the roundings of the last Horner
 * sum and of the correction; tools/x87-transc/sincos6_*.py); then (round 7)
 * C's g coefficient c1 one 68-bit cell higher, and S's g^2 .. g^6 and C's
 * g^2 .. g^7 coefficients refitted at the level of the inner sum A2 =
 * R68(c2 + R68(g A3)): cases aimed at the first Horner step A1 = R68(c1 +
 * R68(g A2)) (and, for C, at the last sum below 2^-2 and at A2) each bound
 * the host's unrounded A2 (or A3) sum, and linear programs over those
 * bounds gave the moves
 * (rounded to 68-bit cells; tools/x87-transc/sincos7_*.py, README "FSIN,
 * FCOS: A2's level (round 7)"); then (round 8) one level down: C's c3 16
 * and S's s3 37 68-bit cells lower in value, c4 .. c7 and s4 .. s6 refitted
 * at the level of A3 = R68(c3 + R68(g A4)), from cases aimed at A2 and A3
 * (tools/x87-transc/sincos8_coef.txt, README "FSIN, FCOS: A3's level (round
 * 8)"); then C's c5 .. c7 refitted at the level of A4 from cases aimed
 * at A2 .. A4 (tools/x87-transc/sincos8_coef_a4.txt); last (round 9) S's s3
 * one 68-bit cell higher in value (the only whole cell at which the cases
 * aimed at S's A3 admit a smooth s4 .. s6, and with which S's A4 level
 * becomes consistent), s4 .. s6 refitted at A3's and A4's levels, and C's
 * c5 .. c7 refitted at A4's level with more A4-aimed cases
 * (tools/x87-transc/sincos9_coef.txt, README "FSIN, FCOS: round 9"); then
 * (round 10, with thousands of cases aimed at A3 .. A5 found by a lattice
 * search) C's c4 ten 68-bit cells higher and c5 eleven cells lower in value
 * (pinned at A4's and A5's levels), c6, c7 refitted at A5's level (twice,
 * the second time with the first set's hold-outs as fit data), and S's
 * s4 two cells lower (pinned at A4's level), s5 sixteen cells lower (at
 * A5's level, where it is bounded, not pinned) and s6 refitted
 * (tools/x87-transc/sincos10_coef.txt, README "FSIN, FCOS: round 10").
 *
 * sin x and cos x take sin t or cos t by the quadrant n mod 4 (odd n uses
 * the other polynomial, with the signs of the identities); FSINCOS gives
 * the same two values as FSIN and FCOS and reports in C1 the rounding of
 * the sine.
 *
 * Round-8 hold-outs (recorded after this set was fixed; README "FSIN, FCOS:
 * A3's level (round 8)" has every figure): FCOS 0 of 3,000 lines aimed at
 * C's A2 (round 7: 59), 1 of 450 aimed at C's A3 (round 7: 121; the miss
 * has A4's sum next to its midpoint), 0 of 12,000 aimed at A1 and 0 of
 * 15,000 at the last sum; FSIN 0 of 1,800 aimed at S's A2 (round 7: 47) and
 * 16 of 180 aimed at S's A3 (round 7: 61). After the c5 .. c7 refit at A4:
 * FCOS aimed at A2 / A3 0 of 3,000 / 240, aimed at A4 12 of 54 lines (before
 * the refit 25, round 7: 17): the A4 level (c4 ..) is not pinned to the
 * cell. Round-9 hold-outs (recorded after the round-9 set was fixed): FSIN
 * aimed at S's A3 0 of 240 lines (round 8: 33), FCOS aimed at C's A4 1 of
 * 75 (round 8: 21), and 0 on every other fresh aimed, random and whole-domain
 * set. The model is used for every reduced argument: correctly rounded
 * results differ from the hardware far more often.
 *
 * @module
 */

import { Exc, fx } from "./f80.ts";
import {
  addScaled,
  bitLength,
  horner68Unfused,
  IBITS,
  mulScaled,
  roundExact,
  roundSig,
  type Scaled,
} from "./scaled68.ts";

/**
 * The model is used when the reduced argument's magnitude is below
 * 2^SINCOS_MODEL_LIMIT: always, as |t| <= pi/4 (below 2^-2 every round-7
 * and round-8 fit and hold-out line matches; see the module comment for the
 * rare misses above).
 */
export const SINCOS_MODEL_LIMIT = 0;

/** S(g): sin t = t - t g S(g); constant term first, 68-bit values. */
export const SIN_S: readonly Scaled[] = [
  [0xaaaaaaaaaaaaaa973n, -70],
  [-0x8888888888885699cn, -74],
  [0xd00d00d00c5365144n, -80],
  [-0xb8ef1d299845c8fa5n, -86],
  [0xd7322946bf340562fn, -93],
  [-0xb0904623e70848ef5n, -100],
  [0xd5512389e29266914n, -108],
];

/** C(g): cos t = 1 - g C(g); constant term (exactly 1/2) first, 68-bit values. */
export const COS_C: readonly Scaled[] = [
  [0x80000000000000000n, -68],
  [-0xaaaaaaaaaaaaaaa48n, -72],
  [0xb60b60b60b609bca3n, -77],
  [-0xd00d00d00cabfc913n, -83],
  [0x93f27dbb3e4b5c30an, -89],
  [-0x8f76c6975f788b746n, -96],
  [0xc9c9e8ad0844c0a89n, -104],
  [-0xd5845179857fb9895n, -112],
];

/**
 * The microcode's unrounded sin t (`cos` false) or cos t of t = T * 2^te,
 * as an exact value m * 2^e (signed m).
 */
export function sinCosPoly(T: bigint, te: number, cos: boolean): Scaled {
  const t: Scaled = [T, te];
  const g = roundSig(...mulScaled(t, t), IBITS);
  if (cos) {
    const [cm, ce] = roundSig(...mulScaled(g, horner68Unfused(COS_C, g)), IBITS);
    return addScaled([1n, 0], [-cm, ce]);
  }
  const tg = roundSig(...mulScaled(t, g), IBITS);
  const [cm, ce] = roundSig(...mulScaled(tg, horner68Unfused(SIN_S, g)), IBITS);
  return addScaled(t, [-cm, ce]);
}

/**
 * (-1)^s sin t (`cos` false) or (-1)^s cos t of the reduced argument t = T
 * * 2^te (T signed, non-zero) as the AMD microcode computes it, rounded
 * with the rounding control into fx (PE always set), when |t| <
 * 2^{@link SINCOS_MODEL_LIMIT}. Returns false, leaving fx alone, otherwise.
 */
export function sinCosAmdZen(s: number, T: bigint, te: number, cos: boolean): boolean {
  const mag = T < 0n ? -T : T;
  if (mag === 0n || bitLength(mag) + te > SINCOS_MODEL_LIMIT) return false;
  const [m, e] = sinCosPoly(T, te, cos);
  roundExact(m < 0n ? s ^ 1 : s, m < 0n ? -m : m, e);
  fx.exc |= Exc.PE;
  return true;
}
