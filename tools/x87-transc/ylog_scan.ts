/**
 * Measures the microcode's 68-bit internal logarithm L for many x at once
 * (see ylog_pin.ts for the method) and prints one line per x:
 *   X  e  d  w
 * X the operand (hex), e = floor(log2 |L|), d = (L - exact log) in units of
 * 2^(e-67) (u68), w the width of the measured interval in u68; d is "none"
 * or "many" when the interval holds no or several 68-bit values.
 *
 * Usage:
 *   deno run -A tools/x87-transc/ylog_scan.ts OP N SEED < xs.txt > out.txt
 * (one 20-hex-digit x per input line; N random y per x, each in RN, RD, RU).
 *
 * @module
 */

import { type Dy, enc, fixFloor, ilog2, probeAsync } from "./ylog_lib.ts";
import { exactLog, pinL, rng } from "./ylog_pin.ts";

const [op, ns, seeds] = Deno.args;
const N = Number(ns);
const next = rng(BigInt(seeds));
const xs = new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer())
  .split("\n").map((s) => s.trim()).filter((s) => s.length === 20);
const BATCH = 200;
for (let b = 0; b < xs.length; b += BATCH) {
  const part = xs.slice(b, b + BATCH);
  const lines: string[] = [], ys: Dy[] = [], fcws: number[] = [];
  const info = part.map((xh) => {
    const L = exactLog(op, xh);
    const neg = L.n < 0n;
    for (let i = 0; i < N; i++) {
      const Y = next() | (1n << 63n);
      for (const fcw of [0x37f, 0x77f, 0xb7f]) {
        lines.push(`${op} ${fcw.toString(16)} ${xh} ${enc(neg ? 1 : 0, Y, 0)}`);
        ys.push({ m: Y, e: -63 });
        fcws.push(fcw);
      }
    }
    return { L, neg };
  });
  const out = await probeAsync(lines);
  part.forEach((xh, j) => {
    const { L, neg } = info[j];
    const cases = [];
    for (let i = j * N * 3; i < (j + 1) * N * 3; i++) {
      const [sw, r] = out[i].split(" ");
      cases.push({ y: ys[i], fcw: fcws[i], fsw: parseInt(sw, 16), r });
    }
    const le = ilog2(L);
    const S = 67 - le + 40;
    const U = 1n << 40n;
    const { lo, hi } = pinL(cases, S);
    const ex = fixFloor({ n: neg ? -L.n : L.n, d: L.d }, S);
    const g0 = (lo + U - 1n) / U, g1 = hi / U;
    const w = (Number(hi - lo) / Number(U)).toFixed(4);
    const d = g1 < g0 ? "none" : g1 > g0 ? "many" : (Number(g0 * U - ex) / Number(U)).toFixed(4);
    console.log(`${xh} ${le} ${d} ${w}`);
  });
}
