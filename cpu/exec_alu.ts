/**
 * Handlers: the eight two-operand ALU operations, INC/DEC, NOT/NEG, TEST,
 * MUL/IMUL/DIV/IDIV, shifts and rotates (incl. SHLD/SHRD), and bit
 * operations. Flags come from the lazy-flag {@link Alu}.
 *
 * `i.x` holds the operation index chosen at decode time (ALU: 0 ADD, 1 OR,
 * 2 ADC, 3 SBB, 4 AND, 5 SUB, 6 XOR, 7 CMP; shifts: 0 ROL .. 6 SAR).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import { CpuFault, Vec } from "./fault.ts";
import {
  ea,
  getReg,
  memRead,
  memWrite,
  readE,
  readG,
  rmwRead,
  rmwWrite,
  setR8,
  setReg,
  writeG,
} from "./regs.ts";
import { la, probeWrite } from "./memory.ts";

const M = [0, 0xff, 0xffff, 0, 0xffffffff, 0, 0, 0, 0xffffffff];

/** Apply ALU operation k; returns the low result (high in alu.hi for 64-bit). */
function op2(c: Cpu, k: number, s: number, a: number, ah: number, b: number, bh: number): number {
  const alu = c.alu;
  switch (k) {
    case 0:
      return alu.add(s, a, ah, b, bh);
    case 1:
      return alu.or(s, a, ah, b, bh);
    case 2:
      return alu.adc(s, a, ah, b, bh);
    case 3:
      return alu.sbb(s, a, ah, b, bh);
    case 4:
      return alu.and(s, a, ah, b, bh);
    case 5:
      return alu.sub(s, a, ah, b, bh);
    case 6:
      return alu.xor(s, a, ah, b, bh);
    default:
      alu.cmp(s, a, ah, b, bh);
      return a;
  }
}

/** ALU Ev, Gv / Ev, Iz with a register destination. */
export function aluRegDst(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const s = i.osz;
  const k = i.x;
  const d = i.rm << 1;
  let b: number;
  let bh = 0;
  if (i.y === 0) {
    const r = i.reg << 1;
    b = g[r];
    if (s === 8) bh = g[r + 1];
    else if (s === 2) b &= 0xffff;
  } else {
    b = s === 2 ? i.imm & 0xffff : i.imm;
    bh = i.immHi;
  }
  if (s === 4) {
    const r = op2(c, k, 4, g[d], 0, b, 0);
    if (k !== 7) {
      g[d] = r;
      g[d + 1] = 0;
    }
  } else if (s === 8) {
    const r = op2(c, k, 8, g[d], g[d + 1], b, bh);
    if (k !== 7) {
      g[d] = r;
      g[d + 1] = c.alu.hi;
    }
  } else {
    const r = op2(c, k, 2, g[d] & 0xffff, 0, b, 0);
    if (k !== 7) g[d] = (g[d] & 0xffff0000) | r;
  }
}

/** ALU Ev, Gv / Ev, Iz / Eb, Gb / Eb, Ib with memory or byte destination. */
export function aluEdst(c: Cpu, i: Insn): void {
  const s = i.y >= 2 ? 1 : i.osz;
  const k = i.x;
  let b: number;
  let bh = 0;
  if ((i.y & 1) === 0) {
    b = readG(c, i, s);
    bh = s === 8 ? c.hi : 0;
  } else {
    b = (i.imm & M[s]) >>> 0;
    bh = i.immHi;
  }
  if (k === 7) {
    const a = readE(c, i, s);
    c.alu.cmp(s, a, s === 8 ? c.hi : 0, b, bh);
    return;
  }
  const a = rmwRead(c, i, s);
  const r = op2(c, k, s, a, s === 8 ? c.hi : 0, b, bh);
  rmwWrite(c, i, s, r, c.alu.hi);
}

/** ALU Gv, Ev / Gb, Eb. */
export function aluGdst(c: Cpu, i: Insn): void {
  const s = i.y === 1 ? 1 : i.osz;
  const k = i.x;
  const b = readE(c, i, s);
  const bh = s === 8 ? c.hi : 0;
  const a = readG(c, i, s);
  const r = op2(c, k, s, a, s === 8 ? c.hi : 0, b, bh);
  if (k !== 7) writeG(c, i, s, r, c.alu.hi);
}

