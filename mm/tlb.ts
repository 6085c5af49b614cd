/**
 * A per-vCPU TLB: a direct-mapped table of typed arrays keyed by linear page
 * number, built so the CPU engine can inline its hit test.
 *
 * ## The fast path (what the CPU inlines)
 * ```ts ignore
 * const off = lin & 0xfff;                 // low 12 bits, also for negative lin
 * const page = (lin - off) / 4096;         // exact, negative for the upper half
 * const i = page & tlb.mask;               // works for negative pages too
 * if (tlb.tag[i] === page && (tlb.fast[i] & need) !== 0) {
 *   value = tlb.data[i]![off];             // direct access to the RAM page
 * } else {
 *   const pa = mmu.translate(lin, access, need);   // refill (or #PF / EPT exit)
 *   ...
 * }
 * ```
 * `need` is ONE permission bit from {@link permNeeded} (precompute it per
 * access kind, CPL and EFLAGS.AC). `fast` holds the permission bits for
 * which `data` may be used directly; `perm` holds the architectural
 * permissions (write bits only when the page's dirty flag is already set,
 * so the first write to a clean page walks again and sets D). Invalid
 * entries have a NaN tag, which never compares equal.
 *
 * Entries cache 4 KiB pieces even of large pages; `shift` remembers the page
 * size so INVLPG of any address in a large page drops every piece.
 *
 * PCIDs: the TLB only ever holds entries of the current PCID plus global
 * entries; switching PCID drops the other non-global entries (allowed, as
 * a TLB may forget entries at any time). This keeps the hit test free of a
 * PCID compare.
 *
 * @module
 */

import { PERM_WRITE } from "./paging_types.ts";

/** Entry flag: the translation is global (G=1 with CR4.PGE=1). */
export const TLB_GLOBAL = 1;
/** Entry flag: the translation comes from a page larger than 4 KiB. */
export const TLB_LARGE = 2;

/** Linear page number of a canonical linear address (exact for negatives). */
export function linearPage(lin: number): number {
  return (lin - (lin & 0xfff)) / 4096;
}

/** A direct-mapped TLB (see the module doc for the fast path). */
export class Tlb {
  /** Number of entries (a power of two). */
  readonly size: number;
  /** `size - 1`: index = page & mask. */
  readonly mask: number;
  /** Linear page number per entry; NaN = invalid. */
  readonly tag: Float64Array;
  /** Permission bits usable with `data` directly. */
  readonly fast: Uint8Array;
  /** Architectural permission bits (PERM_*). */
  readonly perm: Uint8Array;
  /** Physical (host-physical under EPT) frame number. */
  readonly frame: Float64Array;
  /** The RAM page's bytes, or null (MMIO, ROM on write, untouched RAM). */
  readonly data: (Uint8Array | null)[];
  /** TLB_GLOBAL | TLB_LARGE. */
  readonly flags: Uint8Array;
  /** log2 of the size of the page the entry came from (12, 21, 22, 30). */
  readonly shift: Uint8Array;
  #large = 0;

  /** Create a TLB with `entries` entries (rounded up to a power of two, at least 16). */
  constructor(entries = 1024) {
    let size = 16;
    while (size < entries) size *= 2;
    this.size = size;
    this.mask = size - 1;
    this.tag = new Float64Array(size).fill(NaN);
    this.fast = new Uint8Array(size);
    this.perm = new Uint8Array(size);
    this.frame = new Float64Array(size);
    this.data = new Array<Uint8Array | null>(size).fill(null);
    this.flags = new Uint8Array(size);
    this.shift = new Uint8Array(size).fill(12);
  }

  /** Install an entry for linear page `page`; returns its index. */
  fill(
    page: number,
    frame: number,
    perm: number,
    data: Uint8Array | null,
    fast: number,
    global: boolean,
    shift: number,
  ): number {
    const i = page & this.mask;
    if (this.flags[i] & TLB_LARGE && this.tag[i] === this.tag[i]) this.#large--;
    this.tag[i] = page;
    this.frame[i] = frame;
    this.perm[i] = perm;
    this.data[i] = data;
    this.fast[i] = data ? fast & perm : 0;
    this.flags[i] = (global ? TLB_GLOBAL : 0) | (shift > 12 ? TLB_LARGE : 0);
    this.shift[i] = shift;
    if (shift > 12) this.#large++;
    return i;
  }

  /** Index of the valid entry for `page`, or -1. */
  lookup(page: number): number {
    const i = page & this.mask;
    return this.tag[i] === page ? i : -1;
  }

  /** Number of valid entries (diagnostics; O(size)). */
  count(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.tag[i] === this.tag[i]) n++;
    return n;
  }

  /** Internal helper. */
  private kill(i: number): void {
    if (this.tag[i] !== this.tag[i]) return;
    if (this.flags[i] & TLB_LARGE) this.#large--;
    this.tag[i] = NaN;
    this.fast[i] = 0;
    this.perm[i] = 0;
    this.data[i] = null;
    this.flags[i] = 0;
  }

  /** Drop every entry, global ones included. */
  flushAll(): void {
    this.tag.fill(NaN);
    this.fast.fill(0);
    this.perm.fill(0);
    this.data.fill(null);
    this.flags.fill(0);
    this.#large = 0;
  }

  /** Drop every non-global entry (MOV to CR3). */
  flushNonGlobal(): void {
    for (let i = 0; i < this.size; i++) {
      if (!(this.flags[i] & TLB_GLOBAL)) this.kill(i);
    }
  }

  /**
   * Drop the translation of the page containing `lin` (INVLPG when
   * `includeGlobal`, INVPCID type 0 otherwise), including every cached
   * 4 KiB piece of a large page that contains `lin`.
   */
  flushPage(lin: number, includeGlobal: boolean): void {
    const page = linearPage(lin);
    const i = page & this.mask;
    if (this.tag[i] === page && (includeGlobal || !(this.flags[i] & TLB_GLOBAL))) this.kill(i);
    if (this.#large === 0) return;
    for (let j = 0; j < this.size; j++) {
      const f = this.flags[j];
      if (!(f & TLB_LARGE) || (!includeGlobal && f & TLB_GLOBAL)) continue;
      const unit = 2 ** (this.shift[j] - 12);
      if (Math.floor(this.tag[j] / unit) === Math.floor(page / unit)) this.kill(j);
    }
  }

  /**
   * Revoke direct views: `frame` -1 means every entry. With `writeOnly`,
   * only the direct-write permission goes (the entry still translates);
   * otherwise the direct view goes too. Used as the memory's
   * frame-invalidation listener.
   */
  revokeFrame(frame: number, writeOnly: boolean): void {
    if (frame < 0) {
      if (writeOnly) {
        for (let i = 0; i < this.size; i++) this.fast[i] &= ~PERM_WRITE;
      } else {
        this.fast.fill(0);
        this.data.fill(null);
      }
      return;
    }
    for (let i = 0; i < this.size; i++) {
      if (this.frame[i] === frame) {
        if (writeOnly) this.fast[i] &= ~PERM_WRITE;
        else {
          this.fast[i] = 0;
          this.data[i] = null;
        }
      }
    }
  }
}
