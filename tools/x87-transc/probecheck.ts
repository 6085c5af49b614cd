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

import { FpuState } from "../../cpu/fpu/state.ts";
import { begin } from "../../cpu/fpu/stack.ts";
import { fpatan, fptan } from "../../cpu/fpu/transc.ts";

const hex = (v: number, n: number) => v.toString(16).padStart(n, "0");

function load(f: FpuState, k: number, h: string): void {
  f.sexp[k] = parseInt(h.slice(0, 4), 16);
  f.mant[2 * k + 1] = parseInt(h.slice(4, 12), 16);
  f.mant[2 * k] = parseInt(h.slice(12), 16);
}

function reg(f: FpuState, k: number): string {
  return hex(f.sexp[k], 4) + hex(f.mant[2 * k + 1], 8) + hex(f.mant[2 * k], 8);
}

/** Run one case; the written register and FSW. */
function run(op: string, fcw: number, a: string, b: string): [string, number] {
  const f = new FpuState();
  f.fcw = fcw;
  f.fsw = 6 << 11; // TOP = 6: ST(0) = R6 = a, ST(1) = R7 = b
  f.ftw = 0x0fff;
  load(f, 6, a);
  load(f, 7, b);
  begin(f);
  if (op === "fptan") fptan(f, "amd-zen");
  else fpatan(f, "amd-zen");
  // FPTAN: tan in R6 (ST(1) after the push); FPATAN: result in R7 (ST(0) after the pop).
  return [reg(f, op === "fptan" ? 6 : 7), f.fsw];
}

const FCWS = [0x37f, 0x77f, 0xb7f, 0xf7f, 0x27f, 0x7f, 0xe7f, 0x47f, 0x67f, 0xa7f];
const KS = [1n, 2n, 3n, 6n, 11n, 1000n, (1n << 30n) + 7n, (1n << 50n) + 1n];
/** pi truncated to 66 bits, times 2^64 (the reduction constant). */
const PI66 = (0xc90fdaa22168c234n << 2n) | 3n;

/** Print `n` FPTAN probe inputs (see the module comment). */
function generate(n: number, seed: bigint): void {
  let st = seed | 1n;
  const M64 = (1n << 64n) - 1n;
  const rnd = (): bigint => {
    st ^= st >> 12n;
    st ^= (st << 25n) & M64;
    st ^= st >> 27n;
    return (st * 0x2545f4914f6cdd1dn) & M64;
  };
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
