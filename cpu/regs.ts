/**
 * Register and operand access for instruction handlers: GPRs by size,
 * byte registers (AH..BH), effective addresses, E-operand reads/writes
 * (register or memory), and the stack.
 *
 * Sizes are in bytes (1, 2, 4, 8). 64-bit values are lo/hi halves; the
 * high half of a 64-bit read is left in `cpu.hi`.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import { CpuFault, Vec } from "./fault.ts";
import { la, lr16, lr32, lr64, lr8, lw16, lw32, lw64, lw8, probeWrite } from "./memory.ts";

const TWO32 = 4294967296;

// =====================================================================
// Registers
// =====================================================================

/** Read a 64-bit GPR as bigint (cold path). */
export function getGpr64(cpu: Cpu, r: number): bigint {
  return (BigInt(cpu.gpr[2 * r + 1]) << 32n) | BigInt(cpu.gpr[2 * r]);
}

/** Write a 64-bit GPR from bigint (cold path). */
export function setGpr64(cpu: Cpu, r: number, v: bigint): void {
  cpu.gpr[2 * r] = Number(v & 0xffffffffn);
  cpu.gpr[2 * r + 1] = Number((v >> 32n) & 0xffffffffn);
}

/** Read byte register `r8` (0-15 low bytes, 16-19 AH CH DH BH). */
export function getR8(cpu: Cpu, r8: number): number {
  return r8 < 16 ? cpu.gpr[r8 << 1] & 0xff : (cpu.gpr[(r8 - 16) << 1] >>> 8) & 0xff;
}

/** Write byte register `r8`. */
export function setR8(cpu: Cpu, r8: number, v: number): void {
  const g = cpu.gpr;
  if (r8 < 16) {
    const x = r8 << 1;
    g[x] = (g[x] & 0xffffff00) | (v & 0xff);
  } else {
    const x = (r8 - 16) << 1;
    g[x] = (g[x] & 0xffff00ff) | ((v & 0xff) << 8);
  }
}

/** Read GPR `r` at size 2/4/8 (high half of 8 in cpu.hi). */
export function getReg(cpu: Cpu, r: number, s: number): number {
  const g = cpu.gpr;
  if (s === 4) return g[r << 1];
  if (s === 8) {
    cpu.hi = g[(r << 1) + 1];
    return g[r << 1];
  }
  return g[r << 1] & 0xffff;
}

/** Write GPR `r` at size 2/4/8 (32-bit writes zero the high half). */
export function setReg(cpu: Cpu, r: number, s: number, lo: number, hi: number): void {
  const g = cpu.gpr;
  const x = r << 1;
  if (s === 4) {
    g[x] = lo;
    g[x + 1] = 0;
  } else if (s === 8) {
    g[x] = lo;
    g[x + 1] = hi;
  } else {
    g[x] = (g[x] & 0xffff0000) | (lo & 0xffff);
  }
}

/** A GPR as a signed number (64-bit value; exact below 2^53). */
export function reg64(cpu: Cpu, r: number): number {
  return (cpu.gpr[(r << 1) + 1] | 0) * TWO32 + cpu.gpr[r << 1];
}

/** Set a GPR from a number holding a (signed or unsigned) 64-bit value. */
export function setReg64n(cpu: Cpu, r: number, v: number): void {
  cpu.gpr[r << 1] = v >>> 0;
  cpu.gpr[(r << 1) + 1] = Math.floor(v / TWO32) >>> 0;
}

// =====================================================================
// Effective address
// =====================================================================

/** The effective address (offset) of `i`'s memory operand, truncated to the address size. */
export function ea(cpu: Cpu, i: Insn): number {
  const g = cpu.gpr;
  switch (i.eaMode) {
    case 1: {
      // 64-bit, base register only.
      const b = i.base << 1;
      return (g[b + 1] | 0) * TWO32 + g[b] + i.d64;
    }
    case 2: {
      // 32-bit, base (+ index).
      let a = g[i.base << 1] + i.disp;
      if (i.index >= 0) a += g[i.index << 1] << i.scale;
      return a >>> 0;
    }
    case 3:
      // 64-bit RIP-relative.
      return cpu.rip + i.d64;
    case 4: {
      // 64-bit base + index, both in the low 4 GiB (else the generic path).
      const b = i.base << 1;
      const x = i.index << 1;
      if ((g[b + 1] | g[x + 1]) === 0) {
        const lo = g[b];
        const xi = g[x];
        if (lo < 0x40000000 && xi < 0x08000000) return lo + (xi << i.scale) + i.disp;
      }
    }
  }
  const as = i.addrSize;
  if (as === 64) {
    let a = i.d64;
    if (i.base >= 0) a += (g[(i.base << 1) + 1] | 0) * TWO32 + g[i.base << 1];
    else if (i.ripRel !== 0) a += cpu.rip;
    if (i.index >= 0) {
      a += ((g[(i.index << 1) + 1] | 0) * TWO32 + g[i.index << 1]) * (1 << i.scale);
    }
    return a;
  }
  let a = i.disp;
  if (i.base >= 0) a += g[i.base << 1];
  else if (i.ripRel !== 0) a += cpu.rip;
  if (i.index >= 0) a += g[i.index << 1] << i.scale;
  return as === 32 ? a >>> 0 : a & 0xffff;
}

