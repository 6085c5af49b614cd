/**
 * Fits and tests models of the internal logarithm L of FYL2XP1 (and FYL2X
 * near 1) against ylog_scan.ts output (lines `X e d w`: the 68-bit L of
 * each x, as an offset d from the exact log2(1 + x) in units of L's last
 * bit).
 *
 * Usage:
 *   deno run -A tools/x87-transc/ylog_fit.ts const FILE
 *     tiny positive x (exponent <= -68): intersects the intervals
 *     |x C - L| <= L's half unit and prints the range of C minus log2(e)
 *     in units of 2^-68 and the shortest dyadic in it (the constant C).
 *   deno run -A tools/x87-transc/ylog_fit.ts grid FILE
 *     positive x: for P = ln(1 + x)/x rounded on a fixed grid 2^-G (G = 64
 *     ... 73; nearest, down, up), T = R68(x P), L = R68(T C) with C =
 *     log2(e) rounded to 66 bits, prints how many x each variant
 *     reproduces per exponent of x (G = 67 nearest fits every x below 2^-37;
 *     the final model, exact below 2^-10, keeps this P1 = R67(1 - x/2) but
 *     adds the rest of 2z and the atanh remainder exactly: README).
 *
 * @module
 */

import { exactLog } from "./ylog_pin.ts";
import { bitLength, fixFloor, val } from "./ylog_lib.ts";
import { CF, LN2 } from "../../cpu/fpu/bigmath.ts";

/** log2(e) rounded to 66 bits, times 2^65 (cpu/fpu/transc_amd_ylog.ts). */
const C66 = 0x2e2a8eca5705fc2efn;

type Row = { m: bigint; e: number; G: bigint; le: number }; // x = m 2^e, L = G 2^(le-67)

function readRows(file: string): Row[] {
  const rows: Row[] = [];
  for (const line of Deno.readTextFileSync(file).split("\n")) {
    const [xh, les, ds] = line.trim().split(/\s+/);
    if (!xh || ds === "none" || ds === "many" || xh[0] >= "8") continue; // positive x only
    const le = Number(les);
    const L = exactLog("fyl2xp1", xh);
    const S = 40;
    const ex = fixFloor(L, 67 - le + S); // exact L in units of 2^(le-67-S)
    const G = (ex + BigInt(Math.round(Number(ds) * 2 ** S)) + (1n << BigInt(S - 1))) >> BigInt(S);
    const x = val(xh);
    rows.push({ m: x.m, e: x.e, G, le });
  }
  return rows;
}

/** Round v > 0 to 68 significant bits, nearest-even: [significand, added exponent]. */
function r68(v: bigint): [bigint, number] {
  const d = bitLength(v) - 68;
  if (d <= 0) return [v, 0];
  const D = BigInt(d);
  let q = v >> D;
  const rem = v - (q << D), half = 1n << (D - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q++;
  return [q, d];
}

/** Does L = Lm 2^Le equal G 2^(le-67)? */
function same(Lm: bigint, Le: number, G: bigint, le: number): boolean {
  const k = Le - (le - 67);
  return k >= 0 ? Lm << BigInt(k) === G : Lm === G << BigInt(-k);
}

/** P = ln(1 + t)/t for t = m 2^e on the grid 2^-g, rounded by mode ("n", "d", "u"). */
function pGrid(m: bigint, e: number, g: number, mode: string): bigint {
  const PF = 200;
  let p = 0n, tk = 1n << BigInt(PF);
  for (let k = 0n; tk !== 0n; k++) {
    p += (k & 1n) === 0n ? tk / (k + 1n) : -(tk / (k + 1n));
    tk = e >= 0 ? (tk * m) << BigInt(e) : (tk * m) >> BigInt(-e);
  }
  const sh = BigInt(PF - g);
  if (mode === "d") return p >> sh;
  if (mode === "u") return -((-p) >> sh);
  return (p + (1n << (sh - 1n))) >> sh;
}

if (import.meta.main) {
  const [mode, file] = Deno.args;
  const rows = readRows(file);
  if (mode === "const") {
    // C in [(2G - 1) 2^(le-68) / x, (2G + 1) 2^(le-68) / x], x = m 2^e; fixed point 2^-F.
    const F = 120;
    let lo = -1n, hi = -1n;
    let n = 0;
    for (const r of rows) {
      if (r.e + 63 > -68) continue;
      n++;
      const sh = r.le - 68 - r.e + F;
      const a = ((2n * r.G - 1n) << BigInt(sh)) / r.m;
      const b = (((2n * r.G + 1n) << BigInt(sh)) + r.m - 1n) / r.m;
      if (lo < 0n || a > lo) lo = a;
      if (hi < 0n || b < hi) hi = b;
    }
    const ref = (1n << (CF + BigInt(F))) / LN2; // log2(e) = 1 / ln 2
    const u68 = F - 68;
    const off = (v: bigint) => (Number(v - ref) / 2 ** u68).toFixed(4);
    console.log(`${n} tiny x; C - log2(e) in [${off(lo)}, ${off(hi)}] * 2^-68`);
    for (let k = 60; k <= F; k++) {
      const s = BigInt(F - k);
      const c = ((lo + (1n << s) - 1n) >> s) << s;
      if (c <= hi) {
        console.log(`shortest dyadic: ${(c >> s).toString(16)} * 2^-${k}`);
        break;
      }
    }
  } else {
    const byExp = new Map<number, Map<string, number>>();
    const total = new Map<number, number>();
    for (const r of rows) {
      const ex = r.e + 63;
      total.set(ex, (total.get(ex) ?? 0) + 1);
      const hits = byExp.get(ex) ?? new Map<string, number>();
      for (let g = 64; g <= 73; g++) {
        for (const md of ["n", "d", "u"]) {
          const P = pGrid(r.m, r.e, g, md);
          const [tm, td] = r68(r.m * P);
          const [lm, ld] = r68(tm * C66);
          if (same(lm, ld + td + r.e - g - 65, r.G, r.le)) {
            hits.set(`${g}${md}`, (hits.get(`${g}${md}`) ?? 0) + 1);
          }
        }
      }
      byExp.set(ex, hits);
    }
    for (const [ex, hits] of [...byExp].sort((a, b) => a[0] - b[0])) {
      const best = [...hits].sort((a, b) => b[1] - a[1]).slice(0, 4);
      console.log(
        `e ${ex}: ${total.get(ex)} x; ` + best.map(([k, v]) => `grid 2^-${k}: ${v}`).join(", "),
      );
    }
  }
}
