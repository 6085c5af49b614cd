/**
 * x87 transcendental instructions: F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN,
 * FCOS, FSINCOS, FPTAN (SDM Vol. 2; special-operand tables of each entry).
 * Finite results come from the high-precision reference in `bigmath.ts`
 * rounded once with the current rounding control (precision control does
 * not apply to these instructions), except where a CPU model's microcode is
 * reproduced. On AMD Zen (`transcModelOf`) every finite operand in the
 * instructions' domains follows a model of the microcode: FSIN, FCOS and
 * FSINCOS (`transc_amd_sincos.ts`), FPATAN and FPTAN (`transc_amd.ts`),
 * F2XM1 (`transc_amd_f2xm1.ts`), FYL2X and FYL2XP1 (`transc_amd_ylog.ts`).
 * Each model is exact (no difference from the host found in hold-outs)
 * in part of its domain and a best fit beyond (rare differences, measured
 * and listed in its file): FPTAN exact for every reduced |t| <= pi/4, F2XM1 for
 * |x| < 2^-5, FYL2XP1 for |x| < 2^-5, FYL2X within 1 +- 2^-3 of a power of
 * two (1 +- 2^-5 of 1), FSIN/FCOS below 2^-2, FPATAN for ratios below
 * 2^-5 (`transc_amd_atan.ts`).
 *
 * @module
 */

import type { FpuState } from "./state.ts";
import { Cls, Exc, fx, Unpacked } from "./f80.ts";
import { indefinite, nanRules1, nanRules2, setInf, setZero } from "./ops.ts";
import {
  atanBracket,
  atanFixed,
  atanhBracket,
  CF,
  cosFixed,
  expm1Bracket,
  LN2,
  ONE,
  PI,
  PI66,
  PREC,
  roundRational,
  sig,
  sinBracket,
} from "./bigmath.ts";
import { atan2AmdZen, tanAmdZen, type TranscModel } from "./transc_amd.ts";
import { ylogAmdZen } from "./transc_amd_ylog.ts";
import { f2xm1AmdZen } from "./transc_amd_f2xm1.ts";
import { sinCosAmdZen } from "./transc_amd_sincos.ts";
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

/**
 * F2XM1: ST(0) = 2^ST(0) - 1. With `model` "amd-zen", |x| < 1 follows
 * the AMD microcode (`transc_amd_f2xm1.ts`: exact below 2^-5, a best fit
 * above).
 */
