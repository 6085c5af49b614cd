/**
 * Studies the recorded x87 transcendental results (tests/data/x87_vectors.txt.gz)
 * against exact references: for each instruction, the hardware's error in
 * units in the last place, where the mismatches with the correctly rounded
 * result lie, and how many vectors each candidate model of the microcode
 * reproduces.
 *
 * Usage: deno run -A tools/x87-transc/analyze.ts [--detail OP] [--pi BITS] [--file vectors.txt.gz]
 *
 * @module
 */

import { parseX87Vectors, type X87Vector } from "../../tests/data/x87_vectors.ts";
import * as ref from "./reference.ts";
import type { PiApprox, Real } from "./reference.ts";

/** Fraction bits below the result's last place kept from the exact value. */
export const G = 120;
const GB = BigInt(G);

/** The exact value scaled to its last place: 2^(63+G) <= x < 2^(64+G), value = x * 2^(E - 63 - G). */
export interface Scaled {
  /** Sign bit. */
  s: number;
  /** Exponent of the leading bit. */
  E: number;
  /** Significand with G extra fraction bits (truncated; `inexactTail` if more bits were non-zero). */
  x: bigint;
  /** True if the value has non-zero bits below the G kept ones. */
  tail: boolean;
}

function bitLen(v: bigint): number {
  return v.toString(2).length;
}

/** Scale an exact real to its 64-bit last place with G guard bits. */
export function scale(r: Real): Scaled | null {
  if (r.num === 0n) return null;
  let E = bitLen(r.num) - bitLen(r.den) + r.exp2;
  for (;;) {
    const sh = 63 + G - E + r.exp2; // x = num/den * 2^sh
    const n = sh >= 0 ? r.num << BigInt(sh) : r.num;
    const d = sh >= 0 ? r.den : r.den << BigInt(-sh);
    const x = n / d;
    const bl = bitLen(x);
    if (bl > 64 + G) {
      E++;
      continue;
    }
    if (bl < 64 + G) {
      E--;
      continue;
    }
    return { s: r.s, E, x, tail: x * d !== n };
  }
}

/** Round a non-negative integer with `f` fraction bits to an integer with mode rc (0 RN, 1 down, 2 up, 3 chop) for sign s. */
export function roundInt(v: bigint, f: number, rc: number, s: number, sticky = false): bigint {
  if (f <= 0) return v << BigInt(-f);
  const F = BigInt(f);
  const q = v >> F, r = v & ((1n << F) - 1n);
  const inexact = r !== 0n || sticky;
  if (!inexact) return q;
  if (rc === 0) {
    const half = 1n << (F - 1n);
    if (r > half || (r === half && (sticky || (q & 1n) === 1n))) return q + 1n;
    return q;
  }
  const away = (rc === 2 && s === 0) || (rc === 1 && s === 1);
  return away ? q + 1n : q;
}

/** One analysed vector. */
export interface Case {
  /** Instruction name (fsincos split into `fsincos.sin` and `fsincos.cos`). */
  op: string;
  /** The vector. */
  v: X87Vector;
  /** Rounding control. */
  rc: number;
  /** Exact value. */
  exact: Scaled;
  /** Hardware result in units of the exact value's last place (h * 2^(eh - E)). */
  hw: bigint;
}

function rcOf(fcw: number): number {
  return (fcw >> 10) & 3;
}

/** Hardware result register value in units of 2^(E - 63), or null if not a finite value of that sign. */
function hwUnits(h: string, ex: Scaled): bigint | null {
  const o = ref.operand(h);
  if (o === null || o.s !== ex.s) return null;
  const d = o.e - ex.E;
  if (d < 0 || d > 1) return null;
  return o.m << BigInt(d);
}

/** Which pi the sin/cos/tan references reduce with (`--pi BITS`, 0 = exact). */
export let reductionPi: PiApprox = ref.piBits(66);

/** Set the reduction pi for {@link cases}. */
export function setReductionPi(p: PiApprox): void {
  reductionPi = p;
}

