/**
 * Handlers: system instructions — flag instructions, CLI/STI, HLT,
 * MOV CR/DR, CLTS, LMSW/SMSW, descriptor-table instructions
 * (LGDT/LIDT/SGDT/SIDT/LLDT/LTR/SLDT/STR), LAR/LSL/VERR/VERW, INVLPG,
 * INVPCID, cache control, and the #UD/#NM rules for x87/SSE/VEX opcodes.
 *
 * In VMX non-root operation the instructions that can exit are offered
 * to the exit bus first (`exits.ts`), where the VMX plugin's interceptor
 * decides whether L1 gets a VM exit; HLT, PAUSE and WBINVD/INVD are
 * offered at both levels.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import type { VmExit, VmxOperands } from "../core/vmexit.ts";
import { ABANDON, CpuFault, gp, ud, Vec } from "./fault.ts";
import { offerExit, offerSimple } from "./exits.ts";
import { CACHE_FLUSH_NS, PAUSE_NS, SERIALIZING_NS } from "../core/stall.ts";
import { serializing } from "./serializing.ts";
import { ea, eaLin, memRead, memWrite, readE, reg64, setReg, writeE } from "./regs.ts";
import { canonical, sysRead64, sysWrite } from "./memory.ts";
import { dAttrs, dBase, descAddr, descHi, descLo, dLimit, readDesc } from "./segment.ts";
import { reloadPaging } from "./paging.ts";
import { recomputeMode, refreshSeg } from "./state.ts";
import { cr4Writable } from "./model.ts";
import { shadow } from "./exec_data.ts";
import { DR6_BD, dr6Value, DR7_GD, dr7Value, refreshBreakpoints } from "./debug.ts";

const TWO32 = 4294967296;

/** True in VMX non-root operation, where more instructions are exits (SDM 26.1). */
function nr(c: Cpu): boolean {
  return c.nonRoot;
}

/** Build VMX instruction-information operands for `i`. */
export function vmxOperands(c: Cpu, i: Insn): VmxOperands {
  if (i.isMem === 0) {
    return { rmReg: i.rm, regReg: i.reg, operandSize: c.is64 ? 64 : 32 };
  }
  const off = ea(c, i);
  const as = i.addrSize;
  let lin = off + c.sbase[i.seg];
  if (!c.is64) lin = lin % TWO32;
  return {
    mem: {
      offset: off,
      linear: lin,
      segment: i.seg,
      addressSize: as as 16 | 32 | 64,
      base: i.base,
      index: i.index,
      scale: i.scale,
      displacement: i.disp,
    },
    rmReg: -1,
    regReg: i.reg,
    operandSize: c.is64 ? 64 : 32,
  };
}

function needCpl0(c: Cpu): void {
  if (c.cpl !== 0) gp(0);
}

// =====================================================================
// Flags, CLI/STI, HLT, misc
// =====================================================================

/** CMC/CLC/STC/CLD/STD (i.x: 0 cmc, 1 clc, 2 stc, 3 cld, 4 std). */
export function flagOp(c: Cpu, i: Insn): void {
  const alu = c.alu;
  switch (i.x) {
    case 0:
      alu.setFlags(alu.getFlags() ^ 1);
      break;
    case 1:
      alu.setFlags(alu.getFlags() & ~1);
      break;
    case 2:
      alu.setFlags(alu.getFlags() | 1);
      break;
    case 3:
      c.fl &= ~0x400;
      break;
    default:
      c.fl |= 0x400;
  }
}

function ifAllowed(c: Cpu): void {
  if ((c.cr0 & 1) === 0) return;
  const iopl = (c.fl >> 12) & 3;
  if ((c.fl & 0x20000) !== 0) {
    if (iopl < 3) gp(0);
  } else if (c.cpl > iopl) gp(0);
}

/** CLI. */
export function cli(c: Cpu): void {
  ifAllowed(c);
  c.fl &= ~0x200;
}

