/**
 * Handlers: data movement (MOV family, MOVZX/MOVSX/MOVSXD, LEA, XCHG,
 * XADD, CMPXCHG, CMPXCHG8B/16B, CBW/CWD, XLAT, CMOVcc, SETcc, LAHF/SAHF,
 * segment loads, ARPL) and the stack (PUSH/POP all forms, PUSHA/POPA,
 * PUSHF/POPF, ENTER/LEAVE).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import { gp, ud } from "./fault.ts";
import {
  ea,
  eaLin,
  getR8,
  getReg,
  memRead,
  memWrite,
  peek,
  pokeStack,
  pop,
  push,
  readE,
  readG,
  rmwRead,
  rmwWrite,
  setR8,
  setReg,
  spAdd,
  stackLin,
  writeE,
  writeG,
} from "./regs.ts";
import { la, lr32, lr64, lr8, lw32, lw64, probeWrite, selectView } from "./memory.ts";
import { loadSeg } from "./segment.ts";

const M = [0, 0xff, 0xffff, 0, 0xffffffff, 0, 0, 0, 0xffffffff];

/** MOV r, r/m (register source and destination, sizes 2/4/8). */
export function movRR(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const s = i.osz;
  // i.y = 0: E <- G (rm is destination); 1: G <- E.
  const src = (i.y === 0 ? i.reg : i.rm) << 1;
  const dst = (i.y === 0 ? i.rm : i.reg) << 1;
  if (s === 4) {
    g[dst] = g[src];
    g[dst + 1] = 0;
  } else if (s === 8) {
    g[dst] = g[src];
    g[dst + 1] = g[src + 1];
  } else g[dst] = (g[dst] & 0xffff0000) | (g[src] & 0xffff);
}

/** MOV Gv, Ev (memory source). */
export function movGM(c: Cpu, i: Insn): void {
  const s = i.osz;
  const g = c.gpr;
  const r = i.reg << 1;
  if (s === 4) {
    g[r] = lr32(c, eaLin(c, i, 4, 1));
    g[r + 1] = 0;
    return;
  }
  if (s === 8) {
    const lo = lr64(c, eaLin(c, i, 8, 1));
    g[r] = lo;
    g[r + 1] = c.hi;
    return;
  }
  const v = memRead(c, eaLin(c, i, s, 1), s);
  setReg(c, i.reg, s, v, c.hi);
}

/** MOV Ev, Gv (memory destination). */
export function movMG(c: Cpu, i: Insn): void {
  const s = i.osz;
  const g = c.gpr;
  const r = i.reg << 1;
  if (s === 4) {
    lw32(c, eaLin(c, i, 4, 2), g[r]);
    return;
  }
  if (s === 8) {
    lw64(c, eaLin(c, i, 8, 2), g[r], g[r + 1]);
    return;
  }
  memWrite(c, eaLin(c, i, s, 2), s, s === 2 ? g[r] & 0xffff : g[r], g[r + 1]);
}

/** MOV byte forms: i.y 0 Eb<-Gb, 1 Gb<-Eb, 2 Eb<-imm. */
export function movB(c: Cpu, i: Insn): void {
  if (i.y === 0) writeE(c, i, 1, getR8(c, i.reg8), 0);
  else if (i.y === 1) setR8(c, i.reg8, readE(c, i, 1));
  else writeE(c, i, 1, i.imm & 0xff, 0);
}

/** MOV Ev, imm. */
export function movEI(c: Cpu, i: Insn): void {
  const s = i.osz;
  if (i.isMem === 0) setReg(c, i.rm, s, i.imm, i.immHi);
  else writeE(c, i, s, i.imm & M[s], i.immHi);
}

/** LEA Gv, M. */
export function lea(c: Cpu, i: Insn): void {
  if (i.isMem === 0) ud();
  const s = i.osz;
  if (i.addrSize === 64) {
    // Exact 64-bit sum in 32-bit halves: LEA is often plain arithmetic on
    // values beyond 2^53, where a double-precision address would round.
    const g = c.gpr;
    let lo = i.d64 >>> 0;
    let hi = i.d64 < 0 ? 0xffffffff : 0;
    let blo = 0, bhi = 0;
    if (i.base >= 0) {
      blo = g[i.base << 1];
      bhi = g[(i.base << 1) + 1];
    } else if (i.ripRel !== 0) {
      blo = c.rip >>> 0;
      bhi = Math.floor(c.rip / 4294967296) >>> 0;
    }
    let t = lo + blo;
    lo = t >>> 0;
    hi = (hi + bhi + (t > 0xffffffff ? 1 : 0)) >>> 0;
    if (i.index >= 0) {
      const sc = i.scale;
      const xlo = g[i.index << 1];
      const xhi = g[(i.index << 1) + 1];
      const slo = sc === 0 ? xlo : (xlo << sc) >>> 0;
      const shi = sc === 0 ? xhi : ((xhi << sc) | (xlo >>> (32 - sc))) >>> 0;
      t = lo + slo;
      lo = t >>> 0;
      hi = (hi + shi + (t > 0xffffffff ? 1 : 0)) >>> 0;
    }
    if (s === 8) setReg(c, i.reg, 8, lo, hi);
    else setReg(c, i.reg, s, s === 2 ? lo & 0xffff : lo, 0);
    return;
  }
  const a = ea(c, i);
  setReg(c, i.reg, s, s === 2 ? a & 0xffff : a >>> 0, 0);
}

