/**
 * Guest-physical memory: a map of RAM, ROM and MMIO regions with holes, lazy
 * RAM allocation, page pinning, a dirty-page log and code-write notification.
 *
 * ## Storage
 * RAM and ROM bytes live in 4 KiB pages allocated on first write (reads of
 * untouched RAM return 0 and allocate nothing), carved out of 1 MiB host
 * slabs, so a 4 GiB guest costs only the pages it touches (plus ~5 bytes of
 * tables per guest page). Per frame the memory keeps a kind byte and a
 * "write flags" byte that is 0 exactly when a plain store into the page is
 * all a write has to do (RAM, allocated, already in the dirty log or the
 * log is off, not marked as holding code); the hot accessors look the page
 * up in a two-level table that only holds pages whose flags are 0 and fall
 * back to a slow path otherwise.
 *
 * ## Direct frame references (for the CPU's TLB)
 * {@link PhysicalMemory.ramFrame} returns a cached 4 KiB `Uint8Array` view
 * of a RAM page. Taking a view *for write* does the bookkeeping of a write
 * up front: it allocates the page, marks it in the dirty log, and
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
import {
  ADDR_LIMIT,
  FrameStore,
  type FrameStoreOptions,
  K_HOLE,
  K_MIXED,
  K_MMIO,
  K_RAM,
  K_ROM,
  ONES,
  TWO32,
  WF_LOG,
  WF_NOT_RAM,
  WF_UNALLOC,
} from "./frame_store.ts";

/** Options for {@link PhysicalMemory}. */
export interface PhysicalMemoryOptions extends FrameStoreOptions {}

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
export class PhysicalMemory extends FrameStore implements GuestMemory {
  private regionList: Region[] = [];
  private nextId = 1;
  private pinTable = new PinTable();
  private holeTrace: HoleTrace | null = null;
  private ram = 0;

  /** Create an empty address space (all hole) covering at least 4 GiB. */
  constructor(options: PhysicalMemoryOptions = {}) {
    super(options);
  }

  /** Total bytes of RAM regions. */
  get ramSize(): number {
    return this.ram;
  }

