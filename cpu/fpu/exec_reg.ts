/**
 * The register forms of the x87 escapes (ModRM.mod = 3): arithmetic on
 * ST(0)/ST(i) with the reversed and popping forms, compares (FCOM and FCOMP,
 * FUCOM, FCOMI, FUCOMI (all forms), FTST, FXAM), FLD/FST/FXCH/FFREE on registers,
 * FCMOVcc, constants, sign operations, stack-pointer operations and the
 * one-byte control forms (FNCLEX, FNINIT, FNSTSW AX). The undocumented
 * aliases real processors execute (FSTP1/8/9, FCOM2, FCOMP3/5, FXCH4/7,
 * FFREEP) are implemented as they behave. Function-group instructions
 * (D9 F0-FF) are in `misc.ts` and `transc.ts`.
 *
 * @module
 */

import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { ud } from "../fault.ts";
import { setReg } from "../regs.ts";
import type { FpuState } from "./state.ts";
import { Cls, Exc, fx, Unpacked } from "./f80.ts";
import { fadd, fcompare, fdiv, fmul, fsqrt as sqrtOp, Rel } from "./ops.ts";
import {
  begin,
  commit,
  commitArith,
  empty,
  INDEF_HI,
  INDEF_SEXP,
  phys,
  pop,
  precision,
  pushTop,
  readSt,
  setTag,
  Sw,
  underflow,
  writeFx,
  writeSt,
} from "./stack.ts";
import { note } from "./exec.ts";
import { signalPending } from "./pending.ts";
import { fprem, frndint, fscale, fxtract } from "./misc.ts";
import { f2xm1, fpatan, fptan, fsincos, fyl2x } from "./transc.ts";
import { transcModelOf } from "./transc_amd.ts";

const A = new Unpacked();
const B = new Unpacked();
const ZERO = new Unpacked();

/**
 * Two-operand arithmetic `op` (ModRM /digit of D8: 0 add, 1 mul, 4 a-b,
 * 5 b-a, 6 a/b, 7 b/a) with the result to ST(dst).
 */
export function arith(f: FpuState, op: number, dst: number, a: Unpacked, b: Unpacked): void {
  const p = precision(f);
  switch (op) {
    case 0:
      fadd(a, b, false, p);
      break;
    case 1:
      fmul(a, b, p);
      break;
    case 4:
      fadd(a, b, true, p);
      break;
    case 5:
      fadd(b, a, true, p);
      break;
    case 6:
      fdiv(a, b, p);
      break;
    default:
      fdiv(b, a, p);
  }
  if (!commitArith(f)) writeFx(f, dst);
}

const CC_OF: readonly number[] = [Sw.C0, Sw.C3, 0, Sw.C3 | Sw.C2 | Sw.C0];

function setCc(f: FpuState, cc: number): void {
  f.fsw = (f.fsw & ~Sw.CC) | cc;
}

/**
 * Compare ST(0) with `b` (FCOM, FCOMP, FCOMPP, FUCOM, FICOM and their popping forms), setting
 * C3/C2/C0, then pop `pops` times. `bEmpty` reports an empty register
 * source (stack underflow).
 */
export function compareSt(
  f: FpuState,
  b: Unpacked,
  quiet: boolean,
  pops: number,
  bEmpty: boolean,
): void {
  if (empty(f, 0) || bEmpty) {
    if (!underflow(f)) return;
    setCc(f, Sw.C3 | Sw.C2 | Sw.C0);
  } else {
    readSt(f, 0, A);
    const rel = fcompare(A, b, quiet);
    if (commit(f, fx.exc, 0)) return;
    setCc(f, CC_OF[rel]);
  }
  for (let k = 0; k < pops; k++) pop(f);
}

/** Push the value in fx (conversion exceptions already in fx.exc): overflow check, commit, push. */
export function pushValue(f: FpuState): void {
  if (!empty(f, 7)) {
    commit(f, Exc.IE | Exc.SF, 1);
    if ((f.fcw & 1) !== 0) {
      pushTop(f);
      writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
    }
    return;
  }
  if (commit(f, fx.exc, 0)) return;
  pushTop(f);
  writeFx(f, 0);
}

/** Push a raw register value (FLD ST(i), constants). */
function pushRaw(f: FpuState, sexp: number, hi: number, lo: number): void {
  fx.exc = 0;
  fx.s = sexp >>> 15;
  fx.x = sexp & 0x7fff;
  fx.hi = hi;
  fx.lo = lo;
  pushValue(f);
}

