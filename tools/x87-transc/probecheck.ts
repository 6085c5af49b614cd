/**
 * Compares probe.c results with the engine: reads lines
 * `OP FCW A [B] => FSW ST0 ST1` (probe.c's input line, then its output
 * line) and runs the same instruction on a bare FPU state with the AMD Zen
 * transcendental model. Prints the cases whose result (the register the
 * instruction writes) or C1 / PE / UE differ, then the totals per
 * instruction.
 *
 * Usage:
 *   deno run -A tools/x87-transc/probecheck.ts --gen N SEED > in.txt
 *   /tmp/x87probe < in.txt > out.txt
 *   paste -d'>' in.txt out.txt | sed 's/>/ => /' | deno run -A tools/x87-transc/probecheck.ts
 *
 * `--gen N SEED` prints N FPTAN inputs for the model's domain: 8/9 of them
 * random significands with exponents -22 ... -9 and either sign, 1/9 next
 * to k pi/2 (k from 1 to 2^50 + 1, offsets 2^-60 ... 2^-9), each with one
 * of ten control words (all rounding modes, three precision controls).
 *
 * Only FPTAN and FPATAN (the instructions with a model) are supported.
 *
 * @module
 */

import { runOnStack } from "../../cpu/fpu/transc_testing.ts";
import { fpatan, fptan } from "../../cpu/fpu/transc.ts";
import { PROBE_FCWS, xorshiftStar } from "./probe_lib.ts";

const hex = (v: number, n: number) => v.toString(16).padStart(n, "0");

/** Run one case; the written register and FSW. */
function run(op: string, fcw: number, a: string, b: string): [string, number] {
  // FPTAN: tan is ST(1) after the push of 1.0; FPATAN: the result is ST(0) after the pop.
  const r = op === "fptan"
    ? runOnStack((f) => fptan(f, "amd-zen"), fcw, [a, b], 2)
    : runOnStack((f) => fpatan(f, "amd-zen"), fcw, [a, b]);
  return [op === "fptan" ? r.st[1] : r.st[0], r.fsw];
}

const FCWS = PROBE_FCWS;
const KS = [1n, 2n, 3n, 6n, 11n, 1000n, (1n << 30n) + 7n, (1n << 50n) + 1n];
/** pi truncated to 66 bits, times 2^64 (the reduction constant). */
const PI66 = (0xc90fdaa22168c234n << 2n) | 3n;

/** Print `n` FPTAN probe inputs (see the module comment). */
function generate(n: number, seed: bigint): void {
  const rnd = xorshiftStar(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const fcw = FCWS[Number(rnd() % 10n)];
    let se: number, m: bigint;
    if (i % 9 !== 8) {
      se = Number(rnd() % 14n) - 22 + 16383 + (rnd() & 1n ? 0x8000 : 0);
      m = rnd() | (1n << 63n);
    } else {
      // x * 2^65 = k * PI66 / 2 * 2 + d, d of 2^(5..56) magnitude, then rounded to 64 bits.
      const k = KS[Number(rnd() % BigInt(KS.length))];
      const d = (rnd() >> (rnd() % 60n + 8n)) * (rnd() & 1n ? 1n : -1n);
      let v = k * PI66 * 2n + d; // x * 2^66... scaled: value = v * 2^-66
      let e = v.toString(2).length - 1 - 66;
      const drop = BigInt(v.toString(2).length - 64);
      let q = v >> drop;
      if (((v >> (drop - 1n)) & 1n) === 1n) q++;
      if (q >> 64n) {
        q >>= 1n;
        e++;
      }
      v = q;
      se = e + 16383;
      m = v;
    }
    out.push(`fptan ${fcw.toString(16)} ${hex(se, 4)}${m.toString(16).padStart(16, "0")}`);
  }
  console.log(out.join("\n"));
}

if (import.meta.main && Deno.args[0] === "--gen") {
  generate(Number(Deno.args[1]), BigInt(Deno.args[2]));
} else if (import.meta.main) {
  const total = new Map<string, { n: number; bad: number }>();
  const text = await new Response(Deno.stdin.readable).text();
  for (const line of text.split("\n")) {
    const [inp, out] = line.split("=>");
    if (out === undefined) continue;
    const [op, fcwS, a, bIn] = inp.trim().split(/\s+/);
    if (op !== "fptan" && op !== "fpatan") continue;
    const b = bIn ?? "3fff8000000000000000";
    const [fswS, st0, st1] = out.trim().split(/\s+/);
    const hwFsw = parseInt(fswS, 16);
    const hwReg = op === "fptan" ? st1 : st0;
    const [r, fsw] = run(op, parseInt(fcwS, 16), a, b);
    const t = total.get(op) ?? { n: 0, bad: 0 };
    t.n++;
    if (r !== hwReg || (fsw & 0x230) !== (hwFsw & 0x230)) {
      t.bad++;
      console.log(
        `${op} ${fcwS} ${a} ${b}: hw ${hwReg} fsw ${fswS}, engine ${r} fsw ${hex(fsw, 4)}`,
      );
    }
    total.set(op, t);
  }
  for (const [op, t] of total) console.log(`${op}: ${t.n} cases, ${t.bad} differ`);
}