  /** Bytes of host memory allocated for RAM/ROM contents (for diagnostics). */
  get allocatedBytes(): number {
    let n = 0;
    n = this.pagesInUse * 4096;
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
  private mapRegion(r: Region, data: Uint8Array | null): void {
    const end = r.base + r.size;
    this.grow(Math.ceil(end / 4096));
    const first = Math.floor(r.base / 4096);
    const last = Math.ceil(end / 4096);
    for (let f = first; f < last; f++) {
      if (r.kind === "mmio") {
        const whole = f * 4096 >= r.base && (f + 1) * 4096 <= end && this.kind[f] === K_HOLE;
        this.kind[f] = whole ? K_MMIO : K_MIXED;
        this.setFlags(f, WF_NOT_RAM);
      } else if (r.kind === "ram") {
        this.kind[f] = K_RAM;
        this.setFlags(f, (this.page(f) ? 0 : WF_UNALLOC) | (this.logging ? WF_LOG : 0));
      } else {
        this.kind[f] = K_ROM;
        this.setFlags(f, WF_NOT_RAM);
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
      if (k === K_RAM || k === K_ROM) this.freePage(f);
      // A frame shared with another small MMIO region stays mixed.
      const other = this.regionList.some((r) =>
        r !== skip && r.base < (f + 1) * 4096 && f * 4096 < r.base + r.size
      );
      this.kind[f] = other ? K_MIXED : K_HOLE;
      this.setFlags(f, WF_NOT_RAM);
      if (this.code[f]) this.codeWritten(f);
    }
  }

  /** After a map change: notify code listeners for the range and revoke all views. */
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

  // ------------------------------------------------------------------
  // Hot accessors
  // ------------------------------------------------------------------

  /** Read one byte. */
  read8(addr: number): number {
    if (addr < TWO32) {
      const d = this.pdir[addr >>> 21];
      const p = d === undefined ? undefined : d[(addr >>> 12) & 511];
      if (p !== undefined) return p[addr & 0xfff];
    }
    return this.readSlow(addr, 1);
  }

  /** Read 2 bytes, little-endian. */
  read16(addr: number): number {
    if (addr < TWO32 && (addr & 0xfff) <= 0xffe) {
      const d = this.pdir[addr >>> 21];
      const p = d === undefined ? undefined : d[(addr >>> 12) & 511];
      if (p !== undefined) {
        const o = addr & 0xfff;
        return p[o] | (p[o + 1] << 8);
      }
    }
    return this.readSlow(addr, 2);
  }

  /** Read 4 bytes, little-endian, unsigned. */
  read32(addr: number): number {
    if (addr < TWO32 && (addr & 0xfff) <= 0xffc) {
      const d = this.pdir[addr >>> 21];
      const p = d === undefined ? undefined : d[(addr >>> 12) & 511];
      if (p !== undefined) {
        const o = addr & 0xfff;
        return (p[o] | (p[o + 1] << 8) | (p[o + 2] << 16) | (p[o + 3] << 24)) >>> 0;
      }
    }
    return this.readSlow(addr, 4);
  }

  /** Write one byte. */
  write8(addr: number, value: number): void {
    if (addr < TWO32) {
      const d = this.wdir[addr >>> 21];
      const p = d === undefined ? undefined : d[(addr >>> 12) & 511];
      if (p !== undefined) {
        p[addr & 0xfff] = value;
        return;
      }
    }
    this.writeSlow(addr, 1, value);
  }

  /** Write 2 bytes, little-endian. */
  write16(addr: number, value: number): void {
    if (addr < TWO32 && (addr & 0xfff) <= 0xffe) {
      const d = this.wdir[addr >>> 21];
      const p = d === undefined ? undefined : d[(addr >>> 12) & 511];
      if (p !== undefined) {
        const o = addr & 0xfff;
        p[o] = value;
        p[o + 1] = value >>> 8;
        return;
      }
    }
    this.writeSlow(addr, 2, value);
  }

  /** Write 4 bytes, little-endian. */
  write32(addr: number, value: number): void {
    if (addr < TWO32 && (addr & 0xfff) <= 0xffc) {
      const d = this.wdir[addr >>> 21];
      const p = d === undefined ? undefined : d[(addr >>> 12) & 511];
      if (p !== undefined) {
        const o = addr & 0xfff;
        p[o] = value;
        p[o + 1] = value >>> 8;
        p[o + 2] = value >>> 16;
        p[o + 3] = value >>> 24;
        return;
      }
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
        const p = this.page(f);
        if (p) out.set(p.subarray(off, off + n), i);
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
        this.page(f)!.set(data.subarray(i, i + n), off);
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
      const p = this.page(f);
      if (!p) return 0;
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + p[off + i];
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
    for (let i = 0, mul = 1; i < size; i++, mul *= 256) v += this.readSlow(addr + i, 1) * mul;
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
      const p = this.page(f)!;
      for (let i = 0; i < size; i++) p[off + i] = value >>> (8 * i);
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

  /**
   * Release every pin held by `holder` (plugin disposal, vCPU teardown);
   * `dirty` as for {@link release}. Returns how many pins were released.
   */
  releaseAll(holder: string, options: { dirty: boolean }): number {
    const held = this.pinTable.heldBy(holder);
    for (const p of held) this.release(p, options);
    return held.length;
  }

  /**
   * Frame numbers of RAM pages that have storage (were ever written), in
   * ascending order: the pages a full snapshot needs (all others read 0).
   */
  touchedFrames(): number[] {
    const out: number[] = [];
    for (let d = 0; d < this.pdir.length; d++) {
      const leaf = this.pdir[d];
      if (leaf === undefined) continue;
      for (let i = 0; i < 512; i++) {
        const f = d * 512 + i;
        if (leaf[i] !== undefined && this.kind[f] === K_RAM) out.push(f);
      }
    }
    return out;
  }

  /** Reference count of pins on the page containing `addr`. */
  pinCount(addr: number): number {
    return this.pinTable.count(Math.floor(addr / 4096));
  }
}
