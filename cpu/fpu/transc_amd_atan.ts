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
 * - Below r = 2^-{@link ATAN_Q_LIMIT_LOG2} (round 10; README "FPATAN: P's
 *   and Q's last sums (round 10, fpatan10)"): the host's P and Q are the
 *   model's times sigma F(g), F = 1 + kappa g + lambda g^2 (the ratio
 *   unchanged; sigma = 1.47378322157151001, kappa = -3.313626761999e-7,
 *   lambda = 1.57033e-7), each with its constant term a 68-bit number (q0' =
 *   0xbca4edb905862d89d 2^-67, p0' = -0xfb86924c075d91ff3 2^-69) and its
 *   last Horner sum rounded to nearest at 68 bits; N = R68(t P) and d =
 *   R68(N / Q). The phases of the two sums, measured band by band at r =
 *   2^-26 .. 2^-10 (tools/x87-transc/atan10_qscan.py), gave sigma, kappa,
 *   lambda; the phase of N then gave p0' (atan10_p0scan.py), and q0'
 *   follows from p0' and the constant offset of d. Exact on every aimed
 *   probe set below 2^-12 (fit and hold-out figures below); a few cases in
 *   [2^-12, 2^-8) still differ (higher terms of F).
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
 * - Round 10, ratios aimed at d's cells (atan8_tiny.py gen, seeds 0xF109 .. 0xF116, 0xF010 ..
 *   0xF024, 0xE011 .. 0xE027, 0xD014 .. 0xD028 and x = 1 sets, recorded after round-10 commits and
 *   never used for fitting): below 2^-12 0 of 47,126 probe lines differ (the round-9 model
 *   7,595), in [2^-12, 2^-10) 20 of 13,600 (2,327), in [2^-10, 2^-8) 33 of 6,000 (1,085);
 *   random operands (`record.sh` seed 0xa1012026cafe, 18,539 finite FPATAN cases, 5,773 of them
 *   with ratios in (2^-80, 2^-8)): 1 + 0, the same case as the round-9 model (r = 0.98).
 *
 * @module
 */

import { bitLength, IBITS, roundSig, type Scaled } from "./scaled68.ts";

/** Coefficient scale: the coefficients below are integers times 2^-ATAN_CS. */
export const ATAN_CS = 200;

/**
 * No random or atan-aimed probe case with a ratio below 2^-5 differs; cases
 * aimed at d's own cells do, except below 2^-12 (round 10; README figures).
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
 * Ratios below 2^-ATAN_Q_LIMIT_LOG2 follow the host's own evaluation
 * (round 10, `atanTinyD`; README figures): exact below 2^-12 on every
 * aimed probe set; in [2^-12, 2^-8) a few aimed cases in 1,000 differ;
 * above 2^-8 F's next term (or the inner roundings) is missing.
 */
export const ATAN_Q_LIMIT_LOG2 = 8;

/**
 * The host's constant terms below 2^-ATAN_Q_LIMIT_LOG2 (round 10): q0' =
 * ATAN_Q0 2^-67 and p0' = -ATAN_P0 2^-69, 68-bit numbers. p0' was found by
 * the phase of N = R68(t P) (tools/x87-transc/atan10_p0scan.py with `H2`:
 * z 26.2 on 16,000 fit cases, 14.6 on 5,800 hold-out cases, noise 5.4);
 * q0' is the 68-bit number whose ratio to p0' is the model's P(0) / Q(0)
 * times 1 - 0.168 2^-68, the constant offset of d that every tiny-ratio
 * set has shown since round 8 (the neighbours give 1.19 and -1.52).
 */
const ATAN_Q0 = 0xbca4edb905862d89dn, ATAN_P0 = 0xfb86924c075d91ff3n;
/**
 * The host's P and Q below 2^-ATAN_Q_LIMIT_LOG2 are the model's times
 * sigma F(g), F = 1 + kappa g + lambda g^2 (their ratio unchanged): sigma =
 * ATAN_FS / 10^18, kappa = ATAN_FK / 10^22, lambda = ATAN_FL / 10^14, from
 * the phases of P's and Q's last sums at r = 2^-26 .. 2^-10
 * (tools/x87-transc/atan10_qscan.py; README "FPATAN: P's and Q's last sums
 * (round 10, fpatan10)"). They give the sums' parts beyond p0' and q0'.
 */
const ATAN_FS = 1473783221571510010n, ATAN_FK = -3313626761999068n, ATAN_FL = 15703300n;

/** num / den (den > 0) rounded to the nearest integer, ties to even. */
function roundNear(num: bigint, den: bigint): bigint {
  const neg = num < 0n;
  const a = neg ? -num : num;
  let j = a / den;
  const rem = a - j * den;
  if (2n * rem > den || (2n * rem === den && (j & 1n) === 1n)) j++;
  return neg ? -j : j;
}

/**
 * d for a ratio below 2^-{@link ATAN_Q_LIMIT_LOG2} as the host computes it
 * (round 10): P68 = p0' + JP 2^-69 and Q68 = q0' + JQ 2^-67, JP and JQ the
 * nearest-even roundings of sigma (V(g) F(g) - v0) 2^cell (V the model's
 * polynomial, v0 its constant term); N = R68(t P68); d = R68(N / Q68).
 * pn, qn: the model's P(g), Q(g) times 2^(2kn + ATAN_CS); g = G 2^-2k; t = T
 * 2^-3k. Returns d as [m, e].
 */
function atanTinyD(k: number, n: number, G: bigint, T: bigint, pn: bigint, qn: bigint): Scaled {
  const sh = 2 * k * n + ATAN_CS;
  const g2 = 1n << BigInt(2 * k);
  const kd = 10n ** 22n, ld = 10n ** 14n, sd = 10n ** 18n;
  // F = fn / fd.
  const fd = kd * ld * g2 * g2;
  const fn = fd + ATAN_FK * ld * G * g2 + ATAN_FL * kd * G * G;
  // sigma (V F - v0) 2^cell = ATAN_FS (vn fn - v0n fd) / (sd fd 2^(sh - cell)).
  const jq = roundNear(
    ATAN_FS * (qn * fn - (ATAN_Q[0] << BigInt(2 * k * n)) * fd),
    (sd * fd) << BigInt(sh - 67),
  );
  const jp = roundNear(
    ATAN_FS * (pn * fn - (ATAN_P[0] << BigInt(2 * k * n)) * fd),
    (sd * fd) << BigInt(sh - 69),
  );
  const [nm, ne] = roundSig(T * (jp - ATAN_P0), -(3 * k) - 69, IBITS);
  const [dm, de] = roundRatio68(nm, ATAN_Q0 + jq);
  return [dm, de + ne + 67];
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
  // d = t P / Q = T pn / (qn 2^(3k)), negative; tiny ratios as the host (atanTinyD).
  let dm: bigint, de: number;
  if (k - bitLength(R) >= ATAN_Q_LIMIT_LOG2) {
    [dm, de] = atanTinyD(k, n, G, T, pn, qn);
  } else {
    const [m, e0] = roundRatio68(T * pn, qn);
    [dm, de] = [m, e0 - 3 * k];
  }
  const E = Math.min(re, de);
  return [(R << BigInt(re - E)) + (dm << BigInt(de - E)), E];
}
