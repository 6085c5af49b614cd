/**
 * Guest memory access from the CPU: segmentation (limits, rights,
 * canonical checks), linear-to-physical translation through `paging.ts`,
 * and the inlined hit test of mm's TLB (`mm/tlb.ts`, the vCPU's
 * `cpu.mmu.tlb`): hits read and write guest RAM bytes directly (no
 * allocation, no call into mm); misses walk and fill through the MMU.
 *
 * Entries are filled only for RAM pages, for the current privilege class
 * (user when CPL = 3), and never for writes to frames that hold decoded
 * code (those go through the slow path, which drops the decode cache of
 * the frame).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { CpuFault, Vec } from "./fault.ts";
import { translate, translateAccess } from "./paging.ts";
import { noteDataAccess, pageWatched } from "./debug.ts";
import { TLB_ENTRIES, VIEW_NONE, VIEW_SUPERVISOR, VIEW_USER } from "../mm/tlb.ts";
import { ACCESS_IMPLICIT, ACCESS_WRITE } from "../mm/paging_types.ts";

/**
 * What the CPU needs from guest physical memory (mm's `PhysicalMemory`
 * satisfies it). `ramPage` gives direct access to the RAM frame holding
 * `pa` for the TLB fast path, or null (MMIO, ROM, hole).
 */
export interface PhysMem {
  /** Read a byte. */
  read8(pa: number): number;
  /** Read 16 bits. */
  read16(pa: number): number;
  /** Read 32 bits (unsigned). */
  read32(pa: number): number;
  /** Write a byte. */
  write8(pa: number, v: number): void;
  /** Write 16 bits. */
  write16(pa: number, v: number): void;
  /** Write 32 bits. */
  write32(pa: number, v: number): void;
  /**
   * A 4 KiB view of RAM frame `frame` for direct access, or null (MMIO,
   * ROM for writes, hole). Taking a write view does the write bookkeeping
   * (dirty log, code-write notification).
   */
  ramFrame?(frame: number, forWrite: boolean): Uint8Array | null;
  /** Register a listener for writes to frames marked as code. */
  onCodeWrite?(listener: (frame: number) => void): unknown;
  /** Register a listener for revoked frame views (frame, writeOnly); frame -1 = all. */
  onFrameInvalidate?(listener: (frame: number, writeOnly: boolean) => void): unknown;
  /** The region covering `pa` (its kind tells RAM from ROM/MMIO). */
  regionAt?(pa: number): { readonly kind: string } | undefined;
  /** Mark a RAM frame as holding decoded code. */
  markCode?(frame: number): void;
}

/** Number of TLB entries (direct mapped; the MMU's TLB has this size). */
export const TLB_SIZE: number = TLB_ENTRIES;
const TMASK = TLB_SIZE - 1;

/** Access kinds for translation. */
export const enum Acc {
  READ = 0,
  WRITE = 1,
  EXEC = 2,
}

// =====================================================================
// Segmentation
// =====================================================================

/** Raise the segment fault for segment `s` (#SS for SS, #GP otherwise). */
export function segFault(s: number): never {
  throw new CpuFault(s === 2 ? Vec.SS : Vec.GP, 0);
}

/**
 * Segmented address → linear address for a data access of `size` bytes;
 * `need` is 1 for read, 2 for write. Throws #GP/#SS.
 */
export function la(cpu: Cpu, s: number, off: number, size: number, need: number): number {
  if (cpu.is64) {
    const lin = off + cpu.sbase[s];
    if (lin >= 0x800000000000 || lin < -0x800000000000) return canonFix(lin, s);
    return lin;
  }
  if (off < cpu.smin[s] || off + size - 1 > cpu.smax[s] || (cpu.sok[s] & need) === 0) {
    segFault(s);
  }
  const lin = off + cpu.sbase[s];
  return lin >= 4294967296 ? lin - 4294967296 : lin;
}

function canonFix(lin: number, s: number): number {
  // Wrap a sum that left the signed 64-bit range, then check canonicality.
  if (lin >= 9223372036854775808) lin -= 18446744073709551616;
  else if (lin < -9223372036854775808) lin += 18446744073709551616;
  if (lin >= 0x800000000000 || lin < -0x800000000000) segFault(s);
  return lin;
}

/** Canonical check for a linear address in 64-bit mode (#GP(0)). */
export function canonical(lin: number): boolean {
  return lin < 0x800000000000 && lin >= -0x800000000000;
}

