/**
 * Host-side model of the MIPS benchmark guest (guests/src/bench/loop.S and
 * bench.c): the checksum it prints for N iterations, and the number of
 * instructions its loop retires (34 per iteration).
 *
 * @module
 */

/** Instructions retired per loop iteration (both widths). */
export const INSTRUCTIONS_PER_ITERATION = 34;

/** The checksum `bench.c` prints after `n` iterations at `bits` width. */
export function benchChecksum(bits: 32 | 64, n: number): bigint {
  const W = BigInt(bits);
  const M = (1n << W) - 1n;
  const words = 8;
  const arr: bigint[] = [];
  for (let i = 0; i < words; i++) arr.push((0x0101010101010101n * BigInt(i + 1)) & M);
  let a = bits === 64 ? 0x0123456789abcdefn : 0x89abcdefn;
  let b = bits === 64 ? 0x0fedcba987654321n : 0x87654321n;
  let d = bits === 64 ? 0x1111111111111111n : 0x11111111n;
  const signed = (v: bigint): bigint => (v >> (W - 1n)) & 1n ? v - (1n << W) : v;
  const rol = (v: bigint, k: bigint): bigint => ((v << k) | (v >> (W - k))) & M;
  for (let c = n; c > 0; c--) {
    a = (a + d) & M;
    b ^= a;
    d = (d + ((b << 3n) & M)) & M;
    let t = (b * 0x5bd1e995n) & M;
    a ^= t;
    t >>= 7n;
    b = (b + t) & M;
    const idx = c & 7;
    const v = (arr[idx] + a) & M;
    arr[idx] = v;
    d = rol(d ^ v, 13n);
    b = (a & 1n) === 0n ? (b - 5n) & M : (b + 3n) & M;
    let e = (1n + a + 2n * b) & M;
    d = (d - e) & M;
    e = a < d ? e | 0x11n : e ^ 0x55n;
    a = (a + (d & 0xffn)) & M;
    b ^= (signed(arr[1]) >> 3n) & M;
    d = (d + e) & M;
  }
  const r = ((a ^ b) + d) & M;
  let sum = r;
  for (let i = 0; i < words; i++) sum = (sum + arr[i] * BigInt(i + 1)) & 0xffffffffffffffffn;
  return sum;
}
