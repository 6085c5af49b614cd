/**
 * Guest-physical memory: a map of RAM, ROM and MMIO regions with holes, lazy
 * RAM allocation, page pinning, a dirty-page log and code-write notification.
 *
 * ## Storage
 * RAM and ROM bytes live in 64 KiB chunks allocated on first write (reads of
 * untouched RAM return 0 and allocate nothing), so a 4 GiB guest costs only
 * what it touches. Per 4 KiB frame the memory keeps a kind byte and a
 * "write flags" byte that is 0 exactly when a plain store into the chunk is
 * all a write has to do (RAM, allocated, already in the dirty log or the log
 * is off, not marked as holding code). The hot accessors test that byte and
 * fall back to a slow path otherwise.
 *
 * ## Direct frame references (for the CPU's TLB)
 * {@link PhysicalMemory.ramFrame} returns a cached 4 KiB `Uint8Array` view
 * of a RAM page. Taking a view *for write* does the bookkeeping of a write
 * up front: it allocates the chunk, marks the page in the dirty log, and
 * fires the code-write listeners if the page held decoded code. Afterwards
 * the holder may store into the view freely, until the memory revokes it
 * through the frame-invalidation listeners (see
 * {@link PhysicalMemory.onFrameInvalidate}): `(frame, true)` when a
 * write view of `frame` must be dropped (the page was marked as code),
 * `(-1, true)` when all write views must be dropped (the dirty log was
 * harvested), `(-1, false)` when all views must be dropped (the region map
 * changed).
 *
 * ## Addresses
 * Guest-physical addresses are plain numbers. Addresses below 4 GiB take the
 * fastest path; RAM above 4 GiB works through the slow path. The highest
 * usable address is 2^43 (8 TiB), enough for any `-m`.
 *
 * @module
 */

import type { IoHandler } from "../core/plugin.ts";
import type { GuestMemory, PinnedPage, PinResult } from "./types.ts";
import { gpa } from "./types.ts";
import { type HoleTrace, Region, type RegionInfo, type RegionResult } from "./regions.ts";
import { type PinInfo, PinTable } from "./pins.ts";

const CHUNK_SHIFT = 16;
const CHUNK_SIZE = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_SIZE - 1;
const FRAMES_PER_CHUNK = CHUNK_SIZE >>> 12;
const TWO32 = 0x1_0000_0000;
/** Highest physical address + 1 that a region may cover. */
const ADDR_LIMIT = 2 ** 43;

const K_HOLE = 0;
const K_RAM = 1;
const K_ROM = 2;
const K_MMIO = 3;
/** The frame is partly covered by a region smaller than a page: look regions up. */
const K_MIXED = 4;

/** Not plain RAM: the write must go to the slow path. */
const WF_NOT_RAM = 1;
/** Dirty logging is on and the frame is not in the log yet. */
const WF_LOG = 2;
/** The frame holds decoded code; a write must notify. */
const WF_CODE = 4;
/** The RAM chunk is not allocated yet. */
const WF_UNALLOC = 8;

const ONES = [0, 0xff, 0xffff, 0xffffff, 0xffffffff];

/** Listener for writes to pages marked with {@link PhysicalMemory.markCode}. */
export type CodeWriteListener = (frame: number) => void;
/** Listener for revoked direct frame views (see the module doc). */
export type FrameInvalidateListener = (frame: number, writeOnly: boolean) => void;

/** Options for {@link PhysicalMemory}. */
export interface PhysicalMemoryOptions {
  /** Start with the dirty log enabled (default true). */
  readonly dirtyLog?: boolean;
}

/**
 * Guest-physical memory (implements {@link GuestMemory}). Create it empty,
 * then add regions:
 *
 * ```ts
 * import { PhysicalMemory } from "./physical.ts";
 * const mem = new PhysicalMemory();
 * mem.addRam(0, 64 * 1024 * 1024);
 * mem.write32(0x1000, 0xdeadbeef);
 * if (mem.read32(0x1000) !== 0xdeadbeef) throw new Error("broken");
 * ```
 */