/** MOVZX/MOVSX (i.x: 0 zx byte, 1 zx word, 2 sx byte, 3 sx word) and MOVSXD (4). */
export function movx(c: Cpu, i: Insn): void {
  const k = i.x;
  const ss = k === 4 ? 4 : (k & 1) === 0 ? 1 : 2;
  let v = readE(c, i, ss);
  let hi = 0;
  if (k >= 2) {
    v = k === 4 ? v | 0 : ss === 1 ? (v << 24) >> 24 : (v << 16) >> 16;
    hi = v < 0 ? 0xffffffff : 0;
  }
  const s = i.osz;
  setReg(c, i.reg, s, s === 2 ? v & 0xffff : v >>> 0, hi);
}

/** XCHG E, G (i.y = 1 byte). */
export function xchg(c: Cpu, i: Insn): void {
  const s = i.y === 1 ? 1 : i.osz;
  const a = rmwRead(c, i, s);
  const ah = c.hi;
  const b = readG(c, i, s);
  const bh = c.hi;
  rmwWrite(c, i, s, b, bh);
  writeG(c, i, s, a, ah);
}

/** XADD E, G (i.y = 1 byte). */
export function xadd(c: Cpu, i: Insn): void {
  const s = i.y === 1 ? 1 : i.osz;
  const a = rmwRead(c, i, s);
  const ah = s === 8 ? c.hi : 0;
  const b = readG(c, i, s);
  const bh = s === 8 ? c.hi : 0;
  const r = c.alu.add(s, a, ah, b, bh);
  const rh = c.alu.hi;
  writeG(c, i, s, a, ah);
  rmwWrite(c, i, s, r, rh);
}

/** CMPXCHG E, G (i.y = 1 byte). */
export function cmpxchg(c: Cpu, i: Insn): void {
  const s = i.y === 1 ? 1 : i.osz;
  const a = rmwRead(c, i, s);
  const ah = s === 8 ? c.hi : 0;
  const g = c.gpr;
  const acc = s === 1 ? g[0] & 0xff : s === 2 ? g[0] & 0xffff : g[0];
  const acch = s === 8 ? g[1] : 0;
  c.alu.cmp(s, acc, acch, a, ah);
  if (acc === a && acch === ah) {
    const b = readG(c, i, s);
    rmwWrite(c, i, s, b, c.hi);
  } else {
    // The destination is written back unchanged (a locked cycle), then the accumulator
    // loaded. Intel's processors write a register destination back too, so a 32-bit one
    // is zero-extended (SDM Vol. 2A CMPXCHG: written "without regard to the result of the
    // comparison"); AMD's leave a register destination untouched (recorded on an x86-64
    // host, AMD Zen 5: CMPXCHG EBX, ESI with RBX = 0xbbbb000000000000 keeps RBX).
    if (i.isMem !== 0 || c.model.vendor === "GenuineIntel") rmwWrite(c, i, s, a, ah);
    if (s === 1) setR8(c, 0, a);
    else setReg(c, 0, s, a, ah);
  }
}

