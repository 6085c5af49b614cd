/**
 * x87 operations on the exponent and integer part: FRNDINT, FSCALE,
 * FXTRACT and the partial remainders FPREM/FPREM1 (SDM Vol. 2 entries of
 * each; special-operand tables reproduced from their descriptions).
 *
 * @module
 */

import type { FpuState } from "./state.ts";
import { Cls, Exc, fx, roundPack80, roundToInt, Unpacked, W } from "./f80.ts";
import { indefinite, nanRules1, nanRules2, setInf, setZero } from "./ops.ts";
import { loadInt } from "./convert.ts";
import {
  commit,
  commitArith,
  empty,
  INDEF_HI,
  INDEF_SEXP,
  pushTop,
  readSt,
  Sw,
  underflow,
  writeFx,
  writeSt,
} from "./stack.ts";

const A = new Unpacked();
const B = new Unpacked();
const TWO32 = 4294967296;

/** Underflow response for a one-register operation; returns true if ST(0) was empty. */
function empty0(f: FpuState): boolean {
  if (!empty(f, 0)) return false;
  if (underflow(f)) writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
  return true;
}

/** Underflow response for ST(0)/ST(1) operations; returns true if one was empty. */
function empty01(f: FpuState): boolean {
  if (!empty(f, 0) && !empty(f, 1)) return false;
  if (underflow(f)) writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
  return true;
}

/** Set fx from a 64-bit magnitude (hi, lo), sign s, value hi:lo * 2^(e - 63) (normalizing). */
function setMag(s: number, hi: number, lo: number, e: number): void {
  if ((hi | lo) === 0) {
    setZero(s);
    return;
  }
  W[3] = hi;
  W[2] = lo;
  W[1] = 0;
  W[0] = 0;
  roundPack80(s, e, 64);
}

/** FRNDINT. */
export function frndint(f: FpuState): void {
  if (empty0(f)) return;
  readSt(f, 0, A);
  if (!nanRules1(A)) {
    if (A.cls === Cls.ZERO || A.cls === Cls.INF) {
      fx.s = A.s;
      fx.x = A.cls === Cls.ZERO ? 0 : 0x7fff;
      fx.hi = A.cls === Cls.ZERO ? 0 : 0x80000000;
      fx.lo = 0;
    } else {
      if (A.cls === Cls.DENORMAL) fx.exc |= Exc.DE;
      if ((fx.exc & ~fx.mask & Exc.DE) !== 0) {
        commit(f, fx.exc, 0);
        return;
      }
      const carry = roundToInt(A.s, A.e, A.hi, A.lo, fx.rc);
      if (carry === -1) {
        fx.s = A.s;
        fx.x = A.e + 16383;
        fx.hi = A.hi;
        fx.lo = A.lo;
      } else {
        fx.exc |= Exc.PE;
        const up = fx.up;
        if (carry === 1) {
          fx.s = A.s;
          fx.x = 64 + 16383;
          fx.hi = 0x80000000;
          fx.lo = 0;
        } else setMag(A.s, W[3], W[2], 63);
        fx.up = up;
      }
    }
  }
  if (!commitArith(f)) writeFx(f, 0);
}

/** FSCALE: ST(0) * 2^trunc(ST(1)). */
export function fscale(f: FpuState): void {
  if (empty01(f)) return;
  readSt(f, 0, A);
  readSt(f, 1, B);
  if (!nanRules2(A, B)) scaleCore();
  if (!commitArith(f)) writeFx(f, 0);
}

