/**
 * Frame-level storage behind {@link PhysicalMemory}: per-4 KiB-frame tables
 * (kind, write flags, dirty log, code marks), lazily allocated 64 KiB chunks
 * of RAM/ROM bytes with cached 4 KiB views, the dirty log, code-write
 * notification and direct frame views. See physical.ts for the model.
 *
 * @module
 */

/** Internal constant. */
export const CHUNK_SHIFT = 16;
/** Internal constant. */
export const CHUNK_SIZE = 1 << CHUNK_SHIFT;
/** Internal constant. */
export const CHUNK_MASK = CHUNK_SIZE - 1;
/** Internal constant. */
export const FRAMES_PER_CHUNK = CHUNK_SIZE >>> 12;
/** Internal constant. */
export const TWO32 = 0x1_0000_0000;
/** Highest physical address + 1 that a region may cover. */
/** Internal constant. */
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
/** Internal constant. */
export const K_MIXED = 4;

/** Not plain RAM: the write must go to the slow path. */
/** Internal constant. */
export const WF_NOT_RAM = 1;
/** Dirty logging is on and the frame is not in the log yet. */
/** Internal constant. */
export const WF_LOG = 2;
/** The frame holds decoded code; a write must notify. */
/** Internal constant. */
export const WF_CODE = 4;
/** The RAM chunk is not allocated yet. */
/** Internal constant. */
export const WF_UNALLOC = 8;

/** Internal constant. */
export const ONES = [0, 0xff, 0xffff, 0xffffff, 0xffffffff];

/** Listener for writes to pages marked with {@link PhysicalMemory.markCode}. */
export type CodeWriteListener = (frame: number) => void;
/** Listener for revoked direct frame views (see the module doc). */
export type FrameInvalidateListener = (frame: number, writeOnly: boolean) => void;

/** Options for {@link FrameStore}. */
export interface FrameStoreOptions {
  /** Start with the dirty log enabled (default true). */
  readonly dirtyLog?: boolean;
}

/** Frame tables, chunk storage, dirty log and code marks (base of PhysicalMemory). */
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
  // ---- per 64 KiB chunk ----
  /** Backing bytes of RAM/ROM chunks (undefined until allocated). */
  protected store: (Uint8Array | undefined)[] = [];
  /** Same as `store`, but only where every frame of the chunk is RAM or ROM (fast reads). */
  protected rfast: (Uint8Array | undefined)[] = [];
  /** Cached 4 KiB views per chunk. */
  protected views: (Uint8Array[] | undefined)[] = [];

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

  /** Internal helper. */
  protected grow(frames: number): void {
    if (frames <= this.frames) return;
    frames = Math.ceil(frames / FRAMES_PER_CHUNK) * FRAMES_PER_CHUNK;
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
    const chunks = frames / FRAMES_PER_CHUNK;
    for (let c = this.store.length; c < chunks; c++) {
      this.store.push(undefined);
      this.rfast.push(undefined);
      this.views.push(undefined);
    }
    this.frames = frames;
  }

  /** Internal helper. */
  protected refreshChunk(c: number): void {
    const s = this.store[c];
    let all = s !== undefined;
    for (let f = c * FRAMES_PER_CHUNK; all && f < (c + 1) * FRAMES_PER_CHUNK; f++) {
      const k = this.kind[f];
      if (k !== K_RAM && k !== K_ROM) all = false;
    }
    this.rfast[c] = all ? s : undefined;
  }

  /** After a map change: notify code listeners for the range and revoke all views. */

  /** Internal helper. */
  protected allocChunk(c: number): Uint8Array {
    let s = this.store[c];
    if (!s) {
      s = new Uint8Array(CHUNK_SIZE);
      this.store[c] = s;
      for (let f = c * FRAMES_PER_CHUNK; f < (c + 1) * FRAMES_PER_CHUNK; f++) {
        this.wflag[f] &= ~WF_UNALLOC;
      }
      this.refreshChunk(c);
    }
    return s;
  }

  /** The (allocated) 4 KiB view of a RAM/ROM frame. */
  /** Internal helper. */
  protected frameBytes(f: number): Uint8Array {
    const c = f >>> 4;
    const s = this.store[c] ?? this.allocChunk(c);
    let v = this.views[c];
    if (!v) {
      v = [];
      this.views[c] = v;
    }
    const i = f & 15;
    let page = v[i];
    if (!page) {
      page = s.subarray(i * 4096, i * 4096 + 4096);
      v[i] = page;
    }
    return page;
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
      if (this.kind[f] === K_RAM) this.wflag[f] |= WF_LOG;
    }
    this.revokeWriteViews();
  }

  /** Stop recording; the log is discarded. */
  disableDirtyLog(): void {
    if (!this.logging) return;
    this.logging = false;
    for (const f of this.dirtyList) this.dirty[f] = 0;
    this.dirtyList = [];
    for (let f = 0; f < this.frames; f++) this.wflag[f] &= ~WF_LOG;
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
      if (this.kind[f] === K_RAM && this.logging) this.wflag[f] |= WF_LOG;
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
    this.wflag[frame] &= ~WF_LOG;
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
    this.wflag[frame] |= WF_CODE;
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
    this.wflag[f] &= ~WF_CODE;
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
  /** Internal helper. */
  protected touch(f: number): void {
    const w = this.wflag[f];
    if (w & WF_UNALLOC) this.allocChunk(f >>> 4);
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
