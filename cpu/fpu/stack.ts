/**
 * The x87 register stack on {@link FpuState}: ST(i) addressing through TOP,
 * tags, push/pop, stack-fault responses (SDM Vol. 1 8.5.1.1) and the
 * commit of an operation's exception bits into the status word (sticky
 * flags, C1, ES/B for unmasked exceptions).
 *
 * @module
 */

import type { FpuState } from "./state.ts";
import { Exc, fx, unpack80, type Unpacked } from "./f80.ts";

/** Status-word bits. */
export const enum Sw {
  C0 = 0x100,
  C1 = 0x200,
  C2 = 0x400,
  C3 = 0x4000,
  ES = 0x80,
  B = 0x8000,
  /** C3|C2|C1|C0. */
  CC = 0x4700,
}

/** TOP field of the status word. */
export function top(f: FpuState): number {
  return (f.fsw >>> 11) & 7;
}

/** Physical register of ST(i). */
export function phys(f: FpuState, i: number): number {
  return (((f.fsw >>> 11) + i) & 7);
}

/** Tag (0 valid, 1 zero, 2 special, 3 empty) of physical register k. */
export function tagOf(f: FpuState, k: number): number {
  return (f.ftw >>> (k * 2)) & 3;
}

/** True if ST(i) is empty. */
export function empty(f: FpuState, i: number): boolean {
  return tagOf(f, phys(f, i)) === 3;
}

/** The tag a register value deserves (valid, zero, special). */
export function classTag(sexp: number, hi: number, lo: number): number {
  const x = sexp & 0x7fff;
  if (x === 0x7fff) return 2;
  if (x === 0) return (hi | lo) === 0 ? 1 : 2;
  return (hi & 0x80000000) === 0 ? 2 : 0;
}

/** Set the tag of physical register k. */
export function setTag(f: FpuState, k: number, t: number): void {
  f.ftw = (f.ftw & ~(3 << (k * 2))) | (t << (k * 2));
}

/** Write physical register k and tag it from its contents. */
export function writePhys(f: FpuState, k: number, sexp: number, hi: number, lo: number): void {
  f.sexp[k] = sexp;
  f.mant[2 * k] = lo;
  f.mant[2 * k + 1] = hi;
  setTag(f, k, classTag(sexp, hi, lo));
}

/** Write ST(i). */
export function writeSt(f: FpuState, i: number, sexp: number, hi: number, lo: number): void {
  writePhys(f, phys(f, i), sexp, hi, lo);
}

/** Write the value in {@link fx} to ST(i). */
export function writeFx(f: FpuState, i: number): void {
  writeSt(f, i, (fx.s << 15) | fx.x, fx.hi, fx.lo);
}

/** Unpack ST(i) into `u`. */
export function readSt(f: FpuState, i: number, u: Unpacked): void {
  const k = phys(f, i);
  unpack80(u, f.sexp[k], f.mant[2 * k + 1], f.mant[2 * k]);
}

/** Decrement TOP (the register becomes ST(0); caller writes it). */
export function pushTop(f: FpuState): void {
  f.fsw = (f.fsw & ~0x3800) | (((top(f) - 1) & 7) << 11);
}

/** Mark ST(0) empty and increment TOP. */
export function pop(f: FpuState): void {
  setTag(f, phys(f, 0), 3);
  f.fsw = (f.fsw & ~0x3800) | (((top(f) + 1) & 7) << 11);
}

/** The real indefinite as a register value. */
export const INDEF_SEXP = 0xffff;
/** High significand word of the real indefinite. */
export const INDEF_HI = 0xc0000000;

/**
 * Fold `exc` (Exc bits, SF included) into the status word: sticky flags,
 * C1 (set from `c1`), ES and B when any raised exception is unmasked.
 * Returns true when an unmasked IE/DE/ZE means the result must not be
 * written.
 */
export function commit(f: FpuState, exc: number, c1: number): boolean {
  let sw = (f.fsw & ~Sw.C1) | (exc & 0x7f);
  if (c1 !== 0) sw |= Sw.C1;
  const unmasked = exc & ~f.fcw & 0x3f;
  if (unmasked !== 0) sw |= Sw.ES | Sw.B;
  f.fsw = sw;
  return (unmasked & (Exc.IE | Exc.DE | Exc.ZE)) !== 0;
}

/** Commit the exceptions of an arithmetic result (C1 = rounded up when inexact). */
export function commitArith(f: FpuState): boolean {
  const e = fx.exc;
  return commit(f, e, (e & Exc.PE) !== 0 ? fx.up : 0);
}

/**
 * Stack underflow (an empty source): IE|SF with C1 = 0. Returns true when
 * IE is masked, so the caller stores the indefinite.
 */
export function underflow(f: FpuState): boolean {
  commit(f, Exc.IE | Exc.SF, 0);
  return (f.fcw & 1) !== 0;
}

/**
 * Push a value: stack overflow (ST(7) not empty) raises IE|SF with C1 = 1
 * and pushes the indefinite when masked. Returns true when the caller's
 * value was pushed (ST(0) ready to write), false when a fault response
 * already happened.
 */
export function pushCheck(f: FpuState): boolean {
  if (!empty(f, 7)) {
    commit(f, Exc.IE | Exc.SF, 1);
    if ((f.fcw & 1) !== 0) {
      pushTop(f);
      writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
    }
    return false;
  }
  pushTop(f);
  return true;
}

/** Recompute ES and B from the flags and masks (after FLDCW/FLDENV/FRSTOR). */
export function refreshEs(f: FpuState): void {
  if ((f.fsw & ~f.fcw & 0x3f) !== 0) f.fsw |= Sw.ES | Sw.B;
  else f.fsw &= ~(Sw.ES | Sw.B);
}

/** Precision (significand bits) selected by FCW.PC (the reserved value 1 acts as 64 here). */
export function precision(f: FpuState): number {
  const pc = (f.fcw >>> 8) & 3;
  return pc === 0 ? 24 : pc === 2 ? 53 : 64;
}

/** Load FCW masks and rounding control into {@link fx} and clear its exception bits. */
export function begin(f: FpuState): void {
  fx.exc = 0;
  fx.up = 0;
  fx.mask = f.fcw & 0x3f;
  fx.rc = (f.fcw >>> 10) & 3;
}
