/**
 * MMX/SSE data movement: full-register moves (MOVAPS/UPS/APD/UPD/DQA/DQU,
 * LDDQU, MOVNT*), scalar and half moves (MOVSS/SD, MOVLPS/HPS/LPD/HPD,
 * MOVHLPS/LHPS, MOVDDUP, MOVSLDUP/SHDUP), MOVD/MOVQ in all their forms,
 * MOVMSKPS/PD, PMOVMSKB, MASKMOVQ/MASKMOVDQU, PINSRx/PEXTRx, INSERTPS,
 * EXTRACTPS, MOVNTI, LDMXCSR/STMXCSR, EMMS.
 *
 * @module
 */
import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { CpuFault, gp, ud, Vec } from "../fault.ts";
import { la, lw8 } from "../memory.ts";
import { eaLin, memRead, readE, setReg, writeE } from "../regs.ts";
import {
  D,
  getM,
  getX,
  loadS,
  memLin,
  mmxEnter,
  readLin,
  S,
  setMw,
  setX,
  sseCheck,
  writeLin,
} from "./operands.ts";

/** MOVAPS & co: i.x 0 load G ← E, 1 store E ← G; i.y 1 = 16-byte aligned form. */
export function movFull(c: Cpu, i: Insn): void {
  sseCheck(c);
  if (i.x === 0) {
    loadS(c, i, 16, false, i.y === 1);
    setX(c, i.reg, S);
    return;
  }
  getX(c, i.reg, S);
  if (i.isMem === 0) setX(c, i.rm, S);
  else writeLin(c, memLin(c, i, 16, 2, i.y === 1), 16, S);
}

/** MOVSS/MOVSD: i.x 0 load, 1 store; i.y = bytes (4 or 8). */
export function movScalar(c: Cpu, i: Insn): void {
  sseCheck(c);
  const n = i.y, w = n >> 2, x = c.fpu.xmm32;
  if (i.x === 0) {
    const o = i.reg << 2;
    if (i.isMem !== 0) {
      readLin(c, memLin(c, i, n, 1, false), n, S);
      x[o] = S.u32[0];
      x[o + 1] = w === 2 ? S.u32[1] : 0;
      x[o + 2] = 0;
      x[o + 3] = 0;
    } else {
      const r = i.rm << 2;
      for (let k = 0; k < w; k++) x[o + k] = x[r + k];
    }
    return;
  }
  const o = i.reg << 2;
  if (i.isMem !== 0) {
    S.u32[0] = x[o];
    S.u32[1] = x[o + 1];
    writeLin(c, memLin(c, i, n, 2, false), n, S);
  } else {
    const r = i.rm << 2;
    for (let k = 0; k < w; k++) x[r + k] = x[o + k];
  }
}

/**
 * Half moves (i.x): 0 MOVLPS/LPD load, 1 MOVHPS/HPD load, 2 MOVLPS/LPD
 * store, 3 MOVHPS/HPD store, 4 MOVHLPS, 5 MOVLHPS, 6 MOVDDUP, 7 MOVSLDUP,
 * 8 MOVSHDUP.
 */
export function movHalf(c: Cpu, i: Insn): void {
  sseCheck(c);
  const x = c.fpu.xmm32, o = i.reg << 2, s = S.u32;
  switch (i.x) {
    case 0:
    case 1:
      readLin(c, memLin(c, i, 8, 1, false), 8, S);
      x[o + i.x * 2] = s[0];
      x[o + i.x * 2 + 1] = s[1];
      return;
    case 2:
    case 3:
      s[0] = x[o + (i.x - 2) * 2];
      s[1] = x[o + (i.x - 2) * 2 + 1];
      writeLin(c, memLin(c, i, 8, 2, false), 8, S);
      return;
    case 4:
      x[o] = x[(i.rm << 2) + 2];
      x[o + 1] = x[(i.rm << 2) + 3];
      return;
    case 5:
      x[o + 2] = x[i.rm << 2];
      x[o + 3] = x[(i.rm << 2) + 1];
      return;
    case 6:
      loadS(c, i, 8, false, false);
      x[o] = x[o + 2] = s[0];
      x[o + 1] = x[o + 3] = s[1];
      return;
    default: {
      loadS(c, i, 16, false, true);
      const k = i.x === 7 ? 0 : 1;
      x[o] = x[o + 1] = s[k];
      x[o + 2] = x[o + 3] = s[k + 2];
    }
  }
}

/**
 * MOVD/MOVQ between GPR/memory and MMX/XMM (0F 6E / 0F 7E, NP and 66):
 * i.x 0 into the vector register, 1 out of it; i.y 1 = XMM.
 */
