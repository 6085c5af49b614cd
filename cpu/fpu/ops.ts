/**
 * x87 arithmetic with its operand rules: NaN propagation (SDM Vol. 1
 * Table 4-7), invalid operations and their masked response (the real
 * indefinite), denormal-operand and zero-divide detection, special values
 * (infinities, signed zeros) and comparisons. The rounding cores are in
 * `f80.ts`; results are left in {@link fx}.
 *
 * @module
 */

import {
  addCore,
  Cls,
  divCore,
  Exc,
  fx,
  mulCore,
  roundPack80,
  sqrtCore,
  type Unpacked,
  W,
} from "./f80.ts";

/** True for QNaN and SNaN operands. */
export function isNaN(u: Unpacked): boolean {
  return u.cls === Cls.QNAN || u.cls === Cls.SNAN;
}

/** Set fx to a NaN with the given sign and significand (quiet bit forced). */
export function setQNaN(s: number, hi: number, lo: number): void {
  fx.s = s;
  fx.x = 0x7fff;
  fx.hi = (hi | 0xc0000000) >>> 0;
  fx.lo = lo >>> 0;
}

/** Invalid operation: IE and the real indefinite (negative QNaN 0xC000...0). */
export function indefinite(): void {
  fx.exc |= Exc.IE;
  setQNaN(1, 0xc0000000, 0);
}

/** Set fx to an infinity. */
export function setInf(s: number): void {
  fx.s = s;
  fx.x = 0x7fff;
  fx.hi = 0x80000000;
  fx.lo = 0;
}

/** Set fx to a zero. */
export function setZero(s: number): void {
  fx.s = s;
  fx.x = 0;
  fx.hi = 0;
  fx.lo = 0;
}

/** Copy a finite operand into fx rounded to precision `p` (x + 0, loads under PC). */
export function setRounded(u: Unpacked, p: number): void {
  if (u.cls === Cls.ZERO) {
    setZero(u.s);
    return;
  }
  W[3] = u.hi;
  W[2] = u.lo;
  W[1] = 0;
  W[0] = 0;
  roundPack80(u.s, u.e, p);
}

/**
 * Operand checks shared by two-operand arithmetic: unsupported encodings
 * and NaNs. Returns true when fx already holds the result.
 */
export function nanRules2(a: Unpacked, b: Unpacked): boolean {
  if (a.cls === Cls.UNSUPPORTED || b.cls === Cls.UNSUPPORTED) {
    indefinite();
    return true;
  }
  const an = isNaN(a), bn = isNaN(b);
  if (!an && !bn) return false;
  if (a.cls === Cls.SNAN || b.cls === Cls.SNAN) fx.exc |= Exc.IE;
  let p = an ? a : b;
  if (an && bn && a.cls !== b.cls) p = a.cls === Cls.QNAN ? a : b; // SNaN and QNaN: the QNaN
  else if (an && bn) {
    // Both SNaN or both QNaN: the larger significand; a tie prefers the positive one.
    const ah = a.hi & 0x3fffffff, bh = b.hi & 0x3fffffff;
    p = ah > bh || (ah === bh && a.lo >= b.lo) ? a : b;
    if (ah === bh && a.lo === b.lo && a.s !== b.s) p = a.s === 0 ? a : b;
  }
  setQNaN(p.s, p.hi, p.lo);
  return true;
}

/** One-operand NaN/unsupported rule. Returns true when fx holds the result. */
export function nanRules1(a: Unpacked): boolean {
  if (a.cls === Cls.UNSUPPORTED) {
    indefinite();
    return true;
  }
  if (!isNaN(a)) return false;
  if (a.cls === Cls.SNAN) fx.exc |= Exc.IE;
  setQNaN(a.s, a.hi, a.lo);
  return true;
}

function denormCheck(a: Unpacked, b: Unpacked): void {
  if (a.cls === Cls.DENORMAL || b.cls === Cls.DENORMAL) fx.exc |= Exc.DE;
}

/** True when an unmasked pre-computation exception (IE/DE/ZE) stops the operation. */
function stopped(): boolean {
  return (fx.exc & ~fx.mask & (Exc.IE | Exc.DE | Exc.ZE)) !== 0;
}

/** a + b (or a - b when `sub`), precision `p`. */
export function fadd(a: Unpacked, b: Unpacked, sub: boolean, p: number): void {
  fx.up = 0;
  if (nanRules2(a, b)) return;
  const sb = sub ? b.s ^ 1 : b.s;
  if (a.cls === Cls.INF || b.cls === Cls.INF) {
    if (a.cls === Cls.INF && b.cls === Cls.INF) {
      if (a.s !== sb) indefinite();
      else setInf(a.s);
      return;
    }
    denormCheck(a, b);
    setInf(a.cls === Cls.INF ? a.s : sb);
    return;
  }
  denormCheck(a, b);
  if (stopped()) return;
  if (a.cls === Cls.ZERO && b.cls === Cls.ZERO) {
    setZero(a.s === sb ? a.s : fx.rc === 1 ? 1 : 0);
    return;
  }
  if (b.cls === Cls.ZERO) {
    setRounded(a, p);
    return;
  }
  if (a.cls === Cls.ZERO) {
    const s = b.s;
    b.s = sb;
    setRounded(b, p);
    b.s = s;
    return;
  }
  addCore(a, b, sb, p);
}

