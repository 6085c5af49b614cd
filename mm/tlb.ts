/**
 * The per-vCPU TLB: a direct-mapped table of typed arrays keyed by linear
 * page, in the shape the CPU engine inlines, plus the SDM's invalidation
 * rules (SDM Vol. 3A 4.10.4): global pages, per-page INVLPG (every 4 KiB
 * piece of a large page), PCIDs and the INVPCID types.
 *
 * ## Slots and access rights
 * Slot `i` caches the translation of one 4 KiB linear page: `tag[i]` is
 * its linear address (NaN = empty), `frame[i]` the physical frame,
 * `mem[i]`/`mem32[i]` the RAM frame's bytes and 32-bit words, and
 * `perm[i]` the access rights (PERM_* of `paging_types.ts`) the page walks
 * that filled it granted: user/supervisor read, write and execute, and the
 * supervisor rights with EFLAGS.AC = 1 under SMAP. A write right exists only
 * once a write walk succeeded (so the walk has set the dirty flag).
 * {@link Tlb.probe} answers any access from these (instruction fetches,
 * implicit supervisor accesses to the GDT/IDT/TSS, pushes of an event
 * delivery...).
 *
 * ## The fast path (what the CPU inlines)
 * ```ts ignore
 * const o = lin & 0xfff;                 // low 12 bits, also for negative lin
 * const x = (lin >>> 12) & tlb.mask;     // index (works for negative lin too)
 * if (tlb.rTag[x] === lin - o) value = tlb.rMem[x][o];   // read hit
 * if (tlb.wTag[x] === lin - o) tlb.wMem[x][o] = value;   // write hit
 * ```
 * `rTag`/`wTag` are the tags of one *view*: the slots whose rights allow
 * a read (write) of the current access class, supervisor (PERM_SR/SW: valid
 * whatever EFLAGS.AC) or user (PERM_UR/UW); or no slot at all (the view
 * for alignment checking, whose accesses all take the slow path). The
 * holder selects the view ({@link Tlb.setView}) when the class changes, so
 * a change of CPL costs no flush. `rMem`/`wMem` (and the 32-bit views
 * `rMem32`/`wMem32`) are the slots' frame bytes, the same arrays for both.
 * A tag is the linear address of the 4 KiB page (NaN never compares equal).
 *
 * Slots cache 4 KiB pieces even of large pages; `shift` remembers the page
 * size so INVLPG of any address in a large page drops every piece.
 *
 * PCIDs: the TLB only holds entries of the current PCID plus global
 * entries; loading another PCID drops the other non-global entries
 * (allowed, as a TLB may forget entries at any time). This keeps the hit
 * test free of a PCID compare.
 *
 * @module
 */

import { PERM_EXEC, PERM_SR, PERM_SW, PERM_UR, PERM_UW, PERM_WRITE } from "./paging_types.ts";

/** Entry flag: the translation is global (G=1 with CR4.PGE=1). */
export const TLB_GLOBAL = 1;
/** Entry flag: the translation comes from a page larger than 4 KiB. */
export const TLB_LARGE = 2;

/** Fast-path view: supervisor accesses (rights PERM_SR / PERM_SW). */
export const VIEW_SUPERVISOR = 0;
/** Fast-path view: user accesses (rights PERM_UR / PERM_UW). */
export const VIEW_USER = 1;
/** Fast-path view with no entry: every access takes the slow path (alignment checking). */
export const VIEW_NONE = 2;

/**
 * Default number of entries: 32768 (128 MiB of linear space direct
 * mapped). Code that strides through a large array (one access per page)
 * otherwise misses on every access; the table's size costs nothing per
 * flush, which visits only the entries filled since the last one.
 */
export const TLB_ENTRIES = 32768;

/** Frames whose 32-bit views are cached by number (16 GiB of guest-physical space). */
const MAX_CACHED_FRAMES = 1 << 22;

/** Scratch mark in `flags` while {@link Tlb.flushNonGlobal} compacts the touched list. */
const LISTED = 0x80;
/** Mark in `flags`: the slot has write rights and is in its frame bucket's chain. */
const LINKED = 0x40;

/** Page sizes (log2) of large pages: 2 MiB, 4 MiB, 1 GiB. */
const LARGE_SHIFTS = [21, 22, 30];
/** Buckets per large-page size in {@link Tlb}'s chains of large-page pieces. */
const HINT_BUCKETS = 256;

