/**
 * Software 80-bit extended-precision arithmetic on 32-bit words (no BigInt,
 * no allocation per operation). Operands are unpacked into {@link Unpacked}
 * records; results come back in the shared {@link fx} record together with
 * the exception bits the operation raised.
 *
 * Rounding follows the x87 rules (SDM Vol. 1 4.7-4.9, 8.1.5): precision
 * control (24/53/64 significand bits, extended exponent range kept), the four
 * rounding modes, tininess detected after rounding, masked underflow reported
 * only when the tiny result is also inexact, masked overflow to infinity or
 * the largest finite value by rounding direction, and unmasked
 * overflow/underflow delivering the result with the exponent wrapped by
 * 24576 (register destinations only).
 *
 * The working significand is a 128-bit integer in {@link W} (W[3] is the
 * top word); its bit 127 weighs 2^e.
 *
 * @module
 */

/** Exception bits (status-word positions): invalid, denormal, zero-divide, overflow, underflow, precision. */
export const enum Exc {
  IE = 1,
  DE = 2,
  ZE = 4,
  OE = 8,
  UE = 0x10,
  PE = 0x20,
  /** Stack fault (with IE). */
  SF = 0x40,
}

/** Operand classes after unpacking. */
export const enum Cls {
  ZERO = 0,
  NORMAL = 1,
  /** Denormal or pseudo-denormal (normalized in the record; a DE operand). */
  DENORMAL = 2,
  INF = 3,
  QNAN = 4,
  SNAN = 5,
  /** Unsupported encoding: pseudo-NaN, pseudo-infinity, unnormal (an IE operand). */
  UNSUPPORTED = 6,
}

/** An unpacked operand: finite non-zero values are normalized (hi bit 31 set), value = 1.f * 2^e. */
export class Unpacked {
  /** {@link Cls}. */
  cls = 0;
  /** Sign bit (0/1). */
  s = 0;
  /** Unbiased exponent of bit 63 of the significand (finite non-zero values). */
  e = 0;
  /** Significand bits 63:32 (raw for NaNs). */
  hi = 0;
  /** Significand bits 31:0. */
  lo = 0;
}

/** Result and status of the last operation. */
export const fx = {
  /** Exception bits raised (Exc), accumulated until the caller clears them. */
  exc: 0,
  /** 1 if the last rounding increased the magnitude (C1 after a PE). */
  up: 0,
  /** Result sign. */
  s: 0,
  /** Result biased 15-bit exponent field. */
  x: 0,
  /** Result significand bits 63:32. */
  hi: 0,
  /** Result significand bits 31:0. */
  lo: 0,
  /** Exception masks (FCW bits 5:0) for post-computation responses. */
  mask: 0x3f,
  /** Rounding control 0 nearest, 1 down, 2 up, 3 toward zero. */
  rc: 0,
};

/** The 128-bit working significand, W[3] most significant. */
export const W: Uint32Array = new Uint32Array(4);
const T = new Uint32Array(4);
const TWO32 = 4294967296;

/** Unpack an 80-bit register value. */
export function unpack80(u: Unpacked, sexp: number, hi: number, lo: number): void {
  const x = sexp & 0x7fff;
  u.s = (sexp >>> 15) & 1;
  u.hi = hi >>> 0;
  u.lo = lo >>> 0;
  if (x === 0x7fff) {
    u.e = 0x4000;
    if ((hi & 0x80000000) === 0) u.cls = Cls.UNSUPPORTED;
    else if ((hi & 0x7fffffff) === 0 && lo === 0) u.cls = Cls.INF;
    else u.cls = (hi & 0x40000000) !== 0 ? Cls.QNAN : Cls.SNAN;
    return;
  }
  if (x === 0) {
    if ((hi | lo) === 0) {
      u.cls = Cls.ZERO;
      u.e = 0;
      return;
    }
    u.cls = Cls.DENORMAL;
    u.e = -16382;
    normalizeU(u);
    return;
  }
  u.cls = (hi & 0x80000000) === 0 ? Cls.UNSUPPORTED : Cls.NORMAL;
  u.e = x - 16383;
}

