/**
 * Compares the Zen model of FYL2X / FYL2XP1 (cpu/fpu/transc_amd_ylog.ts)
 * with measured internal logarithms (ylog_scan.ts output: `X e d w`, d the
 * offset of the pinned 68-bit |L| from the exact |log|, in units of its
 * last bit). The model is evaluated for every x, also outside the domain
 * where the engine uses it: FYL2X reduces x = 2^k m' with m' in
 * [sqrt(1/2), sqrt(2)) and t = m' - 1, then L = L1 + C W (k = 0) or
 * R68(R68(k + L1) + C W) (k != 0); FYL2XP1 takes t = x. Prints, per class
 * (k = 0 or k != 0) and exponent of |t|, how many x the model reproduces.
 *
 * Usage:
 *   deno run -A tools/x87-transc/ylog_model.ts OP FILE [--list]
 * OP fyl2x | fyl2xp1; `--list` also prints each x the model misses.
 *
 * Note: |L| is compared as a magnitude, like ylog_scan.ts reports it (an
 * early study script read d as a signed offset for negative L, which
 * mirrored every negative logarithm about its exact value).
 *
 * @module
 */

import { log2p1Small, log2Scaled } from "../../cpu/fpu/transc_amd_ylog.ts";
import { bitLength, fixFloor } from "./ylog_lib.ts";
import { exactLog } from "./ylog_pin.ts";

/** The model's |L| for op at x (hex): [significand, exponent], class, exponent of |t|. */
function model(op: string, xh: string): [bigint, number, string, number] | null {
  const se = parseInt(xh.slice(0, 4), 16), sg = BigInt("0x" + xh.slice(4));
  const s = se >> 15, x = se & 0x7fff;
  if (x === 0 || sg === 0n) return null;
  if (op === "fyl2xp1") {
    const [lm, le] = log2p1Small(sg, x - 16383 - 63, s !== 0);
    return [lm, le, "p1", x - 16383];
  }
  if (s !== 0) return null;
  // m' = sg 2^-63 >= sqrt(2) <=> sg^2 >= 2^127: use m'/2, k + 1.
  const high = sg * sg >= 1n << 127n;
  const k = x - 16383 + (high ? 1 : 0);
  const m = high ? (1n << 64n) - sg : sg - (1n << 63n);
  const e = high ? -64 : -63;
  const te = m === 0n ? -99999 : bitLength(m) - 1 + e;
  if (k === 0) {
    if (m === 0n) return null;
    const [lm, le] = log2p1Small(m, e, high);
    return [lm, le, "k=0", te];
  }
  const [, lm, le] = log2Scaled(k, m, e, high);
  return [lm, le, "k!=0", te];
}

if (import.meta.main) {
  const [op, file, flag] = Deno.args;
  const tally = new Map<string, [number, number]>();
  for (const line of Deno.readTextFileSync(file).split("\n")) {
    const [xh, les, ds] = line.trim().split(/\s+/);
    if (!xh || ds === undefined || ds === "none" || ds === "many") continue;
    const md = model(op, xh);
    if (md === null) continue;
    const [lm, le, cls, te] = md;
    // Pinned |L| in units of 2^(e - 67): round(|exact| 2^(67 - e) + d).
    const eL = Number(les), L = exactLog(op, xh);
    const S = 40;
    const ex = fixFloor({ n: L.n < 0n ? -L.n : L.n, d: L.d }, 67 - eL + S);
    const pinned = (ex + BigInt(Math.round(Number(ds) * 2 ** S)) + (1n << BigInt(S - 1))) >>
      BigInt(S);
    const sh = le - eL + 67;
    const ok = sh >= 0 ? lm << BigInt(sh) === pinned : lm === pinned << BigInt(-sh);
    const key = `${cls} t~2^${te < -64 ? "<-64" : te}`;
    const t = tally.get(key) ?? [0, 0];
    t[0]++;
    if (ok) t[1]++;
    tally.set(key, t);
    if (!ok && flag === "--list") console.log(`miss ${xh} (${key})`);
  }
  for (const [key, [n, ok]] of [...tally].sort()) console.log(`${key}: ${ok} of ${n}`);
}