/** INC/DEC/NOT/NEG E (i.x: 0 inc, 1 dec, 2 not, 3 neg; i.y = 1 for byte). */
export function unary(c: Cpu, i: Insn): void {
  const s = i.y === 1 ? 1 : i.osz;
  const a = rmwRead(c, i, s);
  const ah = s === 8 ? c.hi : 0;
  const alu = c.alu;
  let r: number;
  switch (i.x) {
    case 0:
      r = alu.inc(s, a, ah);
      break;
    case 1:
      r = alu.dec(s, a, ah);
      break;
    case 2:
      r = alu.not(s, a, ah);
      break;
    default:
      r = alu.neg(s, a, ah);
  }
  rmwWrite(c, i, s, r, alu.hi);
}

/** TEST E, G / E, imm (i.y bit 0 = imm, bit 1 = byte). */
export function test(c: Cpu, i: Insn): void {
  const s = (i.y & 2) !== 0 ? 1 : i.osz;
  const a = readE(c, i, s);
  const ah = s === 8 ? c.hi : 0;
  let b: number;
  let bh = 0;
  if ((i.y & 1) === 0) {
    b = readG(c, i, s);
    bh = s === 8 ? c.hi : 0;
  } else {
    b = (i.imm & M[s]) >>> 0;
    bh = i.immHi;
  }
  c.alu.test(s, a, ah, b, bh);
}

/** MUL/IMUL/DIV/IDIV with one operand (i.x: 0 mul, 1 imul, 2 div, 3 idiv; i.y = 1 byte). */
export function muldiv(c: Cpu, i: Insn): void {
  const s = i.y === 1 ? 1 : i.osz;
  const b = readE(c, i, s);
  const bh = s === 8 ? c.hi : 0;
  const g = c.gpr;
  const alu = c.alu;
  const k = i.x;
  if (k < 2) {
    const a = s === 1 ? g[0] & 0xff : s === 2 ? g[0] & 0xffff : g[0];
    const ah = s === 8 ? g[1] : 0;
    const lo = k === 0 ? alu.mul(s, a, ah, b, bh) : alu.imul1(s, a, ah, b, bh);
    if (s === 1) g[0] = (g[0] & 0xffff0000) | (lo & 0xff) | ((alu.dx & 0xff) << 8);
    else if (s === 2) {
      g[0] = (g[0] & 0xffff0000) | lo;
      g[4] = (g[4] & 0xffff0000) | (alu.dx & 0xffff);
    } else if (s === 4) {
      g[0] = lo;
      g[1] = 0;
      g[4] = alu.dx;
      g[5] = 0;
    } else {
      const h = alu.hi;
      g[0] = lo;
      g[1] = h;
      g[4] = alu.dx;
      g[5] = alu.dxHi;
    }
    return;
  }
  let a: number, ah: number, d: number, dh: number;
  if (s === 1) {
    a = g[0] & 0xff;
    d = (g[0] >>> 8) & 0xff;
    ah = dh = 0;
  } else if (s === 2) {
    a = g[0] & 0xffff;
    d = g[4] & 0xffff;
    ah = dh = 0;
  } else if (s === 4) {
    a = g[0];
    d = g[4];
    ah = dh = 0;
  } else {
    a = g[0];
    ah = g[1];
    d = g[4];
    dh = g[5];
  }
  const bad = k === 2 ? alu.div(s, a, ah, d, dh, b, bh) : alu.idiv(s, a, ah, d, dh, b, bh);
  if (bad !== 0) throw new CpuFault(Vec.DE, -1);
  if (s === 1) g[0] = (g[0] & 0xffff0000) | (alu.quot & 0xff) | ((alu.rem & 0xff) << 8);
  else if (s === 2) {
    g[0] = (g[0] & 0xffff0000) | (alu.quot & 0xffff);
    g[4] = (g[4] & 0xffff0000) | (alu.rem & 0xffff);
  } else if (s === 4) {
    g[0] = alu.quot;
    g[1] = 0;
    g[4] = alu.rem;
    g[5] = 0;
  } else {
    g[0] = alu.quot;
    g[1] = alu.quotHi;
    g[4] = alu.rem;
    g[5] = alu.remHi;
  }
}

