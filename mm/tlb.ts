/**
 * The per-vCPU TLB: a direct-mapped table of typed arrays keyed by linear
 * page, in the shape the CPU engine inlines, plus the SDM's invalidation
 * rules (SDM Vol. 3A 4.10.4): global pages, per-page INVLPG (every 4 KiB
 * piece of a large page), PCIDs and the INVPCID types.
 *
 * ## The fast path (what the CPU inlines)
 * ```ts ignore
 * const o = lin & 0xfff;                 // low 12 bits, also for negative lin
 * const x = (lin >>> 12) & tlb.mask;     // index (works for negative lin too)
 * if (tlb.rTag[x] === lin - o) value = tlb.rMem[x][o];   // read hit
 * if (tlb.wTag[x] === lin - o) tlb.wMem[x][o] = value;   // write hit
 * ```
 * A tag is the linear address of the 4 KiB page (NaN = empty, never equal).
 * `rMem32`/`wMem32` view the same frames as 32-bit words for aligned
 * accesses. Entries exist only for RAM frames the holder may access
 * directly: a read entry once a read walk succeeded, a write entry once a
 * write walk succeeded (so the walk has set the dirty flag). A write entry
 * always shares its slot with the read entry of the same page.
 *
 * Entries are filled for one access class ({@link Tlb.owner}, e.g. user or
 * supervisor); the holder flushes when its class changes. Entries cache
 * 4 KiB pieces even of large pages; `shift` remembers the page size so
 * INVLPG of any address in a large page drops every piece.
 *
 * PCIDs: the TLB only holds entries of the current PCID plus global
 * entries; loading another PCID drops the other non-global entries
 * (allowed, as a TLB may forget entries at any time). This keeps the hit
 * test free of a PCID compare.
 *
 * @module
 */

/** Entry flag: the translation is global (G=1 with CR4.PGE=1). */
export const TLB_GLOBAL = 1;
/** Entry flag: the translation comes from a page larger than 4 KiB. */
export const TLB_LARGE = 2;

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

/** Outcome of {@link Tlb.invpcid}: false = invalid type or PCID (#GP(0)). */
export type InvpcidResult = boolean;

/** A direct-mapped TLB (see the module doc for the fast path). */
export class Tlb {
  /** Number of entries (a power of two). */
  readonly size: number;
  /** `size - 1`: index = (lin >>> 12) & mask. */
  readonly mask: number;
  /** Read entries: linear address of the page; NaN = empty. */
  readonly rTag: Float64Array;
  /** Read entries: the RAM frame's bytes. */
  readonly rMem: Uint8Array[] = [];
  /** Read entries: the same frames as 32-bit words. */
  readonly rMem32: Uint32Array[] = [];
  /** Write entries: linear address of the page (NaN, or equal to `rTag`). */
  readonly wTag: Float64Array;
  /** Write entries: the RAM frame's bytes. */
  readonly wMem: Uint8Array[] = [];
  /** Write entries: the same frames as 32-bit words. */
  readonly wMem32: Uint32Array[] = [];
  /** Physical (host-physical under EPT) frame number of each entry; NaN = none. */
  readonly frame: Float64Array;
  /** TLB_GLOBAL | TLB_LARGE per entry. */
  readonly flags: Uint8Array;
  /** log2 of the size of the page an entry came from (12, 21, 22, 30). */
  readonly shift: Uint8Array;
  /** The access class the entries were filled for (set by the holder). */
  owner = 0;
  #large = 0;
  #global = 0;
  /** 32-bit views by frame number, in chunks of 1024 frames (see {@link #view32}). */
  readonly #v32: ((Uint32Array | undefined)[] | undefined)[] = [];
  /**
   * Indices of the entries filled while empty since the last full flush
   * (every valid entry is among them, some may be listed twice): flushes
   * and the per-frame and per-page scans visit just these, so their cost
   * follows the pages in use, not the table size. VM entries and exits
   * flush the whole TLB without VPIDs (SDM Vol. 3C, "Operations that
   * Invalidate Cached Mappings") after touching only a few pages. When the
   * list fills up it is rebuilt from the valid entries (see {@link #live}).
   */
  readonly #touched: Int32Array;
  #nTouched = 0;

