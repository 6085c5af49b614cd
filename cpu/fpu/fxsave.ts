/**
 * FXSAVE/FXRSTOR (0F AE /0 /1): the 512-byte x87/MMX/SSE image of SDM
 * Vol. 2A "FXSAVE" (Tables 3-53 to 3-56). Three layouts: the 32-bit one
 * (FIP/FDP as 32-bit offsets with CS/DS selectors), used outside 64-bit
 * mode and in 64-bit mode without REX.W, and the REX.W one (FIP/FDP as
 * 64-bit addresses). XMM8-15 exist in 64-bit mode only. The tag word is
 * stored abridged (one bit per physical register, 1 = not empty) and
 * recomputed from the register contents on FXRSTOR.
 *
 * @module
 */

import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { CpuFault, gp, Vec } from "../fault.ts";
import { eaLin, memRead, memWrite } from "../regs.ts";
import { probeWrite } from "../memory.ts";
import { classTag } from "./stack.ts";

/** MXCSR bits FXRSTOR/LDMXCSR accept (DAZ supported): MXCSR_MASK in the image. */
export const MXCSR_MASK = 0xffff;

const TWO32 = 4294967296;

/** #NM for FXSAVE/FXRSTOR (CR0.TS or CR0.EM) and the 16-byte alignment #GP. */
function check(c: Cpu, i: Insn, need: number): number {
  if ((c.cr0 & 0xc) !== 0) throw new CpuFault(Vec.NM, -1);
  const lin = eaLin(c, i, 512, need);
  if (lin % 16 !== 0) gp(0);
  return lin;
}

/** Abridged tag byte: bit k set when physical register k is not empty. */
export function abridgedTag(ftw: number): number {
  let t = 0;
  for (let k = 0; k < 8; k++) if (((ftw >>> (2 * k)) & 3) !== 3) t |= 1 << k;
  return t;
}

/** Write the x87 part of the legacy area (bytes 0-23 and 32-159) at `lin`. */
export function saveX87Area(c: Cpu, lin: number, rexW: boolean): void {
  const f = c.fpu;
  const w32 = (off: number, v: number): void => memWrite(c, lin + off, 4, v >>> 0, 0);
  w32(0, f.fcw | (f.fsw << 16));
  w32(4, abridgedTag(f.ftw) | ((f.fop & 0x7ff) << 16));
  const fip = f.fip, fdp = f.fdp;
  w32(8, fip % TWO32);
  w32(12, rexW ? Math.floor(fip / TWO32) : f.fcs & 0xffff);
  w32(16, fdp % TWO32);
  w32(20, rexW ? Math.floor(fdp / TWO32) : f.fds & 0xffff);
  const top = (f.fsw >>> 11) & 7;
  for (let s = 0; s < 8; s++) {
    const k = (top + s) & 7;
    const a = lin + 32 + 16 * s;
    memWrite(c, a, 8, f.mant[2 * k], f.mant[2 * k + 1]);
    memWrite(c, a + 8, 2, f.sexp[k], 0);
    memWrite(c, a + 10, 2, 0, 0);
    memWrite(c, a + 12, 4, 0, 0);
  }
}

/** Write MXCSR and MXCSR_MASK (bytes 24-31). */
export function saveMxcsr(c: Cpu, lin: number): void {
  memWrite(c, lin + 24, 4, c.fpu.mxcsr >>> 0, 0);
  memWrite(c, lin + 28, 4, MXCSR_MASK, 0);
}

/** Write XMM0-7 (XMM0-15 in 64-bit mode) at bytes 160 on. */
export function saveXmm(c: Cpu, lin: number): void {
  const nx = c.is64 ? 16 : 8;
  for (let r = 0; r < nx * 4; r++) memWrite(c, lin + 160 + 4 * r, 4, c.fpu.xmm32[r], 0);
}

/** The x87 part of a legacy area read from memory (apply with {@link applyX87}). */
export interface X87Image {
  /** Words 0 and 1 (FCW/FSW, abridged tag/FOP). */
  w0: number;
  /** Word 1. */
  w1: number;
  /** Bytes 8-23 as four words. */
  p: number[];
  /** Registers in ST order: lo, hi, sign/exponent per register. */
  regs: number[];
}

/** Read the x87 part of a legacy area (no state change). */
export function readX87Area(c: Cpu, lin: number): X87Image {
  const r32 = (off: number): number => memRead(c, lin + off, 4);
  const regs: number[] = [];
  for (let s = 0; s < 8; s++) {
    const a = lin + 32 + 16 * s;
    regs.push(memRead(c, a, 8), c.hi, memRead(c, a + 8, 2));
  }
  return { w0: r32(0), w1: r32(4), p: [r32(8), r32(12), r32(16), r32(20)], regs };
}

/** Load an {@link X87Image} into the FPU (tags recomputed from the abridged tag). */
export function applyX87(c: Cpu, im: X87Image, rexW: boolean): void {
  const f = c.fpu;
  f.fcw = (im.w0 & 0x1f3f) | 0x40;
  f.fsw = im.w0 >>> 16;
  f.fop = (im.w1 >>> 16) & 0x7ff;
  const [a8, a12, a16, a20] = im.p;
  if (rexW) {
    f.fip = (a12 | 0) * TWO32 + a8;
    f.fdp = (a20 | 0) * TWO32 + a16;
    f.fcs = 0;
    f.fds = 0;
  } else {
    f.fip = a8;
    f.fcs = a12 & 0xffff;
    f.fdp = a16;
    f.fds = a20 & 0xffff;
  }
  const top = (f.fsw >>> 11) & 7;
  for (let s = 0; s < 8; s++) {
    const k = (top + s) & 7;
    f.mant[2 * k] = im.regs[3 * s];
    f.mant[2 * k + 1] = im.regs[3 * s + 1];
    f.sexp[k] = im.regs[3 * s + 2];
  }
  let ftw = 0;
  for (let k = 0; k < 8; k++) {
    const t = (im.w1 >>> k) & 1 ? classTag(f.sexp[k], f.mant[2 * k + 1], f.mant[2 * k]) : 3;
    ftw |= t << (2 * k);
  }
  f.ftw = ftw;
}

/** Read XMM0-7 (0-15 in 64-bit mode) from bytes 160 on. */
export function readXmm(c: Cpu, lin: number): number[] {
  const nx = c.is64 ? 16 : 8;
  const out: number[] = [];
  for (let r = 0; r < nx * 4; r++) out.push(memRead(c, lin + 160 + 4 * r, 4));
  return out;
}

/** FXSAVE m512byte. */
export function fxsave(c: Cpu, i: Insn): void {
  const lin = check(c, i, 2);
  probeWrite(c, lin);
  probeWrite(c, lin + 511);
  saveX87Area(c, lin, c.is64 && i.opSize === 64);
  saveMxcsr(c, lin);
  saveXmm(c, lin);
}

/** FXRSTOR m512byte (#GP for MXCSR reserved bits; nothing changes then). */
export function fxrstor(c: Cpu, i: Insn): void {
  const lin = check(c, i, 1);
  const mx = memRead(c, lin + 24, 4);
  if ((mx & ~MXCSR_MASK) !== 0) gp(0);
  const im = readX87Area(c, lin);
  const xmm = readXmm(c, lin);
  applyX87(c, im, c.is64 && i.opSize === 64);
  c.fpu.mxcsr = mx;
  for (let r = 0; r < xmm.length; r++) c.fpu.xmm32[r] = xmm[r];
}
