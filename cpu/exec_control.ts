/**
 * Handlers: control flow. Jcc/JMP/CALL/RET near, LOOP/JrCXZ, far
 * JMP/CALL/RET (direct and through call gates), INT n/INT3/INTO/INT1 and
 * IRET/IRETD/IRETQ, BOUND (SDM Vol. 2 for each instruction's protected-mode
 * operation).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import { CpuFault, gp, ud, Vec } from "./fault.ts";
import { memRead, peek, pokeStack, push, readE, setReg64n, spAdd } from "./regs.ts";
import { eaLin } from "./regs.ts";
import {
  checkDirectCode,
  dAttrs,
  descHi,
  descLo,
  loadCsDesc,
  loadInnerSs,
  loadSeg,
  loadSegReal,
  nullifyOuterSegs,
  readDesc,
  setSeg,
  tssStack,
} from "./segment.ts";
import { deliverEvent, Ev } from "./interrupt.ts";
import { writeFlags } from "./exec_data.ts";
import { sysRead, sysRead64 } from "./memory.ts";
import { recomputeMode } from "./state.ts";
import { TaskSource, taskSwitch } from "./task.ts";
import { serializing } from "./serializing.ts";

const TWO32 = 4294967296;

/** Mask a branch target to the operand size. */
function target(i: Insn, t: number): number {
  const os = i.opSize;
  return os === 64 ? t : os === 32 ? t >>> 0 : t & 0xffff;
}

/**
 * Check a near-branch target: beyond the CS limit (or non-canonical in
 * 64-bit mode) is #GP(0) at the branch itself (SDM Vol. 2 JMP/CALL/RET/Jcc).
 */
function check(c: Cpu, t: number): number {
  if (c.is64) {
    if (t >= 0x800000000000 || t < -0x800000000000) gp(0);
  } else if (t > c.smax[1]) gp(0);
  return t;
}

/** Jcc rel. */
export function jcc(c: Cpu, i: Insn): void {
  if (c.alu.cond(i.cc)) {
    const t = c.rip + i.rel;
    const os = i.opSize;
    c.rip = check(c, os === 64 ? t : os === 32 ? t >>> 0 : t & 0xffff);
  }
}

/** JMP rel. */
export function jmpRel(c: Cpu, i: Insn): void {
  c.rip = check(c, target(i, c.rip + i.rel));
}

/** CALL rel. */
export function callRel(c: Cpu, i: Insn): void {
  const r = c.rip;
  const s = i.osz;
  const t = check(c, target(i, r + i.rel));
  push(c, s, r >>> 0, s === 8 ? Math.floor(r / TWO32) >>> 0 : 0);
  c.rip = t;
}

/** JMP r/m. */
export function jmpE(c: Cpu, i: Insn): void {
  const s = i.osz;
  const v = readE(c, i, s);
  c.rip = check(c, s === 8 ? (c.hi | 0) * TWO32 + v : v);
}

/** CALL r/m. */
export function callE(c: Cpu, i: Insn): void {
  const s = i.osz;
  const v = readE(c, i, s);
  const t = check(c, s === 8 ? (c.hi | 0) * TWO32 + v : v);
  const r = c.rip;
  push(c, s, r >>> 0, s === 8 ? Math.floor(r / TWO32) >>> 0 : 0);
  c.rip = t;
}

/** RET near [imm16]. */
export function retNear(c: Cpu, i: Insn): void {
  const s = i.osz;
  const v = peek(c, 0, s);
  const t = check(c, s === 8 ? (c.hi | 0) * TWO32 + v : v);
  spAdd(c, s + (i.imm & 0xffff));
  c.rip = t;
}

