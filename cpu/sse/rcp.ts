/**
 * RCPPS/RCPSS/RSQRTPS/RSQRTSS: the hardware's approximation tables
 * (rcp_table.ts, recorded on an AMD EPYC) with the exponent and
 * special-value model that the table extractor verified over all 2^32
 * inputs. These instructions raise no MXCSR exceptions.
 *
 * @module
 */
import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { RCP_HEX, RSQRT0_HEX, RSQRT1_HEX } from "./rcp_table.ts";
import { loadS, S, sseCheck } from "./operands.ts";

function table(hex: string): Uint32Array {
  const t = new Uint32Array(4096);
  for (let k = 0; k < 4096; k++) t[k] = parseInt(hex.slice(8 * k, 8 * k + 8), 16);
  return t;
}

const RCP = table(RCP_HEX);
const RSQ0 = table(RSQRT0_HEX);
const RSQ1 = table(RSQRT1_HEX);

/** Approximate 1/x of binary32 bits `b`. */
export function rcp32(b: number): number {
  const s = b & 0x80000000, e = (b >>> 23) & 0xff, m = b & 0x7fffff;
  if (e === 0xff && m !== 0) return (b | 0x400000) >>> 0;
  if (e === 0) return (s | 0x7f800000) >>> 0;
  if (e === 0xff) return s >>> 0;
  const r = RCP[m >>> 11] - ((e - 127) << 23);
  return r < 0x00800000 ? s >>> 0 : (s | r) >>> 0;
}

/** Approximate 1/sqrt(x) of binary32 bits `b`. */
export function rsqrt32(b: number): number {
  const s = b & 0x80000000, e = (b >>> 23) & 0xff, m = b & 0x7fffff;
  if (e === 0xff && m !== 0) return (b | 0x400000) >>> 0;
  if (e === 0) return (s | 0x7f800000) >>> 0;
  if (s !== 0) return 0xffc00000;
  if (e === 0xff) return 0;
  const k = e - 127, p = k & 1;
  return ((p === 0 ? RSQ0 : RSQ1)[m >>> 11] - (((k - p) / 2) << 23)) >>> 0;
}

/** RCPPS (i.x 0), RCPSS (1), RSQRTPS (2), RSQRTSS (3). */
export function rcpRsqrt(c: Cpu, i: Insn): void {
  sseCheck(c);
  const k = i.x, scalar = (k & 1) === 1;
  loadS(c, i, scalar ? 4 : 16, false, !scalar);
  const x = c.fpu.xmm32, o = i.reg << 2, s = S.u32;
  const n = scalar ? 1 : 4;
  for (let j = 0; j < n; j++) x[o + j] = k < 2 ? rcp32(s[j]) : rsqrt32(s[j]);
}
