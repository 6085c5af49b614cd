/**
 * MUL, IMUL (one-, two- and three-operand forms), DIV and IDIV for
 * {@link Alu}, on 32-bit halves without BigInt. SDM Vol. 2A "MUL", "IMUL",
 * "DIV", "IDIV".
 *
 * Flags the SDM leaves undefined follow the ALU's vendor profile
 * (vendor_flags.ts). On the recording CPU (AMD family 19h, verified by
 * tests/alu_vectors_test.ts):
 * - MUL/IMUL: SF, ZF, AF, PF unchanged (also Intel family 6; family 15
 *   sets SF/ZF/PF from the low half and clears AF).
 * - DIV/IDIV: CF and OF unchanged, SF = ZF = PF = 0, AF = 1 (Intel: all
 *   six unchanged).
 *
 * @module
 */
import type { Alu } from "./alu.ts";
import { AF, CF, OF } from "./flags.ts";

// Scratch outputs of the helpers. A typed array, not module-level `let`s:
// storing a non-Smi number into a context slot allocates a heap number.
const W = new Uint32Array(4);

/**
 * Unsigned 64x64 -> 128 into W[0..3] (least significant first). Each 32x32
 * partial product: the low half is exact from Math.imul; the double product
 * is within 2^10 of the true value, so rounding (a*b - lo) / 2^32 gives the
 * exact high half.
 */
function mulU64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const p0l = Math.imul(aLo, bLo) >>> 0;
  const p0h = Math.round((aLo * bLo - p0l) / 0x100000000);
  const p1l = Math.imul(aLo, bHi) >>> 0;
  const p1h = Math.round((aLo * bHi - p1l) / 0x100000000);
  const p2l = Math.imul(aHi, bLo) >>> 0;
  const p2h = Math.round((aHi * bLo - p2l) / 0x100000000);
  const p3l = Math.imul(aHi, bHi) >>> 0;
  const p3h = Math.round((aHi * bHi - p3l) / 0x100000000);
  const t1 = p0h + p1l + p2l; // < 3 * 2^32
  const c1 = t1 >= 0x200000000 ? 2 : t1 >= 0x100000000 ? 1 : 0;
  const t2 = p1h + p2h + p3l + c1;
  const c2 = t2 >= 0x200000000 ? 2 : t2 >= 0x100000000 ? 1 : 0;
  W[0] = p0l;
  W[1] = t1;
  W[2] = t2;
  W[3] = p3h + c2;
}

/** Low 64 bits (lo, hi) of the last {@link imul64Over} product. */
export const MUL_LO: Uint32Array = new Uint32Array(2);

/**
 * Signed 64x64 multiply for the engine's IMUL fast path, operands as int32
 * halves (small integers: no heap numbers cross the call). The low 64 bits
 * of the product go to {@link MUL_LO}; returns true when the product does
 * not fit in 64 signed bits (CF = OF = 1). Flags are not touched.
 */
export function imul64Over(aL: number, aH: number, bL: number, bH: number): boolean {
  const aLo = aL >>> 0;
  const aHi = aH >>> 0;
  const bLo = bL >>> 0;
  const bHi = bH >>> 0;
  // mulU64 written out: a call would box its operands (uint32 doubles).
  const p0l = Math.imul(aLo, bLo) >>> 0;
  const p0h = Math.round((aLo * bLo - p0l) / 0x100000000);
  const p1l = Math.imul(aLo, bHi) >>> 0;
  const p1h = Math.round((aLo * bHi - p1l) / 0x100000000);
  const p2l = Math.imul(aHi, bLo) >>> 0;
  const p2h = Math.round((aHi * bLo - p2l) / 0x100000000);
  const p3l = Math.imul(aHi, bHi) >>> 0;
  const p3h = Math.round((aHi * bHi - p3l) / 0x100000000);
  const t1 = p0h + p1l + p2l;
  const c1 = t1 >= 0x200000000 ? 2 : t1 >= 0x100000000 ? 1 : 0;
  const t2 = p1h + p2h + p3l + c1;
  const c2 = t2 >= 0x200000000 ? 2 : t2 >= 0x100000000 ? 1 : 0;
  const hi = t1 >>> 0;
  let upL = t2 >>> 0;
  let upH = (p3h + c2) >>> 0;
  if (aH < 0) {
    const t = upL - bLo;
    upL = t >>> 0;
    upH = (upH - bHi - (t < 0 ? 1 : 0)) >>> 0;
  }
  if (bH < 0) {
    const t = upL - aLo;
    upL = t >>> 0;
    upH = (upH - aHi - (t < 0 ? 1 : 0)) >>> 0;
  }
  MUL_LO[0] = p0l;
  MUL_LO[1] = hi;
  const ext = (hi | 0) < 0 ? 0xffffffff : 0;
  return upL !== ext || upH !== ext;
}

/**
 * One-operand MUL (`signed` false) or IMUL (true): returns the low half,
 * upper half in alu.dx / alu.dxHi, 64-bit low half's high word in alu.hi.
 */
