/**
 * Specialised register-form handlers for the hottest ALU forms (ADD, OR,
 * AND, SUB, XOR, CMP with a register destination at 32 and 64 bits, from a
 * register or an immediate). Generated shape, one function per operation
 * and form, so each call site in the run loop is monomorphic.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";

/** ADD r32, r32. */
export function addRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.add(4, g[d], 0, g[i.reg << 1], 0);
  g[d + 1] = 0;
}

/** ADD r32, imm. */
export function addRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.add(4, g[d], 0, i.imm, 0);
  g[d + 1] = 0;
}

/** ADD r64, r64. */
export function addRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const r = i.reg << 1;
  g[d] = c.alu.add(8, g[d], g[d + 1], g[r], g[r + 1]);
  g[d + 1] = c.alu.hi;
}

/** ADD r64, imm. */
export function addRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.add(8, g[d], g[d + 1], i.imm, i.immHi);
  g[d + 1] = c.alu.hi;
}

/** OR r32, r32. */
export function orRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.or(4, g[d], 0, g[i.reg << 1], 0);
  g[d + 1] = 0;
}

/** OR r32, imm. */
export function orRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.or(4, g[d], 0, i.imm, 0);
  g[d + 1] = 0;
}

/** OR r64, r64. */
export function orRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const r = i.reg << 1;
  g[d] = c.alu.or(8, g[d], g[d + 1], g[r], g[r + 1]);
  g[d + 1] = c.alu.hi;
}

/** OR r64, imm. */
export function orRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.or(8, g[d], g[d + 1], i.imm, i.immHi);
  g[d + 1] = c.alu.hi;
}

/** AND r32, r32. */
export function andRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.and(4, g[d], 0, g[i.reg << 1], 0);
  g[d + 1] = 0;
}

/** AND r32, imm. */
export function andRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.and(4, g[d], 0, i.imm, 0);
  g[d + 1] = 0;
}

/** AND r64, r64. */
export function andRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const r = i.reg << 1;
  g[d] = c.alu.and(8, g[d], g[d + 1], g[r], g[r + 1]);
  g[d + 1] = c.alu.hi;
}

/** AND r64, imm. */
export function andRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.and(8, g[d], g[d + 1], i.imm, i.immHi);
  g[d + 1] = c.alu.hi;
}

/** SUB r32, r32. */
export function subRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.sub(4, g[d], 0, g[i.reg << 1], 0);
  g[d + 1] = 0;
}

/** SUB r32, imm. */
export function subRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.sub(4, g[d], 0, i.imm, 0);
  g[d + 1] = 0;
}

/** SUB r64, r64. */
export function subRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const r = i.reg << 1;
  g[d] = c.alu.sub(8, g[d], g[d + 1], g[r], g[r + 1]);
  g[d + 1] = c.alu.hi;
}

/** SUB r64, imm. */
export function subRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.sub(8, g[d], g[d + 1], i.imm, i.immHi);
  g[d + 1] = c.alu.hi;
}

/** XOR r32, r32. */
export function xorRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.xor(4, g[d], 0, g[i.reg << 1], 0);
  g[d + 1] = 0;
}

/** XOR r32, imm. */
export function xorRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.xor(4, g[d], 0, i.imm, 0);
  g[d + 1] = 0;
}

/** XOR r64, r64. */
export function xorRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const r = i.reg << 1;
  g[d] = c.alu.xor(8, g[d], g[d + 1], g[r], g[r + 1]);
  g[d + 1] = c.alu.hi;
}

/** XOR r64, imm. */
export function xorRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.xor(8, g[d], g[d + 1], i.imm, i.immHi);
  g[d + 1] = c.alu.hi;
}

/** CMP r32, r32. */
export function cmpRR32(c: Cpu, i: Insn): void {
  c.alu.cmp(4, c.gpr[i.rm << 1], 0, c.gpr[i.reg << 1], 0);
}