/** CMPXCHG8B / CMPXCHG16B m. */
export function cmpxchg8b(c: Cpu, i: Insn): void {
  if (i.isMem === 0) ud();
  const g = c.gpr;
  if (i.opSize === 64) {
    const off = ea(c, i);
    const lin = la(c, i.seg, off, 16, 3);
    if ((lin & 15) !== 0) gp(0);
    probeWrite(c, lin);
    const l0 = memRead(c, lin, 8);
    const h0 = c.hi;
    const l1 = memRead(c, lin + 8, 8);
    const h1 = c.hi;
    if (l0 === g[0] && h0 === g[1] && l1 === g[4] && h1 === g[5]) {
      memWrite(c, lin, 8, g[6], g[7]);
      memWrite(c, lin + 8, 8, g[2], g[3]);
      c.alu.setFlags((c.alu.getFlags() | 0x40) >>> 0);
    } else {
      memWrite(c, lin, 8, l0, h0);
      memWrite(c, lin + 8, 8, l1, h1);
      g[0] = l0;
      g[1] = h0;
      g[4] = l1;
      g[5] = h1;
      c.alu.setFlags(c.alu.getFlags() & ~0x40);
    }
    return;
  }
  const lin = eaLin(c, i, 8, 3);
  probeWrite(c, lin);
  const lo = memRead(c, lin, 4);
  const hi = memRead(c, lin + 4, 4);
  if (lo === g[0] && hi === g[4]) {
    memWrite(c, lin, 4, g[6], 0);
    memWrite(c, lin + 4, 4, g[2], 0);
    c.alu.setFlags((c.alu.getFlags() | 0x40) >>> 0);
  } else {
    memWrite(c, lin, 4, lo, 0);
    memWrite(c, lin + 4, 4, hi, 0);
    g[0] = lo;
    g[4] = hi;
    if (c.is64) g[1] = g[5] = 0;
    c.alu.setFlags(c.alu.getFlags() & ~0x40);
  }
}

/** CBW/CWDE/CDQE. */
export function cbw(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const s = i.osz;
  if (s === 2) g[0] = (g[0] & 0xffff0000) | (((g[0] << 24) >> 24) & 0xffff);
  else if (s === 4) {
    g[0] = ((g[0] << 16) >> 16) >>> 0;
    g[1] = 0;
  } else g[1] = (g[0] | 0) < 0 ? 0xffffffff : 0;
}

/** CWD/CDQ/CQO. */
export function cwd(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const s = i.osz;
  if (s === 2) g[4] = (g[4] & 0xffff0000) | ((g[0] & 0x8000) !== 0 ? 0xffff : 0);
  else if (s === 4) {
    g[4] = (g[0] | 0) < 0 ? 0xffffffff : 0;
    g[5] = 0;
  } else g[4] = g[5] = (g[1] | 0) < 0 ? 0xffffffff : 0;
}

/** XLAT. */
export function xlat(c: Cpu, i: Insn): void {
  const g = c.gpr;
  let off: number;
  if (i.addrSize === 64) off = (g[7] | 0) * 4294967296 + g[6] + (g[0] & 0xff);
  else if (i.addrSize === 32) off = (g[6] + (g[0] & 0xff)) >>> 0;
  else off = (g[6] + (g[0] & 0xff)) & 0xffff;
  setR8(c, 0, lr8(c, la(c, i.seg, off, 1, 1)));
}

/** CMOVcc Gv, Ev (the source is read even when the condition is false). */
export function cmov(c: Cpu, i: Insn): void {
  const s = i.osz;
  const v = readE(c, i, s);
  const h = c.hi;
  if (c.alu.cond(i.cc)) setReg(c, i.reg, s, v, h);
  else if (s === 4) c.gpr[(i.reg << 1) + 1] = 0;
}

/** SETcc Eb. */
export function setcc(c: Cpu, i: Insn): void {
  writeE(c, i, 1, c.alu.cond(i.cc) ? 1 : 0, 0);
}

/** LAHF. */
export function lahf(c: Cpu): void {
  setR8(c, 16, (c.alu.getFlags() & 0xd5) | 2);
}

/** SALC (D6): AL = CF ? FFh : 0; flags unchanged (the decoder gives #UD in 64-bit mode). */
export function salc(c: Cpu): void {
  setR8(c, 0, c.alu.cond(2 /* B: CF = 1 */) ? 0xff : 0);
}

/** SAHF. */
export function sahf(c: Cpu): void {
  const ah = getR8(c, 16);
  c.alu.setFlags((c.alu.getFlags() & 0x800) | (ah & 0xd5));
}

/** MOV Ev, Sreg. */
export function movFromSeg(c: Cpu, i: Insn): void {
  if (i.reg > 5) ud();
  const v = c.seg[i.reg].selector;
  if (i.isMem === 0) setReg(c, i.rm, i.osz, v, 0);
  else writeE(c, i, 2, v, 0);
}

/** MOV Sreg, Ew. */
export function movToSeg(c: Cpu, i: Insn): void {
  const s = i.reg;
  if (s === 1 || s > 5) ud();
  const v = readE(c, i, 2) & 0xffff;
  loadSeg(c, s, v);
  if (s === 2) shadow(c, 2);
}

