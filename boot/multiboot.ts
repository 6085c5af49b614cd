/**
 * The Multiboot v1 loader, as QEMU's `-kernel` does it: find and validate
 * the header, load the ELF32/ELF64 program headers (or the a.out-kludge
 * range when header flag 16 is set), zero BSS, place modules and the
 * multiboot information structure, and describe the entry state: 32-bit
 * protected mode, flat 4 GiB segments, paging off, IF=0, EAX=0x2BADB002,
 * EBX = physical address of the info structure.
 *
 * Nothing is written to guest memory unless the whole image validates.
 *
 * @module
 */

import type { GuestMemory } from "../mm/types.ts";
import type { LoadError } from "./errors.ts";
import {
  AR_CODE32,
  CR0_ET,
  CR0_PE,
  type EntryState,
  flatSegments,
  gprsWith,
  Reg,
} from "./entry_state.ts";
import { entryPhysical, parseElf } from "./elf.ts";
import { findMultibootHeader, MULTIBOOT_BOOTLOADER_MAGIC } from "./multiboot_header.ts";
import {
  BOOT_CS,
  BOOT_DS,
  buildMultibootInfo,
  defaultMemoryMap,
  MBI_GDT_OFFSET,
  type MemoryMapEntry,
  multibootInfoSize,
  type PlacedModule,
} from "./multiboot_info.ts";
import { alignUp, highestEnd, place, type PlacedRange, zeroFill } from "./placement.ts";

/** A boot module (`--initrd`). */
export interface BootModule {
  /** The module's string in the info structure (path, optionally with arguments). */
  readonly name: string;
  /** The module's bytes. */
  readonly data: Uint8Array;
  /** Load address; default: the next 4 KiB boundary after what is already placed. */
  readonly addr?: number;
}

/** Options of {@link loadMultiboot}. */
export interface MultibootOptions {
  /** Kernel command line (`--append`); default empty. */
  readonly cmdline?: string;
  /** Modules (`--initrd a,b`), in order. */
  readonly modules?: readonly BootModule[];
  /** Memory map; default {@link defaultMemoryMap} of the RAM size. */
  readonly memoryMap?: readonly MemoryMapEntry[];
  /** Boot loader name; default "nestvm". */
  readonly bootLoaderName?: string;
}

/** What was loaded and where. */
export interface LoadedLayout {
  /** "elf32", "elf64" or "aout-kludge" (Multiboot), "flat", or "linux" (a bzImage). */
  readonly format: "elf32" | "elf64" | "aout-kludge" | "flat" | "linux";
  /** Every range written to guest memory. */
  readonly ranges: readonly PlacedRange[];
  /** Physical address of the multiboot info structure (boot_params for Linux, 0 for flat images). */
  readonly infoAddr: number;
  /** Modules as placed. */
  readonly modules: readonly PlacedModule[];
}

/** Result of a loader: the entry state and layout, or the reason it failed. */
export type LoadResult =
  | { readonly ok: true; readonly entry: EntryState; readonly layout: LoadedLayout }
  | { readonly ok: false; readonly error: LoadError };

interface Chunk {
  readonly range: PlacedRange;
  readonly bytes: Uint8Array;
}

function fail(error: LoadError): LoadResult {
  return { ok: false, error };
}

