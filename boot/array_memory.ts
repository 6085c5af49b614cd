/**
 * A minimal {@link GuestMemory} over one Uint8Array of RAM at physical 0,
 * for loader tests and tools that prepare an image without a Machine.
 * Pinning is not supported (returns an "unbacked" error).
 *
 * @module
 */

import { gpa, type GuestMemory, type PinnedPage, type PinResult } from "../mm/types.ts";

/** Flat RAM at [0, size). Reads outside return all ones; writes outside are dropped. */
export class ArrayMemory implements GuestMemory {
  /** The RAM bytes. */
  readonly bytes: Uint8Array;
  private readonly dv: DataView;

  /** Create `size` bytes of zeroed RAM. */
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.dv = new DataView(this.bytes.buffer);
  }

  /** RAM size in bytes. */
  get ramSize(): number {
    return this.bytes.length;
  }

  /** Read 1, 2 or 4 bytes. */
  read(addr: number, size: 1 | 2 | 4): number {
    if (addr < 0 || addr + size > this.bytes.length) {
      return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    }
    if (size === 1) return this.bytes[addr];
    if (size === 2) return this.dv.getUint16(addr, true);
    return this.dv.getUint32(addr, true);
  }

  /** Write 1, 2 or 4 bytes. */
  write(addr: number, size: 1 | 2 | 4, value: number): void {
    if (addr < 0 || addr + size > this.bytes.length) return;
    if (size === 1) this.bytes[addr] = value;
    else if (size === 2) this.dv.setUint16(addr, value, true);
    else this.dv.setUint32(addr, value >>> 0, true);
  }

  /** Read 8 bytes. */
  read64(addr: number): bigint {
    return BigInt(this.read(addr, 4)) | (BigInt(this.read(addr + 4, 4)) << 32n);
  }

  /** Write 8 bytes. */
  write64(addr: number, value: bigint): void {
    this.write(addr, 4, Number(value & 0xffffffffn));
    this.write(addr + 4, 4, Number((value >> 32n) & 0xffffffffn));
  }

  /** Copy bytes out (outside RAM reads as 0xff). */
  readBytes(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length).fill(0xff);
    const lo = Math.max(addr, 0);
    const hi = Math.min(addr + length, this.bytes.length);
    if (lo < hi) out.set(this.bytes.subarray(lo, hi), lo - addr);
    return out;
  }

  /** Copy bytes in (the part outside RAM is dropped). */
  writeBytes(addr: number, data: Uint8Array): void {
    const lo = Math.max(addr, 0);
    const hi = Math.min(addr + data.length, this.bytes.length);
    if (lo < hi) this.bytes.set(data.subarray(lo - addr, hi - addr), lo);
  }

  /** Not supported. */
  pin(addr: number, _holder: string, _purpose: string): PinResult {
    return { ok: false, error: { kind: "unbacked", gpa: gpa(addr) } };
  }

  /** Nothing to release. */
  release(_page: PinnedPage, _options: { dirty: boolean }): void {}
}