export function mul(
  alu: Alu,
  size: number,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
  signed: boolean,
): number {
  let lo: number;
  let over: boolean;
  if (size === 1 || size === 2) {
    const bits = size * 8;
    const sh = 32 - bits;
    const p = signed ? ((aLo << sh) >> sh) * ((bLo << sh) >> sh) : aLo * bLo;
    const m = size === 1 ? 0xff : 0xffff;
    lo = p & m;
    const up = (p >> bits) & m;
    alu.dx = up;
    alu.dxHi = 0;
    over = signed ? ((lo << sh) >> sh) !== p : up !== 0;
  } else if (size === 4) {
    // The double product is exact below 2^53 and within 2^11 of the true
    // value above; the low half is exact from Math.imul, so rounding
    // (p - lo) / 2^32 recovers the exact upper half.
    lo = Math.imul(aLo, bLo) >>> 0;
    const p = signed ? (aLo | 0) * (bLo | 0) : aLo * bLo;
    const upS = Math.round((p - lo) / 0x100000000);
    const up = upS >>> 0;
    over = signed ? up !== ((lo | 0) < 0 ? 0xffffffff : 0) : up !== 0;
    alu.dx = up;
    alu.dxHi = 0;
  } else {
    mulU64(aLo, aHi, bLo, bHi);
    lo = W[0];
    const hi = W[1];
    let upL = W[2];
    let upH = W[3];
    if (signed) {
      if ((aHi | 0) < 0) {
        // upper -= b
        const t = upL - bLo;
        upL = t >>> 0;
        upH = (upH - bHi - (t < 0 ? 1 : 0)) >>> 0;
      }
      if ((bHi | 0) < 0) {
        const t = upL - aLo;
        upL = t >>> 0;
        upH = (upH - aHi - (t < 0 ? 1 : 0)) >>> 0;
      }
      const ext = (hi | 0) < 0 ? 0xffffffff : 0;
      over = upL !== ext || upH !== ext;
    } else {
      over = (upL | upH) !== 0;
    }
    alu.hi = hi;
    alu.dx = upL;
    alu.dxHi = upH;
  }
  alu.mulFlags(size, lo, alu.hi, over);
  return lo;
}

/** Two/three-operand IMUL: truncated signed product (high word of 64-bit in alu.hi). */
export function imul(
  alu: Alu,
  size: number,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): number {
  return mul(alu, size, aLo, aHi, bLo, bHi, true);
}

/** Unsigned (d:a) / s for 32-bit d, a, s with d < s, by 16-bit digits; quotient returned, remainder in W[1]. */
function divU64by32(d: number, a: number, s: number): number {
  let r = d;
  let x = r * 0x10000 + (a >>> 16);
  const q1 = Math.floor(x / s);
  r = x - q1 * s;
  x = r * 0x10000 + (a & 0xffff);
  const q0 = Math.floor(x / s);
  W[1] = x - q0 * s;
  return ((q1 << 16) | q0) >>> 0;
}

/** Unsigned compare of 64-bit values: aHi:aLo < bHi:bLo. */
function lt64(aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  return aHi < bHi || (aHi === bHi && aLo < bLo);
}

/**
 * Unsigned 128/64 division (d:a) / s with d < s (checked by the caller):
 * quotient into W[0] (lo), W[1] (hi), remainder into W[2] (lo), W[3] (hi).
 */
function divU128by64(
  aLo: number,
  aHi: number,
  dLo: number,
  dHi: number,
  sLo: number,
  sHi: number,
): void {
  if (sHi === 0) {
    // d < s < 2^32, so dHi = 0: four 16-bit digits at a time stay exact in doubles.
    const qh = divU64by32(dLo, aHi, sLo);
    const ql = divU64by32(W[1], aLo, sLo);
    const r = W[1];
    W[0] = ql;
    W[1] = qh;
    W[2] = r;
    W[3] = 0;
    return;
  }
  // Shift-subtract over the 64 quotient bits; the remainder r (65 bits at
  // most before the subtraction) is kept as rH:rL plus a carry-out bit.
  let rL = dLo;
  let rH = dHi;
  let qL = 0;
  let qH = 0;
  for (let i = 63; i >= 0; i--) {
    const top = rH >>> 31;
    const inBit = i >= 32 ? (aHi >>> (i - 32)) & 1 : (aLo >>> i) & 1;
    rH = ((rH << 1) | (rL >>> 31)) >>> 0;
    rL = ((rL << 1) | inBit) >>> 0;
    if (top !== 0 || !lt64(rL, rH, sLo, sHi)) {
      const t = rL - sLo;
      rL = t >>> 0;
      rH = (rH - sHi - (t < 0 ? 1 : 0)) >>> 0;
      if (i >= 32) qH |= 1 << (i - 32);
      else qL |= 1 << i;
    }
  }
  W[0] = qL;
  W[1] = qH;
  W[2] = rL;
  W[3] = rH;
}

/**
 * Flags after a successful DIV/IDIV: on the recording CPU CF/OF kept,
 * SF=ZF=PF=0, AF=1; on Intel ("keep") none changes (sandpile.org's P6 and
 * P4 columns).
 */