/** STI (sets the interrupt shadow when IF was 0). */
export function sti(c: Cpu): void {
  ifAllowed(c);
  if ((c.fl & 0x200) === 0) {
    c.fl |= 0x200;
    shadow(c, 1);
    c.poke();
  }
}

/** HLT. */
export function hlt(c: Cpu, i: Insn): void {
  needCpl0(c);
  if (offerSimple(c, "hlt", i.len)) return;
  c.activity = "hlt";
  c.poke();
}

/** NOP, ENDBR, fences, prefetch-like hints. */
export function nop(): void {}

/**
 * PAUSE: a delay of {@link PAUSE_NS} of virtual time (none when it causes a
 * VM exit), and the spin-wait hint to the machine (with several vCPUs this
 * vCPU's turn ends after it).
 */
export function pause(c: Cpu, i: Insn): void {
  offerSimple(c, "pause", i.len);
  c.stall(PAUSE_NS);
  c.spinWait();
}

/** CLFLUSH m8 (checks the address like a read). */
export function clflush(c: Cpu, i: Insn): void {
  if (i.isMem === 0) ud();
  memRead(c, eaLin(c, i, 1, 1), 1);
}

/** FWAIT: #NM if CR0.MP and CR0.TS. */
export function fwait(c: Cpu): void {
  if ((c.cr0 & 0xa) === 0xa) throw new CpuFault(Vec.NM, -1);
}

/** x87 escape: #NM if CR0.EM or CR0.TS; otherwise #UD (no FPU). */
export function x87(c: Cpu): void {
  if ((c.cr0 & 0xc) !== 0) throw new CpuFault(Vec.NM, -1);
  ud();
}

/** Legacy SSE/MMX: #UD if CR0.EM or !CR4.OSFXSR; #NM if CR0.TS; else #UD (not implemented). */
export function sse(c: Cpu): void {
  if ((c.cr0 & 4) !== 0 || (c.cr4 & 0x200) === 0) ud();
  if ((c.cr0 & 8) !== 0) throw new CpuFault(Vec.NM, -1);
  ud();
}

/** #UD. */
export function undef(): void {
  ud();
}

/** Over-long instruction: #GP(0). */
export function tooLong(): void {
  gp(0);
}

/**
 * WBINVD/INVD (i.x: 0 wbinvd, 1 invd): no caches to flush, but the flush
 * takes {@link CACHE_FLUSH_NS} of virtual time (a VM exit instead of the
 * flush charges nothing).
 */
export function wbinvd(c: Cpu, i: Insn): void {
  needCpl0(c);
  offerSimple(c, i.x === 0 ? "wbinvd" : "invd", i.len);
  c.stall(CACHE_FLUSH_NS);
}

// =====================================================================
// Control and debug registers
// =====================================================================

/** MOV r, CRn. */
export function movFromCr(c: Cpu, i: Insn): void {
  needCpl0(c);
  const n = i.reg;
  let v: number;
  switch (n) {
    case 0:
      // Non-root: bits owned by L1 read from the CR0 read shadow (SDM 26.3).
      if (nr(c) && offerExit(c, crExit(i, 0, "mov-from", 0, 0))) return;
      v = c.cr0;
      break;
    case 2:
      v = c.cr2;
      break;
    case 3:
      v = c.cr3;
      if (nr(c)) {
        if (offerExit(c, crExit(i, 3, "mov-from", 0, 0))) return;
      }
      break;
    case 4:
      if (nr(c) && offerExit(c, crExit(i, 4, "mov-from", 0, 0))) return;
      v = c.cr4;
      break;
    case 8:
      if (nr(c) && offerExit(c, crExit(i, 8, "mov-from", 0, 0))) return;
      v = c.cr8;
      break;
    default:
      ud();
  }
  if (c.is64) setReg(c, i.rm, 8, v >>> 0, Math.floor(v / TWO32) >>> 0);
  else setReg(c, i.rm, 4, v >>> 0, 0);
}