export function movd(c: Cpu, i: Insn): void {
  const xmm = i.y === 1;
  if (xmm) sseCheck(c);
  else mmxEnter(c);
  const n = i.opSize === 64 ? 8 : 4;
  if (i.x === 0) {
    const lo = readE(c, i, n);
    const hi = n === 8 ? c.hi : 0;
    if (xmm) {
      const x = c.fpu.xmm32, o = i.reg << 2;
      x[o] = lo;
      x[o + 1] = hi;
      x[o + 2] = x[o + 3] = 0;
    } else setMw(c, i.reg, lo, hi);
    return;
  }
  if (xmm) getX(c, i.reg, S);
  else getM(c, i.reg, S);
  writeE(c, i, n, S.u32[0], S.u32[1]);
}

/**
 * 64-bit MOVQ forms (i.x): 0 MOVQ mm, mm/m64; 1 MOVQ mm/m64, mm (also
 * MOVNTQ); 2 MOVQ xmm, xmm/m64 (F3 7E); 3 MOVQ xmm/m64, xmm (66 D6);
 * 4 MOVQ2DQ; 5 MOVDQ2Q.
 */
export function movq(c: Cpu, i: Insn): void {
  const k = i.x;
  if (k < 2) mmxEnter(c);
  else {
    sseCheck(c);
    if (k >= 4) mmxEnter(c);
  }
  const x = c.fpu.xmm32;
  switch (k) {
    case 0:
      loadS(c, i, 8, true, false);
      setMw(c, i.reg, S.u32[0], S.u32[1]);
      return;
    case 1:
      getM(c, i.reg, S);
      if (i.isMem === 0) setMw(c, i.rm, S.u32[0], S.u32[1]);
      else writeLin(c, memLin(c, i, 8, 2, false), 8, S);
      return;
    case 2: {
      loadS(c, i, 8, false, false);
      const o = i.reg << 2;
      x[o] = S.u32[0];
      x[o + 1] = S.u32[1];
      x[o + 2] = x[o + 3] = 0;
      return;
    }
    case 3: {
      const o = i.reg << 2;
      S.u32[0] = x[o];
      S.u32[1] = x[o + 1];
      if (i.isMem !== 0) {
        writeLin(c, memLin(c, i, 8, 2, false), 8, S);
        return;
      }
      const r = i.rm << 2;
      x[r] = S.u32[0];
      x[r + 1] = S.u32[1];
      x[r + 2] = x[r + 3] = 0;
      return;
    }
    case 4: {
      getM(c, i.rm, S);
      const o = i.reg << 2;
      x[o] = S.u32[0];
      x[o + 1] = S.u32[1];
      x[o + 2] = x[o + 3] = 0;
      return;
    }
    default:
      setMw(c, i.reg, x[i.rm << 2], x[(i.rm << 2) + 1]);
  }
}

/** MOVMSKPS (i.x 0), MOVMSKPD (1), PMOVMSKB (2); i.y 1 = XMM source (else MMX). */
export function movmsk(c: Cpu, i: Insn): void {
  let m = 0;
  if (i.y === 1) {
    sseCheck(c);
    getX(c, i.rm, S);
  } else {
    mmxEnter(c);
    getM(c, i.rm, S);
  }
  const s = S.u32;
  if (i.x === 0) {
    for (let k = 0; k < 4; k++) m |= (s[k] >>> 31) << k;
  } else if (i.x === 1) m = (s[1] >>> 31) | ((s[3] >>> 31) << 1);
  else {
    const n = i.y === 1 ? 16 : 8;
    for (let k = 0; k < n; k++) m |= (S.u8[k] >>> 7) << k;
  }
  setReg(c, i.reg, 4, m, 0);
}

/** MASKMOVQ (i.y 0) / MASKMOVDQU (i.y 1): byte stores selected by the mask's top bits at DS:rDI. */
export function maskmov(c: Cpu, i: Insn): void {
  const xmm = i.y === 1;
  if (xmm) {
    sseCheck(c);
    getX(c, i.reg, D);
    getX(c, i.rm, S);
  } else {
    mmxEnter(c);
    getM(c, i.reg, D);
    getM(c, i.rm, S);
  }
  const n = xmm ? 16 : 8;
  const seg = i.segOverride >= 0 ? i.segOverride : 3;
  const as = i.addrSize;
  const g = c.gpr;
  const di = as === 64 ? (g[15] | 0) * 4294967296 + g[14] : as === 32 ? g[14] : g[14] & 0xffff;
  for (let k = 0; k < n; k++) {
    if ((S.u8[k] & 0x80) !== 0) lw8(c, la(c, seg, di + k, 1, 2), D.u8[k]);
  }
}

/**
 * PEXTRB/W/D/Q and EXTRACTPS (i.x = log2 element size: 0 byte .. 3 qword;
 * i.y 1 = XMM source, 0 MMX PEXTRW): r/m ← element imm.
 */
