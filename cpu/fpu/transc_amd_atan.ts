/**
 * The atan(r) of the AMD Zen 4 / Zen 5 FPATAN microcode (0 < r <= 1, the
 * 68-bit ratio of the smaller to the larger operand), measured on AMD EPYC
 * family 26 model 2 (Zen 5) with tools/x87-transc/probe.c (README there,
 * "FPATAN: structure of the atan step (round 5)" and "FPATAN: evaluation
 * order (round 6)").
 *
 * Structure, found from the host's results:
 *
 * - atan(r) = r + d, the sum exact: on the path where the result is atan(r)
 *   itself the host rounds r + d once; elsewhere it rounds r + d to 68 bits
 *   first (the a of `atan2AmdZen`). d is a 68-bit value: the grid of the
 *   host's unrounded sum (seen as how often it lands exactly on a 64-bit
 *   grid point) changes exactly where |atan(r) - r| crosses 2^-5, 2^-4 and
 *   2^-3 (r = 0.4734, 0.6109, 0.7993) and where atan(r) crosses 1/2.
 * - d = r^3 P(g) / Q(g), g = r^2, with no argument reduction: the host's
 *   error against the exact atan(r), mapped over 0 < r <= 1, is the
 *   equioscillating error curve (level 0.163 2^-68, relative) of the
 *   relative minimax (7,7) rational on 0 <= r <= 1 (both (7,7) and (6,8)
 *   give it; a total degree of 13 gives a level 20 to 30 times larger, 16
 *   one 500 times smaller). Below r = 0.2 the measured curve and that of
 *   the minimax coefficients agree to about 0.02 2^-68; from 0.2 on the
 *   host lies a little lower (about 1.8 2^-68 of d).
 * - g = R68(r^2) and t = R68(r g) are rounded to nearest-even at 68 bits
 *   (round 6: on small ratios aimed at d's cells, exact r^3 misses 891 of
 *   4,400 at the best offset per window, R68 of g and t 687; other widths,
 *   directions, orders or a fixed-point format 792 .. 1,677), and d =
 *   R68(t P(g) / Q(g)). The model keeps Q of the minimax rational and P
 *   refitted to the host's d (tools/x87-transc/atan6_fit.py x_xqg, a
 *   linear program on 24,321 direct-path cases; atan6_gt.txt; P moves by
 *   less than 2 2^-68 relative on [0, 1]). How P / Q itself is evaluated is
 *   not known: its 68-bit steps with the minimax coefficients (Horner fused
 *   or unfused, P's or Q's last sum, N = R68(t P), R68(P / Q)) each make the
 *   small-ratio misses worse (786 .. 979 of 4,400), and a scatter of about
 *   one unit of d remains at every r (seen in the results only where d's
 *   unit is not far below a's, r above about 2^-4).
 * - Below r = 2^-{@link ATAN_Q_LIMIT_LOG2} (round 9 for Q below 2^-19, round
 *   10 for both below 2^-10): the host's Q and P are the model's times s =
 *   1.47378308201273675 (Q(0)), with their last Horner sums rounded to nearest
 *   at 68 bits (cells 2^-67 and 2^-69, q0' and p0' on those grids), and d =
 *   R68(t P / Q) times 1 - 5 2^-73. The sums' parts beyond the constants,
 *   whose phases decide the roundings, are (S + B g) g A1 with S = 1.47378308201273675,
 *   B = -2.2775e-7 for Q and S = 1.4737830531314462, B = -2.2225e-7 for P:
 *   measured band by band from r = 2^-26 to 2^-9 by scans of the phases
 *   (tools/x87-transc/atan10_qscan.py); P's S differs from Q's by 2e-8 and
 *   both drift with g, so the host's coefficients are not the model's times
 *   one constant (round 9 took P's scale to be Q's and found P unrounded). At
 *   2^-9 the same constants no longer fit (higher terms); in [2^-10,
 *   2^-9) they fit but lose a round-6 hold-out case, so the limit is 2^-10. Not modelled: a
 *   rounding of N = t P (README round 9), whose phase needs all bits of p0'.
 *
 * Domains (probe hold-outs recorded after the model was fixed, with seeds
 * 0x6A61 .. 0x6A6B, cases aimed so that the last bits of the host's atan
 * decide the result; in brackets the round-5 model, exact r^3 and the
 * minimax P):
 *
 * - exact for r < {@link ATAN_EXACT_LIMIT} = 2^-5: 0 of 3,591 differ (0);
 * - best fit above: 2 of 4,162 in [2^-5, 2^-4) (3), 9 of 4,789 in
 *   [2^-4, 2^-3) (26), 641 of 6,000 in [2^-3, 1] (860); cases aimed at d's
 *   own cells: 487 of 4,000 in [2^-3, 1] (636), and also below 2^-5, 263
 *   of 2,400 (509): made so that d's own 68-bit cell decides the result,
 *   which random and atan-aimed operands there practically never are; next
 *   to r = 1/2 2 of 1,500 (4). Random operands (`record.sh`, 18,564 finite FPATAN cases):
 *   0 + 0 (0 + 0).
 * - Round 9, ratios below 2^-19 aimed at d's cells (tools/x87-transc/atan8_tiny.py gen, seeds
 *   0x9B01 .. 0x9B06, recorded after Q's rounding was committed): 1,180 of 6,400 cases differ
 *   (without Q's rounding 1,437); random operands (`record.sh` seed 0x9a9f2026f1c7, 18,562
 *   finite FPATAN cases): 0 + 0.
 * - Round 10, ratios in [2^-26, 2^-10) aimed at d's cells (atan8_tiny.py gen, seeds 0xC011 ..
 *   0xC025, 0xC017 with x = 1, recorded after the constants were fixed): 1,557 of 13,600 probe
 *   lines differ (the round-9 model 2,191); random operands (`record.sh` seed 0xa10c2026e3b1,
 *   18,625 finite FPATAN cases): 2 + 1, the same three cases as the round-9 model (r = 0.30,
 *   0.49, 0.33), none below 2^-10.
 *
 * @module
 */