function crExit(
  i: Insn,
  cr: 0 | 3 | 4 | 8,
  access: "mov-to" | "mov-from" | "clts" | "lmsw",
  lo: number,
  hi: number,
  lmswLinear = -1,
  level: 1 | 2 = 2,
): VmExit {
  return {
    kind: "cr",
    level,
    instructionLength: i.len,
    cr,
    access,
    gpr: access === "mov-to" || access === "mov-from" ? i.rm : -1,
    valueLo: lo >>> 0,
    valueHi: hi >>> 0,
    lmswLinear,
  };
}

/** MOV CRn, r. */
export function movToCr(c: Cpu, i: Insn): void {
  needCpl0(c);
  const g = c.gpr;
  const lo = g[i.rm << 1];
  const hi = c.is64 ? g[(i.rm << 1) + 1] : 0;
  const n = i.reg;
  if (n !== 0 && n !== 2 && n !== 3 && n !== 4 && n !== 8) ud();
  if (nr(c) && n !== 2 && offerExit(c, crExit(i, n as 0 | 3 | 4 | 8, "mov-to", lo, hi))) return;
  if (!c.nonRoot && (n === 0 || n === 4)) {
    // Offered to plugins at level 1: the VMX plugin raises #GP when the
    // write violates IA32_VMX_CR0/CR4_FIXED0/1 in VMX operation (SDM 24.8).
    if (c.exits(crExit(i, n, "mov-to", lo, hi, -1, 1)) === "reflected") throw ABANDON;
  }
  // MOV to CR0, CR3 and CR4 are serializing (SDM Vol. 3A 10.3): SERIALIZING_NS.
  switch (n) {
    case 0:
      if (hi !== 0) gp(0);
      writeCr0(c, lo);
      c.stall(SERIALIZING_NS);
      return;
    case 2:
      c.cr2 = c.is64 ? (hi | 0) * TWO32 + lo : lo;
      return;
    case 3:
      writeCr3(c, lo, hi);
      c.stall(SERIALIZING_NS);
      return;
    case 4:
      if (hi !== 0) gp(0);
      writeCr4(c, lo);
      c.stall(SERIALIZING_NS);
      return;
    default:
      if (hi !== 0 || (lo & ~0xf) !== 0) gp(0);
      c.cr8 = lo & 0xf;
      c.poke();
  }
}

/** Write CR0 with its checks and mode effects (SDM Vol. 3A 2.5, 10.8.5). */
export function writeCr0(c: Cpu, v: number): void {
  v = ((v | 0x10) & 0xe005003f) >>> 0; // ET hardwired; only defined bits
  const pe = (v & 1) !== 0;
  const pg = (v & 0x80000000) !== 0;
  if (pg && !pe) gp(0);
  if ((v & 0x20000000) !== 0 && (v & 0x40000000) === 0) gp(0); // NW without CD
  const old = c.cr0;
  const oldPg = (old & 0x80000000) !== 0;
  let efer = c.efer;
  if (pg && !oldPg && (efer & 0x100) !== 0) {
    if ((c.cr4 & 0x20) === 0) gp(0);
    if ((c.seg[1].attrs & 0x2000) !== 0) gp(0);
    efer |= 0x400;
  } else if (!pg && oldPg && (efer & 0x400) !== 0) {
    if (c.is64) gp(0);
    efer &= ~0x400;
  }
  c.cr0 = v;
  const prevEfer = c.efer;
  c.efer = efer;
  const needPdpte = pg && (efer & 0x400) === 0 && (c.cr4 & 0x20) !== 0 &&
    (!oldPg || ((old ^ v) & 0x60000000) !== 0);
  if (!reloadPaging(c, needPdpte)) {
    c.cr0 = old;
    c.efer = prevEfer;
    reloadPaging(c, false);
    gp(0);
  }
  if (((old ^ v) & 1) !== 0) {
    // PE changed: CPL follows (real mode is CPL 0; protected keeps CS.RPL).
    c.cpl = pe ? c.seg[1].selector & 3 : 0;
  }
  recomputeMode(c);
}

