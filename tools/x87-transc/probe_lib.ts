/**
 * Shared by the probe scripts of tools/x87-transc: the control words every
 * generated case draws from, and the seeded generator of their operands
 * (xorshift64*, so a seed reproduces a probe set exactly).
 *
 * @module
 */

/** FCW values of generated cases: the four rounding controls at 64-bit precision, and 24/53-bit ones. */
export const PROBE_FCWS: readonly number[] = [
  0x37f,
  0x77f,
  0xb7f,
  0xf7f,
  0x27f,
  0x7f,
  0xe7f,
  0x47f,
  0x67f,
  0xa7f,
];

/** A xorshift64* generator seeded with `seed` (made odd): each call, the next 64-bit value. */
export function xorshiftStar(seed: bigint): () => bigint {
  let st = seed | 1n;
  const M64 = (1n << 64n) - 1n;
  return (): bigint => {
    st ^= st >> 12n;
    st ^= (st << 25n) & M64;
    st ^= st >> 27n;
    return (st * 0x2545f4914f6cdd1dn) & M64;
  };
}
