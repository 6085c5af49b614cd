/**
 * Debugger access to guest memory by linear address, through the paging
 * mode the vCPU is in, without side effects: the page walk reads the guest's
 * tables but never sets their accessed/dirty bits, no #PF is raised, no
 * TLB entry is filled, and MMIO is not touched (a device read can have side
 * effects). Writes go to RAM only and notify the decoded-instruction cache
 * like any other write to guest memory.
 *
 * In L2 with EPT every guest-physical address (paging-structure entries and
 * the final one) goes through L1's EPT with the VMX plugin's side-effect-free
 * lookup (`GuestPhysicalTranslator.peekGpa`); without that lookup L2 memory
 * is refused (`translateGpa` fills caches, sets EPT accessed/dirty flags and
 * records faults).
 *
 * @module
 */

import type { Cpu } from "../../cpu/cpu.ts";
import { walk, type WalkMemory } from "../../mm/walk.ts";
import {
  ACCESS_AC,
  type GpaTranslator,
  MODE_4LEVEL,
  MODE_5LEVEL,
  WalkResult,
} from "../../mm/paging_types.ts";

/** The memory operations the debugger needs (PhysicalMemory provides them). */
export interface DebugPhysMemory {
  /** Region kind at a physical address (undefined: hole). */
  regionAt(addr: number): { readonly kind: string } | undefined;
  /** Copy bytes out. */
  readBytes(addr: number, length: number): Uint8Array;
  /** Copy bytes in. */
  writeBytes(addr: number, data: Uint8Array): void;
  /** Read 4 bytes. */
  read32(addr: number): number;
}

/** Outcome of a debugger memory access. */
export type MemoryAccess =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly at: number; readonly why: string };

const result = new WalkResult();

/** A view of memory whose writes are dropped: the walk cannot set A/D bits. */
function readOnly(mem: DebugPhysMemory): WalkMemory {
  return { read32: (a) => mem.read32(a), write32: () => {} };
}

/**
 * Translate a linear address as the vCPU would for a supervisor access,
 * without side effects. Returns the physical address or a reason.
 */
export function peekTranslate(cpu: Cpu, mem: DebugPhysMemory, lin: number): number | string {
  const mode = cpu.pctx.mode;
  const bits = mode === MODE_5LEVEL ? 57 : mode === MODE_4LEVEL ? 48 : 0;
  if (bits === 0 ? lin < 0 || lin >= 2 ** 32 : lin < -(2 ** (bits - 1)) || lin >= 2 ** (bits - 1)) {
    return `linear 0x${lin.toString(16)} is outside the address space of the paging mode`;
  }
  const gp = cpu.nonRoot ? cpu.guestPhysical : null;
  let xlate: GpaTranslator | null = null;
  if (gp !== null) {
    if (gp.peekGpa === undefined) return "L2 memory under EPT has no side-effect-free lookup";
    xlate = { translateGpa: (gpa) => gp.peekGpa!(gpa) };
  }
  // Permissions are the debugger's, not the guest's: a supervisor read with
  // EFLAGS.AC semantics (no SMAP refusal), so write-protected pages can be patched too.
  if (!walk(readOnly(mem), cpu.pctx, lin, ACCESS_AC, result, xlate)) {
    return `linear 0x${lin.toString(16)} is not mapped`;
  }
  return result.phys;
}

function ramAt(mem: DebugPhysMemory, pa: number, rom: boolean): boolean {
  const k = mem.regionAt(pa)?.kind;
  return k === "ram" || (rom && k === "rom");
}

/** Read `length` bytes at linear `lin`. */
export function readGuest(
  cpu: Cpu,
  mem: DebugPhysMemory,
  lin: number,
  length: number,
): MemoryAccess {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const a = lin + done;
    const pa = peekTranslate(cpu, mem, a);
    if (typeof pa === "string") return { ok: false, at: a, why: pa };
    if (!ramAt(mem, pa, true)) return { ok: false, at: a, why: "not RAM or ROM" };
    const n = Math.min(4096 - (pa % 4096), length - done);
    out.set(mem.readBytes(pa, n), done);
    done += n;
  }
  return { ok: true, bytes: out };
}

/** Write `data` at linear `lin` (RAM only). Checks every page before writing any byte. */
export function writeGuest(
  cpu: Cpu,
  mem: DebugPhysMemory,
  lin: number,
  data: Uint8Array,
): MemoryAccess {
  const pieces: [number, number, number][] = [];
  let done = 0;
  while (done < data.length) {
    const a = lin + done;
    const pa = peekTranslate(cpu, mem, a);
    if (typeof pa === "string") return { ok: false, at: a, why: pa };
    if (!ramAt(mem, pa, false)) return { ok: false, at: a, why: "not RAM" };
    const n = Math.min(4096 - (pa % 4096), data.length - done);
    pieces.push([pa, done, n]);
    done += n;
  }
  for (const [pa, off, n] of pieces) mem.writeBytes(pa, data.subarray(off, off + n));
  return { ok: true, bytes: data };
}