/**
 * Write CR3 from its halves (`v` the low 32 bits): the halves, because
 * with bit 63 (no-flush under CR4.PCIDE) the value as one number would
 * lose the PCID in bits 11:0.
 */
export function writeCr3(c: Cpu, v: number, hi: number): void {
  let noFlush = false;
  if (c.is64 || (c.efer & 0x400) !== 0) {
    noFlush = (hi & 0x80000000) !== 0 && (c.cr4 & 0x20000) !== 0;
    v = (hi & 0x7fffffff) * TWO32 + (v % TWO32);
    const maxPhys = c.model.physBits;
    if (v >= 2 ** maxPhys) gp(0);
  } else v = v % TWO32;
  const old = c.cr3;
  c.cr3 = v;
  if (!reloadPaging(c, true, true, noFlush)) {
    c.cr3 = old;
    reloadPaging(c, false);
    gp(0);
  }
}

/** CR4 bits this CPU model allows. */
function cr4Allowed(c: Cpu): number {
  return cr4Writable(c.model);
}

/** Write CR4 with its checks. */
export function writeCr4(c: Cpu, v: number): void {
  v = v >>> 0;
  if ((v & ~cr4Allowed(c)) !== 0) gp(0);
  const lma = (c.efer & 0x400) !== 0;
  if (lma && (v & 0x20) === 0) gp(0);
  if (lma && ((v ^ c.cr4) & 0x1000) !== 0) gp(0);
  if ((v & 0x20000) !== 0 && (c.cr4 & 0x20000) === 0 && (!lma || (c.cr3 % 4096) !== 0)) gp(0);
  const old = c.cr4;
  c.cr4 = v;
  if (((old ^ v) & 8) !== 0) refreshBreakpoints(c); // CR4.DE turns RW=10 into I/O breakpoints
  const paeChange = ((old ^ v) & 0xb0) !== 0 && (c.cr0 & 0x80000000) !== 0 && !lma &&
    (v & 0x20) !== 0;
  if (!reloadPaging(c, paeChange)) {
    c.cr4 = old;
    reloadPaging(c, false);
    gp(0);
  }
}

/** CLTS. */
export function clts(c: Cpu, i: Insn): void {
  needCpl0(c);
  if (nr(c) && offerExit(c, crExit(i, 0, "clts", 0, 0))) return;
  c.cr0 &= ~8;
}

/** LMSW Ew (can set PE, not clear it). */
export function lmsw(c: Cpu, i: Insn): void {
  needCpl0(c);
  const v = readE(c, i, 2) & 0xf;
  if (nr(c)) {
    const lin = i.isMem !== 0 ? eaLin(c, i, 2, 1) : -1;
    if (offerExit(c, crExit(i, 0, "lmsw", v, 0, lin))) return;
  }
  writeCr0(c, (c.cr0 & ~0xe) | v | (c.cr0 & 1));
}

/** SMSW Ew / Rv. */
export function smsw(c: Cpu, i: Insn): void {
  const v = c.cr0;
  if (i.isMem === 0) setReg(c, i.rm, i.osz, i.osz === 2 ? v & 0xffff : v >>> 0, 0);
  else writeE(c, i, 2, v & 0xffff, 0);
}