import { bitLength, IBITS, roundSig, type Scaled } from "./scaled68.ts";

/** Coefficient scale: the coefficients below are integers times 2^-ATAN_CS. */
export const ATAN_CS = 200;

/**
 * No random or atan-aimed probe case with a ratio below 2^-5 differs; cases
 * aimed at d's own cells do (README figures).
 */
export const ATAN_EXACT_LIMIT = 0.03125;

/**
 * P's coefficients (constant term first), times 2^{@link ATAN_CS}: those of the relative
 * minimax (7,7) approximation atan(r) ~ r + r^3 P(g) / Q(g), g = r^2, on 0 <= r <= 1
 * (tools/x87-transc/atan5_remez.py 7 7; level 0.163 2^-68), refitted with Q fixed to the
 * host's d under g = R68(r^2), t = R68(r g) (tools/x87-transc/atan6_fit.py, atan6_gt.txt).
 */
export const ATAN_P: readonly bigint[] = [
  -0x55555555555555509f5b129e5ecc2514621bb1e509a95e7fabn,
  -0xf767fa2ade96276c3806c38056f1cce21e197d907cec88994cn,
  -0x11198765ec04d2a4af371cef3bcb1fce0c2a59238e18bc01085n,
  -0x9054ec5981b65018ff55e3784d37be8c0bfde338a5fe17dea7n,
  -0x250d83f1153cde56e1e0dbfd11aa0625f689206c63067a9faen,
  -0x42c6b00a71936d313d9793bbf4453cf38fbb539c914b66e7bn,
  -0x261d2b4eb54582e08498397f840ce9f919881de022a45341n,
  -0x6e71b4b461418691e8095cb0fad8b60034da564f192d3n,
];
/** Q's coefficients (Q(0) = 1), times 2^{@link ATAN_CS}. */
export const ATAN_Q: readonly bigint[] = [
  0x100000000000000000000000000000000000000000000000000n,
  0x37fd1881a355c07d8775bd5800c580fcabc82f36c0951adaf27n,
  0x4e0903fbe43ab444807e37d713b8a69ab8201ca93f01e3a582bn,
  0x3738b5e11ec0b756921d9b9fd84bc0e2156aaa9f3adb9721f9an,
  0x14ef97094c339ef4d03e2c6ad279b3a7125ffc1c92b2b6c9d54n,
  0x41cb3b7058e156489bdd3e91435ca900fb7d3bf973811ad7a0n,
  0x5e32a07b50b4d53139d5dead4af5c7698a3c9bc1617d2dee8n,
  0x2b6cfb077797415b4ea66e0c4a9bfcebac24cad8273a4aa0n,
];

