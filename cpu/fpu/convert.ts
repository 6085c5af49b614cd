/**
 * Conversions between the x87 register format and memory formats: IEEE
 * binary32/binary64 (FLD/FST m32/m64), signed integers of 16/32/64 bits
 * (FILD/FIST/FISTP/FISTTP, with the integer indefinite on invalid), and
 * 18-digit packed BCD (FBLD/FBSTP). Register results are left in
 * {@link fx}; memory images in {@link mem}.
 *
 * @module
 */

import { Cls, Exc, fx, roundPack, roundToInt, type Unpacked, W } from "./f80.ts";
import { indefinite, setQNaN } from "./ops.ts";

/** A memory image produced by a store conversion: up to 80 bits as lo/hi/top words. */
export const mem = {
  /** Bits 31:0. */
  lo: 0,
  /** Bits 63:32. */
  hi: 0,
  /** Bits 79:64 (BCD sign/digits 17-16). */
  top: 0,
};

/** Load an unpacked m32/m64 value into fx (exact; SNaN quieted with IE, denormals raise DE). */
export function loadFloat(u: Unpacked): void {
  fx.up = 0;
  fx.s = u.s;
  switch (u.cls) {
    case Cls.ZERO:
      fx.x = 0;
      fx.hi = 0;
      fx.lo = 0;
      return;
    case Cls.INF:
      fx.x = 0x7fff;
      fx.hi = 0x80000000;
      fx.lo = 0;
      return;
    case Cls.SNAN:
      fx.exc |= Exc.IE;
      setQNaN(u.s, u.hi, u.lo);
      return;
    case Cls.QNAN:
      setQNaN(u.s, u.hi, u.lo);
      return;
    case Cls.DENORMAL:
      fx.exc |= Exc.DE;
  }
  fx.x = u.e + 16383;
  fx.hi = u.hi;
  fx.lo = u.lo;
}

/**
 * Store a register operand as binary32 (`bits` 32) or binary64 into
 * {@link mem}. Returns false when an unmasked exception suppresses the
 * store.
 */
export function storeFloat(u: Unpacked, bits: 32 | 64): boolean {
  fx.up = 0;
  const is64 = bits === 64;
  const s = u.s;
  switch (u.cls) {
    case Cls.UNSUPPORTED:
      indefinite();
      if ((fx.mask & Exc.IE) === 0) return false;
      packNaN(1, 0xc0000000, 0, is64);
      return true;
    case Cls.SNAN:
    case Cls.QNAN:
      if (u.cls === Cls.SNAN) {
        fx.exc |= Exc.IE;
        if ((fx.mask & Exc.IE) === 0) return false;
      }
      packNaN(s, u.hi, u.lo, is64);
      return true;
    case Cls.INF:
      if (is64) {
        mem.hi = ((s << 31) | 0x7ff00000) >>> 0;
        mem.lo = 0;
      } else mem.lo = ((s << 31) | 0x7f800000) >>> 0;
      return true;
    case Cls.ZERO:
      mem.lo = is64 ? 0 : (s << 31) >>> 0;
      mem.hi = is64 ? (s << 31) >>> 0 : 0;
      return true;
  }
  // A denormal source raises no DE here (recorded hardware behaviour).
  W[3] = u.hi;
  W[2] = u.lo;
  W[1] = 0;
  W[0] = 0;
  const ok = is64
    ? roundPack(s, u.e, 53, -1022, 1023, 1023, 0)
    : roundPack(s, u.e, 24, -126, 127, 127, 0);
  if (!ok) return false;
  if (is64) {
    mem.hi = ((s << 31) | (fx.x << 20) | ((fx.hi >>> 11) & 0xfffff)) >>> 0;
    mem.lo = ((fx.hi << 21) | (fx.lo >>> 11)) >>> 0;
  } else {
    mem.lo = ((s << 31) | (fx.x << 23) | ((fx.hi >>> 8) & 0x7fffff)) >>> 0;
  }
  return true;
}

function packNaN(s: number, hi: number, lo: number, is64: boolean): void {
  if (is64) {
    mem.hi = ((s << 31) | 0x7ff80000 | ((hi >>> 11) & 0xfffff)) >>> 0;
    mem.lo = ((hi << 21) | (lo >>> 11)) >>> 0;
  } else mem.lo = ((s << 31) | 0x7fc00000 | ((hi >>> 8) & 0x7fffff)) >>> 0;
}