/** MOV r, DRn / MOV DRn, r (i.y: 0 from, 1 to); MOV to DRn is serializing. */
export function movDr(c: Cpu, i: Insn): void {
  needCpl0(c);
  let n = i.reg;
  if (n > 7) ud();
  if (n === 4 || n === 5) {
    if ((c.cr4 & 8) !== 0) ud();
    n += 2;
  }
  // General detect: any MOV DR while DR7.GD is set is a #DB fault with
  // DR6.BD, ahead of a MOV-DR VM exit (SDM Vol. 3B 18.2.4, Vol. 3C 26.1.1);
  // delivery clears GD for the handler.
  if ((c.dr[7] & DR7_GD) !== 0) {
    c.dbPending = DR6_BD;
    throw new CpuFault(Vec.DB, -1);
  }
  if (nr(c)) {
    const e: VmExit = {
      kind: "dr",
      level: 2,
      instructionLength: i.len,
      dr: n,
      direction: i.y === 1 ? "to" : "from",
      gpr: i.rm,
    };
    if (offerExit(c, e)) return;
  }
  if (i.y === 0) {
    const v = n === 6 ? dr6Value(c.dr[6]) : c.dr[n];
    if (c.is64) setReg(c, i.rm, 8, v >>> 0, Math.floor(v / TWO32) >>> 0);
    else setReg(c, i.rm, 4, v >>> 0, 0);
    return;
  }
  const v = c.is64 ? reg64(c, i.rm) : c.gpr[i.rm << 1];
  if ((n === 6 || n === 7) && c.is64 && c.gpr[(i.rm << 1) + 1] !== 0) gp(0);
  if (n === 6) c.dr[6] = dr6Value(v >>> 0);
  else if (n === 7) c.dr[7] = dr7Value(v >>> 0);
  else c.dr[n] = c.is64 ? v : v >>> 0;
  if (n !== 6) refreshBreakpoints(c);
  c.stall(SERIALIZING_NS); // MOV to a debug register is serializing
}

// =====================================================================
// Descriptor tables
// =====================================================================

function dtExit(c: Cpu, i: Insn, kind: "gdtr-idtr" | "ldtr-tr", ins: string): void {
  if (!nr(c)) return;
  const e = {
    kind,
    level: 2,
    instructionLength: i.len,
    instruction: ins,
    operands: vmxOperands(c, i),
  } as VmExit;
  if (offerExit(c, e)) throw HANDLED;
}

/** Thrown internally to end a handler whose exit was handled by the plugin. */
const HANDLED = { handled: true };

function wrapHandled(f: (c: Cpu, i: Insn) => void): (c: Cpu, i: Insn) => void {
  return (c, i) => {
    try {
      f(c, i);
    } catch (e) {
      if (e !== HANDLED) throw e;
    }
  };
}

/** SGDT/SIDT (i.x: 0 sgdt, 1 sidt). */
export const sgdt: (c: Cpu, i: Insn) => void = wrapHandled((c, i) => {
  if (i.isMem === 0) ud();
  dtExit(c, i, "gdtr-idtr", i.x === 0 ? "sgdt" : "sidt");
  const t = i.x === 0 ? c.gdtr : c.idtr;
  const lin = eaLin(c, i, c.is64 ? 10 : 6, 2);
  memWrite(c, lin, 2, t.limit & 0xffff, 0);
  if (c.is64) memWrite(c, lin + 2, 8, t.base >>> 0, Math.floor(t.base / TWO32) >>> 0);
  else memWrite(c, lin + 2, 4, i.osz === 2 ? t.base & 0xffffff : t.base >>> 0, 0);
});

/** LGDT/LIDT (i.x: 0 lgdt, 1 lidt); serializing. */
export const lgdt: (c: Cpu, i: Insn) => void = wrapHandled(serializing((c, i) => {
  if (i.isMem === 0) ud();
  needCpl0(c);
  dtExit(c, i, "gdtr-idtr", i.x === 0 ? "lgdt" : "lidt");
  const lin = eaLin(c, i, c.is64 ? 10 : 6, 1);
  const limit = memRead(c, lin, 2);
  let base: number;
  if (c.is64) {
    const lo = memRead(c, lin + 2, 8);
    base = (c.hi | 0) * TWO32 + lo;
    if (!canonical(base)) gp(0);
  } else {
    base = memRead(c, lin + 2, 4);
    if (i.osz === 2) base &= 0xffffff;
  }
  const t = i.x === 0 ? c.gdtr : c.idtr;
  t.base = base;
  t.limit = limit;
}));