function normalizeU(u: Unpacked): void {
  if (u.hi === 0) {
    u.hi = u.lo;
    u.lo = 0;
    u.e -= 32;
  }
  const z = Math.clz32(u.hi);
  if (z !== 0) {
    u.hi = ((u.hi << z) | (u.lo >>> (32 - z))) >>> 0;
    u.lo = (u.lo << z) >>> 0;
    u.e -= z;
  }
}

/** Unpack an IEEE binary64 given as two words (denormals normalized, class DENORMAL). */
export function unpack64(u: Unpacked, lo: number, hi: number): void {
  const x = (hi >>> 20) & 0x7ff;
  u.s = hi >>> 31;
  const fh = hi & 0xfffff;
  // Significand to 64 bits: 52 fraction bits go to bits 62:11.
  u.hi = ((fh << 11) | (lo >>> 21)) >>> 0;
  u.lo = (lo << 11) >>> 0;
  if (x === 0x7ff) {
    u.e = 0x4000;
    u.hi = (u.hi | 0x80000000) >>> 0;
    if ((fh | lo) === 0) u.cls = Cls.INF;
    else u.cls = (fh & 0x80000) !== 0 ? Cls.QNAN : Cls.SNAN;
    return;
  }
  if (x === 0) {
    if ((fh | lo) === 0) {
      u.cls = Cls.ZERO;
      u.e = 0;
      return;
    }
    u.cls = Cls.DENORMAL;
    u.e = -1022;
    normalizeU(u);
    return;
  }
  u.cls = Cls.NORMAL;
  u.hi = (u.hi | 0x80000000) >>> 0;
  u.e = x - 1023;
}

/** Unpack an IEEE binary32. */
export function unpack32(u: Unpacked, v: number): void {
  const x = (v >>> 23) & 0xff;
  u.s = v >>> 31;
  const f = v & 0x7fffff;
  u.hi = (f << 8) >>> 0;
  u.lo = 0;
  if (x === 0xff) {
    u.e = 0x4000;
    u.hi = (u.hi | 0x80000000) >>> 0;
    if (f === 0) u.cls = Cls.INF;
    else u.cls = (f & 0x400000) !== 0 ? Cls.QNAN : Cls.SNAN;
    return;
  }
  if (x === 0) {
    if (f === 0) {
      u.cls = Cls.ZERO;
      u.e = 0;
      return;
    }
    u.cls = Cls.DENORMAL;
    u.e = -126;
    normalizeU(u);
    return;
  }
  u.cls = Cls.NORMAL;
  u.hi = (u.hi | 0x80000000) >>> 0;
  u.e = x - 127;
}

// ------------------------------------------------------------------ 128-bit helpers

/** Shift `a` right by `n` bits, OR-ing every bit shifted out into bit 0 ("jamming"). */
export function shiftRightJam(a: Uint32Array, n: number): void {
  if (n <= 0) return;
  let sticky = 0;
  while (n >= 32) {
    sticky |= a[0];
    a[0] = a[1];
    a[1] = a[2];
    a[2] = a[3];
    a[3] = 0;
    n -= 32;
    if (a[0] === 0 && a[1] === 0 && a[2] === 0 && n >= 32) {
      a[0] = sticky !== 0 ? 1 : 0;
      return;
    }
  }
  if (n > 0) {
    sticky |= a[0] << (32 - n);
    a[0] = (a[0] >>> n) | (a[1] << (32 - n));
    a[1] = (a[1] >>> n) | (a[2] << (32 - n));
    a[2] = (a[2] >>> n) | (a[3] << (32 - n));
    a[3] = a[3] >>> n;
  }
  if (sticky !== 0) a[0] |= 1;
}

