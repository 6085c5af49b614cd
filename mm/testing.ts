/**
 * Test helpers for guest memory: leak checks for pinned pages.
 *
 * ```ts
 * import { PhysicalMemory } from "./physical.ts";
 * import { assertNoPins } from "./testing.ts";
 * const mem = new PhysicalMemory();
 * mem.addRam(0, 1 << 20);
 * const r = mem.pin(0x1000, "vmx", "vmcs12");
 * if (r.ok) mem.release(r.page, { dirty: false });
 * assertNoPins(mem);
 * ```
 *
 * @module
 */

import type { PinInfo } from "./pins.ts";

/** Anything that lists its pins. */
export interface PinLister {
  /** Every pin held. */
  pins(): readonly PinInfo[];
}

/** A machine-like object: has guest memory that lists pins. */
export interface HasPinnedMemory {
  /** The guest memory. */
  readonly memory: PinLister | object;
}

/** Thrown by {@link assertNoPins} when pins leak. */
export class PinLeakError extends Error {
  /** Create the error. */
  constructor(readonly leaked: readonly PinInfo[]) {
    super(
      `${leaked.length} pinned page(s) still held: ` +
        leaked.map((p) => `${p.holder} @0x${p.gpa.toString(16)} (${p.purpose})`).join(", "),
    );
    this.name = "PinLeakError";
  }
}

/**
 * Assert that no page is pinned any more (call after tearing a machine
 * down, or disposing a plugin/vCPU). Accepts the memory itself or any
 * object with a `memory` property that lists pins. Throws
 * {@link PinLeakError} naming each holder, address and purpose; throws a
 * TypeError when given something that cannot list pins (a broken test).
 */
export function assertNoPins(target: PinLister | HasPinnedMemory): void {
  const lister = listerOf(target);
  if (!lister) throw new TypeError("assertNoPins: argument has no pins() (memory or machine)");
  const held = lister.pins();
  if (held.length > 0) throw new PinLeakError(held);
}

function listerOf(t: unknown): PinLister | null {
  if (t && typeof (t as PinLister).pins === "function") return t as PinLister;
  const m = (t as HasPinnedMemory | null)?.memory;
  if (m && typeof (m as PinLister).pins === "function") return m as PinLister;
  return null;
}