/** SLDT/STR (i.x: 0 sldt, 1 str). */
export const sldt: (c: Cpu, i: Insn) => void = wrapHandled((c, i) => {
  if ((c.cr0 & 1) === 0 || (c.fl & 0x20000) !== 0) ud();
  dtExit(c, i, "ldtr-tr", i.x === 0 ? "sldt" : "str");
  const v = c.seg[i.x === 0 ? 6 : 7].selector;
  if (i.isMem === 0) setReg(c, i.rm, i.osz, v, 0);
  else writeE(c, i, 2, v, 0);
});

/** LLDT/LTR (i.x: 0 lldt, 1 ltr); serializing. */
export const lldt: (c: Cpu, i: Insn) => void = wrapHandled(serializing((c, i) => {
  if ((c.cr0 & 1) === 0 || (c.fl & 0x20000) !== 0) ud();
  needCpl0(c);
  dtExit(c, i, "ldtr-tr", i.x === 0 ? "lldt" : "ltr");
  const sel = readE(c, i, 2) & 0xffff;
  const isTr = i.x === 1;
  const long = (c.efer & 0x400) !== 0;
  const s = isTr ? 7 : 6;
  if ((sel & 0xfffc) === 0) {
    if (isTr) gp(0);
    const r = c.seg[6];
    r.selector = sel;
    r.base = 0;
    r.limit = 0;
    r.attrs = 0x10000;
    refreshSeg(c, 6);
    return;
  }
  if ((sel & 4) !== 0) gp(sel & 0xfffc);
  if (!readDesc(c, sel)) gp(sel & 0xfffc);
  const a = dAttrs(descHi);
  const type = a & 0x1f;
  if (isTr ? type !== 0x9 && !(type === 0x1 && !long) : type !== 0x2) gp(sel & 0xfffc);
  if ((a & 0x80) === 0) throw new CpuFault(Vec.NP, sel & 0xfffc);
  let base = dBase(descLo, descHi);
  const at = descAddr;
  if (long) {
    if ((sel & 0xfff8) + 15 > c.gdtr.limit) gp(sel & 0xfffc);
    const up = sysRead64(c, at + 8);
    const upHi = c.hi;
    if (((upHi >>> 8) & 0x1f) !== 0) gp(sel & 0xfffc);
    base = (up | 0) * TWO32 + base;
    if (!canonical(base)) gp(sel & 0xfffc);
  }
  const r = c.seg[s];
  r.selector = sel;
  r.base = base;
  r.limit = dLimit(descLo, descHi);
  r.attrs = isTr ? a | 2 : a;
  if (isTr) sysWrite(c, at + 5, 1, ((descHi >>> 8) & 0xff) | 2); // mark busy
  refreshSeg(c, s);
}));

/** LAR/LSL (i.x: 0 lar, 1 lsl). */
export function larLsl(c: Cpu, i: Insn): void {
  if ((c.cr0 & 1) === 0 || (c.fl & 0x20000) !== 0) ud();
  const sel = readE(c, i, 2) & 0xffff;
  const ok = descVisible(c, sel, i.x === 0);
  const f = c.alu.getFlags();
  if (!ok) {
    c.alu.setFlags(f & ~0x40);
    return;
  }
  c.alu.setFlags(f | 0x40);
  const s = i.osz;
  if (i.x === 0) setReg(c, i.reg, s, (descHi & (s === 2 ? 0xff00 : 0xf0ff00)) >>> 0, 0);
  else {
    const lim = dLimit(descLo, descHi);
    setReg(c, i.reg, s, s === 2 ? lim & 0xffff : lim, 0);
  }
}