  /** Create a TLB with `entries` entries (rounded up to a power of two, at least 16). */
  constructor(entries: number = TLB_ENTRIES) {
    let size = 16;
    while (size < entries) size *= 2;
    this.size = size;
    this.mask = size - 1;
    this.rTag = new Float64Array(size).fill(NaN);
    this.wTag = new Float64Array(size).fill(NaN);
    this.frame = new Float64Array(size).fill(NaN);
    this.flags = new Uint8Array(size);
    this.shift = new Uint8Array(size).fill(12);
    this.#touched = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      this.rMem.push(EMPTY);
      this.rMem32.push(EMPTY32);
      this.wMem.push(EMPTY);
      this.wMem32.push(EMPTY32);
    }
  }

  /**
   * Install the translation of the page containing `lin` to RAM frame
   * `frame` whose bytes are `data`: a read entry, and with `write` a write
   * entry too. `global` and `shift` describe the page it came from.
   */
  fill(
    lin: number,
    frame: number,
    data: Uint8Array,
    write: boolean,
    global: boolean,
    shift: number,
  ): void {
    const i = (lin >>> 12) & this.mask;
    const page = lin - (lin & 0xfff);
    const old = this.rTag[i];
    if (old !== page) {
      if (old !== old) {
        // Empty until now: remember it for the next flush.
        if (this.#nTouched === this.size) this.#live();
        this.#touched[this.#nTouched++] = i;
      }
      this.#forget(i);
      this.wTag[i] = NaN;
    }
    const d32 = this.#view32(frame, data);
    this.rTag[i] = page;
    this.rMem[i] = data;
    this.rMem32[i] = d32;
    if (write) {
      this.wTag[i] = page;
      this.wMem[i] = data;
      this.wMem32[i] = d32;
    }
    this.frame[i] = frame;
    const f = (global ? TLB_GLOBAL : 0) | (shift > 12 ? TLB_LARGE : 0);
    const was = this.flags[i];
    if (was & TLB_GLOBAL) this.#global--;
    if (was & TLB_LARGE) this.#large--;
    if (f & TLB_GLOBAL) this.#global++;
    if (f & TLB_LARGE) this.#large++;
    this.flags[i] = f;
    this.shift[i] = shift;
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
   * Make the touched list exactly the valid entries (each once) and return
   * its length; called when it is full (duplicates of refilled entries).
   */
  #live(): number {
    const t = this.#touched;
    const tag = this.rTag;
    let n = 0;
    for (let i = 0; i < this.size; i++) if (tag[i] === tag[i]) t[n++] = i;
    this.#nTouched = n;
    return n;
  }

  /** Index of the read entry for linear page number `page`, or -1 (tests, diagnostics). */
  lookup(page: number): number {
    const i = page & this.mask;
    return this.rTag[i] === page * 4096 ? i : -1;
  }

  /** Number of valid entries (diagnostics; O(size)). */
  count(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.rTag[i] === this.rTag[i]) n++;
    return n;
  }

  #forget(i: number): void {
    const f = this.flags[i];
    if (f & TLB_GLOBAL) this.#global--;
    if (f & TLB_LARGE) this.#large--;
    this.flags[i] = 0;
  }

  #kill(i: number): void {
    this.#forget(i);
    this.rTag[i] = NaN;
    this.wTag[i] = NaN;
    this.frame[i] = NaN;
  }

  /** Drop every entry, global ones included. */
  flushAll(): void {
    // Entries never filled since the last flush are empty already (tags
    // and frame NaN, flags 0): clear only the touched ones.
    const t = this.#touched;
    for (let k = 0; k < this.#nTouched; k++) {
      const i = t[k];
      this.rTag[i] = NaN;
      this.wTag[i] = NaN;
      this.frame[i] = NaN;
      this.flags[i] = 0;
    }
    this.#nTouched = 0;
    this.#large = 0;
    this.#global = 0;
  }

  /** Drop every non-global entry (MOV to CR3, INVPCID types 1 and 3). */
  flushNonGlobal(): void {
    if (this.#global === 0) {
      this.flushAll();
      return;
    }
    // The global entries stay, and stay listed (each once).
    const t = this.#touched;
    const n = this.#nTouched;
    let kept = 0;
    for (let k = 0; k < n; k++) {
      const i = t[k];
      if (this.rTag[i] !== this.rTag[i]) continue;
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
    if (this.rTag[i] === page && (includeGlobal || !(this.flags[i] & TLB_GLOBAL))) this.#kill(i);
    if (this.#large === 0) return;
    const t = this.#touched;
    for (let k = 0; k < this.#nTouched; k++) {
      const j = t[k];
      const f = this.flags[j];
      if (!(f & TLB_LARGE) || (!includeGlobal && f & TLB_GLOBAL)) continue;
      const unit = 2 ** this.shift[j];
      if (Math.floor(this.rTag[j] / unit) === Math.floor(page / unit)) this.#kill(j);
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

  /** Drop the write entries of RAM frame `frame` (-1: every write entry). Read entries stay. */
  dropWrites(frame: number): void {
    const fr = this.frame;
    const t = this.#touched;
    for (let k = 0; k < this.#nTouched; k++) {
      const i = t[k];
      if (frame < 0 || fr[i] === frame) this.wTag[i] = NaN;
    }
  }

  /**
   * Revoke direct views, as the memory's frame-invalidation listener:
   * `frame` -1 means every entry. With `writeOnly`, only write entries go;
   * otherwise every entry (the region map changed).
   */
  revokeFrame(frame: number, writeOnly: boolean): void {
    if (writeOnly) this.dropWrites(frame);
    else if (frame < 0) this.flushAll();
    else {
      const t = this.#touched;
      for (let k = 0; k < this.#nTouched; k++) {
        const i = t[k];
        if (this.frame[i] === frame) this.#kill(i);
      }
    }
  }
}
