/**
 * FPATAN model search: r = min(|x|,|y|) / max(|x|,|y|) kept in `rb` bits
 * (rounded to nearest or truncated), atan(r) exact from that r, the octant
 * completed with pi/2 and pi from a pi of `pb` bits (nearest or truncated),
 * and the sum rounded once with the rounding control. Prints, per variant,
 * the mismatches (results + C1 where the result agrees) over all finite
 * cases of the recording(s).
 *
 * Usage: deno run -A tools/x87-transc/fpatan.ts [--file vectors.txt.gz]...
 *
 * @module
 */

import { DEFAULT_VECTORS, loadFile } from "./analyze.ts";
import { add, final, type Mode, roundBits } from "./twostep.ts";
import * as ref from "./reference.ts";
import type { Operand, Real } from "./reference.ts";
import { CF, PI } from "../../cpu/fpu/bigmath.ts";
import type { X87Vector } from "../../tests/data/x87_vectors.ts";

/** Parameters of the FPATAN model. */
export interface AtanParams {
  /** Bits of the ratio. */
  rb: number;
  /** Rounding of the ratio. */
  rm: Mode;
  /** Bits of pi (0: exact). */
  pb: number;
  /** Rounding of pi. */
  pm: Mode;
  /** When |y| > |x|: r = 1 / (y/x) with both quotients kept in rb bits. */
  viaInverse?: boolean;
  /** Bits the sum with pi/2 or pi is kept in before the final rounding (0: exact). */
  qb?: number;
  /** Rounding of that sum. */
  qm?: Mode;
  /** Bits atan(r) is kept in before it is added to pi/2 or pi (0: exact). */
  ab?: number;
  /** Rounding of that atan(r). */
  am?: Mode;
  /**
   * Where atan(r) is rounded before the sum: "relative" (ab significant
   * bits), "pi" (on the grid of an ab-bit number in the binade of the pi
   * term) or "sum" (in the binade of the exact sum).
   */
  align?: "relative" | "pi" | "sum";
}

/** Round a real to the grid 2^unit (nearest-even or truncation toward zero). */
export function roundGrid(r: Real, unit: number, mode: Mode): Real {
  // value * 2^-unit = num / den * 2^(exp2 - unit)
  const sh = r.exp2 - unit;
  const n = sh >= 0 ? r.num << BigInt(sh) : r.num;
  const d = sh >= 0 ? r.den : r.den << BigInt(-sh);
  let q = n / d;
  const rem = n - q * d;
  if (mode === "nearest" && (2n * rem > d || (2n * rem === d && (q & 1n) === 1n))) q++;
  return { s: r.s, num: q, den: 1n, exp2: unit };
}

function exponentOf(r: Real): number {
  let e = r.num.toString(2).length - r.den.toString(2).length + r.exp2;
  const lt = (k: number) => {
    // r < 2^k ?
    return k - r.exp2 >= 0
      ? r.num < r.den << BigInt(k - r.exp2)
      : r.num << BigInt(r.exp2 - k) < r.den;
  };
  while (lt(e)) e--;
  while (!lt(e + 1)) e++;
  return e;
}

const TRUE_PI: Real = { s: 0, num: PI, den: 1n, exp2: -Number(CF) };

