/**
 * Handlers: string instructions (MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS)
 * with REP/REPE/REPNE in every address size; INS/OUTS move each element
 * through the port I/O of `exec_io.ts`.
 *
 * A REP instruction runs at most {@link REP_CHUNK} iterations per
 * execution and then restarts itself, so interrupts are taken between
 * iterations and faults leave consistent registers; it also stops after
 * an iteration when asked (`Vcpu.endStringIteration`). Forward REP MOVS
 * and REP STOS through flat segments move whole runs within a page that
 * hit the TLB at once, with the registers, memory and instruction count
 * of the element-by-element loop (`exec_string_bulk_test.ts`).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import {
  la,
  lr16,
  lr32,
  lr64,
  lr8,
  lw16,
  lw32,
  lw64,
  lw8,
  probeWrite,
  TLB_SIZE,
} from "./memory.ts";
import { getReg, setR8, setReg } from "./regs.ts";
import { ioCheck, portIn, portOut } from "./exec_io.ts";

/** Iterations of a REP string instruction per execution. */
export const REP_CHUNK = 1024;
const TWO32 = 4294967296;
const TMASK = TLB_SIZE - 1;

function getIdx(c: Cpu, r: number, as: number): number {
  const g = c.gpr;
  if (as === 64) return (g[(r << 1) + 1] | 0) * TWO32 + g[r << 1];
  return as === 32 ? g[r << 1] : g[r << 1] & 0xffff;
}

function addIdx(c: Cpu, r: number, as: number, d: number): void {
  const g = c.gpr;
  const x = r << 1;
  if (as === 64) {
    const v = g[x] + d;
    g[x] = v >>> 0;
    if (v >= TWO32) g[x + 1] = (g[x + 1] + 1) >>> 0;
    else if (v < 0) g[x + 1] = (g[x + 1] - 1) >>> 0;
  } else if (as === 32) {
    g[x] = (g[x] + d) >>> 0;
    if (c.is64) g[x + 1] = 0;
  } else g[x] = (g[x] & 0xffff0000) | ((g[x] + d) & 0xffff);
}

function rd(c: Cpu, lin: number, s: number): number {
  return s === 1 ? lr8(c, lin) : s === 2 ? lr16(c, lin) : s === 4 ? lr32(c, lin) : lr64(c, lin);
}

function wr(c: Cpu, lin: number, s: number, lo: number, hi: number): void {
  if (s === 1) lw8(c, lin, lo);
  else if (s === 2) lw16(c, lin, lo);
  else if (s === 4) lw32(c, lin, lo);
  else lw64(c, lin, lo, hi);
}

function accRead(c: Cpu, s: number): number {
  return s === 1 ? c.gpr[0] & 0xff : getReg(c, 0, s);
}

function accWrite(c: Cpu, s: number, lo: number, hi: number): void {
  if (s === 1) setR8(c, 0, lo);
  else setReg(c, 0, s, lo, hi);
}

/**
 * REP STOS forward through a flat ES: whole runs within a page that hits
 * the write TLB are filled at once (same registers, memory and
 * bookkeeping as element by element; a hit implies a canonical address
 * and a RAM frame without decoded code). Stops at a TLB miss or a
 * misaligned element, leaving the rest to the element loop. Returns the
 * iterations left in this chunk.
 */
function stosBulk(c: Cpu, s: number, as: number, n: number): number {
  const g = c.gpr;
  const v = g[0], vh = g[1];
  while (n > 0) {
    const cnt = getIdx(c, 1, as);
    if (cnt === 0) return n;
    const lin = getIdx(c, 7, as);
    const o = lin & 0xfff;
    const x = (lin >>> 12) & TMASK;
    if (c.wTag[x] !== lin - o || (o & (s - 1)) !== 0) return n;
    const m = Math.min(cnt, (4096 - o) / s, n);
    if (s === 1) c.wMem[x].fill(v & 0xff, o, o + m);
    else if (s === 2) {
      const b = c.wMem[x], lo = v & 0xff, hi = (v >>> 8) & 0xff;
      for (let k = o, end = o + 2 * m; k < end; k += 2) {
        b[k] = lo;
        b[k + 1] = hi;
      }
    } else if (s === 4 || v === vh) c.wMem32[x].fill(v, o >> 2, (o >> 2) + (m * s >> 2));
    else {
      const w = c.wMem32[x];
      for (let k = o >> 2, end = k + 2 * m; k < end; k += 2) {
        w[k] = v;
        w[k + 1] = vh;
      }
    }
    addIdx(c, 7, as, m * s);
    addIdx(c, 1, as, -m);
    n -= m;
  }
  return n;
}

/**
 * REP MOVS forward with flat source and ES: whole runs within a page that
 * hits the read TLB (source) and the write TLB (destination) are copied at
 * once, with the same registers and memory as element by element. A
 * destination overlapping the source from above (where copying element by
 * element repeats the pattern, unlike a block copy) is left to the element
 * loop, as are TLB misses and misaligned elements. Returns the iterations
 * left in this chunk.
 */