/** FCOMI/FUCOMI(P): compare into ZF/PF/CF, clearing OF/SF/AF. */
function comi(c: Cpu, f: FpuState, k: number, quiet: boolean, popIt: boolean): void {
  let flags: number;
  if (empty(f, 0) || empty(f, k)) {
    if (!underflow(f)) return;
    flags = 0x45;
  } else {
    readSt(f, 0, A);
    readSt(f, k, B);
    const rel = fcompare(A, B, quiet);
    if (commit(f, fx.exc, 0)) return;
    flags = rel === Rel.GT ? 0 : rel === Rel.LT ? 1 : rel === Rel.EQ ? 0x40 : 0x45;
  }
  c.alu.setFlags(flags);
  if (popIt) pop(f);
}

/** FCMOVcc: `cc` 0 B, 1 E, 2 BE, 3 U; `neg` for the NB/NE/NBE/NU forms. */
function fcmov(c: Cpu, f: FpuState, cc: number, neg: boolean, k: number): void {
  const fl = c.alu.getFlags();
  let t = cc === 0 ? fl & 1 : cc === 1 ? fl & 0x40 : cc === 2 ? fl & 0x41 : fl & 4;
  if (neg) t = t === 0 ? 1 : 0;
  if (empty(f, 0) || empty(f, k)) {
    if (underflow(f)) writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
    return;
  }
  commit(f, 0, 0);
  if (t === 0) return;
  const s = phys(f, k);
  writeSt(f, 0, f.sexp[s], f.mant[2 * s + 1], f.mant[2 * s]);
}

/** FXCH ST(k) (empty registers become the indefinite when IE is masked). */
function fxch(f: FpuState, k: number): void {
  const e0 = empty(f, 0), ek = empty(f, k);
  if (e0 || ek) {
    if (!underflow(f)) return;
    if (e0) writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
    if (ek) writeSt(f, k, INDEF_SEXP, INDEF_HI, 0);
  } else commit(f, 0, 0);
  const p0 = phys(f, 0), pk = phys(f, k);
  const se = f.sexp[p0], hi = f.mant[2 * p0 + 1], lo = f.mant[2 * p0];
  writeSt(f, 0, f.sexp[pk], f.mant[2 * pk + 1], f.mant[2 * pk]);
  writeSt(f, k, se, hi, lo);
}

/** FST/FSTP ST(k) (and the FSTP1/8/9 aliases). */
function fstReg(f: FpuState, k: number, popIt: boolean): void {
  if (empty(f, 0)) {
    if (!underflow(f)) return;
    writeSt(f, k, INDEF_SEXP, INDEF_HI, 0);
  } else {
    commit(f, 0, 0);
    const p0 = phys(f, 0);
    writeSt(f, k, f.sexp[p0], f.mant[2 * p0 + 1], f.mant[2 * p0]);
  }
  if (popIt) pop(f);
}

/** FNINIT state (SDM Vol. 1 8.1.10 / Table 8-? "FINIT"). */
export function finit(f: FpuState): void {
  f.fcw = 0x37f;
  f.fsw = 0;
  f.ftw = 0xffff;
  f.fop = 0;
  f.fip = 0;
  f.fcs = 0;
  f.fdp = 0;
  f.fds = 0;
}

