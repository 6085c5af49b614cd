/**
 * x87 transcendental instructions: F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN,
 * FCOS, FSINCOS, FPTAN (SDM Vol. 2; special-operand tables of each entry).
 * Finite results come from the high-precision reference in `bigmath.ts`
 * rounded once with the current rounding control (precision control does
 * not apply to these instructions).
 *
 * @module
 */

import type { FpuState } from "./state.ts";
import { Cls, Exc, fx, Unpacked } from "./f80.ts";
import { indefinite, nanRules1, nanRules2, setInf, setZero } from "./ops.ts";
import {
  atan,
  atanh,
  exact,
  expm1,
  ln2,
  pi,
  PREC,
  roundFixed,
  roundFixedOrZero,
  sinCosSmall,
  toFixed,
} from "./bigmath.ts";
import {
  commit,
  commitArith,
  empty,
  INDEF_HI,
  INDEF_SEXP,
  pop,
  pushTop,
  readSt,
  Sw,
  underflow,
  writeFx,
  writeSt,
} from "./stack.ts";

const A = new Unpacked();
const B = new Unpacked();

function setOne(s: number): void {
  fx.s = s;
  fx.x = 0x3fff;
  fx.hi = 0x80000000;
  fx.lo = 0;
}

/** F2XM1: ST(0) = 2^ST(0) - 1. */
export function f2xm1(f: FpuState): void {
  if (empty(f, 0)) {
    if (underflow(f)) writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
    return;
  }
  readSt(f, 0, A);
  if (!nanRules1(A)) {
    if (A.cls === Cls.ZERO) setZero(A.s);
    else if (A.cls === Cls.INF) {
      if (A.s !== 0) setOne(1);
      else setInf(0);
    } else {
      if (A.cls === Cls.DENORMAL) fx.exc |= Exc.DE;
      if ((fx.exc & ~fx.mask & Exc.DE) !== 0) {
        commit(f, fx.exc, 0);
        return;
      }
      const F = PREC + Math.max(0, -A.e);
      const x = exact(A);
      let t = (toFixed(x.m, x.e, F) * ln2(F)) >> BigInt(F);
      if (x.s !== 0) t = -t;
      roundFixed(0, expm1(t, F), F);
    }
  }
  if (!commitArith(f)) writeFx(f, 0);
}

/** Result to ST(1) then pop (FYL2X, FYL2XP1, FPATAN); handles empty operands. */
function binaryPop(f: FpuState, op: () => void): void {
  if (empty(f, 0) || empty(f, 1)) {
    if (!underflow(f)) return;
    writeSt(f, 1, INDEF_SEXP, INDEF_HI, 0);
    pop(f);
    return;
  }
  readSt(f, 0, A);
  readSt(f, 1, B);
  if (!nanRules2(A, B)) op();
  if (commitArith(f)) return;
  writeFx(f, 1);
  pop(f);
}

/** FYL2X (`p1` false): ST(1) * log2(ST(0)); FYL2XP1: ST(1) * log2(ST(0) + 1). */
export function fyl2x(f: FpuState, p1: boolean): void {
  binaryPop(f, p1 ? yl2xp1Core : yl2xCore);
}

function denorm2(): boolean {
  if (A.cls === Cls.DENORMAL || B.cls === Cls.DENORMAL) fx.exc |= Exc.DE;
  return (fx.exc & ~fx.mask & Exc.DE) !== 0;
}

/** log2 of a finite positive value as fixed point with F bits. */
function log2Fixed(x: Unpacked, F: number): bigint {
  // x = m * 2^k with m in [sqrt(1/2), sqrt(2)).
  const ex = exact(x);
  let k = x.e;
  let mf = toFixed(ex.m, -63, F); // significand in [1, 2)
  const one = 1n << BigInt(F);
  if (x.hi > 0xb504f333) {
    mf >>= 1n;
    k++;
  }
  const z = ((mf - one) << BigInt(F)) / (mf + one);
  const ln = atanh(z, F) * 2n;
  return BigInt(k) * one + (ln << BigInt(F)) / ln2(F);
}

