/**
 * SSE/SSE2 conversions (0F 2A, 2C, 2D, 5A, 5B, E6): integer ↔ float,
 * float ↔ float, with MXCSR rounding (or truncation for the CVTT forms),
 * integer indefinite on NaN/overflow, and the MMX-register forms' x87→MMX
 * transition. `i.x` is a {@link Cvt} id.
 *
 * @module
 */
import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { readE, setReg } from "../regs.ts";
import { beginFp, bits32, env, put64, res } from "./softfp.ts";
import { cvt32to64, cvt32ToInt, cvt64to32, cvt64ToInt, intToFloat } from "./fpconv.ts";
import { commitFlags } from "./exec_fp.ts";
import { getM, loadS, mmxEnter, S, setMw, sseCheck, T } from "./operands.ts";

/** Conversion ids. */
export const enum Cvt {
  PI2PS,
  PI2PD,
  SI2SS,
  SI2SD,
  TPS2PI,
  TPD2PI,
  TSS2SI,
  TSD2SI,
  PS2PI,
  PD2PI,
  SS2SI,
  SD2SI,
  PS2PD,
  PD2PS,
  SS2SD,
  SD2SS,
  DQ2PS,
  PS2DQ,
  TPS2DQ,
  TPD2DQ,
  DQ2PD,
  PD2DQ,
}

/** Bytes of the source operand per conversion. */
const SRC = [8, 8, 0, 0, 8, 16, 4, 8, 8, 16, 4, 8, 8, 16, 4, 8, 16, 16, 16, 16, 8, 16];

/** Conversion handler. */
export function cvt(c: Cpu, i: Insn): void {
  const k = i.x;
  sseCheck(c);
  const f = c.fpu;
  const x = f.xmm32, o = i.reg << 2, t = T.u32, s = S.u32;
  // Forms with an MMX register operand switch the x87 unit to MMX state.
  const mmxSrc = (k === Cvt.PI2PS || k === Cvt.PI2PD) && i.isMem === 0;
  const mmxDst = k === Cvt.TPS2PI || k === Cvt.TPD2PI || k === Cvt.PS2PI || k === Cvt.PD2PI;
  if (mmxSrc || mmxDst) mmxEnter(c);
  beginFp(f.mxcsr);
  if (k === Cvt.SI2SS || k === Cvt.SI2SD) {
    const n = i.opSize === 64 ? 8 : 4;
    const lo = readE(c, i, n);
    const hi = n === 8 ? c.hi : (lo >> 31) >>> 0;
    const v = intToFloat(lo, hi, k === Cvt.SI2SS ? 24 : 53);
    commitFlags(c);
    if (k === Cvt.SI2SS) x[o] = bits32(v);
    else {
      put64(v);
      x[o] = res[0];
      x[o + 1] = res[1];
    }
    return;
  }
  if (mmxSrc) getM(c, i.rm, S);
  else loadS(c, i, SRC[k], false, SRC[k] === 16);
  let words = 4; // destination words written (XMM forms)
  switch (k) {
    case Cvt.PI2PS:
      t[0] = bits32(intToFloat(s[0], (s[0] >> 31) >>> 0, 24));
      t[1] = bits32(intToFloat(s[1], (s[1] >> 31) >>> 0, 24));
      words = 2;
      break;
    case Cvt.PI2PD:
    case Cvt.DQ2PD:
      for (let j = 1; j >= 0; j--) {
        put64(s[j] | 0);
        t[2 * j] = res[0];
        t[2 * j + 1] = res[1];
      }
      break;
    case Cvt.TSS2SI:
    case Cvt.SS2SI:
    case Cvt.TSD2SI:
    case Cvt.SD2SI: {
      const bits = i.opSize === 64 ? 64 : 32;
      const tr = k === Cvt.TSS2SI || k === Cvt.TSD2SI;
      if (k === Cvt.TSS2SI || k === Cvt.SS2SI) cvt32ToInt(s[0], tr, bits);
      else cvt64ToInt(s[0], s[1], tr, bits);
      commitFlags(c);
      setReg(c, i.reg, bits >> 3, res[0], res[1]);
      return;
    }
    case Cvt.TPS2PI:
    case Cvt.PS2PI:
    case Cvt.TPD2PI:
    case Cvt.PD2PI:
    case Cvt.TPS2DQ:
    case Cvt.PS2DQ:
    case Cvt.TPD2DQ:
    case Cvt.PD2DQ: {
      const tr = k === Cvt.TPS2PI || k === Cvt.TPD2PI || k === Cvt.TPS2DQ || k === Cvt.TPD2DQ;
      const single = k === Cvt.TPS2PI || k === Cvt.PS2PI || k === Cvt.TPS2DQ || k === Cvt.PS2DQ;
      const n = k === Cvt.TPS2DQ || k === Cvt.PS2DQ ? 4 : 2;
      for (let j = 0; j < n; j++) {
        if (single) cvt32ToInt(s[j], tr, 32);
        else cvt64ToInt(s[2 * j], s[2 * j + 1], tr, 32);
        t[j] = res[0];
      }
      if (n === 2) t[2] = t[3] = 0;
      if (mmxDst) {
        commitFlags(c);
        setMw(c, i.reg, t[0], t[1]);
        return;
      }
      break;
    }
    case Cvt.PS2PD:
      for (let j = 1; j >= 0; j--) {
        cvt32to64(s[j]);
        t[2 * j] = res[0];
        t[2 * j + 1] = res[1];
      }
      break;
    case Cvt.PD2PS:
      for (let j = 0; j < 2; j++) {
        cvt64to32(s[2 * j], s[2 * j + 1]);
        t[j] = res[0];
      }
      t[2] = t[3] = 0;
      break;
    case Cvt.SS2SD:
      cvt32to64(s[0]);
      t[0] = res[0];
      t[1] = res[1];
      words = 2;
      break;
    case Cvt.SD2SS:
      cvt64to32(s[0], s[1]);
      t[0] = res[0];
      words = 1;
      break;
    case Cvt.DQ2PS:
      for (let j = 0; j < 4; j++) t[j] = bits32(intToFloat(s[j], (s[j] >> 31) >>> 0, 24));
      break;
  }
  void env;
  commitFlags(c);
  for (let j = 0; j < words; j++) x[o + j] = t[j];
}
