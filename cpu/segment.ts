/**
 * Segmentation: descriptor-table reads, segment-register loads with their
 * protection checks (SDM Vol. 3A 5.x, Vol. 2 MOV/POP Sreg), and the
 * segment part of far control transfers.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { CpuFault, Vec } from "./fault.ts";
import { sysRead, sysRead64, sysWrite } from "./memory.ts";
import { recomputeMode, refreshSeg } from "./state.ts";

/** Low dword of the last descriptor read by {@link readDesc}. */
export let descLo = 0;
/** High dword of the last descriptor read. */
export let descHi = 0;
/** Linear address of the last descriptor read. */
export let descAddr = 0;

/**
 * Read the 8-byte descriptor for `sel` from the GDT or LDT. Returns false
 * if the selector is outside the table limit (or the LDT is unusable).
 */
export function readDesc(cpu: Cpu, sel: number): boolean {
  const idx = sel & 0xfff8;
  let base: number;
  let limit: number;
  if ((sel & 4) !== 0) {
    const l = cpu.seg[6];
    if ((l.attrs & 0x10000) !== 0 || (l.attrs & 0x80) === 0) return false;
    base = l.base;
    limit = l.limit;
  } else {
    base = cpu.gdtr.base;
    limit = cpu.gdtr.limit;
  }
  if (idx + 7 > limit) return false;
  descAddr = base + idx;
  descLo = sysRead64(cpu, descAddr);
  descHi = cpu.hi;
  return true;
}

/** Base address of a descriptor. */
export function dBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
}

/** Byte-granular limit of a descriptor. */
export function dLimit(lo: number, hi: number): number {
  const l = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & 0x800000) !== 0 ? (l * 4096 + 0xfff) >>> 0 : l;
}

/** Access rights in VMX format (SDM 25.4.1). */
export function dAttrs(hi: number): number {
  return ((hi >>> 8) & 0xff) | ((hi >>> 8) & 0xf000);
}

/** Set the accessed bit of the last-read descriptor if it is clear. */
function touch(cpu: Cpu): void {
  if ((descHi & 0x100) === 0) {
    descHi |= 0x100;
    sysWrite(cpu, descAddr + 5, 1, (descHi >>> 8) & 0xff);
  }
}

/** Load a segment register's cache directly. */
export function setSeg(
  cpu: Cpu,
  s: number,
  sel: number,
  base: number,
  limit: number,
  attrs: number,
): void {
  const r = cpu.seg[s];
  r.selector = sel & 0xffff;
  r.base = base;
  r.limit = limit >>> 0;
  r.attrs = attrs;
  if (s === 1 || s === 2) recomputeMode(cpu, s);
  else refreshSeg(cpu, s);
}

/** Load a real-mode / virtual-8086 segment (base = selector * 16). */
export function loadSegReal(cpu: Cpu, s: number, sel: number): void {
  const r = cpu.seg[s];
  r.selector = sel & 0xffff;
  r.base = (sel & 0xffff) * 16;
  if ((cpu.fl & 0x20000) !== 0) {
    r.limit = 0xffff;
    r.attrs = s === 1 ? 0xfb : 0xf3;
  }
  if (s === 1 || s === 2) recomputeMode(cpu);
  else refreshSeg(cpu, s);
}

function gpSel(sel: number): never {
  throw new CpuFault(Vec.GP, sel & 0xfffc);
}

/**
 * MOV/POP Sreg, LDS-family: load data segment register `s` (ES, SS, DS, FS,
 * GS) with its protection checks. CS is never loaded here.
 */
export function loadSeg(cpu: Cpu, s: number, sel: number): void {
  sel &= 0xffff;
  if ((cpu.cr0 & 1) === 0 || (cpu.fl & 0x20000) !== 0) {
    loadSegReal(cpu, s, sel);
    return;
  }
  const cpl = cpu.cpl;
  if ((sel & 0xfffc) === 0) {
    if (s === 2) {
      // Null SS is allowed only in 64-bit mode below CPL 3 with RPL = CPL.
      if (!cpu.is64 || cpl === 3 || (sel & 3) !== cpl) throw new CpuFault(Vec.GP, 0);
    }
    setSeg(cpu, s, sel, 0, 0, 0x10000 | (s === 2 ? cpl << 5 : 0));
    return;
  }
  if (!readDesc(cpu, sel)) gpSel(sel);
  const a = dAttrs(descHi);
  const dpl = (a >> 5) & 3;
  const rpl = sel & 3;
  if ((a & 0x10) === 0) gpSel(sel); // system descriptor
  if (s === 2) {
    if ((a & 0xa) !== 0x2 || rpl !== cpl || dpl !== cpl) gpSel(sel); // writable data
    if ((a & 0x80) === 0) throw new CpuFault(Vec.SS, sel & 0xfffc);
  } else {
    const code = (a & 0x8) !== 0;
    if (code && (a & 0x2) === 0) gpSel(sel); // execute-only code
    if (!code || (a & 0x4) === 0) {
      if (rpl > dpl || cpl > dpl) gpSel(sel);
    }
    if ((a & 0x80) === 0) throw new CpuFault(Vec.NP, sel & 0xfffc);
  }
  touch(cpu);
  setSeg(cpu, s, sel, dBase(descLo, descHi), dLimit(descLo, descHi), dAttrs(descHi));
}

/**
 * Check and load CS for a far JMP/CALL/RET/IRET to a code segment
 * descriptor already read (descLo/descHi), with the new CPL.
 */