export class PhysicalMemory implements GuestMemory {
  // ---- per 4 KiB frame ----
  /** Frame kind (K_*). */
  private kind: Uint8Array = new Uint8Array(0);
  /** Write flags (WF_*); 0 = a plain store is all a write needs. */
  private wflag: Uint8Array = new Uint8Array(0);
  /** Dirty-log bit. */
  private dirty: Uint8Array = new Uint8Array(0);
  /** Code mark. */
  private code: Uint8Array = new Uint8Array(0);
  /** A write view of the frame was handed out since the last revocation. */
  private handed: Uint8Array = new Uint8Array(0);
  // ---- per 64 KiB chunk ----
  /** Backing bytes of RAM/ROM chunks (undefined until allocated). */
  private store: (Uint8Array | undefined)[] = [];
  /** Same as `store`, but only where every frame of the chunk is RAM or ROM (fast reads). */
  private rfast: (Uint8Array | undefined)[] = [];
  /** Cached 4 KiB views per chunk. */
  private views: (Uint8Array[] | undefined)[] = [];

  private frames = 0;
  private regionList: Region[] = [];
  private nextId = 1;
  private pinTable = new PinTable();
  private dirtyList: number[] = [];
  private logging: boolean;
  private anyHanded = false;
  private codeListeners: CodeWriteListener[] = [];
  private frameListeners: FrameInvalidateListener[] = [];
  private holeTrace: HoleTrace | null = null;
  private ram = 0;

  /** Create an empty address space (all hole) covering at least 4 GiB. */
  constructor(options: PhysicalMemoryOptions = {}) {
    this.logging = options.dirtyLog ?? true;
    this.grow(TWO32 / 4096);
  }

  /** Total bytes of RAM regions. */
  get ramSize(): number {
    return this.ram;
  }

  /** Bytes of host memory allocated for RAM/ROM contents (for diagnostics). */
  get allocatedBytes(): number {
    let n = 0;
    for (const c of this.store) if (c) n += CHUNK_SIZE;
    return n;
  }

  // ------------------------------------------------------------------
  // Region map
  // ------------------------------------------------------------------

  /** Add RAM at [base, base+size) (4 KiB aligned). Contents start zeroed and are allocated lazily. */
  addRam(base: number, size: number, name = "ram"): RegionResult {
    return this.addRegion("ram", name, base, size, null, null);
  }

  /** Add ROM at `base` holding `data` (size rounded up to 4 KiB; writes are dropped). */
  addRom(base: number, data: Uint8Array, name = "rom"): RegionResult {
    const size = Math.ceil(data.length / 4096) * 4096;
    return this.addRegion("rom", name, base, size, null, data);
  }

  /**
   * Add an MMIO range [base, base+size) owned by plugin `owner`. Any byte
   * granularity is allowed. Accesses of 1/2/4 bytes that are naturally
   * aligned and inside the range call `handler` with the offset from
   * `base`; 8-byte accesses become two 4-byte ones; other accesses are
   * split into bytes.
   */
  addMmio(base: number, size: number, owner: string, handler: IoHandler): RegionResult {
    return this.addRegion("mmio", owner, base, size, handler, null);
  }

  /** Remove a region; refused (value) while any of its pages is pinned. RAM contents are discarded. */
  removeRegion(id: number): RegionResult {
    const r = this.regionList.find((x) => x.id === id);
    if (!r) return { ok: false, error: { kind: "not-found", id } };
    const pinned = this.pinnedError(r, "remove");
    if (pinned) return pinned;
    this.regionList = this.regionList.filter((x) => x !== r);
    if (r.kind === "ram") this.ram -= r.size;
    this.unmapRange(r.base, r.size);
    this.changed(r.base, r.size);
    return { ok: true, region: r.info() };
  }

  /**
   * Move a region to `newBase` (e.g. the LAPIC after an APIC_BASE write).
   * RAM and ROM contents move with it. Refused while pinned or if the new
   * range overlaps another region.
   */
  moveRegion(id: number, newBase: number): RegionResult {
    const r = this.regionList.find((x) => x.id === id);
    if (!r) return { ok: false, error: { kind: "not-found", id } };
    const pinned = this.pinnedError(r, "move");
    if (pinned) return pinned;
    const bad = this.validate(r.kind, newBase, r.size, r);
    if (bad) return bad;
    let saved: Uint8Array | null = null;
    if (r.kind !== "mmio") saved = this.readBytes(r.base, r.size);
    const oldBase = r.base;
    this.unmapRange(oldBase, r.size, r);
    r.base = newBase;
    this.regionList.sort((a, b) => a.base - b.base);
    this.mapRegion(r, saved);
    this.changed(oldBase, r.size);
    this.changed(newBase, r.size);
    return { ok: true, region: r.info() };
  }

