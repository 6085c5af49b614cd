/**
 * The decoded-instruction cache: instructions are decoded once per
 * (physical frame, code size) and kept in a per-page array indexed by the
 * page offset. The run loop looks up the current page directly; this file
 * handles misses, page switches and instructions that cross a page.
 *
 * Invalidation: a write to a cached frame (slow write path, or mm's
 * code-write notification) drops the frame; any TLB flush or mode change
 * drops the current-page mapping.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { decode, DecodedInsn } from "./decode/mod.ts";
import { CpuFault, Vec } from "./fault.ts";
import { Acc, dropWriteFrame, fillFetched } from "./memory.ts";
import { translate } from "./paging.ts";
import { selectHandler } from "./dispatch.ts";
import { hotId } from "./hot_table.ts";
import type { VendorFlags } from "./alu/vendor_flags.ts";
import type { JitBlock } from "./jit/block.ts";

/** An instruction handler: executes `i` on `cpu` (RIP already points past it). */
export type Handler = (cpu: Cpu, i: Insn) => void;

/**
 * Fields that can hold numbers outside the small-integer range (immediates,
 * displacements). They are given a generic representation when an Insn is
 * created, so a later store of a large value never changes the object's
 * hidden class: otherwise earlier Insns keep deprecated shapes and every
 * property access in the handlers turns polymorphic.
 */
const WIDE_FIELDS = ["imm", "immHi", "imm2", "disp", "dispHi", "rel", "d64"] as const;

/** A cached decoded instruction with its handler. */
export class Insn extends DecodedInsn {
  /** The handler chosen for this op and operand form. */
  h: Handler = nop;
  /**
   * Mask applied to the next IP: 0xffff (16-bit code), -1 (32-bit code, the
   * next IP is taken mod 2^32) or 0 (64-bit code: no wrap).
   */
  ipMask: number = -1;
  /** Operand size in bytes (2, 4, 8). */
  osz = 4;
  /** 64-bit displacement as a signed number (disp with dispHi). */
  d64 = 0;
  /** Physical frame of the bytes in the next page for a page-crossing instruction, else -1. */
  frame2: number = -1;
  /**
   * For a page-crossing instruction: the `cpu.codeGen` at which the next
   * page was last found to map {@link frame2} for a fetch; at any other
   * generation the run loop fetches it through {@link fetchInsn}, which
   * checks again.
   */
  tailGen: number = -1;
  /** Direct-dispatch id of hot handlers in the run loop (`hot_table.ts`; 0 = call `h`). */
  f = 0;
  /** Effective-address shape: 0 generic, 1 64-bit base only, 2 32-bit base(+index), 3 RIP-relative, 4 64-bit base+index. */
  eaMode = 0;
  /** Handler-specific operation index (e.g. which ALU operation). */
  x = 0;
  /** Handler-specific form index (e.g. immediate vs register source). */
  y = 0;
  /** Create an empty instruction with stable field representations. */
  constructor() {
    super();
    const t = this as unknown as Record<string, unknown>;
    for (const k of WIDE_FIELDS) {
      t[k] = undefined;
      t[k] = 0;
    }
  }
  /** Block compiler: the region compiled to start here (see jit/), or null. */
  jit: JitBlock | null = null;
  /** Block compiler: times its run loop reached this instruction uncompiled. */
  heat = 0;
  /** IN/OUT with an immediate port. */
  isImmPort = false;
  /** INS/OUTS (string I/O). */
  isString = false;
}

function nop(): void {}

// Fetch state for the decoder callback (no closure allocation per decode).
let fCpu: Cpu | null = null;
let fLin = 0;
let fPa = 0;
let fLimit = 0;

function fetchByte(k: number): number {
  const cpu = fCpu!;
  const lin = fLin + k;
  if (k > fLimit) throw new CpuFault(Vec.GP, 0);
  if ((lin & 0xfff) === 0 && k > 0) {
    // Crossed into the next page.
    const pa = translate(cpu, lin, Acc.EXEC, cpu.cpl === 3);
    fillFetched(cpu, lin, pa);
    fPa = pa - k;
  }
  return cpu.memory.read8(fPa + k);
}