/** Ratios below 2^-ATAN_TINY use the same formula with d below r's last bit. */
const ATAN_TINY = 80;

/**
 * P's and Q's last Horner sums are rounded as the host does it for ratios
 * below 2^-ATAN_Q_LIMIT_LOG2 (round 9: Q's below 2^-19; round 10: both,
 * below 2^-10; README "FPATAN: P's and Q's last sums (round 10,
 * fpatan10)"): there the sums' phases follow from two constants per
 * polynomial (a scale and its drift with g), measured band by band.
 */
export const ATAN_Q_LIMIT_LOG2 = 10;

/**
 * The host's Q is s Q(g), s = ATAN_QS (its Q(0)); its last sum's part
 * beyond q0' (on the 68-bit grid of [1, 2)) is (ATAN_QS + ATAN_QB g) g A1q
 * with A1q = (Q(g) - 1) / g: round 10's scans of the sum's phase at r =
 * 2^-19 .. 2^-9 (tools/x87-transc/atan10_qscan.py). Decimal numerators
 * over ATAN_SD (ATAN_QB over ATAN_BD).
 */
const ATAN_QS = 147378308201273675n, ATAN_QB = -22775n;
/** P's last sum beyond p0' (68-bit grid of [1/4, 1/2)): (ATAN_PS + ATAN_PB g) g A1p. */
const ATAN_PS = 147378305313144620n, ATAN_PB = -22225n;
const ATAN_SD = 10n ** 17n, ATAN_BD = 10n ** 11n;
/**
 * The host's p0' / q0' against the model's, below 2^-ATAN_Q_LIMIT_LOG2:
 * d is multiplied by 1 - 5 2^-73 (about -0.16 2^-68: the best constant
 * offset of d on every tiny-ratio set since round 8).
 */
const ATAN_TINY_OFF = 5n;

/**
 * A sum rounded to nearest-even at its cell: returns J - V in units of
 * 1 / den, J = round(V), V = num / den (den > 0).
 */
function roundErr(num: bigint, den: bigint): bigint {
  const neg = num < 0n;
  const a = neg ? -num : num;
  let j = a / den;
  const rem = a - j * den;
  if (2n * rem > den || (2n * rem === den && (j & 1n) === 1n)) j++;
  const e = j * den - a; // (J - V) den for the magnitude
  return neg ? -e : e;
}

/**
 * num / den rounded to nearest-even at 68 significant bits (num of either
 * sign, den > 0): [significand, exponent] with value significand * 2^exponent.
 */
function roundRatio68(num: bigint, den: bigint): Scaled {
  const neg = num < 0n;
  const n = neg ? -num : num;
  const sh = IBITS + 2 - (bitLength(n) - bitLength(den));
  const q0 = sh >= 0 ? (n << BigInt(sh)) / den : n / (den << BigInt(-sh));
  const exact = sh >= 0 ? q0 * den === n << BigInt(sh) : q0 * (den << BigInt(-sh)) === n;
  const drop = bitLength(q0) - IBITS;
  let q = q0 >> BigInt(drop);
  const rem = q0 - (q << BigInt(drop)), half = 1n << BigInt(drop - 1);
  if (rem > half || (rem === half && (!exact || (q & 1n) === 1n))) q++;
  return [neg ? -q : q, drop - sh];
}

