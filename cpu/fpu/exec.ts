/**
 * The x87 escape opcodes D8-DF: the entry handler (#NM per CR0.EM/TS,
 * pending-exception check of waiting instructions, FIP/FDP/FOP
 * bookkeeping) and every memory-operand form. Register forms are in
 * `exec_reg.ts`, environment images in `env.ts`.
 *
 * @module
 */

import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { CpuFault, ud, Vec } from "../fault.ts";
import { ea, eaLin, memRead, memWrite } from "../regs.ts";
import { probeWrite } from "../memory.ts";
import type { FpuState } from "./state.ts";
import { fx, unpack32, unpack64, unpack80, Unpacked } from "./f80.ts";
import { loadBcd, loadFloat, loadInt, mem, storeBcd, storeFloat, storeInt } from "./convert.ts";
import {
  begin,
  commit,
  commitArith,
  empty,
  INDEF_HI,
  INDEF_SEXP,
  pop,
  readSt,
  refreshEs,
  underflow,
  writeSt,
} from "./stack.ts";
import { arith, compareSt, pushValue, x87Reg } from "./exec_reg.ts";
import { fldenv, fnsave, fnstenv, frstor } from "./env.ts";
import { ferrCheck, signalPending } from "./pending.ts";

const A = new Unpacked();
const B = new Unpacked();

/** The x87 escape handler (D8-DF, every form). */
export function x87(c: Cpu, i: Insn): void {
  if ((c.cr0 & 0xc) !== 0) throw new CpuFault(Vec.NM, -1);
  if (c.ferrOut) ferrCheck(c);
  const f = c.fpu;
  const esc = i.opcode & 7;
  const r = i.reg & 7;
  if (i.isMem === 0) {
    x87Reg(c, f, i, esc, r, i.rm & 7);
    return;
  }
  // Control instructions: FLDENV, FLDCW, FNSTENV, FNSTCW (D9 /4-/7),
  // FRSTOR, FNSAVE, FNSTSW (DD /4 /6 /7). Only FLDENV/FLDCW/FRSTOR wait.
  if ((esc === 1 && r >= 4) || (esc === 5 && r >= 4)) {
    control(c, f, i, esc, r);
    return;
  }
  if ((esc === 1 && r === 1) || (esc === 3 && (r === 4 || r === 6)) || (esc === 5 && r === 5)) ud();
  if ((f.fsw & 0x80) !== 0) signalPending(c);
  memForm(c, f, i, esc, r);
}

/** Reconstruct the ModRM byte of a memory form (FOP keeps it). */
function modrmOf(i: Insn): number {
  let rm: number;
  if (i.addrSize === 16) {
    if (i.base < 0) rm = 6;
    else if (i.index >= 0) rm = (i.base === 5 ? 2 : 0) + (i.index === 7 ? 1 : 0);
    else rm = i.base === 6 ? 4 : i.base === 7 ? 5 : i.base === 5 ? 6 : 7;
  } else if (i.index >= 0) rm = 4;
  else if (i.base < 0) rm = i.ripRel !== 0 || i.addrSize !== 64 ? 5 : 4;
  else rm = (i.base & 7) === 4 ? 4 : i.base & 7;
  return (i.mod << 6) | ((i.reg & 7) << 3) | rm;
}

/** Record FIP/FCS/FOP (and FDP/FDS for a memory operand) for a non-control instruction. */
export function note(c: Cpu, f: FpuState, i: Insn, esc: number): void {
  f.fip = c.ip0;
  f.fcs = c.seg[1].selector;
  if (i.isMem !== 0) {
    f.fop = (esc << 8) | modrmOf(i);
    f.fdp = ea(c, i);
    f.fds = c.seg[i.seg].selector;
  } else f.fop = (esc << 8) | 0xc0 | ((i.reg & 7) << 3) | (i.rm & 7);
}