const MODE_IDX = { 16: 0, 32: 1, 64: 2 } as const;

/** Slots of {@link CodePageCache} (direct-mapped by linear page number). */
const CODE_SLOTS = 64;

/**
 * Recently fetched code pages by linear address: a page switch that finds
 * its linear page here (same code size and privilege class, no
 * `cpu.codeGen` change since) skips the translation and the page-map
 * lookup. `codeGen` moves on every TLB flush, INVLPG, mode change and
 * write to cached code, so an entry never outlives the translation and
 * the decoded page it was made from (it acts as a larger instruction TLB,
 * as the SDM allows: 4.10.2).
 */
export class CodePageCache {
  /** Linear address of each slot's page (NaN: empty). */
  readonly lin: Float64Array = new Float64Array(CODE_SLOTS).fill(NaN);
  /** `cpu.codeGen` when the slot was filled. */
  readonly gen: Float64Array = new Float64Array(CODE_SLOTS);
  /** Code size index * 2 + (CPL 3 ? 1 : 0). */
  readonly cls: Int8Array = new Int8Array(CODE_SLOTS);
  /** The decoded page. */
  readonly page: (Insn | undefined)[][] = new Array(CODE_SLOTS).fill([]);
  /** What a fetch depended on at the last mode change: code size, CPL 3, CS base, CS limit. */
  private ctx: number[] = [0, 0, NaN, 0];

  /**
   * A mode change (segment load, interrupt, IRET, SYSCALL...) keeps the
   * current code page, and every page of this cache, when the code size,
   * the user/supervisor class and CS base and limit stay the same (an
   * IRET within the kernel, as Linux's `sync_core` does). Returns whether
   * they stayed; otherwise records the new ones.
   */
  sameFetchContext(cpu: Cpu): boolean {
    const c = this.ctx;
    const user = cpu.cpl === 3 ? 1 : 0;
    if (
      c[0] === cpu.codeBits && c[1] === user && c[2] === cpu.sbase[1] && c[3] === cpu.smax[1]
    ) return true;
    c[0] = cpu.codeBits;
    c[1] = user;
    c[2] = cpu.sbase[1];
    c[3] = cpu.smax[1];
    return false;
  }
}

/** Slot of the linear page holding `lin`. */
function codeSlot(lin: number): number {
  return (lin >>> 12) & (CODE_SLOTS - 1);
}

/**
 * Cache miss or page switch: find (or decode) the instruction at CS:RIP.
 * Throws #GP (limit, non-canonical RIP) or #PF (fetch).
 */