/** CMP r32, imm. */
export function cmpRI32(c: Cpu, i: Insn): void {
  c.alu.cmp(4, c.gpr[i.rm << 1], 0, i.imm, 0);
}

/** CMP r64, r64. */
export function cmpRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const r = i.reg << 1;
  c.alu.cmp(8, g[d], g[d + 1], g[r], g[r + 1]);
}

/** CMP r64, imm. */
export function cmpRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  c.alu.cmp(8, g[d], g[d + 1], i.imm, i.immHi);
}

/** Specialised handler for ALU operation `k` (0 ADD .. 7 CMP) in `form`, or null. */
export function fastAlu(k: number, imm: boolean, size: number): ((c: Cpu, i: Insn) => void) | null {
  const key = k * 100 + (imm ? 10 : 0) + size;
  switch (key) {
    case 4:
      return addRR32;
    case 14:
      return addRI32;
    case 8:
      return addRR64;
    case 18:
      return addRI64;
    case 104:
      return orRR32;
    case 114:
      return orRI32;
    case 108:
      return orRR64;
    case 118:
      return orRI64;
    case 404:
      return andRR32;
    case 414:
      return andRI32;
    case 408:
      return andRR64;
    case 418:
      return andRI64;
    case 504:
      return subRR32;
    case 514:
      return subRI32;
    case 508:
      return subRR64;
    case 518:
      return subRI64;
    case 604:
      return xorRR32;
    case 614:
      return xorRI32;
    case 608:
      return xorRR64;
    case 618:
      return xorRI64;
    case 704:
      return cmpRR32;
    case 714:
      return cmpRI32;
    case 708:
      return cmpRR64;
    case 718:
      return cmpRI64;
  }
  return null;
}

/** INC r32. */
export function incR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.inc(4, g[d], 0);
  g[d + 1] = 0;
}

/** DEC r32. */
export function decR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.dec(4, g[d], 0);
  g[d + 1] = 0;
}

/** INC r64. */
export function incR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.inc(8, g[d], g[d + 1]);
  g[d + 1] = c.alu.hi;
}

/** DEC r64. */
export function decR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  g[d] = c.alu.dec(8, g[d], g[d + 1]);
  g[d + 1] = c.alu.hi;
}

/** TEST r32, r32. */
export function testRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  c.alu.test(4, g[i.rm << 1], 0, g[i.reg << 1], 0);
}

/** TEST r32, imm. */
export function testRI32(c: Cpu, i: Insn): void {
  c.alu.test(4, c.gpr[i.rm << 1], 0, i.imm, 0);
}

/** TEST r64, r64. */
export function testRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const r = i.reg << 1;
  c.alu.test(8, g[d], g[d + 1], g[r], g[r + 1]);
}

/** ROL/ROR/SHL/SHR/SAR r64, imm (i.x: 0 rol, 1 ror, 4 shl, 5 shr, 6 sar). */
export function shiftR64I(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const n = i.imm & 0x3f;
  if (n === 0) return;
  const alu = c.alu;
  const k = i.x;
  g[d] = k === 4
    ? alu.shl(8, g[d], g[d + 1], n)
    : k === 5
    ? alu.shr(8, g[d], g[d + 1], n)
    : k === 6
    ? alu.sar(8, g[d], g[d + 1], n)
    : k === 0
    ? alu.rol(8, g[d], g[d + 1], n)
    : alu.ror(8, g[d], g[d + 1], n);
  g[d + 1] = alu.hi;
}

/** TEST r8, imm8 (low byte registers AL..R15B and AH..BH). */
export function testRI8(c: Cpu, i: Insn): void {
  const r = i.rm8;
  const v = r < 16 ? c.gpr[r << 1] & 0xff : (c.gpr[(r - 16) << 1] >>> 8) & 0xff;
  c.alu.test(1, v, 0, i.imm & 0xff, 0);
}
