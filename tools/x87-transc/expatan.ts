/**
 * Two-step hypotheses for F2XM1 and FPATAN. F2XM1: t = x ln 2 kept in p
 * bits, then e^t - 1 rounded once; or 2^x kept in p bits, minus 1, rounded.
 * FPATAN: the ratio r = min/max of |y|, |x| kept in p bits, atan(r) exact
 * from it, the octant's pi/2 or pi added and the sum rounded once; or also
 * atan(r) kept in p bits before the sum. Prints mismatch counts (results,
 * then C1 where the result agrees) per variant and p.
 *
 * Usage (`--file` reads another recording): deno run -A tools/x87-transc/expatan.ts
 *
 * @module
 */

import { fileArg, loadFile } from "./analyze.ts";
import { add, final, type Mode, roundBits } from "./twostep.ts";
import * as ref from "./reference.ts";
import type { Operand, Real } from "./reference.ts";
import { CF, LN2, PI } from "../../cpu/fpu/bigmath.ts";
import type { X87Vector } from "../../tests/data/x87_vectors.ts";

/** A real as an (unnormalized) operand: value m * 2^(e - 63) with m = num when den = 1. */
function asOperand(r: Real): Operand {
  if (r.den !== 1n) throw new Error("not a dyadic value");
  return { s: r.s, e: r.exp2 + 63, m: r.num };
}

function f2xm1Models(p: number, mode: Mode): Record<string, (x: Operand) => Real> {
  return {
    "t=r(x ln2); e^t-1": (x) => {
      const t = roundBits({ s: x.s, num: x.m * LN2, den: 1n, exp2: x.e - 63 - Number(CF) }, p, mode)
        .r;
      // e^t - 1 = 2^(t/ln2) - 1: evaluate via f2xm1 of t / ln2 would not be exact; use
      // expm1 directly through f2xm1 on the operand t/ln2 is circular, so compute e^t - 1
      // from the series in reference.expm1.
      return ref.expm1(asOperand(t));
    },
    "r(2^x) - 1": (x) => {
      const v = add(ref.f2xm1(x), { s: 0, num: 1n, den: 1n, exp2: 0 });
      return add(roundBits(v, p, mode).r, { s: 1, num: 1n, den: 1n, exp2: 0 });
    },
  };
}

function atanModels(p: number, mode: Mode): Record<string, (y: Operand, x: Operand) => Real> {
  const truePi: Real = { s: 0, num: PI, den: 1n, exp2: -Number(CF) };
  const build = (roundAtan: boolean, piBits = 0) => (y: Operand, x: Operand): Real => {
    const pi = piBits === 0 ? truePi : roundBits(truePi, piBits, mode).r;
    const halfPi = { ...pi, exp2: pi.exp2 - 1 };
    const yBig = y.e > x.e || (y.e === x.e && y.m > x.m);
    const n = yBig ? x : y, d = yBig ? y : x;
    const ratio: Real = { s: 0, num: n.m, den: d.m, exp2: n.e - d.e };
    const r = roundBits(ratio, p, mode).r;
    let a = ref.atan(asOperand(r));
    if (roundAtan) a = roundBits(a, p, mode).r;
    let v: Real = a;
    if (yBig) v = add(halfPi, { ...v, s: 1 });
    if (x.s !== 0) v = add(pi, { ...v, s: v.s ^ 1 });
    return { ...v, s: v.s ^ y.s };
  };
  return {
    "r=r(ratio)": build(false),
    "r=r(ratio), r(atan)": build(true),
    "r=r(ratio), pi p bits": build(false, p),
    "r=r(ratio), pi 66 bits": build(false, 66),
    "r=r(ratio), r(atan), pi p bits": build(true, p),
  };
}

function count(
  list: X87Vector[],
  model: (v: X87Vector) => Real | null,
): string {
  let n = 0, bad = 0, badC1 = 0;
  for (const v of list) {
    const val = model(v);
    if (val === null) continue;
    const o = final(val, (v.fcw >> 10) & 3);
    const h = ref.operand(v.regs[0]);
    if (o === null || h === null || o.e < -16382) continue;
    n++;
    if (o.m !== h.m || o.e !== h.e || o.s !== h.s) bad++;
    else if (o.up !== ((v.fsw & 0x200) !== 0)) badC1++;
  }
  return `${bad}+${badC1}/${n}`;
}

if (import.meta.main) {
  const vectors = await loadFile(fileArg(Deno.args).file);
  const f2 = vectors.filter((v) => v.op.name === "f2xm1");
  const at = vectors.filter((v) => v.op.name === "fpatan");
  console.log(`f2xm1 correctly rounded: ${
    count(f2, (v) => {
      const x = ref.operand(v.a);
      return x === null || x.e >= 0 ? null : ref.f2xm1(x);
    })
  }`);
  console.log(`fpatan correctly rounded: ${
    count(at, (v) => {
      const x = ref.operand(v.a), y = ref.operand(v.b);
      return x === null || y === null ? null : ref.fpatan(y, x);
    })
  }`);
  for (const mode of ["nearest", "trunc"] as const) {
    for (const p of [64, 65, 66, 67, 68, 69, 70, 72]) {
      const cols: string[] = [];
      for (
        const [name, m] of Object.entries(
          fileArg(Deno.args).rest[0] === "fpatan" ? {} : f2xm1Models(p, mode),
        )
      ) {
        cols.push(`${name}: ${
          count(f2, (v) => {
            const x = ref.operand(v.a);
            return x === null || x.e >= 0 ? null : m(x);
          })
        }`);
      }
      for (const [name, m] of Object.entries(atanModels(p, mode))) {
        cols.push(`fpatan ${name}: ${
          count(at, (v) => {
            const x = ref.operand(v.a), y = ref.operand(v.b);
            return x === null || y === null ? null : m(y, x);
          })
        }`);
      }
      console.log(`${mode} p=${p}  f2xm1 ${cols.join("  ")}`);
    }
  }
}