function scaleCore(): void {
  const a = A, b = B;
  if (b.cls === Cls.INF) {
    if (a.cls === Cls.DENORMAL) fx.exc |= Exc.DE;
    if (b.s !== 0) { // 2^-inf
      if (a.cls === Cls.INF) indefinite();
      else setZero(a.s);
    } else if (a.cls === Cls.ZERO) indefinite();
    else setInf(a.s);
    return;
  }
  if (a.cls === Cls.DENORMAL || b.cls === Cls.DENORMAL) fx.exc |= Exc.DE;
  if (a.cls === Cls.ZERO || a.cls === Cls.INF) {
    if (a.cls === Cls.ZERO) setZero(a.s);
    else setInf(a.s);
    return;
  }
  if ((fx.exc & ~fx.mask & Exc.DE) !== 0) return;
  let n = 0;
  if (b.cls !== Cls.ZERO && b.e >= 0) n = b.e >= 30 ? 0x40000000 : b.hi >>> (31 - b.e);
  if (b.s !== 0) n = -n;
  W[3] = a.hi;
  W[2] = a.lo;
  W[1] = 0;
  W[0] = 0;
  roundPack80(a.s, a.e + n, 64);
}

/** FXTRACT: ST(0) = exponent, then push the significand. */
export function fxtract(f: FpuState): void {
  if (empty0(f)) return;
  if (!empty(f, 7)) {
    commit(f, Exc.IE | Exc.SF, 1);
    if ((f.fcw & 1) !== 0) {
      writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
      pushTop(f);
      writeSt(f, 0, INDEF_SEXP, INDEF_HI, 0);
    }
    return;
  }
  readSt(f, 0, A);
  let es = 0, ex = 0, eh = 0, el = 0; // exponent result
  if (nanRules1(A)) {
    es = fx.s;
    ex = fx.x;
    eh = fx.hi;
    el = fx.lo;
  } else if (A.cls === Cls.ZERO) {
    fx.exc |= Exc.ZE;
    es = 1;
    ex = 0x7fff;
    eh = 0x80000000;
    setZero(A.s);
  } else if (A.cls === Cls.INF) {
    ex = 0x7fff;
    eh = 0x80000000;
    setInf(A.s);
  } else {
    if (A.cls === Cls.DENORMAL) fx.exc |= Exc.DE;
    const save = fx.exc;
    loadInt(A.e >>> 0, A.e < 0 ? 0xffffffff : 0);
    fx.exc = save;
    es = fx.s;
    ex = fx.x;
    eh = fx.hi;
    el = fx.lo;
    fx.s = A.s;
    fx.x = 0x3fff;
    fx.hi = A.hi;
    fx.lo = A.lo;
  }
  if (commit(f, fx.exc, 0)) return;
  writeSt(f, 0, (es << 15) | ex, eh, el);
  pushTop(f);
  writeFx(f, 0);
}

/**
 * N of the SDM pseudocode for exponent differences D >= 64: the partial
 * remainder reduces the exponent by N = 32 + (D mod 32) (an implementation
 * choice in 32..63; this one matches the recorded hardware).
 */
export function premN(d: number): number {
  return 32 + (d & 31);
}

/** FPREM (`ieee` false, truncating quotient) and FPREM1 (`ieee` true, round-to-nearest). */
export function fprem(f: FpuState, ieee: boolean): void {
  if (empty01(f)) return;
  readSt(f, 0, A);
  readSt(f, 1, B);
  let cc = 0; // C3/C2/C1/C0 to set
  if (nanRules2(A, B)) {
    // fx holds the NaN result.
  } else if (A.cls === Cls.INF || B.cls === Cls.ZERO) indefinite();
  else {
    if (A.cls === Cls.DENORMAL || B.cls === Cls.DENORMAL) fx.exc |= Exc.DE;
    if (A.cls === Cls.ZERO || B.cls === Cls.INF) {
      fx.s = A.s;
      if (A.cls === Cls.ZERO) setZero(A.s);
      else {
        W[3] = A.hi;
        W[2] = A.lo;
        W[1] = W[0] = 0;
        roundPack80(A.s, A.e, 64);
      }
    } else cc = remCore(ieee);
  }
  if (commit(f, fx.exc, 0)) return;
  f.fsw = (f.fsw & ~Sw.CC) | cc;
  writeFx(f, 0);
}

