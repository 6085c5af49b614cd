/**
 * The PVH boot protocol for an uncompressed ELF kernel (Linux `vmlinux`
 * built with CONFIG_PVH), as QEMU's `-kernel vmlinux` does it: the kernel's
 * PT_LOAD segments at their physical addresses, entry at the 32-bit physical
 * address of its XEN_ELFNOTE_PHYS32_ENTRY note (type 18, owner "Xen"), in
 * 32-bit protected mode with paging off, flat CS/DS/ES/SS, TR a busy 32-bit
 * TSS (base 0, limit 0x67) and EBX = the physical address of an
 * hvm_start_info (version 1: command line, one module = the initrd, the
 * memory map, the RSDP address or 0 to scan). Layout of the structures:
 * Xen's public header `arch-x86/hvm/start_info.h`.
 *
 * Skipping the bzImage decompressor this way saves its billions of
 * instructions (an XZ-compressed kernel decompresses in the guest).
 *
 * @module
 */

import type { GuestMemory } from "../../mm/types.ts";
import {
  AR_CODE32,
  CR0_ET,
  CR0_PE,
  type EntryState,
  flatSegments,
  gprsWith,
  Reg,
  segment,
} from "../entry_state.ts";
import { parseElf } from "../elf.ts";
import type { LoadResult } from "../multiboot.ts";
import { place, type PlacedRange, zeroFill } from "../placement.ts";
import { e820Map, lowRamEnd } from "./e820.ts";
import type { LinuxImageError } from "./setup_header.ts";

/** hvm_start_info.magic. */
export const PVH_START_MAGIC = 0x336ec578;
/** XEN_ELFNOTE_PHYS32_ENTRY. */
export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
/** Where the GDT goes (null, code 0x08, data 0x10, TSS 0x18). */
export const PVH_GDT_ADDR = 0x1000;
/** Where hvm_start_info goes (the module list follows at +0x40, the memory map at +0x100). */
export const PVH_START_INFO_ADDR = 0x7000;
/** Where the command line goes. */
export const PVH_CMDLINE_ADDR = 0x20000;
/** Longest command line accepted (Linux's COMMAND_LINE_SIZE on x86 is 2048 with the NUL). */
export const PVH_CMDLINE_MAX = 2047;
/** The initrd stays below 2 GiB (the bzImage protocol's usual initrd_addr_max). */
const PVH_INITRD_LIMIT = 0x80000000;

/** Options of {@link loadPvh}. */
export interface PvhOptions {
  /** Kernel command line. */
  readonly cmdline?: string;
  /** The initrd, passed as the first module. */
  readonly initrd?: Uint8Array;
  /** Physical address of the ACPI RSDP, or 0 to let the kernel scan for it. */
  readonly acpiRsdp?: number;
}

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/**
 * The PVH entry point from the image's PT_NOTE segments, or null if the
 * image is not an ELF file or has no XEN_ELFNOTE_PHYS32_ENTRY note.
 */
export function findPvhEntry(image: Uint8Array): number | null {
  if (image.length < 0x40 || u32(image, 0) !== 0x464c457f) return null;
  const is64 = image[4] === 2;
  const phoff = is64 ? u32(image, 0x20) + u32(image, 0x24) * 0x100000000 : u32(image, 0x1c);
  const phentsize = u16(image, is64 ? 0x36 : 0x2a);
  const phnum = u16(image, is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + (is64 ? 0x38 : 0x20) > image.length) return null;
    if (u32(image, ph) !== 4) continue; // PT_NOTE
    const off = is64 ? u32(image, ph + 8) : u32(image, ph + 4);
    const size = is64 ? u32(image, ph + 0x20) : u32(image, ph + 0x10);
    let n = off;
    const end = Math.min(off + size, image.length);
    while (n + 12 <= end) {
      const namesz = u32(image, n);
      const descsz = u32(image, n + 4);
      const type = u32(image, n + 8);
      const name = n + 12;
      const desc = name + Math.ceil(namesz / 4) * 4;
      if (desc + descsz > end) break;
      const owner = new TextDecoder().decode(image.subarray(name, name + Math.max(0, namesz - 1)));
      if (owner === "Xen" && type === XEN_ELFNOTE_PHYS32_ENTRY && descsz >= 4) {
        return u32(image, desc);
      }
      n = desc + Math.ceil(descsz / 4) * 4;
    }
  }
  return null;
}

function fail(error: LinuxImageError): LoadResult {
  return { ok: false, error: { kind: "linux", error } };
}

/** GDT: null, flat 32-bit code (0x08), flat data (0x10), busy 32-bit TSS base 0 limit 0x67 (0x18). */
function gdtBytes(): Uint8Array {
  const out = new Uint8Array(32);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, 0x0000ffff, true);
  dv.setUint32(12, 0x00cf9a00, true);
  dv.setUint32(16, 0x0000ffff, true);
  dv.setUint32(20, 0x00cf9200, true);
  dv.setUint32(24, 0x00000067, true);
  dv.setUint32(28, 0x00008b00, true);
  return out;
}

