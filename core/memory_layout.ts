/**
 * The PC's guest-physical memory layout: RAM from 0 up to the 32-bit PCI
 * hole, the rest above 4 GiB; MMIO registration on behalf of plugins with
 * conflicts reported as {@link PluginConflictError}.
 *
 * @module
 */

import type { PhysicalMemory } from "../mm/physical.ts";
import type { IoHandler, MmioRegistration } from "./plugin.ts";
import { PluginConflictError } from "./plugin.ts";
import type { RegionResult } from "../mm/regions.ts";

/** RAM below 4 GiB ends here; the rest of the space up to 4 GiB is MMIO/holes (as QEMU's pc). */
export const LOW_RAM_LIMIT = 0xc0000000;
/** Where RAM beyond {@link LOW_RAM_LIMIT} continues. */
export const HIGH_RAM_BASE = 0x100000000;

/** Add `bytes` of RAM in the PC layout. */
export function addPcRam(memory: PhysicalMemory, bytes: number): void {
  const low = Math.min(bytes, LOW_RAM_LIMIT);
  check(memory.addRam(0, low, "ram-low"), "ram");
  if (bytes > low) check(memory.addRam(HIGH_RAM_BASE, bytes - low, "ram-high"), "ram");
}

function check(r: RegionResult, who: string): number {
  if (r.ok) return r.region.id;
  const e = r.error;
  switch (e.kind) {
    case "overlap":
      throw new PluginConflictError(
        `MMIO range 0x${e.base.toString(16)}+0x${
          e.size.toString(16)
        } of "${who}" overlaps "${e.other}"`,
      );
    case "pinned":
      throw new PluginConflictError(e.message);
    default:
      throw new RangeError(`${who}: memory region refused (${e.kind})`);
  }
}

/** Register an MMIO range for `plugin`; overlaps throw {@link PluginConflictError} naming both. */
export function registerMmio(
  memory: PhysicalMemory,
  plugin: string,
  base: number,
  size: number,
  handler: IoHandler,
): MmioRegistration {
  const id = check(memory.addMmio(base, size, plugin, handler), plugin);
  return {
    move(newBase: number): void {
      check(memory.moveRegion(id, newBase), plugin);
    },
    remove(): void {
      check(memory.removeRegion(id), plugin);
    },
  };
}