function shiftLeft(a: Uint32Array, n: number): void {
  while (n >= 32) {
    a[3] = a[2];
    a[2] = a[1];
    a[1] = a[0];
    a[0] = 0;
    n -= 32;
  }
  if (n > 0) {
    a[3] = (a[3] << n) | (a[2] >>> (32 - n));
    a[2] = (a[2] << n) | (a[1] >>> (32 - n));
    a[1] = (a[1] << n) | (a[0] >>> (32 - n));
    a[0] = a[0] << n;
  }
}

function clz128(a: Uint32Array): number {
  if (a[3] !== 0) return Math.clz32(a[3]);
  if (a[2] !== 0) return 32 + Math.clz32(a[2]);
  if (a[1] !== 0) return 64 + Math.clz32(a[1]);
  if (a[0] !== 0) return 96 + Math.clz32(a[0]);
  return 128;
}

/** W += T; returns the carry out of bit 127. */
function add128(): number {
  let c = 0;
  for (let k = 0; k < 4; k++) {
    const s = W[k] + T[k] + c;
    W[k] = s;
    c = s >= TWO32 ? 1 : 0;
  }
  return c;
}

/** W -= T (W >= T). */
function sub128(): void {
  let b = 0;
  for (let k = 0; k < 4; k++) {
    const s = W[k] - T[k] - b;
    W[k] = s;
    b = s < 0 ? 1 : 0;
  }
}

// ------------------------------------------------------------------ rounding

/** Round-increment decision for round bit `r`, sticky `st`, lsb `l`, sign `s`. */
function incr(r: number, st: number, l: number, s: number): boolean {
  switch (fx.rc) {
    case 0:
      return r !== 0 && (st !== 0 || l !== 0);
    case 1:
      return s !== 0 && (r | st) !== 0;
    case 2:
      return s === 0 && (r | st) !== 0;
    default:
      return false;
  }
}

/** Discarded-bit state of W for precision `p`: returns [round bit, sticky, lsb] packed as bits 2,1,0. */
function tail(p: number): number {
  let r: number, st: number, l: number;
  if (p === 64) {
    r = W[1] >>> 31;
    st = (W[1] & 0x7fffffff) | W[0];
    l = W[2] & 1;
  } else if (p === 53) {
    r = (W[2] >>> 10) & 1;
    st = (W[2] & 0x3ff) | W[1] | W[0];
    l = (W[2] >>> 11) & 1;
  } else {
    r = (W[3] >>> 7) & 1;
    st = (W[3] & 0x7f) | W[2] | W[1] | W[0];
    l = (W[3] >>> 8) & 1;
  }
  return (r << 2) | (st !== 0 ? 2 : 0) | l;
}

/** Add one unit in the last place of precision `p` to W's top 64 bits; returns the carry out. */
function bump(p: number): number {
  if (p === 24) {
    const s = W[3] + 0x100;
    W[3] = s;
    return s >= TWO32 ? 1 : 0;
  }
  const s = W[2] + (p === 64 ? 1 : 0x800);
  W[2] = s;
  if (s < TWO32) return 0;
  const t = W[3] + 1;
  W[3] = t;
  return t >= TWO32 ? 1 : 0;
}

function clearTail(p: number): void {
  W[0] = 0;
  W[1] = 0;
  if (p === 53) W[2] &= ~0x7ff;
  else if (p === 24) {
    W[2] = 0;
    W[3] &= ~0xff;
  }
}

/**
 * Round W (value W * 2^(e - 127), sign `s`) to `p` bits for a format with
 * normal exponents eMin..eMax and write the result to {@link fx} (`x` is
 * the biased exponent field for `bias`). `wrap` is the exponent adjustment
 * of unmasked overflow/underflow (24576 for registers) or 0 when the
 * destination is memory. Returns false when an unmasked overflow or
 * underflow leaves a memory destination unwritten.
 */
