/**
 * The MMIO owner table: which plugin owns which guest-physical range, with
 * overlaps between plugins refused by an error naming both (as for ports).
 * The {@link Machine} keeps one and routes every MMIO access through the
 * exit bus to the owner found here.
 *
 * @module
 */

import type { IoHandler } from "./plugin.ts";
import { PluginConflictError } from "./plugin.ts";

/** One claimed MMIO range. `base` follows moves. */
export interface MmioRange {
  /** Owning plugin. */
  readonly plugin: string;
  /** Current guest-physical base. */
  base: number;
  /** Size in bytes. */
  readonly size: number;
  /** The plugin's handler (offsets from `base`). */
  readonly handler: IoHandler;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Owners of MMIO ranges. */
export class MmioOwnerTable {
  #ranges: MmioRange[] = [];

  /** Claim [base, base+size) for `plugin`; throws {@link PluginConflictError} naming both owners on overlap. */
  claim(plugin: string, base: number, size: number, handler: IoHandler): MmioRange {
    if (!Number.isSafeInteger(base) || !Number.isSafeInteger(size) || base < 0 || size <= 0) {
      throw new RangeError(`${plugin}: invalid MMIO range base=${hex(base)} size=${size}`);
    }
    this.#check(plugin, base, size, null);
    const range: MmioRange = { plugin, base, size, handler };
    this.#ranges.push(range);
    return range;
  }

  /** Move `range` to `newBase`; throws like {@link claim} (the range stays where it was). */
  move(range: MmioRange, newBase: number): void {
    if (!Number.isSafeInteger(newBase) || newBase < 0) {
      throw new RangeError(`${range.plugin}: invalid MMIO base ${hex(newBase)}`);
    }
    this.#check(range.plugin, newBase, range.size, range);
    range.base = newBase;
  }

  /** Forget `range`. */
  remove(range: MmioRange): void {
    this.#ranges = this.#ranges.filter((r) => r !== range);
  }

  /** The range of `plugin` containing `gpa`, or undefined. */
  find(plugin: string, gpa: number): MmioRange | undefined {
    for (const r of this.#ranges) {
      if (r.plugin === plugin && gpa >= r.base && gpa < r.base + r.size) return r;
    }
    return undefined;
  }

  /** The owner of `gpa`, or undefined. */
  ownerAt(gpa: number): string | undefined {
    for (const r of this.#ranges) if (gpa >= r.base && gpa < r.base + r.size) return r.plugin;
    return undefined;
  }

  #check(plugin: string, base: number, size: number, self: MmioRange | null): void {
    for (const r of this.#ranges) {
      if (r === self || base >= r.base + r.size || r.base >= base + size) continue;
      throw new PluginConflictError(
        `MMIO range ${hex(base)}+${hex(size)} is claimed by both "${r.plugin}" and "${plugin}"`,
      );
    }
  }
}