/** Load an ELF kernel with a PVH entry note, its command line and initrd. */
export function loadPvh(image: Uint8Array, memory: GuestMemory, opts: PvhOptions = {}): LoadResult {
  const entry = findPvhEntry(image);
  if (entry === null) {
    return fail({
      kind: "linux-bad-header",
      reason: "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)",
    });
  }
  const er = parseElf(image);
  if (!er.ok) return { ok: false, error: er.error };
  const ram = memory.ramSize;
  const e820 = e820Map(ram);
  const cmdline = new TextEncoder().encode(opts.cmdline ?? "");
  if (cmdline.length > PVH_CMDLINE_MAX) {
    return fail({ kind: "linux-cmdline-too-long", length: cmdline.length, max: PVH_CMDLINE_MAX });
  }
  const placed: PlacedRange[] = [];
  const gdt = gdtBytes();
  const info = new Uint8Array(0x100 + 24 * e820.length);
  const fixed: PlacedRange[] = [
    { what: "PVH GDT", addr: PVH_GDT_ADDR, size: gdt.length },
    { what: "hvm_start_info", addr: PVH_START_INFO_ADDR, size: info.length },
    { what: "command line", addr: PVH_CMDLINE_ADDR, size: cmdline.length + 1 },
  ];
  for (const s of er.elf.segments) {
    fixed.push({ what: `ELF segment ${s.index}`, addr: s.paddr, size: s.memsz });
  }
  for (const r of fixed) {
    if (place(placed, r, ram)) {
      return fail({
        kind: "linux-no-room",
        what: r.what,
        addr: r.addr,
        size: r.size,
        ramSize: ram,
      });
    }
  }
  if (!er.elf.segments.some((s) => entry >= s.paddr && entry < s.paddr + s.memsz)) {
    return { ok: false, error: { kind: "entry-outside-image", entry } };
  }
  const initrd = opts.initrd ?? new Uint8Array(0);
  let initrdAddr = 0;
  if (initrd.length > 0) {
    const top = Math.min(lowRamEnd(e820), PVH_INITRD_LIMIT);
    initrdAddr = Math.floor((top - initrd.length) / 4096) * 4096;
    const lowest = placed.reduce((m, r) => Math.max(m, r.addr + r.size), 0);
    if (initrdAddr < lowest) {
      return fail({ kind: "linux-initrd-no-room", size: initrd.length, lowest, top });
    }
    placed.push({ what: "initrd", addr: initrdAddr, size: initrd.length });
  }

  // hvm_start_info (version 1), the module list at +0x40, the memory map at +0x100.
  const dv = new DataView(info.buffer);
  const put64 = (o: number, v: number): void => {
    dv.setUint32(o, v >>> 0, true);
    dv.setUint32(o + 4, Math.floor(v / 0x100000000) >>> 0, true);
  };
  dv.setUint32(0, PVH_START_MAGIC, true);
  dv.setUint32(4, 1, true); // version
  dv.setUint32(8, 0, true); // flags
  dv.setUint32(12, initrd.length > 0 ? 1 : 0, true); // nr_modules
  put64(16, initrd.length > 0 ? PVH_START_INFO_ADDR + 0x40 : 0); // modlist_paddr
  put64(24, PVH_CMDLINE_ADDR);
  put64(32, opts.acpiRsdp ?? 0);
  put64(40, PVH_START_INFO_ADDR + 0x100); // memmap_paddr
  dv.setUint32(48, e820.length, true);
  if (initrd.length > 0) {
    put64(0x40, initrdAddr);
    put64(0x48, initrd.length);
  }
  e820.forEach((e, i) => {
    const o = 0x100 + 24 * i;
    put64(o, e.addr);
    put64(o + 8, e.size);
    dv.setUint32(o + 16, e.type, true);
  });

  memory.writeBytes(PVH_GDT_ADDR, gdt);
  memory.writeBytes(PVH_START_INFO_ADDR, info);
  memory.writeBytes(PVH_CMDLINE_ADDR, cmdline);
  memory.write(PVH_CMDLINE_ADDR + cmdline.length, 1, 0);
  for (const s of er.elf.segments) {
    memory.writeBytes(s.paddr, image.subarray(s.offset, s.offset + s.filesz));
    if (s.memsz > s.filesz) zeroFill(memory, s.paddr + s.filesz, s.memsz - s.filesz);
  }
  if (initrd.length > 0) memory.writeBytes(initrdAddr, initrd);

  const segs = flatSegments(0x08, 0x10, AR_CODE32);
  segs[7] = segment(0x18, 0, 0x67, 0x8b);
  const state: EntryState = {
    mode: "protected32",
    gprs: gprsWith({ [Reg.RBX]: PVH_START_INFO_ADDR }),
    rip: entry,
    rflags: 0x2,
    cr0: CR0_PE | CR0_ET,
    cr3: 0,
    cr4: 0,
    efer: 0,
    segs,
    gdtr: { base: PVH_GDT_ADDR, limit: gdt.length - 1 },
    idtr: { base: 0, limit: 0 },
  };
  return {
    ok: true,
    entry: state,
    layout: { format: "linux", ranges: placed, infoAddr: PVH_START_INFO_ADDR, modules: [] },
  };
}