/** LOOP/LOOPE/LOOPNE/JrCXZ (i.x: 0 loopne, 1 loope, 2 loop, 3 jrcxz). */
export function loop(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const as = i.addrSize;
  let zero: boolean;
  if (i.x === 3) {
    zero = as === 64 ? (g[2] | g[3]) === 0 : as === 32 ? g[2] === 0 : (g[2] & 0xffff) === 0;
    if (zero) c.rip = check(c, target(i, c.rip + i.rel));
    return;
  }
  if (as === 64) {
    const lo = (g[2] - 1) >>> 0;
    if (lo === 0xffffffff) g[3] = (g[3] - 1) >>> 0;
    g[2] = lo;
    zero = (g[2] | g[3]) === 0;
  } else if (as === 32) {
    // A 32-bit count register write: RCX's high half is cleared, as by any
    // 32-bit register write (recorded on an x86-64 host: addr32 LOOP turns
    // RCX = 0x1234567800000005 into 4).
    g[2] = (g[2] - 1) >>> 0;
    g[3] = 0;
    zero = g[2] === 0;
  } else {
    g[2] = (g[2] & 0xffff0000) | ((g[2] - 1) & 0xffff);
    zero = (g[2] & 0xffff) === 0;
  }
  let take = !zero;
  if (take && i.x < 2) {
    const zf = c.alu.cond(4);
    take = i.x === 1 ? zf : !zf;
  }
  if (take) c.rip = check(c, target(i, c.rip + i.rel));
}

// =====================================================================
// Far transfers
// =====================================================================

/** JMP ptr16:16/32 (direct). */
export function jmpFarA(c: Cpu, i: Insn): void {
  farTransfer(c, i.imm2 & 0xffff, i.imm, false, i.osz);
}

/** CALL ptr16:16/32 (direct). */
export function callFarA(c: Cpu, i: Insn): void {
  farTransfer(c, i.imm2 & 0xffff, i.imm, true, i.osz);
}

/** JMP/CALL m16:16/32/64 (i.y = 1 for CALL). */
export function farM(c: Cpu, i: Insn): void {
  if (i.isMem === 0) ud();
  const s = i.osz;
  const lin = eaLin(c, i, s + 2, 1);
  const lo = memRead(c, lin, s);
  const off = s === 8 ? (c.hi | 0) * TWO32 + lo : lo;
  const sel = memRead(c, lin + s, 2);
  farTransfer(c, sel, off, i.y === 1, s);
}

/** Push CS and RIP for a far CALL: both written before RSP moves (a fault on the second leaves RSP). */
function pushRet(c: Cpu, s: number): void {
  const r = c.rip;
  pokeStack(c, -s, s, c.seg[1].selector, 0);
  pokeStack(c, -2 * s, s, r >>> 0, s === 8 ? Math.floor(r / TWO32) >>> 0 : 0);
  spAdd(c, -2 * s);
}

/** Far JMP/CALL to sel:off (real, protected, long mode; call gates). */
export function farTransfer(c: Cpu, sel: number, off: number, call: boolean, s: number): void {
  if ((c.cr0 & 1) === 0 || (c.fl & 0x20000) !== 0) {
    if (call) pushRet(c, s);
    loadSegReal(c, 1, sel);
    c.rip = s === 2 ? off & 0xffff : off;
    return;
  }
  if ((sel & 0xfffc) === 0) gp(0);
  if (!readDesc(c, sel)) gp(sel & 0xfffc);
  const a = dAttrs(descHi);
  if ((a & 0x10) !== 0) {
    if ((a & 0x8) === 0) gp(sel & 0xfffc);
    const cpl = checkDirectCode(c, sel);
    const lo = descLo;
    const hi = descHi;
    if (call) pushRet(c, s);
    // Restore the descriptor read (pushes may have touched memory, not descLo/descHi).
    void lo, hi;
    readDesc(c, sel);
    loadCsDesc(c, sel, cpl);
    c.rip = s === 2 ? off & 0xffff : s === 4 ? off >>> 0 : off;
    return;
  }
  const type = a & 0xf;
  if (type === 0x4 || type === 0xc) {
    callGate(c, sel, a, call, type === 0xc);
    return;
  }
  // Hardware task switch: a 32-bit TSS or a task gate (not in IA-32e mode).
  if ((c.efer & 0x400) !== 0) gp(sel & 0xfffc);
  const dpl = (a >> 5) & 3;
  if (dpl < c.cpl || dpl < (sel & 3)) gp(sel & 0xfffc);
  if ((a & 0x80) === 0) throw new CpuFault(Vec.NP, sel & 0xfffc);
  const tss = type === 0x5 ? descLo >>> 16 : sel;
  if (type !== 0x5 && type !== 0x9) gp(sel & 0xfffc);
  taskSwitch(c, tss, call ? TaskSource.CALL : TaskSource.JMP, c.rip);
}