  /** The regions, sorted by base. */
  regions(): RegionInfo[] {
    return this.regionList.map((r) => r.info());
  }

  /** The region containing `addr`, or undefined for a hole. */
  regionAt(addr: number): RegionInfo | undefined {
    return this.findRegion(addr)?.info();
  }

  /** Trace accesses to holes (`null` to stop). */
  setHoleTrace(trace: HoleTrace | null): void {
    this.holeTrace = trace;
  }

  /** Internal helper. */
  private addRegion(
    kind: "ram" | "rom" | "mmio",
    name: string,
    base: number,
    size: number,
    handler: IoHandler | null,
    rom: Uint8Array | null,
  ): RegionResult {
    const bad = this.validate(kind, base, size, null);
    if (bad) return bad;
    const r = new Region(this.nextId++, kind, name, base, size, handler);
    this.regionList.push(r);
    this.regionList.sort((a, b) => a.base - b.base);
    if (kind === "ram") this.ram += size;
    this.mapRegion(r, rom);
    this.changed(base, size);
    return { ok: true, region: r.info() };
  }

  /** Internal helper. */
  private validate(
    kind: string,
    base: number,
    size: number,
    self: Region | null,
  ): RegionResult | null {
    if (
      !Number.isSafeInteger(base) || !Number.isSafeInteger(size) || size <= 0 ||
      (kind !== "mmio" && (base % 4096 !== 0 || size % 4096 !== 0))
    ) {
      return { ok: false, error: { kind: "misaligned", base, size } };
    }
    if (base < 0 || base + size > ADDR_LIMIT) {
      return { ok: false, error: { kind: "out-of-range", base, size } };
    }
    for (const o of this.regionList) {
      if (o !== self && base < o.base + o.size && o.base < base + size) {
        return { ok: false, error: { kind: "overlap", base, size, other: o.name } };
      }
    }
    return null;
  }

  /** Internal helper. */
  private pinnedError(r: Region, verb: string): RegionResult | null {
    const first = Math.floor(r.base / 4096);
    const last = Math.floor((r.base + r.size - 1) / 4096);
    const holders = this.pinTable.holdersIn(first, last - first + 1);
    if (holders.length === 0) return null;
    return {
      ok: false,
      error: {
        kind: "pinned",
        holders,
        message: `cannot ${verb} region "${r.name}" at 0x${r.base.toString(16)}: pages pinned by ${
          holders.join(", ")
        }`,
      },
    };
  }

