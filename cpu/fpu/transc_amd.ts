/**
 * The x87 transcendental results of AMD Zen 4 / Zen 5 microcode for FPATAN
 * and FPTAN (exact for every reduced argument since round 7), and which CPU
 * models use the Zen models
 * ({@link transcModelOf}).
 *
 * Measured on AMD EPYC family 26 model 2 stepping 1 (Zen 5; the committed
 * tests/data/x87_vectors.txt.gz) and family 25 model 17 stepping 1 (Zen 4,
 * microcode 0x1000065; identical results on every committed vector, plus
 * 22,236 further random FPATAN cases recorded with
 * `X87_TRANSC_EXTRA=N X87_SEED=S tools/x87-vectors/record.sh`). Found with
 * tools/x87-transc/ (README there). The microcode evaluates FPATAN as:
 *
 * 1. r = min(|x|,|y|) / max(|x|,|y|) rounded to nearest-even at 68
 *    significant bits;
 * 2. atan(r) = r + d, g = R68(r^2), t = R68(r g), d = t P(g) / Q(g) rounded
 *    to 68 bits, with the relative minimax (7,7) rational on [0, 1] and its
 *    P refitted to the host (`transc_amd_atan.ts`: below r = 2^-5 no
 *    random or atan-aimed case differs, though cases aimed at d's own
 *    rounding cells do; a best fit above);
 * 3. if the result is atan(r) itself (|y| <= |x|, x > 0): r + d rounded
 *    once with the rounding control;
 * 4. otherwise r + d rounded to nearest-even at 68 bits, then pi/2 - a
 *    (|y| > |x|) and/or pi - (...) (x < 0) formed exactly with the 66-bit
 *    pi (pi truncated to 66 bits, the constant of the x87 argument
 *    reduction) and rounded once with the rounding control.
 *
 * Every result of the committed file matches; C1 differs in one (x = 1 +
 * 2^-24, y = 1.5, round-to-nearest: the host's a is one 68-bit unit below
 * the model's, so pi66/2 - a is exactly the 64-bit result and the hardware
 * reports "not rounded up" in every rounding mode). A random hold-out
 * recorded after the model was fixed: 0 + 0 of 18,564 finite cases.
 * Operands chosen so that the last bits of the atan decide the result
 * differ rarely below r = 2^-3 and in about 1 of 9 above (README,
 * "FPATAN: evaluation order (round 6)"): there the host's evaluation of
 * P / Q, not yet known, leaves a scatter of about one unit of d.
 *
 * FPTAN reduces x = n pi66/2 + t exactly (as `transc.ts` does; the same
 * reduction as FSIN / FCOS) and forms tan t = t P(t^2) / Q(t^2), a
 * degree-4/4 rational approximation (the relative minimax one on t^2 <=
 * 0.61685, normalized to Q's t^8 coefficient 2^-19, so P(0) = Q(0) =
 * 1.4527...), with g = t^2 rounded to 68 bits and unfused 68-bit Horner
 * steps, the conventions of the FSIN/FCOS microcode; for odd n the result
 * is -Q / (t P) (cotangent form). There is no octant switch at pi/8 =
 * 2^-1.36: the same quotient with one coefficient set matches random
 * arguments on both sides of it alike (5 of 22,648 differ in [2^-1.5,
 * 2^-1)); see {@link tanAmdZen}. One coefficient set (TAN_P / TAN_Q)
 * serves every reduced argument (tools/x87-transc/README.md, "FPTAN:
 * structure above 2^-1 (round 5)" and the round-6 and round-7 sections;
 * figures are hold-outs recorded after the set was fixed), and is exact
 * on every hold-out ({@link TAN_MODEL_LIMIT}):
 *
 * - |t| < 2^-3 (the domain proven first): no difference in 120,000
 *   near-boundary cases (tan t within 2^-8 of a unit of a rounding
 *   boundary) of 2^-10 ... 2^-3, nor in 23,000 adversarial ones where P's
 *   or Q's last 68-bit cell, or that of P's first Horner step, decides the
 *   result (half of each recorded in round 7, after the set was fixed).
 * - 2^-3 <= |t| <= pi/4 (exact since round 7, when P's p4 was pinned to
 *   its cell): no difference in 98,600 cases aimed at the rounding
 *   midpoints of every Horner step of P and Q (3,000 at P's A3, which the
 *   round-6 set misses in 1,445 and p4 one cell higher or lower in 17 /
 *   16; 25,000 at P's A2: 809), in 60,000 near-boundary
 *   and 100,000 random ones, nor in 100,000 large operands (reductions,
 *   both parities) and 20,000 random ones of a record.sh hold-out. Every
 *   exact tie of a Horner sum that decides a result (about 82,000) is
 *   resolved to even.
 *
 * F2XM1 (`transc_amd_f2xm1.ts`) and FYL2X / FYL2XP1 (`transc_amd_ylog.ts`)
 * have models of their own, each over the domain where it was proven;
 * elsewhere, and for every other CPU model, the correctly rounded results
 * of `transc.ts` stand (tools/x87-transc/README.md has the figures).
 *
 * @module
 */