// =====================================================================
// Linear access: fast TLB path
// =====================================================================

/** Read a byte at a linear address (current privilege). */
export function lr8(cpu: Cpu, lin: number): number {
  const o = lin & 0xfff;
  const x = (lin >>> 12) & TMASK;
  if (cpu.rTag[x] === lin - o) return cpu.rMem[x][o];
  return slowRead(cpu, lin, 1, false);
}

/** Read 16 bits at a linear address. */
export function lr16(cpu: Cpu, lin: number): number {
  const o = lin & 0xfff;
  const x = (lin >>> 12) & TMASK;
  if (cpu.rTag[x] === lin - o && o < 0xfff) {
    const m = cpu.rMem[x];
    const p = o;
    return m[p] | (m[p + 1] << 8);
  }
  return slowRead(cpu, lin, 2, false);
}

/** Read 32 bits at a linear address (unsigned). */
export function lr32(cpu: Cpu, lin: number): number {
  const o = lin & 0xfff;
  const x = (lin >>> 12) & TMASK;
  if (cpu.rTag[x] === lin - o && o < 0xffd) {
    if ((o & 3) === 0) return cpu.rMem32[x][o >> 2];
    const m = cpu.rMem[x];
    const p = o;
    return (m[p] | (m[p + 1] << 8) | (m[p + 2] << 16) | (m[p + 3] << 24)) >>> 0;
  }
  return slowRead(cpu, lin, 4, false);
}

/** Read 64 bits: returns the low half, high half in `cpu.hi`. */
export function lr64(cpu: Cpu, lin: number): number {
  const o = lin & 0xfff;
  const x = (lin >>> 12) & TMASK;
  if (cpu.rTag[x] === lin - o && o < 0xff9) {
    if ((o & 7) === 0) {
      const m32 = cpu.rMem32[x];
      cpu.hi = m32[(o >> 2) + 1];
      return m32[o >> 2];
    }
    const m = cpu.rMem[x];
    const p = o;
    cpu.hi = (m[p + 4] | (m[p + 5] << 8) | (m[p + 6] << 16) | (m[p + 7] << 24)) >>> 0;
    return (m[p] | (m[p + 1] << 8) | (m[p + 2] << 16) | (m[p + 3] << 24)) >>> 0;
  }
  checkAlignment(cpu, lin, 8);
  const w = beginWide(cpu, 8);
  const lo = lr32(cpu, lin);
  const hi = lr32(cpu, lin + 4);
  cpu.accessWidth = w;
  cpu.hi = hi;
  return lo;
}

/** Write a byte at a linear address. */
export function lw8(cpu: Cpu, lin: number, v: number): void {
  const o = lin & 0xfff;
  const x = (lin >>> 12) & TMASK;
  if (cpu.wTag[x] === lin - o) {
    cpu.wMem[x][o] = v;
    return;
  }
  slowWrite(cpu, lin, 1, v);
}

/** Write 16 bits at a linear address. */
export function lw16(cpu: Cpu, lin: number, v: number): void {
  const o = lin & 0xfff;
  const x = (lin >>> 12) & TMASK;
  if (cpu.wTag[x] === lin - o && o < 0xfff) {
    const m = cpu.wMem[x];
    const p = o;
    m[p] = v;
    m[p + 1] = v >>> 8;
    return;
  }
  slowWrite(cpu, lin, 2, v);
}

/** Write 32 bits at a linear address. */
export function lw32(cpu: Cpu, lin: number, v: number): void {
  const o = lin & 0xfff;
  const x = (lin >>> 12) & TMASK;
  if (cpu.wTag[x] === lin - o && o < 0xffd) {
    if ((o & 3) === 0) {
      cpu.wMem32[x][o >> 2] = v;
      return;
    }
    const m = cpu.wMem[x];
    const p = o;
    m[p] = v;
    m[p + 1] = v >>> 8;
    m[p + 2] = v >>> 16;
    m[p + 3] = v >>> 24;
    return;
  }
  slowWrite(cpu, lin, 4, v);
}