function yl2xCore(): void {
  const x = A, y = B;
  if (x.s !== 0 && x.cls !== Cls.ZERO) return indefinite();
  const xIsOne = x.cls === Cls.NORMAL && x.e === 0 && x.hi === 0x80000000 && x.lo === 0;
  if (x.cls === Cls.ZERO) {
    if (y.cls === Cls.ZERO) return indefinite();
    if (y.cls !== Cls.INF) fx.exc |= Exc.ZE;
    if (denorm2()) return;
    return setInf(y.s ^ 1);
  }
  if (x.cls === Cls.INF) {
    if (y.cls === Cls.ZERO) return indefinite();
    if (denorm2()) return;
    return setInf(y.s);
  }
  if (y.cls === Cls.INF) {
    if (xIsOne) return indefinite();
    if (denorm2()) return;
    return setInf(y.s ^ (x.e < 0 ? 1 : 0));
  }
  if (denorm2()) return;
  if (y.cls === Cls.ZERO || xIsOne) return setZero(y.s ^ (x.e < 0 ? 1 : 0));
  const F = PREC + 64;
  const l = log2Fixed(x, F);
  const ey = exact(y);
  roundFixedOrZero(y.s, l * ey.m, F - ey.e);
}

function yl2xp1Core(): void {
  const x = A, y = B;
  if (x.cls === Cls.ZERO) {
    if (y.cls === Cls.INF) return indefinite();
    if (denorm2()) return;
    return setZero(x.s ^ y.s);
  }
  if (x.cls === Cls.INF) {
    if (x.s !== 0 || y.cls === Cls.ZERO) return indefinite();
    if (denorm2()) return;
    return setInf(y.s);
  }
  // 1 + x must be positive.
  if (x.s !== 0 && x.e >= 0) return indefinite();
  if (y.cls === Cls.INF) {
    if (denorm2()) return;
    return setInf(y.s ^ x.s);
  }
  if (denorm2()) return;
  if (y.cls === Cls.ZERO) return setZero(y.s ^ x.s);
  const F = PREC + 64 + Math.max(0, -x.e);
  const ex = exact(x);
  let xf = toFixed(ex.m, ex.e, F);
  if (x.s !== 0) xf = -xf;
  const two = 2n << BigInt(F);
  const z = (xf << BigInt(F)) / (two + xf);
  const l = ((atanh(z, F) * 2n) << BigInt(F)) / ln2(F);
  const ey = exact(y);
  roundFixedOrZero(y.s, l * ey.m, F - ey.e);
}

/** FPATAN: ST(1) = atan2(ST(1), ST(0)), pop. */
export function fpatan(f: FpuState): void {
  binaryPop(f, atanCore);
}

function atanCore(): void {
  const x = A, y = B; // atan2(y, x)
  const F = PREC + 64;
  const piF = pi(F);
  if (y.cls === Cls.ZERO || x.cls === Cls.ZERO || y.cls === Cls.INF || x.cls === Cls.INF) {
    if (denorm2()) return;
    if (y.cls === Cls.ZERO) {
      if (x.s === 0) return setZero(y.s);
      return roundFixed(y.s, piF, F);
    }
    if (y.cls === Cls.INF) {
      if (x.cls === Cls.INF) return roundFixed(y.s, x.s === 0 ? piF >> 2n : (3n * piF) >> 2n, F);
      return roundFixed(y.s, piF >> 1n, F);
    }
    if (x.cls === Cls.ZERO) return roundFixed(y.s, piF >> 1n, F);
    // x infinite, y finite
    if (x.s === 0) return setZero(y.s);
    return roundFixed(y.s, piF, F);
  }
  if (denorm2()) return;
  const ex = exact(x), ey = exact(y);
  // ratio = min/max of |x|,|y| as fixed point with G bits.
  const yBig = cmpMag(y, x) > 0;
  const num = yBig ? ex : ey, den = yBig ? ey : ex;
  const G = F + Math.max(0, den.e - num.e);
  const r = (num.m << BigInt(G + num.e - den.e)) / den.m;
  let a = atan(r, G);
  const piG = pi(G);
  if (yBig) a = (piG >> 1n) - a;
  if (x.s !== 0) a = piG - a;
  roundFixedOrZero(y.s, a, G);
}