/** Linear page number of a canonical linear address (exact for negatives). */
export function linearPage(lin: number): number {
  return (lin - (lin & 0xfff)) / 4096;
}

const EMPTY = new Uint8Array(4096);
const EMPTY32 = new Uint32Array(1024);

/** 32-bit views of frame views (little-endian hosts: aligned accesses become one load). */
const VIEWS32 = new WeakMap<Uint8Array, Uint32Array>();

/** The 32-bit view of a 4 KiB frame view (cached per view). */
export function view32(r: Uint8Array): Uint32Array {
  let v = VIEWS32.get(r);
  if (v === undefined) {
    v = new Uint32Array(r.buffer, r.byteOffset, r.byteLength >>> 2);
    VIEWS32.set(r, v);
  }
  return v;
}

/** Tags of the empty view, by table size (never written: shared). */
const NO_TAGS = new Map<number, Float64Array>();

function noTags(size: number): Float64Array {
  let t = NO_TAGS.get(size);
  if (t === undefined) {
    t = new Float64Array(size).fill(NaN);
    NO_TAGS.set(size, t);
  }
  return t;
}

/** Sizes of large pages (2^LARGE_SHIFTS[k]). */
const LARGE_UNITS = LARGE_SHIFTS.map((s) => 2 ** s);

/**
 * The bucket of the large page of size `2^LARGE_SHIFTS[k]` that
 * contains linear page address `page`.
 */
function hintBucket(page: number, k: number): number {
  return k * HINT_BUCKETS + (Math.floor(page / LARGE_UNITS[k]) & (HINT_BUCKETS - 1));
}

/** Outcome of {@link Tlb.invpcid}: false = invalid type or PCID (#GP(0)). */
export type InvpcidResult = boolean;

/** A direct-mapped TLB (see the module doc for slots, rights and the fast path). */
export class Tlb {
  /** Number of entries (a power of two). */
  readonly size: number;
  /** `size - 1`: index = (lin >>> 12) & mask. */
  readonly mask: number;
  /** Slot tags: the linear address of the cached page; NaN = empty. */
  readonly tag: Float64Array;
  /** Access rights (PERM_*) the cached translation grants; 0 when empty. */
  readonly perm: Uint8Array;
  /** Physical (host-physical under EPT) frame number of each slot; NaN = none. */
  readonly frame: Float64Array;
  /** TLB_GLOBAL | TLB_LARGE per slot. */
  readonly flags: Uint8Array;
  /** log2 of the size of the page a slot came from (12, 21, 22, 30). */
  readonly shift: Uint8Array;
  /** The RAM frame's bytes of each slot. */
  readonly mem: Uint8Array[] = [];
  /** The same frames as 32-bit words. */
  readonly mem32: Uint32Array[] = [];
  /** Read tags of the current view ({@link setView}); NaN or equal to `tag`. */
  rTag: Float64Array;
  /** Write tags of the current view; NaN or equal to `tag`. */
  wTag: Float64Array;
  /** Frame bytes for read hits (the slots' `mem`). */
  readonly rMem: Uint8Array[];
  /** Frame words for aligned read hits (the slots' `mem32`). */
  readonly rMem32: Uint32Array[];
  /** Frame bytes for write hits (the slots' `mem`). */
  readonly wMem: Uint8Array[];
  /** Frame words for aligned write hits (the slots' `mem32`). */
  readonly wMem32: Uint32Array[];
  /** The current view (VIEW_SUPERVISOR, VIEW_USER or VIEW_NONE). */
  view: number = VIEW_SUPERVISOR;
  readonly #sR: Float64Array;
  readonly #sW: Float64Array;
  readonly #uR: Float64Array;
  readonly #uW: Float64Array;
  #large = 0;
  #global = 0;
  /**
   * The slots holding 4 KiB pieces of large pages, chained by bucket: one
   * bucket per page size and (hashed) large-page number, first slot here,
   * then `#lNext`/`#lPrev`. INVLPG visits only the chains of the large
   * pages that could contain its address (a scan of every piece made
   * INVLPG-heavy guests pay for all the large pages they had touched).
   */
  readonly #lHead = new Int32Array(LARGE_SHIFTS.length * HINT_BUCKETS).fill(-1);
  /** Some chain of {@link #lHead} may be non-empty (cleared by a full flush). */
  #hinted = false;
  /** Next and previous slot in a large-page bucket's chain (-1 ends it). */
  readonly #lNext: Int32Array;
  readonly #lPrev: Int32Array;
  /** The bucket each slot filled from a large page is chained in. */
  readonly #lBucket: Int16Array;
  /**
   * The slots with write rights by frame, as doubly linked chains per
   * bucket (frame & mask; frames sharing a bucket share its chain): the
   * first slot of each bucket, then `#fNext`/`#fPrev` (-1 ends a chain).
   * Dropping the write rights to one frame, which happens whenever a frame
   * starts holding decoded code, visits the slots of its bucket rather than
   * every slot.
   */
  readonly #fHead: Int32Array;
  readonly #fNext: Int32Array;
  readonly #fPrev: Int32Array;
  /**
   * Linear pages whose instruction-fetch walk was noted by
   * {@link fetchWalkedBefore} (direct mapped, 16 entries), with the flush
   * generation ({@link #gen}) of the note.
   */
  readonly #seenPage = new Float64Array(16).fill(NaN);
  readonly #seenGen = new Float64Array(16);
  /** Counts full and non-global flushes. */
  #gen = 0;
  /** 32-bit views by frame number, in chunks of 1024 frames (see {@link #view32}). */
  readonly #v32: ((Uint32Array | undefined)[] | undefined)[] = [];
  /**
   * Indices of the slots filled while empty since the last full flush
   * (every valid slot is among them, some may be listed twice): flushes
   * and the per-frame and per-page scans visit just these, so their cost
   * follows the pages in use, not the table size. When the list fills up
   * it is rebuilt from the valid slots (see {@link #live}).
   */
  readonly #touched: Int32Array;
  #nTouched = 0;