import { Exc, fx, type Unpacked } from "./f80.ts";
import {
  bitLength,
  horner68Unfused,
  IBITS,
  mulScaled,
  roundExact,
  roundQuotient,
  roundSig,
  type Scaled,
} from "./scaled68.ts";
import { PI66, sig } from "./bigmath.ts";
import { atanAmdRational } from "./transc_amd_atan.ts";

/** Which microcode the transcendental instructions imitate. */
export type TranscModel = "exact" | "amd-zen";

/**
 * The transcendental model of a CPU model: AMD family 0x19 (Zen 3/Zen 4)
 * and 0x1a (Zen 5) get "amd-zen"; anything else the correctly rounded
 * results. Only family 25 model 17 and family 26 model 2 were measured.
 */
export function transcModelOf(m: { vendor: string; family: number }): TranscModel {
  return m.vendor === "AuthenticAMD" && (m.family === 0x19 || m.family === 0x1a)
    ? "amd-zen"
    : "exact";
}

/**
 * Round v * 2^e (v > 0, an exact value, or a value truncated from below
 * when `below`) to `bits` significant bits, nearest-even. Returns the
 * significand and exponent of the result.
 */
function roundBits(v: bigint, e: number, bits: number, below: boolean): [bigint, number] {
  const drop = bitLength(v) - bits;
  if (drop <= 0) return [v, e];
  const d = BigInt(drop);
  let q = v >> d;
  const rem = v - (q << d), half = 1n << (d - 1n);
  // A value truncated from below lies above a remainder of exactly one half.
  if (rem > half || (rem === half && (below || (q & 1n) === 1n))) q++;
  return [q, e + drop];
}

/**
 * FPATAN of finite non-zero operands (ST(1) = y, ST(0) = x) as the AMD
 * microcode computes it; the result goes to fx.
 */
export function atan2AmdZen(y: Unpacked, x: Unpacked, yBig: boolean): void {
  const n = yBig ? x : y, d = yBig ? y : x;
  const nm = sig(n), dm = sig(d);
  // r = nm / dm * 2^ed with nm/dm in (1/2, 2): 68 bits, nearest-even.
  const ed = n.e - d.e;
  const sh = nm >= dm ? IBITS - 1 : IBITS;
  const num = nm << BigInt(sh);
  let R = num / dm;
  const rem2 = (num - R * dm) * 2n;
  if (rem2 > dm || (rem2 === dm && (R & 1n) === 1n)) R++;
  const re = ed - sh; // r = R * 2^re, R < 2^68 (or exactly 2^68 after the round)
  // The host's atan(r) = r + d, exact (transc_amd_atan.ts).
  const [av, avE] = atanAmdRational(R, re);
  if (!yBig && x.s === 0) {
    roundExact(y.s, av, avE);
    fx.exc |= Exc.PE;
    return;
  }
  const [am, ae] = roundBits(av, avE, IBITS, false);
  // pi66 = PI66 * 2^-64; pi66/2 - a and/or pi66 - (...), exactly.
  const E = Math.min(ae, -65);
  const a = am << BigInt(ae - E);
  let v = yBig ? (PI66 << BigInt(-65 - E)) - a : a;
  if (x.s !== 0) v = (PI66 << BigInt(-64 - E)) - v;
  roundExact(y.s, v, E);
  fx.exc |= Exc.PE; // atan of a non-zero rational is never exact
}