function cmpMag(a: Unpacked, b: Unpacked): number {
  if (a.e !== b.e) return a.e > b.e ? 1 : -1;
  if (a.hi !== b.hi) return a.hi > b.hi ? 1 : -1;
  if (a.lo !== b.lo) return a.lo > b.lo ? 1 : -1;
  return 0;
}

/**
 * FSIN (mode 1), FCOS (2), FSINCOS (3); FPTAN is mode 4. Operands with
 * |x| >= 2^63 set C2 and leave the stack unchanged.
 */
export function fsincos(f: FpuState, mode: number): void {
  const pushes = mode >= 3;
  if (empty(f, 0)) {
    if (!underflow(f)) return;
    writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
    if (pushes && empty(f, 7)) {
      pushTop(f);
      writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
    }
    return;
  }
  if (pushes && !empty(f, 7)) {
    commit(f, Exc.IE | Exc.SF, 1);
    if ((f.fcw & 1) !== 0) {
      writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
      pushTop(f);
      writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
    }
    return;
  }
  readSt(f, 0, A);
  let s1 = 0, x1 = 0, h1 = 0, l1 = 0; // first result (ST(0) before the push)
  let up1 = 0;
  if (nanRules1(A)) {
    s1 = fx.s;
    x1 = fx.x;
    h1 = fx.hi;
    l1 = fx.lo;
  } else if (A.cls === Cls.INF) {
    indefinite();
    s1 = fx.s;
    x1 = fx.x;
    h1 = fx.hi;
    l1 = fx.lo;
  } else if (A.cls !== Cls.ZERO && A.e >= 63) {
    f.fsw |= Sw.C2;
    commit(f, fx.exc, 0);
    return;
  } else if (A.cls === Cls.ZERO) {
    if (mode === 2) setOne(0);
    else setZero(A.s);
    s1 = fx.s;
    x1 = fx.x;
    h1 = fx.hi;
    l1 = fx.lo;
    if (mode === 3) setOne(0);
    if (mode === 4) setOne(0);
  } else {
    if (A.cls === Cls.DENORMAL) fx.exc |= Exc.DE;
    if ((fx.exc & ~fx.mask & Exc.DE) !== 0) {
      commit(f, fx.exc, 0);
      return;
    }
    const F = PREC + Math.max(0, -A.e);
    const ex = exact(A);
    const X = toFixed(ex.m, ex.e, F + 70);
    const halfPi = pi(F + 70) >> 1n;
    const n = (X + (halfPi >> 1n)) / halfPi;
    const t = (X - n * halfPi) >> 70n;
    const [sn, cs] = sinCosSmall(t, F);
    const q = Number(n & 3n);
    // sin(x) and cos(x) from the quadrant
    let sv = q === 0 ? sn : q === 1 ? cs : q === 2 ? -sn : -cs;
    const cv = q === 0 ? cs : q === 1 ? -sn : q === 2 ? -cs : sn;
    if (A.s !== 0) sv = -sv;
    if (mode === 4) {
      roundFixedOrZero(0, (sv << BigInt(F)) / cv, F);
    } else roundFixedOrZero(0, mode === 2 ? cv : sv, F);
    s1 = fx.s;
    x1 = fx.x;
    h1 = fx.hi;
    l1 = fx.lo;
    up1 = fx.up;
    if (mode === 3) roundFixedOrZero(0, cv, F);
    if (mode === 4) setOne(0);
  }
  fx.up = mode === 3 ? fx.up : up1;
  if (commitArith(f)) return;
  f.fsw &= ~Sw.C2;
  writeSt(f, 0, (s1 << 15) | x1, h1, l1);
  if (pushes) {
    pushTop(f);
    writeFx(f, 0);
  }
}

/** FPTAN: ST(0) = tan(ST(0)), then push 1.0. */
export function fptan(f: FpuState): void {
  fsincos(f, 4);
}
