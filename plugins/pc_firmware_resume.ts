/**
 * The PC firmware's S3 resume path: what a BIOS does when the machine wakes
 * from suspend to RAM, run by the machine when main power returns
 * (`MachineOptions.resume`). The vCPUs are at their power-on state (the
 * APs wait for a startup IPI) and so is every device on main power; RAM,
 * the RTC and the ACPI wake logic kept theirs. The firmware then:
 *
 * 1. programs the 8259 pair and the 8254 as POST does
 *    (`programLegacyChips`; the real-mode IVT in RAM belongs to the
 *    operating system now and is left alone);
 * 2. finds the FACS as any ACPI consumer would: the RSDP in 0xE0000-0xFFFFF,
 *    the RSDT (or XSDT), the FADT, its X_FIRMWARE_CTRL or FIRMWARE_CTRL;
 * 3. hands the boot vCPU to the operating system's waking vector
 *    (ACPI 6.x 5.2.10, Table 5.14), with interrupts disabled and A20 on:
 *    - X_Firmware_Waking_Vector non-zero (FACS version 1 and later): with
 *      the OSPM flag 64BIT_WAKE_F (the FACS offers 64BIT_WAKE_SUPPORTED_F),
 *      64-bit mode with the first 4 GiB identity-mapped; without it, 32-bit
 *      protected mode, paging off, flat 4 GiB segments, EIP = the vector;
 *    - else Firmware_Waking_Vector non-zero: real mode at
 *      CS:IP = (vector >> 4):(vector & 0xF), the other segments 0;
 *    - else there is nothing to resume: firmware would boot afresh
 *      (outcome "boot").
 *
 * The GDT and page tables a protected-mode or 64-bit waking vector needs
 * are written in the BIOS area (0xF8000-0xFEFFF, reserved in every memory
 * map nestvm gives).
 *
 * @module
 */

import type { ResumeOutcome } from "../core/power.ts";
import type { GuestMemory } from "../core/guest_memory.ts";
import type { PhysicalMemory } from "../mm/physical.ts";
import {
  applyEntryState,
  AR_CODE32,
  AR_CODE64,
  AR_LDT,
  AR_REAL_CODE,
  AR_REAL_DATA,
  AR_TSS_BUSY,
  CR0_ET,
  CR0_PE,
  CR0_PG,
  CR4_PAE,
  EFER_LMA,
  EFER_LME,
  type EntryState,
  flatSegments,
  gprsWith,
  segment,
} from "../boot/entry_state.ts";
import type { PcMachine } from "./pc_machine.ts";
import { programLegacyChips } from "./pc_firmware.ts";

/** The firmware's GDT for a protected-mode or 64-bit waking vector. */
export const WAKE_GDT = 0xf8000;
/** Its selectors: flat 32-bit code, flat data, 64-bit code. */
export const WAKE_SELECTORS = { code32: 0x08, data: 0x10, code64: 0x18 } as const;
/** The PML4 of the identity map for a 64-bit waking vector (PDPT and four PDs follow). */
export const WAKE_PML4 = 0xf9000;
/** The 64-bit waking environment maps this much identically (2 MiB pages). */
export const WAKE_IDENTITY_BYTES = 4 * 1024 ** 3;

/** FACS flags bit: 64BIT_WAKE_SUPPORTED_F. */
const FACS_64BIT_WAKE_SUPPORTED = 1 << 1;
/** OSPM flags bit: 64BIT_WAKE_F. */
const OSPM_64BIT_WAKE = 1 << 0;

/** Where the waking vector is entered, as found in the FACS. */
export type WakingVector =
  | { readonly kind: "real"; readonly vector: number }
  | { readonly kind: "protected32"; readonly vector: number }
  | { readonly kind: "long64"; readonly vector: number }
  | { readonly kind: "none"; readonly why: string };

/**
 * What the firmware reads tables through: bytes of RAM or ROM only (never
 * an MMIO device: a table pointer the guest bent somewhere odd reads as
 * nothing).
 */
export interface FirmwareRam {
  /** `length` bytes at `addr`, or null unless every byte is RAM or ROM. */
  bytes(addr: number, length: number): Uint8Array | null;
}

/** A {@link FirmwareRam} over the machine's memory map. */
export function firmwareRam(mem: PhysicalMemory): FirmwareRam {
  return {
    bytes(addr, length) {
      if (!Number.isSafeInteger(addr) || addr < 0 || !(length > 0) || length > 0x20000) return null;
      for (let page = Math.floor(addr / 4096) * 4096; page < addr + length; page += 4096) {
        const r = mem.regionAt(page);
        if (r === undefined || r.kind === "mmio") return null;
      }
      return mem.readBytes(addr, length);
    },
  };
}

