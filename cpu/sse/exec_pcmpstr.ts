/**
 * SSE4.2 packed string compares PCMPESTRM (i.x 0), PCMPESTRI (1),
 * PCMPISTRM (2), PCMPISTRI (3): SDM Vol. 2B 4.1 (source format, the four
 * aggregation operations, the validity overrides of Table 4-7, polarity,
 * output selection and flags). The memory operand needs no alignment.
 *
 * @module
 */
import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { setReg } from "../regs.ts";
import { D, getX, loadS, S, setX, sseCheck, T } from "./operands.ts";

/** Element of v (index k) per format: 0 ub, 1 uw, 2 sb, 3 sw. */
function el(v: typeof D, fmt: number, k: number): number {
  switch (fmt) {
    case 0:
      return v.u8[k];
    case 1:
      return v.u16[k];
    case 2:
      return v.i8[k];
    default:
      return v.i16[k];
  }
}

/** Explicit length from GPR `r` (EAX/EDX, or RAX/RDX with REX.W), saturated to n. */
function explicitLen(c: Cpu, r: number, wide: boolean, n: number): number {
  const lo = c.gpr[r << 1], hi = c.gpr[(r << 1) + 1];
  let v: number;
  if (wide) {
    if ((hi | 0) < 0) v = hi === 0xffffffff && lo !== 0 ? 0x100000000 - lo : Infinity;
    else v = hi !== 0 ? Infinity : lo;
  } else v = Math.abs(lo | 0);
  return v > n ? n : v;
}

/** Implicit length: index of the first zero element, or n. */
function implicitLen(v: typeof D, fmt: number, n: number): number {
  for (let k = 0; k < n; k++) if (el(v, fmt, k) === 0) return k;
  return n;
}

/** PCMPxSTRx handler. */
export function pcmpstr(c: Cpu, i: Insn): void {
  sseCheck(c);
  loadS(c, i, 16, false, false);
  getX(c, i.reg, D);
  const imm = i.imm;
  const fmt = imm & 3, agg = (imm >> 2) & 3, pol = (imm >> 4) & 3;
  const n = (fmt & 1) === 0 ? 16 : 8;
  const explicit = i.x < 2;
  const wide = i.opSize === 64;
  const l1 = explicit ? explicitLen(c, 0, wide, n) : implicitLen(D, fmt, n);
  const l2 = explicit ? explicitLen(c, 2, wide, n) : implicitLen(S, fmt, n);
  let res1 = 0;
  for (let j = 0; j < n; j++) {
    let bit = false;
    const bj = el(S, fmt, j);
    const vj = j < l2;
    switch (agg) {
      case 0: // equal any
        if (vj) { for (let k = 0; k < l1 && !bit; k++) bit = el(D, fmt, k) === bj; }
        break;
      case 1: // ranges
        if (vj) {
          for (let k = 0; k + 1 < l1 && !bit; k += 2) {
            bit = el(D, fmt, k) <= bj && bj <= el(D, fmt, k + 1);
          }
        }
        break;
      case 2: { // equal each
        const vi = j < l1;
        bit = vi && vj ? el(D, fmt, j) === bj : !vi && !vj;
        break;
      }
      default: { // equal ordered
        bit = true;
        for (let k = 0; k < n - j && bit; k++) {
          const vi = k < l1, vjk = j + k < l2;
          if (!vi) break; // needle exhausted: true
          if (!vjk) {
            bit = false;
            break;
          }
          bit = el(D, fmt, k) === el(S, fmt, j + k);
        }
      }
    }
    if (bit) res1 |= 1 << j;
  }
  const all = n === 16 ? 0xffff : 0xff;
  let res2 = res1;
  if (pol === 1) res2 = ~res1 & all;
  else if (pol === 3) res2 = (res1 ^ ((1 << l2) - 1)) & all;
  if ((i.x & 1) === 1) {
    let idx = n;
    if (res2 !== 0) {
      idx = (imm & 0x40) !== 0 ? 31 - Math.clz32(res2) : 31 - Math.clz32(res2 & -res2);
    }
    setReg(c, 1, 4, idx, 0);
  } else {
    const t = T.u32;
    t[0] =
      t[1] =
      t[2] =
      t[3] =
        0;
    if ((imm & 0x40) === 0) t[0] = res2;
    else {
      for (let j = 0; j < n; j++) {
        if (((res2 >> j) & 1) === 0) continue;
        if (n === 16) T.u8[j] = 0xff;
        else T.u16[j] = 0xffff;
      }
    }
    setX(c, 0, T);
  }
  c.alu.setFlags(
    (res2 !== 0 ? 1 : 0) | (l2 < n ? 0x40 : 0) | (l1 < n ? 0x80 : 0) |
      ((res2 & 1) !== 0 ? 0x800 : 0),
  );
}