function callGate(c: Cpu, sel: number, a: number, call: boolean, gate32: boolean): void {
  const long = (c.efer & 0x400) !== 0;
  const gdpl = (a >> 5) & 3;
  const cpl = c.cpl;
  if (gdpl < cpl || gdpl < (sel & 3)) gp(sel & 0xfffc);
  if ((a & 0x80) === 0) throw new CpuFault(Vec.NP, sel & 0xfffc);
  const glo = descLo;
  const ghi = descHi;
  const gaddr = 0;
  void gaddr;
  const tsel = glo >>> 16;
  let off = ((glo & 0xffff) | (ghi & 0xffff0000)) >>> 0;
  const params = ghi & 0x1f;
  if (long) {
    if (!gate32) gp(sel & 0xfffc);
    // 16-byte gate: the upper 8 bytes hold offset 63:32 and must have type 0.
    const base = (sel & 4) !== 0 ? c.seg[6].base : c.gdtr.base;
    const limit = (sel & 4) !== 0 ? c.seg[6].limit : c.gdtr.limit;
    if ((sel & 0xfff8) + 15 > limit) gp(sel & 0xfffc);
    const up = sysRead64(c, base + (sel & 0xfff8) + 8);
    const upHi = c.hi;
    if (((upHi >>> 8) & 0x1f) !== 0) gp(sel & 0xfffc);
    off = (up | 0) * TWO32 + off;
  } else if (!gate32) off &= 0xffff;
  if ((tsel & 0xfffc) === 0) gp(0);
  if (!readDesc(c, tsel)) gp(tsel & 0xfffc);
  const ta = dAttrs(descHi);
  const tdpl = (ta >> 5) & 3;
  if ((ta & 0x18) !== 0x18 || tdpl > cpl) gp(tsel & 0xfffc);
  if (long && ((ta & 0x2000) === 0 || (ta & 0x4000) !== 0)) gp(tsel & 0xfffc);
  if ((ta & 0x80) === 0) throw new CpuFault(Vec.NP, tsel & 0xfffc);
  const conforming = (ta & 0x4) !== 0;
  if (!call) {
    if (!conforming && tdpl !== cpl) gp(tsel & 0xfffc);
    loadCsDesc(c, tsel, cpl);
    c.rip = off;
    return;
  }
  const s = long ? 8 : gate32 ? 4 : 2;
  if (!conforming && tdpl < cpl) {
    // Call to an inner privilege level: switch stacks (SDM 5.8.5).
    const newCpl = tdpl;
    const oldSs = c.seg[2].selector;
    const oldSp = c.is64 || long ? (c.gpr[9] | 0) * TWO32 + c.gpr[8] : c.gpr[8];
    const retCs = c.seg[1].selector;
    const retIp = c.rip;
    // Collect parameters from the old stack (legacy gates only).
    const ps: number[] = [];
    if (!long) { for (let k = 0; k < params; k++) ps.push(peek(c, k * s, s)); }
    const st = tssStack(c, newCpl);
    const savedSs = { ...c.seg[2] };
    if (long) {
      const r = c.seg[2];
      r.selector = newCpl;
      r.base = 0;
      r.limit = 0;
      r.attrs = 0x10000 | (newCpl << 5);
      setReg64n(c, 4, st.sp);
    } else {
      loadInnerSs(c, st.ss, newCpl);
      c.gpr[8] = st.sp;
    }
    const oldCpl = c.cpl;
    c.cpl = newCpl;
    recomputeMode(c);
    try {
      push(c, s, oldSs, 0);
      push(c, s, oldSp >>> 0, Math.floor(oldSp / TWO32) >>> 0);
      for (let k = params - 1; k >= 0; k--) push(c, s, ps[k], 0);
      push(c, s, retCs, 0);
      push(c, s, retIp >>> 0, Math.floor(retIp / TWO32) >>> 0);
    } catch (e) {
      Object.assign(c.seg[2], savedSs);
      c.cpl = oldCpl;
      setReg64n(c, 4, oldSp);
      recomputeMode(c);
      throw e;
    }
    readDesc(c, tsel);
    loadCsDesc(c, tsel, newCpl);
    c.rip = off;
    return;
  }
  pushRet(c, s);
  readDesc(c, tsel);
  loadCsDesc(c, tsel, cpl);
  c.rip = off;
}

