/**
 * F2XM1 hold-out check: compares probe.c results with the engine's AMD Zen
 * model (cpu/fpu/transc_amd_f2xm1.ts) and with correct rounding, per
 * binade of x, inside the exact domain and outside it (the best-fit domain and beyond).
 *
 * Usage:
 *   deno run -A tools/x87-transc/f2xm1_check.ts --gen N SEED [EMIN EMAX] > in.txt
 *   /tmp/x87probe < in.txt > out.txt
 *   paste -d'>' in.txt out.txt | sed 's/>/ => /' | deno run -A tools/x87-transc/f2xm1_check.ts [--list]
 *
 * `--gen N SEED [EMIN EMAX]` prints N F2XM1 inputs: random 64-bit
 * significands, either sign, exponents uniform in EMIN ... EMAX (default
 * -40 ... -1), plus 1/16 of them tiny (exponents -16300 ... -41), each with
 * one of ten control words (all four rounding modes, three precision
 * controls). The check compares ST(0) and the C1, PE and UE bits of FSW.
 *
 * @module
 */

import { FpuState } from "../../cpu/fpu/state.ts";
import { begin } from "../../cpu/fpu/stack.ts";
import { f2xm1 } from "../../cpu/fpu/transc.ts";
import type { TranscModel } from "../../cpu/fpu/transc_amd.ts";
import {
  F2XM1_EXACT_LIMIT,
  F2XM1_MODEL_LIMIT,
  F2XM1_MODEL_MIN,
} from "../../cpu/fpu/transc_amd_f2xm1.ts";
import { PROBE_FCWS, xorshiftStar } from "./probe_lib.ts";

const hex = (v: number, n: number) => v.toString(16).padStart(n, "0");

/** Run F2XM1 on ST(0) = a (20 hex digits) with `fcw`; ST(0) and FSW. */
export function runF2xm1(model: TranscModel, fcw: number, a: string): [string, number] {
  const f = new FpuState();
  f.fcw = fcw;
  f.fsw = 7 << 11; // TOP = 7: ST(0) = R7
  f.ftw = 0x3fff;
  f.sexp[7] = parseInt(a.slice(0, 4), 16);
  f.mant[15] = parseInt(a.slice(4, 12), 16);
  f.mant[14] = parseInt(a.slice(12), 16);
  begin(f);
  f2xm1(f, model);
  return [hex(f.sexp[7], 4) + hex(f.mant[15], 8) + hex(f.mant[14], 8), f.fsw];
}

const FCWS = PROBE_FCWS;

/** Print `n` probe inputs (see the module comment). */
function generate(n: number, seed: bigint, emin: number, emax: number): void {
  const rnd = xorshiftStar(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const fcw = FCWS[Number(rnd() % 10n)];
    const e = i % 16 === 15
      ? -41 - Number(rnd() % 16260n)
      : emin + Number(rnd() % BigInt(emax - emin + 1));
    const se = e + 16383 + (rnd() & 1n ? 0x8000 : 0);
    const m = rnd() | (1n << 63n);
    out.push(`f2xm1 ${fcw.toString(16)} ${hex(se, 4)}${m.toString(16).padStart(16, "0")}`);
  }
  console.log(out.join("\n"));
}

if (import.meta.main && Deno.args[0] === "--gen") {
  const [n, seed, emin, emax] = Deno.args.slice(1);
  generate(Number(n), BigInt(seed), Number(emin ?? -40), Number(emax ?? -1));
} else if (import.meta.main) {
  const list = Deno.args.includes("--list");
  // per exponent band: cases, model differs, correct rounding differs
  const bands = new Map<string, { n: number; model: number; exact: number }>();
  const text = await new Response(Deno.stdin.readable).text();
  for (const line of text.split("\n")) {
    const [inp, out] = line.split("=>");
    if (out === undefined) continue;
    const [op, fcwS, a] = inp.trim().split(/\s+/);
    if (op !== "f2xm1") continue;
    const [fswS, st0] = out.trim().split(/\s+/);
    const hwFsw = parseInt(fswS, 16);
    const fcw = parseInt(fcwS, 16);
    const e = (parseInt(a.slice(0, 4), 16) & 0x7fff) - 16383;
    const inDomain = e < F2XM1_EXACT_LIMIT && e >= F2XM1_MODEL_MIN;
    const label = inDomain ? "IN " : e < F2XM1_MODEL_LIMIT && e >= F2XM1_MODEL_MIN ? "fit" : "out";
    const key = e < -40 ? "tiny (e < -40)" : `e ${e}`;
    const b = bands.get(key) ?? { n: 0, model: 0, exact: 0 };
    b.n++;
    const differs = ([r, fsw]: [string, number]) => r !== st0 || (fsw & 0x230) !== (hwFsw & 0x230);
    if (differs(runF2xm1("amd-zen", fcw, a))) {
      b.model++;
      if (list) console.log(`${label} ${fcwS} ${a} hw ${st0} ${fswS}`);
    }
    if (differs(runF2xm1("exact", fcw, a))) b.exact++;
    bands.set(key, b);
  }
  const tot = { in: { n: 0, model: 0, exact: 0 }, out: { n: 0, model: 0, exact: 0 } };
  const keys = [...bands.keys()].sort((p, q) =>
    (p.startsWith("tiny") ? -99999 : Number(p.slice(2))) -
    (q.startsWith("tiny") ? -99999 : Number(q.slice(2)))
  );
  for (const k of keys) {
    const b = bands.get(k)!;
    // "in": the exact domain; "out": the best-fit domain and beyond
    const inDom = k.startsWith("tiny") || Number(k.slice(2)) < F2XM1_EXACT_LIMIT;
    const t = inDom ? tot.in : tot.out;
    t.n += b.n;
    t.model += b.model;
    t.exact += b.exact;
    console.log(
      `${k}: ${b.n} cases, model differs ${b.model}, correct rounding differs ${b.exact}`,
    );
  }
  console.log(
    `in the exact domain: ${tot.in.n} cases, model differs ${tot.in.model}, ` +
      `correct rounding ${tot.in.exact}; best fit and outside: ${tot.out.n} cases, model ${tot.out.model}, ` +
      `correct rounding ${tot.out.exact}`,
  );
}