/** atan2(y, x) under the model, as an exact real to be rounded once. */
export function atanModel(y: Operand, x: Operand, p: AtanParams): Real {
  const pi = p.pb === 0 ? TRUE_PI : roundBits(TRUE_PI, p.pb, p.pm).r;
  const halfPi = { ...pi, exp2: pi.exp2 - 1 };
  const yBig = y.e > x.e || (y.e === x.e && y.m > x.m);
  const n = yBig ? x : y, d = yBig ? y : x;
  let r = roundBits({ s: 0, num: n.m, den: d.m, exp2: n.e - d.e }, p.rb, p.rm).r;
  if (yBig && p.viaInverse) {
    const q = roundBits({ s: 0, num: d.m, den: n.m, exp2: d.e - n.e }, p.rb, p.rm).r;
    r = roundBits({ s: 0, num: q.den, den: q.num, exp2: -q.exp2 }, p.rb, p.rm).r;
  }
  let v = ref.atan({ s: 0, e: r.exp2 + 63, m: r.num });
  if ((yBig || x.s !== 0) && p.ab) {
    const align = p.align ?? "relative";
    if (align === "relative") v = roundBits(v, p.ab, p.am ?? "nearest").r;
    else {
      let ref = x.s !== 0 ? pi : halfPi;
      if (align === "sum") {
        let s: Real = v;
        if (yBig) s = add(halfPi, { ...s, s: 1 });
        if (x.s !== 0) s = add(pi, { ...s, s: s.s ^ 1 });
        ref = s;
      }
      v = roundGrid(v, exponentOf(ref) - (p.ab - 1), p.am ?? "nearest");
    }
  }
  if (yBig) v = add(halfPi, { ...v, s: 1 });
  if (x.s !== 0) v = add(pi, { ...v, s: v.s ^ 1 });
  if ((yBig || x.s !== 0) && p.qb) v = roundBits(v, p.qb, p.qm ?? "nearest").r;
  return { ...v, s: v.s ^ y.s };
}

/** Mismatch count of a model over the finite FPATAN cases: [results, C1 only, cases]. */
export function score(
  list: X87Vector[],
  model: (y: Operand, x: Operand) => Real,
  log = false,
): number[] {
  let n = 0, bad = 0, badC1 = 0;
  for (const v of list) {
    const x = ref.operand(v.a), y = ref.operand(v.b);
    if (x === null || y === null) continue;
    const o = final(model(y, x), (v.fcw >> 10) & 3);
    const h = ref.operand(v.regs[0]);
    if (o === null || h === null || o.e < -16382) continue;
    n++;
    const r = o.m !== h.m || o.e !== h.e || o.s !== h.s;
    const c1 = !r && o.up !== ((v.fsw & 0x200) !== 0);
    if (r) bad++;
    if (c1) badC1++;
    if ((r || c1) && log) {
      console.log(
        `  line ${v.line} fcw ${v.fcw.toString(16)} x ${v.a} y ${v.b}: ${r ? "result" : "C1"}`,
      );
    }
  }
  return [bad, badC1, n];
}

if (import.meta.main) {
  const files: (string | URL)[] = [];
  for (let i = 0; i < Deno.args.length; i++) {
    if (Deno.args[i] === "--file") files.push(Deno.args[++i]);
  }
  if (files.length === 0) files.push(DEFAULT_VECTORS);
  const lists = await Promise.all(
    files.map(async (f) => (await loadFile(f)).filter((v) => v.op.name === "fpatan")),
  );
  const rows: [number, string][] = [];
  const extra = Deno.env.get("FPATAN_SUM") !== undefined;
  for (const rm of ["nearest", "trunc"] as const) {
    for (const rb of extra ? [68] : [66, 67, 68, 69, 70]) {
      for (const pm of ["nearest", "trunc"] as const) {
        for (const pb of extra ? [66] : [0, 64, 65, 66, 67, 68, 69, 70, 71, 72, 74, 76, 80]) {
          for (const qb of extra ? [0, 68, 69, 70, 72, 76, 80, 96, 128] : [0]) {
            for (const qm of extra ? ["nearest", "trunc"] as const : ["nearest"] as const) {
              for (const ab of extra ? [0, 68, 70, 72, 76, 80, 96, 128] : [0]) {
                const p: AtanParams = { rb, rm, pb, pm, qb, qm, ab };
                const s = lists.map((l) => score(l, (y, x) => atanModel(y, x, p)));
                const total = s.reduce((a, b) => a + b[0] + b[1], 0);
                rows.push([
                  total,
                  `ratio ${rb} ${rm}, pi ${pb || "exact"} ${pb ? pm : ""}, sum ${qb || "exact"} ${
                    qb ? qm : ""
                  }, atan ${ab || "exact"}: ` +
                  s.map((c) => `${c[0]}+${c[1]}/${c[2]}`).join("  "),
                ]);
              }
            }
          }
        }
      }
    }
  }
  rows.sort((a, b) => a[0] - b[0]);
  for (const [, r] of rows.slice(0, 15)) console.log(r);
}
