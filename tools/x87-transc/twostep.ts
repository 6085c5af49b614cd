/**
 * Hypothesis (c) for FYL2X/FYL2XP1: the microcode first computes
 * L = log2(x) (or log2(1 + x)) as an internal number of p significant bits
 * (rounded to nearest or truncated), then multiplies by y and rounds once
 * with the rounding control. Variants: L straight from x; L = k + log2(m)
 * with m in [1, 2) or [sqrt(1/2), sqrt(2)) and log2(m) rounded to p bits
 * before the sum is rounded to p bits; and the product rounded to q bits
 * before the final rounding. The recording CPU reports PE for every finite
 * result, so beside the result only C1 is compared. Prints mismatch counts
 * (results, then C1 where the result agrees) per variant and p.
 *
 * Usage (`--file` reads another recording): deno run -A tools/x87-transc/twostep.ts [fyl2x|fyl2xp1]
 *
 * @module
 */

import { fileArg, G, loadFile, roundInt, scale } from "./analyze.ts";
import * as ref from "./reference.ts";
import { log2Atanh } from "./reference.ts";
import type { Operand, Real } from "./reference.ts";
import type { X87Vector } from "../../tests/data/x87_vectors.ts";

const ONE: Operand = { s: 0, e: 0, m: 1n << 63n };

/** Rounding of an intermediate. */
export type Mode = "nearest" | "trunc";

/** Round a real to p significant bits; `inexact` tells whether it changed. */
export function roundBits(r: Real, p: number, mode: Mode): { r: Real; inexact: boolean } {
  const sc = scale(r);
  if (sc === null) return { r, inexact: false };
  const drop = 64 + G - p; // sc.x has 64 + G bits: value = x * 2^(E - 63 - G)
  const q = mode === "trunc" ? sc.x >> BigInt(drop) : roundInt(sc.x, drop, 0, sc.s, sc.tail);
  const inexact = sc.tail || (q << BigInt(drop)) !== sc.x;
  return { r: { s: sc.s, num: q, den: 1n, exp2: sc.E - 63 - G + drop }, inexact };
}

/** Exact sum of two reals. */
export function add(a: Real, b: Real): Real {
  const e = Math.min(a.exp2, b.exp2);
  const an = (a.s ? -a.num : a.num) * b.den << BigInt(a.exp2 - e);
  const bn = (b.s ? -b.num : b.num) * a.den << BigInt(b.exp2 - e);
  const n = an + bn;
  return { s: n < 0n ? 1 : 0, num: n < 0n ? -n : n, den: a.den * b.den, exp2: e };
}

/** Exact product of a real and an operand. */
export function mulOp(a: Real, y: Operand): Real {
  return { s: a.s ^ y.s, num: a.num * y.m, den: a.den, exp2: a.exp2 + y.e - 63 };
}

/** The final rounding: result significand, exponent, sign and C1. */
export function final(
  r: Real,
  rc: number,
): { m: bigint; e: number; s: number; up: boolean } | null {
  const sc = scale(r);
  if (sc === null) return null;
  let m = roundInt(sc.x, G, rc, sc.s, sc.tail);
  let e = sc.E;
  const up = (m << BigInt(G)) > sc.x;
  if (m === 1n << 64n) {
    m >>= 1n;
    e++;
  }
  return { m, e, s: sc.s, up };
}

function int(k: number): Real {
  return { s: k < 0 ? 1 : 0, num: BigInt(Math.abs(k)), den: 1n, exp2: 0 };
}

/** log2 of x (or of 1 + x) under a variant, or null outside the compared domain. */
type LogModel = (x: Operand) => Real;

