/**
 * IEEE 754 binary32/binary64 arithmetic as SSE performs it under MXCSR:
 * all four rounding modes, FTZ/DAZ and the six exception flags, without
 * BigInt. JavaScript only rounds to nearest, so every operation first
 * computes a round-to-nearest approximation `m` together with the SIGN of
 * its error (exact value minus `m`, from TwoSum/TwoProduct or a remainder),
 * and {@link finish} rounds the exact value to the target precision and
 * exponent range from those two facts. That is enough because every grid
 * point and midpoint of the target format lies on the binary64 grid of `m`.
 *
 * Conventions: values are passed as raw bit patterns (binary64 as two
 * 32-bit words, binary32 as one word) so NaN payloads survive; results are
 * left in {@link res} (`lo`, `hi`). Exceptions accumulate in `env.flags`.
 * SDM Vol. 1 4.8-4.9 (formats, exceptions), 10.2.3 (MXCSR, FTZ/DAZ),
 * 11.5 (SIMD floating-point exceptions, NaN rules Table 4-7).
 *
 * @module
 */

/** MXCSR exception flag bits. */
export const IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32;

/** Per-instruction floating-point environment (set by {@link beginFp}). */
export const env = {
  /** Exception flags raised so far by this instruction. */
  flags: 0,
  /** Rounding control: 0 nearest, 1 down, 2 up, 3 toward zero. */
  rc: 0,
  /** Denormals-are-zero. */
  daz: false,
  /** Flush-to-zero. */
  ftz: false,
  /** Underflow masked (MXCSR.UM). */
  um: true,
  /** Overflow masked (MXCSR.OM). */
  om: true,
  /**
   * MXCSR.PE is set and precision exceptions are masked (PM): whether an
   * operation is inexact cannot change MXCSR or raise anything, so the fast
   * paths skip the exact error computation (PE is sticky until software
   * clears it, and most programs never do).
   */
  peSet: false,
};

/**
 * Result of the last operation: binary64 as [low word, high word], binary32
 * in [0]. Int32 so results never need boxing.
 */
export const res: Int32Array = new Int32Array(2);

/** MXCSR that `env` was last derived from. */
let lastMxcsr = -1;

/** Load rounding/FTZ/DAZ/masks from `mxcsr` and clear the flags. */
export function beginFp(mxcsr: number): void {
  env.flags = 0;
  if (mxcsr === lastMxcsr) return;
  lastMxcsr = mxcsr;
  env.rc = (mxcsr >> 13) & 3;
  env.daz = (mxcsr & 0x40) !== 0;
  env.ftz = (mxcsr & 0x8000) !== 0;
  env.um = (mxcsr & 0x800) !== 0;
  env.om = (mxcsr & 0x400) !== 0;
  env.peSet = (mxcsr & 0x1020) === 0x1020;
}

const cv = new Float64Array(1);
const cw = new Uint32Array(cv.buffer);
const cf = new Float32Array(1);
const cfw = new Uint32Array(cf.buffer);

/**
 * UNIT[e] = 2^(e - 1075) for e = 1..2098 (2^-1074 .. 2^1023): for a biased
 * exponent e (1..2046) the value of a binary64 number's last significand
 * bit; UNIT[0] = UNIT[1] = 2^-1074 (denormals). Built by exact doubling and
 * halving.
 */
export const UNIT: Float64Array = new Float64Array(2099);
UNIT[1075] = 1;
for (let e = 1076; e < 2099; e++) UNIT[e] = UNIT[e - 1] * 2;
for (let e = 1074; e >= 1; e--) UNIT[e] = UNIT[e + 1] / 2;
UNIT[0] = UNIT[1];

/**
 * binary64 words to a number (callers exclude NaN). Built arithmetically
 * (exact): writing two 32-bit words and reading them back as one 64-bit
 * double defeats the processor's store-to-load forwarding, a stall that
 * cost more than the rest of an SSE add.
 */
