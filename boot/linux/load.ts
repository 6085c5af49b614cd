/**
 * Booting a Linux bzImage without firmware, as QEMU's `-kernel -initrd
 * -append` does it for a kernel that takes the 32- or 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst): the protected-mode kernel is loaded at
 * 0x100000, boot_params ("zero page") at 0x10000, the command line at
 * 0x20000, the initrd page aligned at the top of low RAM below
 * initrd_addr_max, and a GDT with __BOOT_CS = 0x10 and __BOOT_DS = 0x18.
 *
 * 64-bit entry (xloadflags XLF_KERNEL_64, protocol 2.12+, the default when
 * offered): long mode with identity-mapped page tables for the low 4 GiB,
 * RIP = load address + 0x200, RSI = boot_params, interrupts off. 32-bit
 * entry: protected mode with paging off, EIP = load address, ESI =
 * boot_params, EBP = EDI = EBX = 0.
 *
 * Nothing is written to guest memory unless everything fits.
 *
 * @module
 */

import type { GuestMemory } from "../../mm/types.ts";
import {
  AR_CODE32,
  AR_CODE64,
  CR0_ET,
  CR0_PE,
  CR0_PG,
  CR4_PAE,
  EFER_LMA,
  EFER_LME,
  type EntryState,
  flatSegments,
  gprsWith,
  Reg,
} from "../entry_state.ts";
import type { LoadResult } from "../multiboot.ts";
import { place, type PlacedRange } from "../placement.ts";
import { buildBootParams } from "./boot_params.ts";
import { e820Map, lowRamEnd } from "./e820.ts";
import { type LinuxImageError, parseSetupHeader, XLF_KERNEL_64 } from "./setup_header.ts";

/** Where the loader's GDT goes. */
export const LINUX_GDT_ADDR = 0x1000;
/** Where the PML4 goes (then the PDPT and four page directories, 0x2000-0x7fff). */
export const LINUX_PML4_ADDR = 0x2000;
/** Where boot_params goes. */
export const LINUX_BOOT_PARAMS_ADDR = 0x10000;
/** Where the command line goes. */
export const LINUX_CMDLINE_ADDR = 0x20000;
/** Where the protected-mode kernel is loaded. */
export const LINUX_KERNEL_ADDR = 0x100000;
/** __BOOT_CS of the boot protocol. */
export const LINUX_BOOT_CS = 0x10;
/** __BOOT_DS of the boot protocol. */
export const LINUX_BOOT_DS = 0x18;

/** Options of {@link loadLinux}. */
export interface LinuxOptions {
  /** Kernel command line. */
  readonly cmdline?: string;
  /** The initrd (initramfs) bytes, or none. */
  readonly initrd?: Uint8Array;
  /** Entry protocol: 64-bit if the kernel offers it ("auto", the default), or forced. */
  readonly entry?: "auto" | "32" | "64";
  /** Physical address of the ACPI RSDP for boot_params (protocol 2.14+); default 0 (scan). */
  readonly acpiRsdp?: number;
}

function fail(error: LinuxImageError): LoadResult {
  return { ok: false, error: { kind: "linux", error } };
}

const GDT = [
  [0, 0],
  [0, 0],
  [0x0000ffff, 0x00cf9a00], // 0x10: flat 32-bit code (patched to 64-bit for long-mode entry)
  [0x0000ffff, 0x00cf9200], // 0x18: flat data
];

function gdtBytes(long: boolean): Uint8Array {
  const out = new Uint8Array(GDT.length * 8);
  const dv = new DataView(out.buffer);
  GDT.forEach(([lo, hi], i) => {
    dv.setUint32(8 * i, lo, true);
    // L=1, D=0 for the 64-bit code segment.
    dv.setUint32(8 * i + 4, long && i === 2 ? 0x00af9a00 : hi, true);
  });
  return out;
}

/** PML4, PDPT and four page directories of 2 MiB pages mapping [0, 4 GiB) 1:1. */
function identityTables(base: number): Uint8Array {
  const out = new Uint8Array(6 * 4096);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, base + 4096 + 3, true);
  for (let i = 0; i < 4; i++) dv.setUint32(4096 + 8 * i, base + (2 + i) * 4096 + 3, true);
  for (let i = 0; i < 2048; i++) {
    const pa = i * 0x200000;
    dv.setUint32(2 * 4096 + 8 * i, (pa >>> 0) | 0x83, true);
    dv.setUint32(2 * 4096 + 8 * i + 4, Math.floor(pa / 0x100000000), true);
  }
  return out;
}