/** Load a signed integer (two's complement lo/hi words, already sign-extended to 64 bits) into fx. */
export function loadInt(lo: number, hi: number): void {
  fx.up = 0;
  let s = 0;
  lo >>>= 0;
  hi >>>= 0;
  if ((hi & 0x80000000) !== 0) {
    s = 1;
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  fx.s = s;
  if ((hi | lo) === 0) {
    fx.x = 0;
    fx.hi = 0;
    fx.lo = 0;
    return;
  }
  let e = 63;
  if (hi === 0) {
    hi = lo;
    lo = 0;
    e -= 32;
  }
  const z = Math.clz32(hi);
  if (z !== 0) {
    hi = ((hi << z) | (lo >>> (32 - z))) >>> 0;
    lo = (lo << z) >>> 0;
  }
  fx.x = e - z + 16383;
  fx.hi = hi;
  fx.lo = lo;
}

/**
 * Convert to a signed integer of `bits` (16/32/64) into {@link mem},
 * rounding with `rc` (3 for FISTTP). Returns false when an unmasked
 * invalid suppresses the store.
 */
export function storeInt(u: Unpacked, bits: number, rc: number): boolean {
  fx.up = 0;
  let bad = false;
  let lo = 0, hi = 0;
  if (u.cls === Cls.ZERO) {
    lo = 0;
    hi = 0;
  } else if (u.cls !== Cls.NORMAL && u.cls !== Cls.DENORMAL) bad = true;
  else {
    const carry = roundToInt(u.s, u.e, u.hi, u.lo, rc);
    if (carry !== -1) fx.exc |= Exc.PE;
    let mh = W[3], ml = W[2];
    if (carry === 1) bad = true;
    else {
      // Range: magnitude <= 2^(bits-1) - 1, or exactly 2^(bits-1) when negative.
      const lim = bits === 64 ? 0 : bits === 32 ? 0x80000000 : 0x8000;
      if (bits === 64) {
        bad = mh > 0x80000000 || (mh === 0x80000000 && (ml !== 0 || u.s === 0));
      } else {
        bad = mh !== 0 || ml > lim || (ml === lim && u.s === 0);
      }
      if (!bad && u.s !== 0) {
        ml = (~ml + 1) >>> 0;
        mh = (~mh + (ml === 0 ? 1 : 0)) >>> 0;
      }
      lo = ml;
      hi = mh;
    }
    if (bad) {
      fx.exc &= ~Exc.PE;
      fx.up = 0;
    }
  }
  if (bad) {
    fx.exc |= Exc.IE;
    if ((fx.mask & Exc.IE) === 0) return false;
    lo = bits === 64 ? 0 : bits === 32 ? 0x80000000 : 0x8000;
    hi = bits === 64 ? 0x80000000 : 0;
  }
  mem.lo = bits === 16 ? lo & 0xffff : lo >>> 0;
  mem.hi = hi >>> 0;
  return true;
}

/** Load 18-digit packed BCD (bytes 0-7 in lo/hi, byte 9 sign in top bit 15) into fx. */
export function loadBcd(lo: number, hi: number, top: number): void {
  let vh = 0; // digits 17..9
  let vl = 0; // digits 8..0
  for (let k = 17; k >= 9; k--) vh = vh * 10 + bcdDigit(lo, hi, top, k);
  for (let k = 8; k >= 0; k--) vl = vl * 10 + bcdDigit(lo, hi, top, k);
  // value = vh * 10^9 + vl as 64-bit words: vh = a * 2^16 + b.
  const t = Math.floor(vh / 65536) * 1e9; // < 2^44; times 2^16 below
  let low = (t % 65536) * 65536 + (vh % 65536) * 1e9 + vl;
  const high = Math.floor(t / 65536) + Math.floor(low / 4294967296);
  low %= 4294967296;
  let l = low >>> 0, h = high >>> 0;
  const neg = (top & 0x8000) !== 0;
  if (neg) {
    l = (~l + 1) >>> 0;
    h = (~h + (l === 0 ? 1 : 0)) >>> 0;
  }
  loadInt(l, h);
  if (neg && fx.x === 0 && fx.hi === 0) fx.s = 1; // -0
}

function bcdDigit(lo: number, hi: number, top: number, k: number): number {
  if (k < 8) return (lo >>> (k * 4)) & 15;
  if (k < 16) return (hi >>> ((k - 8) * 4)) & 15;
  return (top >>> ((k - 16) * 4)) & 15;
}

/** Store as packed BCD (rounded with the current mode) into {@link mem}; false if suppressed. */
export function storeBcd(u: Unpacked): boolean {
  fx.up = 0;
  let bad = u.cls !== Cls.NORMAL && u.cls !== Cls.DENORMAL && u.cls !== Cls.ZERO;
  let h = 0, l = 0;
  if (!bad && u.cls !== Cls.ZERO) {
    const carry = roundToInt(u.s, u.e, u.hi, u.lo, fx.rc);
    if (carry !== -1) fx.exc |= Exc.PE;
    h = W[3];
    l = W[2];
    // 10^18 - 1 = 0x0DE0B6B3A763FFFF
    if (carry === 1 || h > 0x0de0b6b3 || (h === 0x0de0b6b3 && l > 0xa763ffff)) bad = true;
  }
  if (bad) {
    fx.exc &= ~Exc.PE;
    fx.up = 0;
    fx.exc |= Exc.IE;
    if ((fx.mask & Exc.IE) === 0) return false;
    mem.lo = 0;
    mem.hi = 0xc0000000;
    mem.top = 0xffff;
    return true;
  }
  // Exact: (h * 2^32 + l) / 10^9 via 16-bit long division.
  let rem = 0;
  const limbs = [h >>> 16, h & 0xffff, l >>> 16, l & 0xffff];
  const q = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    const cur = rem * 65536 + limbs[k];
    q[k] = Math.floor(cur / 1e9);
    rem = cur % 1e9;
  }
  const qv = ((q[0] * 65536 + q[1]) * 65536 + q[2]) * 65536 + q[3]; // < 10^9: exact
  let lo2 = 0, hi2 = 0, top2 = 0;
  let r = rem;
  for (let k = 0; k < 9; k++) {
    const d = r % 10;
    r = Math.floor(r / 10);
    if (k < 8) lo2 |= d << (k * 4);
    else hi2 |= d;
  }
  let qq = qv;
  for (let k = 9; k < 18; k++) {
    const d = qq % 10;
    qq = Math.floor(qq / 10);
    if (k < 16) hi2 |= d << ((k - 8) * 4);
    else top2 |= d << ((k - 16) * 4);
  }
  mem.lo = lo2 >>> 0;
  mem.hi = hi2 >>> 0;
  mem.top = (top2 | (u.s << 15)) & 0xffff;
  return true;
}
