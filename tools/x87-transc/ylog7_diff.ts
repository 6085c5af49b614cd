/**
 * Head-to-head of two FYL2X / FYL2XP1 models on their 68-bit logarithm L
 * (README, section "FYL2X / FYL2XP1: one structure (round 7)"): random t
 * in one band, the x whose L differs between this tree's model and the
 * model of another tree (a `git archive` of an older commit), then the
 * host's pinned L (ylog_scan.ts) says which model is right.
 *
 * Usage:
 *   deno run -A tools/x87-transc/ylog7_diff.ts diff KIND N SEED B OLD > xs.txt
 *   deno run -A tools/x87-transc/ylog_scan.ts OP 150 SEED < xs.txt > xs.out
 *   deno run -A tools/x87-transc/ylog7_diff.ts judge OP OLD < xs.out
 * KIND: p1 (FYL2XP1, x = t of either sign), k0 (FYL2X, x = 1 + t, either
 * sign), k (FYL2X, x = 2^k (1 + t), k in +-1 ... 12, either sign of t);
 * |t| in [2^B, 2^(B + 1)). OLD: the other tree's root directory. `judge`
 * prints the cases where a model misses and the totals.
 *
 * @module
 */

import { rng } from "./ylog_pin.ts";
import { exactLog } from "./ylog_pin.ts";
import { fixFloor, ilog2 } from "./ylog_lib.ts";

type Model = typeof import("../../cpu/fpu/transc_amd_ylog.ts");

/** L of the model for op and x (hex): [negative, significand, exponent] with |L| = m 2^e. */
function modelL(mod: Model, op: string, xh: string): [boolean, bigint, number] {
  const se = parseInt(xh.slice(0, 4), 16);
  const s = BigInt("0x" + xh.slice(4));
  const ex = (se & 0x7fff) - 16383;
  if (op === "fyl2xp1") {
    const [lm, le] = mod.log2p1Small(s, ex - 63, se >> 15 !== 0);
    return [se >> 15 !== 0, lm, le];
  }
  let k: number, m: bigint, e: number, neg: boolean;
  if (s * s < 1n << 127n) [k, m, e, neg] = [ex, s - (1n << 63n), -63, false];
  else [k, m, e, neg] = [ex + 1, (1n << 64n) - s, -64, true];
  if (k === 0) {
    const [lm, le] = mod.log2p1Small(m, e, neg);
    return [neg, lm, le];
  }
  const [ls, lm, le] = mod.log2Scaled(k, m, e, neg);
  return [ls !== 0, lm, le];
}

/** The value m 2^e as a significand in units of 2^(top - 67) (exact, or -1n when not on that grid). */
function at(m: bigint, e: number, top: number): bigint {
  const s = e - (top - 67);
  if (s >= 0) return m << BigInt(s);
  const q = m >> BigInt(-s);
  return q << BigInt(-s) === m ? q : -1n;
}

const hex = (v: bigint, n: number) => v.toString(16).padStart(n, "0");

if (import.meta.main) {
  const [mode, ...args] = Deno.args;
  if (mode === "diff") {
    const [kind, ns, seeds, bs, oldDir] = args;
    const B = Number(bs);
    const old: Model = await import(`${oldDir}/cpu/fpu/transc_amd_ylog.ts`);
    const cur: Model = await import("../../cpu/fpu/transc_amd_ylog.ts");
    const next = rng(BigInt(seeds));
    const op = kind === "p1" ? "fyl2xp1" : "fyl2x";
    let n = 0;
    for (let i = 0; i < Number(ns); i++) {
      const neg = (next() & 1n) === 1n;
      const r = next() | (1n << 63n);
      let xh: string;
      if (kind === "p1") xh = hex(BigInt((neg ? 0x8000 : 0) + 16383 + B), 4) + hex(r, 16);
      else {
        const k = kind === "k0" ? 0 : (1 + Number(next() % 12n)) * ((next() & 1n) ? -1 : 1);
        // 1 + t = s 2^-63 (t > 0) or 2 - t' = s 2^-63 at exponent k - 1 (t = -t'/2).
        xh = neg
          ? hex(BigInt(16383 + k - 1), 4) + hex((1n << 64n) - (r >> BigInt(-B - 1)), 16)
          : hex(BigInt(16383 + k), 4) + hex((1n << 63n) + (r >> BigInt(-B)), 16);
      }
      const [a, am, ae] = modelL(cur, op, xh);
      const [b, bm, be] = modelL(old, op, xh);
      if (a !== b || am << BigInt(ae - Math.min(ae, be)) !== bm << BigInt(be - Math.min(ae, be))) {
        console.log(xh);
        n++;
      }
    }
    console.error(`${kind} 2^${B}: ${n} of ${ns} differ`);
  } else if (mode === "judge") {
    const [op, oldDir] = args;
    const old: Model = await import(`${oldDir}/cpu/fpu/transc_amd_ylog.ts`);
    const cur: Model = await import("../../cpu/fpu/transc_amd_ylog.ts");
    const lines = new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer())
      .trim().split("\n");
    const tot = { n: 0, newBad: 0, oldBad: 0, unpinned: 0 };
    for (const l of lines) {
      const [xh, les, d] = l.split(" ");
      if (d === "none" || d === "many") {
        tot.unpinned++;
        continue;
      }
      const L = exactLog(op, xh);
      const le = Number(les);
      if (ilog2(L) !== le) throw new Error(`binade of ${xh}`);
      const S = 67 - le + 40, U = 1n << 40n;
      const ex = fixFloor({ n: L.n < 0n ? -L.n : L.n, d: L.d }, S);
      // pinned |L| = g0 2^(le - 67), g0 the integer nearest ex / U + d.
      const g0 = ex / U + BigInt(Math.round(Number(ex % U) / 2 ** 40 + Number(d)));
      const miss = (mod: Model) => {
        const [, m, e] = modelL(mod, op, xh);
        return at(m, e, le) !== g0;
      };
      const nb = miss(cur), ob = miss(old);
      tot.n++;
      if (nb) tot.newBad++;
      if (ob) tot.oldBad++;
      if (nb || ob) console.log(`${xh} ${nb ? "new" : ""}${nb && ob ? "," : ""}${ob ? "old" : ""}`);
    }
    console.log(
      `${op}: ${tot.n} pinned (${tot.unpinned} not pinned): this tree misses ${tot.newBad}, old tree ${tot.oldBad}`,
    );
  }
}
