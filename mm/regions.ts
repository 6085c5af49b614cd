/**
 * Region descriptors and region-map result values for guest-physical memory.
 *
 * A guest-physical address space is a set of non-overlapping regions: RAM,
 * ROM and MMIO ranges owned by a named plugin. Whatever no region covers is a
 * hole (reads return all ones, writes are dropped, as on a PC bus).
 *
 * @module
 */

import type { IoHandler } from "../core/plugin.ts";

import type { RegionInfo, RegionKind } from "../core/guest_memory.ts";
export type { RegionError, RegionInfo, RegionKind, RegionResult } from "../core/guest_memory.ts";

/** Internal region record (mutable base for moves). */
export class Region implements RegionInfo {
  /** Create a region record. */
  constructor(
    /** Region id. */
    readonly id: number,
    /** RAM, ROM or MMIO. */
    readonly kind: RegionKind,
    /** Name or owner. */
    readonly name: string,
    /** Current base. */
    public base: number,
    /** Size in bytes. */
    readonly size: number,
    /** MMIO handler (null for RAM/ROM). */
    readonly handler: IoHandler | null,
  ) {}

  /** A frozen public snapshot. */
  info(): RegionInfo {
    return Object.freeze({
      id: this.id,
      kind: this.kind,
      name: this.name,
      base: this.base,
      size: this.size,
    });
  }
}

/** Trace hook for accesses to holes (unbacked addresses). */
export type HoleTrace = (addr: number, size: number, write: boolean, value: number) => void;

/** Where low RAM ends in {@link pcRamLayout} by default (the rest continues at 4 GiB). */
export const PC_LOW_RAM_LIMIT = 0xE000_0000;

/**
 * A PC-style placement of `ramBytes` of RAM: low RAM from 0 up to
 * `lowLimit` (default {@link PC_LOW_RAM_LIMIT}, below the PCI/APIC MMIO
 * window at 0xFEC00000), the rest from 4 GiB up. Returned ranges are
 * [base, size]. The board (core/plugins) decides the final layout; this is
 * a helper.
 */
export function pcRamLayout(
  ramBytes: number,
  lowLimit = PC_LOW_RAM_LIMIT,
): Array<readonly [number, number]> {
  const size = Math.ceil(Math.max(0, ramBytes) / 4096) * 4096;
  if (size <= lowLimit) return size > 0 ? [[0, size]] : [];
  return [[0, lowLimit], [0x1_0000_0000, size - lowLimit]];
}