/**
 * Linear address of the memory operand for a `size`-byte access (need: 1
 * read, 2 write, 3 both). Flat segments (64-bit mode, or base 0 with a
 * 4 GiB expand-up limit) with a simple address shape take an integer-only
 * path; everything else goes through {@link la} with its checks.
 */
export function eaLin(cpu: Cpu, i: Insn, size: number, need: number): number {
  if ((cpu.sflat[i.seg] & need) === need) {
    const g = cpu.gpr;
    const m = i.eaMode;
    if (m === 1) {
      const b = i.base << 1;
      if (g[b + 1] === 0) {
        const lo = g[b];
        if (lo < 0x7fff0000) return lo + i.disp;
      }
    } else if (m === 2) {
      let a = g[i.base << 1] + i.disp;
      if (i.index >= 0) a += g[i.index << 1] << i.scale;
      return a >>> 0;
    } else if (m === 4) {
      const b = i.base << 1;
      const x = i.index << 1;
      if ((g[b + 1] | g[x + 1]) === 0) {
        const lo = g[b];
        const xi = g[x];
        if (lo < 0x40000000 && xi < 0x08000000) return lo + (xi << i.scale) + i.disp;
      }
    }
  }
  return la(cpu, i.seg, ea(cpu, i), size, need);
}

// =====================================================================
// E operand
// =====================================================================

/** Read a memory value of `s` bytes at a linear address (hi in cpu.hi for 8). */
export function memRead(cpu: Cpu, lin: number, s: number): number {
  if (s === 4) return lr32(cpu, lin);
  if (s === 8) return lr64(cpu, lin);
  if (s === 1) return lr8(cpu, lin);
  return lr16(cpu, lin);
}

/** Write a memory value of `s` bytes at a linear address. */
export function memWrite(cpu: Cpu, lin: number, s: number, lo: number, hi: number): void {
  if (s === 4) lw32(cpu, lin, lo);
  else if (s === 8) lw64(cpu, lin, lo, hi);
  else if (s === 1) lw8(cpu, lin, lo);
  else lw16(cpu, lin, lo);
}

/** Read the E operand of `s` bytes (byte registers via rm8). */
export function readE(cpu: Cpu, i: Insn, s: number): number {
  if (i.isMem === 0) {
    if (s === 1) return getR8(cpu, i.rm8);
    return getReg(cpu, i.rm, s);
  }
  return memRead(cpu, eaLin(cpu, i, s, 1), s);
}

/** Write the E operand. */
export function writeE(cpu: Cpu, i: Insn, s: number, lo: number, hi: number): void {
  if (i.isMem === 0) {
    if (s === 1) setR8(cpu, i.rm8, lo);
    else setReg(cpu, i.rm, s, lo, hi);
    return;
  }
  memWrite(cpu, eaLin(cpu, i, s, 2), s, lo, hi);
}

/** Linear address of the last {@link rmwRead} memory operand. */
let rmwLin = 0;

/** Read the E operand for read-modify-write (checks write access first). */
export function rmwRead(cpu: Cpu, i: Insn, s: number): number {
  if (i.isMem === 0) {
    if (s === 1) return getR8(cpu, i.rm8);
    return getReg(cpu, i.rm, s);
  }
  const lin = eaLin(cpu, i, s, 3);
  rmwLin = lin;
  probeWrite(cpu, lin);
  if ((lin & 0xfff) + s > 4096) probeWrite(cpu, lin + s - 1);
  return memRead(cpu, lin, s);
}

/** Write back the E operand after {@link rmwRead}. */
export function rmwWrite(cpu: Cpu, i: Insn, s: number, lo: number, hi: number): void {
  if (i.isMem === 0) {
    if (s === 1) setR8(cpu, i.rm8, lo);
    else setReg(cpu, i.rm, s, lo, hi);
    return;
  }
  memWrite(cpu, rmwLin, s, lo, hi);
}

/** Read the G operand (ModRM.reg) of `s` bytes. */
export function readG(cpu: Cpu, i: Insn, s: number): number {
  if (s === 1) return getR8(cpu, i.reg8);
  return getReg(cpu, i.reg, s);
}

