/**
 * Integer SIMD arithmetic on the scratch registers D (destination and
 * first operand), S (second operand) and T (result), for MMX (n = 8 bytes)
 * and XMM (n = 16) widths alike: D ← D op S. One switch, no allocation.
 * SDM Vol. 2 (PADDB ... PMULLD), Vol. 1 9.2.2/10.4/12 (saturation rules).
 *
 * @module
 */
import { D, S, T } from "./operands.ts";

/** Integer operation ids for {@link intBinary}. */
export const enum IOp {
  PADDB,
  PADDW,
  PADDD,
  PADDQ,
  PSUBB,
  PSUBW,
  PSUBD,
  PSUBQ,
  PADDSB,
  PADDSW,
  PADDUSB,
  PADDUSW,
  PSUBSB,
  PSUBSW,
  PSUBUSB,
  PSUBUSW,
  PMULLW,
  PMULHW,
  PMULHUW,
  PMULUDQ,
  PMADDWD,
  PSADBW,
  PAVGB,
  PAVGW,
  PMINUB,
  PMAXUB,
  PMINSW,
  PMAXSW,
  PAND,
  PANDN,
  POR,
  PXOR,
  PCMPEQB,
  PCMPEQW,
  PCMPEQD,
  PCMPGTB,
  PCMPGTW,
  PCMPGTD,
  PUNPCKLBW,
  PUNPCKLWD,
  PUNPCKLDQ,
  PUNPCKLQDQ,
  PUNPCKHBW,
  PUNPCKHWD,
  PUNPCKHDQ,
  PUNPCKHQDQ,
  PACKSSWB,
  PACKUSWB,
  PACKSSDW,
  PACKUSDW,
  PSHUFB,
  PHADDW,
  PHADDD,
  PHADDSW,
  PHSUBW,
  PHSUBD,
  PHSUBSW,
  PMADDUBSW,
  PSIGNB,
  PSIGNW,
  PSIGND,
  PMULHRSW,
  PMULDQ,
  PCMPEQQ,
  PCMPGTQ,
  PMINSB,
  PMINSD,
  PMINUW,
  PMINUD,
  PMAXSB,
  PMAXSD,
  PMAXUW,
  PMAXUD,
  PMULLD,
  PSRLW,
  PSRLD,
  PSRLQ,
  PSRAW,
  PSRAD,
  PSLLW,
  PSLLD,
  PSLLQ,
  PABSB,
  PABSW,
  PABSD,
  PHMINPOSUW,
}

function ss8(v: number): number {
  return v > 127 ? 127 : v < -128 ? -128 : v;
}
function ss16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}
function us8(v: number): number {
  return v > 255 ? 255 : v < 0 ? 0 : v;
}
function us16(v: number): number {
  return v > 65535 ? 65535 : v < 0 ? 0 : v;
}

/** Unsigned 32x32 → 64 product: low word returned, high word in `mulHi`. */
let mulHi = 0;
function mulu(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl;
  const t = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  mulHi = (ah * bh + (lh >>> 16) + (hl >>> 16) + (t >>> 16)) >>> 0;
  return Math.imul(a, b) >>> 0;
}

/** Shift count from S's low 64 bits (saturated to 255). */
function count(): number {
  return S.u32[1] !== 0 || S.u32[0] > 255 ? 255 : S.u32[0];
}