/** Load a Multiboot v1 kernel image into `memory`. */
export function loadMultiboot(
  image: Uint8Array,
  memory: GuestMemory,
  opts: MultibootOptions = {},
): LoadResult {
  const hr = findMultibootHeader(image);
  if (!hr.ok) return fail(hr.error);
  const header = hr.header;
  const ram = memory.ramSize;
  const placed: PlacedRange[] = [];
  const chunks: Chunk[] = [];
  let entry: number;
  let format: LoadedLayout["format"];

  if (header.aout) {
    const a = header.aout;
    format = "aout-kludge";
    if (a.loadAddr > a.headerAddr) {
      return fail({ kind: "bad-aout-addresses", reason: "load_addr is above header_addr" });
    }
    const fileStart = header.offset - (a.headerAddr - a.loadAddr);
    if (fileStart < 0) {
      return fail({
        kind: "bad-aout-addresses",
        reason: "header_addr - load_addr exceeds the header's offset in the file",
      });
    }
    let loadSize: number;
    if (a.loadEndAddr === 0) loadSize = image.length - fileStart;
    else if (a.loadEndAddr < a.loadAddr) {
      return fail({ kind: "bad-aout-addresses", reason: "load_end_addr is below load_addr" });
    } else loadSize = a.loadEndAddr - a.loadAddr;
    if (fileStart + loadSize > image.length) {
      return fail({
        kind: "truncated",
        what: "a.out kludge load range",
        needed: fileStart + loadSize,
        available: image.length,
      });
    }
    const loadEnd = a.loadAddr + loadSize;
    let bssEnd = loadEnd;
    if (a.bssEndAddr !== 0) {
      if (a.bssEndAddr < loadEnd) {
        return fail({ kind: "bad-aout-addresses", reason: "bss_end_addr is below the loaded end" });
      }
      bssEnd = a.bssEndAddr;
    }
    const what = "kernel image";
    const err = place(placed, { what, addr: a.loadAddr, size: bssEnd - a.loadAddr }, ram);
    if (err) return fail(err);
    chunks.push({
      range: { what, addr: a.loadAddr, size: bssEnd - a.loadAddr },
      bytes: image.subarray(fileStart, fileStart + loadSize),
    });
    entry = a.entryAddr;
    if (entry < a.loadAddr || entry >= bssEnd) return fail({ kind: "entry-outside-image", entry });
  } else {
    const er = parseElf(image);
    if (!er.ok) return fail(er.error);
    const elf = er.elf;
    format = elf.bits === 64 ? "elf64" : "elf32";
    for (const s of elf.segments) {
      const range = { what: `ELF segment ${s.index}`, addr: s.paddr, size: s.memsz };
      const err = place(placed, range, ram);
      if (err) return fail(err);
      chunks.push({ range, bytes: image.subarray(s.offset, s.offset + s.filesz) });
    }
    entry = entryPhysical(elf);
    if (entry < 0 || entry > 0xffffffff) {
      return fail({
        kind: "entry-outside-image",
        entry: Number(elf.entry > 0xfffffffffffffn ? 0xfffffffffffffn : elf.entry),
      });
    }
  }

  // Modules: explicit addresses first, then each following what is placed.
  const modules: PlacedModule[] = [];
  const moduleChunks: Chunk[] = [];
  const mods = opts.modules ?? [];
  for (let i = 0; i < mods.length; i++) {
    const m = mods[i];
    const addr = m.addr ?? alignUp(highestEnd(placed), 4096);
    const range = { what: `module ${i} (${m.name})`, addr, size: m.data.length };
    const err = place(placed, range, ram);
    if (err) return fail(err);
    modules.push({ start: addr, end: addr + m.data.length, string: m.name });
    moduleChunks.push({ range, bytes: m.data });
  }

  const inputs = {
    cmdline: opts.cmdline ?? "",
    bootLoaderName: opts.bootLoaderName ?? "nestvm",
    modules,
    memoryMap: opts.memoryMap ?? defaultMemoryMap(ram),
  };
  // The info block goes after everything placed; if that does not fit
  // (a kernel loaded at the top of RAM), into low memory at 0x1000.
  const infoSize = multibootInfoSize(inputs);
  let infoAddr = alignUp(highestEnd(placed), 4096);
  let infoErr: LoadError | null = null;
  for (const candidate of [infoAddr, 0x1000]) {
    const range = { what: "multiboot info", addr: candidate, size: infoSize };
    if (candidate + infoSize > 0x100000000) {
      infoErr = { kind: "outside-memory", ...range, ramSize: ram };
      continue;
    }
    infoErr = place(placed, range, ram);
    if (!infoErr) {
      infoAddr = candidate;
      break;
    }
  }
  if (infoErr) return fail(infoErr);
  const info = buildMultibootInfo(infoAddr, inputs);

  // Everything validated: write guest memory.
  for (const c of [...chunks, ...moduleChunks]) {
    memory.writeBytes(c.range.addr, c.bytes);
    if (c.range.size > c.bytes.length) {
      zeroFill(memory, c.range.addr + c.bytes.length, c.range.size - c.bytes.length);
    }
  }
  memory.writeBytes(infoAddr, info);

  const state: EntryState = {
    mode: "protected32",
    gprs: gprsWith({ [Reg.RAX]: MULTIBOOT_BOOTLOADER_MAGIC, [Reg.RBX]: infoAddr }),
    rip: entry,
    rflags: 0x2,
    cr0: CR0_PE | CR0_ET,
    cr3: 0,
    cr4: 0,
    efer: 0,
    segs: flatSegments(BOOT_CS, BOOT_DS, AR_CODE32),
    gdtr: { base: infoAddr + MBI_GDT_OFFSET, limit: 23 },
    idtr: { base: 0, limit: 0 },
  };
  return { ok: true, entry: state, layout: { format, ranges: placed, infoAddr, modules } };
}
