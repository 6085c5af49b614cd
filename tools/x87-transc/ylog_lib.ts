/**
 * Shared helpers of the FYL2X / FYL2XP1 study scripts (ylog_*.ts): 80-bit
 * encoding, the exact logarithms as rationals, a runner for probe.c, and
 * the interval of the exact product that a recorded result stands for.
 *
 * The probe binary is taken from $X87PROBE (default /tmp/x87probe_ylog;
 * build: gcc -O1 -mno-red-zone -o /tmp/x87probe_ylog tools/x87-transc/probe.c).
 *
 * @module
 */

import { atanhBracket, CF, LN2, PREC } from "../../cpu/fpu/bigmath.ts";

/** A finite value M * 2^E (M a signed BigInt). */
export type Dy = { m: bigint; e: number };

export function bitLength(v: bigint): number {
  return v < 0n ? (-v).toString(2).length : v === 0n ? 0 : v.toString(2).length;
}

/** Encode a positive or negative normal value with a 64-bit significand (m has bit 63 set). */
export function enc(s: number, m: bigint, e: number): string {
  // value = m * 2^(e - 63)
  const se = (s << 15) | (e + 16383);
  return se.toString(16).padStart(4, "0") + m.toString(16).padStart(16, "0");
}

/** Decode 20 hex digits into sign, exponent field and significand. */
export function dec(h: string): { s: number; x: number; m: bigint } {
  const se = parseInt(h.slice(0, 4), 16);
  return { s: se >> 15, x: se & 0x7fff, m: BigInt("0x" + h.slice(4)) };
}

/** Value of a decoded register as a dyadic (denormals included). */
export function val(h: string): Dy {
  const d = dec(h);
  const e = (d.x === 0 ? 1 : d.x) - 16383 - 63;
  return { m: d.s ? -d.m : d.m, e };
}

/** Run probe.c on the given input lines; resolves to one output line per input. */
export async function probeAsync(lines: string[]): Promise<string[]> {
  const bin = Deno.env.get("X87PROBE") ?? "/tmp/x87probe_ylog";
  const p = new Deno.Command(bin, { stdin: "piped", stdout: "piped" }).spawn();
  const w = p.stdin.getWriter();
  const wrote = w.write(new TextEncoder().encode(lines.join("\n") + "\n")).then(() => w.close());
  const o = await p.output();
  await wrote;
  const res = new TextDecoder().decode(o.stdout).trim().split("\n");
  if (res.length !== lines.length) {
    throw new Error(`probe: ${res.length} lines for ${lines.length}`);
  }
  return res;
}

/** A rational num / den (den > 0). */
export type Q = { n: bigint; d: bigint };

/**
 * log2 of a positive rational a / b exactly enough (about PREC bits
 * relative): k + log2(v) with v in [sqrt(1/2), sqrt(2)), by atanh.
 */
export function log2Q(a: bigint, b: bigint): Q {
  let k = bitLength(a) - bitLength(b);
  // v = a / (b 2^k) in [1/2, 2); move it to [sqrt(1/2), sqrt(2)).
  let num = a, den = b;
  if (k >= 0) den <<= BigInt(k);
  else num <<= BigInt(-k);
  if (2n * num * num >= 4n * den * den) {
    den <<= 1n;
    k++;
  } else if (2n * num * num < den * den) {
    num <<= 1n;
    k--;
  }
  return log2Plus(BigInt(k), num - den, num + den);
}

/**
 * k + 2 atanh(p/q) / ln 2 as a rational (|p/q| <= 1/2): log2 of (q+p)/(q-p)
 * times 2^k.
 */
export function log2Plus(k: bigint, p: bigint, q: bigint): Q {
  const sh = BigInt(PREC);
  const zf = (p << sh) / q - (p < 0n ? 1n : 0n);
  const ahb = atanhBracket(zf);
  const den = q * LN2 << sh;
  const num = k * den + ((2n * p * ahb) << CF);
  return { n: num, d: den };
}

/** log2(1 + x) for x = m * 2^e (m signed), as a rational. */
export function log2p1(m: bigint, e: number): Q {
  // z = x / (2 + x) = m / (2^(1-e) + m) when e <= 0
  if (e <= 0) {
    const q = (1n << BigInt(1 - e)) + m;
    if (4n * (m < 0n ? -m : m) <= q * 2n) return log2Plus(0n, m, q);
    return log2Q((1n << BigInt(-e)) + m, 1n << BigInt(-e));
  }
  return log2Q((m << BigInt(e)) + 1n, 1n);
}

/** floor(log2 |q|). */
export function ilog2(q: Q): number {
  const n = q.n < 0n ? -q.n : q.n;
  let k = bitLength(n) - bitLength(q.d);
  const ge = (kk: number) => kk >= 0 ? n >= q.d << BigInt(kk) : n << BigInt(-kk) >= q.d;
  if (!ge(k)) k--;
  return k;
}

/** floor(q * 2^s) and ceil. */
export function fixFloor(q: Q, s: number): bigint {
  const n = s >= 0 ? q.n << BigInt(s) : q.n;
  const d = s >= 0 ? q.d : q.d << BigInt(-s);
  const f = n / d;
  return n < 0n && f * d !== n ? f - 1n : f;
}

/**
 * The interval [lo, hi] (dyadic, closed) of exact values that a recorded
 * result r = ST0 (FSW fsw, control word fcw) stands for, when the result
 * is rounded once from the exact value. Magnitudes only: the caller keeps
 * signs positive. Returns null for results it cannot read.
 */
export function productInterval(fcw: number, fsw: number, r: string): [Dy, Dy] | null {
  const d = dec(r);
  if (d.s !== 0 || d.x === 0 || d.x === 0x7fff) return null;
  const e = d.x - 16383 - 63;
  const pe = (fsw & 0x20) !== 0, c1 = (fsw & 0x200) !== 0;
  const M = d.m << 2n; // units of 2^(e-2): quarter ulps
  const E = e - 2;
  const ulp = 4n, ulpb = d.m === 1n << 63n ? 2n : 4n;
  if (!pe) return [{ m: M, e: E }, { m: M, e: E }];
  const rc = (fcw >> 10) & 3;
  if (rc === 0) {
    return c1 ? [{ m: M - ulpb / 2n, e: E }, { m: M, e: E }] : [{ m: M, e: E }, {
      m: M + ulp / 2n,
      e: E,
    }];
  }
  if (rc === 1 || rc === 3) return [{ m: M, e: E }, { m: M + ulp, e: E }];
  return [{ m: M - ulpb, e: E }, { m: M, e: E }];
}