/** The analysable transcendental cases of the vectors (finite normal results). */
export function cases(vectors: X87Vector[]): Case[] {
  const out: Case[] = [];
  const add = (op: string, v: X87Vector, r: Real | null, reg: string) => {
    if (r === null) return;
    const ex = scale(r);
    if (ex === null || ex.E < -16382) return;
    const hw = hwUnits(reg, ex);
    if (hw === null) return;
    out.push({ op, v, rc: rcOf(v.fcw), exact: ex, hw });
  };
  for (const v of vectors) {
    const name = v.op.name;
    const a = ref.operand(v.a), b = ref.operand(v.b);
    if (a === null) continue;
    switch (name) {
      case "f2xm1":
        if (a.e < 0) add(name, v, ref.f2xm1(a), v.regs[0]);
        break;
      case "fsin":
      case "fcos":
      case "fsincos":
      case "fptan": {
        if (a.e >= 63) break;
        const t = ref.trig(a, reductionPi);
        if (name === "fsin") add(name, v, t.sin, v.regs[0]);
        if (name === "fcos") add(name, v, t.cos, v.regs[0]);
        if (name === "fsincos") {
          add("fsincos.sin", v, t.sin, v.regs[1]);
          add("fsincos.cos", v, t.cos, v.regs[0]);
        }
        if (name === "fptan") add(name, v, t.tan, v.regs[1]);
        break;
      }
      case "fyl2x":
        if (b !== null && a.s === 0 && !(a.e === 0 && a.m === 1n << 63n)) {
          add(name, v, ref.fyl2x(b, a), v.regs[0]);
        }
        break;
      case "fyl2xp1":
        // defined range |x| < 1 - sqrt(2)/2
        if (b !== null && (a.e < -2 || (a.e === -2 && a.m < 0x95f619980c4336f7n))) {
          add(name, v, ref.fyl2xp1(b, a), v.regs[0]);
        }
        break;
      case "fpatan":
        if (b !== null) add(name, v, ref.fpatan(b, a), v.regs[0]);
        break;
    }
  }
  return out;
}

/** A model of the result: maps the exact value (and the case) to the integer result in last-place units. */
export type Model = (c: Case) => bigint;

/** Correct rounding. */
export const correct: Model = (c) => roundInt(c.exact.x, G, c.rc, c.exact.s, c.exact.tail);

/** Hypothesis (a): an intermediate of 64 + k bits (truncated, or rounded to nearest), then rounded with RC. */
export function intermediate(k: number, mode: "trunc" | "nearest"): Model {
  return (c) => {
    const i = mode === "trunc"
      ? c.exact.x >> BigInt(G - k)
      : roundInt(c.exact.x, G - k, 0, c.exact.s, c.exact.tail);
    return roundInt(i, k, c.rc, c.exact.s);
  };
}

/** Hardware minus exact, in ulps (float). */
export function errUlps(c: Case): number {
  const d = (c.hw << GB) - c.exact.x;
  return Number(d) / 2 ** G;
}

/** Fraction of the exact value below its last place (0..1). */
export function frac(c: Case): number {
  return Number(c.exact.x & ((1n << GB) - 1n)) / 2 ** G;
}

/** The committed vector file. */
export const DEFAULT_VECTORS: URL = new URL("../../tests/data/x87_vectors.txt.gz", import.meta.url);

/** Split `--file PATH` (default {@link DEFAULT_VECTORS}) from the other command-line arguments. */
export function fileArg(args: string[]): { file: string | URL; rest: string[] } {
  const i = args.indexOf("--file");
  if (i < 0) return { file: DEFAULT_VECTORS, rest: args };
  return { file: args[i + 1], rest: [...args.slice(0, i), ...args.slice(i + 2)] };
}

/** Load and parse a vectors file (gzip). */
export async function loadFile(path: string | URL): Promise<X87Vector[]> {
  const gz = await Deno.readFile(path);
  const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"));
  return parseX87Vectors(await new Response(stream).text()).vectors;
}

function count(cs: Case[], m: Model): number {
  let n = 0;
  for (const c of cs) if (m(c) !== c.hw) n++;
  return n;
}

const RC_NAME = ["nearest", "down", "up", "chop"];

function byOp(cs: Case[]): Map<string, Case[]> {
  const m = new Map<string, Case[]>();
  for (const c of cs) {
    if (!m.has(c.op)) m.set(c.op, []);
    m.get(c.op)!.push(c);
  }
  return m;
}

/** Status word of the case (C1 = bit 9, PE = bit 5). */
function fswOf(c: Case): number {
  return c.v.fsw;
}

/**
 * Interval of the microcode's internal value minus the exact value (ulps)
 * that explains the recorded result, its C1 (rounded up) and PE bits under
 * the recorded rounding control: null when nothing explains it.
 */