/** Start an interrupt shadow (1 = STI, 2 = MOV SS) for the next instruction. */
export function shadow(c: Cpu, kind: number): void {
  if ((c.interruptibility & 3) !== 0) return; // no shadow after a shadowed instruction
  c.interruptibility |= kind;
  c.shadowUntil = c.retired + 2;
  c.poke();
}

/** LDS/LES/LFS/LGS/LSS Gv, Mp. */
export function loadFar(c: Cpu, i: Insn): void {
  if (i.isMem === 0) ud();
  const s = i.osz;
  const lin = eaLin(c, i, s + 2, 1);
  const off = memRead(c, lin, s);
  const offHi = c.hi;
  const sel = memRead(c, lin + s, 2);
  loadSeg(c, i.seg2, sel);
  setReg(c, i.reg, s, off, offHi);
  if (i.seg2 === 2) shadow(c, 2);
}

// =====================================================================
// Stack
// =====================================================================

/** PUSH r (register form). */
export function pushR(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const r = i.rm << 1;
  const s = i.osz;
  push(c, s, s === 2 ? g[r] & 0xffff : g[r], g[r + 1]);
}

/** POP r (register form). */
export function popR(c: Cpu, i: Insn): void {
  const s = i.osz;
  const v = pop(c, s);
  setReg(c, i.rm, s, v, c.hi);
}

/** PUSH Ev (memory form). */
export function pushM(c: Cpu, i: Insn): void {
  const s = i.osz;
  const v = readE(c, i, s);
  push(c, s, v, c.hi);
}

/** POP Ev (memory form: the address is computed after RSP is incremented). */
export function popM(c: Cpu, i: Insn): void {
  const s = i.osz;
  const v = peek(c, 0, s);
  const h = c.hi;
  const g = c.gpr;
  const o0 = g[8];
  const o1 = g[9];
  spAdd(c, s);
  try {
    writeE(c, i, s, v, h);
  } catch (e) {
    g[8] = o0;
    g[9] = o1;
    throw e;
  }
}

/** PUSH imm. */
export function pushI(c: Cpu, i: Insn): void {
  const s = i.osz;
  push(c, s, i.imm & M[s], i.immHi);
}

/** PUSH Sreg. */
export function pushSeg(c: Cpu, i: Insn): void {
  const s = i.osz;
  const sel = c.seg[i.seg2].selector;
  if (s === 2) push(c, 2, sel, 0);
  else if (s === 4) {
    // A 32-bit push of a segment register may write only 16 bits; we write the zero-extended value.
    push(c, 4, sel, 0);
  } else push(c, 8, sel, 0);
}

/** POP Sreg. */
export function popSeg(c: Cpu, i: Insn): void {
  const s = i.osz;
  const v = peek(c, 0, s) & 0xffff;
  loadSeg(c, i.seg2, v);
  spAdd(c, s);
  if (i.seg2 === 2) shadow(c, 2);
}

/** PUSHA/PUSHAD. */
export function pusha(c: Cpu, i: Insn): void {
  const s = i.osz;
  const g = c.gpr;
  const sp = g[8];
  // Check the whole area first, write every value, move ESP last: a fault
  // or VM exit on any write leaves ESP unchanged.
  stackLin(c, -8 * s, s);
  for (let r = 0; r < 8; r++) {
    const v = r === 4 ? sp : g[r << 1];
    pokeStack(c, -(r + 1) * s, s, s === 2 ? v & 0xffff : v, 0);
  }
  spAdd(c, -8 * s);
}

/** POPA/POPAD. */
export function popa(c: Cpu, i: Insn): void {
  const s = i.osz;
  const vals = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let r = 7; r >= 0; r--) vals[r] = peek(c, (7 - r) * s, s);
  for (let r = 7; r >= 0; r--) if (r !== 4) setReg(c, r, s, vals[r], 0);
  spAdd(c, 8 * s);
}

/** PUSHF/PUSHFD/PUSHFQ (VM and RF are pushed as 0). */
export function pushf(c: Cpu, i: Insn): void {
  const f = c.rflags;
  if ((f & 0x20000) !== 0 && ((f >> 12) & 3) < 3) gp(0);
  const s = i.osz;
  push(c, s, s === 2 ? f & 0xffff : f & 0x00fcffff, 0);
}

/** POPF/POPFD/POPFQ with the IOPL/CPL rules (SDM Vol. 2 POPF). */
export function popf(c: Cpu, i: Insn): void {
  const s = i.osz;
  const old = c.rflags;
  const v86 = (old & 0x20000) !== 0;
  const iopl = (old >> 12) & 3;
  if (v86 && iopl < 3) gp(0);
  const v = peek(c, 0, s);
  let mask = 0x44dd5 | 0x200000 | 0x100 | 0x200 | 0x3000 | 0x4000; // CF PF AF ZF SF TF IF DF OF IOPL NT AC ID
  if ((c.cr0 & 1) !== 0) {
    if (v86 || c.cpl > 0) mask &= ~0x3000; // IOPL only at CPL 0
    if (!v86 && c.cpl > iopl) mask &= ~0x200; // IF only when CPL <= IOPL
  }
  if (s === 2) mask &= 0xffff;
  spAdd(c, s);
  writeFlags(c, v, mask);
}