/** A little-endian view of `length` bytes at `addr`, or null. */
function view(ram: FirmwareRam, addr: number, length: number): DataView | null {
  const b = ram.bytes(addr, length);
  return b === null ? null : new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(d: DataView, at: number): number {
  return d.getUint32(at, true) + d.getUint32(at + 4, true) * 0x100000000;
}

function sig(d: DataView, at = 0): string {
  return String.fromCharCode(
    d.getUint8(at),
    d.getUint8(at + 1),
    d.getUint8(at + 2),
    d.getUint8(at + 3),
  );
}

function sums(d: DataView, length = d.byteLength): boolean {
  let s = 0;
  for (let i = 0; i < length; i++) s += d.getUint8(i);
  return (s & 0xff) === 0;
}

/** The table at `addr` if it has signature `want` and a valid length and checksum, or its problem. */
function table(ram: FirmwareRam, addr: number, want: string): DataView | string {
  const where = `0x${addr.toString(16)}`;
  const head = view(ram, addr, 8);
  if (head === null) return `${want} at ${where} is not in RAM`;
  if (sig(head) !== want) return `no ${want} at ${where}`;
  const length = head.getUint32(4, true);
  const d = length >= 36 ? view(ram, addr, length) : null;
  if (d === null) return `${want} at ${where} has a bad length (${length})`;
  return sums(d) ? d : `${want} at ${where} has a bad checksum`;
}

/** The RSDP's address in the BIOS area (16-byte aligned, valid ACPI 1.0 checksum), or -1. */
export function findRsdp(ram: FirmwareRam): number {
  const area = view(ram, 0xe0000, 0x20000);
  if (area === null) return -1;
  for (let o = 0; o + 36 <= area.byteLength; o += 16) {
    if (sig(area, o) !== "RSD " || sig(area, o + 4) !== "PTR ") continue;
    let s = 0;
    for (let i = 0; i < 20; i++) s += area.getUint8(o + i);
    if ((s & 0xff) === 0) return 0xe0000 + o;
  }
  return -1;
}

/** The FADT through the RSDP's XSDT (revision 2 and later) or RSDT, or why there is none. */
function findFadt(ram: FirmwareRam): DataView | string {
  const at = findRsdp(ram);
  const rsdp = at < 0 ? null : view(ram, at, 36);
  if (rsdp === null) return "no RSDP in 0xE0000-0xFFFFF";
  const xsdt = rsdp.getUint8(15) >= 2 && sums(rsdp, 36) ? u64(rsdp, 24) : 0;
  const [addr, name, width] = xsdt !== 0
    ? [xsdt, "XSDT", 8]
    : [rsdp.getUint32(16, true), "RSDT", 4];
  const sdt = table(ram, addr, name);
  if (typeof sdt === "string") return sdt;
  for (let o = 36; o + width <= sdt.byteLength; o += width) {
    const entry = width === 8 ? u64(sdt, o) : sdt.getUint32(o, true);
    const head = entry === 0 ? null : view(ram, entry, 4);
    if (head !== null && sig(head) === "FACP") return table(ram, entry, "FACP");
  }
  return `no FADT in the ${name}`;
}

/**
 * Read the waking vector the operating system left in the FACS (ACPI 6.x
 * Table 5.14), and the mode it is to be entered in.
 */
export function findWakingVector(ram: FirmwareRam): WakingVector {
  const fadt = findFadt(ram);
  if (typeof fadt === "string") return { kind: "none", why: fadt };
  // X_FIRMWARE_CTRL (offset 132, FADT revision 2+) when non-zero, else FIRMWARE_CTRL (36).
  const xCtrl = fadt.byteLength >= 140 ? u64(fadt, 132) : 0;
  const at = xCtrl !== 0 ? xCtrl : fadt.getUint32(36, true);
  const facs = at === 0 ? null : view(ram, at, 64);
  if (facs === null || sig(facs) !== "FACS") {
    return { kind: "none", why: `no FACS at 0x${at.toString(16)}` };
  }
  const length = facs.getUint32(4, true);
  const version = length >= 33 ? facs.getUint8(32) : 0;
  const x = version >= 1 ? u64(facs, 24) : 0;
  if (x !== 0) {
    const supported = (facs.getUint32(20, true) & FACS_64BIT_WAKE_SUPPORTED) !== 0;
    const wants64 = length >= 40 && (facs.getUint32(36, true) & OSPM_64BIT_WAKE) !== 0;
    if (supported && wants64) {
      if (x >= WAKE_IDENTITY_BYTES) {
        return { kind: "none", why: `64-bit waking vector 0x${x.toString(16)} is above 4 GiB` };
      }
      return { kind: "long64", vector: x };
    }
    if (x >= 0x100000000) {
      return { kind: "none", why: `32-bit waking vector 0x${x.toString(16)} is above 4 GiB` };
    }
    return { kind: "protected32", vector: x };
  }
  const v = facs.getUint32(12, true);
  if (v === 0) return { kind: "none", why: "the FACS holds no waking vector" };
  if (v >= 0x100000) {
    return { kind: "none", why: `real-mode waking vector 0x${v.toString(16)} is not below 1 MiB` };
  }
  return { kind: "real", vector: v };
}

/** Interrupts disabled (RFLAGS.IF = 0; bit 1 is always set). */
const RFLAGS_RESUME = 0x2;

/** The entry state for a real-mode waking vector: CS:IP from the vector, other segments 0. */
export function realModeWakeState(vector: number): EntryState {
  const cs = vector >>> 4;
  const data = () => segment(0, 0, 0xffff, AR_REAL_DATA);
  return {
    mode: "real",
    gprs: gprsWith({}),
    rip: vector & 0xf,
    rflags: RFLAGS_RESUME,
    cr0: CR0_ET, // caches on (CD and NW clear), as firmware leaves them
    cr3: 0,
    cr4: 0,
    efer: 0,
    segs: [
      data(),
      segment(cs, cs << 4, 0xffff, AR_REAL_CODE),
      data(),
      data(),
      data(),
      data(),
      segment(0, 0, 0xffff, AR_LDT),
      segment(0, 0, 0xffff, AR_TSS_BUSY),
    ],
    gdtr: { base: 0, limit: 0xffff },
    idtr: { base: 0, limit: 0x3ff },
  };
}

/** Write the firmware's wake GDT (null, code32, data, code64). */
function writeWakeGdt(mem: GuestMemory): void {
  const entries = [
    [0, 0],
    [0x0000ffff, 0x00cf9a00], // 0x08 flat 32-bit code
    [0x0000ffff, 0x00cf9200], // 0x10 flat data
    [0x0000ffff, 0x00af9a00], // 0x18 64-bit code
  ];
  entries.forEach(([lo, hi], i) => {
    mem.write(WAKE_GDT + 8 * i, 4, lo);
    mem.write(WAKE_GDT + 8 * i + 4, 4, hi);
  });
}

/** Identity-map the first 4 GiB with 2 MiB pages: PML4, PDPT, four PDs from {@link WAKE_PML4}. */
function writeIdentityMap(mem: GuestMemory): void {
  const pdpt = WAKE_PML4 + 0x1000;
  const pd = WAKE_PML4 + 0x2000;
  mem.writeBytes(WAKE_PML4, new Uint8Array(6 * 0x1000));
  mem.write(WAKE_PML4, 4, pdpt | 0x3); // present, writable
  for (let i = 0; i < 4; i++) mem.write(pdpt + 8 * i, 4, (pd + 0x1000 * i) | 0x3);
  for (let i = 0; i < 2048; i++) {
    const page = i * 0x200000;
    mem.write(pd + 8 * i, 4, ((page >>> 0) | 0x83) >>> 0); // present, writable, 2 MiB
    mem.write(pd + 8 * i + 4, 4, Math.floor(page / 0x100000000));
  }
}

/** The entry state for a 32-bit protected-mode waking vector (paging off, flat segments). */
export function protectedWakeState(vector: number): EntryState {
  return {
    mode: "protected32",
    gprs: gprsWith({}),
    rip: vector,
    rflags: RFLAGS_RESUME,
    cr0: CR0_ET | CR0_PE,
    cr3: 0,
    cr4: 0,
    efer: 0,
    segs: flatSegments(WAKE_SELECTORS.code32, WAKE_SELECTORS.data, AR_CODE32),
    gdtr: { base: WAKE_GDT, limit: 4 * 8 - 1 },
    idtr: { base: 0, limit: 0 },
  };
}

/** The entry state for a 64-bit waking vector (the first 4 GiB identity-mapped). */
export function longWakeState(vector: number): EntryState {
  const segs = flatSegments(WAKE_SELECTORS.code64, WAKE_SELECTORS.data, AR_CODE64);
  return {
    mode: "long64",
    gprs: gprsWith({}),
    rip: vector,
    rflags: RFLAGS_RESUME,
    cr0: CR0_ET | CR0_PE | CR0_PG,
    cr3: WAKE_PML4,
    cr4: CR4_PAE,
    efer: EFER_LME | EFER_LMA,
    segs,
    gdtr: { base: WAKE_GDT, limit: 4 * 8 - 1 },
    idtr: { base: 0, limit: 0 },
  };
}

/** Run the S3 resume path on `machine` (see the module docs). */
export function pcFirmwareResume(machine: PcMachine): ResumeOutcome {
  programLegacyChips(machine);
  const mem = machine.memory;
  const wake = findWakingVector(firmwareRam(mem));
  const hex = (v: number) => `0x${v.toString(16)}`;
  switch (wake.kind) {
    case "none":
      return { kind: "boot", why: wake.why };
    case "real":
      applyEntryState(machine.cpu, realModeWakeState(wake.vector));
      return {
        kind: "resumed",
        detail: `real-mode waking vector ${hex(wake.vector)} (${
          (wake.vector >>> 4).toString(16).padStart(4, "0")
        }:${(wake.vector & 0xf).toString(16).padStart(4, "0")})`,
      };
    case "protected32":
      writeWakeGdt(mem);
      applyEntryState(machine.cpu, protectedWakeState(wake.vector));
      return { kind: "resumed", detail: `32-bit waking vector ${hex(wake.vector)}` };
    case "long64":
      writeWakeGdt(mem);
      writeIdentityMap(mem);
      applyEntryState(machine.cpu, longWakeState(wake.vector));
      return { kind: "resumed", detail: `64-bit waking vector ${hex(wake.vector)}` };
  }
}