  /** Create a TLB with `entries` entries (rounded up to a power of two, at least 16). */
  constructor(entries: number = TLB_ENTRIES) {
    let size = 16;
    while (size < entries) size *= 2;
    this.size = size;
    this.mask = size - 1;
    this.tag = new Float64Array(size).fill(NaN);
    this.perm = new Uint8Array(size);
    this.frame = new Float64Array(size).fill(NaN);
    this.flags = new Uint8Array(size);
    this.shift = new Uint8Array(size).fill(12);
    this.#sR = new Float64Array(size).fill(NaN);
    this.#sW = new Float64Array(size).fill(NaN);
    this.#uR = new Float64Array(size).fill(NaN);
    this.#uW = new Float64Array(size).fill(NaN);
    this.#touched = new Int32Array(size);
    this.#fHead = new Int32Array(size).fill(-1);
    this.#fNext = new Int32Array(size);
    this.#fPrev = new Int32Array(size);
    this.#lNext = new Int32Array(size);
    this.#lPrev = new Int32Array(size);
    this.#lBucket = new Int16Array(size);
    for (let i = 0; i < size; i++) {
      this.mem.push(EMPTY);
      this.mem32.push(EMPTY32);
    }
    this.rMem = this.wMem = this.mem;
    this.rMem32 = this.wMem32 = this.mem32;
    this.rTag = this.#sR;
    this.wTag = this.#sW;
  }

  /** Make `view` (VIEW_*) the one `rTag`/`wTag` show. */
  setView(view: number): void {
    this.view = view;
    if (view === VIEW_USER) {
      this.rTag = this.#uR;
      this.wTag = this.#uW;
    } else if (view === VIEW_SUPERVISOR) {
      this.rTag = this.#sR;
      this.wTag = this.#sW;
    } else {
      this.rTag = this.wTag = noTags(this.size);
    }
  }