/** IMUL Gv, Ev (i.y = 0) / IMUL Gv, Ev, imm (i.y = 1). */
export function imul2(c: Cpu, i: Insn): void {
  const s = i.osz;
  const a = readE(c, i, s);
  const ah = s === 8 ? c.hi : 0;
  let b: number, bh: number;
  if (i.y === 1) {
    b = (i.imm & M[s]) >>> 0;
    bh = i.immHi;
  } else {
    b = readG(c, i, s);
    bh = s === 8 ? c.hi : 0;
  }
  const r = c.alu.imul(s, a, ah, b, bh);
  writeG(c, i, s, r, c.alu.hi);
}

/** Shifts/rotates (i.x kind 0..6; i.y bit 0 = CL count, bit 1 = byte). */
export function shift(c: Cpu, i: Insn): void {
  const s = (i.y & 2) !== 0 ? 1 : i.osz;
  const count = (i.y & 1) !== 0 ? c.gpr[2] & 0xff : i.imm & 0xff;
  const a = rmwRead(c, i, s);
  const ah = s === 8 ? c.hi : 0;
  const alu = c.alu;
  let r: number;
  switch (i.x) {
    case 0:
      r = alu.rol(s, a, ah, count);
      break;
    case 1:
      r = alu.ror(s, a, ah, count);
      break;
    case 2:
      r = alu.rcl(s, a, ah, count);
      break;
    case 3:
      r = alu.rcr(s, a, ah, count);
      break;
    case 4:
      r = alu.shl(s, a, ah, count);
      break;
    case 5:
      r = alu.shr(s, a, ah, count);
      break;
    default:
      r = alu.sar(s, a, ah, count);
  }
  if (s === 8) {
    const h = (count & 0x3f) === 0 ? ah : alu.hi;
    rmwWrite(c, i, s, (count & 0x3f) === 0 ? a : r, h);
  } else if (s === 4 && (count & 0x1f) === 0 && i.isMem === 0) {
    // A zero count still zero-extends a 32-bit register destination.
    rmwWrite(c, i, s, a, 0);
  } else rmwWrite(c, i, s, r, 0);
}

/** Fast SHL/SHR/SAR r32/r64 by immediate (register destination). */
export function shiftRegImm(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const s = i.osz;
  const alu = c.alu;
  const count = i.imm & 0xff;
  if (s === 4) {
    const a = g[d];
    const k = i.x;
    g[d] = k === 4
      ? alu.shl(4, a, 0, count)
      : k === 5
      ? alu.shr(4, a, 0, count)
      : k === 6
      ? alu.sar(4, a, 0, count)
      : k === 0
      ? alu.rol(4, a, 0, count)
      : alu.ror(4, a, 0, count);
    g[d + 1] = 0;
    return;
  }
  shift(c, i);
}

/** SHLD/SHRD E, G, imm/CL (i.x: 0 shld, 1 shrd; i.y: 1 = CL). */
export function shxd(c: Cpu, i: Insn): void {
  const s = i.osz;
  const count = i.y === 1 ? c.gpr[2] & 0xff : i.imm & 0xff;
  const a = rmwRead(c, i, s);
  const ah = s === 8 ? c.hi : 0;
  const b = readG(c, i, s);
  const bh = s === 8 ? c.hi : 0;
  const r = i.x === 0 ? c.alu.shld(s, a, ah, b, bh, count) : c.alu.shrd(s, a, ah, b, bh, count);
  const masked = count & (s === 8 ? 0x3f : 0x1f);
  if (masked === 0) {
    if (s === 4 && i.isMem === 0) rmwWrite(c, i, s, a, 0);
    return;
  }
  rmwWrite(c, i, s, r, c.alu.hi);
}

