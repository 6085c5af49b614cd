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

/** FXSAVE m512byte. */
export function fxsave(c: Cpu, i: Insn): void {
  const lin = check(c, i, 2);
  probeWrite(c, lin);
  probeWrite(c, lin + 511);
  const f = c.fpu;
  const w32 = (off: number, v: number): void => memWrite(c, lin + off, 4, v >>> 0, 0);
  const rexW = c.is64 && i.opSize === 64;
  w32(0, f.fcw | (f.fsw << 16));
  w32(4, abridgedTag(f.ftw) | ((f.fop & 0x7ff) << 16));
  const fip = f.fip, fdp = f.fdp;
  if (rexW) {
    w32(8, fip % TWO32);
    w32(12, Math.floor(fip / TWO32));
    w32(16, fdp % TWO32);
    w32(20, Math.floor(fdp / TWO32));
  } else {
    w32(8, fip % TWO32);
    w32(12, f.fcs & 0xffff);
    w32(16, fdp % TWO32);
    w32(20, f.fds & 0xffff);
  }
  w32(24, f.mxcsr);
  w32(28, MXCSR_MASK);
  const top = (f.fsw >>> 11) & 7;
  for (let s = 0; s < 8; s++) {
    const k = (top + s) & 7;
    const a = lin + 32 + 16 * s;
    memWrite(c, a, 8, f.mant[2 * k], f.mant[2 * k + 1]);
    memWrite(c, a + 8, 2, f.sexp[k], 0);
    memWrite(c, a + 10, 2, 0, 0);
    memWrite(c, a + 12, 4, 0, 0);
  }
  const nx = c.is64 ? 16 : 8;
  for (let r = 0; r < nx * 4; r++) w32(160 + 4 * r, f.xmm32[r]);
}

/** FXRSTOR m512byte (#GP for MXCSR reserved bits; nothing changes then). */
export function fxrstor(c: Cpu, i: Insn): void {
  const lin = check(c, i, 1);
  const f = c.fpu;
  const r32 = (off: number): number => memRead(c, lin + off, 4);
  const mx = r32(24);
  if ((mx & ~MXCSR_MASK) !== 0) gp(0);
  const w0 = r32(0), w1 = r32(4);
  const rexW = c.is64 && i.opSize === 64;
  const a8 = r32(8), a12 = r32(12), a16 = r32(16), a20 = r32(20);
  const regs: number[] = [];
  for (let s = 0; s < 8; s++) {
    const a = lin + 32 + 16 * s;
    regs.push(memRead(c, a, 8), c.hi, memRead(c, a + 8, 2));
  }
  const nx = c.is64 ? 16 : 8;
  const xmm: number[] = [];
  for (let r = 0; r < nx * 4; r++) xmm.push(r32(160 + 4 * r));
  // All reads done: commit.
  f.fcw = (w0 & 0x1f3f) | 0x40;
  f.fsw = w0 >>> 16;
  f.fop = (w1 >>> 16) & 0x7ff;
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
  f.mxcsr = mx;
  const top = (f.fsw >>> 11) & 7;
  let ftw = 0;
  for (let s = 0; s < 8; s++) {
    const k = (top + s) & 7;
    f.mant[2 * k] = regs[3 * s];
    f.mant[2 * k + 1] = regs[3 * s + 1];
    f.sexp[k] = regs[3 * s + 2];
  }
  for (let k = 0; k < 8; k++) {
    const t = (w1 >>> k) & 1 ? classTag(f.sexp[k], f.mant[2 * k + 1], f.mant[2 * k]) : 3;
    ftw |= t << (2 * k);
  }
  f.ftw = ftw;
  for (let r = 0; r < nx * 4; r++) f.xmm32[r] = xmm[r];
}