/** Packed shift of D by `cnt` in place (op: PSRLW..PSLLQ), n bytes. */
export function shiftBy(op: number, cnt: number, n: number): void {
  const w16 = D.u16, i16 = D.i16, w32 = D.u32, i32 = D.i32;
  switch (op) {
    case IOp.PSRLW:
      for (let k = 0; k < n >> 1; k++) w16[k] = cnt > 15 ? 0 : w16[k] >>> cnt;
      return;
    case IOp.PSRAW:
      for (let k = 0; k < n >> 1; k++) i16[k] = i16[k] >> (cnt > 15 ? 15 : cnt);
      return;
    case IOp.PSLLW:
      for (let k = 0; k < n >> 1; k++) w16[k] = cnt > 15 ? 0 : w16[k] << cnt;
      return;
    case IOp.PSRLD:
      for (let k = 0; k < n >> 2; k++) w32[k] = cnt > 31 ? 0 : w32[k] >>> cnt;
      return;
    case IOp.PSRAD:
      for (let k = 0; k < n >> 2; k++) i32[k] = i32[k] >> (cnt > 31 ? 31 : cnt);
      return;
    case IOp.PSLLD:
      for (let k = 0; k < n >> 2; k++) w32[k] = cnt > 31 ? 0 : w32[k] << cnt;
      return;
    case IOp.PSRLQ:
      for (let k = 0; k < n >> 2; k += 2) {
        const lo = w32[k], hi = w32[k + 1];
        if (cnt > 63) w32[k] = w32[k + 1] = 0;
        else if (cnt >= 32) {
          w32[k] = hi >>> (cnt - 32);
          w32[k + 1] = 0;
        } else if (cnt > 0) {
          w32[k] = (lo >>> cnt) | (hi << (32 - cnt));
          w32[k + 1] = hi >>> cnt;
        }
      }
      return;
    default: // PSLLQ
      for (let k = 0; k < n >> 2; k += 2) {
        const lo = w32[k], hi = w32[k + 1];
        if (cnt > 63) w32[k] = w32[k + 1] = 0;
        else if (cnt >= 32) {
          w32[k + 1] = lo << (cnt - 32);
          w32[k] = 0;
        } else if (cnt > 0) {
          w32[k + 1] = (hi << cnt) | (lo >>> (32 - cnt));
          w32[k] = lo << cnt;
        }
      }
  }
}

/** PSRLDQ (left = false) / PSLLDQ by `cnt` bytes on D (16 bytes). */
export function byteShift(left: boolean, cnt: number): void {
  const d = D.u8, t = T.u8;
  for (let k = 0; k < 16; k++) {
    const j = left ? k - cnt : k + cnt;
    t[k] = j >= 0 && j < 16 ? d[j] : 0;
  }
  for (let k = 0; k < 16; k++) d[k] = t[k];
}