/**
 * Replace the RFLAGS bits in `mask` with `v`; wakes the event check if IF
 * or TF rose. RF is cleared unless `loadRf` (IRET loads RF from the stack,
 * SDM 18.3.1.1; the event check then lets one instruction run with it).
 */
export function writeFlags(c: Cpu, v: number, mask: number, loadRf = false): void {
  const old = c.rflags;
  const nf = ((old & ~mask) | (v & mask)) & (loadRf ? ~0 : ~0x10000);
  c.rflags = nf;
  if ((nf & 0x10300 & ~old) !== 0) c.poke(); // IF, TF or RF rose: re-check events
  // Alignment checking (with CR0.AM) depends on AC: it selects the TLB view
  // (SMAP does too, but the supervisor view holds no AC override).
  if (((nf ^ old) & 0x40000) !== 0 && (c.cr0 & 0x40000) !== 0) selectView(c);
}

/**
 * ENTER imm16, imm8. Every stack write and nested-frame read happens at an
 * offset from the unchanged RSP; RBP and RSP are written last, so a fault
 * or VM exit on any access leaves them as before the instruction.
 */
export function enter(c: Cpu, i: Insn): void {
  const s = i.osz;
  const size = i.imm & 0xffff;
  const level = i.imm2 & 31;
  const bp = getReg(c, 5, s);
  const bph = c.hi;
  pokeStack(c, -s, s, bp, bph);
  // FrameTemp: RSP after the push of RBP, at the stack size.
  const sp = getReg(c, 4, c.stackBits === 64 ? 8 : c.stackBits === 32 ? 4 : 2);
  const sph = c.hi;
  let frame = sp - s;
  let frameHi = sph;
  if (c.stackBits === 64) {
    if (frame < 0) {
      frame += 4294967296;
      frameHi = (frameHi - 1) >>> 0;
    }
  } else frame = c.stackBits === 32 ? frame >>> 0 : frame & 0xffff;
  let depth = 1;
  if (level > 0) {
    let tbp = bp;
    for (let k = 1; k < level; k++) {
      tbp = c.stackBits === 16 ? (tbp - s) & 0xffff : tbp - s;
      const lin = la(c, 2, c.is64 ? (bph | 0) * 4294967296 + tbp : tbp >>> 0, s, 1);
      const v = memRead(c, lin, s);
      pokeStack(c, -(++depth) * s, s, v, c.hi);
    }
    pokeStack(c, -(++depth) * s, s, frame, frameHi);
  }
  spAdd(c, -depth * s - size);
  setReg(c, 5, s, frame, frameHi);
}

/**
 * LEAVE: RSP := RBP (at the stack size), then pop RBP. The pop reads at the
 * new stack top before any register changes, so a fault or VM exit on it
 * leaves RSP and RBP as before the instruction.
 */
export function leave(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const sb = c.stackBits;
  const s = i.osz;
  // Offset of the new stack top from the current RSP, at the stack size.
  const off = sb === 64
    ? ((g[11] | 0) - (g[9] | 0)) * 4294967296 + (g[10] - g[8])
    : sb === 32
    ? g[10] - g[8]
    : (g[10] & 0xffff) - (g[8] & 0xffff);
  const v = peek(c, off, s);
  const vh = c.hi;
  if (sb === 64) {
    g[8] = g[10];
    g[9] = g[11];
  } else if (sb === 32) g[8] = g[10];
  else g[8] = (g[8] & 0xffff0000) | (g[10] & 0xffff);
  spAdd(c, s);
  setReg(c, 5, s, v, vh);
}

/** ARPL Ew, Gw (legacy modes). */
export function arpl(c: Cpu, i: Insn): void {
  if ((c.cr0 & 1) === 0 || (c.fl & 0x20000) !== 0) ud();
  const d = rmwRead(c, i, 2);
  const s = c.gpr[i.reg << 1] & 0xffff;
  const f = c.alu.getFlags();
  if ((d & 3) < (s & 3)) {
    rmwWrite(c, i, 2, (d & ~3) | (s & 3), 0);
    c.alu.setFlags(f | 0x40);
  } else c.alu.setFlags(f & ~0x40);
}