/** Write 64 bits at a linear address (both pages checked before any byte is written). */
export function lw64(cpu: Cpu, lin: number, lo: number, hi: number): void {
  const o = lin & 0xfff;
  const x = (lin >>> 12) & TMASK;
  if (cpu.wTag[x] === lin - o && o < 0xff9) {
    if ((o & 7) === 0) {
      const m32 = cpu.wMem32[x];
      m32[o >> 2] = lo;
      m32[(o >> 2) + 1] = hi;
      return;
    }
    const m = cpu.wMem[x];
    const p = o;
    m[p] = lo;
    m[p + 1] = lo >>> 8;
    m[p + 2] = lo >>> 16;
    m[p + 3] = lo >>> 24;
    m[p + 4] = hi;
    m[p + 5] = hi >>> 8;
    m[p + 6] = hi >>> 16;
    m[p + 7] = hi >>> 24;
    return;
  }
  checkAlignment(cpu, lin, 8);
  if (o > 0xff8) probeWrite(cpu, lin + 7);
  const w = beginWide(cpu, 8);
  lw32(cpu, lin, lo);
  lw32(cpu, lin + 4, hi);
  cpu.accessWidth = w;
}

/**
 * The pieces that follow (until `cpu.accessWidth` is set back to the
 * returned value) make one data access of `width` bytes: a handler of the
 * memory they reach sees the width in `accessWidth` (see the VMX contract).
 * A fault unwinding the access clears it (`Cpu.onThrow`, event delivery).
 */
export function beginWide(cpu: Cpu, width: number): number {
  const w = cpu.accessWidth;
  if (width > w) cpu.accessWidth = width;
  return w;
}

/** Read through write permission (for read-modify-write): checks the page is writable first. */
export function probeWrite(cpu: Cpu, lin: number): void {
  const o = lin & 0xfff;
  const x = (lin >>> 12) & TMASK;
  if (cpu.wTag[x] === lin - o) return;
  translateFor(cpu, lin, Acc.WRITE, cpu.cpl === 3);
}

/** Read `size` bytes (1, 2, 4) at a linear address. */
export function lrN(cpu: Cpu, lin: number, size: number): number {
  return size === 4 ? lr32(cpu, lin) : size === 1 ? lr8(cpu, lin) : lr16(cpu, lin);
}

/** Write `size` bytes (1, 2, 4) at a linear address. */
export function lwN(cpu: Cpu, lin: number, size: number, v: number): void {
  if (size === 4) lw32(cpu, lin, v);
  else if (size === 1) lw8(cpu, lin, v);
  else lw16(cpu, lin, v);
}

// =====================================================================
// Slow paths
// =====================================================================

/** Translate, applying EPT when in non-root operation. Throws #PF or ABANDON. */
export function translateFor(cpu: Cpu, lin: number, acc: number, user: boolean): number {
  return translate(cpu, lin, acc, user);
}

/**
 * Alignment checking is on (SDM Vol. 3A 6.15, interrupt 17): CPL 3 in
 * protected mode with CR0.AM and RFLAGS.AC. While it is, the fast TLB is
 * not filled, so every data access reaches the slow path, which checks.
 */
export function alignmentCheck(cpu: Cpu): boolean {
  return cpu.cpl === 3 && (cpu.cr0 & 0x40001) === 0x40001 && (cpu.fl & 0x40000) !== 0;
}

/** #AC(0) for a misaligned access of `size` bytes while alignment checking is on. */
function checkAlignment(cpu: Cpu, lin: number, size: number): void {
  if (size > 1 && lin % size !== 0 && alignmentCheck(cpu)) throw new CpuFault(Vec.AC, 0);
}

/**
 * Install the translation just walked in the TLB (RAM only; no write right
 * for code frames; nothing for a page holding a data breakpoint, whose
 * accesses must all take the slow path). Nothing when the last `translate`
 * found the translation in the TLB rather than walking (the walk result is
 * not this translation's). Never for a non-canonical address (a
 * linear-address API caller may pass one; the walk ignores bits 63:48):
 * every tag is canonical, which the block compiler's hit test relies on.
 */
function fill(cpu: Cpu, lin: number, pa: number, write: boolean): void {
  if (!cpu.walked || cpu.memory.ramFrame === undefined) return;
  if (lin >= 0x800000000000 || lin < -0x800000000000) return;
  if (write && cpu.codeFrames.has(Math.floor(pa / 4096))) write = false;
  if (cpu.bpData !== 0 && pageWatched(cpu, lin - (lin & 0xfff))) return;
  cpu.mmu.fill(lin, pa, write);
}

