/**
 * Hold-out check of the FYL2X / FYL2XP1 model against the host: makes
 * cases, runs them through probe.c and through the engine (AMD Zen
 * model), and prints the cases whose result, C1, PE or UE differ, then the
 * totals in and out of the model's domain.
 *
 * Usage:
 *   deno run -A tools/x87-transc/ylog_check.ts KIND N SEED
 * KIND: tiny  FYL2XP1, positive x with exponents -37 ... -16445 (denormals
 *             included);
 *       near1 FYL2X, x = 1 + j 2^-63 with j of 1 ... 56 bits, 1/8 of them
 *             1 - j 2^-64 instead (below 1);
 *       near1band  FYL2X, x = 1 + t with t of exponents LOW ... TOP (two
 *             more arguments, as for edge);
 *       below1band  FYL2X, x = 1 - t, t as for near1band;
 *       edge  FYL2XP1, x of both signs with exponents LOW ... TOP (two more
 *             arguments; default -11 ... -8);
 *       neg   FYL2XP1, negative x below 2^-36;
 *       unit  FYL2X, x in [1/2, 2) (k = 0, and k = +-1 next to the split);
 *       xrand FYL2X, random normal x;
 *       kband FYL2X, x = 2^k (1 + t) or 2^k (2 - 2t) with k != 0 (|k|
 *             below 20 for 3/4 of the cases, up to 16,382 otherwise;
 *             either sign) and t of exponents LOW ... TOP (two more
 *             arguments), 1/16 with t = 0.
 * y has either sign, exponent -20 ... 20 (3/4) or -16000 ... 16000.
 * Each case takes one of ten control words (all rounding modes, three
 * precision controls). Totals are given for the model's exact domain, its
 * best-fit domain (with the count correct rounding would give there) and
 * the rest. Needs the probe binary ($X87PROBE, see ylog_lib.ts).
 *
 * With YLOG_CHECK_OLD=DIR (a checkout of another commit, e.g. from `git
 * archive`) the same cases also run through that tree's engine: the totals
 * line then gives "new / old" counts, and each listed case says which code
 * missed it.
 *
 * @module
 */

import { FpuState } from "../../cpu/fpu/state.ts";
import { begin } from "../../cpu/fpu/stack.ts";
import { fyl2x } from "../../cpu/fpu/transc.ts";
import { inReducedRange, YLOG_K_T_LIMIT, YLOG_POLY_LIMIT } from "../../cpu/fpu/transc_amd_ylog.ts";
import { probeAsync } from "./ylog_lib.ts";
import { rng } from "./ylog_pin.ts";

const hex = (v: number, n: number) => v.toString(16).padStart(n, "0");

function load(f: FpuState, k: number, h: string): void {
  f.sexp[k] = parseInt(h.slice(0, 4), 16);
  f.mant[2 * k + 1] = parseInt(h.slice(4, 12), 16);
  f.mant[2 * k] = parseInt(h.slice(12), 16);
}

/** Run FYL2X / FYL2XP1 on the engine: [result register, FSW]. */
export function runEngine(
  op: string,
  fcw: number,
  a: string,
  b: string,
  model: "amd-zen" | "exact" = "amd-zen",
): [string, number] {
  const f = new FpuState();
  f.fcw = fcw;
  f.fsw = 6 << 11; // ST(0) = R6 = a (x), ST(1) = R7 = b (y)
  f.ftw = 0x0fff;
  load(f, 6, a);
  load(f, 7, b);
  begin(f);
  fyl2x(f, op === "fyl2xp1", model);
  const r = hex(f.sexp[7], 4) + hex(f.mant[15], 8) + hex(f.mant[14], 8);
  return [r, f.fsw];
}

export const FCWS = [0x37f, 0x77f, 0xb7f, 0xf7f, 0x27f, 0x7f, 0xe7f, 0x47f, 0x67f, 0xa7f];

