/**
 * Writes operand lists (one 20-hex-digit x per line) for ylog_scan.ts, as
 * used for the FYL2X / FYL2XP1 study (README, section "FYL2X / FYL2XP1").
 *
 * Usage:
 *   deno run -A tools/x87-transc/ylog_xs.ts KIND N SEED [LOW TOP] > xs.txt
 * KIND: krand  FYL2X, x = 2^k m with random m in [1, 2) and k = -12 ... 12;
 *       kband  FYL2X, x = 2^k (1 + t), k != 0 (|k| up to 16,000), t of
 *              exponents LOW ... TOP;
 *       knear2 FYL2X, x = 2^k (2 - 2t), t of exponents LOW ... TOP;
 *       below1 FYL2X, x = 1 - t, t of exponents LOW ... TOP;
 *       p1     FYL2XP1, x of either sign with exponents LOW ... TOP.
 *
 * @module
 */

import { rng } from "./ylog_pin.ts";

const [kind, ns, seeds, lowS, topS] = Deno.args;
const next = rng(BigInt(seeds));
const r = (n: number) => Number(next() % BigInt(n));
const eLow = Number(lowS ?? -60), eTop = Number(topS ?? -11);
const hex = (v: number) => v.toString(16).padStart(4, "0");
const KS = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 31, 100, 1000, 16000];
const out: string[] = [];
for (let i = 0; i < Number(ns); i++) {
  const big = next() | (1n << 63n);
  const e = eTop - r(eTop - eLow + 1); // t in [2^(e-1), 2^e)
  const k = KS[r(KS.length)] * (r(2) ? 1 : -1);
  let se: number, m: bigint;
  if (kind === "krand") [se, m] = [16383 + r(25) - 12, big];
  else if (kind === "kband") [se, m] = [16383 + k, (1n << 63n) + (big >> BigInt(-e))];
  else if (kind === "knear2") [se, m] = [16383 + k, (1n << 64n) - (big >> BigInt(-e))];
  else if (kind === "below1") [se, m] = [16382, (1n << 64n) - (big >> BigInt(-e))];
  else [se, m] = [16383 + e - 1 + (r(2) << 15), big];
  out.push(hex(se) + m.toString(16).padStart(16, "0"));
}
console.log(out.join("\n"));