  /** Make the per-frame tables cover `frames` frames. */
  /** Internal helper. */
  private grow(frames: number): void {
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
  private mapRegion(r: Region, data: Uint8Array | null): void {
    const end = r.base + r.size;
    this.grow(Math.ceil(end / 4096));
    const first = Math.floor(r.base / 4096);
    const last = Math.ceil(end / 4096);
    for (let f = first; f < last; f++) {
      if (r.kind === "mmio") {
        const whole = f * 4096 >= r.base && (f + 1) * 4096 <= end && this.kind[f] === K_HOLE;
        this.kind[f] = whole ? K_MMIO : K_MIXED;
        this.wflag[f] = WF_NOT_RAM;
      } else if (r.kind === "ram") {
        this.kind[f] = K_RAM;
        const c = f >>> 4;
        this.wflag[f] = (this.store[c] ? 0 : WF_UNALLOC) | (this.logging ? WF_LOG : 0);
      } else {
        this.kind[f] = K_ROM;
        this.wflag[f] = WF_NOT_RAM;
      }
    }
    if (data) {
      for (let off = 0; off < r.size; off += 4096) {
        const f = (r.base + off) / 4096;
        const len = Math.min(4096, data.length - off);
        if (len <= 0) break;
        const page = data.subarray(off, off + len);
        if (r.kind === "rom" && !this.isZero(page)) this.frameBytes(f).set(page);
        else if (r.kind === "ram" && !this.isZero(page)) {
          this.writeBytes(r.base + off, page);
        }
      }
    }
    for (let c = first >>> 4; c <= (last - 1) >>> 4; c++) this.refreshChunk(c);
  }

  /** Internal helper. */
  private isZero(a: Uint8Array): boolean {
    for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
    return true;
  }

  /** Turn [base, base+size) back into a hole (data discarded). */
  /** Internal helper. */
  private unmapRange(base: number, size: number, skip: Region | null = null): void {
    const first = Math.floor(base / 4096);
    const last = Math.ceil((base + size) / 4096);
    for (let f = first; f < last && f < this.frames; f++) {
      const k = this.kind[f];
      if (k === K_RAM || k === K_ROM) {
        const s = this.store[f >>> 4];
        if (s) s.fill(0, (f & 15) * 4096, (f & 15) * 4096 + 4096);
      }
      // A frame shared with another small MMIO region stays mixed.
      const other = this.regionList.some((r) =>
        r !== skip && r.base < (f + 1) * 4096 && f * 4096 < r.base + r.size
      );
      this.kind[f] = other ? K_MIXED : K_HOLE;
      this.wflag[f] = WF_NOT_RAM;
      if (this.code[f]) this.codeWritten(f);
    }
    for (let c = first >>> 4; c <= (last - 1) >>> 4 && c < this.store.length; c++) {
      // Free a chunk when no RAM/ROM frame is left in it.
      let keep = false;
      for (let f = c * FRAMES_PER_CHUNK; f < (c + 1) * FRAMES_PER_CHUNK; f++) {
        const k = this.kind[f];
        if (k === K_RAM || k === K_ROM) keep = true;
      }
      if (!keep) {
        this.store[c] = undefined;
        this.views[c] = undefined;
      }
      this.refreshChunk(c);
    }
  }

  /** Recompute the fast-read entry of chunk `c`. */
  /** Internal helper. */
  private refreshChunk(c: number): void {
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
  private changed(base: number, size: number): void {
    const first = Math.floor(base / 4096);
    const last = Math.ceil((base + size) / 4096);
    for (let f = first; f < last && f < this.frames; f++) if (this.code[f]) this.codeWritten(f);
    this.handed.fill(0);
    this.anyHanded = false;
    for (const l of this.frameListeners) l(-1, false);
  }

  /** Internal helper. */
  private findRegion(addr: number): Region | undefined {
    const list = this.regionList;
    let lo = 0, hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = list[mid];
      if (addr < r.base) hi = mid - 1;
      else if (addr >= r.base + r.size) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  /** Allocate the chunk containing frame `f` (RAM/ROM). */
  /** Internal helper. */
  private allocChunk(c: number): Uint8Array {
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
  private frameBytes(f: number): Uint8Array {
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
  private codeWritten(f: number): void {
    this.code[f] = 0;
    this.wflag[f] &= ~WF_CODE;
    for (const l of this.codeListeners) l(f);
  }

  /** Internal helper. */
  private revokeWriteViews(): void {
    if (!this.anyHanded) return;
    this.handed.fill(0);
    this.anyHanded = false;
    for (const l of this.frameListeners) l(-1, true);
  }

  /** Bookkeeping of a write to RAM frame `f`: allocate, log, code notify. */
  /** Internal helper. */
  private touch(f: number): void {
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

  // ------------------------------------------------------------------
  // Hot accessors
  // ------------------------------------------------------------------

  /** Read one byte. */
  read8(addr: number): number {
    if (addr < TWO32) {
      const c = this.rfast[addr >>> 16];
      if (c !== undefined) return c[addr & CHUNK_MASK];
    }
    return this.readSlow(addr, 1);
  }

  /** Read 2 bytes, little-endian. */
  read16(addr: number): number {
    if (addr < TWO32 && (addr & CHUNK_MASK) <= CHUNK_MASK - 1) {
      const c = this.rfast[addr >>> 16];
      if (c !== undefined) {
        const o = addr & CHUNK_MASK;
        return c[o] | (c[o + 1] << 8);
      }
    }
    return this.readSlow(addr, 2);
  }

  /** Read 4 bytes, little-endian, unsigned. */
  read32(addr: number): number {
    if (addr < TWO32 && (addr & CHUNK_MASK) <= CHUNK_MASK - 3) {
      const c = this.rfast[addr >>> 16];
      if (c !== undefined) {
        const o = addr & CHUNK_MASK;
        return (c[o] | (c[o + 1] << 8) | (c[o + 2] << 16) | (c[o + 3] << 24)) >>> 0;
      }
    }
    return this.readSlow(addr, 4);
  }

  /** Write one byte. */
  write8(addr: number, value: number): void {
    if (addr < TWO32 && this.wflag[addr >>> 12] === 0) {
      this.store[addr >>> 16]![addr & CHUNK_MASK] = value;
      return;
    }
    this.writeSlow(addr, 1, value);
  }

  /** Write 2 bytes, little-endian. */
  write16(addr: number, value: number): void {
    if (addr < TWO32 && (addr & 0xfff) <= 0xffe && this.wflag[addr >>> 12] === 0) {
      const c = this.store[addr >>> 16]!;
      const o = addr & CHUNK_MASK;
      c[o] = value;
      c[o + 1] = value >>> 8;
      return;
    }
    this.writeSlow(addr, 2, value);
  }

  /** Write 4 bytes, little-endian. */
  write32(addr: number, value: number): void {
    if (addr < TWO32 && (addr & 0xfff) <= 0xffc && this.wflag[addr >>> 12] === 0) {
      const c = this.store[addr >>> 16]!;
      const o = addr & CHUNK_MASK;
      c[o] = value;
      c[o + 1] = value >>> 8;
      c[o + 2] = value >>> 16;
      c[o + 3] = value >>> 24;
      return;
    }
    this.writeSlow(addr, 4, value);
  }

  /** Read 1, 2 or 4 bytes (unsigned). Holes read as all ones. */
  read(addr: number, size: 1 | 2 | 4): number {
    return size === 1 ? this.read8(addr) : size === 2 ? this.read16(addr) : this.read32(addr);
  }

  /** Write 1, 2 or 4 bytes. Holes and ROM drop writes. */
  write(addr: number, size: 1 | 2 | 4, value: number): void {
    if (size === 1) this.write8(addr, value);
    else if (size === 2) this.write16(addr, value);
    else this.write32(addr, value);
  }

  /** Read 8 bytes as bigint (two 4-byte accesses for MMIO). */
  read64(addr: number): bigint {
    const lo = this.read32(addr);
    const hi = this.read32(addr + 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Write 8 bytes from bigint (two 4-byte accesses for MMIO). */
  write64(addr: number, value: bigint): void {
    this.write32(addr, Number(value & 0xffffffffn));
    this.write32(addr + 4, Number((value >> 32n) & 0xffffffffn));
  }

  /** Copy `length` bytes out of guest memory (any regions; holes give 0xff). */
  readBytes(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, length));
    let i = 0;
    while (i < out.length) {
      const a = addr + i;
      const f = Math.floor(a / 4096);
      const off = a - f * 4096;
      const n = Math.min(4096 - off, out.length - i);
      const k = f >= 0 && f < this.frames ? this.kind[f] : K_HOLE;
      if ((k === K_RAM || k === K_ROM) && Number.isInteger(a)) {
        const s = this.store[f >>> 4];
        if (s) out.set(s.subarray((f & 15) * 4096 + off, (f & 15) * 4096 + off + n), i);
        i += n;
      } else {
        for (let j = 0; j < n; j++) out[i + j] = this.readSlow(a + j, 1);
        i += n;
      }
    }
    return out;
  }

  /** Copy bytes into guest memory (any regions; marks the dirty log, notifies code writes). */
  writeBytes(addr: number, data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      const a = addr + i;
      const f = Math.floor(a / 4096);
      const off = a - f * 4096;
      const n = Math.min(4096 - off, data.length - i);
      const k = f >= 0 && f < this.frames ? this.kind[f] : K_HOLE;
      if (k === K_RAM && Number.isInteger(a)) {
        if (this.wflag[f] !== 0) this.touch(f);
        this.store[f >>> 4]!.set(data.subarray(i, i + n), (f & 15) * 4096 + off);
        i += n;
      } else {
        for (let j = 0; j < n; j++) this.writeSlow(a + j, 1, data[i + j]);
        i += n;
      }
    }
  }

  // ------------------------------------------------------------------
  // Slow paths
  // ------------------------------------------------------------------

  /** Internal helper. */
  private readSlow(addr: number, size: number): number {
    if (!(addr >= 0 && addr + size <= ADDR_LIMIT) || !Number.isInteger(addr)) {
      return this.hole(addr, size, false, 0);
    }
    const f = Math.floor(addr / 4096);
    const off = addr - f * 4096;
    if (off + size > 4096) return this.splitRead(addr, size);
    const k = f < this.frames ? this.kind[f] : K_HOLE;
    if (k === K_RAM || k === K_ROM) {
      const s = this.store[f >>> 4];
      if (!s) return 0;
      const o = (f & 15) * 4096 + off;
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + s[o + i];
      return v;
    }
    if (k === K_HOLE) return this.hole(addr, size, false, 0);
    const r = this.findRegion(addr);
    if (!r) return size === 1 ? this.hole(addr, size, false, 0) : this.splitRead(addr, size);
    if (r.kind === "mmio") {
      const o = addr - r.base;
      if (o % size === 0 && addr + size <= r.base + r.size) {
        return (r.handler!.read(o, size as 1 | 2 | 4) >>> 0) % (ONES[size] + 1);
      }
      return this.splitRead(addr, size);
    }
    return this.splitRead(addr, size);
  }

  /** Internal helper. */
  private splitRead(addr: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.readSlow(addr + i, 1);
    return v;
  }

  /** Internal helper. */
  private writeSlow(addr: number, size: number, value: number): void {
    if (!(addr >= 0 && addr + size <= ADDR_LIMIT) || !Number.isInteger(addr)) {
      this.hole(addr, size, true, value);
      return;
    }
    const f = Math.floor(addr / 4096);
    const off = addr - f * 4096;
    if (off + size > 4096) {
      this.splitWrite(addr, size, value);
      return;
    }
    const k = f < this.frames ? this.kind[f] : K_HOLE;
    if (k === K_RAM) {
      this.touch(f);
      const s = this.store[f >>> 4]!;
      const o = (f & 15) * 4096 + off;
      for (let i = 0; i < size; i++) s[o + i] = value >>> (8 * i);
      return;
    }
    if (k === K_ROM) return;
    if (k === K_HOLE) {
      this.hole(addr, size, true, value);
      return;
    }
    const r = this.findRegion(addr);
    if (r && r.kind === "mmio") {
      const o = addr - r.base;
      if (o % size === 0 && addr + size <= r.base + r.size) {
        r.handler!.write(o, size as 1 | 2 | 4, (value >>> 0) % (ONES[size] + 1));
        return;
      }
    }
    if (size === 1) {
      if (!r) this.hole(addr, 1, true, value);
      return;
    }
    this.splitWrite(addr, size, value);
  }

  /** Internal helper. */
  private splitWrite(addr: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) this.writeSlow(addr + i, 1, (value >>> (8 * i)) & 0xff);
  }

  /** Internal helper. */
  private hole(addr: number, size: number, write: boolean, value: number): number {
    if (this.holeTrace) this.holeTrace(addr, size, write, value);
    return ONES[size] ?? 0xffffffff;
  }

  // ------------------------------------------------------------------
  // Pinning
  // ------------------------------------------------------------------

  /**
   * Pin the RAM page containing `addr` for `holder`: the returned view stays
   * valid (the region cannot be removed or moved) until {@link release}.
   * Errors: `out-of-range` (negative, not an integer, beyond 2^43),
   * `mmio` (an MMIO region covers `addr`), `unbacked` (hole or ROM).
   */
  pin(addr: number, holder: string, purpose: string): PinResult {
    if (!(addr >= 0 && addr < ADDR_LIMIT) || !Number.isInteger(addr)) {
      return { ok: false, error: { kind: "out-of-range", gpa: gpa(addr) } };
    }
    const f = Math.floor(addr / 4096);
    const k = f < this.frames ? this.kind[f] : K_HOLE;
    if (k !== K_RAM) {
      const r = k === K_HOLE ? undefined : this.findRegion(addr);
      if (r && r.kind === "mmio") {
        return { ok: false, error: { kind: "mmio", gpa: gpa(addr), owner: r.name } };
      }
      return { ok: false, error: { kind: "unbacked", gpa: gpa(addr) } };
    }
    const bytes = this.frameBytes(f);
    const page: PinnedPage = Object.freeze({
      gpa: gpa(f * 4096),
      bytes,
      view: new DataView(bytes.buffer, bytes.byteOffset, 4096),
      holder,
      purpose,
    });
    this.pinTable.add(f, page);
    return { ok: true, page };
  }

  /**
   * Drop one pin. With `dirty`, the page enters the dirty log and code-write
   * listeners are told (the holder wrote through its view). Returns false
   * when `page` was not pinned (already released).
   */
  release(page: PinnedPage, options: { dirty: boolean }): boolean {
    const f = page.gpa / 4096;
    if (!this.pinTable.remove(f, page)) return false;
    if (options.dirty && this.kind[f] === K_RAM) this.touch(f);
    return true;
  }

  /** Every pin held (gpa, holder, purpose), for diagnostics and leak checks. */
  pins(): PinInfo[] {
    return this.pinTable.list();
  }

  /** Reference count of pins on the page containing `addr`. */
  pinCount(addr: number): number {
    return this.pinTable.count(Math.floor(addr / 4096));
  }
}
