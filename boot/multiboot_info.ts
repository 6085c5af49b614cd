/**
 * The Multiboot v1 information structure (Multiboot Specification 0.6.96,
 * section 3.3) that the loader builds in guest memory, with the strings,
 * module list, memory map and a flat GDT the entry state points at.
 *
 * @module
 */

import { PC_LOW_RAM_LIMIT } from "../mm/regions.ts";

/** info.flags bit: mem_lower/mem_upper valid. */
export const MBI_MEMORY = 1 << 0;
/** info.flags bit: cmdline valid. */
export const MBI_CMDLINE = 1 << 2;
/** info.flags bit: mods_count/mods_addr valid. */
export const MBI_MODS = 1 << 3;
/** info.flags bit: mmap_length/mmap_addr valid. */
export const MBI_MMAP = 1 << 6;
/** info.flags bit: boot_loader_name valid. */
export const MBI_LOADER_NAME = 1 << 9;

/** Size of the fixed info structure (up to the framebuffer fields). */
export const MBI_SIZE = 120;
/** Offset of the GDT the loader leaves for the guest, inside the info block. */
export const MBI_GDT_OFFSET: number = MBI_SIZE;
/** Selector of the flat 32-bit code segment in that GDT. */
export const BOOT_CS = 0x08;
/** Selector of the flat data segment in that GDT. */
export const BOOT_DS = 0x10;

/** A memory-map entry (type 1 = available RAM, 2 = reserved). */
export interface MemoryMapEntry {
  /** Physical base address. */
  readonly base: number;
  /** Length in bytes. */
  readonly length: number;
  /** 1 available RAM, 2 reserved. */
  readonly type: number;
}

/** A module already placed in guest memory. */
export interface PlacedModule {
  /** mod_start: first byte. */
  readonly start: number;
  /** mod_end: one past the last byte. */
  readonly end: number;
  /** The module's string (typically its path and arguments). */
  readonly string: string;
}

/** Where low RAM ends and continues above 4 GiB: mm's `pcRamLayout`, the machine's layout. */
const LOW_RAM_LIMIT = PC_LOW_RAM_LIMIT;

/**
 * The default PC memory map for `ramSize` bytes of RAM: 639 KiB of base
 * memory, the EBDA/ROM area reserved, RAM from 1 MiB, and RAM beyond 3 GiB
 * continued above 4 GiB.
 */
export function defaultMemoryMap(ramSize: number): MemoryMapEntry[] {
  const map: MemoryMapEntry[] = [
    { base: 0, length: Math.min(ramSize, 0x9fc00), type: 1 },
    { base: 0x9fc00, length: 0x400, type: 2 },
    { base: 0xf0000, length: 0x10000, type: 2 },
  ];
  if (ramSize > 0x100000) {
    map.push({ base: 0x100000, length: Math.min(ramSize, LOW_RAM_LIMIT) - 0x100000, type: 1 });
  }
  if (ramSize > LOW_RAM_LIMIT) {
    map.push({ base: 0x100000000, length: ramSize - LOW_RAM_LIMIT, type: 1 });
  }
  return map;
}

/** mem_lower / mem_upper in KiB as the spec defines them, from a memory map. */
export function memLowerUpper(map: readonly MemoryMapEntry[]): { lower: number; upper: number } {
  let lower = 0;
  let upper = 0;
  for (const e of map) {
    if (e.type !== 1) continue;
    if (e.base === 0) lower = Math.min(e.length, 0xa0000) >>> 10;
    // mem_upper: the contiguous RAM starting at 1 MiB.
    if (e.base === 0x100000) upper = Math.min(e.length, 0xffffffff - 0x100000) >>> 10;
  }
  return { lower, upper };
}

const encoder = new TextEncoder();

/** Inputs to {@link buildMultibootInfo}. */
export interface InfoInputs {
  /** Kernel command line. */
  readonly cmdline: string;
  /** Boot loader name. */
  readonly bootLoaderName: string;
  /** Modules as placed. */
  readonly modules: readonly PlacedModule[];
  /** The memory map. */
  readonly memoryMap: readonly MemoryMapEntry[];
}

/** Byte size of the info block for these inputs (see {@link buildMultibootInfo}). */
export function multibootInfoSize(inp: InfoInputs): number {
  let size = MBI_SIZE + 24 + 16 * inp.modules.length + 24 * inp.memoryMap.length;
  size += encoder.encode(inp.cmdline).length + 1;
  size += encoder.encode(inp.bootLoaderName).length + 1;
  for (const m of inp.modules) size += encoder.encode(m.string).length + 1;
  return size;
}

/**
 * Lay out the info block for physical address `base`: the info structure,
 * a 3-entry flat GDT, the module list, the memory map, then the strings.
 */
export function buildMultibootInfo(base: number, inp: InfoInputs): Uint8Array {
  const out = new Uint8Array(multibootInfoSize(inp));
  const dv = new DataView(out.buffer);
  // GDT: null, flat 32-bit code (0x08), flat data (0x10).
  const gdt = MBI_GDT_OFFSET;
  dv.setUint32(gdt + 8, 0x0000ffff, true);
  dv.setUint32(gdt + 12, 0x00cf9a00, true);
  dv.setUint32(gdt + 16, 0x0000ffff, true);
  dv.setUint32(gdt + 20, 0x00cf9200, true);
  const modsOff = gdt + 24;
  const mmapOff = modsOff + 16 * inp.modules.length;
  let strOff = mmapOff + 24 * inp.memoryMap.length;
  const putString = (s: string): number => {
    const bytes = encoder.encode(s);
    out.set(bytes, strOff);
    const addr = base + strOff;
    strOff += bytes.length + 1;
    return addr;
  };
  const { lower, upper } = memLowerUpper(inp.memoryMap);
  let flags = MBI_MEMORY | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME;
  dv.setUint32(4, lower, true);
  dv.setUint32(8, upper, true);
  dv.setUint32(16, putString(inp.cmdline), true);
  if (inp.modules.length > 0) {
    flags |= MBI_MODS;
    dv.setUint32(20, inp.modules.length, true);
    dv.setUint32(24, base + modsOff, true);
    inp.modules.forEach((m, i) => {
      const p = modsOff + 16 * i;
      dv.setUint32(p, m.start, true);
      dv.setUint32(p + 4, m.end, true);
      dv.setUint32(p + 8, putString(m.string), true);
    });
  }
  inp.memoryMap.forEach((e, i) => {
    const p = mmapOff + 24 * i;
    dv.setUint32(p, 20, true);
    dv.setBigUint64(p + 4, BigInt(e.base), true);
    dv.setBigUint64(p + 12, BigInt(e.length), true);
    dv.setUint32(p + 20, e.type, true);
  });
  dv.setUint32(44, 24 * inp.memoryMap.length, true);
  dv.setUint32(48, base + mmapOff, true);
  dv.setUint32(64, putString(inp.bootLoaderName), true);
  dv.setUint32(0, flags, true);
  return out;
}