export function roundPack(
  s: number,
  e: number,
  p: number,
  eMin: number,
  eMax: number,
  bias: number,
  wrap: number,
): boolean {
  fx.s = s;
  fx.up = 0;
  const z = clz128(W);
  if (z === 128) {
    fx.x = 0;
    fx.hi = 0;
    fx.lo = 0;
    return true;
  }
  shiftLeft(W, z);
  e -= z;
  let tiny = false;
  if (e < eMin) {
    tiny = true;
    if (e === eMin - 1) {
      // Tininess after rounding: would rounding with an unbounded exponent reach 2^eMin?
      const t = tail(p);
      if (incr(t >> 2, t & 2, t & 1, s)) {
        const allOnes = p === 64
          ? W[3] === 0xffffffff && W[2] === 0xffffffff
          : p === 53
          ? W[3] === 0xffffffff && (W[2] | 0x7ff) === 0xffffffff
          : (W[3] | 0xff) === 0xffffffff;
        if (allOnes) tiny = false;
      }
    }
  }
  let unmaskedUnder = false;
  if (tiny) {
    if ((fx.mask & Exc.UE) === 0) {
      unmaskedUnder = true;
      if (wrap === 0) {
        fx.exc |= Exc.UE;
        return false;
      }
      e += wrap;
    } else {
      shiftRightJam(W, eMin - e);
      e = eMin;
    }
  }
  const t = tail(p);
  const inexact = (t & 6) !== 0;
  if (inexact) {
    fx.exc |= Exc.PE;
    if (incr(t >> 2, t & 2, t & 1, s)) {
      fx.up = 1;
      if (bump(p) !== 0) {
        W[3] = 0x80000000;
        e++;
      }
    }
    if (tiny) fx.exc |= Exc.UE;
  }
  if (unmaskedUnder) fx.exc |= Exc.UE;
  clearTail(p);
  if (e > eMax) {
    if ((fx.mask & Exc.OE) === 0) {
      fx.exc |= Exc.OE;
      if (wrap === 0) return false;
      e -= wrap;
    } else {
      fx.exc |= Exc.OE | Exc.PE;
      const toInf = fx.rc === 0 || (fx.rc === 2 && s === 0) || (fx.rc === 1 && s !== 0);
      if (toInf) {
        fx.up = 1;
        fx.x = (eMax + bias + 1) & 0x7fff;
        fx.hi = 0x80000000;
        fx.lo = 0;
      } else {
        fx.up = 0;
        fx.x = eMax + bias;
        fx.hi = p === 24 ? 0xffffff00 : 0xffffffff;
        fx.lo = p === 64 ? 0xffffffff : p === 53 ? 0xfffff800 : 0;
      }
      return true;
    }
  }
  fx.hi = W[3];
  fx.lo = W[2];
  fx.x = (W[3] & 0x80000000) !== 0 ? e + bias : 0;
  return true;
}

/** Round W to the x87 register format with precision `p` (24/53/64). */
export function roundPack80(s: number, e: number, p: number): void {
  roundPack(s, e, p, -16382, 16383, 16383, 24576);
}

// ------------------------------------------------------------------ arithmetic cores

/**
 * Magnitude sum or difference of two finite non-zero operands, rounded to
 * precision `p`; `sb` is b's effective sign (flipped for subtraction).
 */
export function addCore(a: Unpacked, b: Unpacked, sb: number, p: number): void {
  let big = a, small = b, sBig = a.s, sSmall = sb;
  if (a.e < b.e || (a.e === b.e && (a.hi < b.hi || (a.hi === b.hi && a.lo < b.lo)))) {
    big = b;
    small = a;
    sBig = sb;
    sSmall = a.s;
  }
  W[3] = big.hi;
  W[2] = big.lo;
  W[1] = 0;
  W[0] = 0;
  T[3] = small.hi;
  T[2] = small.lo;
  T[1] = 0;
  T[0] = 0;
  const d = big.e - small.e;
  if (d >= 130) {
    T[3] = T[2] = T[1] = 0;
    T[0] = 1;
  } else shiftRightJam(T, d);
  let e = big.e;
  if (sBig === sSmall) {
    if (add128() !== 0) {
      shiftRightJam(W, 1);
      W[3] |= 0x80000000;
      e++;
    }
  } else {
    sub128();
    if ((W[3] | W[2] | W[1] | W[0]) === 0) {
      fx.s = fx.rc === 1 ? 1 : 0;
      fx.x = 0;
      fx.hi = 0;
      fx.lo = 0;
      fx.up = 0;
      return;
    }
  }
  roundPack80(sBig, e, p);
}