function setDivFlags(alu: Alu): void {
  if (alu.vendor.divFlags === "keep") return;
  alu.setFlags((alu.getFlags() & (CF | OF)) | AF);
}

/**
 * DIV/IDIV: (d:a) / s. Returns 0 with the quotient in alu.quot/quotHi and the
 * remainder in alu.rem/remHi, or 1 (#DE: divisor zero or quotient overflow).
 */
export function div(
  alu: Alu,
  size: number,
  aLo: number,
  aHi: number,
  dLo: number,
  dHi: number,
  sLo: number,
  sHi: number,
  signed: boolean,
): number {
  if (size === 8 ? (sLo | sHi) === 0 : sLo === 0) return 1;
  if (size !== 8) {
    const bits = size * 8;
    if (size !== 4) {
      const dv = dLo * (1 << bits) + aLo;
      let q: number;
      let r: number;
      if (signed) {
        const sd = size === 1 ? (dv << 16) >> 16 : dv | 0;
        const sh = 32 - bits;
        const ss = (sLo << sh) >> sh;
        q = Math.trunc(sd / ss);
        r = sd - q * ss;
        if (q < -(1 << (bits - 1)) || q > (1 << (bits - 1)) - 1) return 1;
      } else {
        q = Math.floor(dv / sLo);
        r = dv - q * sLo;
        if (q >= 1 << bits) return 1;
      }
      const m = size === 1 ? 0xff : 0xffff;
      alu.quot = q & m;
      alu.rem = r & m;
    } else if (!signed) {
      if (dLo >= sLo) return 1;
      alu.quot = divU64by32(dLo, aLo, sLo);
      alu.rem = W[1];
    } else {
      // 64/32 signed: divide magnitudes, then fix signs.
      const negD = (dLo | 0) < 0;
      let mLo = aLo;
      let mHi = dLo;
      if (negD) {
        mLo = (-aLo) >>> 0;
        mHi = (~dLo + (mLo === 0 ? 1 : 0)) >>> 0;
      }
      const negS = (sLo | 0) < 0;
      const ms = negS ? (-sLo) >>> 0 : sLo;
      if (mHi >= ms) return 1;
      const q = divU64by32(mHi, mLo, ms);
      const r = W[1];
      const negQ = negD !== negS;
      if (negQ ? q > 0x80000000 : q > 0x7fffffff) return 1;
      alu.quot = negQ ? (-q) >>> 0 : q;
      alu.rem = negD ? (-r) >>> 0 : r;
    }
    alu.quotHi = 0;
    alu.remHi = 0;
    setDivFlags(alu);
    return 0;
  }
  if (!signed) {
    if (!lt64(dLo, dHi, sLo, sHi)) return 1;
    divU128by64(aLo, aHi, dLo, dHi, sLo, sHi);
    alu.quot = W[0];
    alu.quotHi = W[1];
    alu.rem = W[2];
    alu.remHi = W[3];
    setDivFlags(alu);
    return 0;
  }
  // 128/64 signed.
  const negD = (dHi | 0) < 0;
  let m0 = aLo;
  let m1 = aHi;
  let m2 = dLo;
  let m3 = dHi;
  if (negD) {
    // two's complement negate of the 128-bit dividend
    m0 = ~m0 >>> 0;
    m1 = ~m1 >>> 0;
    m2 = ~m2 >>> 0;
    m3 = ~m3 >>> 0;
    let c = 1;
    let t = m0 + c;
    m0 = t >>> 0;
    c = t > 0xffffffff ? 1 : 0;
    t = m1 + c;
    m1 = t >>> 0;
    c = t > 0xffffffff ? 1 : 0;
    t = m2 + c;
    m2 = t >>> 0;
    c = t > 0xffffffff ? 1 : 0;
    m3 = (m3 + c) >>> 0;
  }
  const negS = (sHi | 0) < 0;
  let sl = sLo;
  let sh = sHi;
  if (negS) {
    sl = (-sLo) >>> 0;
    sh = (~sHi + (sl === 0 ? 1 : 0)) >>> 0;
  }
  if (!lt64(m2, m3, sl, sh)) return 1;
  divU128by64(m0, m1, m2, m3, sl, sh);
  let qL = W[0];
  let qH = W[1];
  let rL = W[2];
  let rH = W[3];
  const negQ = negD !== negS;
  // |q| must fit: <= 2^63 - 1, or 2^63 when negative.
  if (negQ) {
    if (qH > 0x80000000 || (qH === 0x80000000 && qL !== 0)) return 1;
    const t = (-qL) >>> 0;
    qH = (~qH + (t === 0 ? 1 : 0)) >>> 0;
    qL = t;
  } else if (qH > 0x7fffffff) return 1;
  if (negD) {
    const t = (-rL) >>> 0;
    rH = (~rH + (t === 0 ? 1 : 0)) >>> 0;
    rL = t;
  }
  alu.quot = qL;
  alu.quotHi = qH;
  alu.rem = rL;
  alu.remHi = rH;
  setDivFlags(alu);
  return 0;
}
