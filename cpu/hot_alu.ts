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
import { K_ADD, K_DEC, K_INC, K_LOGIC, K_SUB } from "./alu/alu.ts";

/** ADD r32, r32. */
export function addRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const s = a + b;
  u.kind = K_ADD;
  u.size = 4;
  u.a = a;
  u.b = b;
  u.res = s;
  g[d] = s;
  g[d + 1] = 0;
}

/** ADD r32, imm. */
export function addRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const s = a + b;
  u.kind = K_ADD;
  u.size = 4;
  u.a = a;
  u.b = b;
  u.res = s;
  g[d] = s;
  g[d + 1] = 0;
}

/** ADD r64, r64. */
export function addRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const ah = g[d + 1];
  const bh = g[r + 1];
  const s = a + b;
  u.kind = K_ADD;
  u.size = 8;
  u.a = a;
  u.b = b;
  u.res = s;
  const h = ah + bh + (s > 0xffffffff ? 1 : 0);
  u.aH = ah;
  u.bH = bh;
  u.resH = h;
  g[d] = s;
  g[d + 1] = h;
}

/** ADD r64, imm. */
export function addRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const ah = g[d + 1];
  const bh = i.immHi;
  const s = a + b;
  u.kind = K_ADD;
  u.size = 8;
  u.a = a;
  u.b = b;
  u.res = s;
  const h = ah + bh + (s > 0xffffffff ? 1 : 0);
  u.aH = ah;
  u.bH = bh;
  u.resH = h;
  g[d] = s;
  g[d + 1] = h;
}

/** OR r32, r32. */
export function orRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const r0 = (a | b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 4;
  u.res = r0;
  g[d] = r0;
  g[d + 1] = 0;
}

/** OR r32, imm. */
export function orRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const r0 = (a | b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 4;
  u.res = r0;
  g[d] = r0;
  g[d + 1] = 0;
}

/** OR r64, r64. */
export function orRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const ah = g[d + 1];
  const bh = g[r + 1];
  const r0 = (a | b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 8;
  u.res = r0;
  const h = (ah | bh) >>> 0;
  u.resH = h;
  g[d] = r0;
  g[d + 1] = h;
}

/** OR r64, imm. */
export function orRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const ah = g[d + 1];
  const bh = i.immHi;
  const r0 = (a | b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 8;
  u.res = r0;
  const h = (ah | bh) >>> 0;
  u.resH = h;
  g[d] = r0;
  g[d + 1] = h;
}

/** AND r32, r32. */
export function andRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const r0 = (a & b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 4;
  u.res = r0;
  g[d] = r0;
  g[d + 1] = 0;
}

/** AND r32, imm. */
export function andRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const r0 = (a & b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 4;
  u.res = r0;
  g[d] = r0;
  g[d + 1] = 0;
}

/** AND r64, r64. */
export function andRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const ah = g[d + 1];
  const bh = g[r + 1];
  const r0 = (a & b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 8;
  u.res = r0;
  const h = (ah & bh) >>> 0;
  u.resH = h;
  g[d] = r0;
  g[d + 1] = h;
}

/** AND r64, imm. */
export function andRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const ah = g[d + 1];
  const bh = i.immHi;
  const r0 = (a & b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 8;
  u.res = r0;
  const h = (ah & bh) >>> 0;
  u.resH = h;
  g[d] = r0;
  g[d + 1] = h;
}

/** SUB r32, r32. */
export function subRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const s = a - b;
  u.kind = K_SUB;
  u.size = 4;
  u.a = a;
  u.b = b;
  u.res = s;
  g[d] = s;
  g[d + 1] = 0;
}

/** SUB r32, imm. */
export function subRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const s = a - b;
  u.kind = K_SUB;
  u.size = 4;
  u.a = a;
  u.b = b;
  u.res = s;
  g[d] = s;
  g[d + 1] = 0;
}

/** SUB r64, r64. */
export function subRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const ah = g[d + 1];
  const bh = g[r + 1];
  const s = a - b;
  u.kind = K_SUB;
  u.size = 8;
  u.a = a;
  u.b = b;
  u.res = s;
  const h = ah - bh - (s < 0 ? 1 : 0);
  u.aH = ah;
  u.bH = bh;
  u.resH = h;
  g[d] = s;
  g[d + 1] = h;
}

/** SUB r64, imm. */
export function subRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const ah = g[d + 1];
  const bh = i.immHi;
  const s = a - b;
  u.kind = K_SUB;
  u.size = 8;
  u.a = a;
  u.b = b;
  u.res = s;
  const h = ah - bh - (s < 0 ? 1 : 0);
  u.aH = ah;
  u.bH = bh;
  u.resH = h;
  g[d] = s;
  g[d + 1] = h;
}