/**
 * The host's atan(r) for r = R * 2^re (0 < r <= 1): r + d with g = R68(r^2),
 * t = R68(r g) and d = t P(g) / Q(g) rounded to nearest-even at 68 bits
 * (below r = 2^-{@link ATAN_Q_LIMIT_LOG2} with P's and Q's last sums rounded
 * as the host's, module comment), returned exactly as [v, e] with atan =
 * v * 2^e (v > 0).
 */
export function atanAmdRational(R: bigint, re: number): Scaled {
  const k = -re; // r = R / 2^k
  if (k - bitLength(R) >= ATAN_TINY) {
    // d ~ -r^3/3 lies far below r's last bit: only its sign matters.
    return [(R << 64n) - 1n, re - 64];
  }
  // g = R68(r^2) = G / 2^(2k), t = R68(r g) = T / 2^(3k).
  const [gm, gx] = roundSig(R * R, 0, IBITS);
  const G = gm << BigInt(gx);
  const [tm, tx] = roundSig(R * gm, gx, IBITS);
  const T = tm << BigInt(tx);
  const n = ATAN_P.length - 1;
  // P(g) and Q(g) times 2^(2kn + ATAN_CS), by Horner's rule on integers.
  let pn = ATAN_P[n], qn = ATAN_Q[n];
  for (let i = n - 1; i >= 0; i--) {
    const s = BigInt(2 * k * (n - i));
    pn = pn * G + (ATAN_P[i] << s);
    qn = qn * G + (ATAN_Q[i] << s);
  }
  let off = 0n;
  if (k - bitLength(R) >= ATAN_Q_LIMIT_LOG2) {
    // Tiny ratios: the host's Q is s Q(g) + eQ 2^-67 and its P is s P(g) + eP 2^-69, eQ and eP
    // the rounding errors (in cells) of the last sums, whose parts beyond the constants are
    // (S + B g) g A1 2^cell; d = t P / Q. Scaled by 2^sh: qn = Q(g) 2^sh, so g A1q = (qn -
    // 2^sh) / 2^sh; pn - P0 2^sh likewise, with g = G / 2^(2k).
    const sh = 2 * k * n + ATAN_CS;
    const gq = qn - (ATAN_Q[0] << BigInt(2 * k * n));
    const gp = pn - (ATAN_P[0] << BigInt(2 * k * n));
    const g2 = 1n << BigInt(2 * k);
    // V 2^cell = (S BD 2^2k + B SD G) gA1 2^cell / (SD BD 2^2k 2^sh): numerator over den.
    const den = ATAN_SD * ATAN_BD * g2;
    const eq = roundErr(
      (ATAN_QS * ATAN_BD * g2 + ATAN_QB * ATAN_SD * G) * gq,
      den << BigInt(sh - 67),
    );
    const ep = roundErr(
      (ATAN_PS * ATAN_BD * g2 + ATAN_PB * ATAN_SD * G) * gp,
      den << BigInt(sh - 69),
    );
    // eq = (J - V) den 2^(sh - 67), so Q = s Q(g) + (J - V) 2^-67 = (ATAN_QS qn den + eq
    // ATAN_SD) / (ATAN_SD den 2^sh); P the same (ep over 2^-69); the common factor cancels.
    qn = ATAN_QS * qn * den + eq * ATAN_SD;
    pn = ATAN_QS * pn * den + ep * ATAN_SD;
    off = ATAN_TINY_OFF;
  }
  // d = t P / Q = T pn / (qn 2^(3k)), negative (below the limit times 1 - off 2^-73).
  const [dm, de0] = off === 0n
    ? roundRatio68(T * pn, qn)
    : roundRatio68(T * pn * ((1n << 73n) - off), qn << 73n);
  const de = de0 - 3 * k;
  const E = Math.min(re, de);
  return [(R << BigInt(re - E)) + (dm << BigInt(de - E)), E];
}