function memForm(c: Cpu, f: FpuState, i: Insn, esc: number, r: number): void {
  switch (esc) {
    case 0: // D8: m32fp arithmetic
    case 4: // DC: m64fp
    case 2: // DA: m32int
    case 6: { // DE: m16int
      const size = esc === 0 || esc === 2 ? 4 : esc === 4 ? 8 : 2;
      const lin = eaLin(c, i, size, 1);
      const lo = memRead(c, lin, size);
      const hi = c.hi;
      note(c, f, i, esc);
      begin(f);
      if (esc === 0) unpack32(B, lo);
      else if (esc === 4) unpack64(B, lo, hi);
      else {
        if (esc === 2) loadInt(lo, lo & 0x80000000 ? 0xffffffff : 0);
        else loadInt((lo << 16) >> 16, lo & 0x8000 ? 0xffffffff : 0);
        unpack80(B, (fx.s << 15) | fx.x, fx.hi, fx.lo);
      }
      if (r === 2 || r === 3) {
        compareSt(f, B, false, r === 3 ? 1 : 0, false);
        return;
      }
      if (empty(f, 0)) {
        if (underflow(f)) writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
        return;
      }
      readSt(f, 0, A);
      arith(f, r, 0, A, B);
      return;
    }
    case 1: // D9: FLD/FST/FSTP m32
    case 5: // DD: FLD/FISTTP/FST/FSTP m64
    case 3: // DB: FILD/FISTTP/FIST/FISTP m32int, FLD/FSTP m80
    case 7: // DF: FILD/FISTTP/FIST/FISTP m16int, FBLD, FILD m64, FBSTP, FISTP m64
      if (esc === 3 && r === 5) return fldM80(c, f, i);
      if (esc === 3 && r === 7) return fstpM80(c, f, i);
      if (esc === 7 && r === 4) return fbld(c, f, i);
      if (esc === 7 && r === 6) return fbstp(c, f, i);
      if (r === 0 || (esc === 7 && r === 5)) return loadOp(c, f, i, esc, r);
      return storeOp(c, f, i, esc, r);
  }
}

/** FLD m32/m64, FILD m16/m32/m64. */
function loadOp(c: Cpu, f: FpuState, i: Insn, esc: number, r: number): void {
  const size = esc === 1 ? 4 : esc === 5 ? 8 : esc === 3 ? 4 : r === 5 ? 8 : 2;
  const lin = eaLin(c, i, size, 1);
  const lo = memRead(c, lin, size);
  const hi = c.hi;
  note(c, f, i, esc);
  begin(f);
  if (esc === 1) {
    unpack32(B, lo);
    loadFloat(B);
  } else if (esc === 5) {
    unpack64(B, lo, hi);
    loadFloat(B);
  } else if (size === 8) loadInt(lo, hi);
  else if (size === 4) loadInt(lo, lo & 0x80000000 ? 0xffffffff : 0);
  else loadInt((lo << 16) >> 16, lo & 0x8000 ? 0xffffffff : 0);
  pushValue(f);
}

/** FST/FSTP m32/m64, FIST/FISTP/FISTTP m16/m32/m64. */
function storeOp(c: Cpu, f: FpuState, i: Insn, esc: number, r: number): void {
  const isInt = esc === 3 || esc === 7 || (esc === 5 && r === 1);
  const size = esc === 1 || esc === 3 ? 4 : esc === 5 ? 8 : r === 7 ? 8 : 2;
  const lin = eaLin(c, i, size, 2);
  probeWrite(c, lin);
  probeWrite(c, lin + size - 1);
  note(c, f, i, esc);
  begin(f);
  const popIt = r === 3 || r === 1 || r === 7;
  if (empty(f, 0)) {
    if (!underflow(f)) return;
    if (isInt) {
      if (size === 8) memWrite(c, lin, 8, 0, 0x80000000);
      else memWrite(c, lin, size, size === 4 ? 0x80000000 : 0x8000, 0);
    } else if (size === 8) memWrite(c, lin, 8, 0, 0xfff80000);
    else memWrite(c, lin, 4, 0xffc00000, 0);
    if (popIt) pop(f);
    return;
  }
  readSt(f, 0, A);
  let ok: boolean;
  if (isInt) ok = storeInt(A, size * 8, r === 1 ? 3 : fx.rc);
  else ok = storeFloat(A, size === 8 ? 64 : 32);
  const stop = commitArith(f);
  if (!ok || stop) return;
  memWrite(c, lin, size, mem.lo, mem.hi);
  if (popIt) pop(f);
}