/** Register forms of D8-DF. `k` is the ST(i) index from ModRM.rm. */
export function x87Reg(c: Cpu, f: FpuState, i: Insn, esc: number, r: number, k: number): void {
  // Non-waiting control forms first.
  if (esc === 3 && r === 4) {
    switch (k) {
      case 0: // FNENI, FNDISI: no-ops since the 80387
      case 1:
      case 4: // FNSETPM
        return;
      case 2: // FNCLEX
        f.fsw &= ~0x80ff;
        return;
      case 3:
        finit(f);
        return;
      default:
        ud();
    }
  }
  if (esc === 7 && r === 4) {
    if (k !== 0) ud();
    setReg(c, 0, 2, f.fsw, 0); // FNSTSW AX
    return;
  }
  if (!validReg(esc, r, k)) ud();
  if ((f.fsw & 0x80) !== 0) signalPending(c);
  note(c, f, i, esc);
  begin(f);
  switch (esc) {
    case 0: // D8: ST(0) op ST(i)
      if (r === 2 || r === 3) return regCompare(f, k, false, r === 3 ? 1 : 0);
      return regArith(f, r, 0, k);
    case 4: // DC: ST(i) op ST(0), and the FCOM2/FCOMP3 aliases
      if (r === 2 || r === 3) return regCompare(f, k, false, r === 3 ? 1 : 0);
      return regArith(f, r, k, k);
    case 6: // DE: popping forms, FCOMP5 alias, FCOMPP
      if (r === 2) return regCompare(f, k, false, 1);
      if (r === 3) return regCompare(f, 1, false, 2);
      regArith(f, r, k, k);
      if (!stoppedLast) pop(f);
      return;
    case 1:
      return d9(c, f, r, k);
    case 2: // DA: FCMOVB/E/BE/U, FUCOMPP
      if (r < 4) return fcmov(c, f, r, false, k);
      return regCompare(f, 1, true, 2);
    case 3: // DB: FCMOVNB/NE/NBE/NU, FUCOMI, FCOMI
      if (r < 4) return fcmov(c, f, r, true, k);
      return comi(c, f, k, r === 5, false);
    case 5: // DD: FFREE, FXCH4, FST, FSTP, FUCOM, FUCOMP
      switch (r) {
        case 0:
          commit(f, 0, 0);
          setTag(f, phys(f, k), 3);
          return;
        case 1:
          return fxch(f, k);
        case 2:
          return fstReg(f, k, false);
        case 3:
          return fstReg(f, k, true);
        case 4:
          return regCompare(f, k, true, 0);
        default:
          return regCompare(f, k, true, 1);
      }
    default: // DF: FFREEP, FXCH7, FSTP8, FSTP9, FUCOMIP, FCOMIP
      switch (r) {
        case 0:
          commit(f, 0, 0);
          setTag(f, phys(f, k), 3);
          pop(f);
          return;
        case 1:
          return fxch(f, k);
        case 2:
        case 3:
          return fstReg(f, k, true);
        default:
          return comi(c, f, k, r === 5, true);
      }
  }
}

/** Defined register encodings (others are #UD). */
function validReg(esc: number, r: number, k: number): boolean {
  switch (esc) {
    case 1:
      if (r === 2) return k === 0; // FNOP only
      if (r === 4) return k !== 2 && k !== 3 && k !== 6 && k !== 7;
      if (r === 5) return k !== 7;
      return true;
    case 2:
      return r < 4 || (r === 5 && k === 1);
    case 3:
      return r !== 7 && r !== 4;
    case 5:
      return r < 6;
    case 6:
      return r !== 3 || k === 1;
    case 7:
      return r !== 7;
    default:
      return true;
  }
}

let stoppedLast = false;

function regArith(f: FpuState, r: number, dst: number, k: number): void {
  stoppedLast = false;
  if (empty(f, 0) || empty(f, k)) {
    if (underflow(f)) writeSt(f, dst, INDEF_SEXP, INDEF_HI, 0);
    else stoppedLast = true;
    return;
  }
  readSt(f, 0, A);
  readSt(f, k, B);
  arith(f, r, dst, A, B);
  stoppedLast = (fx.exc & ~f.fcw & (Exc.IE | Exc.DE | Exc.ZE)) !== 0;
}

function regCompare(f: FpuState, k: number, quiet: boolean, pops: number): void {
  const bEmpty = empty(f, k);
  if (!bEmpty) readSt(f, k, B);
  compareSt(f, B, quiet, pops, bEmpty);
}

/** D9 register forms. */
function d9(c: Cpu, f: FpuState, r: number, k: number): void {
  switch (r) {
    case 0: { // FLD ST(k)
      if (empty(f, k)) {
        if (!underflow(f)) return;
        pushRaw(f, INDEF_SEXP, INDEF_HI, 0);
        return;
      }
      const p = phys(f, k);
      pushRaw(f, f.sexp[p], f.mant[2 * p + 1], f.mant[2 * p]);
      return;
    }
    case 1:
      return fxch(f, k);
    case 2: // FNOP
      return;
    case 3: // FSTP1 alias
      return fstReg(f, k, true);
    case 4:
      return d9e0(f, k);
    case 5:
      return constant(f, k);
    case 6:
      return d9f0(c, f, k);
    default:
      return d9f8(c, f, k);
  }
}

/** FCHS, FABS, FTST, FXAM. */
function d9e0(f: FpuState, k: number): void {
  if (k === 5) return fxam(f);
  if (empty(f, 0)) {
    if (!underflow(f)) return;
    if (k === 4) setCc(f, Sw.C3 | Sw.C2 | Sw.C0);
    else writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
    return;
  }
  if (k === 4) { // FTST
    readSt(f, 0, A);
    ZERO.cls = Cls.ZERO;
    ZERO.s = 0;
    const rel = fcompare(A, ZERO, false);
    if (commit(f, fx.exc, 0)) return;
    setCc(f, CC_OF[rel]);
    return;
  }
  commit(f, 0, 0);
  const p = phys(f, 0);
  f.sexp[p] = k === 0 ? f.sexp[p] ^ 0x8000 : f.sexp[p] & 0x7fff;
}

