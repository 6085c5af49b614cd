/**
 * Operand access for MMX/SSE handlers: availability checks (CR0/CR4),
 * the MMX state transition, and scratch buffers D (destination), S
 * (source) and T (result) with typed views, loaded from XMM/MMX registers
 * or memory without allocation. Aligned forms raise #GP(0) for a linear
 * address that is not 16-byte aligned (SDM Vol. 1 11.4.1, Vol. 2 per
 * instruction).
 *
 * @module
 */
import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { CpuFault, gp, ud, Vec } from "../fault.ts";
import { lr16, lr32, lr64, lr8, lw16, lw32, lw64, lw8, probeWrite } from "../memory.ts";
import { eaLin } from "../regs.ts";

/** A 16-byte scratch register with views. */
export class Vec128 {
  /** Bytes. */
  readonly u8: Uint8Array = new Uint8Array(32);
  /** Signed bytes. */
  readonly i8: Int8Array = new Int8Array(this.u8.buffer);
  /** Words. */
  readonly u16: Uint16Array = new Uint16Array(this.u8.buffer);
  /** Signed words. */
  readonly i16: Int16Array = new Int16Array(this.u8.buffer);
  /** Dwords. */
  readonly u32: Uint32Array = new Uint32Array(this.u8.buffer);
  /** Signed dwords. */
  readonly i32: Int32Array = new Int32Array(this.u8.buffer);
}

/** Destination scratch (32 bytes: PALIGNR uses both halves). */
export const D: Vec128 = new Vec128();
/** Source scratch. */
export const S: Vec128 = new Vec128();
/** Result scratch. */
export const T: Vec128 = new Vec128();

/** Mandatory-prefix class of `i`: 0 none, 1 66, 2 F3, 3 F2 (F3/F2 win over 66). */
export function mandatory(i: Insn): number {
  return i.rep === 1 ? 2 : i.rep === 2 ? 3 : i.p66;
}

/** SSE availability: #UD if CR0.EM or !CR4.OSFXSR, #NM if CR0.TS (SDM Vol. 3A 13.1, Table 13-1? see 2.5). */
export function sseCheck(c: Cpu): void {
  const cr0 = c.cr0;
  if ((cr0 & 4) !== 0 || (c.cr4 & 0x200) === 0) ud();
  if ((cr0 & 8) !== 0) throw new CpuFault(Vec.NM, -1);
}

/**
 * MMX availability and state transition: #UD if CR0.EM, #NM if CR0.TS,
 * #MF if an x87 exception is pending (FSW.ES); then TOP = 0 and all tags
 * valid (SDM Vol. 1 9.5.1).
 */
export function mmxEnter(c: Cpu): void {
  const cr0 = c.cr0;
  if ((cr0 & 4) !== 0) ud();
  if ((cr0 & 8) !== 0) throw new CpuFault(Vec.NM, -1);
  const f = c.fpu;
  if ((f.fsw & 0x80) !== 0) throw new CpuFault(Vec.MF, -1);
  f.fsw &= ~0x3800;
  f.ftw = 0;
}

/** Linear address of the memory operand, with the 16-byte alignment check when `align`. */
export function memLin(c: Cpu, i: Insn, n: number, need: number, align: boolean): number {
  const lin = eaLin(c, i, n, need);
  if (align && (lin & 15) !== 0) gp(0);
  return lin;
}

/** Read `n` (1, 2, 4, 8, 16) bytes at `lin` into `v`. */
export function readLin(c: Cpu, lin: number, n: number, v: Vec128): void {
  const w = v.u32;
  if (n >= 8) {
    w[0] = lr64(c, lin);
    w[1] = c.hi;
    if (n === 16) {
      w[2] = lr64(c, lin + 8);
      w[3] = c.hi;
    }
  } else if (n === 4) w[0] = lr32(c, lin);
  else if (n === 2) v.u16[0] = lr16(c, lin);
  else v.u8[0] = lr8(c, lin);
}

/** Write `n` (1, 2, 4, 8, 16) bytes of `v` at `lin` (both pages checked first). */
export function writeLin(c: Cpu, lin: number, n: number, v: Vec128): void {
  const w = v.u32;
  if (n === 16) {
    if ((lin & 0xfff) > 0xff0) {
      probeWrite(c, lin);
      probeWrite(c, lin + 15);
    }
    lw64(c, lin, w[0], w[1]);
    lw64(c, lin + 8, w[2], w[3]);
  } else if (n === 8) lw64(c, lin, w[0], w[1]);
  else if (n === 4) lw32(c, lin, w[0]);
  else if (n === 2) lw16(c, lin, v.u16[0]);
  else lw8(c, lin, v.u8[0]);
}

/** Copy XMM register `r` into `v`. */
export function getX(c: Cpu, r: number, v: Vec128): void {
  const x = c.fpu.xmm32, w = v.u32, o = r << 2;
  w[0] = x[o];
  w[1] = x[o + 1];
  w[2] = x[o + 2];
  w[3] = x[o + 3];
}

/** Copy `v` into XMM register `r`. */
export function setX(c: Cpu, r: number, v: Vec128): void {
  const x = c.fpu.xmm32, w = v.u32, o = r << 2;
  x[o] = w[0];
  x[o + 1] = w[1];
  x[o + 2] = w[2];
  x[o + 3] = w[3];
}

/** Copy MMX register `r` (0-7) into `v` (low 8 bytes). */
export function getM(c: Cpu, r: number, v: Vec128): void {
  const m = c.fpu.mant, w = v.u32;
  w[0] = m[(r & 7) << 1];
  w[1] = m[((r & 7) << 1) + 1];
}

/** Write MMX register `r` from words (sets its exponent field to all ones, SDM Vol. 1 9.5). */
export function setMw(c: Cpu, r: number, lo: number, hi: number): void {
  const f = c.fpu;
  r &= 7;
  f.mant[r << 1] = lo;
  f.mant[(r << 1) + 1] = hi;
  f.sexp[r] = 0xffff;
}

/**
 * Load the source operand into S: register `rm` (XMM, or MMX when `n` is
 * 8 and `mmx`), or `n` bytes of memory (aligned when `align`).
 */
export function loadS(c: Cpu, i: Insn, n: number, mmx: boolean, align: boolean): void {
  if (i.isMem === 0) {
    if (mmx) getM(c, i.rm, S);
    else getX(c, i.rm, S);
    return;
  }
  readLin(c, memLin(c, i, n, 1, align), n, S);
}

/** Load the destination register (ModRM.reg) into D. */
export function loadD(c: Cpu, i: Insn, mmx: boolean): void {
  if (mmx) getM(c, i.reg, D);
  else getX(c, i.reg, D);
}

/** Store `v` into the destination register (ModRM.reg). */
export function storeReg(c: Cpu, i: Insn, mmx: boolean, v: Vec128): void {
  if (mmx) setMw(c, i.reg, v.u32[0], v.u32[1]);
  else setX(c, i.reg, v);
}

/** Raise the SIMD floating-point exception: #XM, or #UD when CR4.OSXMMEXCPT = 0. */
export function simdFault(c: Cpu): never {
  if ((c.cr4 & 0x400) === 0) ud();
  throw new CpuFault(Vec.XM, -1);
}