export function loadCsDesc(cpu: Cpu, sel: number, newCpl: number): void {
  touch(cpu);
  const a = dAttrs(descHi);
  const lo = descLo;
  const hi = descHi;
  const r = cpu.seg[1];
  r.selector = ((sel & 0xfffc) | newCpl) & 0xffff;
  r.base = dBase(lo, hi);
  r.limit = dLimit(lo, hi);
  r.attrs = a;
  cpu.cpl = newCpl;
  recomputeMode(cpu, 1);
}

/**
 * Validate the code-segment descriptor for a direct far JMP/CALL (SDM
 * Vol. 2 JMP/CALL "far" protected-mode operation). Returns the new CPL.
 */
export function checkDirectCode(cpu: Cpu, sel: number): number {
  const a = dAttrs(descHi);
  const dpl = (a >> 5) & 3;
  const rpl = sel & 3;
  const cpl = cpu.cpl;
  if ((a & 0x18) !== 0x18) gpSel(sel);
  if ((a & 0x4) !== 0) {
    if (dpl > cpl) gpSel(sel);
  } else if (rpl > cpl || dpl !== cpl) gpSel(sel);
  if ((cpu.efer & 0x400) !== 0 && (a & 0x2000) !== 0 && (a & 0x4000) !== 0) gpSel(sel);
  if ((a & 0x80) === 0) throw new CpuFault(Vec.NP, sel & 0xfffc);
  return cpl;
}

/**
 * After a return to an outer privilege level: data segment registers whose
 * DPL is below the new CPL (and that are not conforming code) become null
 * (SDM Vol. 2 RET/IRET "RETURN-TO-OUTER-PRIVILEGE-LEVEL").
 */
export function nullifyOuterSegs(cpu: Cpu): void {
  const segs = [0, 3, 4, 5];
  for (const s of segs) {
    const a = cpu.seg[s].attrs;
    if ((a & 0x10000) !== 0) continue;
    const conformingCode = (a & 0xc) === 0xc;
    if (((a >> 5) & 3) < cpu.cpl && !conformingCode) {
      // In IA-32e mode the FS/GS bases are the IA32_FS_BASE/GS_BASE MSR
      // values, which the implicit nulling leaves in place (a kernel's
      // per-CPU GS base survives a return to user mode).
      const keepBase = (s === 4 || s === 5) && (cpu.efer & 0x400) !== 0;
      setSeg(cpu, s, 0, keepBase ? cpu.seg[s].base : 0, 0, 0x10000);
    }
  }
}

/** Read a TSS field for the inner stack of `ring` (32-bit or 64-bit TSS). */
export function tssStack(cpu: Cpu, ring: number): { ss: number; sp: number } {
  const tr = cpu.seg[7];
  if ((tr.attrs & 0x80) === 0 || (tr.attrs & 0x10000) !== 0) {
    throw new CpuFault(Vec.TS, tr.selector & 0xfffc);
  }
  const type = tr.attrs & 0xf;
  if (type === 0x9 || type === 0xb) {
    if ((cpu.efer & 0x400) !== 0) {
      const off = 4 + ring * 8;
      if (off + 7 > tr.limit) throw new CpuFault(Vec.TS, tr.selector & 0xfffc);
      const lo = sysRead64(cpu, tr.base + off);
      return { ss: 0, sp: (cpu.hi | 0) * 4294967296 + lo };
    }
    const off = 4 + ring * 8;
    if (off + 5 > tr.limit) throw new CpuFault(Vec.TS, tr.selector & 0xfffc);
    return { sp: sysRead(cpu, tr.base + off, 4), ss: sysRead(cpu, tr.base + off + 4, 2) };
  }
  // 16-bit TSS
  const off = 2 + ring * 4;
  if (off + 3 > tr.limit) throw new CpuFault(Vec.TS, tr.selector & 0xfffc);
  return { sp: sysRead(cpu, tr.base + off, 2), ss: sysRead(cpu, tr.base + off + 2, 2) };
}

/** Read IST entry `n` (1-7) of the 64-bit TSS. */
export function tssIst(cpu: Cpu, n: number): number {
  const tr = cpu.seg[7];
  const off = 0x24 + (n - 1) * 8;
  if (off + 7 > tr.limit) throw new CpuFault(Vec.TS, tr.selector & 0xfffc);
  const lo = sysRead64(cpu, tr.base + off);
  return (cpu.hi | 0) * 4294967296 + lo;
}

/**
 * Load SS for an inner-level stack switch (interrupt or call gate): checks
 * per SDM 6.12.1 raise #TS(sel).
 */
export function loadInnerSs(cpu: Cpu, sel: number, newCpl: number): void {
  if ((sel & 0xfffc) === 0) throw new CpuFault(Vec.TS, 0);
  if (!readDesc(cpu, sel)) throw new CpuFault(Vec.TS, sel & 0xfffc);
  const a = dAttrs(descHi);
  if ((sel & 3) !== newCpl || ((a >> 5) & 3) !== newCpl || (a & 0x1a) !== 0x12) {
    throw new CpuFault(Vec.TS, sel & 0xfffc);
  }
  if ((a & 0x80) === 0) throw new CpuFault(Vec.SS, sel & 0xfffc);
  touch(cpu);
  const r = cpu.seg[2];
  r.selector = sel;
  r.base = dBase(descLo, descHi);
  r.limit = dLimit(descLo, descHi);
  r.attrs = a;
}