function variants(op: string, p: number, mode: Mode): Record<string, LogModel> {
  const r = (v: Real) => roundBits(v, p, mode).r;
  // z = (m - 1)/(m + 1) kept in p bits, log2 m = 2 atanh(z)/ln 2 from it; then
  // L = k + log2 m, with log2 m and/or the sum kept in p bits.
  const viaZ = (x: Operand, sqrtRange: boolean, roundLm: boolean, roundSum: boolean): Real => {
    const big = sqrtRange ? x.m > 0xb504f333f9de6484n : false;
    const base = big ? 1n << 64n : 1n << 63n;
    const k = big ? x.e + 1 : x.e;
    const pz = x.m - base;
    if (pz === 0n) return int(k);
    const z = roundBits({ s: 0, num: pz < 0n ? -pz : pz, den: x.m + base, exp2: 0 }, p, mode).r;
    const lm0 = log2Atanh(0n, pz < 0n ? -z.num : z.num, 1n << BigInt(-z.exp2));
    const lm = roundLm ? r(lm0) : lm0;
    const sum = add(int(k), lm);
    return roundSum ? r(sum) : sum;
  };
  if (op === "fyl2xp1") {
    return {
      L: (x) => r(ref.fyl2xp1(ONE, x)),
      "z=r(x/(2+x))": (x) => {
        const px = x.s !== 0 ? -x.m : x.m;
        const z = roundBits(
          { s: 0, num: px < 0n ? -px : px, den: (1n << BigInt(64 - x.e)) + px, exp2: 0 },
          p,
          mode,
        ).r;
        return r(log2Atanh(0n, px < 0n ? -z.num : z.num, 1n << BigInt(-z.exp2)));
      },
      "z=r(x/(2+x)), L exact": (x) => {
        const px = x.s !== 0 ? -x.m : x.m;
        const z = roundBits(
          { s: 0, num: px < 0n ? -px : px, den: (1n << BigInt(64 - x.e)) + px, exp2: 0 },
          p,
          mode,
        ).r;
        return log2Atanh(0n, px < 0n ? -z.num : z.num, 1n << BigInt(-z.exp2));
      },
    };
  }
  return {
    "L=r(log2 x)": (x) => r(ref.fyl2x(ONE, x)),
    "L=e+r(log2 m),m in [1,2)": (x) => {
      const m: Operand = { s: 0, e: 0, m: x.m };
      const lm = x.m === 1n << 63n ? int(0) : r(ref.fyl2x(ONE, m));
      return add(int(x.e), lm);
    },
    "L=k+r(log2 m),m near 1": (x) => {
      const big = x.m > 0xb504f333f9de6484n;
      const m: Operand = { s: 0, e: big ? -1 : 0, m: x.m };
      const lm = x.m === 1n << 63n ? int(0) : r(ref.fyl2x(ONE, m));
      return add(int(big ? x.e + 1 : x.e), lm);
    },
    "L=r(e+r(log2 m)),m in [1,2)": (x) => {
      const m: Operand = { s: 0, e: 0, m: x.m };
      const lm = x.m === 1n << 63n ? int(0) : r(ref.fyl2x(ONE, m));
      return r(add(int(x.e), lm));
    },
    "z~1 r(k+lm)": (x) => viaZ(x, true, false, true),
    "z~1 r(k+r(lm))": (x) => viaZ(x, true, true, true),
    "z~1 k+r(lm)": (x) => viaZ(x, true, true, false),
    "z~1 k+lm": (x) => viaZ(x, true, false, false),
    "z[1,2) r(k+lm)": (x) => viaZ(x, false, false, true),
    "z[1,2) k+r(lm)": (x) => viaZ(x, false, true, false),
    "z[1,2) k+lm": (x) => viaZ(x, false, false, false),
    "L=r(k+r(log2 m)),m near 1": (x) => {
      const big = x.m > 0xb504f333f9de6484n;
      const m: Operand = { s: 0, e: big ? -1 : 0, m: x.m };
      const lm = x.m === 1n << 63n ? int(0) : r(ref.fyl2x(ONE, m));
      return r(add(int(big ? x.e + 1 : x.e), lm));
    },
  };
}

function inDomain(op: string, v: X87Vector): [Operand, Operand] | null {
  const x = ref.operand(v.a), y = ref.operand(v.b);
  if (x === null || y === null || x.s !== 0 && op === "fyl2x") return null;
  if (op === "fyl2x" && x.e === 0 && x.m === 1n << 63n) return null;
  if (op === "fyl2xp1" && !(x.e < -2 || (x.e === -2 && x.m < 0x95f619980c4336f7n))) return null;
  return [x, y];
}

if (import.meta.main) {
  const ops = fileArg(Deno.args).rest.length > 0 ? fileArg(Deno.args).rest : ["fyl2x", "fyl2xp1"];
  const vectors = await loadFile(fileArg(Deno.args).file);
  for (const op of ops) {
    const list = vectors.map((v) => v.op.name === op ? inDomain(op, v) : null);
    for (const mode of ["nearest", "trunc"] as const) {
      for (const q of [0]) {
        for (const p of (Deno.env.get("P") ?? "66,67,68,69,70").split(",").map(Number)) {
          const vs = variants(op, p, mode);
          const cols: string[] = [];
          for (const [name, lm] of Object.entries(vs)) {
            let n = 0, bad = 0, badC1 = 0;
            list.forEach((xy, i) => {
              if (xy === null) return;
              const v = vectors[i];
              let prod = mulOp(lm(xy[0]), xy[1]);
              if (q !== 0) prod = roundBits(prod, q, "nearest").r;
              const o = final(prod, (v.fcw >> 10) & 3);
              const h = ref.operand(v.regs[0]);
              if (o === null || h === null || o.e < -16382) return;
              n++;
              if (o.m !== h.m || o.e !== h.e || o.s !== h.s) bad++;
              else if (o.up !== ((v.fsw & 0x200) !== 0)) badC1++;
            });
            cols.push(`${name}: ${bad}+${badC1}/${n}`);
          }
          console.log(`${op} ${mode} p=${p} q=${q || "-"}  ${cols.join("  ")}`);
        }
      }
    }
  }
}