  /**
   * Install the translation of the page containing `lin` to RAM frame
   * `frame` whose bytes are `data`, granting the rights `perm` (PERM_*;
   * write rights only after a write walk). `global` and `shift` describe
   * the page it came from. Refilling a slot with the same page and frame
   * adds the rights (each was granted by a walk of that translation). With
   * `data` null (an instruction fetch's walk, any physical frame) only the
   * execute rights of `perm` are installed, and no data view.
   */
  fill(
    lin: number,
    frame: number,
    data: Uint8Array | null,
    perm: number,
    global: boolean,
    shift: number,
  ): void {
    const i = (lin >>> 12) & this.mask;
    const page = lin - (lin & 0xfff);
    const old = this.tag[i];
    const oldFrame = this.frame[i];
    const was = this.flags[i];
    const same = old === page && oldFrame === frame;
    if (data === null) perm &= PERM_EXEC;
    if (same) perm |= this.perm[i];
    else if (old !== old) {
      // Empty until now: remember it for the next flush.
      if (this.#nTouched === this.size) this.#live();
      this.#touched[this.#nTouched++] = i;
    }
    // Slots with write rights are chained by frame (see #fHead).
    let linked = (was & LINKED) !== 0;
    if (linked && oldFrame !== frame) {
      this.#unlink(i, oldFrame);
      linked = false;
    }
    if (!linked && (perm & PERM_WRITE) !== 0) {
      this.#link(i, frame);
      linked = true;
    }
    this.tag[i] = page;
    this.frame[i] = frame;
    this.perm[i] = perm;
    if (data !== null) {
      this.mem[i] = data;
      this.mem32[i] = this.#view32(frame, data);
      this.#sR[i] = (perm & PERM_SR) !== 0 ? page : NaN;
      this.#sW[i] = (perm & PERM_SW) !== 0 ? page : NaN;
      this.#uR[i] = (perm & PERM_UR) !== 0 ? page : NaN;
      this.#uW[i] = (perm & PERM_UW) !== 0 ? page : NaN;
    } else if (!same && old === old) {
      // Execute rights only, no data view: the previous page's views go.
      this.#sR[i] = NaN;
      this.#sW[i] = NaN;
      this.#uR[i] = NaN;
      this.#uW[i] = NaN;
    }
    const f = (global ? TLB_GLOBAL : 0) | (shift > 12 ? TLB_LARGE : 0);
    if (was & TLB_GLOBAL) this.#global--;
    if (was & TLB_LARGE) {
      this.#large--;
      this.#lUnlink(i);
    }
    if (f & TLB_GLOBAL) this.#global++;
    if (f & TLB_LARGE) {
      this.#large++;
      this.#lLink(i, hintBucket(page, shift === 21 ? 0 : shift === 22 ? 1 : 2));
    }
    this.flags[i] = f | (linked ? LINKED : 0);
    this.shift[i] = shift;
  }

  /**
   * Whether an instruction fetch walked the page of `lin` since the last
   * flush (as far as 16 notes remember), noting this walk: a holder can
   * fill the TLB from a fetch walk only when it repeats, so that code run
   * once between flushes (a VM exit handler between transitions that
   * invalidate) costs no fill.
   */
  fetchWalkedBefore(lin: number): boolean {
    const page = lin - (lin & 0xfff);
    const k = (lin >>> 12) & 15;
    if (this.#seenPage[k] === page && this.#seenGen[k] === this.#gen) return true;
    this.#seenPage[k] = page;
    this.#seenGen[k] = this.#gen;
    return false;
  }

  /**
   * The physical address of `lin` if a slot caches its page with one of
   * the rights in `need` (PERM_* bits), else -1.
   */
  probe(lin: number, need: number): number {
    const o = lin & 0xfff;
    const i = (lin >>> 12) & this.mask;
    if (this.tag[i] === lin - o && (this.perm[i] & need) !== 0) return this.frame[i] * 4096 + o;
    return -1;
  }

  /** Put slot `i` first in the chain of the bucket of `frame` (see {@link #fHead}). */
  #link(i: number, frame: number): void {
    const b = frame & this.mask;
    const h = this.#fHead[b];
    this.#fPrev[i] = -1;
    this.#fNext[i] = h;
    if (h >= 0) this.#fPrev[h] = i;
    this.#fHead[b] = i;
  }

  /** Put slot `i` first in large-page bucket `b`'s chain (see {@link #lHead}). */
  #lLink(i: number, b: number): void {
    const h = this.#lHead[b];
    this.#lBucket[i] = b;
    this.#lPrev[i] = -1;
    this.#lNext[i] = h;
    if (h >= 0) this.#lPrev[h] = i;
    this.#lHead[b] = i;
    this.#hinted = true;
  }

