/**
 * Frame-level storage behind {@link PhysicalMemory}: per-4 KiB-frame tables
 * (kind, write flags, dirty log, code marks), RAM/ROM pages allocated on
 * first write (each page a 4 KiB view carved out of 1 MiB host slabs, so
 * scattered touches cost 4 KiB each), the dirty log, code-write notification
 * and direct frame views. See physical.ts for the model.
 *
 * @module
 */

/** Pages per host slab: page storage is carved out of 1 MiB ArrayBuffers. */
export const SLAB_PAGES = 256;
/** Internal constant. */
export const TWO32 = 0x1_0000_0000;
/** Highest physical address + 1 that a region may cover. */
export const ADDR_LIMIT = 2 ** 43;

/** Internal constant. */
export const K_HOLE = 0;
/** Internal constant. */
export const K_RAM = 1;
/** Internal constant. */
export const K_ROM = 2;
/** Internal constant. */
export const K_MMIO = 3;
/** The frame is partly covered by a region smaller than a page: look regions up. */
export const K_MIXED = 4;

/** Not plain RAM: the write must go to the slow path. */
export const WF_NOT_RAM = 1;
/** Dirty logging is on and the frame is not in the log yet. */
export const WF_LOG = 2;
/** The frame holds decoded code; a write must notify. */
export const WF_CODE = 4;
/** The RAM page is not allocated yet. */
export const WF_UNALLOC = 8;

/** Internal constant. */
export const ONES = [0, 0xff, 0xffff, 0xffffff, 0xffffffff];

/** Listener for writes to pages marked with {@link PhysicalMemory.markCode}. */
export type CodeWriteListener = (frame: number) => void;
/** Listener for revoked direct frame views (see the module doc). */
export type FrameInvalidateListener = (frame: number, writeOnly: boolean) => void;

/** 512 page slots (2 MiB of guest-physical space). */
export type PageLeaf = (Uint8Array | undefined)[];

/** A leaf with `p` at index `i`. */
function newLeaf(i: number, p: Uint8Array): PageLeaf {
  const leaf: PageLeaf = [];
  for (let j = 0; j < 512; j++) leaf.push(undefined);
  leaf[i] = p;
  return leaf;
}

/** Options for {@link FrameStore}. */
export interface FrameStoreOptions {
  /** Start with the dirty log enabled (default true). */
  readonly dirtyLog?: boolean;
}

/** Frame tables, page storage, dirty log and code marks (base of PhysicalMemory). */
export class FrameStore {
  // ---- per 4 KiB frame ----
  /** Frame kind (K_*). */
  protected kind: Uint8Array = new Uint8Array(0);
  /** Write flags (WF_*); 0 = a plain store is all a write needs. */
  protected wflag: Uint8Array = new Uint8Array(0);
  /** Dirty-log bit. */
  protected dirty: Uint8Array = new Uint8Array(0);
  /** Code mark. */
  protected code: Uint8Array = new Uint8Array(0);
  /** A write view of the frame was handed out since the last revocation. */
  protected handed: Uint8Array = new Uint8Array(0);
  /**
   * Bytes of each allocated RAM/ROM page, two-level: `pdir[f >>> 9][f & 511]`
   * (a leaf of 512 pages = 2 MiB is created on first use, so tables for a
   * large address space cost nothing up front).
   */
  protected pdir: (PageLeaf | undefined)[] = [];
  /** Same shape: the page where `wflag[f] === 0` (a write is a plain store), else undefined. */
  protected wdir: (PageLeaf | undefined)[] = [];
  /** The slab pages are being carved from. */
  private slab: Uint8Array | null = null;
  /** Pages used in the current slab. */
  private slabUsed = SLAB_PAGES;
  /** Zeroed pages returned by removed regions, reused first. */
  private freePages: Uint8Array[] = [];
  /** Pages currently backing RAM/ROM. */
  protected pagesInUse = 0;

  /** Frames covered by the tables. */
  protected frames = 0;
  /** Frames in the dirty log, in insertion order. */
  protected dirtyList: number[] = [];
  /** Dirty logging on. */
  protected logging: boolean;
  /** Some write view is outstanding. */
  protected anyHanded = false;
  /** Code-write listeners. */
  protected codeListeners: CodeWriteListener[] = [];
  /** View-revocation listeners. */
  protected frameListeners: FrameInvalidateListener[] = [];