function fxam(f: FpuState): void {
  const p = phys(f, 0);
  const se = f.sexp[p], hi = f.mant[2 * p + 1], lo = f.mant[2 * p];
  let cc: number;
  if (empty(f, 0)) cc = Sw.C3 | Sw.C0;
  else {
    const x = se & 0x7fff;
    const j = (hi & 0x80000000) !== 0;
    if (x === 0x7fff) {
      cc = !j ? 0 : (hi & 0x7fffffff) === 0 && lo === 0 ? Sw.C2 | Sw.C0 : Sw.C0;
    } else if (x === 0) cc = (hi | lo) === 0 ? Sw.C3 : Sw.C3 | Sw.C2;
    else cc = j ? Sw.C2 : 0;
  }
  if ((se & 0x8000) !== 0) cc |= Sw.C1;
  f.fsw = (f.fsw & ~Sw.CC) | cc;
}

// Constants as 66-bit values (significand hi, lo, two extra bits) rounded by RC (SDM Vol. 1 8.3.8).
const CONSTS: readonly (readonly number[])[] = [
  [0x3fff, 0x80000000, 0, 0], // 1
  [0x4000, 0xd49a784b, 0xcd1b8afe, 1], // log2(10)
  [0x3fff, 0xb8aa3b29, 0x5c17f0bb, 2], // log2(e)
  [0x4000, 0xc90fdaa2, 0x2168c234, 3], // pi
  [0x3ffd, 0x9a209a84, 0xfbcff798, 3], // log10(2)
  [0x3ffe, 0xb17217f7, 0xd1cf79ab, 3], // ln(2)
  [0, 0, 0, 0], // +0
];

function constant(f: FpuState, k: number): void {
  const [se, hi, lo0, ext] = CONSTS[k];
  let lo = lo0;
  const rc = (f.fcw >>> 10) & 3;
  const up = rc === 0 ? ext > 2 || (ext === 2 && (lo & 1) !== 0) : rc === 2 ? ext !== 0 : false;
  if (up) lo = (lo + 1) >>> 0; // no carry out for these constants
  pushRaw(f, se, hi, lo);
}

/** D9 F0-F7: F2XM1, FYL2X, FPTAN, FPATAN, FXTRACT, FPREM1, FDECSTP, FINCSTP. */
function d9f0(c: Cpu, f: FpuState, k: number): void {
  switch (k) {
    case 0:
      return f2xm1(f, transcModelOf(c.model));
    case 1:
      return fyl2x(f, false, transcModelOf(c.model));
    case 2:
      return fptan(f, transcModelOf(c.model));
    case 3:
      return fpatan(f, transcModelOf(c.model));
    case 4:
      return fxtract(f);
    case 5:
      return fprem(f, true);
    case 6:
      commit(f, 0, 0);
      f.fsw = (f.fsw & ~0x3800) | ((((f.fsw >>> 11) - 1) & 7) << 11);
      return;
    default:
      commit(f, 0, 0);
      f.fsw = (f.fsw & ~0x3800) | ((((f.fsw >>> 11) + 1) & 7) << 11);
  }
}

/** D9 F8-FF: FPREM, FYL2XP1, FSQRT, FSINCOS, FRNDINT, FSCALE, FSIN, FCOS. */
function d9f8(c: Cpu, f: FpuState, k: number): void {
  switch (k) {
    case 0:
      return fprem(f, false);
    case 1:
      return fyl2x(f, true, transcModelOf(c.model));
    case 2:
      return unaryArith(f);
    case 3:
      return fsincos(f, 3, transcModelOf(c.model));
    case 4:
      return frndint(f);
    case 5:
      return fscale(f);
    case 6:
      return fsincos(f, 1, transcModelOf(c.model));
    default:
      return fsincos(f, 2, transcModelOf(c.model));
  }
}

function unaryArith(f: FpuState): void {
  if (empty(f, 0)) {
    if (underflow(f)) writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
    return;
  }
  readSt(f, 0, A);
  sqrtOp(A, precision(f));
  if (!commitArith(f)) writeFx(f, 0);
}