/**
 * FPTAN's rational approximation tan t ~ t P(t^2) / Q(t^2): the
 * coefficients of P and Q (constant term first) as (significand, exponent);
 * ONE set for every reduced argument |t| <= pi/4. P(0) = Q(0) = C; Q's last
 * coefficient is 2^-19. Recovered from recorded results
 * (tools/x87-transc/README.md): the constant term from the rounding pattern
 * of tiny arguments, p1 and q1 identified cell by cell
 * (tools/x87-transc/tan_cells_unf.py) from 80,000 probe-recorded cases with
 * |t| < 2^-3 chosen so that one 68-bit cell of P or Q decides the result;
 * p2 .. p4 and q2 .. q4 fitted to the host's 68-bit cells of P and Q
 * (tan5_cellfit.py, tan5_node.py; README "FPTAN: structure above 2^-1
 * (round 5)"), then p2 .. p4, q3 and q4 moved (tan6_node.py) to reproduce
 * 54,000 cases aimed at the rounding midpoints of the first Horner steps
 * A1 = c1 + R68(g A2) and A2 (README "FPTAN: Q's first step (round 6)";
 * tan_coef_one_d.txt): p2 +5 cells, p3 -3246 cells, p4 +3741867 cells, q3
 * +4 cells, and q4 = 2^-19 exactly (the minimax normalization; it was 2^-19
 * + 2^-77.0). All are 68-bit numbers: a fit that let p2 .. p4, q3 and q4
 * carry bits below their cells (tan6_model_wide.txt) did no better on the
 * hold-outs. Round 7 (README "FPTAN: P's inner coefficients pinned (round
 * 7)"; tan_coef_one_e.txt): p4 -419 cells, the only 68-bit value that
 * reproduces 30,000 cases aimed at P's A2 midpoints; p2, p3, q3 and q4
 * are pinned to their cells by the same kind of data.
 */
const TAN_P: readonly Scaled[] = [
  [0x2e7c9697bbdf1e68bn, -65],
  [-0xcc3a370aa4a789270n, -70],
  [0xbae23c0c0df90b4e9n, -75],
  [-0xafa1f16e6fb500d11n, -82],
  [0xb6a503b056eb13db4n, -92],
];
const TAN_Q: readonly Scaled[] = [
  [0x2e7c9697bbdf1e68bn, -65],
  [-0xaf0574ac9e2788b64n, -68],
  [0xa36f5651e07ee2670n, -72],
  [-0x9978effe48a95ac2fn, -78],
  [0x80000000000000000n, -86],
];

/**
 * The model is proven (reproduces every recorded hold-out case) for reduced
 * arguments of magnitude below 2^TAN_MODEL_LIMIT (0: every reduced
 * argument, |t| <= pi/4, since round 7; it was -3 before).
 */
export const TAN_MODEL_LIMIT = 0;

/**
 * FPTAN uses the model up to 2^TAN_BESTFIT_LIMIT (0: every reduced
 * argument, |t| <= pi/4); it would be a best fit above
 * 2^{@link TAN_MODEL_LIMIT}, which is now the same limit (module comment).
 */
export const TAN_BESTFIT_LIMIT = 0;

/**
 * FPTAN of a finite non-zero x reduced to t = T * 2^te (x = n pi66/2 + t,
 * `odd` when n is odd) as the AMD microcode computes it, when |t| <
 * 2^{@link TAN_BESTFIT_LIMIT} (exact below 2^{@link TAN_MODEL_LIMIT}, now
 * the same limit); the result (with PE) goes to fx. `neg` is x's
 * sign. Returns false, leaving fx alone, for larger t.
 *
 * With R68 = rounded to nearest-even at 68 significant bits (the
 * conventions of the FSIN/FCOS microcode, `transc_amd_sincos.ts`): g =
 * R68(t^2); P = P(g) and D = Q(g) by Horner's rule with unfused steps
 * R68(R68(acc * g) + c); N = R68(t * P); the result is N / D (n even) or
 * -D / N (n odd), rounded once with the rounding control from the exact
 * quotient.
 */
export function tanAmdZen(neg: boolean, T: bigint, te: number, odd: boolean): boolean {
  const mag = T < 0n ? -T : T;
  if (mag === 0n || bitLength(mag) + te > TAN_BESTFIT_LIMIT) return false;
  const t: Scaled = [mag, te];
  const g = roundSig(...mulScaled(t, t), IBITS);
  const [pm, pe] = horner68Unfused(TAN_P, g);
  const [nm, ne] = roundSig(...mulScaled(t, [pm, pe]), IBITS);
  const [dm, de] = horner68Unfused(TAN_Q, g);
  // P and Q are positive (|t| <= pi/4); tan t has t's sign.
  const s = (neg ? 1 : 0) ^ (T < 0n ? 1 : 0) ^ (odd ? 1 : 0);
  if (odd) roundQuotient(s, dm, de, nm, ne);
  else roundQuotient(s, nm, ne, dm, de);
  // Reported inexact even when N / D is representable (then a tiny result
  // also reports underflow, as recorded for the smallest denormal).
  if (fx.x === 0) fx.exc |= Exc.UE;
  fx.exc |= Exc.PE;
  return true;
}
