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
import { pcRamLayout, type RegionResult } from "../mm/regions.ts";

/** Add `bytes` of RAM in the PC layout (mm's `pcRamLayout`: low RAM, the rest above 4 GiB). */
export function addPcRam(memory: PhysicalMemory, bytes: number): void {
  for (const [base, size] of pcRamLayout(bytes)) {
    check(memory.addRam(base, size, base === 0 ? "ram-low" : "ram-high"), "ram");
  }
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