/** BT/BTS/BTR/BTC (i.x: 0 bt, 1 bts, 2 btr, 3 btc; i.y: 1 = imm bit offset). */
export function bitop(c: Cpu, i: Insn): void {
  const s = i.osz;
  const bits = s * 8;
  const alu = c.alu;
  let bit: number;
  let lin = 0;
  if (i.y === 1) bit = i.imm & (bits - 1);
  else {
    bit = readG(c, i, s);
    // Register forms use only the low bits; combining the halves in a double
    // loses them once |offset| >= 2^53 (found by tests/alu_engine_test.ts).
    if (s === 8 && i.isMem !== 0) bit = (c.hi | 0) * 4294967296 + bit;
    else if (s === 4) bit = bit | 0;
    else bit = (bit << 16) >> 16;
  }
  if (i.isMem === 0) {
    bit &= bits - 1;
    const a = getReg(c, i.rm, s);
    const ah = s === 8 ? c.hi : 0;
    if (i.x === 0) {
      alu.bt(s, a, ah, bit);
      return;
    }
    const r = i.x === 1
      ? alu.bts(s, a, ah, bit)
      : i.x === 2
      ? alu.btr(s, a, ah, bit)
      : alu.btc(s, a, ah, bit);
    setReg(c, i.rm, s, r, alu.hi);
    return;
  }
  // Memory: a register bit offset may address outside the operand (SDM BT).
  let off = ea(c, i);
  if (i.y !== 1) {
    const q = Math.floor(bit / bits);
    off += q * s;
    bit -= q * bits;
    if (i.addrSize === 32) off = off >>> 0;
    else if (i.addrSize === 16) off &= 0xffff;
  }
  lin = la(c, i.seg, off, s, i.x === 0 ? 1 : 3);
  if (i.x !== 0) probeWrite(c, lin);
  const a = memRead(c, lin, s);
  const ah = s === 8 ? c.hi : 0;
  if (i.x === 0) {
    alu.bt(s, a, ah, bit);
    return;
  }
  const r = i.x === 1
    ? alu.bts(s, a, ah, bit)
    : i.x === 2
    ? alu.btr(s, a, ah, bit)
    : alu.btc(s, a, ah, bit);
  memWrite(c, lin, s, r, alu.hi);
}

/** BSF/BSR/TZCNT/LZCNT/POPCNT G, E (i.x: 0 bsf, 1 bsr, 2 tzcnt, 3 lzcnt, 4 popcnt). */
export function bitscan(c: Cpu, i: Insn): void {
  const s = i.osz;
  const a = readE(c, i, s);
  const ah = s === 8 ? c.hi : 0;
  const alu = c.alu;
  let r: number;
  switch (i.x) {
    case 0:
      r = alu.bsf(s, a, ah);
      break;
    case 1:
      r = alu.bsr(s, a, ah);
      break;
    case 2:
      r = alu.tzcnt(s, a, ah);
      break;
    case 3:
      r = alu.lzcnt(s, a, ah);
      break;
    default:
      r = alu.popcnt(s, a, ah);
  }
  if (r < 0) return; // BSF/BSR of zero: destination unchanged
  writeG(c, i, s, r, 0);
}

/** BSWAP r. */
export function bswap(c: Cpu, i: Insn): void {
  const s = i.osz;
  const a = getReg(c, i.rm, s);
  const r = c.alu.bswap(s, a, s === 8 ? c.hi : 0);
  setReg(c, i.rm, s, r, c.alu.hi);
}

/** DAA/DAS/AAA/AAS/AAM/AAD (i.x: 0..5); #UD in 64-bit mode (decoder). */
export function bcd(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const alu = c.alu;
  const al = g[0] & 0xff;
  const ax = g[0] & 0xffff;
  let r: number;
  switch (i.x) {
    case 0:
      setR8(c, 0, alu.daa(al));
      return;
    case 1:
      setR8(c, 0, alu.das(al));
      return;
    case 2:
      r = alu.aaa(ax);
      break;
    case 3:
      r = alu.aas(ax);
      break;
    case 4:
      r = alu.aam(al, i.imm & 0xff);
      if (r < 0) throw new CpuFault(Vec.DE, -1);
      break;
    default:
      r = alu.aad(ax, i.imm & 0xff);
  }
  g[0] = (g[0] & 0xffff0000) | (r & 0xffff);
}
