/**
 * SSE4.1 handlers outside the plain integer binary operations: ROUNDxx,
 * DPPS/DPPD, BLENDPS/PD, PBLENDW, BLENDVPS/PD, PBLENDVB, PTEST,
 * PMOVSX/PMOVZX, MPSADBW; and CRC32 (SSE4.2, a GPR instruction).
 *
 * @module
 */
import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { readE, setReg } from "../regs.ts";
import { arith32, arith64, beginFp, env, res } from "./softfp.ts";
import { round32, round64 } from "./fpconv.ts";
import { commitFlags } from "./exec_fp.ts";
import { D, getX, loadS, S, setX, sseCheck, T } from "./operands.ts";

/** ROUNDPS (i.x 0), ROUNDPD (1), ROUNDSS (2), ROUNDSD (3). */
export function roundFp(c: Cpu, i: Insn): void {
  sseCheck(c);
  const k = i.x;
  loadS(c, i, k < 2 ? 16 : k === 2 ? 4 : 8, false, k < 2);
  const f = c.fpu;
  beginFp(f.mxcsr);
  const s = S.u32, t = T.u32, imm = i.imm;
  const words = k === 0 || k === 1 ? 4 : k === 2 ? 1 : 2;
  if (k === 0 || k === 2) {
    for (let j = 0; j < words; j++) {
      round32(s[j], imm);
      t[j] = res[0];
    }
  } else {
    for (let j = 0; j < words; j += 2) {
      round64(s[j], s[j + 1], imm);
      t[j] = res[0];
      t[j + 1] = res[1];
    }
  }
  commitFlags(c);
  const x = f.xmm32, o = i.reg << 2;
  for (let j = 0; j < words; j++) x[o + j] = t[j];
}

/** DPPS products (scratch). */
const P4 = new Uint32Array(4);

/** Flags of the DPPS/DPPD multiplication step. */
let productFlags = 0;

/** End of the multiplication step: fault on an unmasked exception, else keep its flags aside. */
function afterProducts(c: Cpu, mask: number): void {
  if ((env.flags & ~mask) !== 0) commitFlags(c);
  productFlags = env.flags;
  env.flags = 0;
}

/** DPPS (i.x 0) / DPPD (1): products by imm[7:4], sum, broadcast by imm[3:0]. */
export function dpp(c: Cpu, i: Insn): void {
  sseCheck(c);
  loadS(c, i, 16, false, true);
  getX(c, i.reg, D);
  const f = c.fpu;
  beginFp(f.mxcsr);
  const d = D.u32, s = S.u32, t = T.u32, imm = i.imm;
  // Two steps (products, then sums): an unmasked exception in the products
  // stops there; the flags of the products stay recorded when the sums fault.
  const mask = (f.mxcsr >> 7) & 0x3f;
  if (i.x === 0) {
    const p = P4;
    for (let j = 0; j < 4; j++) {
      if ((imm >> (4 + j)) & 1) {
        arith32(2, d[j], s[j]);
        p[j] = res[0];
      } else p[j] = 0;
    }
    afterProducts(c, mask);
    arith32(0, p[0], p[1]);
    const a = res[0];
    arith32(0, p[2], p[3]);
    arith32(0, a, res[0]);
    const sum = res[0];
    for (let j = 0; j < 4; j++) t[j] = (imm >> j) & 1 ? sum : 0;
  } else {
    let p0lo = 0, p0hi = 0, p1lo = 0, p1hi = 0;
    if (imm & 0x10) {
      arith64(2, d[0], d[1], s[0], s[1]);
      p0lo = res[0];
      p0hi = res[1];
    }
    if (imm & 0x20) {
      arith64(2, d[2], d[3], s[2], s[3]);
      p1lo = res[0];
      p1hi = res[1];
    }
    afterProducts(c, mask);
    arith64(0, p0lo, p0hi, p1lo, p1hi);
    t[0] = imm & 1 ? res[0] : 0;
    t[1] = imm & 1 ? res[1] : 0;
    t[2] = imm & 2 ? res[0] : 0;
    t[3] = imm & 2 ? res[1] : 0;
  }
  const first = productFlags, second = env.flags;
  if ((second & ~mask) !== 0) {
    f.mxcsr |= first;
    commitFlags(c);
  }
  env.flags = first | second;
  commitFlags(c);
  setX(c, i.reg, T);
}

/**
 * Blends (i.x): 0 BLENDPS imm, 1 BLENDPD imm, 2 PBLENDW imm, 3 BLENDVPS,
 * 4 BLENDVPD, 5 PBLENDVB (mask XMM0).
 */