/** Remainder of finite non-zero A by B into fx; returns the condition-code bits. */
function remCore(ieee: boolean): number {
  const d = A.e - B.e;
  if (d < -1 || (d === -1 && !ieee)) {
    W[3] = A.hi;
    W[2] = A.lo;
    W[1] = W[0] = 0;
    roundPack80(A.s, A.e, 64);
    return 0;
  }
  const bh = B.hi, bl = B.lo;
  if (d === -1) {
    // |a| > |b|/2 rounds the quotient to 1: result b - a (sign flipped).
    if (A.hi > bh || (A.hi === bh && A.lo > bl)) {
      // (2B - A) * 2^(ea - 63): 2B has 65 bits, the difference fits in 64.
      const b0 = (bl << 1) >>> 0, b1 = ((bh << 1) | (bl >>> 31)) >>> 0;
      let l = b0 - A.lo, bw = 0;
      if (l < 0) {
        l += TWO32;
        bw = 1;
      }
      let h = b1 - A.hi - bw;
      if (h < 0) h += TWO32;
      return setRem(A.s ^ 1, h, l, A.e, 1);
    }
    W[3] = A.hi;
    W[2] = A.lo;
    W[1] = W[0] = 0;
    roundPack80(A.s, A.e, 64);
    return 0;
  }
  const partial = d >= 64;
  const n = partial ? premN(d) : 0;
  const steps = partial ? n + 1 : d + 1;
  let r2 = 0, r1 = A.hi, r0 = A.lo;
  let q = 0; // low bits of the quotient
  for (let s = 0; s < steps; s++) {
    if (s > 0) {
      r2 = r1 >>> 31;
      r1 = ((r1 << 1) | (r0 >>> 31)) >>> 0;
      r0 = (r0 << 1) >>> 0;
    }
    q = (q << 1) & 7;
    if (r2 !== 0 || r1 > bh || (r1 === bh && r0 >= bl)) {
      let d0 = r0 - bl, bw = 0;
      if (d0 < 0) {
        d0 += TWO32;
        bw = 1;
      }
      let d1 = r1 - bh - bw;
      if (d1 < 0) d1 += TWO32;
      r2 = 0;
      r1 = d1;
      r0 = d0;
      q |= 1;
    }
  }
  // Remainder weight: exponent of the last quotient bit's divisor position.
  const eR = B.e + (partial ? d - n : 0);
  let s = A.s;
  if (ieee && !partial) {
    // Compare 2R with B.
    const t2 = r1 >>> 31, t1 = ((r1 << 1) | (r0 >>> 31)) >>> 0, t0 = (r0 << 1) >>> 0;
    const gt = t2 !== 0 || t1 > bh || (t1 === bh && t0 > bl);
    const eq = t2 === 0 && t1 === bh && t0 === bl;
    if (gt || (eq && (q & 1) !== 0)) {
      q = (q + 1) & 7;
      let d0 = bl - r0, bw = 0;
      if (d0 < 0) {
        d0 += TWO32;
        bw = 1;
      }
      r1 = bh - r1 - bw;
      r0 = d0;
      s ^= 1;
    }
  }
  if (partial) return setRem(s, r1, r0, eR, -1) | Sw.C2;
  return setRem(s, r1, r0, eR, q);
}

/** Write remainder magnitude (hi, lo) * 2^(e - 63) with sign s; returns CC bits for quotient q (or 0 if q < 0). */
function setRem(s: number, hi: number, lo: number, e: number, q: number): number {
  if ((hi | lo) === 0) setZero(s);
  else {
    W[3] = hi >>> 0;
    W[2] = lo >>> 0;
    W[1] = W[0] = 0;
    roundPack80(s, e, 64);
  }
  if (q < 0) return 0;
  return ((q & 4) !== 0 ? Sw.C0 : 0) | ((q & 2) !== 0 ? Sw.C3 : 0) | ((q & 1) !== 0 ? Sw.C1 : 0);
}