export function f64(lo: number, hi: number): number {
  const e = (hi >>> 20) & 0x7ff;
  const m = (hi & 0xfffff) * 4294967296 + (lo >>> 0);
  const v = e === 0 ? m * UNIT[0] : e === 0x7ff ? Infinity : (m + 4503599627370496) * UNIT[e];
  return (hi | 0) < 0 ? -v : v;
}

/** binary32 bits to a number (callers exclude NaN). */
export function f32(b: number): number {
  cfw[0] = b;
  return cf[0];
}

/** Store a number as binary64 in {@link res}. */
export function put64(x: number): void {
  cv[0] = x;
  res[0] = cw[0];
  res[1] = cw[1];
}

/** Bits of a number that is exactly representable in binary32. */
export function bits32(x: number): number {
  cf[0] = x;
  return cfw[0];
}

/** 2^n for -1022 <= n <= 1023. */
function pow2(n: number): number {
  return UNIT[n + 1075];
}

/** x * 2^n, exact when the result is representable. */
export function scale(x: number, n: number): number {
  while (n > 1000) {
    x *= pow2(1000);
    n -= 1000;
  }
  while (n < -1000) {
    x *= pow2(-1000);
    n += 1000;
  }
  return x * pow2(n);
}

/** floor(log2(m)) for a positive normal binary64 number. */
function expOf(m: number): number {
  cv[0] = m;
  return ((cw[1] >>> 20) & 0x7ff) - 1023;
}

/** True if the positive normal `m` is a power of two. */
function isPow2(m: number): boolean {
  cv[0] = m;
  return cw[0] === 0 && (cw[1] & 0xfffff) === 0;
}

/** Sign (-1, 0, 1) of the rounding error of a*b (Dekker TwoProduct; |a|,|b| < 2^995). */
export function mulErrSign(a: number, b: number, p: number): number {
  let c = 134217729 * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = 134217729 * b;
  const bh = c - (c - b);
  const bl = b - bh;
  const e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  return e > 0 ? 1 : e < 0 ? -1 : 0;
}

/** Exact a*b - p for the same inputs as {@link mulErrSign}. */
function mulErr(a: number, b: number, p: number): number {
  let c = 134217729 * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = 134217729 * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** Error sign of s = a + b (TwoSum). */
function addErrSign(a: number, b: number, s: number): number {
  const bb = s - a;
  const e = (a - (s - bb)) + (b - bb);
  return e > 0 ? 1 : e < 0 ? -1 : 0;
}

let inexact = false;

/**
 * Round q (>= 0, in units of the target grid, with the exact value's error
 * sign `s` relative to q) to an integer by direction `dir` (0 nearest-even,
 * 1 toward zero, 2 away from zero). Sets `inexact`.
 */
function roundUnits(q: number, s: number, dir: number): number {
  let n = Math.floor(q);
  let frac = q - n;
  if (frac === 0 && s === 0) {
    inexact = false;
    return n;
  }
  inexact = true;
  if (frac === 0 && s < 0) {
    n -= 1;
    frac = 1;
  }
  if (dir === 1) return n;
  if (dir === 2) return n + 1;
  if (frac > 0.5) return n + 1;
  if (frac < 0.5) return n;
  if (s > 0) return n + 1;
  if (s < 0) return n;
  return n % 2 === 0 ? n : n + 1;
}

/**
 * Round the exact magnitude (m + err) * 2^e, where err has sign `s`, to
 * precision `p` (24 or 53 bits) with its exponent range, applying MXCSR
 * rounding, FTZ and the O/U/P flags. Returns the signed result as a number.
 */
export function finish(m: number, s: number, e: number, neg: boolean, p: number): number {
  if (m < 1e-290) {
    m *= pow2(512);
    e -= 512;
  } else if (m > 1e290) {
    m *= pow2(-512);
    e += 512;
  }
  const emin = p === 24 ? -126 : -1022;
  const emax = p === 24 ? 127 : 1023;
  let E = expOf(m);
  if (s < 0 && isPow2(m)) E -= 1;
  const et = E + e;
  const rc = env.rc;
  const dir = rc === 0 ? 0 : rc === 3 ? 1 : (rc === 1) === neg ? 2 : 1;
  // Unbounded-exponent rounding decides overflow and tininess (x86 detects
  // tininess after rounding).
  let g = et - (p - 1);
  let k = roundUnits(scale(m, e - g), s, dir);
  // With the exception unmasked no result is stored, and PE reports whether
  // the unbounded-exponent rounding was inexact (as recorded on hardware).
  const unboundedInexact = inexact;
  let tiny = false;
  if (et < emin) {
    tiny = !(et === emin - 1 && k === 2 ** p);
    if (tiny && !env.um) {
      env.flags |= unboundedInexact ? UE | PE : UE;
      return 0;
    }
    g = emin - (p - 1);
    if (et < g - 1) {
      inexact = true;
      k = dir === 2 ? 1 : 0;
    } else k = roundUnits(scale(m, e - g), s, dir);
  } else if (et > emax || (et === emax && k === 2 ** p)) {
    if (!env.om) {
      env.flags |= unboundedInexact ? OE | PE : OE;
      return neg ? -Infinity : Infinity;
    }
    env.flags |= OE | PE;
    const big = dir === 1 ? (p === 24 ? 3.4028234663852886e38 : Number.MAX_VALUE) : Infinity;
    return neg ? -big : big;
  }
  if (tiny) {
    if (env.ftz) {
      env.flags |= UE | PE;
      return neg ? -0 : 0;
    } else if (inexact) env.flags |= UE;
  }
  if (inexact) env.flags |= PE;
  const r = scale(k, g);
  return neg ? -r : r;
}

// ---------------------------------------------------------------------
// binary64
// ---------------------------------------------------------------------

/** Operation codes for {@link arith64}/{@link arith32}. */
export const enum FOp {
  ADD = 0,
  SUB = 1,
  MUL = 2,
  DIV = 3,
  SQRT = 4,
}

/** True if binary64 (lo, hi) is a NaN. */
export function isNaN64(lo: number, hi: number): boolean {
  return (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) | lo) !== 0;
}