function descVisible(c: Cpu, sel: number, lar: boolean): boolean {
  if ((sel & 0xfffc) === 0 || !readDesc(c, sel)) return false;
  const a = dAttrs(descHi);
  const dpl = (a >> 5) & 3;
  if ((a & 0x10) === 0) {
    const t = a & 0xf;
    const long = (c.efer & 0x400) !== 0;
    const okTypes = long
      ? (lar ? [2, 9, 0xb, 0xc] : [2, 9, 0xb])
      : (lar ? [1, 2, 3, 4, 5, 9, 0xb, 0xc] : [1, 2, 3, 9, 0xb]);
    if (!okTypes.includes(t)) return false;
  } else if ((a & 0xc) === 0xc) return true; // conforming code: no privilege check
  return dpl >= c.cpl && dpl >= (sel & 3);
}

/** VERR/VERW (i.x: 0 verr, 1 verw). */
export function verrw(c: Cpu, i: Insn): void {
  if ((c.cr0 & 1) === 0 || (c.fl & 0x20000) !== 0) ud();
  const sel = readE(c, i, 2) & 0xffff;
  let ok = false;
  if ((sel & 0xfffc) !== 0 && readDesc(c, sel)) {
    const a = dAttrs(descHi);
    const dpl = (a >> 5) & 3;
    if ((a & 0x10) !== 0) {
      const code = (a & 0x8) !== 0;
      const conforming = code && (a & 0x4) !== 0;
      const priv = conforming || (dpl >= c.cpl && dpl >= (sel & 3));
      ok = priv && (i.x === 0 ? !code || (a & 2) !== 0 : !code && (a & 2) !== 0);
    }
  }
  const f = c.alu.getFlags();
  c.alu.setFlags(ok ? f | 0x40 : f & ~0x40);
}

// =====================================================================
// TLB control
// =====================================================================

/** INVLPG m; serializing. */
export function invlpg(c: Cpu, i: Insn): void {
  if (i.isMem === 0) ud();
  needCpl0(c);
  if (nr(c)) {
    const ops = vmxOperands(c, i);
    const e: VmExit = {
      kind: "invlpg",
      level: 2,
      instructionLength: i.len,
      linear: ops.mem!.linear,
      invpcidType: 0,
      operands: ops,
    };
    if (offerExit(c, e)) return;
  }
  // SDM 4.10.4.1: the page's translations (global ones too, every piece of a
  // large page). No segment checks; a non-canonical address is a no-op.
  const lin = ea(c, i) + c.sbase[i.seg];
  if (c.is64) {
    if (canonical(lin)) c.mmu.invlpg(lin);
  } else c.mmu.invlpg(lin % TWO32);
  c.dropCodePage();
  c.stall(SERIALIZING_NS);
}

/** INVPCID r, m128. */
export function invpcid(c: Cpu, i: Insn): void {
  if (!c.model.features.has("invpcid") || i.isMem === 0) ud();
  needCpl0(c);
  const type = c.is64 ? reg64(c, i.reg) : c.gpr[i.reg << 1];
  const lin = eaLin(c, i, 16, 1);
  if (nr(c)) {
    const e: VmExit = {
      kind: "invpcid",
      level: 2,
      instructionLength: i.len,
      linear: lin,
      invpcidType: type,
      operands: vmxOperands(c, i),
    };
    if (offerExit(c, e)) return;
  }
  if (type > 3 || type < 0) gp(0);
  const pcid = memRead(c, lin, 4) & 0xffffffff;
  memRead(c, lin + 4, 4);
  const addrLo = memRead(c, lin + 8, 8);
  const addr = (c.hi | 0) * TWO32 + addrLo;
  if ((pcid & ~0xfff) !== 0) gp(0);
  if (type === 0 && !canonical(addr)) gp(0);
  if (!c.mmu.invpcid(type, pcid, addr)) gp(0);
  c.dropCodePage();
}
