/**
 * Bookkeeping of pinned guest pages: who holds which page and why, with
 * reference counts per frame. Used by {@link PhysicalMemory}.
 *
 * @module
 */

import type { PinnedPage } from "./types.ts";

/** One pin, as listed for diagnostics. */
export interface PinInfo {
  /** Guest-physical address of the pinned page (4 KiB aligned). */
  readonly gpa: number;
  /** Who holds it (plugin or vCPU name). */
  readonly holder: string;
  /** Why it is held. */
  readonly purpose: string;
}

/** Reference-counted pin records keyed by frame number. */
export class PinTable {
  #byFrame = new Map<number, PinnedPage[]>();
  #count = 0;

  /** Number of pins currently held (all frames). */
  get size(): number {
    return this.#count;
  }

  /** Record a pin of `frame`. */
  add(frame: number, page: PinnedPage): void {
    const list = this.#byFrame.get(frame);
    if (list) list.push(page);
    else this.#byFrame.set(frame, [page]);
    this.#count++;
  }

  /** Drop the pin `page` of `frame`; false if it was not held (double release). */
  remove(frame: number, page: PinnedPage): boolean {
    const list = this.#byFrame.get(frame);
    if (!list) return false;
    const i = list.indexOf(page);
    if (i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.#byFrame.delete(frame);
    this.#count--;
    return true;
  }

  /** Reference count of `frame`. */
  count(frame: number): number {
    return this.#byFrame.get(frame)?.length ?? 0;
  }

  /** Distinct holders of pins on frames in [first, first+frames). */
  holdersIn(first: number, frames: number): string[] {
    const holders = new Set<string>();
    for (const [frame, list] of this.#byFrame) {
      if (frame >= first && frame < first + frames) {
        for (const p of list) holders.add(p.holder);
      }
    }
    return [...holders].sort();
  }

  /** The pinned pages held by `holder`. */
  heldBy(holder: string): PinnedPage[] {
    const out: PinnedPage[] = [];
    for (const list of this.#byFrame.values()) {
      for (const p of list) if (p.holder === holder) out.push(p);
    }
    return out;
  }

  /** Every pin, sorted by address then holder. */
  list(): PinInfo[] {
    const out: PinInfo[] = [];
    for (const list of this.#byFrame.values()) {
      for (const p of list) out.push({ gpa: p.gpa, holder: p.holder, purpose: p.purpose });
    }
    out.sort((a, b) => a.gpa - b.gpa || (a.holder < b.holder ? -1 : a.holder > b.holder ? 1 : 0));
    return out;
  }
}