  /** Create tables covering 4 GiB. */
  constructor(options: FrameStoreOptions = {}) {
    this.logging = options.dirtyLog ?? true;
    this.grow(TWO32 / 4096);
  }

  /** Make the per-frame tables cover `frames` frames. */
  protected grow(frames: number): void {
    if (frames <= this.frames) return;
    const up = (a: Uint8Array, fill: number): Uint8Array => {
      const b = new Uint8Array(frames);
      b.set(a);
      if (fill) b.fill(fill, a.length);
      return b;
    };
    this.kind = up(this.kind, 0);
    this.wflag = up(this.wflag, WF_NOT_RAM);
    this.dirty = up(this.dirty, 0);
    this.code = up(this.code, 0);
    this.handed = up(this.handed, 0);
    // Grown with push so V8 keeps fast (not dictionary) elements.
    for (let d = this.pdir.length; d < Math.ceil(frames / 512); d++) {
      this.pdir.push(undefined);
      this.wdir.push(undefined);
    }
    this.frames = frames;
  }

  /** Set the write flags of frame `f` and keep `wfast` in step. */
  protected setFlags(f: number, flags: number): void {
    this.wflag[f] = flags;
    const p = flags === 0 ? this.page(f) : undefined;
    const leaf = this.wdir[f >>> 9];
    if (leaf !== undefined) leaf[f & 511] = p;
    else if (p !== undefined) this.wdir[f >>> 9] = newLeaf(f & 511, p);
  }

  /** The page of frame `f`, if allocated. */
  protected page(f: number): Uint8Array | undefined {
    const leaf = this.pdir[f >>> 9];
    return leaf === undefined ? undefined : leaf[f & 511];
  }

  /** Allocate (zeroed) storage for RAM/ROM frame `f`. */
  protected allocPage(f: number): Uint8Array {
    let p = this.freePages.pop();
    if (!p) {
      if (this.slabUsed === SLAB_PAGES) {
        this.slab = new Uint8Array(SLAB_PAGES * 4096);
        this.slabUsed = 0;
      }
      const o = this.slabUsed++ * 4096;
      p = this.slab!.subarray(o, o + 4096);
    }
    const leaf = this.pdir[f >>> 9];
    if (leaf !== undefined) leaf[f & 511] = p;
    else this.pdir[f >>> 9] = newLeaf(f & 511, p);
    this.pagesInUse++;
    this.setFlags(f, this.wflag[f] & ~WF_UNALLOC);
    return p;
  }

  /** Release the storage of frame `f` (region removed): zeroed and kept for reuse. */
  protected freePage(f: number): void {
    const p = this.page(f);
    if (!p) return;
    p.fill(0);
    this.freePages.push(p);
    this.pdir[f >>> 9]![f & 511] = undefined;
    const w = this.wdir[f >>> 9];
    if (w !== undefined) w[f & 511] = undefined;
    this.pagesInUse--;
  }

  /** The (allocated) 4 KiB view of a RAM/ROM frame. */
  protected frameBytes(f: number): Uint8Array {
    return this.page(f) ?? this.allocPage(f);
  }

  // ------------------------------------------------------------------
  // Dirty log and code marks
  // ------------------------------------------------------------------

  /** True while the dirty log records writes. */
  get dirtyLogEnabled(): boolean {
    return this.logging;
  }

  /** Start recording written pages (the log starts empty). */
  enableDirtyLog(): void {
    if (this.logging) return;
    this.logging = true;
    this.dirtyList = [];
    this.dirty.fill(0);
    for (let f = 0; f < this.frames; f++) {
      if (this.kind[f] === K_RAM) this.setFlags(f, this.wflag[f] | WF_LOG);
    }
    this.revokeWriteViews();
  }

  /** Stop recording; the log is discarded. */
  disableDirtyLog(): void {
    if (!this.logging) return;
    this.logging = false;
    for (const f of this.dirtyList) this.dirty[f] = 0;
    this.dirtyList = [];
    for (let f = 0; f < this.frames; f++) {
      if (this.wflag[f] & WF_LOG) this.setFlags(f, this.wflag[f] & ~WF_LOG);
    }
  }