export function errInterval(c: Case): [number, number] {
  const X = Number(c.exact.x - (c.hw << GB)) / 2 ** G; // exact - hw, in ulps (hw at 0)
  const pe = (fswOf(c) & 0x20) !== 0, up = (fswOf(c) & 0x200) !== 0;
  // FSINCOS: C1 and PE describe the sine only.
  const flags = c.op !== "fsincos.cos";
  // the internal value V relative to hw: interval
  let lo: number, hi: number;
  if (!pe && flags) lo = hi = 0;
  else if (c.rc === 0) [lo, hi] = !flags ? [-0.5, 0.5] : up ? [-0.5, 0] : [0, 0.5];
  else {
    const away = (c.rc === 2 && c.exact.s === 0) || (c.rc === 1 && c.exact.s === 1);
    [lo, hi] = away ? [-1, 0] : [0, 1];
  }
  return [lo - X, hi - X];
}

function intervalReport(ops: Map<string, Case[]>): void {
  console.log(
    "\n(c) internal error (internal value - exact, ulps) implied by result, C1 and PE:",
  );
  console.log(
    "op: needs e<0 / needs e>0 / either; smallest bound B with |e|<=B for all; " +
      "C1 differs with equal result",
  );
  for (const [op, list] of ops) {
    let neg = 0, pos = 0, B = 0, c1 = 0;
    for (const c of list) {
      const [lo, hi] = errInterval(c);
      if (hi < 0) neg++;
      if (lo > 0) pos++;
      B = Math.max(B, hi < 0 ? -hi : lo > 0 ? lo : 0);
      if (correct(c) === c.hw && c.op !== "fsincos.cos") {
        const crUp = correct(c) << GB > c.exact.x;
        if (crUp !== ((c.v.fsw & 0x200) !== 0) && (c.v.fsw & 0x20) !== 0) c1++;
      }
    }
    console.log(
      `${op}: ${neg} / ${pos} / ${list.length - neg - pos}; B >= ${B.toFixed(4)}; ${c1}`,
    );
  }
}

function report(cs: Case[], detail: string | null): void {
  const ops = byOp(cs);
  console.log(
    `# reduction pi: ${reductionPi.frac > 100 ? "exact" : reductionPi.frac + 2 + " bits"}`,
  );
  console.log(
    "op: cases, mismatches of correct rounding (per rc), max |hw - exact| ulps, mismatch error range",
  );
  for (const [op, list] of ops) {
    const per = [0, 1, 2, 3].map((rc) => {
      const l = list.filter((c) => c.rc === rc);
      return `${RC_NAME[rc]} ${count(l, correct)}/${l.length}`;
    });
    let maxErr = 0;
    let lo = Infinity, hi = -Infinity;
    for (const c of list) {
      const e = errUlps(c);
      maxErr = Math.max(maxErr, Math.abs(e));
      if (correct(c) !== c.hw) {
        lo = Math.min(lo, e);
        hi = Math.max(hi, e);
      }
    }
    console.log(
      `${op}: ${list.length}, ${count(list, correct)} (${per.join(", ")}), max ${
        maxErr.toFixed(4)
      }, mismatch err [${lo.toFixed(4)}, ${hi.toFixed(4)}]`,
    );
  }
  console.log("\nhypothesis (a): mismatches with a 64+k-bit intermediate (trunc / nearest)");
  const ks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  console.log(["op".padEnd(12), "CR", ...ks.map((k) => `k=${k}`)].join("\t"));
  for (const [op, list] of ops) {
    for (const mode of ["trunc", "nearest"] as const) {
      console.log(
        [
          `${op}/${mode[0]}`.padEnd(12),
          count(list, correct),
          ...ks.map((k) => count(list, intermediate(k, mode))),
        ].join("\t"),
      );
    }
  }
  intervalReport(ops);
  if (detail !== null) {
    const list = ops.get(detail) ?? [];
    console.log(`\n${detail}: line rc a b | err(hw-exact) ulps, frac(exact), e interval, mismatch`);
    for (const c of list) {
      const mm = correct(c) !== c.hw ? "MISMATCH" : "";
      console.log(
        `${c.v.line} ${RC_NAME[c.rc]} ${c.v.a} ${c.v.b} | ${errUlps(c).toFixed(6)} ${
          frac(c).toFixed(6)
        } [${errInterval(c).map((x) => x.toFixed(4)).join(", ")}] ${mm}`,
      );
    }
  }
}

if (import.meta.main) {
  const args = [...Deno.args];
  let detail: string | null = null,
    file: string | URL = new URL(
      "../../tests/data/x87_vectors.txt.gz",
      import.meta.url,
    );
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--detail") detail = args[++i];
    else if (args[i] === "--file") file = args[++i];
    else if (args[i] === "--pi") {
      const bits = Number(args[++i]);
      setReductionPi(ref.piBits(bits));
    }
  }
  const vectors = await loadFile(file);
  report(cases(vectors), detail);
}