/** D ← D op S over `n` bytes (8 MMX, 16 XMM). */
export function intBinary(op: number, n: number): void {
  const d8 = D.u8, s8 = S.u8, di8 = D.i8, si8 = S.i8;
  const d16 = D.u16, s16 = S.u16, di16 = D.i16, si16 = S.i16;
  const d32 = D.u32, s32 = S.u32, di32 = D.i32, si32 = S.i32;
  const t8 = T.u8, t16 = T.u16, t32 = T.u32, ti16 = T.i16;
  const nw = n >> 1, nd = n >> 2;
  switch (op) {
    case IOp.PADDB:
      for (let k = 0; k < n; k++) d8[k] = d8[k] + s8[k];
      return;
    case IOp.PADDW:
      for (let k = 0; k < nw; k++) d16[k] = d16[k] + s16[k];
      return;
    case IOp.PADDD:
      for (let k = 0; k < nd; k++) d32[k] = d32[k] + s32[k];
      return;
    case IOp.PADDQ:
      for (let k = 0; k < nd; k += 2) {
        const lo = d32[k] + s32[k];
        d32[k] = lo;
        d32[k + 1] = d32[k + 1] + s32[k + 1] + (lo > 0xffffffff ? 1 : 0);
      }
      return;
    case IOp.PSUBB:
      for (let k = 0; k < n; k++) d8[k] = d8[k] - s8[k];
      return;
    case IOp.PSUBW:
      for (let k = 0; k < nw; k++) d16[k] = d16[k] - s16[k];
      return;
    case IOp.PSUBD:
      for (let k = 0; k < nd; k++) d32[k] = d32[k] - s32[k];
      return;
    case IOp.PSUBQ:
      for (let k = 0; k < nd; k += 2) {
        const lo = d32[k] - s32[k];
        d32[k] = lo;
        d32[k + 1] = d32[k + 1] - s32[k + 1] - (lo < 0 ? 1 : 0);
      }
      return;
    case IOp.PADDSB:
      for (let k = 0; k < n; k++) di8[k] = ss8(di8[k] + si8[k]);
      return;
    case IOp.PADDSW:
      for (let k = 0; k < nw; k++) di16[k] = ss16(di16[k] + si16[k]);
      return;
    case IOp.PADDUSB:
      for (let k = 0; k < n; k++) d8[k] = us8(d8[k] + s8[k]);
      return;
    case IOp.PADDUSW:
      for (let k = 0; k < nw; k++) d16[k] = us16(d16[k] + s16[k]);
      return;
    case IOp.PSUBSB:
      for (let k = 0; k < n; k++) di8[k] = ss8(di8[k] - si8[k]);
      return;
    case IOp.PSUBSW:
      for (let k = 0; k < nw; k++) di16[k] = ss16(di16[k] - si16[k]);
      return;
    case IOp.PSUBUSB:
      for (let k = 0; k < n; k++) d8[k] = us8(d8[k] - s8[k]);
      return;
    case IOp.PSUBUSW:
      for (let k = 0; k < nw; k++) d16[k] = us16(d16[k] - s16[k]);
      return;
    case IOp.PMULLW:
      for (let k = 0; k < nw; k++) d16[k] = Math.imul(d16[k], s16[k]);
      return;
    case IOp.PMULHW:
      for (let k = 0; k < nw; k++) d16[k] = (di16[k] * si16[k]) >> 16;
      return;
    case IOp.PMULHUW:
      for (let k = 0; k < nw; k++) d16[k] = (d16[k] * s16[k]) >>> 16;
      return;
    case IOp.PMULUDQ:
      for (let k = 0; k < nd; k += 2) {
        d32[k] = mulu(d32[k], s32[k]);
        d32[k + 1] = mulHi;
      }
      return;
    case IOp.PMULDQ:
      for (let k = 0; k < nd; k += 2) {
        const a = d32[k], b = s32[k];
        d32[k] = mulu(a, b);
        d32[k + 1] = mulHi - ((a >>> 31) !== 0 ? b : 0) - ((b >>> 31) !== 0 ? a : 0);
      }
      return;
    case IOp.PMADDWD:
      for (let k = 0; k < nd; k++) {
        d32[k] = di16[2 * k] * si16[2 * k] + di16[2 * k + 1] * si16[2 * k + 1];
      }
      return;
    case IOp.PSADBW:
      for (let q = 0; q < n; q += 8) {
        let sum = 0;
        for (let k = q; k < q + 8; k++) sum += Math.abs(d8[k] - s8[k]);
        d32[q >> 2] = sum;
        d32[(q >> 2) + 1] = 0;
      }
      return;
    case IOp.PAVGB:
      for (let k = 0; k < n; k++) d8[k] = (d8[k] + s8[k] + 1) >> 1;
      return;
    case IOp.PAVGW:
      for (let k = 0; k < nw; k++) d16[k] = (d16[k] + s16[k] + 1) >> 1;
      return;
    case IOp.PMINUB:
      for (let k = 0; k < n; k++) if (s8[k] < d8[k]) d8[k] = s8[k];
      return;
    case IOp.PMAXUB:
      for (let k = 0; k < n; k++) if (s8[k] > d8[k]) d8[k] = s8[k];
      return;
    case IOp.PMINSW:
      for (let k = 0; k < nw; k++) if (si16[k] < di16[k]) di16[k] = si16[k];
      return;
    case IOp.PMAXSW:
      for (let k = 0; k < nw; k++) if (si16[k] > di16[k]) di16[k] = si16[k];
      return;
    case IOp.PMINSB:
      for (let k = 0; k < n; k++) if (si8[k] < di8[k]) di8[k] = si8[k];
      return;
    case IOp.PMAXSB:
      for (let k = 0; k < n; k++) if (si8[k] > di8[k]) di8[k] = si8[k];
      return;
    case IOp.PMINUW:
      for (let k = 0; k < nw; k++) if (s16[k] < d16[k]) d16[k] = s16[k];
      return;
    case IOp.PMAXUW:
      for (let k = 0; k < nw; k++) if (s16[k] > d16[k]) d16[k] = s16[k];
      return;
    case IOp.PMINSD:
      for (let k = 0; k < nd; k++) if (si32[k] < di32[k]) di32[k] = si32[k];
      return;
    case IOp.PMAXSD:
      for (let k = 0; k < nd; k++) if (si32[k] > di32[k]) di32[k] = si32[k];
      return;
    case IOp.PMINUD:
      for (let k = 0; k < nd; k++) if (s32[k] < d32[k]) d32[k] = s32[k];
      return;
    case IOp.PMAXUD:
      for (let k = 0; k < nd; k++) if (s32[k] > d32[k]) d32[k] = s32[k];
      return;
    case IOp.PMULLD:
      for (let k = 0; k < nd; k++) d32[k] = Math.imul(d32[k], s32[k]);
      return;
    case IOp.PAND:
      for (let k = 0; k < nd; k++) d32[k] &= s32[k];
      return;
    case IOp.PANDN:
      for (let k = 0; k < nd; k++) d32[k] = ~d32[k] & s32[k];
      return;
    case IOp.POR:
      for (let k = 0; k < nd; k++) d32[k] |= s32[k];
      return;
    case IOp.PXOR:
      for (let k = 0; k < nd; k++) d32[k] ^= s32[k];
      return;
    case IOp.PCMPEQB:
      for (let k = 0; k < n; k++) d8[k] = d8[k] === s8[k] ? 0xff : 0;
      return;
    case IOp.PCMPEQW:
      for (let k = 0; k < nw; k++) d16[k] = d16[k] === s16[k] ? 0xffff : 0;
      return;
    case IOp.PCMPEQD:
      for (let k = 0; k < nd; k++) d32[k] = d32[k] === s32[k] ? 0xffffffff : 0;
      return;
    case IOp.PCMPEQQ:
      for (let k = 0; k < nd; k += 2) {
        d32[k] = d32[k + 1] = d32[k] === s32[k] && d32[k + 1] === s32[k + 1] ? 0xffffffff : 0;
      }
      return;
    case IOp.PCMPGTB:
      for (let k = 0; k < n; k++) d8[k] = di8[k] > si8[k] ? 0xff : 0;
      return;
    case IOp.PCMPGTW:
      for (let k = 0; k < nw; k++) d16[k] = di16[k] > si16[k] ? 0xffff : 0;
      return;
    case IOp.PCMPGTD:
      for (let k = 0; k < nd; k++) d32[k] = di32[k] > si32[k] ? 0xffffffff : 0;
      return;
    case IOp.PCMPGTQ:
      for (let k = 0; k < nd; k += 2) {
        const gt = di32[k + 1] > si32[k + 1] || (di32[k + 1] === si32[k + 1] && d32[k] > s32[k]);
        d32[k] = d32[k + 1] = gt ? 0xffffffff : 0;
      }
      return;
    case IOp.PUNPCKLBW:
    case IOp.PUNPCKHBW: {
      const b = op === IOp.PUNPCKHBW ? n >> 1 : 0;
      for (let k = 0; k < n >> 1; k++) {
        t8[2 * k] = d8[b + k];
        t8[2 * k + 1] = s8[b + k];
      }
      break;
    }
    case IOp.PUNPCKLWD:
    case IOp.PUNPCKHWD: {
      const b = op === IOp.PUNPCKHWD ? nw >> 1 : 0;
      for (let k = 0; k < nw >> 1; k++) {
        t16[2 * k] = d16[b + k];
        t16[2 * k + 1] = s16[b + k];
      }
      break;
    }
    case IOp.PUNPCKLDQ:
    case IOp.PUNPCKHDQ: {
      const b = op === IOp.PUNPCKHDQ ? nd >> 1 : 0;
      for (let k = 0; k < nd >> 1; k++) {
        t32[2 * k] = d32[b + k];
        t32[2 * k + 1] = s32[b + k];
      }
      break;
    }
    case IOp.PUNPCKLQDQ:
    case IOp.PUNPCKHQDQ: {
      const b = op === IOp.PUNPCKHQDQ ? 2 : 0;
      t32[0] = d32[b];
      t32[1] = d32[b + 1];
      t32[2] = s32[b];
      t32[3] = s32[b + 1];
      break;
    }
    case IOp.PACKSSWB:
    case IOp.PACKUSWB: {
      const f = op === IOp.PACKSSWB ? ss8 : us8;
      for (let k = 0; k < nw; k++) {
        t8[k] = f(di16[k]);
        t8[nw + k] = f(si16[k]);
      }
      break;
    }
    case IOp.PACKSSDW:
    case IOp.PACKUSDW: {
      const f = op === IOp.PACKSSDW ? ss16 : us16;
      for (let k = 0; k < nd; k++) {
        t16[k] = f(di32[k]);
        t16[nd + k] = f(si32[k]);
      }
      break;
    }
    case IOp.PSHUFB:
      for (let k = 0; k < n; k++) {
        const m = s8[k];
        t8[k] = (m & 0x80) !== 0 ? 0 : d8[m & (n - 1)];
      }
      break;
    case IOp.PHADDW:
    case IOp.PHSUBW:
    case IOp.PHADDSW:
    case IOp.PHSUBSW: {
      const h = nw >> 1;
      for (let k = 0; k < h; k++) {
        t16[k] = hop(op, di16[2 * k], di16[2 * k + 1]);
        t16[h + k] = hop(op, si16[2 * k], si16[2 * k + 1]);
      }
      break;
    }
    case IOp.PHADDD:
    case IOp.PHSUBD: {
      const h = nd >> 1;
      for (let k = 0; k < h; k++) {
        t32[k] = op === IOp.PHADDD ? d32[2 * k] + d32[2 * k + 1] : d32[2 * k] - d32[2 * k + 1];
        t32[h + k] = op === IOp.PHADDD ? s32[2 * k] + s32[2 * k + 1] : s32[2 * k] - s32[2 * k + 1];
      }
      break;
    }
    case IOp.PMADDUBSW:
      for (let k = 0; k < nw; k++) {
        ti16[k] = ss16(d8[2 * k] * si8[2 * k] + d8[2 * k + 1] * si8[2 * k + 1]);
      }
      break;
    case IOp.PSIGNB:
      for (let k = 0; k < n; k++) di8[k] = si8[k] < 0 ? -di8[k] : si8[k] === 0 ? 0 : di8[k];
      return;
    case IOp.PSIGNW:
      for (let k = 0; k < nw; k++) di16[k] = si16[k] < 0 ? -di16[k] : si16[k] === 0 ? 0 : di16[k];
      return;
    case IOp.PSIGND:
      for (let k = 0; k < nd; k++) di32[k] = si32[k] < 0 ? -di32[k] : si32[k] === 0 ? 0 : di32[k];
      return;
    case IOp.PMULHRSW:
      for (let k = 0; k < nw; k++) d16[k] = (((di16[k] * si16[k]) >> 14) + 1) >> 1;
      return;
    case IOp.PABSB:
      for (let k = 0; k < n; k++) d8[k] = Math.abs(si8[k]);
      return;
    case IOp.PABSW:
      for (let k = 0; k < nw; k++) d16[k] = Math.abs(si16[k]);
      return;
    case IOp.PABSD:
      for (let k = 0; k < nd; k++) d32[k] = Math.abs(si32[k]);
      return;
    case IOp.PHMINPOSUW: {
      let m = s16[0], at = 0;
      for (let k = 1; k < 8; k++) {
        if (s16[k] < m) {
          m = s16[k];
          at = k;
        }
      }
      d32[0] = m | (at << 16);
      d32[1] = d32[2] = d32[3] = 0;
      return;
    }
    default:
      if (op >= IOp.PSRLW && op <= IOp.PSLLQ) shiftBy(op, count(), n);
      return;
  }
  for (let k = 0; k < nd; k++) d32[k] = t32[k];
}

function hop(op: number, a: number, b: number): number {
  switch (op) {
    case IOp.PHADDW:
      return a + b;
    case IOp.PHSUBW:
      return a - b;
    case IOp.PHADDSW:
      return ss16(a + b);
    default:
      return ss16(a - b);
  }
}
