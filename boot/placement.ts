/**
 * Bookkeeping of what a loader places in guest memory: bounds checks
 * against RAM, overlap checks between placed ranges, and writes (with
 * zero fill for BSS) through the {@link GuestMemory} interface.
 *
 * @module
 */

import type { GuestMemory } from "../mm/types.ts";
import type { LoadError } from "./errors.ts";

/** One range placed in guest-physical memory. */
export interface PlacedRange {
  /** What it is, e.g. "ELF segment 0", "module 1 (initrd.img)". */
  readonly what: string;
  /** Physical start address. */
  readonly addr: number;
  /** Size in bytes. */
  readonly size: number;
}

/**
 * Add `range` to `placed` after checking it lies inside RAM and overlaps
 * nothing already placed; returns the error otherwise (and leaves `placed`
 * unchanged). Empty ranges are accepted and not recorded.
 */
export function place(
  placed: PlacedRange[],
  range: PlacedRange,
  ramSize: number,
): LoadError | null {
  if (range.size === 0) return null;
  if (range.addr < 0 || range.addr + range.size > ramSize) {
    return {
      kind: "outside-memory",
      what: range.what,
      addr: range.addr,
      size: range.size,
      ramSize,
    };
  }
  for (const other of placed) {
    const lo = Math.max(other.addr, range.addr);
    const hi = Math.min(other.addr + other.size, range.addr + range.size);
    if (lo < hi) return { kind: "overlap", first: range.what, second: other.what, addr: lo };
  }
  placed.push(range);
  return null;
}

const ZERO_CHUNK = 64 * 1024;
let zeros: Uint8Array | null = null;

/** Write `size` zero bytes at `addr`, in chunks (large BSS does not allocate its size). */
export function zeroFill(memory: GuestMemory, addr: number, size: number): void {
  zeros ??= new Uint8Array(ZERO_CHUNK);
  let done = 0;
  while (done < size) {
    const n = Math.min(ZERO_CHUNK, size - done);
    memory.writeBytes(addr + done, n === ZERO_CHUNK ? zeros : zeros.subarray(0, n));
    done += n;
  }
}

/** Round up to a multiple of `align` (a power of two). */
export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** End address (exclusive) of the highest placed range, or 0. */
export function highestEnd(placed: readonly PlacedRange[]): number {
  let end = 0;
  for (const r of placed) end = Math.max(end, r.addr + r.size);
  return end;
}
