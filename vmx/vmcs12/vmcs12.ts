/**
 * Accessors for one vmcs12: the VMCS region that L1 keeps in its memory.
 * Two forms:
 * - a live view of a pinned page (`fromPage`: the shadow VMCS reached
 *   through the VMCS link pointer, tests), where every write lands in guest
 *   memory at once;
 * - the cached copy of the current VMCS (`cacheOf`, see `cache.ts`):
 *   loaded from the pinned page when it becomes current, written back by
 *   {@link Vmcs12.writeBack} (VMCLEAR, VMPTRLD of another, VMXOFF, snapshot,
 *   VMX abort).
 *
 * Two kinds of access:
 * - unchecked, by encoding (`read32`, `readLo`, `write64`, ...), for code that
 *   knows the field exists (VM entry/exit); an unsupported encoding there is
 *   a programming error and throws a host RangeError;
 * - checked, with VMREAD/VMWRITE semantics (`vmread`, `vmwrite`), which
 *   return false for an unsupported encoding.
 *
 * 64-bit and natural-width fields are stored as 8 bytes, little-endian, and
 * handled as unsigned 32-bit `lo`/`hi` halves.
 *
 * @module
 */

import type { PinnedPage } from "../../mm/types.ts";
import { markStale, touch, VMCS12_CACHE_SIZE } from "./cache.ts";
import { F } from "./fields.ts";
import {
  accessSize,
  fieldOffset,
  LAUNCH_STATE_CLEAR,
  LAUNCH_STATE_LAUNCHED,
  OFF_ABORT,
  OFF_LAUNCH_STATE,
  OFF_REVISION,
  VMCS12_SIZE,
} from "./layout.ts";

/** A 64-bit value as unsigned 32-bit halves (reused, never allocated per access). */
export interface U64Halves {
  /** Bits 31:0, unsigned. */
  lo: number;
  /** Bits 63:32, unsigned. */
  hi: number;
}

function must(encoding: number): number {
  const off = fieldOffset(encoding);
  if (off < 0) throw new RangeError(`vmcs12: unsupported field 0x${encoding.toString(16)}`);
  return off;
}

// Offsets of hot fields, resolved once.
const O_PIN = must(F.PIN_BASED_VM_EXEC_CONTROL);
const O_PROC = must(F.CPU_BASED_VM_EXEC_CONTROL);
const O_PROC2 = must(F.SECONDARY_VM_EXEC_CONTROL);
const O_EXIT = must(F.VM_EXIT_CONTROLS);
const O_ENTRY = must(F.VM_ENTRY_CONTROLS);
const O_EXC_BITMAP = must(F.EXCEPTION_BITMAP);
const O_INSN_ERROR = must(F.VM_INSTRUCTION_ERROR);
const O_EXIT_REASON = must(F.VM_EXIT_REASON);

/** One vmcs12 region, viewed through a pinned page or cached (see the module doc). */
export class Vmcs12 {
  /** Guest-physical address of the region (4 KiB aligned). */
  readonly gpa: number;
  /**
   * The region's bytes (live view of guest RAM, or the cache's region
   * image). Writing a cache through them bypasses the checks memo: follow
   * with `markStale(view)` (cache.ts).
   */
  readonly bytes: Uint8Array;
  /** Little-endian accessor over {@link bytes} (for a cache, also its trailer). */
  readonly view: DataView;
  /** The pinned page a cache writes back to; null for a live view. */
  readonly #page: PinnedPage | null;

  /** Wrap a region. `view` must cover the 4 KiB region. */
  constructor(gpa: number, bytes: Uint8Array, view: DataView, page: PinnedPage | null = null) {
    this.gpa = gpa;
    this.bytes = bytes;
    this.view = view;
    this.#page = page;
  }

  /** Wrap a pinned page (live view). */
  static fromPage(page: PinnedPage): Vmcs12 {
    return new Vmcs12(page.gpa, page.bytes, page.view);
  }