/**
 * After a `translate` outside the data-access paths (implicit supervisor
 * access, the pushes of an event delivery): fill the TLB with what the walk
 * found, unless a debugger hooks accesses (its watched pages must stay off
 * the fast path).
 */
export function fillWalked(cpu: Cpu, lin: number, pa: number, write: boolean): void {
  if (cpu.walked && cpu.debugHook === null) fill(cpu, lin, pa, write);
}

/**
 * After the `translate` of an instruction fetch: fill the TLB with the
 * execute rights the walk found (no data view: see `Tlb.fill`) when the
 * page was fetched before since the last flush (`Tlb.fetchWalkedBefore`:
 * code that runs once between flushes is not worth a fill), unless a
 * debugger hooks accesses. Never for a non-canonical address.
 */
export function fillFetched(cpu: Cpu, lin: number, pa: number): void {
  if (!cpu.walked || cpu.debugHook !== null) return;
  if (lin >= 0x800000000000 || lin < -0x800000000000) return;
  if (cpu.tlb.fetchWalkedBefore(lin)) cpu.mmu.fillFetch(lin, pa);
}

/**
 * A data access of compiled code missed the TLB: walk and fill as the
 * interpreter's slow path would (same access rights, CPL class, RAM-only
 * and code-frame rules), so the region can retry instead of leaving for
 * the interpreter. Returns false, changing nothing but the accessed and
 * dirty bits the interpreter's walk of the same access sets as well, when
 * the walk faults (the interpreter then runs the instruction and raises
 * the fault precisely), when the fast path would still miss (no entry for
 * this class), under VMX non-root operation (EPT exits) or while
 * breakpoints or a debugger watch accesses.
 */
export function fillForCompiled(cpu: Cpu, lin: number, write: boolean): boolean {
  if (cpu.nonRoot || cpu.debugHook !== null || cpu.bpData !== 0) return false;
  let pa: number;
  try {
    pa = translate(cpu, lin, write ? Acc.WRITE : Acc.READ, cpu.cpl === 3);
  } catch (e) {
    if (e instanceof CpuFault) return false;
    throw e;
  }
  fill(cpu, lin, pa, write);
  const x = (lin >>> 12) & TMASK;
  return (write ? cpu.wTag[x] : cpu.rTag[x]) === lin - (lin & 0xfff);
}

/**
 * Show the TLB view of the current access class in the hit-test fields:
 * user at CPL 3, supervisor otherwise, none while alignment checking is on
 * (every access then takes the slow path, which checks). Call when the CPL,
 * CR0.AM or EFLAGS.AC change, or the TLB does.
 */
export function selectView(cpu: Cpu): void {
  const v = alignmentCheck(cpu) ? VIEW_NONE : cpu.cpl === 3 ? VIEW_USER : VIEW_SUPERVISOR;
  const t = cpu.tlb;
  if (t.view !== v) t.setView(v);
  cpu.rTag = t.rTag;
  cpu.wTag = t.wTag;
}

/** Drop the fast entries of the current context (data breakpoints changed). */
export function flushFast(cpu: Cpu): void {
  cpu.tlb.flushAll();
  selectView(cpu);
}

/** Drop write rights to `frame` (it now holds cached code), in every TLB context. */
export function dropWriteFrame(cpu: Cpu, frame: number): void {
  cpu.mmu.dropWrites(frame);
}

function slowRead(cpu: Cpu, lin: number, size: number, sys: boolean): number {
  if (!sys) checkAlignment(cpu, lin, size);
  const o = lin & 0xfff;
  if (o + size > 4096) {
    // Crosses a page: byte by byte (each byte translated), one access.
    const w = beginWide(cpu, size);
    let v = 0;
    for (let k = 0; k < size; k++) {
      v |= (sys ? sysRead(cpu, lin + k, 1) : lr8(cpu, lin + k)) << (8 * k);
    }
    cpu.accessWidth = w;
    return v >>> 0;
  }
  const user = !sys && cpu.cpl === 3;
  const pa = translate(cpu, lin, Acc.READ, user);
  if (!sys) {
    if (cpu.bpData !== 0) noteDataAccess(cpu, lin, size, false);
    const dh = cpu.debugHook;
    if (dh === null || !dh.access(cpu, lin, size, false)) fill(cpu, lin, pa, false);
  }
  const mem = cpu.memory;
  if (size === 1) return mem.read8(pa);
  // Memory-mapped I/O splits an unaligned access into bytes: one access still.
  const w = beginWide(cpu, size);
  const v = size === 4 ? mem.read32(pa) : mem.read16(pa);
  cpu.accessWidth = w;
  return v;
}

