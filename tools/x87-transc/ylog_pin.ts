/**
 * Pins the microcode's internal logarithm L of one x (FYL2X: log2 x,
 * FYL2XP1: log2(1 + x)) by running the instruction with many random y on
 * the host: if the result is y * L rounded once, every case bounds L to
 * [lo / y, hi / y] (lo, hi the exact products the recorded result stands
 * for); the intersection over a few thousand y narrows L to ~2^-75
 * relative. An empty intersection refutes "y * L rounded once from one
 * value L".
 *
 * Usage:
 *   deno run -A tools/x87-transc/ylog_pin.ts OP N SEED X...
 * OP fyl2x | fyl2xp1; N cases per x (each run in RN, RD, RU); X as 20 hex
 * digits (sign/exponent then significand). Prints, per x, the bounds of L
 * minus exact L in units of 2^-68 of L's binade (u68), the width, and the
 * 68-bit grid points inside.
 *
 * @module
 */

import {
  type Dy,
  enc,
  fixFloor,
  ilog2,
  log2p1,
  log2Q,
  probeAsync,
  productInterval,
  val,
} from "./ylog_lib.ts";

/** Small deterministic generator (xorshift64*). */
export function rng(seed: bigint): () => bigint {
  let s = seed & ((1n << 64n) - 1n) || 1n;
  return () => {
    s ^= s >> 12n;
    s ^= (s << 25n) & ((1n << 64n) - 1n);
    s ^= s >> 27n;
    return (s * 0x2545f4914f6cdd1dn) & ((1n << 64n) - 1n);
  };
}

/** The exact log for op at x (hex), as a rational. */
export function exactLog(op: string, xh: string) {
  const x = val(xh);
  if (op === "fyl2xp1") return log2p1(x.m, x.e);
  return x.e >= 0 ? log2Q(x.m << BigInt(x.e), 1n) : log2Q(x.m, 1n << BigInt(-x.e));
}

/** Bounds of |L| at scale 2^-s from cases (y, result); null when empty. */
export function pinL(
  cases: { y: Dy; fcw: number; fsw: number; r: string }[],
  s: number,
): { lo: bigint; hi: bigint } {
  let lo = -1n, hi = -1n;
  for (const c of cases) {
    const iv = productInterval(c.fcw, c.fsw, c.r);
    if (iv === null) continue;
    const ya = c.y.m < 0n ? -c.y.m : c.y.m;
    // L >= a / y: floor at scale s; L <= b / y: ceil.
    const l = fixFloor({
      n: iv[0].m << BigInt(Math.max(0, iv[0].e - c.y.e) + 0),
      d: ya << BigInt(Math.max(0, c.y.e - iv[0].e)),
    }, s);
    const hq = {
      n: iv[1].m << BigInt(Math.max(0, iv[1].e - c.y.e)),
      d: ya << BigInt(Math.max(0, c.y.e - iv[1].e)),
    };
    const h = -fixFloor({ n: -hq.n, d: hq.d }, s);
    if (lo < 0n || l > lo) lo = l;
    if (hi < 0n || h < hi) hi = h;
  }
  return { lo, hi };
}

if (import.meta.main) {
  const [op, ns, seeds, ...xs] = Deno.args;
  const N = Number(ns);
  const next = rng(BigInt(seeds));
  for (const xh of xs) {
    const L = exactLog(op, xh);
    const neg = L.n < 0n;
    const le = ilog2(L);
    const S = 67 - le + 40; // scale: 2^-40 of a u68
    const lines: string[] = [], ys: Dy[] = [], fcws: number[] = [];
    for (let i = 0; i < N; i++) {
      const Y = next() | (1n << 63n);
      for (const fcw of [0x37f, 0x77f, 0xb7f]) {
        lines.push(`${op} ${fcw.toString(16)} ${xh} ${enc(neg ? 1 : 0, Y, 0)}`);
        ys.push({ m: Y, e: -63 });
        fcws.push(fcw);
      }
    }
    const out = await probeAsync(lines);
    const cases = out.map((o, i) => {
      const [sw, r] = o.split(" ");
      return { y: ys[i], fcw: fcws[i], fsw: parseInt(sw, 16), r };
    });
    const { lo, hi } = pinL(cases, S);
    const ex = fixFloor({ n: neg ? -L.n : L.n, d: L.d }, S);
    const U = 1n << 40n;
    const f = (v: bigint) => (Number(v - ex) / Number(U)).toFixed(6);
    // 68-bit grid points inside [lo, hi]
    const g0 = (lo + U - 1n) / U, g1 = hi / U;
    const grid = [];
    for (let g = g0; g <= g1 && grid.length < 4; g++) {
      grid.push((Number(g * U - ex) / Number(U)).toFixed(3));
    }
    console.log(
      `${xh} L~2^${le} lo-ex ${f(lo)} hi-ex ${f(hi)} width ${
        (Number(hi - lo) / Number(U)).toFixed(6)
      } u68` +
        (hi < lo ? " EMPTY" : "") + ` grid68 [${grid.join(" ")}]`,
    );
  }
}