/** Multiply the significands of `a` and `b` into W (exact 128-bit product). */
export function mulSig(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, a2 = ah & 0xffff, a3 = ah >>> 16;
  const b0 = bl & 0xffff, b1 = bl >>> 16, b2 = bh & 0xffff, b3 = bh >>> 16;
  // Column sums of 16-bit limb products (each < 2^32, at most 4 per column plus carry < 2^53).
  let c = a0 * b0;
  const p0 = c % 65536;
  c = Math.floor(c / 65536) + a0 * b1 + a1 * b0;
  const p1 = c % 65536;
  c = Math.floor(c / 65536) + a0 * b2 + a1 * b1 + a2 * b0;
  const p2 = c % 65536;
  c = Math.floor(c / 65536) + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  const p3 = c % 65536;
  c = Math.floor(c / 65536) + a1 * b3 + a2 * b2 + a3 * b1;
  const p4 = c % 65536;
  c = Math.floor(c / 65536) + a2 * b3 + a3 * b2;
  const p5 = c % 65536;
  c = Math.floor(c / 65536) + a3 * b3;
  const p6 = c % 65536;
  const p7 = Math.floor(c / 65536);
  W[0] = p0 + p1 * 65536;
  W[1] = p2 + p3 * 65536;
  W[2] = p4 + p5 * 65536;
  W[3] = p6 + p7 * 65536;
}

/** Product of two finite non-zero operands rounded to precision `p`. */
export function mulCore(a: Unpacked, b: Unpacked, p: number): void {
  mulSig(a.hi, a.lo, b.hi, b.lo);
  roundPack80(a.s ^ b.s, a.e + b.e + 1, p);
}

/**
 * Long division of significands: W receives floor(a / b * 2^66) at bits
 * 127:61 with a sticky bit 0 for a non-zero remainder. Returns nothing;
 * W bit 127 weighs 2^(ea - eb).
 */
export function divSig(ah: number, al: number, bh: number, bl: number): void {
  let r2 = 0, r1 = ah, r0 = al;
  W[0] =
    W[1] =
    W[2] =
    W[3] =
      0;
  for (let i = 0; i < 67; i++) {
    if (r2 !== 0 || r1 > bh || (r1 === bh && r0 >= bl)) {
      let d0 = r0 - bl, borrow = 0;
      if (d0 < 0) {
        d0 += TWO32;
        borrow = 1;
      }
      let d1 = r1 - bh - borrow;
      if (d1 < 0) {
        d1 += TWO32;
        r2 = 0;
      }
      r1 = d1;
      r0 = d0;
      const bit = 127 - i;
      W[bit >> 5] |= 1 << (bit & 31);
    }
    r2 = r1 >>> 31;
    r1 = ((r1 << 1) | (r0 >>> 31)) >>> 0;
    r0 = (r0 << 1) >>> 0;
  }
  if ((r2 | r1 | r0) !== 0) W[0] |= 1;
}

/** Quotient a / b of finite non-zero operands rounded to precision `p`. */
export function divCore(a: Unpacked, b: Unpacked, p: number): void {
  divSig(a.hi, a.lo, b.hi, b.lo);
  roundPack80(a.s ^ b.s, a.e - b.e, p);
}