function fldM80(c: Cpu, f: FpuState, i: Insn): void {
  const lin = eaLin(c, i, 10, 1);
  const lo = memRead(c, lin, 8);
  const hi = c.hi;
  const se = memRead(c, lin + 8, 2);
  note(c, f, i, 3);
  begin(f);
  fx.s = se >>> 15;
  fx.x = se & 0x7fff;
  fx.hi = hi;
  fx.lo = lo;
  pushValue(f);
}

function fstpM80(c: Cpu, f: FpuState, i: Insn): void {
  const lin = eaLin(c, i, 10, 2);
  probeWrite(c, lin);
  probeWrite(c, lin + 9);
  note(c, f, i, 3);
  begin(f);
  let lo: number, hi: number, se: number;
  if (empty(f, 0)) {
    if (!underflow(f)) return;
    lo = 0;
    hi = INDEF_HI;
    se = INDEF_SEXP;
  } else {
    commit(f, 0, 0);
    const k = (f.fsw >>> 11) & 7;
    lo = f.mant[2 * k];
    hi = f.mant[2 * k + 1];
    se = f.sexp[k];
  }
  memWrite(c, lin, 8, lo, hi);
  memWrite(c, lin + 8, 2, se, 0);
  pop(f);
}

function fbld(c: Cpu, f: FpuState, i: Insn): void {
  const lin = eaLin(c, i, 10, 1);
  const lo = memRead(c, lin, 8);
  const hi = c.hi;
  const top = memRead(c, lin + 8, 2);
  note(c, f, i, 7);
  begin(f);
  loadBcd(lo, hi, top);
  pushValue(f);
}

function fbstp(c: Cpu, f: FpuState, i: Insn): void {
  const lin = eaLin(c, i, 10, 2);
  probeWrite(c, lin);
  probeWrite(c, lin + 9);
  note(c, f, i, 7);
  begin(f);
  if (empty(f, 0)) {
    if (!underflow(f)) return;
    mem.lo = 0;
    mem.hi = 0xc0000000;
    mem.top = 0xffff;
  } else {
    readSt(f, 0, A);
    const ok = storeBcd(A);
    const stop = commitArith(f);
    if (!ok || stop) return;
  }
  memWrite(c, lin, 8, mem.lo, mem.hi);
  memWrite(c, lin + 8, 2, mem.top, 0);
  pop(f);
}

/** FLDENV, FLDCW, FNSTENV, FNSTCW, FRSTOR, FNSAVE, FNSTSW m16. */
function control(c: Cpu, f: FpuState, i: Insn, esc: number, r: number): void {
  if (esc === 1) {
    switch (r) {
      case 4:
        if ((f.fsw & 0x80) !== 0) signalPending(c);
        fldenv(c, i);
        return;
      case 5: {
        if ((f.fsw & 0x80) !== 0) signalPending(c);
        const v = memRead(c, eaLin(c, i, 2, 1), 2);
        f.fcw = (v & 0x1f3f) | 0x40;
        refreshEs(f);
        return;
      }
      case 6:
        fnstenv(c, i);
        return;
      default:
        memWrite(c, eaLin(c, i, 2, 2), 2, f.fcw, 0);
        return;
    }
  }
  switch (r) {
    case 4:
      if ((f.fsw & 0x80) !== 0) signalPending(c);
      frstor(c, i);
      return;
    case 6:
      fnsave(c, i);
      return;
    case 7:
      memWrite(c, eaLin(c, i, 2, 2), 2, f.fsw, 0);
      return;
    default:
      ud();
  }
}