function movsBulk(c: Cpu, s: number, as: number, n: number): number {
  while (n > 0) {
    const cnt = getIdx(c, 1, as);
    if (cnt === 0) return n;
    const src = getIdx(c, 6, as), dst = getIdx(c, 7, as);
    const so = src & 0xfff, dof = dst & 0xfff;
    const xs = (src >>> 12) & TMASK, xd = (dst >>> 12) & TMASK;
    if (c.rTag[xs] !== src - so || c.wTag[xd] !== dst - dof || ((so | dof) & (s - 1)) !== 0) {
      return n;
    }
    const m = Math.min(cnt, (4096 - Math.max(so, dof)) / s, n);
    const from = c.rMem[xs], to = c.wMem[xd], bytes = m * s;
    if (from.buffer === to.buffer) {
      const a = from.byteOffset + so, b = to.byteOffset + dof;
      if (b > a && b < a + bytes) return n;
    }
    to.set(from.subarray(so, so + bytes), dof);
    addIdx(c, 6, as, bytes);
    addIdx(c, 7, as, bytes);
    addIdx(c, 1, as, -m);
    n -= m;
  }
  return n;
}

/**
 * The string handler. i.x: 0 MOVS, 1 CMPS, 2 STOS, 3 LODS, 4 SCAS,
 * 5 INS, 6 OUTS; i.y = 1 for the byte form.
 */
export function strop(c: Cpu, i: Insn): void {
  const s = i.y === 1 ? 1 : i.osz;
  const as = i.addrSize;
  const k = i.x;
  const rep = i.rep;
  const d = (c.fl & 0x400) !== 0 ? -s : s;
  const g = c.gpr;
  if (k >= 5) ioCheck(c, g[4] & 0xffff, s);
  c.repBreak = false;
  let n = REP_CHUNK;
  // Forward REP STOS / MOVS through flat segments: page runs at once.
  const bulk = rep !== 0 && d > 0 && as !== 16 && (c.sflat[0] & 2) !== 0 &&
    (k === 2 || (k === 0 && (c.sflat[i.seg] & 1) !== 0));
  if (bulk) {
    n = k === 2 ? stosBulk(c, s, as, n) : movsBulk(c, s, as, n);
    if (n === 0 && getIdx(c, 1, as) !== 0) {
      c.rip = c.ip0; // continue later (interrupt window)
      return;
    }
  }
  for (;;) {
    if (rep !== 0) {
      if (getIdx(c, 1, as) === 0) return;
    }
    switch (k) {
      case 0: {
        const v = rd(c, la(c, i.seg, getIdx(c, 6, as), s, 1), s);
        wr(c, la(c, 0, getIdx(c, 7, as), s, 2), s, v, c.hi);
        addIdx(c, 6, as, d);
        addIdx(c, 7, as, d);
        break;
      }
      case 1: {
        const a = rd(c, la(c, i.seg, getIdx(c, 6, as), s, 1), s);
        const ah = c.hi;
        const b = rd(c, la(c, 0, getIdx(c, 7, as), s, 1), s);
        c.alu.cmp(s, a, s === 8 ? ah : 0, b, s === 8 ? c.hi : 0);
        addIdx(c, 6, as, d);
        addIdx(c, 7, as, d);
        break;
      }
      case 2: {
        const v = accRead(c, s);
        wr(c, la(c, 0, getIdx(c, 7, as), s, 2), s, v, s === 8 ? g[1] : 0);
        addIdx(c, 7, as, d);
        break;
      }
      case 3: {
        const v = rd(c, la(c, i.seg, getIdx(c, 6, as), s, 1), s);
        accWrite(c, s, v, c.hi);
        addIdx(c, 6, as, d);
        break;
      }
      case 4: {
        const b = rd(c, la(c, 0, getIdx(c, 7, as), s, 1), s);
        const bh = c.hi;
        const a = accRead(c, s);
        c.alu.cmp(s, a, s === 8 ? g[1] : 0, b, s === 8 ? bh : 0);
        addIdx(c, 7, as, d);
        break;
      }
      case 5: {
        const lin = la(c, 0, getIdx(c, 7, as), s, 2);
        probeWrite(c, lin); // check the destination before the port read (SDM INS)
        const v = portIn(c, g[4] & 0xffff, s, i, lin, rep !== 0);
        wr(c, lin, s, v, 0);
        addIdx(c, 7, as, d);
        break;
      }
      default: {
        const lin = la(c, i.seg, getIdx(c, 6, as), s, 1);
        const v = rd(c, lin, s);
        portOut(c, g[4] & 0xffff, s, v, i, lin, rep !== 0);
        addIdx(c, 6, as, d);
      }
    }
    if (rep === 0) return;
    addIdx(c, 1, as, -1);
    if ((k === 1 || k === 4) && c.alu.cond(4) !== (rep === 1)) return; // REPE stops on NE, REPNE on E
    if (getIdx(c, 1, as) === 0) return;
    if (--n === 0 || c.repBreak) {
      // The chunk is done, or something is due after this iteration
      // (Vcpu.endStringIteration): continue later.
      c.repBreak = false;
      c.rip = c.ip0; // continue later (interrupt window)
      return;
    }
    if (bulk) {
      // The element just moved filled the TLB: the rest of the page goes at once.
      n = k === 2 ? stosBulk(c, s, as, n) : movsBulk(c, s, as, n);
      if (getIdx(c, 1, as) === 0) return; // done, as the element loop ends
      if (n === 0) {
        c.rip = c.ip0;
        return;
      }
    }
  }
}