/** Square root of a finite positive non-zero operand rounded to precision `p`. */
export function sqrtCore(a: Unpacked, p: number): void {
  // N = sig << 69 (even e) or sig << 70 (odd e); root has 67 bits, weight of top bit 2^(e div 2).
  const odd = (a.e & 1) !== 0;
  const sh = odd ? 70 : 69;
  const eRes = odd ? (a.e - 1) / 2 : a.e / 2;
  let r2 = 0, r1 = 0, r0 = 0; // remainder (96 bits)
  let y2 = 0, y1 = 0, y0 = 0; // root
  for (let j = 66; j >= 0; j--) {
    // Bring down two bits of N: bits 2j+1 and 2j.
    const k1 = 2 * j + 1 - sh, k0 = 2 * j - sh;
    const b1 = k1 >= 0 && k1 < 64 ? (k1 >= 32 ? (a.hi >>> (k1 - 32)) & 1 : (a.lo >>> k1) & 1) : 0;
    const b0 = k0 >= 0 && k0 < 64 ? (k0 >= 32 ? (a.hi >>> (k0 - 32)) & 1 : (a.lo >>> k0) & 1) : 0;
    r2 = ((r2 << 2) | (r1 >>> 30)) >>> 0;
    r1 = ((r1 << 2) | (r0 >>> 30)) >>> 0;
    r0 = ((r0 << 2) | (b1 << 1) | b0) >>> 0;
    // t = 4y + 1
    const t2 = ((y2 << 2) | (y1 >>> 30)) >>> 0;
    const t1 = ((y1 << 2) | (y0 >>> 30)) >>> 0;
    const t0 = ((y0 << 2) | 1) >>> 0;
    const ge = r2 > t2 || (r2 === t2 && (r1 > t1 || (r1 === t1 && r0 >= t0)));
    y2 = ((y2 << 1) | (y1 >>> 31)) >>> 0;
    y1 = ((y1 << 1) | (y0 >>> 31)) >>> 0;
    y0 = (y0 << 1) >>> 0;
    if (ge) {
      let d0 = r0 - t0, bw = 0;
      if (d0 < 0) {
        d0 += TWO32;
        bw = 1;
      }
      let d1 = r1 - t1 - bw;
      bw = 0;
      if (d1 < 0) {
        d1 += TWO32;
        bw = 1;
      }
      r2 = r2 - t2 - bw;
      r1 = d1;
      r0 = d0;
      y0 = (y0 | 1) >>> 0;
    }
  }
  // y is 67 bits (bit 66 set): place at W bits 127:61.
  W[3] = ((y2 << 29) | (y1 >>> 3)) >>> 0;
  W[2] = ((y1 << 29) | (y0 >>> 3)) >>> 0;
  W[1] = (y0 << 29) >>> 0;
  W[0] = (r2 | r1 | r0) !== 0 ? 1 : 0;
  roundPack80(0, eRes, p);
}

/**
 * Split W's top 64 bits (value sig * 2^(e-63)) into integer and fraction
 * at the binary point and round to an integer with mode `rc`: W[3]:W[2]
 * receive the magnitude (carry out returned as 1 when it reaches 2^64).
 * Sets fx.up when rounded up; returns -1 if exact, else the carry (0/1).
 */
export function roundToInt(s: number, e: number, hi: number, lo: number, rc: number): number {
  W[3] = hi;
  W[2] = lo;
  W[1] = 0;
  W[0] = 0;
  fx.up = 0;
  if (e >= 63) return -1;
  const n = 63 - e;
  if (n >= 130) {
    W[3] = W[2] = W[1] = 0;
    W[0] = 1;
  } else shiftRightJam(W, n);
  const r = W[1] >>> 31;
  const st = (W[1] & 0x7fffffff) | W[0];
  if ((r | st) === 0) return -1;
  const save = fx.rc;
  fx.rc = rc;
  const inc = incr(r, st, W[2] & 1, s);
  fx.rc = save;
  W[1] = 0;
  W[0] = 0;
  if (!inc) return 0;
  fx.up = 1;
  const lo2 = W[2] + 1;
  W[2] = lo2;
  if (lo2 < TWO32) return 0;
  const hi2 = W[3] + 1;
  W[3] = hi2;
  return hi2 >= TWO32 ? 1 : 0;
}
