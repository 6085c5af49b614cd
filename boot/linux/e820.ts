/**
 * The BIOS e820 memory map a Linux kernel receives in boot_params, built
 * from the PC RAM layout (mm's `pcRamLayout`): base memory below the EBDA,
 * the EBDA and the BIOS area 0xE0000-0xFFFFF reserved (nestvm's ACPI tables
 * live there), RAM from 1 MiB to the PCI hole, the rest above 4 GiB.
 *
 * @module
 */

import { pcRamLayout } from "../../mm/regions.ts";

/** e820 type: usable RAM. */
export const E820_RAM = 1;
/** e820 type: reserved. */
export const E820_RESERVED = 2;
/** e820 type: ACPI tables (reclaimable). */
export const E820_ACPI = 3;

/** One e820 entry. */
export interface E820Entry {
  /** Physical base. */
  readonly addr: number;
  /** Length in bytes. */
  readonly size: number;
  /** Type (1 RAM, 2 reserved, 3 ACPI). */
  readonly type: number;
}

/** Start of the EBDA in the map (639 KiB of base memory below it, as PC BIOSes report). */
export const EBDA_START = 0x9fc00;
/** Start of the reserved BIOS area that holds the ACPI tables. */
export const BIOS_AREA_START = 0xe0000;
/** Most entries boot_params holds. */
export const E820_MAX_ENTRIES = 128;

/** The e820 map for `ramBytes` of RAM in the PC layout. */
export function e820Map(ramBytes: number): E820Entry[] {
  const out: E820Entry[] = [];
  for (const [base, size] of pcRamLayout(ramBytes)) {
    if (base !== 0) {
      out.push({ addr: base, size, type: E820_RAM });
      continue;
    }
    out.push({ addr: 0, size: Math.min(size, EBDA_START), type: E820_RAM });
    if (size > EBDA_START) {
      out.push({ addr: EBDA_START, size: 0xa0000 - EBDA_START, type: E820_RESERVED });
    }
    if (size > BIOS_AREA_START) {
      out.push({ addr: BIOS_AREA_START, size: 0x100000 - BIOS_AREA_START, type: E820_RESERVED });
    }
    if (size > 0x100000) out.push({ addr: 0x100000, size: size - 0x100000, type: E820_RAM });
  }
  return out;
}

/** End (exclusive) of the RAM that starts at 1 MiB, or 0 if there is none. */
export function lowRamEnd(map: readonly E820Entry[]): number {
  const e = map.find((m) => m.type === E820_RAM && m.addr === 0x100000);
  return e === undefined ? 0 : e.addr + e.size;
}