export function blend(c: Cpu, i: Insn): void {
  sseCheck(c);
  loadS(c, i, 16, false, true);
  getX(c, i.reg, D);
  const k = i.x, imm = i.imm;
  const x0 = c.fpu.xmm32, x0b = c.fpu.xmm;
  const d = D.u32, s = S.u32;
  switch (k) {
    case 0:
      for (let j = 0; j < 4; j++) if ((imm >> j) & 1) d[j] = s[j];
      break;
    case 1:
      for (let j = 0; j < 2; j++) {
        if ((imm >> j) & 1) {
          d[2 * j] = s[2 * j];
          d[2 * j + 1] = s[2 * j + 1];
        }
      }
      break;
    case 2:
      for (let j = 0; j < 8; j++) if ((imm >> j) & 1) D.u16[j] = S.u16[j];
      break;
    case 3:
      for (let j = 0; j < 4; j++) if ((x0[j] >>> 31) !== 0) d[j] = s[j];
      break;
    case 4:
      for (let j = 0; j < 2; j++) {
        if ((x0[2 * j + 1] >>> 31) !== 0) {
          d[2 * j] = s[2 * j];
          d[2 * j + 1] = s[2 * j + 1];
        }
      }
      break;
    default:
      for (let j = 0; j < 16; j++) if ((x0b[j] & 0x80) !== 0) D.u8[j] = S.u8[j];
  }
  setX(c, i.reg, D);
}

/** PTEST: ZF = (D AND S) = 0, CF = (NOT D AND S) = 0; other flags cleared. */
export function ptest(c: Cpu, i: Insn): void {
  sseCheck(c);
  loadS(c, i, 16, false, true);
  getX(c, i.reg, D);
  let z = 0, cf = 0;
  for (let j = 0; j < 4; j++) {
    z |= D.u32[j] & S.u32[j];
    cf |= ~D.u32[j] & S.u32[j];
  }
  c.alu.setFlags((z === 0 ? 0x40 : 0) | (cf === 0 ? 1 : 0));
}

/**
 * PMOVSX/PMOVZX: i.x = 0 BW, 1 BD, 2 BQ, 3 WD, 4 WQ, 5 DQ; i.y 1 = zero
 * extension. The memory operand has the source's exact size (no alignment).
 */
export function pmovx(c: Cpu, i: Insn): void {
  sseCheck(c);
  const k = i.x;
  const from = k < 3 ? 1 : k < 5 ? 2 : 4;
  const to = k === 0 ? 2 : k === 1 || k === 3 ? 4 : 8;
  const n = 16 / to;
  loadS(c, i, n * from, false, false);
  const zx = i.y === 1;
  const t = T.u32;
  for (let j = 0; j < n; j++) {
    let v: number;
    if (from === 1) v = zx ? S.u8[j] : S.i8[j];
    else if (from === 2) v = zx ? S.u16[j] : S.i16[j];
    else v = zx ? S.u32[j] : S.i32[j];
    if (to === 2) T.u16[j] = v;
    else if (to === 4) t[j] = v;
    else {
      t[2 * j] = v;
      t[2 * j + 1] = v < 0 ? 0xffffffff : 0;
    }
  }
  setX(c, i.reg, T);
}

/** MPSADBW: eight sums of absolute differences of 4-byte groups. */
export function mpsadbw(c: Cpu, i: Insn): void {
  sseCheck(c);
  loadS(c, i, 16, false, true);
  getX(c, i.reg, D);
  const so = (i.imm & 3) * 4, doff = ((i.imm >> 2) & 1) * 4;
  for (let j = 0; j < 8; j++) {
    let sum = 0;
    for (let q = 0; q < 4; q++) sum += Math.abs(D.u8[doff + j + q] - S.u8[so + q]);
    T.u16[j] = sum;
  }
  setX(c, i.reg, T);
}

/** CRC32C (Castagnoli, reflected polynomial 0x82F63B78) byte table. */
const CRC_TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let v = n;
  for (let k = 0; k < 8; k++) v = (v & 1) !== 0 ? (v >>> 1) ^ 0x82f63b78 : v >>> 1;
  CRC_TABLE[n] = v >>> 0;
}

/** CRC32 r32/r64, r/m8 (i.x 1) or r/m16/32/64 (i.x 0, by operand size). */
export function crc32(c: Cpu, i: Insn): void {
  const n = i.x === 1 ? 1 : i.opSize >> 3;
  let crc = c.gpr[i.reg << 1];
  const lo = readE(c, i, n);
  const hi = n === 8 ? c.hi : 0;
  for (let k = 0; k < n; k++) {
    const b = k < 4 ? (lo >>> (8 * k)) & 0xff : (hi >>> (8 * (k - 4))) & 0xff;
    crc = (CRC_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8)) >>> 0;
  }
  setReg(c, i.reg, 4, crc, 0);
}
