/**
 * Hold-out checks of the FSIN / FCOS / FSINCOS model
 * (cpu/fpu/transc_amd_sincos.ts) against probe.c runs on the host.
 *
 * Usage:
 *   deno run -A tools/x87-transc/sincos_check.ts --gen N SEED [MAXEXP] > in.txt
 *   /tmp/x87probe < in.txt > out.txt
 *   paste -d'>' in.txt out.txt | sed 's/>/ => /' | deno run -A tools/x87-transc/sincos_check.ts
 *
 * `--gen N SEED [MAXEXP]` prints 3 N probe lines (FSIN, FCOS and FSINCOS of
 * the same operand and control word): 2/3 of the operands are random
 * significands with exponents -70 ... MAXEXP - 1 (default: the model's
 * domain), either sign, and 1/3 lie next to k pi66/2 (k from 1 to 2^40 + 3)
 * with offsets of magnitude 2^-60 ... 2^(MAXEXP - 1). Control words: all
 * rounding modes, three precision controls.
 *
 * The comparison runs each line through the engine on the AMD Zen model
 * and prints the cases whose results, C1, PE or UE differ (with the
 * reduced argument's exponent), then totals per instruction split by
 * whether the reduced argument is inside the model's domain.
 *
 * @module
 */

import { runOnStack } from "../../cpu/fpu/transc_testing.ts";
import { fsincos } from "../../cpu/fpu/transc.ts";
import { PI66 } from "../../cpu/fpu/bigmath.ts";
import { SINCOS_MODEL_LIMIT } from "../../cpu/fpu/transc_amd_sincos.ts";
import { PROBE_FCWS, xorshiftStar } from "./probe_lib.ts";

const hex = (v: number, n: number) => v.toString(16).padStart(n, "0");

const MODE: Record<string, number> = { fsin: 1, fcos: 2, fsincos: 3 };

/** Run one case as probe.c does (ST(1) = 1.0 below the operand): ST(0), ST(1) and FSW. */
function run(op: string, fcw: number, a: string): [string, string, number] {
  const r = runOnStack(
    (f) => fsincos(f, MODE[op], "amd-zen"),
    fcw,
    [a, "3fff8000000000000000"],
    2,
  );
  return [r.st[0], r.st[1], r.fsw];
}

/** Exponent of the reduced argument t (x = n pi66/2 + t), as the engine reduces. */
function reducedExp(a: string): number {
  const x = parseInt(a.slice(0, 4), 16) & 0x7fff;
  const m = BigInt("0x" + a.slice(4));
  if (m === 0n) return -99999;
  const e = x - 16383;
  if (e < -2) return e;
  const xm = m << BigInt(e + 2);
  const n = (xm + (PI66 >> 1n)) / PI66;
  const T = xm - n * PI66;
  const mag = T < 0n ? -T : T;
  return mag === 0n ? -99999 : mag.toString(2).length - 1 - 65;
}

const FCWS = PROBE_FCWS;
const KS = [1n, 2n, 3n, 4n, 5n, 7n, 100n, 12345n, (1n << 20n) + 1n, (1n << 40n) + 3n];

function generate(n: number, seed: bigint, maxExp: number): void {
  const rnd = xorshiftStar(seed);
  const span = BigInt(maxExp + 70);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const fcw = FCWS[Number(rnd() % 10n)];
    let se: number, m: bigint;
    if (i % 3 !== 2) {
      se = Number(rnd() % span) - 70 + 16383 + (rnd() & 1n ? 0x8000 : 0);
      m = rnd() | (1n << 63n);
    } else {
      // x * 2^66 = k * PI66 + d with |d| < 2^(66 + maxExp - 1), then rounded to 64 bits.
      const k = KS[Number(rnd() % BigInt(KS.length))];
      const bits = 6n + rnd() % BigInt(maxExp + 60);
      const d = (rnd() >> (64n - bits)) * (rnd() & 1n ? 1n : -1n);
      const v = 2n * k * PI66 + d; // PI66 is pi66 * 2^64
      const len = v.toString(2).length;
      const drop = BigInt(len - 64);
      let q = v >> drop;
      if (((v >> (drop - 1n)) & 1n) === 1n) q++;
      let e = len - 1 - 66;
      if (q >> 64n) {
        q >>= 1n;
        e++;
      }
      se = e + 16383 + (rnd() & 1n ? 0x8000 : 0);
      m = q;
    }
    const a = `${hex(se, 4)}${m.toString(16).padStart(16, "0")}`;
    for (const op of ["fsin", "fcos", "fsincos"]) out.push(`${op} ${fcw.toString(16)} ${a}`);
  }
  console.log(out.join("\n"));
}

if (import.meta.main && Deno.args[0] === "--gen") {
  generate(Number(Deno.args[1]), BigInt(Deno.args[2]), Number(Deno.args[3] ?? SINCOS_MODEL_LIMIT));
} else if (import.meta.main) {
  const total = new Map<string, { n: number; bad: number }>();
  const text = await new Response(Deno.stdin.readable).text();
  for (const line of text.split("\n")) {
    const [inp, out] = line.split("=>");
    if (out === undefined) continue;
    const [op, fcwS, a] = inp.trim().split(/\s+/);
    if (!(op in MODE)) continue;
    const [fswS, st0, st1] = out.trim().split(/\s+/);
    const hwFsw = parseInt(fswS, 16);
    const [r0, r1, fsw] = run(op, parseInt(fcwS, 16), a);
    const te = reducedExp(a);
    const key = `${op} ${te < SINCOS_MODEL_LIMIT ? "in" : "out"}`;
    const t = total.get(key) ?? { n: 0, bad: 0 };
    t.n++;
    if (r0 !== st0 || r1 !== st1 || (fsw & 0x230) !== (hwFsw & 0x230)) {
      t.bad++;
      console.log(
        `${op} ${fcwS} ${a} (t exp ${te}): hw ${st0} ${st1} fsw ${fswS}, engine ${r0} ${r1} fsw ${
          hex(fsw, 4)
        }`,
      );
    }
    total.set(key, t);
  }
  for (const [k, t] of [...total].sort()) console.log(`${k} domain: ${t.n} cases, ${t.bad} differ`);
}