/** Load a bzImage, its command line and initrd, and describe the entry state. */
export function loadLinux(
  image: Uint8Array,
  memory: GuestMemory,
  opts: LinuxOptions = {},
): LoadResult {
  const hr = parseSetupHeader(image);
  if (!hr.ok) return fail(hr.error);
  const h = hr.header;
  const long64 = opts.entry === "64" ||
    (opts.entry !== "32" && (h.xloadflags & XLF_KERNEL_64) !== 0);
  if (long64 && (h.xloadflags & XLF_KERNEL_64) === 0) {
    return fail({
      kind: "linux-bad-header",
      reason: "64-bit entry asked for, but xloadflags lacks XLF_KERNEL_64",
    });
  }
  const ram = memory.ramSize;
  const e820 = e820Map(ram);
  const cmdline = new TextEncoder().encode(opts.cmdline ?? "");
  if (cmdline.length > h.cmdlineSize) {
    return fail({ kind: "linux-cmdline-too-long", length: cmdline.length, max: h.cmdlineSize });
  }
  if (cmdline.includes(0)) {
    return fail({ kind: "linux-bad-header", reason: "the command line contains a NUL byte" });
  }

  const placed: PlacedRange[] = [];
  const pm = image.subarray(h.kernelOffset);
  // The kernel decompresses in place: it needs init_size bytes from its load address.
  const kernelSpan = Math.max(pm.length, h.initSize);
  const gdt = gdtBytes(long64);
  const tables = long64 ? identityTables(LINUX_PML4_ADDR) : null;
  const ranges: PlacedRange[] = [
    { what: "boot GDT", addr: LINUX_GDT_ADDR, size: gdt.length },
    ...(tables
      ? [{ what: "identity page tables", addr: LINUX_PML4_ADDR, size: tables.length }]
      : []),
    { what: "boot_params", addr: LINUX_BOOT_PARAMS_ADDR, size: 4096 },
    { what: "command line", addr: LINUX_CMDLINE_ADDR, size: cmdline.length + 1 },
    { what: "kernel (init_size)", addr: LINUX_KERNEL_ADDR, size: kernelSpan },
  ];
  for (const r of ranges) {
    const e = place(placed, r, ram);
    if (e) {
      return fail({
        kind: "linux-no-room",
        what: r.what,
        addr: r.addr,
        size: r.size,
        ramSize: ram,
      });
    }
  }

  const initrd = opts.initrd ?? new Uint8Array(0);
  let initrdAddr = 0;
  if (initrd.length > 0) {
    const top = Math.min(lowRamEnd(e820), h.initrdAddrMax + 1);
    initrdAddr = Math.floor((top - initrd.length) / 4096) * 4096;
    const kernelEnd = LINUX_KERNEL_ADDR + kernelSpan;
    if (initrdAddr < kernelEnd) {
      return fail({
        kind: "linux-initrd-no-room",
        size: initrd.length,
        lowest: kernelEnd,
        top,
      });
    }
    placed.push({ what: "initrd", addr: initrdAddr, size: initrd.length });
  }

  const bootParams = buildBootParams({
    image,
    headerEnd: h.headerEnd,
    version: h.version,
    e820,
    cmdlineAddr: LINUX_CMDLINE_ADDR,
    initrdAddr,
    initrdSize: initrd.length,
    acpiRsdp: opts.acpiRsdp ?? 0,
  });

  // Everything fits: write guest memory.
  memory.writeBytes(LINUX_GDT_ADDR, gdt);
  if (tables) memory.writeBytes(LINUX_PML4_ADDR, tables);
  memory.writeBytes(LINUX_BOOT_PARAMS_ADDR, bootParams);
  memory.writeBytes(LINUX_CMDLINE_ADDR, cmdline);
  memory.write(LINUX_CMDLINE_ADDR + cmdline.length, 1, 0);
  memory.writeBytes(LINUX_KERNEL_ADDR, pm);
  if (initrd.length > 0) memory.writeBytes(initrdAddr, initrd);

  const gdtr = { base: LINUX_GDT_ADDR, limit: gdt.length - 1 };
  const idtr = { base: 0, limit: 0 };
  const segs = flatSegments(LINUX_BOOT_CS, LINUX_BOOT_DS, long64 ? AR_CODE64 : AR_CODE32);
  const entry: EntryState = long64
    ? {
      mode: "long64",
      gprs: gprsWith({ [Reg.RSI]: LINUX_BOOT_PARAMS_ADDR }),
      rip: LINUX_KERNEL_ADDR + 0x200,
      rflags: 0x2,
      cr0: CR0_PE | CR0_ET | CR0_PG,
      cr3: LINUX_PML4_ADDR,
      cr4: CR4_PAE,
      efer: EFER_LME | EFER_LMA,
      segs,
      gdtr,
      idtr,
    }
    : {
      mode: "protected32",
      gprs: gprsWith({ [Reg.RSI]: LINUX_BOOT_PARAMS_ADDR }),
      rip: LINUX_KERNEL_ADDR,
      rflags: 0x2,
      cr0: CR0_PE | CR0_ET,
      cr3: 0,
      cr4: 0,
      efer: 0,
      segs,
      gdtr,
      idtr,
    };
  return {
    ok: true,
    entry,
    layout: { format: "linux", ranges: placed, infoAddr: LINUX_BOOT_PARAMS_ADDR, modules: [] },
  };
}