  /** A cached copy of a pinned page's region (checks memo stale). */
  static cacheOf(page: PinnedPage): Vmcs12 {
    const buffer = new ArrayBuffer(VMCS12_CACHE_SIZE);
    const bytes = new Uint8Array(buffer, 0, VMCS12_SIZE);
    bytes.set(page.bytes.subarray(0, VMCS12_SIZE));
    const view = new DataView(buffer);
    markStale(view);
    return new Vmcs12(page.gpa, bytes, view, page);
  }

  /** True for a cached copy. */
  get cached(): boolean {
    return this.#page !== null;
  }

  /**
   * Copy a cache's VMCS data to guest memory (no-op for a live view). The
   * header stays as software wrote it: the processor never writes the
   * revision identifier (SDM Vol. 3C 25.2), and writes the VMX-abort
   * indicator only on a VMX abort ({@link storeAbortIndicator}).
   */
  writeBack(): void {
    if (this.#page !== null) {
      this.#page.bytes.set(this.bytes.subarray(OFF_LAUNCH_STATE), OFF_LAUNCH_STATE);
    }
  }

  /** A VMX abort: write `code` as the VMX-abort indicator, in the cache and in the region in memory. */
  storeAbortIndicator(code: number): void {
    this.abortIndicator = code;
    if (this.#page !== null) this.#page.view.setUint32(OFF_ABORT, code >>> 0, true);
  }

  // ---- header ----

  /** The 32-bit header word: revision id in bits 30:0, shadow indicator in bit 31. */
  get revisionWord(): number {
    return this.view.getUint32(OFF_REVISION, true);
  }
  set revisionWord(value: number) {
    this.view.setUint32(OFF_REVISION, value >>> 0, true);
  }

  /** Revision identifier (bits 30:0). */
  get revisionId(): number {
    return this.revisionWord & 0x7fffffff;
  }

  /** Shadow-VMCS indicator (bit 31 of the header). */
  get shadowIndicator(): boolean {
    return (this.revisionWord & 0x80000000) !== 0;
  }

  /** VMX-abort indicator (written by a VMX abort; SDM Vol. 3C 28.7). */
  get abortIndicator(): number {
    return this.view.getUint32(OFF_ABORT, true);
  }
  set abortIndicator(value: number) {
    this.view.setUint32(OFF_ABORT, value >>> 0, true);
  }

  /** Launch state: true once VMLAUNCH succeeded, false after VMCLEAR. */
  get launched(): boolean {
    return this.view.getUint32(OFF_LAUNCH_STATE, true) === LAUNCH_STATE_LAUNCHED;
  }
  set launched(value: boolean) {
    this.view.setUint32(
      OFF_LAUNCH_STATE,
      value ? LAUNCH_STATE_LAUNCHED : LAUNCH_STATE_CLEAR,
      true,
    );
  }

  // ---- unchecked access by encoding ----

  /** Read a 16-bit field. */
  read16(encoding: number): number {
    return this.view.getUint16(must(encoding), true);
  }

  /** Read a 32-bit field (or the low half of a 64-bit/natural field, or a high half). */
  read32(encoding: number): number {
    return this.view.getUint32(must(encoding), true);
  }

  /** Low 32 bits of a 64-bit or natural-width field. */
  readLo(encoding: number): number {
    return this.view.getUint32(must(encoding), true);
  }

  /** High 32 bits of a 64-bit or natural-width field. */
  readHi(encoding: number): number {
    return this.view.getUint32(must(encoding) + 4, true);
  }

  /**
   * A 64-bit or natural-width field as an unsigned number (physical
   * addresses, below 2^53 to be exact).
   */
  readU64(encoding: number): number {
    const off = must(encoding);
    return this.view.getUint32(off + 4, true) * 0x100000000 + this.view.getUint32(off, true);
  }

  /**
   * A natural-width field as a signed number (linear addresses: the
   * canonical, sign-extended value). Exact for canonical addresses.
   */
  readLinear(encoding: number): number {
    const off = must(encoding);
    return this.view.getInt32(off + 4, true) * 0x100000000 + this.view.getUint32(off, true);
  }

  /** Write a 16-bit field (high bits of `value` ignored). */
  write16(encoding: number, value: number): void {
    const off = must(encoding);
    this.view.setUint16(off, value & 0xffff, true);
    touch(this.view, off);
  }

  /** Write a 32-bit field. */
  write32(encoding: number, value: number): void {
    const off = must(encoding);
    this.view.setUint32(off, value >>> 0, true);
    touch(this.view, off);
  }

  /** Write a 64-bit or natural-width field from halves. */
  write64(encoding: number, lo: number, hi: number): void {
    const off = must(encoding);
    this.view.setUint32(off, lo >>> 0, true);
    this.view.setUint32(off + 4, hi >>> 0, true);
    touch(this.view, off);
  }

  /**
   * Write a 64-bit or natural-width field from a number (an address; a
   * negative value is stored sign-extended, as for canonical linear
   * addresses).
   */
  writeNumber(encoding: number, value: number): void {
    const lo = value >>> 0;
    const hi = Math.floor(value / 0x100000000) >>> 0;
    this.write64(encoding, lo, hi);
  }

  // ---- checked access (VMREAD/VMWRITE semantics) ----

  /**
   * Read any supported encoding into `out` (zero-extended to 64 bits).
   * Returns false when the encoding is unsupported (VM-instruction error 12).
   */
  vmread(encoding: number, out: U64Halves): boolean {
    const off = fieldOffset(encoding);
    if (off < 0) return false;
    switch (accessSize(encoding)) {
      case 2:
        out.lo = this.view.getUint16(off, true);
        out.hi = 0;
        break;
      case 4:
        out.lo = this.view.getUint32(off, true);
        out.hi = 0;
        break;
      default:
        out.lo = this.view.getUint32(off, true);
        out.hi = this.view.getUint32(off + 4, true);
    }
    return true;
  }

  /**
   * Write any supported encoding (bits beyond the field's width ignored; the
   * high-half encoding writes bits 63:32 only). Returns false when the
   * encoding is unsupported. Read-only checks are the caller's (VMWRITE).
   */
  vmwrite(encoding: number, lo: number, hi: number): boolean {
    const off = fieldOffset(encoding);
    if (off < 0) return false;
    switch (accessSize(encoding)) {
      case 2:
        this.view.setUint16(off, lo & 0xffff, true);
        break;
      case 4:
        this.view.setUint32(off, lo >>> 0, true);
        break;
      default:
        this.view.setUint32(off, lo >>> 0, true);
        this.view.setUint32(off + 4, hi >>> 0, true);
    }
    // The memo of the entry checks ignores unchanged values only when
    // written by VM exits (offsets.ts); any VMWRITE counts as a change.
    touch(this.view, off);
    return true;
  }

  // ---- hot fields ----

  /** Pin-based VM-execution controls. */
  get pinControls(): number {
    return this.view.getUint32(O_PIN, true);
  }
  /** Primary processor-based VM-execution controls. */
  get procControls(): number {
    return this.view.getUint32(O_PROC, true);
  }
  /**
   * Secondary processor-based controls as they apply: 0 unless primary bit
   * 31 ("activate secondary controls") is set (SDM Vol. 3C 25.6.2).
   */
  get procControls2(): number {
    return (this.view.getUint32(O_PROC, true) & 0x80000000) !== 0
      ? this.view.getUint32(O_PROC2, true)
      : 0;
  }
  /** VM-exit controls. */
  get exitControls(): number {
    return this.view.getUint32(O_EXIT, true);
  }
  /** VM-entry controls. */
  get entryControls(): number {
    return this.view.getUint32(O_ENTRY, true);
  }
  /** Exception bitmap. */
  get exceptionBitmap(): number {
    return this.view.getUint32(O_EXC_BITMAP, true);
  }
  /** VM-instruction error field (read-only to L1; written by VMfailValid). */
  get instructionError(): number {
    return this.view.getUint32(O_INSN_ERROR, true);
  }
  set instructionError(value: number) {
    this.view.setUint32(O_INSN_ERROR, value >>> 0, true);
  }
  /** Exit reason field. */
  get exitReason(): number {
    return this.view.getUint32(O_EXIT_REASON, true);
  }
  set exitReason(value: number) {
    this.view.setUint32(O_EXIT_REASON, value >>> 0, true);
  }
}