  /** Whether page `frame` is in the dirty log. */
  isDirty(frame: number): boolean {
    return this.dirty[frame] === 1;
  }

  /**
   * Return the page numbers (gpa / 4096) written since the last call, in
   * ascending order, and start a new log. Empty while logging is off.
   */
  getAndClearDirty(): number[] {
    const list = this.dirtyList;
    this.dirtyList = [];
    for (const f of list) {
      this.dirty[f] = 0;
      if (this.kind[f] === K_RAM && this.logging) this.setFlags(f, this.wflag[f] | WF_LOG);
    }
    list.sort((a, b) => a - b);
    this.revokeWriteViews();
    return list;
  }

  /** Put page `frame` in the dirty log (no-op when logging is off). */
  markDirty(frame: number): void {
    if (!this.logging || this.dirty[frame] === 1 || frame >= this.frames) return;
    this.dirty[frame] = 1;
    this.dirtyList.push(frame);
    this.setFlags(frame, this.wflag[frame] & ~WF_LOG);
  }

  /**
   * Mark RAM frame `frame` as holding decoded code. The next write to it by
   * any path calls the code-write listeners once and clears the mark; a
   * write view handed out earlier is revoked now.
   */
  markCode(frame: number): void {
    if (frame >= this.frames || frame < 0 || this.kind[frame] !== K_RAM) return;
    if (this.code[frame] === 1) return;
    this.code[frame] = 1;
    this.setFlags(frame, this.wflag[frame] | WF_CODE);
    if (this.handed[frame] === 1) {
      this.handed[frame] = 0;
      for (const l of this.frameListeners) l(frame, true);
    }
  }

  /** Whether `frame` carries a code mark. */
  isCode(frame: number): boolean {
    return this.code[frame] === 1;
  }

  /** Register a code-write listener; returns a function that unregisters it. */
  onCodeWrite(listener: CodeWriteListener): () => void {
    this.codeListeners.push(listener);
    return () => {
      this.codeListeners = this.codeListeners.filter((l) => l !== listener);
    };
  }

  /** Register a frame-view revocation listener (a TLB); returns an unregister function. */
  onFrameInvalidate(listener: FrameInvalidateListener): () => void {
    this.frameListeners.push(listener);
    return () => {
      this.frameListeners = this.frameListeners.filter((l) => l !== listener);
    };
  }

  /** Internal helper. */
  protected codeWritten(f: number): void {
    this.code[f] = 0;
    this.setFlags(f, this.wflag[f] & ~WF_CODE);
    for (const l of this.codeListeners) l(f);
  }

  /** Internal helper. */
  protected revokeWriteViews(): void {
    if (!this.anyHanded) return;
    this.handed.fill(0);
    this.anyHanded = false;
    for (const l of this.frameListeners) l(-1, true);
  }

  /** Bookkeeping of a write to RAM frame `f`: allocate, log, code notify. */
  protected touch(f: number): void {
    const w = this.wflag[f];
    if (w & WF_UNALLOC) this.allocPage(f);
    if (w & WF_LOG) this.markDirty(f);
    if (w & WF_CODE) this.codeWritten(f);
  }

  // ------------------------------------------------------------------
  // Direct frame access (CPU TLB)
  // ------------------------------------------------------------------

  /**
   * A 4 KiB view of RAM (or, for reads, ROM) frame `frame` (= gpa / 4096),
   * or null for MMIO, holes, ROM when `forWrite`, and RAM never written
   * when `!forWrite` (read it through {@link read8} etc., which return 0).
   * The same view object is returned on every call. Taking a write view
   * performs the write bookkeeping (see the module doc); the holder must
   * drop the view when told through {@link onFrameInvalidate}.
   */
  ramFrame(frame: number, forWrite: boolean): Uint8Array | null {
    if (!(frame >= 0 && frame < this.frames)) return null;
    const k = this.kind[frame];
    if (k === K_RAM) {
      if (forWrite) {
        if (this.wflag[frame] !== 0) this.touch(frame);
        this.handed[frame] = 1;
        this.anyHanded = true;
      } else if (this.wflag[frame] & WF_UNALLOC) return null;
      return this.frameBytes(frame);
    }
    if (k === K_ROM && !forWrite) return this.frameBytes(frame);
    return null;
  }
}
