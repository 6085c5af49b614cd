/**
 * Debug registers (SDM Vol. 3B chapter 18): DR7 decoding into the enabled
 * instruction, data and I/O breakpoints, the checks the CPU makes for them,
 * and the DR6/DR7 read/write rules of MOV DR.
 *
 * How breakpoints cost nothing when unused: the run loop looks at
 * breakpoints only while some are enabled. Instruction breakpoints are
 * checked at instruction boundaries (the event check runs at every boundary
 * while one is enabled); data breakpoints keep the pages they watch out of
 * the TLB fast path, so every access to such a page takes the slow path,
 * which records hits; the #DB trap follows at the next boundary.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { flushFast } from "./memory.ts";

/** DR6 bits that read as 1 (reserved, and RTM's active-low bit 16). */
export const DR6_FIXED_1 = 0xffff0ff0;
/** DR6 bits software and the CPU can change: B0-B3, BD (13), BS (14), BT (15). */
export const DR6_VALID = 0xe00f;
/** DR7 bits that hold state (L0-G3, LE, GE, GD, RW/LEN fields); bit 10 reads as 1. */
export const DR7_VALID = 0xffff23ff;
/** DR6.BD: the #DB is a general-detect fault. */
export const DR6_BD = 0x2000;
/** DR6.BS: the #DB is a single-step trap. */
export const DR6_BS = 0x4000;
/** DR7.GD: general detect (MOV DR raises #DB). */
export const DR7_GD = 0x2000;
/** RFLAGS.RF. */
export const RFLAGS_RF = 0x10000;

/** Length in bytes of a DR7 LEN field value (00: 1, 01: 2, 10: 8, 11: 4). */
const LEN_BYTES = [1, 2, 8, 4];

/** The value a MOV from DR6 returns for a stored value. */
export function dr6Value(v: number): number {
  return ((v & DR6_VALID) | DR6_FIXED_1) >>> 0;
}

/** The value DR7 holds after a MOV to DR7 of `v` (low 32 bits). */
export function dr7Value(v: number): number {
  return ((v & DR7_VALID) | 0x400) >>> 0;
}

/**
 * Recompute the enabled breakpoints from DR0-DR3/DR7 (and CR4.DE for I/O
 * breakpoints). Call after any change to DR0-DR3, DR7 or CR4, and after a
 * wholesale state load. Drops the TLB fast entries so watched pages leave
 * the fast path.
 */
export function refreshBreakpoints(c: Cpu): void {
  const dr7 = c.dr[7];
  if ((dr7 & 0xff) === 0 && c.bpExec === 0 && c.bpData === 0 && c.bpIo === 0) {
    // No breakpoint enabled before or now (VM entries and exits, mostly):
    // the loop below would leave everything as it is.
    c.poke();
    return;
  }
  let exec = 0;
  let data = 0;
  let io = 0;
  for (let n = 0; n < 4; n++) {
    c.watchPage[n] = NaN;
    if (((dr7 >>> (2 * n)) & 3) === 0) continue;
    const rw = (dr7 >>> (16 + 4 * n)) & 3;
    if (rw === 0) exec |= 1 << n;
    else if (rw === 2) {
      if ((c.cr4 & 8) !== 0) io |= 1 << n; // RW=10 is an I/O breakpoint only with CR4.DE
    } else {
      data |= 1 << n;
      const a = c.dr[n];
      c.watchPage[n] = a - (((a % 4096) + 4096) % 4096);
    }
  }
  const changed = c.bpData !== data || data !== 0;
  c.bpExec = exec;
  c.bpData = data;
  c.bpIo = io;
  if (changed) flushFast(c);
  c.poke();
}

/** True when the page at `pageBase` holds a data breakpoint (it must stay off the fast path). */
export function pageWatched(c: Cpu, pageBase: number): boolean {
  const w = c.watchPage;
  return w[0] === pageBase || w[1] === pageBase || w[2] === pageBase || w[3] === pageBase;
}

function hits(c: Cpu, mask: number, lin: number, size: number, rwWanted: number): number {
  let found = 0;
  const dr7 = c.dr[7];
  for (let n = 0; n < 4; n++) {
    if (((mask >>> n) & 1) === 0) continue;
    const rw = (dr7 >>> (16 + 4 * n)) & 3;
    if ((rw & rwWanted) === 0 && rwWanted !== 0) continue;
    const len = LEN_BYTES[(dr7 >>> (18 + 4 * n)) & 3];
    // The breakpoint covers the LEN-aligned range holding DRn (SDM 18.2.5).
    const a = c.dr[n];
    const start = a - (((a % len) + len) % len);
    if (lin < start + len && lin + size > start) found |= 1 << n;
  }
  return found;
}

/**
 * Record a data access for data breakpoints (called on the slow memory path
 * while some are enabled). A write matches RW=01 and RW=11 breakpoints, a
 * read only RW=11 ones. Hits become a #DB trap at the next boundary.
 */
export function noteDataAccess(c: Cpu, lin: number, size: number, write: boolean): void {
  const found = hits(c, c.bpData, lin, size, write ? 1 : 2);
  if (found === 0) return;
  c.dataHits |= found;
  c.poke();
}

/** Record an I/O access for I/O breakpoints (RW=10 with CR4.DE). */
export function noteIoAccess(c: Cpu, port: number, size: number): void {
  const found = hits(c, c.bpIo, port, size, 0);
  if (found === 0) return;
  c.dataHits |= found;
  c.poke();
}

/** Instruction breakpoints matching the instruction at the current RIP (0 when none). */
export function execHits(c: Cpu): number {
  const lin = c.is64 ? c.rip : (c.rip + c.seg[1].base) % 4294967296;
  let found = 0;
  for (let n = 0; n < 4; n++) {
    if (((c.bpExec >>> n) & 1) !== 0 && c.dr[n] === lin) found |= 1 << n;
  }
  return found;
}