/** a * b, precision `p`. */
export function fmul(a: Unpacked, b: Unpacked, p: number): void {
  fx.up = 0;
  if (nanRules2(a, b)) return;
  const s = a.s ^ b.s;
  if (a.cls === Cls.INF || b.cls === Cls.INF) {
    if (a.cls === Cls.ZERO || b.cls === Cls.ZERO) indefinite();
    else {
      denormCheck(a, b);
      setInf(s);
    }
    return;
  }
  denormCheck(a, b);
  if (stopped()) return;
  if (a.cls === Cls.ZERO || b.cls === Cls.ZERO) {
    setZero(s);
    return;
  }
  mulCore(a, b, p);
}

/** a / b, precision `p`. */
export function fdiv(a: Unpacked, b: Unpacked, p: number): void {
  fx.up = 0;
  if (nanRules2(a, b)) return;
  const s = a.s ^ b.s;
  if (a.cls === Cls.INF) {
    if (b.cls === Cls.INF) indefinite();
    else {
      denormCheck(a, b);
      setInf(s);
    }
    return;
  }
  if (b.cls === Cls.INF) {
    denormCheck(a, b);
    setZero(s);
    return;
  }
  if (b.cls === Cls.ZERO) {
    if (a.cls === Cls.ZERO) indefinite();
    else {
      fx.exc |= Exc.ZE; // takes precedence over a denormal dividend (no DE)
      setInf(s);
    }
    return;
  }
  denormCheck(a, b);
  if (stopped()) return;
  if (a.cls === Cls.ZERO) {
    setZero(s);
    return;
  }
  divCore(a, b, p);
}

/** sqrt(a), precision `p`. */
export function fsqrt(a: Unpacked, p: number): void {
  fx.up = 0;
  if (nanRules1(a)) return;
  if (a.cls === Cls.ZERO) {
    setZero(a.s);
    return;
  }
  if (a.s !== 0) {
    indefinite();
    return;
  }
  if (a.cls === Cls.INF) {
    setInf(0);
    return;
  }
  if (a.cls === Cls.DENORMAL) fx.exc |= Exc.DE;
  if (stopped()) return;
  sqrtCore(a, p);
}

/** Comparison outcomes. */
export const enum Rel {
  LT = 0,
  EQ = 1,
  GT = 2,
  UN = 3,
}

/**
 * Compare a with b. `quiet` (FUCOM*) raises IE only for SNaN and
 * unsupported operands; ordered compares raise IE for any NaN.
 */
export function fcompare(a: Unpacked, b: Unpacked, quiet: boolean): Rel {
  if (a.cls === Cls.UNSUPPORTED || b.cls === Cls.UNSUPPORTED) {
    fx.exc |= Exc.IE;
    return Rel.UN;
  }
  if (isNaN(a) || isNaN(b)) {
    if (!quiet || a.cls === Cls.SNAN || b.cls === Cls.SNAN) fx.exc |= Exc.IE;
    return Rel.UN;
  }
  denormCheck(a, b);
  return order(a, b);
}

/** Order of two non-NaN operands. */
export function order(a: Unpacked, b: Unpacked): Rel {
  const az = a.cls === Cls.ZERO, bz = b.cls === Cls.ZERO;
  if (az && bz) return Rel.EQ;
  if (a.s !== b.s) {
    if (az) return b.s !== 0 ? Rel.GT : Rel.LT;
    if (bz) return a.s !== 0 ? Rel.LT : Rel.GT;
    return a.s !== 0 ? Rel.LT : Rel.GT;
  }
  // Same sign: compare magnitudes.
  let m: number; // -1 |a|<|b|, 0, 1
  if (az) m = -1;
  else if (bz) m = 1;
  else if (a.cls === Cls.INF || b.cls === Cls.INF) {
    m = a.cls === b.cls ? 0 : a.cls === Cls.INF ? 1 : -1;
  } else if (a.e !== b.e) m = a.e > b.e ? 1 : -1;
  else if (a.hi !== b.hi) m = a.hi > b.hi ? 1 : -1;
  else if (a.lo !== b.lo) m = a.lo > b.lo ? 1 : -1;
  else m = 0;
  if (m === 0) return Rel.EQ;
  if (a.s !== 0) m = -m;
  return m > 0 ? Rel.GT : Rel.LT;
}