/** Is x (hex) inside the model's domain for op? */
export function inDomain(op: string, x: string): boolean {
  const se = parseInt(x.slice(0, 4), 16);
  const m = BigInt("0x" + x.slice(4));
  if (m === 0n || (se >> 15 && op === "fyl2x")) return false;
  if (op === "fyl2x") {
    // Normal x = 2^k m', m' in [sqrt(1/2), sqrt(2)), x != 1, |m' - 1| below
    // 2^YLOG_POLY_LIMIT (k = 0) or 2^YLOG_K_T_LIMIT (k != 0).
    if (se === 0 || se >= 0x7fff || (se === 16383 && m === 1n << 63n)) return false;
    const high = m * m >= 1n << 127n;
    const t = high ? (1n << 64n) - m : (m - (1n << 63n)) << 1n; // |t| 2^64
    const k0 = se + (high ? 1 : 0) === 16383;
    return t < 1n << BigInt(64 + (k0 ? YLOG_POLY_LIMIT : YLOG_K_T_LIMIT));
  }
  const ex = se & 0x7fff;
  const e = (ex === 0 ? -16382 : ex - 16383) - (63 - (m.toString(2).length - 1));
  return e < YLOG_POLY_LIMIT;
}

/** Is x (hex) in the model's best-fit domain for op (used, not proven exact)? */
export function inBestFit(op: string, x: string): boolean {
  if (inDomain(op, x)) return false;
  const se = parseInt(x.slice(0, 4), 16);
  const m = BigInt("0x" + x.slice(4));
  if (op === "fyl2x") {
    return se > 0 && se < 0x7fff && m >= 1n << 63n && !(se === 16383 && m === 1n << 63n);
  }
  const ex = se & 0x7fff;
  return ex > 0 && m > 0n && inReducedRange(m, ex - 16383 - 63, se >> 15 !== 0);
}