export function f2xm1(f: FpuState, model: TranscModel = "exact"): void {
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
      const one = A.e === 0 && A.hi === 0x80000000 && A.lo === 0;
      if (A.e >= 0 && !(one && A.s === 0)) {
        // x = -1: exactly -1/2; |x| > 1 (undefined by the SDM): the
        // operand is left unchanged. Both are reported inexact, as recorded.
        fx.exc |= Exc.PE;
        fx.s = A.s;
        fx.x = !one ? A.e + 16383 : A.s !== 0 ? 0x3ffe : 0x3fff;
        fx.hi = A.hi;
        fx.lo = A.lo;
        fx.up = 0;
        if (!commitArith(f)) writeFx(f, 0);
        return;
      }
      if (!(model === "amd-zen" && f2xm1AmdZen(A.s !== 0, sig(A), A.e))) {
        // t = x ln2 = m * LN2 * 2^(e - 63 - CF); 2^x - 1 = t * (e^t - 1)/t.
        const ml = sig(A) * LN2 * (A.s !== 0 ? -1n : 1n);
        const sh = A.e - 63 - Number(CF) + PREC;
        const tf = sh >= 0 ? ml << BigInt(sh) : ml >> BigInt(-sh);
        roundRational(0, ml * expm1Bracket(tf), 1n, A.e - 63 - Number(CF) - PREC);
      }
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

/**
 * FYL2X (`p1` false): ST(1) * log2(ST(0)); FYL2XP1: ST(1) * log2(ST(0) + 1).
 * With `model` "amd-zen", FYL2XP1 with 1 + x in [sqrt(1/2), sqrt(2)) and
 * FYL2X of normal x follow the AMD microcode model (`transc_amd_ylog.ts`:
 * exact for |x| < 2^-5 and for x within a factor 1 +- 2^-3 of a power of
 * two, 1 +- 2^-5 of 1; best-fit elsewhere).
 */
export function fyl2x(f: FpuState, p1: boolean, model: TranscModel = "exact"): void {
  const amd = model === "amd-zen";
  binaryPop(f, p1 ? (amd ? yl2xp1Amd : yl2xp1Exact) : (amd ? yl2xAmd : yl2xExact));
}

const yl2xExact = (): void => yl2xCore(false);
const yl2xAmd = (): void => yl2xCore(true);
const yl2xp1Exact = (): void => yl2xp1Core(false);
const yl2xp1Amd = (): void => yl2xp1Core(true);

function denorm2(): boolean {
  if (A.cls === Cls.DENORMAL || B.cls === Cls.DENORMAL) fx.exc |= Exc.DE;
  return (fx.exc & ~fx.mask & Exc.DE) !== 0;
}

/**
 * y * log2(x) for finite positive x (not 1) and finite non-zero y, via
 * log2(m) = 2 atanh((m - 1)/(m + 1)) / ln 2 with m in [sqrt(1/2), sqrt(2)).
 * `p`/`q` is the exact z, `k` the integer part; value = k + 2 z atanhB / ln2.
 */
function ylog(y: Unpacked, k: bigint, p: bigint, q: bigint): void {
  const sh = BigInt(PREC);
  const zf = (p << sh) / q - (p < 0n ? 1n : 0n);
  const ahb = atanhBracket(zf);
  const den = q * LN2 << sh;
  const num = k * den + ((2n * p * ahb) << CF);
  roundRational(y.s, sig(y) * num, den, y.e - 63);
}

function yl2xCore(amd: boolean): void {
  const x = A, y = B;
  if (x.s !== 0 && x.cls !== Cls.ZERO) return indefinite();
  const xIsOne = x.cls === Cls.NORMAL && x.e === 0 && x.hi === 0x80000000 && x.lo === 0;
  if (x.cls === Cls.ZERO) {
    if (y.cls === Cls.ZERO) return indefinite();
    if (y.cls !== Cls.INF) fx.exc |= Exc.ZE; // ZE takes precedence over DE
    else if (denorm2()) return;
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
  if (amd && ylogAmdZen(y, x, false)) return;
  const m = sig(x);
  const big = x.hi > 0xb504f333;
  const base = big ? 1n << 64n : 1n << 63n;
  ylog(y, BigInt(big ? x.e + 1 : x.e), m - base, m + base);
}

function yl2xp1Core(amd: boolean): void {
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
  if (amd && ylogAmdZen(y, x, true)) return;
  // z = x / (2 + x) with x = m * 2^(e - 63): p = +-m, q = 2^(64 - e) + p.
  const p = x.s !== 0 ? -sig(x) : sig(x);
  if (x.e < -2) return ylog(y, 0n, p, (1n << BigInt(64 - x.e)) + p);
  // |x| >= 1/4: 1 + x = N * 2^(e - 63) exactly; reduce it like FYL2X does.
  const nv = (1n << BigInt(63 - x.e)) + p;
  const bits = nv.toString(2).length;
  let base = 1n << BigInt(bits - 1);
  let k = bits - 1 + x.e - 63;
  if (nv * nv > 2n * base * base) {
    base <<= 1n;
    k++;
  }
  ylog(y, BigInt(k), nv - base, nv + base);
}

/**
 * FPATAN: ST(1) = atan2(ST(1), ST(0)), pop. `model` "amd-zen" gives the
 * results of AMD Zen 4/Zen 5 microcode for finite operands
 * (`transc_amd.ts`); "exact" the correctly rounded ones.
 */
export function fpatan(f: FpuState, model: TranscModel = "exact"): void {
  binaryPop(f, model === "amd-zen" ? atanAmd : atanExact);
}

const atanExact = (): void => atanCore(false);
const atanAmd = (): void => atanCore(true);

/** Round a fixed-point (CF fraction bits) positive constant-derived value with sign s. */
function roundConst(s: number, v: bigint): void {
  roundRational(s, v, 1n, -Number(CF));
}

function atanCore(amd: boolean): void {
  const x = A, y = B; // atan2(y, x)
  if (y.cls === Cls.ZERO || x.cls === Cls.ZERO || y.cls === Cls.INF || x.cls === Cls.INF) {
    if (denorm2()) return;
    if (y.cls === Cls.ZERO) {
      if (x.s === 0) return setZero(y.s);
      return roundConst(y.s, PI);
    }
    if (y.cls === Cls.INF) {
      if (x.cls === Cls.INF) return roundConst(y.s, x.s === 0 ? PI >> 2n : (3n * PI) >> 2n);
      return roundConst(y.s, PI >> 1n);
    }
    if (x.cls === Cls.ZERO) return roundConst(y.s, PI >> 1n);
    if (x.s === 0) return setZero(y.s); // x = +inf, y finite
    return roundConst(y.s, PI);
  }
  if (denorm2()) return;
  // r = num / den <= 1, exact: (nm / dm) * 2^(ne - de).
  const yBig = cmpMag(y, x) > 0;
  if (amd) return atan2AmdZen(y, x, yBig);
  const n = yBig ? x : y, d = yBig ? y : x;
  const nm = sig(n), dm = sig(d), ed = n.e - d.e;
  const sh = ed + PREC;
  const rf = sh >= 0 ? (nm << BigInt(sh)) / dm : nm / (dm << BigInt(-sh));
  if (!yBig && x.s === 0) {
    // Result atan(r) itself: keep r exact for full relative precision.
    if (rf <= ONE >> 2n) return roundRational(y.s, nm * atanBracket(rf), dm, ed - PREC);
    return roundRational(y.s, atanFixed(rf), 1n, -PREC);
  }
  const at = rf <= ONE >> 2n ? (rf * atanBracket(rf)) >> BigInt(PREC) : atanFixed(rf);
  let v = at << (CF - BigInt(PREC)); // to CF fraction bits
  if (yBig) v = (PI >> 1n) - v;
  if (x.s !== 0) v = PI - v;
  roundConst(y.s, v);
}

function cmpMag(a: Unpacked, b: Unpacked): number {
  if (a.e !== b.e) return a.e > b.e ? 1 : -1;
  if (a.hi !== b.hi) return a.hi > b.hi ? 1 : -1;
  if (a.lo !== b.lo) return a.lo > b.lo ? 1 : -1;
  return 0;
}

/**
 * FSIN (mode 1), FCOS (2), FSINCOS (3); FPTAN is mode 4. With `model`
 * "amd-zen" sine and cosine follow the AMD microcode
 * (`transc_amd_sincos.ts`), and so does the tangent of small reduced
 * arguments (`transc_amd.ts`). Operands with |x| >= 2^63 set C2 and leave
 * the stack unchanged.
 */
export function fsincos(f: FpuState, mode: number, model: TranscModel = "exact"): void {
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
    // Reduce with the 66-bit pi: x = n * pi66/2 + t, t = T * 2^te.
    const m = sig(A);
    let n = 0n, T = m, te = A.e - 63;
    if (A.e >= -2) {
      const xm = m << BigInt(A.e + 2); // x * 2^65
      n = (xm + (PI66 >> 1n)) / PI66;
      T = xm - n * PI66;
      te = -65;
    }
    const q = Number(n & 3n);
    const neg = A.s !== 0;
    // FPTAN on AMD Zen: the microcode's approximation (every reduced t), into fx.
    const amdTan = mode === 4 && model === "amd-zen" && tanAmdZen(neg, T, te, (q & 1) === 1);
    const tsh = te + PREC;
    let tf = tsh >= 0 ? T << BigInt(tsh) : T >> BigInt(-tsh);
    if (tf === 0n && T !== 0n) tf = 1n; // below the fixed-point unit: t^2 is still positive
    // The exact sin t / t and cos t, computed only where no microcode model applies.
    let sb = 0n, cf = 0n, exact = false;
    const needExact = (): void => {
      if (exact) return;
      exact = true;
      sb = sinBracket(tf);
      cf = cosFixed(tf);
    };
    // sin(x) = [sin t, cos t, -sin t, -cos t][q] (negated for x < 0); cos(x) = [cos t, -sin t, -cos t, sin t][q].
    const sinOf = (): void => {
      const sn = (q >= 2 ? 1 : 0) ^ (neg ? 1 : 0);
      // AMD Zen: the microcode's polynomials (transc_amd_sincos.ts).
      if (model === "amd-zen" && sinCosAmdZen(sn, T, te, (q & 1) === 1)) return;
      needExact();
      if ((q & 1) === 0) roundRational(sn, T * sb, 1n, te - PREC);
      else roundRational(sn, cf, 1n, -PREC);
    };
    const cosOf = (): void => {
      const cn = (q & 1) === 0 ? (q === 2 ? 1 : 0) : (q === 1 ? 1 : 0);
      if (model === "amd-zen" && sinCosAmdZen(cn, T, te, (q & 1) === 0)) return;
      needExact();
      if ((q & 1) === 0) roundRational(q === 2 ? 1 : 0, cf, 1n, -PREC);
      else roundRational(q === 1 ? 1 : 0, T * sb, 1n, te - PREC);
    };
    if (mode === 4 && !amdTan) {
      // tan = sin t / cos t (q even) or -cos t / sin t (q odd).
      needExact();
      const sn = neg ? 1 : 0;
      if ((q & 1) === 0) roundRational(sn, T * sb, cf, te);
      else roundRational(sn ^ 1, cf, T * sb, -te);
    } else if (mode === 2) cosOf();
    else if (mode !== 4) sinOf();
    s1 = fx.s;
    x1 = fx.x;
    h1 = fx.hi;
    l1 = fx.lo;
    up1 = fx.up;
    if (mode === 3) cosOf();
    if (mode === 4) setOne(0);
  }
  fx.up = up1; // FSINCOS: C1 reports the rounding of the sine
  if (commitArith(f)) return;
  f.fsw &= ~Sw.C2;
  writeSt(f, 0, (s1 << 15) | x1, h1, l1);
  if (pushes) {
    pushTop(f);
    writeFx(f, 0);
  }
}

/** FPTAN: ST(0) = tan(ST(0)), then push 1.0 (`model` as for {@link fsincos}). */
export function fptan(f: FpuState, model: TranscModel = "exact"): void {
  fsincos(f, 4, model);
}