/** True if binary32 `b` is a NaN. */
export function isNaN32(b: number): boolean {
  return (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
}

/** NaN result of a two-operand binary64 operation (one of them is a NaN). */
function nan64(alo: number, ahi: number, blo: number, bhi: number): void {
  const an = isNaN64(alo, ahi);
  if ((an && (ahi & 0x80000) === 0) || (isNaN64(blo, bhi) && (bhi & 0x80000) === 0)) {
    env.flags |= IE;
  }
  if (an) {
    res[0] = alo;
    res[1] = (ahi | 0x80000) >>> 0;
  } else {
    res[0] = blo;
    res[1] = (bhi | 0x80000) >>> 0;
  }
}

function indefinite64(): void {
  env.flags |= IE;
  res[0] = 0;
  res[1] = 0xfff80000;
}

/** Value of a non-NaN binary64 operand after DAZ, without the DE flag (conversions, ROUND). */
export function val64(lo: number, hi: number): number {
  if (env.daz && (hi & 0x7ff00000) === 0) return (hi & 0x80000000) !== 0 ? -0 : 0;
  return f64(lo, hi);
}

/** Value of a non-NaN binary32 operand after DAZ, without the DE flag. */
export function val32(b: number): number {
  if (env.daz && (b & 0x7f800000) === 0) return (b & 0x80000000) !== 0 ? -0 : 0;
  return f32(b);
}

/** Value of a non-NaN binary64 operand after DAZ, raising DE for denormals. */
export function in64(lo: number, hi: number): number {
  if ((hi & 0x7ff00000) === 0 && ((hi & 0xfffff) | lo) !== 0) {
    if (env.daz) return (hi & 0x80000000) !== 0 ? -0 : 0;
    env.flags |= DE;
  }
  return f64(lo, hi);
}

/** Value of a non-NaN binary32 operand after DAZ, raising DE for denormals. */
export function in32(b: number): number {
  if ((b & 0x7f800000) === 0 && (b & 0x7fffff) !== 0) {
    if (env.daz) return (b & 0x80000000) !== 0 ? -0 : 0;
    env.flags |= DE;
  }
  return f32(b);
}

/** Exact sum/difference/product/quotient/root core shared by both widths. */
function core(op: number, a: number, b: number, p: number): number {
  switch (op) {
    case FOp.ADD:
    case FOp.SUB: {
      if (op === FOp.SUB) b = -b;
      if (a === Infinity && b === -Infinity || a === -Infinity && b === Infinity) return NaN;
      if (a === Infinity || a === -Infinity) return a;
      if (b === Infinity || b === -Infinity) return b;
      let m = a + b;
      if (m === 0) {
        if (a === 0 && b === 0 && Object.is(a, -0) === Object.is(b, -0)) return a;
        return env.rc === 1 ? -0 : 0;
      }
      let e = 0;
      let s: number;
      if (m === Infinity || m === -Infinity) {
        m = a / 2 + b / 2;
        s = addErrSign(a / 2, b / 2, m);
        e = 1;
      } else s = addErrSign(a, b, m);
      const neg = m < 0;
      return finish(neg ? -m : m, neg ? -s : s, e, neg, p);
    }
    case FOp.MUL: {
      const neg = (a < 0 || Object.is(a, -0)) !== (b < 0 || Object.is(b, -0));
      a = Math.abs(a);
      b = Math.abs(b);
      if ((a === 0 && b === Infinity) || (b === 0 && a === Infinity)) return NaN;
      if (a === Infinity || b === Infinity) return neg ? -Infinity : Infinity;
      if (a === 0 || b === 0) return neg ? -0 : 0;
      if (p === 24) return finish(a * b, 0, 0, neg, 24);
      const ea = expOf(a < 1e-290 ? a * pow2(512) : a) - (a < 1e-290 ? 512 : 0);
      const eb = expOf(b < 1e-290 ? b * pow2(512) : b) - (b < 1e-290 ? 512 : 0);
      const ma = scale(a, -ea), mb = scale(b, -eb);
      const m = ma * mb;
      return finish(m, mulErrSign(ma, mb, m), ea + eb, neg, 53);
    }
    case FOp.DIV: {
      const neg = (a < 0 || Object.is(a, -0)) !== (b < 0 || Object.is(b, -0));
      a = Math.abs(a);
      b = Math.abs(b);
      if ((a === 0 && b === 0) || (a === Infinity && b === Infinity)) return NaN;
      if (a === Infinity || b === 0) {
        if (a !== Infinity) env.flags |= ZE;
        return neg ? -Infinity : Infinity;
      }
      if (a === 0 || b === Infinity) return neg ? -0 : 0;
      const ea = p === 24 ? 0 : expOf(a < 1e-290 ? a * pow2(512) : a) - (a < 1e-290 ? 512 : 0);
      const eb = p === 24 ? 0 : expOf(b < 1e-290 ? b * pow2(512) : b) - (b < 1e-290 ? 512 : 0);
      const ma = scale(a, -ea), mb = scale(b, -eb);
      const m = ma / mb;
      const pe = mulErr(m, mb, m * mb);
      const r = (ma - m * mb) - pe;
      return finish(m, r > 0 ? 1 : r < 0 ? -1 : 0, ea - eb, neg, p);
    }
    default: { // SQRT of a
      if (a === 0) return a;
      if (a < 0) return NaN;
      if (a === Infinity) return a;
      let ea = 0;
      let ma = a;
      if (p === 53) {
        ea = expOf(a < 1e-290 ? a * pow2(512) : a) - (a < 1e-290 ? 512 : 0);
        if ((ea & 1) !== 0) ea -= 1;
        ma = scale(a, -ea);
      }
      const m = Math.sqrt(ma);
      const pe = mulErr(m, m, m * m);
      const r = (ma - m * m) - pe;
      return finish(m, r > 0 ? 1 : r < 0 ? -1 : 0, ea / 2, false, p);
    }
  }
}

/** 2^-959 and 2^960: operands and results inside this range take the fast paths. */
const FAST_LO = 1.0321972e-289, FAST_HI = 9.7453140e288;

/**
 * Round-to-nearest fast path for binary64 operands and results well inside
 * the normal range (no overflow, underflow, denormal, NaN or infinity
 * possible; the Dekker splits cannot overflow or lose bits): the JavaScript
 * result is the IEEE result, and only the inexact flag needs the error
 * term. Returns false when the slow path must decide.
 */
function fast64(op: number, alo: number, ahi: number, blo: number, bhi: number): boolean {
  // Everything is inlined by hand: a double passed to or returned from a call
  // that the compiler does not inline is boxed, one allocation per operation.
  // Zeros are fine too (JavaScript's round-to-nearest zero signs are IEEE's).
  const eb = (bhi >>> 20) & 0x7ff;
  const bz = ((bhi & 0x7fffffff) | blo) === 0;
  if (bz ? op === FOp.DIV : eb - 64 >>> 0 >= 1920) return false;
  // The operands' values, built as in f64 (inlined: zero or 64 <= e < 1984 here).
  const bm = bz ? 0 : ((bhi & 0xfffff) * 4294967296 + (blo >>> 0) + 4503599627370496) * UNIT[eb];
  const b = (bhi | 0) < 0 ? -bm : bm;
  let r: number, p: number, q: number;
  let az = false, a = 0;
  if (op === FOp.SQRT) {
    if (b < 0) return false;
    r = Math.sqrt(b);
    p = r;
    q = r;
  } else {
    const ea = (ahi >>> 20) & 0x7ff;
    az = ((ahi & 0x7fffffff) | alo) === 0;
    if (!az && ea - 64 >>> 0 >= 1920) return false;
    const am = az ? 0 : ((ahi & 0xfffff) * 4294967296 + (alo >>> 0) + 4503599627370496) * UNIT[ea];
    a = (ahi | 0) < 0 ? -am : am;
    if (op <= FOp.SUB) {
      const y = op === FOp.ADD ? b : -b;
      r = a + y;
      const m = r < 0 ? -r : r;
      if (!(m >= FAST_LO && m <= FAST_HI) && r !== 0) return false;
      if (!env.peSet) {
        const yy = r - a;
        if ((a - (r - yy)) + (y - yy) !== 0) env.flags |= PE;
      }
      cv[0] = r;
      res[0] = cw[0];
      res[1] = cw[1];
      return true;
    }
    if (op === FOp.MUL) {
      r = a * b;
      p = a;
      q = b;
    } else {
      r = a / b;
      p = r;
      q = b;
    }
  }
  // A zero result is exact only from a zero operand (else it underflowed).
  const m = r < 0 ? -r : r;
  if (!(m >= FAST_LO && m <= FAST_HI) && !(r === 0 && (az || bz))) return false;
  if (env.peSet) {
    cv[0] = r;
    res[0] = cw[0];
    res[1] = cw[1];
    return true;
  }
  // Exact p*q - pq (Dekker): for MUL the product's error, for DIV and SQRT the
  // remainder a - r*b (resp. b - r*r) decides exactness.
  const pq = p * q;
  let c = 134217729 * p;
  const ph = c - (c - p), pl = p - ph;
  c = 134217729 * q;
  const qh = c - (c - q), ql = q - qh;
  const err = ((ph * qh - pq) + ph * ql + pl * qh) + pl * ql;
  let e: number;
  if (op === FOp.MUL) e = err;
  else if (op === FOp.SQRT) e = b - pq - err;
  else {
    e = a - pq - err;
  }
  if (e !== 0) env.flags |= PE;
  cv[0] = r;
  res[0] = cw[0];
  res[1] = cw[1];
  return true;
}

/** Round-to-nearest fast path for normal binary32 operands with a normal result. */
function fast32(op: number, a: number, b: number): boolean {
  const eb = (b >>> 23) & 0xff;
  const bz = (b & 0x7fffffff) === 0;
  if (bz ? op === FOp.DIV : eb - 1 >>> 0 >= 254) return false;
  cfw[0] = b;
  const y = cf[0];
  let r: number, e = 0;
  let az = false;
  if (op === FOp.SQRT) {
    if (y < 0) return false;
    r = Math.sqrt(y);
    const pq = r * r;
    const c = 134217729 * r;
    const rh = c - (c - r), rl = r - rh;
    e = y - pq - (((rh * rh - pq) + rh * rl + rl * rh) + rl * rl);
  } else {
    const ea = (a >>> 23) & 0xff;
    az = (a & 0x7fffffff) === 0;
    if (!az && ea - 1 >>> 0 >= 254) return false;
    cfw[0] = a;
    const x = cf[0];
    if (op <= FOp.SUB) {
      const z = op === FOp.ADD ? y : -y;
      r = x + z;
      const zz = r - x;
      e = (x - (r - zz)) + (z - zz);
    } else if (op === FOp.MUL) {
      r = x * y; // exact in binary64
    } else {
      r = x / y;
      const pq = r * y;
      let c = 134217729 * r;
      const rh = c - (c - r), rl = r - rh;
      c = 134217729 * y;
      const yh = c - (c - y), yl = y - yh;
      e = x - pq - (((rh * yh - pq) + rh * yl + rl * yh) + rl * yl);
    }
  }
  // Tininess is decided on the unrounded value (x86 detects it after rounding to
  // 24 bits with an unbounded exponent, which is below 2^-126 iff r is).
  const q = Math.fround(r);
  const m = r < 0 ? -r : r, mq = q < 0 ? -q : q;
  const zeroOk = r === 0 && (az || bz || op <= FOp.SUB);
  if (!(m >= 1.1754943508222875e-38 && mq <= 3.4028234663852886e38) && !zeroOk) return false;
  if (q !== r || e !== 0) env.flags |= PE;
  cf[0] = q;
  res[0] = cfw[0];
  return true;
}

/** binary64 `op` (SQRT uses b only as the operand... see below); result in {@link res}. */
export function arith64(op: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if (env.rc === 0 && fast64(op, alo, ahi, blo, bhi)) return;
  if (op === FOp.SQRT) {
    // Operand is b (the source); a is ignored.
    if (isNaN64(blo, bhi)) return nan64(blo, bhi, blo, bhi);
    // A negative operand is invalid before it is denormal (no DE), unless DAZ zeroes it.
    if ((bhi & 0x80000000) !== 0 && ((bhi & 0x7fffffff) | blo) !== 0) {
      if (!env.daz || (bhi & 0x7ff00000) !== 0) return indefinite64();
    }
    const x = in64(blo, bhi);
    const r = core(op, x, 0, 53);
    if (r !== r) return indefinite64();
    return put64(r);
  }
  if (isNaN64(alo, ahi) || isNaN64(blo, bhi)) return nan64(alo, ahi, blo, bhi);
  const a = in64(alo, ahi), b = in64(blo, bhi);
  const r = core(op, a, b, 53);
  if (r !== r) return indefinite64();
  put64(r);
}

/** NaN result of a two-operand binary32 operation. */
function nan32(a: number, b: number): void {
  const an = isNaN32(a);
  if ((an && (a & 0x400000) === 0) || (isNaN32(b) && (b & 0x400000) === 0)) env.flags |= IE;
  res[0] = ((an ? a : b) | 0x400000) >>> 0;
}

/** binary32 `op` on bit patterns; result bits in `res[0]`. SQRT takes b. */
export function arith32(op: number, a: number, b: number): void {
  if (env.rc === 0 && fast32(op, a, b)) return;
  if (op === FOp.SQRT) {
    if (isNaN32(b)) return nan32(b, b);
    if ((b & 0x80000000) !== 0 && (b & 0x7fffffff) !== 0) {
      if (!env.daz || (b & 0x7f800000) !== 0) {
        env.flags |= IE;
        res[0] = 0xffc00000;
        return;
      }
    }
    const r = core(op, in32(b), 0, 24);
    if (r !== r) {
      env.flags |= IE;
      res[0] = 0xffc00000;
      return;
    }
    res[0] = bits32(r);
    return;
  }
  if (isNaN32(a) || isNaN32(b)) return nan32(a, b);
  const x = in32(a), y = in32(b);
  const r = core(op, x, y, 24);
  if (r !== r) {
    env.flags |= IE;
    res[0] = 0xffc00000;
    return;
  }
  res[0] = bits32(r);
}