if (import.meta.main) {
  const [kind, ns, seeds, lowS, topS] = Deno.args;
  const eLow = Number(lowS ?? -11), eTop = Number(topS ?? -8);
  const next = rng(BigInt(seeds));
  const r = (n: number) => Number(next() % BigInt(n));
  const lines: string[] = [];
  for (let i = 0; i < Number(ns); i++) {
    const fcw = FCWS[r(FCWS.length)];
    let xse: number, xm = next() | (1n << 63n);
    if (kind === "tiny") {
      const pick = r(10);
      const e = pick < 6 ? -37 - r(60) : pick < 9 ? -37 - r(16000) : -16383;
      xse = e + 16383;
      if (xse <= 0) {
        xse = 0;
        xm >>= BigInt(1 + r(62));
      }
    } else if (kind === "near1") {
      // x = 1 + j 2^-63, j of 1 ... 30 bits (27 and fewer: the domain), or just below 1.
      xse = 16383;
      xm = (1n << 63n) + (next() >> BigInt(8 + r(56)) | 1n);
      if (r(8) === 0) {
        xse = 16382;
        xm = (1n << 64n) - (next() >> BigInt(8 + r(56)) | 1n);
      }
    } else if (kind === "near1band") {
      // x = 1 + t, t of exponent LOW ... TOP.
      xse = 16383;
      const e = eTop - r(eTop - eLow + 1);
      xm = (1n << 63n) + ((next() | (1n << 63n)) >> BigInt(-e));
    } else if (kind === "below1band") {
      // x = 1 - t, t of exponent LOW ... TOP.
      xse = 16382;
      const e = eTop - r(eTop - eLow + 1);
      xm = (1n << 64n) - ((next() | (1n << 63n)) >> BigInt(-e - 1));
    } else if (kind === "kband") {
      // x = 2^k (1 + t), t of exponent LOW ... TOP (or 0), k != 0.
      const mag = r(4) === 0 ? 1 + r(16382) : 1 + r(19);
      xse = 16383 + (r(2) === 0 ? mag : -mag);
      const e = eTop - r(eTop - eLow + 1);
      const d = r(16) === 0 ? 0n : (next() | (1n << 63n)) >> BigInt(-e);
      // Half of them with the significand just below 2 (1 - t/2 after the reduction).
      xm = r(2) === 0 || d === 0n ? (1n << 63n) + d : (1n << 64n) - d;
    } else if (kind === "unit") {
      // FYL2X of x in [1/2, 2): k = 0 and the split at sqrt(2), sqrt(1/2).
      xse = 16382 + r(2);
    } else if (kind === "xrand") {
      // FYL2X of a random normal x (exponent -20 ... 19, or anywhere).
      xse = 16383 + (r(4) === 0 ? r(32000) - 16000 : r(40) - 20);
    } else if (kind === "edge") xse = 16383 + eTop - r(eTop - eLow + 1) + (r(2) << 15);
    else if (kind === "mid") xse = 16383 - 6 - r(40);
    else xse = 16383 - 37 - r(100) + 0x8000;
    const ye = r(4) === 0 ? r(32000) - 16000 : r(40) - 20;
    const y = hex(ye + 16383 + (r(2) << 15), 4) + (next() | (1n << 63n)).toString(16);
    lines.push(
      `${
        kind.startsWith("near1") || kind === "below1band" || kind === "kband" || kind === "xrand" ||
          kind === "unit"
          ? "fyl2x"
          : "fyl2xp1"
      } ${hex(fcw, 3)} ${hex(xse, 4)}${xm.toString(16).padStart(16, "0")} ${y}`,
    );
  }
  const out = await probeAsync(lines);
  const oldDir = Deno.env.get("YLOG_CHECK_OLD");
  const runOld: typeof runEngine | undefined = oldDir
    ? (await import(`${oldDir}/tools/x87-transc/ylog_check.ts`)).runEngine
    : undefined;
  const tot = { inN: 0, inBad: 0, fitN: 0, fitBad: 0, fitCr: 0, outN: 0, outBad: 0 };
  const old = { inBad: 0, fitBad: 0, outBad: 0 };
  lines.forEach((l, i) => {
    const [op, fcwS, a, b] = l.split(" ");
    const [fswS, st0] = out[i].split(" ");
    const hw = parseInt(fswS, 16);
    const [reg, fsw] = runEngine(op, parseInt(fcwS, 16), a, b);
    const dom = inDomain(op, a);
    const bad = reg !== st0 || (fsw & 0x230) !== (hw & 0x230);
    let oldBad = false;
    if (runOld) {
      const [oReg, oFsw] = runOld(op, parseInt(fcwS, 16), a, b);
      oldBad = oReg !== st0 || (oFsw & 0x230) !== (hw & 0x230);
    }
    if (dom) {
      tot.inN++;
      if (bad) tot.inBad++;
      if (oldBad) old.inBad++;
    } else if (inBestFit(op, a)) {
      tot.fitN++;
      if (bad) tot.fitBad++;
      if (oldBad) old.fitBad++;
      const [cr, crFsw] = runEngine(op, parseInt(fcwS, 16), a, b, "exact");
      if (cr !== st0 || (crFsw & 0x230) !== (hw & 0x230)) tot.fitCr++;
    } else {
      tot.outN++;
      if (bad) tot.outBad++;
      if (oldBad) old.outBad++;
    }
    if ((bad || oldBad) && (dom || inBestFit(op, a))) {
      const tag = (dom ? "exact domain" : "best-fit") +
        (runOld ? (bad ? (oldBad ? " (new, old)" : " (new)") : " (old)") : "");
      console.log(`${tag}: ${l}: hw ${st0} fsw ${fswS}, engine ${reg} fsw ${hex(fsw, 4)}`);
    }
  });
  if (runOld) {
    console.log(
      `${kind}: new / old code: in domain ${tot.inBad} / ${old.inBad} differ; ` +
        `best-fit ${tot.fitBad} / ${old.fitBad}; outside ${tot.outBad} / ${old.outBad}`,
    );
  }
  console.log(
    `${kind}: in domain ${tot.inN} cases, ${tot.inBad} differ; best-fit ${tot.fitN} cases, ${tot.fitBad} differ ` +
      `(correct rounding: ${tot.fitCr}); ` +
      `outside ${tot.outN} cases, ${tot.outBad} differ`,
  );
}