export function fetchInsn(cpu: Cpu): Insn {
  const ip = cpu.rip;
  const lin = cpu.sbase[1] + ip;
  let limit = 14;
  if (cpu.is64) {
    if (lin >= 0x800000000000 || lin < -0x800000000000) throw new CpuFault(Vec.GP, 0);
  } else {
    const room = cpu.smax[1] - ip;
    if (room < 0) throw new CpuFault(Vec.GP, 0);
    if (room < limit) limit = room;
  }
  const o = lin & 0xfff;
  const bits = cpu.codeBits;
  const cls = MODE_IDX[bits] * 2 + (cpu.cpl === 3 ? 1 : 0);
  const cc = cpu.codeCache;
  const slot = codeSlot(lin);
  const wholePage = cpu.is64 || ip - o + 4095 <= cpu.smax[1];
  if (
    cc.lin[slot] === lin - o && cc.gen[slot] === cpu.codeGen && cc.cls[slot] === cls &&
    wholePage && cpu.debugHook === null
  ) {
    const page = cc.page[slot];
    const i = page[o];
    cpu.codeIp = ip - o;
    cpu.codePage = page;
    if (i !== undefined && (i.frame2 < 0 || i.tailGen === cpu.codeGen)) return i;
  }
  const pa = translate(cpu, lin, Acc.EXEC, cpu.cpl === 3);
  fillFetched(cpu, lin, pa);
  const frame = Math.floor(pa / 4096);
  const key = frame * 4 + MODE_IDX[bits];
  let page = cpu.pages.get(key);
  if (page === undefined) {
    page = new Array(4096);
    cpu.pages.set(key, page);
    if (!cpu.codeFrames.has(frame)) {
      cpu.codeFrames.add(frame);
      dropWriteFrame(cpu, frame);
      const m = cpu.memory as { markCode?: (frame: number) => void };
      if (typeof m.markCode === "function") m.markCode(frame);
    }
  }
  // The page-relative fast path is used only when the whole page is inside the CS limit.
  if (wholePage) {
    cpu.codeIp = ip - o;
    cpu.codePage = page;
    cc.lin[slot] = lin - o;
    cc.gen[slot] = cpu.codeGen;
    cc.cls[slot] = cls;
    cc.page[slot] = page;
  } else cpu.dropCodePage();
  let i = page[o];
  if (i !== undefined) {
    if (i.frame2 < 0) return cpu.debugHook === null ? i : debugFetched(cpu, lin, i, page, o);
    // Crosses into the next page: valid while that page maps the same frame.
    const pa2 = translate(cpu, lin - o + 4096, Acc.EXEC, cpu.cpl === 3);
    fillFetched(cpu, lin - o + 4096, pa2);
    if (Math.floor(pa2 / 4096) === i.frame2) {
      i.tailGen = cpu.codeGen;
      return cpu.debugHook === null ? i : debugFetched(cpu, lin, i, page, o);
    }
  }
  i = new Insn();
  fCpu = cpu;
  fLin = lin;
  fPa = pa - o + o;
  fLimit = limit;
  try {
    decode(fetchByte, bits, i);
  } finally {
    fCpu = null;
  }
  prepare(i, bits, cpu.alu.vendor);
  if (o + i.len > 4096) {
    // Cache it with the frame of its tail; a write to that frame drops this page too.
    const f2 = Math.floor((fPa + (4096 - o)) / 4096);
    i.frame2 = f2;
    i.tailGen = cpu.codeGen;
    cpu.crossFrames.set(f2, [...(cpu.crossFrames.get(f2) ?? []), key]);
    if (!cpu.codeFrames.has(f2)) {
      cpu.codeFrames.add(f2);
      dropWriteFrame(cpu, f2);
      const m = cpu.memory as { markCode?: (frame: number) => void };
      if (typeof m.markCode === "function") m.markCode(f2);
    }
  }
  page[o] = i;
  return cpu.debugHook === null ? i : debugFetched(cpu, lin, i, page, o);
}

/** Let the attached debugger put a trap in place of `i` (see debug_hook.ts). */
function debugFetched(
  cpu: Cpu,
  lin: number,
  i: Insn,
  page: (Insn | undefined)[],
  o: number,
): Insn {
  const t = cpu.debugHook!.fetched(cpu, lin, i, page, o);
  page[o] = t;
  return t;
}

/**
 * Fill the engine's derived fields and choose the handler (for the
 * undefined-flag profile `v`, the vCPU's `alu.vendor`).
 */
export function prepare(i: Insn, bits: number, v: VendorFlags): void {
  i.ipMask = bits === 16 ? 0xffff : bits === 32 ? -1 : 0;
  i.osz = i.opSize >> 3;
  const hi = i.dispHi | 0;
  i.d64 = hi === (i.disp >> 31) ? i.disp : hi * 4294967296 + (i.disp >>> 0);
  i.eaMode = 0;
  if (i.isMem !== 0) {
    if (i.addrSize === 64 && i.base >= 0 && i.index < 0) i.eaMode = 1;
    else if (i.addrSize === 32 && i.base >= 0 && i.ripRel === 0) i.eaMode = 2;
    else if (i.addrSize === 64 && i.ripRel !== 0 && i.index < 0) i.eaMode = 3;
    else if (i.addrSize === 64 && i.base >= 0 && i.index >= 0) i.eaMode = 4;
  }
  i.h = selectHandler(i, v);
  i.f = hotId(i.h);
}