  /** Take slot `i` out of its large-page bucket's chain. */
  #lUnlink(i: number): void {
    const p = this.#lPrev[i];
    const n = this.#lNext[i];
    if (p >= 0) this.#lNext[p] = n;
    else this.#lHead[this.#lBucket[i]] = n;
    if (n >= 0) this.#lPrev[n] = p;
  }

  /** Take slot `i` out of the chain of the bucket of `frame`, the frame it holds. */
  #unlink(i: number, frame: number): void {
    const p = this.#fPrev[i];
    const n = this.#fNext[i];
    if (p >= 0) this.#fNext[p] = n;
    else this.#fHead[frame & this.mask] = n;
    if (n >= 0) this.#fPrev[n] = p;
  }

  /**
   * The 32-bit view of `data`, the bytes of `frame`: cached by frame number
   * (a fill happens on every TLB miss, and a WeakMap lookup per miss was
   * the largest single cost of miss-heavy code), checked against the view.
   */
  #view32(frame: number, data: Uint8Array): Uint32Array {
    if (!(frame >= 0 && frame < MAX_CACHED_FRAMES)) return view32(data);
    const hi = frame >>> 10;
    let chunk = this.#v32[hi];
    if (chunk === undefined) {
      while (this.#v32.length <= hi) this.#v32.push(undefined);
      chunk = this.#v32[hi] = new Array<Uint32Array | undefined>(1024).fill(undefined);
    }
    const c = chunk[frame & 1023];
    if (c !== undefined && c.buffer === data.buffer && c.byteOffset === data.byteOffset) return c;
    const v = view32(data);
    chunk[frame & 1023] = v;
    return v;
  }

  /**
   * Make the touched list exactly the valid slots (each once) and return
   * its length; called when it is full (duplicates of refilled slots).
   */
  #live(): number {
    const t = this.#touched;
    const tag = this.tag;
    let n = 0;
    for (let i = 0; i < this.size; i++) if (tag[i] === tag[i]) t[n++] = i;
    this.#nTouched = n;
    return n;
  }

  /** Index of the slot caching linear page number `page`, or -1 (tests, diagnostics). */
  lookup(page: number): number {
    const i = page & this.mask;
    return this.tag[i] === page * 4096 ? i : -1;
  }

  /** Number of valid slots (diagnostics; O(size)). */
  count(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.tag[i] === this.tag[i]) n++;
    return n;
  }

  #kill(i: number): void {
    const f = this.flags[i];
    if (f & TLB_GLOBAL) this.#global--;
    if (f & TLB_LARGE) {
      this.#large--;
      this.#lUnlink(i);
    }
    if (f & LINKED) this.#unlink(i, this.frame[i]);
    this.flags[i] = 0;
    this.#clear(i);
  }

  #clear(i: number): void {
    this.tag[i] = NaN;
    this.perm[i] = 0;
    this.frame[i] = NaN;
    this.#sR[i] = NaN;
    this.#sW[i] = NaN;
    this.#uR[i] = NaN;
    this.#uW[i] = NaN;
  }

  /** Drop every entry, global ones included. */
  flushAll(): void {
    const n = this.#nTouched;
    // Slots never filled since the last flush are empty already: clear
    // only the touched ones (and the frame chains through them).
    const t = this.#touched;
    const fr = this.frame;
    const heads = this.#fHead;
    const mask = this.mask;
    for (let k = 0; k < n; k++) {
      const i = t[k];
      if ((this.flags[i] & LINKED) !== 0) heads[fr[i] & mask] = -1;
      this.flags[i] = 0;
      this.#clear(i);
    }
    this.#nTouched = 0;
    this.#gen++;
    if (this.#hinted) {
      this.#lHead.fill(-1);
      this.#hinted = false;
    }
    this.#large = 0;
    this.#global = 0;
  }

  /** Drop every non-global entry (MOV to CR3, INVPCID types 1 and 3). */
  flushNonGlobal(): void {
    if (this.#global === 0) {
      this.flushAll();
      return;
    }
    this.#gen++;
    // The global entries stay, and stay listed (each once).
    const t = this.#touched;
    const n = this.#nTouched;
    let kept = 0;
    for (let k = 0; k < n; k++) {
      const i = t[k];
      if (this.tag[i] !== this.tag[i]) continue;
      if (this.flags[i] & TLB_GLOBAL) {
        this.flags[i] |= LISTED;
        continue;
      }
      this.#kill(i);
    }
    for (let k = 0; k < n; k++) {
      const i = t[k];
      if (this.flags[i] & LISTED) {
        this.flags[i] &= ~LISTED;
        t[kept++] = i;
      }
    }
    this.#nTouched = kept;
  }

  /**
   * Drop the translation of the page containing `lin` (INVLPG when
   * `includeGlobal`, INVPCID type 0 otherwise), including every cached
   * 4 KiB piece of a large page that contains `lin`.
   */
  flushPage(lin: number, includeGlobal: boolean): void {
    const page = lin - (lin & 0xfff);
    const i = (lin >>> 12) & this.mask;
    if (this.tag[i] === page && (includeGlobal || !(this.flags[i] & TLB_GLOBAL))) this.#kill(i);
    if (this.#large === 0) return;
    const tag = this.tag, flags = this.flags;
    for (let k = 0; k < LARGE_SHIFTS.length; k++) {
      const unit = LARGE_UNITS[k];
      const base = Math.floor(page / unit);
      let j = this.#lHead[hintBucket(page, k)];
      while (j >= 0) {
        const next = this.#lNext[j];
        if (
          this.shift[j] === LARGE_SHIFTS[k] && Math.floor(tag[j] / unit) === base &&
          (includeGlobal || !(flags[j] & TLB_GLOBAL))
        ) this.#kill(j);
        j = next;
      }
    }
  }

  /**
   * MOV to CR3 loaded `pcid` (0 without CR4.PCIDE) where `oldPcid` was
   * current (SDM 4.10.4.1): non-global entries go, unless PCIDs are on,
   * bit 63 asked not to flush (`noFlush`) and the PCID stays the same.
   */
  cr3Loaded(noFlush: boolean, pcide: boolean, oldPcid: number, pcid: number): void {
    if (!noFlush || !pcide || pcid !== oldPcid) this.flushNonGlobal();
  }

  /**
   * INVPCID (SDM Vol. 2 INVPCID): type 0 one address for `pcid` (not
   * global), 1 all of `pcid` (not global), 2 everything incl. global, 3
   * everything except global. `current` and `pcide` describe the vCPU's
   * PCID state. Returns false for an invalid type or PCID (> 4095, or
   * type 0/1 with PCID != 0 while CR4.PCIDE = 0): #GP(0).
   */
  invpcid(type: number, pcid: number, lin: number, current: number, pcide: boolean): InvpcidResult {
    if (type < 0 || type > 3 || !(pcid >= 0 && pcid <= 0xfff)) return false;
    if (type <= 1 && !pcide && pcid !== 0) return false;
    const mine = pcid === current;
    switch (type) {
      case 0:
        if (mine) this.flushPage(lin, false);
        break;
      case 1:
        if (mine) this.flushNonGlobal();
        break;
      case 2:
        this.flushAll();
        break;
      default:
        this.flushNonGlobal();
    }
    return true;
  }

  /** Drop the write rights to RAM frame `frame` (-1: every write right). Read rights stay. */
  dropWrites(frame: number): void {
    const flags = this.flags;
    if (frame < 0) {
      const t = this.#touched;
      for (let k = 0; k < this.#nTouched; k++) {
        const i = t[k];
        if ((flags[i] & LINKED) === 0) continue;
        this.#fHead[this.frame[i] & this.mask] = -1;
        flags[i] &= ~LINKED;
        this.#noWrite(i);
      }
      return;
    }
    const fr = this.frame;
    let i = this.#fHead[frame & this.mask];
    while (i >= 0) {
      const next = this.#fNext[i];
      if (fr[i] === frame) {
        this.#unlink(i, frame);
        flags[i] &= ~LINKED;
        this.#noWrite(i);
      }
      i = next;
    }
  }

  #noWrite(i: number): void {
    this.perm[i] &= ~PERM_WRITE;
    this.#sW[i] = NaN;
    this.#uW[i] = NaN;
  }

  /**
   * Revoke direct views, as the memory's frame-invalidation listener:
   * `frame` -1 means every entry. With `writeOnly`, only write rights go;
   * otherwise every entry (the region map changed).
   */
  revokeFrame(frame: number, writeOnly: boolean): void {
    if (writeOnly) this.dropWrites(frame);
    else if (frame < 0) this.flushAll();
    else {
      // Rare (the region map changed): every slot of the frame, not only
      // those with write rights.
      const t = this.#touched;
      for (let k = 0; k < this.#nTouched; k++) {
        const i = t[k];
        if (this.frame[i] === frame) this.#kill(i);
      }
    }
  }
}