function slowWrite(cpu: Cpu, lin: number, size: number, v: number): void {
  checkAlignment(cpu, lin, size);
  const o = lin & 0xfff;
  if (o + size > 4096) {
    // Check both pages before writing any byte.
    probeWrite(cpu, lin);
    probeWrite(cpu, lin + size - 1);
    const w = beginWide(cpu, size);
    for (let k = 0; k < size; k++) lw8(cpu, lin + k, (v >>> (8 * k)) & 0xff);
    cpu.accessWidth = w;
    return;
  }
  const pa = translate(cpu, lin, Acc.WRITE, cpu.cpl === 3);
  writePhys(cpu, pa, size, v);
  if (cpu.bpData !== 0) noteDataAccess(cpu, lin, size, true);
  const dh = cpu.debugHook;
  if (dh === null || !dh.access(cpu, lin, size, true)) fill(cpu, lin, pa, true);
}

/**
 * Write physical memory from the CPU, dropping decoded code of the frame.
 * An access of 2 or 4 bytes is one access even where memory-mapped I/O
 * splits it (see {@link beginWide}).
 */
export function writePhys(cpu: Cpu, pa: number, size: number, v: number): void {
  const frame = Math.floor(pa / 4096);
  if (cpu.codeFrames.has(frame)) cpu.codeWritten(frame);
  const mem = cpu.memory;
  if (size === 1) {
    mem.write8(pa, v & 0xff);
    return;
  }
  const w = beginWide(cpu, size);
  if (size === 4) mem.write32(pa, v >>> 0);
  else mem.write16(pa, v & 0xffff);
  cpu.accessWidth = w;
}

/**
 * Supervisor ("implicit") read of system structures (GDT, LDT, IDT, TSS):
 * privilege checks as CPL 0 whatever the CPL, and SMAP whatever EFLAGS.AC
 * (SDM 4.6.1).
 */
export function sysRead(cpu: Cpu, lin: number, size: number): number {
  const o = lin & 0xfff;
  if (o + size > 4096) return slowRead(cpu, lin, size, true);
  const pa = translateAccess(cpu, lin, ACCESS_IMPLICIT);
  fillWalked(cpu, lin, pa, false);
  const mem = cpu.memory;
  if (size === 1) return mem.read8(pa);
  const w = beginWide(cpu, size);
  const v = size === 4 ? mem.read32(pa) : mem.read16(pa);
  cpu.accessWidth = w;
  return v;
}

/**
 * Supervisor read of an 8-byte system-structure item (a descriptor, half an
 * IA-32e gate, a 64-bit TSS stack pointer) as one access: returns the low
 * half, the high half in `cpu.hi`.
 */
export function sysRead64(cpu: Cpu, lin: number): number {
  const w = beginWide(cpu, 8);
  const lo = sysRead(cpu, lin, 4);
  const hi = sysRead(cpu, lin + 4, 4);
  cpu.accessWidth = w;
  cpu.hi = hi;
  return lo;
}

/** Implicit supervisor write of system structures (descriptor accessed/busy bits, TSS). */
export function sysWrite(cpu: Cpu, lin: number, size: number, v: number): void {
  const o = lin & 0xfff;
  if (o + size > 4096) {
    const w = beginWide(cpu, size);
    for (let k = 0; k < size; k++) sysWrite(cpu, lin + k, 1, (v >>> (8 * k)) & 0xff);
    cpu.accessWidth = w;
    return;
  }
  const pa = translateAccess(cpu, lin, ACCESS_IMPLICIT | ACCESS_WRITE);
  writePhys(cpu, pa, size, v);
  fillWalked(cpu, lin, pa, true);
}

/** Vcpu.readLinear: read with the current privilege (size 8 puts the high half in cpu.hi). */
export function readLinearApi(cpu: Cpu, lin: number, size: number): number {
  if (size === 8) return lr64(cpu, lin);
  return lrN(cpu, lin, size);
}

/** Vcpu.writeLinear. */
export function writeLinearApi(cpu: Cpu, lin: number, size: number, lo: number, hi: number): void {
  if (size === 8) lw64(cpu, lin, lo >>> 0, hi >>> 0);
  else lwN(cpu, lin, size, lo);
}