/** Write the G operand. */
export function writeG(cpu: Cpu, i: Insn, s: number, lo: number, hi: number): void {
  if (s === 1) setR8(cpu, i.reg8, lo);
  else setReg(cpu, i.reg, s, lo, hi);
}

// =====================================================================
// Stack
// =====================================================================

function ss0(): never {
  throw new CpuFault(Vec.SS, 0);
}

/** Push `s` bytes (2, 4, 8). */
export function push(cpu: Cpu, s: number, lo: number, hi: number): void {
  const g = cpu.gpr;
  const sb = cpu.stackBits;
  if (sb === 64) {
    let nlo = g[8] - s;
    let nhi = g[9];
    if (nlo < 0) {
      nlo += TWO32;
      nhi = (nhi - 1) >>> 0;
    }
    if (((nhi + 0x8000) >>> 16) !== 0 && ((nhi + 0x8000) >>> 0) !== 0) ss0();
    const lin = nhi === 0 ? nlo : (nhi | 0) * TWO32 + nlo;
    if (s === 8) lw64(cpu, lin, lo, hi);
    else lw16(cpu, lin, lo);
    g[8] = nlo;
    g[9] = nhi;
    return;
  }
  if (sb === 32) {
    const sp = (g[8] - s) >>> 0;
    const lin = (cpu.sflat[2] & 2) !== 0 ? sp : la(cpu, 2, sp, s, 2);
    if (s === 4) lw32(cpu, lin, lo);
    else lw16(cpu, lin, lo);
    g[8] = sp;
    return;
  }
  const sp = (g[8] - s) & 0xffff;
  const lin = la(cpu, 2, sp, s, 2);
  if (s === 4) lw32(cpu, lin, lo);
  else lw16(cpu, lin, lo);
  g[8] = ((g[8] & 0xffff0000) | sp) >>> 0;
}

/** Linear address of the stack slot at SP + `off`, for a `s`-byte read. */
export function stackLin(cpu: Cpu, off: number, s: number): number {
  const g = cpu.gpr;
  const sb = cpu.stackBits;
  if (sb === 64) {
    const lin = (g[9] | 0) * TWO32 + g[8] + off;
    if (lin >= 0x800000000000 || lin < -0x800000000000) ss0();
    return lin;
  }
  if (sb === 32) {
    const sp = (g[8] + off) >>> 0;
    return (cpu.sflat[2] & 1) !== 0 ? sp : la(cpu, 2, sp, s, 1);
  }
  return la(cpu, 2, (g[8] + off) & 0xffff, s, 1);
}

/**
 * Write `s` bytes at SP + off (wrapping at the stack size) without changing
 * SP: instructions that push several values write them all first and move
 * SP last, so that a fault or VM exit on a later write leaves SP as it was.
 */
export function pokeStack(cpu: Cpu, off: number, s: number, lo: number, hi: number): void {
  const g = cpu.gpr;
  const sb = cpu.stackBits;
  let lin: number;
  if (sb === 64) {
    lin = (g[9] | 0) * TWO32 + g[8] + off;
    if (lin >= 0x800000000000 || lin < -0x800000000000) ss0();
  } else if (sb === 32) {
    const sp = (g[8] + off) >>> 0;
    lin = (cpu.sflat[2] & 2) !== 0 ? sp : la(cpu, 2, sp, s, 2);
  } else lin = la(cpu, 2, (g[8] + off) & 0xffff, s, 2);
  memWrite(cpu, lin, s, lo, hi);
}

/** Read `s` bytes at SP + off without changing SP. */
export function peek(cpu: Cpu, off: number, s: number): number {
  return memRead(cpu, stackLin(cpu, off, s), s);
}

/** Add `n` to the stack pointer (at the stack size). */
export function spAdd(cpu: Cpu, n: number): void {
  const g = cpu.gpr;
  const sb = cpu.stackBits;
  if (sb === 64) {
    const v = g[8] + n;
    g[8] = v >>> 0;
    if (v >= TWO32) g[9] = (g[9] + 1) >>> 0;
    else if (v < 0) g[9] = (g[9] - 1) >>> 0;
  } else if (sb === 32) g[8] = (g[8] + n) >>> 0;
  else g[8] = ((g[8] & 0xffff0000) | ((g[8] + n) & 0xffff)) >>> 0;
}

/** Pop `s` bytes (hi in cpu.hi for 8). */
export function pop(cpu: Cpu, s: number): number {
  const g = cpu.gpr;
  let v: number;
  if (cpu.stackBits === 64) {
    const lin = g[9] === 0 ? g[8] : (g[9] | 0) * TWO32 + g[8];
    if (s === 8) v = lr64(cpu, lin);
    else v = lr16(cpu, lin);
  } else {
    v = peek(cpu, 0, s);
  }
  spAdd(cpu, s);
  return v;
}