/** RET far [imm16]. */
export function retFar(c: Cpu, i: Insn): void {
  const s = i.osz;
  const imm = i.imm & 0xffff;
  const ipLo = peek(c, 0, s);
  const ip = s === 8 ? (c.hi | 0) * TWO32 + ipLo : ipLo;
  const sel = peek(c, s, s) & 0xffff;
  if ((c.cr0 & 1) === 0 || (c.fl & 0x20000) !== 0) {
    loadSegReal(c, 1, sel);
    spAdd(c, 2 * s + imm);
    c.rip = ip;
    return;
  }
  const cpl = c.cpl;
  const rpl = sel & 3;
  if ((sel & 0xfffc) === 0) gp(0);
  if (rpl < cpl) gp(sel & 0xfffc);
  if (!readDesc(c, sel)) gp(sel & 0xfffc);
  checkReturnCode(sel);
  if (rpl === cpl) {
    loadCsDesc(c, sel, cpl);
    spAdd(c, 2 * s + imm);
    c.rip = ip;
    return;
  }
  // Return to an outer level: also pop SS:SP.
  const spLo = peek(c, 2 * s + imm, s);
  const sp = s === 8 ? (c.hi | 0) * TWO32 + spLo : spLo;
  const ss = peek(c, 3 * s + imm, s) & 0xffff;
  returnOuter(c, sel, rpl, ip, ss, sp, s, imm);
}

function checkReturnCode(sel: number): void {
  const a = dAttrs(descHi);
  const dpl = (a >> 5) & 3;
  if ((a & 0x18) !== 0x18) gp(sel & 0xfffc);
  if ((a & 0x4) !== 0 ? dpl > (sel & 3) : dpl !== (sel & 3)) gp(sel & 0xfffc);
  if ((a & 0x80) === 0) throw new CpuFault(Vec.NP, sel & 0xfffc);
}

function returnOuter(
  c: Cpu,
  sel: number,
  rpl: number,
  ip: number,
  ss: number,
  sp: number,
  s: number,
  imm: number,
): void {
  const lo = descLo;
  const hi = descHi;
  const oldCpl = c.cpl;
  const savedSs = { ...c.seg[2] };
  c.cpl = rpl;
  try {
    // SS checks as a MOV SS at the new CPL (null SS allowed when returning to 64-bit code at CPL < 3).
    const to64 = (c.efer & 0x400) !== 0 && (dAttrs(hi) & 0x2000) !== 0;
    if ((ss & 0xfffc) === 0 && to64 && rpl < 3) {
      setSeg(c, 2, ss, 0, 0, 0x10000 | (rpl << 5));
    } else {
      const was64 = c.is64;
      c.is64 = false;
      try {
        loadSeg(c, 2, ss);
      } finally {
        c.is64 = was64;
      }
    }
  } catch (e) {
    c.cpl = oldCpl;
    Object.assign(c.seg[2], savedSs);
    recomputeMode(c);
    throw e;
  }
  void lo;
  readDesc(c, sel);
  loadCsDesc(c, sel, rpl);
  setReg64n(c, 4, sp + imm);
  if (!c.is64) {
    if ((c.seg[2].attrs & 0x4000) === 0) c.gpr[8] = (c.gpr[8] & 0xffff0000) | ((sp + imm) & 0xffff);
    c.gpr[9] = 0;
  }
  c.rip = ip;
  nullifyOuterSegs(c);
  void s;
}

