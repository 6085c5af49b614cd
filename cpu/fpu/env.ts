/**
 * x87 environment and state images: FNSTENV/FLDENV (14 or 28 bytes) and
 * FNSAVE/FRSTOR (94 or 108 bytes), in the four layouts of SDM Vol. 1
 * 8.1.10 (Figures 8-9 to 8-12): 16- or 32-bit operand size, real/virtual-8086
 * (instruction and operand pointers as linear addresses with FOP packed
 * beside them) or protected mode (offset and selector). 64-bit mode uses the
 * 32-bit protected layout.
 *
 * @module
 */

import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { eaLin, memRead, memWrite } from "../regs.ts";
import { probeWrite } from "../memory.ts";
import type { FpuState } from "./state.ts";
import { classTag, refreshEs, tagOf } from "./stack.ts";
import { finit } from "./exec_reg.ts";

/** The full tag word as FSTENV stores it: empty stays 3, others from contents. */
export function fullTag(f: FpuState): number {
  let t = 0;
  for (let k = 0; k < 8; k++) {
    const g = tagOf(f, k) === 3 ? 3 : classTag(f.sexp[k], f.mant[2 * k + 1], f.mant[2 * k]);
    t |= g << (2 * k);
  }
  return t;
}

/** Apply a loaded tag word: only "empty" is taken; other tags come from contents. */
function applyTag(f: FpuState, t: number): void {
  let out = 0;
  for (let k = 0; k < 8; k++) {
    const g = ((t >>> (2 * k)) & 3) === 3
      ? 3
      : classTag(f.sexp[k], f.mant[2 * k + 1], f.mant[2 * k]);
    out |= g << (2 * k);
  }
  f.ftw = out;
}

function isReal(c: Cpu): boolean {
  return c.mode === "real" || c.mode === "v86";
}

/** Store the environment at `lin`; returns its size. */
function storeEnv(c: Cpu, f: FpuState, lin: number, o16: boolean): number {
  const size = o16 ? 14 : 28;
  probeWrite(c, lin);
  probeWrite(c, lin + size - 1);
  const w = (off: number, v: number): void => {
    if (o16) memWrite(c, lin + off * 2, 2, v & 0xffff, 0);
    else memWrite(c, lin + off * 4, 4, v >>> 0, 0);
  };
  const ip = isReal(c) ? (f.fcs * 16 + f.fip) >>> 0 : f.fip >>> 0;
  const dp = isReal(c) ? (f.fds * 16 + f.fdp) >>> 0 : f.fdp >>> 0;
  w(0, o16 ? f.fcw : 0xffff0000 | f.fcw);
  w(1, o16 ? f.fsw : 0xffff0000 | f.fsw);
  w(2, o16 ? fullTag(f) : 0xffff0000 | fullTag(f));
  if (isReal(c)) {
    if (o16) {
      w(3, ip & 0xffff);
      w(4, ((ip >>> 4) & 0xf000) | (f.fop & 0x7ff));
      w(5, dp & 0xffff);
      w(6, (dp >>> 4) & 0xf000);
    } else {
      w(3, 0xffff0000 | (ip & 0xffff));
      w(4, ((ip >>> 4) & 0x0ffff000) | (f.fop & 0x7ff));
      w(5, 0xffff0000 | (dp & 0xffff));
      w(6, (dp >>> 4) & 0x0ffff000);
    }
  } else if (o16) {
    w(3, ip);
    w(4, f.fcs);
    w(5, dp);
    w(6, f.fds);
  } else {
    w(3, ip);
    w(4, ((f.fop & 0x7ff) << 16) | (f.fcs & 0xffff));
    w(5, dp);
    w(6, 0xffff0000 | (f.fds & 0xffff));
  }
  return size;
}

/** Load the environment from `lin`; returns its size. */
function loadEnv(c: Cpu, f: FpuState, lin: number, o16: boolean): number {
  const r = (off: number): number =>
    o16 ? memRead(c, lin + off * 2, 2) : memRead(c, lin + off * 4, 4);
  const cw = r(0), sw = r(1), tw = r(2), a = r(3), b = r(4), d = r(5), e = r(6);
  f.fcw = (cw & 0x1f3f) | 0x40;
  f.fsw = sw & 0xffff;
  if (isReal(c)) {
    const hiShift = o16 ? 4 : 4;
    f.fip = ((a & 0xffff) | ((b & (o16 ? 0xf000 : 0x0ffff000)) << hiShift)) >>> 0;
    f.fop = b & 0x7ff;
    f.fdp = ((d & 0xffff) | ((e & (o16 ? 0xf000 : 0x0ffff000)) << hiShift)) >>> 0;
    f.fcs = 0;
    f.fds = 0;
  } else {
    f.fip = o16 ? a & 0xffff : a >>> 0;
    f.fcs = b & 0xffff;
    if (!o16) f.fop = (b >>> 16) & 0x7ff;
    f.fdp = o16 ? d & 0xffff : d >>> 0;
    f.fds = e & 0xffff;
  }
  applyTag(f, tw & 0xffff);
  refreshEs(f);
  return o16 ? 14 : 28;
}

/** FNSTENV m14/28byte: store, then mask all exceptions. */
export function fnstenv(c: Cpu, i: Insn): void {
  const f = c.fpu;
  const o16 = i.opSize === 16;
  storeEnv(c, f, eaLin(c, i, o16 ? 14 : 28, 2), o16);
  f.fcw |= 0x3f;
}

/** FLDENV m14/28byte. */
export function fldenv(c: Cpu, i: Insn): void {
  const o16 = i.opSize === 16;
  loadEnv(c, c.fpu, eaLin(c, i, o16 ? 14 : 28, 1), o16);
}

/** FNSAVE m94/108byte: environment and ST(0)-ST(7), then FNINIT. */
export function fnsave(c: Cpu, i: Insn): void {
  const f = c.fpu;
  const o16 = i.opSize === 16;
  const lin = eaLin(c, i, o16 ? 94 : 108, 2);
  probeWrite(c, lin + (o16 ? 93 : 107));
  const n = storeEnv(c, f, lin, o16);
  const top = (f.fsw >>> 11) & 7;
  for (let s = 0; s < 8; s++) {
    const k = (top + s) & 7;
    const a = lin + n + s * 10;
    memWrite(c, a, 8, f.mant[2 * k], f.mant[2 * k + 1]);
    memWrite(c, a + 8, 2, f.sexp[k], 0);
  }
  finit(f);
}

/** FRSTOR m94/108byte. */
export function frstor(c: Cpu, i: Insn): void {
  const f = c.fpu;
  const o16 = i.opSize === 16;
  const lin = eaLin(c, i, o16 ? 94 : 108, 1);
  const n = o16 ? 14 : 28;
  // Read the registers first (faults leave the state untouched), then the environment.
  const regs: number[] = [];
  for (let s = 0; s < 8; s++) {
    const a = lin + n + s * 10;
    regs.push(memRead(c, a, 8), c.hi, memRead(c, a + 8, 2));
  }
  const savedTag = memRead(c, lin + (o16 ? 4 : 8), 2);
  const sw = memRead(c, lin + (o16 ? 2 : 4), 2);
  const top = (sw >>> 11) & 7;
  for (let s = 0; s < 8; s++) {
    const k = (top + s) & 7;
    f.mant[2 * k] = regs[3 * s];
    f.mant[2 * k + 1] = regs[3 * s + 1];
    f.sexp[k] = regs[3 * s + 2];
  }
  void savedTag;
  loadEnv(c, f, lin, o16);
}