export function pextr(c: Cpu, i: Insn): void {
  const xmm = i.y === 1;
  // 0F C5 has the vector in rm and the GPR in reg; 0F 3A 14-17 the reverse.
  const legacyC5 = i.map === 1;
  if (xmm) sseCheck(c);
  else mmxEnter(c);
  const src = legacyC5 ? i.rm : i.reg;
  if (xmm) getX(c, src, S);
  else getM(c, src, S);
  const sz = i.x, n = 1 << sz;
  const lanes = (xmm ? 16 : 8) >> sz;
  const k = i.imm & (lanes - 1);
  let lo: number, hi = 0;
  if (sz === 0) lo = S.u8[k];
  else if (sz === 1) lo = S.u16[k];
  else if (sz === 2) lo = S.u32[k];
  else {
    lo = S.u32[2 * k];
    hi = S.u32[2 * k + 1];
  }
  if (legacyC5) {
    setReg(c, i.reg, 4, lo, 0);
    return;
  }
  if (i.isMem === 0) setReg(c, i.rm, sz === 3 ? 8 : 4, lo, hi);
  else writeE(c, i, n, lo, hi);
}

/** PINSRB/W/D/Q (i.x = log2 size; i.y 1 = XMM, 0 MMX PINSRW): element imm ← r/m. */
export function pinsr(c: Cpu, i: Insn): void {
  const xmm = i.y === 1;
  if (xmm) sseCheck(c);
  else mmxEnter(c);
  const sz = i.x;
  const n = 1 << sz;
  let lo: number, hi = 0;
  if (i.isMem === 0) {
    lo = c.gpr[i.rm << 1];
    hi = c.gpr[(i.rm << 1) + 1];
  } else {
    lo = memRead(c, eaLin(c, i, n, 1), n);
    hi = n === 8 ? c.hi : 0;
  }
  if (xmm) getX(c, i.reg, D);
  else getM(c, i.reg, D);
  const lanes = (xmm ? 16 : 8) >> sz;
  const k = i.imm & (lanes - 1);
  if (sz === 0) D.u8[k] = lo;
  else if (sz === 1) D.u16[k] = lo;
  else if (sz === 2) D.u32[k] = lo;
  else {
    D.u32[2 * k] = lo;
    D.u32[2 * k + 1] = hi;
  }
  if (xmm) setX(c, i.reg, D);
  else setMw(c, i.reg, D.u32[0], D.u32[1]);
}

/** INSERTPS xmm, xmm/m32, imm8 (SSE4.1). */
export function insertps(c: Cpu, i: Insn): void {
  sseCheck(c);
  const imm = i.imm;
  let v: number;
  if (i.isMem === 0) v = c.fpu.xmm32[(i.rm << 2) + ((imm >> 6) & 3)];
  else {
    readLin(c, memLin(c, i, 4, 1, false), 4, S);
    v = S.u32[0];
  }
  const x = c.fpu.xmm32, o = i.reg << 2;
  x[o + ((imm >> 4) & 3)] = v;
  for (let k = 0; k < 4; k++) if ((imm >> k) & 1) x[o + k] = 0;
}

/** MOVNTI m32/m64, r (SSE2; no CR0/CR4 dependence). */
export function movnti(c: Cpu, i: Insn): void {
  const n = i.opSize === 64 ? 8 : 4;
  writeE(c, i, n, c.gpr[i.reg << 1], c.gpr[(i.reg << 1) + 1]);
}

/** Bits of MXCSR that may be set (no DAZ-less parts: all of 15:0 on this model). */
export const MXCSR_MASK = 0xffff;

/** LDMXCSR m32 (#GP(0) on reserved bits, SDM Vol. 2 LDMXCSR). */
export function ldmxcsr(c: Cpu, i: Insn): void {
  sseCheck(c);
  const v = memRead(c, eaLin(c, i, 4, 1), 4);
  if ((v & ~MXCSR_MASK) !== 0) gp(0);
  c.fpu.mxcsr = v;
}

/** STMXCSR m32. */
export function stmxcsr(c: Cpu, i: Insn): void {
  sseCheck(c);
  writeE(c, i, 4, c.fpu.mxcsr, 0);
}

/** EMMS: all x87 tags empty (#UD if CR0.EM, #NM if CR0.TS, #MF if pending). */
export function emms(c: Cpu): void {
  if ((c.cr0 & 4) !== 0) ud();
  if ((c.cr0 & 8) !== 0) throw new CpuFault(Vec.NM, -1);
  if ((c.fpu.fsw & 0x80) !== 0) throw new CpuFault(Vec.MF, -1);
  c.fpu.ftw = 0xffff;
}