// =====================================================================
// Software interrupts and IRET
// =====================================================================

/** INT imm8. */
export function intN(c: Cpu, i: Insn): void {
  deliverEvent(c, i.imm & 0xff, -1, Ev.SWINT, c.rip);
}

/** INT3. */
export function int3(c: Cpu): void {
  deliverEvent(c, Vec.BP, -1, Ev.SWEXC, c.rip);
}

/** INTO. */
export function into(c: Cpu): void {
  if (c.alu.cond(0)) deliverEvent(c, Vec.OF, -1, Ev.SWEXC, c.rip);
}

/** INT1 (ICEBP). */
export function int1(c: Cpu): void {
  deliverEvent(c, Vec.DB, -1, Ev.PRIV, c.rip);
}

/** IRET/IRETD/IRETQ: serializing (SDM Vol. 3A 10.3). */
export const iret: (c: Cpu, i: Insn) => void = serializing(iretBody);

function iretBody(c: Cpu, i: Insn): void {
  const s = i.osz;
  if ((c.interruptibility & 8) !== 0) {
    // IRET unblocks NMIs; a pending NMI (or, in VMX non-root operation, an
    // NMI-window VM exit, SDM Vol. 3C 26.7.6) is due at the very next
    // instruction boundary, so make the run loop look at events.
    c.interruptibility &= ~8;
    c.iretNmiAt = c.retired;
    c.iretNmiIp = c.ip0;
    c.poke();
  }
  if ((c.cr0 & 1) === 0) {
    const ip = peek(c, 0, s);
    const cs = peek(c, s, s) & 0xffff;
    const fl = peek(c, 2 * s, s);
    loadSegReal(c, 1, cs);
    spAdd(c, 3 * s);
    c.rip = ip;
    writeFlags(c, fl, s === 2 ? 0x7fd5 : 0x257fd5, true);
    return;
  }
  if ((c.fl & 0x20000) !== 0) {
    if (((c.fl >> 12) & 3) < 3) gp(0);
    const ip = peek(c, 0, s);
    const cs = peek(c, s, s) & 0xffff;
    const fl = peek(c, 2 * s, s);
    loadSegReal(c, 1, cs);
    spAdd(c, 3 * s);
    c.rip = ip & 0xffff;
    writeFlags(c, fl, s === 2 ? 0x4fd5 : 0x244fd5, true);
    return;
  }
  if ((c.fl & 0x4000) !== 0) {
    if ((c.efer & 0x400) !== 0) gp(0);
    // Nested task: return to the task in the back link (SDM 9.3, 9.4).
    taskSwitch(c, sysRead(c, c.seg[7].base, 2), TaskSource.IRET, c.rip);
    return;
  }
  const ipLo = peek(c, 0, s);
  const ip = s === 8 ? (c.hi | 0) * TWO32 + ipLo : ipLo;
  const sel = peek(c, s, s) & 0xffff;
  const fl = peek(c, 2 * s, s);
  const cpl = c.cpl;
  if (!c.is64 && (fl & 0x20000) !== 0 && cpl === 0 && s === 4) {
    iretToV86(c, ip, sel, fl);
    return;
  }
  const rpl = sel & 3;
  if ((sel & 0xfffc) === 0) gp(0);
  if (rpl < cpl) gp(sel & 0xfffc);
  if (!readDesc(c, sel)) gp(sel & 0xfffc);
  checkReturnCode(sel);
  const a = dAttrs(descHi);
  if ((c.efer & 0x400) !== 0 && (a & 0x2000) !== 0 && (a & 0x4000) !== 0) gp(sel & 0xfffc);
  const iopl = (c.fl >> 12) & 3;
  let mask = 0x254dd5 | 0x100 | 0x4000; // CF PF AF ZF SF TF DF OF NT AC ID RF
  if (cpl <= iopl) mask |= 0x200;
  if (cpl === 0) mask |= 0x3000 | 0x180000; // IOPL, VIF, VIP
  if (s === 2) mask &= 0xffff;
  if (rpl === cpl && !c.is64) {
    loadCsDesc(c, sel, cpl);
    spAdd(c, 3 * s);
    c.rip = ip;
    writeFlags(c, fl, mask, true);
    return;
  }
  const spLo = peek(c, 3 * s, s);
  const sp = s === 8 ? (c.hi | 0) * TWO32 + spLo : spLo;
  const ss = peek(c, 4 * s, s) & 0xffff;
  if (rpl === cpl) {
    // 64-bit mode IRET at the same level still reloads SS:RSP.
    const savedSs = { ...c.seg[2] };
    const to64 = (c.efer & 0x400) !== 0 && (a & 0x2000) !== 0;
    try {
      if ((ss & 0xfffc) === 0 && to64 && cpl < 3) setSeg(c, 2, ss, 0, 0, 0x10000 | (cpl << 5));
      else {
        const was64 = c.is64;
        c.is64 = false;
        try {
          loadSeg(c, 2, ss);
        } finally {
          c.is64 = was64;
        }
      }
    } catch (e) {
      Object.assign(c.seg[2], savedSs);
      recomputeMode(c);
      throw e;
    }
    readDesc(c, sel);
    loadCsDesc(c, sel, cpl);
    setReg64n(c, 4, sp);
    if (!c.is64) c.gpr[9] = 0;
    c.rip = ip;
    writeFlags(c, fl, mask, true);
    return;
  }
  returnOuter(c, sel, rpl, ip, ss, sp, s, 0);
  writeFlags(c, fl, mask, true);
}