/** XOR r32, r32. */
export function xorRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const r0 = (a ^ b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 4;
  u.res = r0;
  g[d] = r0;
  g[d + 1] = 0;
}

/** XOR r32, imm. */
export function xorRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const r0 = (a ^ b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 4;
  u.res = r0;
  g[d] = r0;
  g[d + 1] = 0;
}

/** XOR r64, r64. */
export function xorRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const ah = g[d + 1];
  const bh = g[r + 1];
  const r0 = (a ^ b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 8;
  u.res = r0;
  const h = (ah ^ bh) >>> 0;
  u.resH = h;
  g[d] = r0;
  g[d + 1] = h;
}

/** XOR r64, imm. */
export function xorRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const ah = g[d + 1];
  const bh = i.immHi;
  const r0 = (a ^ b) >>> 0;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 8;
  u.res = r0;
  const h = (ah ^ bh) >>> 0;
  u.resH = h;
  g[d] = r0;
  g[d + 1] = h;
}

/** CMP r32, r32. */
export function cmpRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const s = a - b;
  u.kind = K_SUB;
  u.size = 4;
  u.a = a;
  u.b = b;
  u.res = s;
}

/** CMP r32, imm. */
export function cmpRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const s = a - b;
  u.kind = K_SUB;
  u.size = 4;
  u.a = a;
  u.b = b;
  u.res = s;
}

/** CMP r64, r64. */
export function cmpRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const r = i.reg << 1;
  const a = g[d];
  const b = g[r];
  const ah = g[d + 1];
  const bh = g[r + 1];
  const s = a - b;
  u.kind = K_SUB;
  u.size = 8;
  u.a = a;
  u.b = b;
  u.res = s;
  const h = ah - bh - (s < 0 ? 1 : 0);
  u.aH = ah;
  u.bH = bh;
  u.resH = h;
}

/** CMP r64, imm. */
export function cmpRI64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const b = i.imm;
  const ah = g[d + 1];
  const bh = i.immHi;
  const s = a - b;
  u.kind = K_SUB;
  u.size = 8;
  u.a = a;
  u.b = b;
  u.res = s;
  const h = ah - bh - (s < 0 ? 1 : 0);
  u.aH = ah;
  u.bH = bh;
  u.resH = h;
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
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const cf = u.cf();
  const s = a + 1;
  u.kind = K_INC;
  u.fx = cf;
  u.size = 4;
  u.a = a;
  u.b = 1;
  u.res = s;
  g[d] = s;
  g[d + 1] = 0;
}

/** DEC r32. */
export function decR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const cf = u.cf();
  const s = a - 1;
  u.kind = K_DEC;
  u.fx = cf;
  u.size = 4;
  u.a = a;
  u.b = 1;
  u.res = s;
  g[d] = s;
  g[d + 1] = 0;
}

/** INC r64. */
export function incR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const cf = u.cf();
  const s = a + 1;
  u.kind = K_INC;
  u.fx = cf;
  u.size = 8;
  u.a = a;
  u.b = 1;
  u.res = s;
  const ah = g[d + 1];
  const h = ah + (s > 0xffffffff ? 1 : 0);
  u.aH = ah;
  u.bH = 0;
  u.resH = h;
  g[d] = s;
  g[d + 1] = h;
}

/** DEC r64. */
export function decR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  const a = g[d];
  const cf = u.cf();
  const s = a - 1;
  u.kind = K_DEC;
  u.fx = cf;
  u.size = 8;
  u.a = a;
  u.b = 1;
  u.res = s;
  const ah = g[d + 1];
  const h = ah - (s < 0 ? 1 : 0);
  u.aH = ah;
  u.bH = 0;
  u.resH = h;
  g[d] = s;
  g[d + 1] = h;
}

/** TEST r32, r32. */
export function testRR32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 4;
  u.res = (g[d] & g[i.reg << 1]) >>> 0;
}

/** TEST r32, imm. */
export function testRI32(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 4;
  u.res = (g[d] & i.imm) >>> 0;
}

/** TEST r64, r64. */
export function testRR64(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const u = c.alu;
  const d = i.rm << 1;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 8;
  u.res = (g[d] & g[i.reg << 1]) >>> 0;
  u.resH = (g[d + 1] & g[(i.reg << 1) + 1]) >>> 0;
}

/** TEST r8, imm8 (low byte registers AL..R15B and AH..BH). */
export function testRI8(c: Cpu, i: Insn): void {
  const r = i.rm8;
  const v = r < 16 ? c.gpr[r << 1] & 0xff : (c.gpr[(r - 16) << 1] >>> 8) & 0xff;
  const u = c.alu;
  u.kind = K_LOGIC;
  u.fx = 0;
  u.size = 1;
  u.res = v & i.imm & 0xff;
}