function iretToV86(c: Cpu, ip: number, cs: number, fl: number): void {
  const esp = peek(c, 12, 4);
  const ss = peek(c, 16, 4) & 0xffff;
  const es = peek(c, 20, 4) & 0xffff;
  const ds = peek(c, 24, 4) & 0xffff;
  const fs = peek(c, 28, 4) & 0xffff;
  const gs = peek(c, 32, 4) & 0xffff;
  c.rflags = (fl & 0x3f7fd7) | 2;
  c.cpl = 3;
  for (const [s, v] of [[1, cs], [2, ss], [0, es], [3, ds], [4, fs], [5, gs]] as const) {
    setSeg(c, s, v, v * 16, 0xffff, s === 1 ? 0xfb : 0xf3);
  }
  recomputeMode(c);
  c.gpr[8] = esp;
  c.rip = ip & 0xffff;
  c.poke();
}

/** BOUND Gv, Ma: #BR when the index is out of bounds. */
export function bound(c: Cpu, i: Insn): void {
  if (i.isMem === 0) ud();
  const s = i.osz;
  const lin = eaLin(c, i, 2 * s, 1);
  let lo = memRead(c, lin, s);
  let hi = memRead(c, lin + s, s);
  let v = c.gpr[i.reg << 1];
  if (s === 2) {
    lo = (lo << 16) >> 16;
    hi = (hi << 16) >> 16;
    v = (v << 16) >> 16;
  } else {
    lo |= 0;
    hi |= 0;
    v |= 0;
  }
  if (v < lo || v > hi) throw new CpuFault(Vec.BR, -1);
}
