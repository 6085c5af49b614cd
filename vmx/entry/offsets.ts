/**
 * Byte offsets of every vmcs12 field inside the region, resolved once from
 * part 1's layout, plus tiny DataView helpers. VM entry and VM exit read
 * and write the current vmcs12 (its cached copy, `vmcs12/cache.ts`) through
 * these, with no per-access lookup, BigInt or allocation.
 *
 * @module
 */

import { F, type FieldName } from "../vmcs12/fields.ts";
import { fieldOffset } from "../vmcs12/layout.ts";
import { touch } from "../vmcs12/cache.ts";

/** Offset of each field by name (the low half for 64-bit and natural fields). */
export const O: Readonly<Record<FieldName, number>> = (() => {
  const out = {} as Record<FieldName, number>;
  for (const name of Object.keys(F) as FieldName[]) {
    const off = fieldOffset(F[name]);
    if (off < 0) throw new Error(`vmcs12 field ${name} has no offset`);
    out[name] = off;
  }
  return Object.freeze(out);
})();

/** Read a 16-bit field. */
export function r16(d: DataView, off: number): number {
  return d.getUint16(off, true);
}

/** Read a 32-bit field or the low half of a wider one. */
export function r32(d: DataView, off: number): number {
  return d.getUint32(off, true);
}

/** Read the high half of a 64-bit or natural-width field. */
export function rhi(d: DataView, off: number): number {
  return d.getUint32(off + 4, true);
}

/** Read a 64-bit field as an unsigned number (exact below 2^53). */
export function ru64(d: DataView, off: number): number {
  return d.getUint32(off + 4, true) * 0x100000000 + d.getUint32(off, true);
}

/** Read a natural-width field as a signed number (canonical linear addresses). */
export function rlin(d: DataView, off: number): number {
  const hi = d.getInt32(off + 4, true);
  const lo = d.getUint32(off, true);
  return hi === 0 ? lo : hi * 0x100000000 + lo;
}

// Writes (VM exits): a value that changes a tracked field invalidates the
// memo of the entry checks (vmcs12/cache.ts); rewriting the same value
// does not.

/** Write a 16-bit field. */
export function w16(d: DataView, off: number, v: number): void {
  v &= 0xffff;
  if (d.getUint16(off, true) === v) return;
  d.setUint16(off, v, true);
  touch(d, off);
}

/** Write a 32-bit field. */
export function w32(d: DataView, off: number, v: number): void {
  v >>>= 0;
  if (d.getUint32(off, true) === v) return;
  d.setUint32(off, v, true);
  touch(d, off);
}

/** Write a 64-bit field from halves. */
export function w64(d: DataView, off: number, lo: number, hi: number): void {
  lo >>>= 0;
  hi >>>= 0;
  if (d.getUint32(off, true) === lo && d.getUint32(off + 4, true) === hi) return;
  d.setUint32(off, lo, true);
  d.setUint32(off + 4, hi, true);
  touch(d, off);
}

/** Write a 64-bit or natural-width field from a number (negative: sign-extended). */
export function wnum(d: DataView, off: number, v: number): void {
  const hi = v >= 0 && v < 0x100000000 ? 0 : Math.floor(v / 0x100000000) >>> 0;
  w64(d, off, v >>> 0, hi);
}

/** True if lo/hi form a canonical 48-bit linear address (bits 63:47 all equal). */
export function canonical(hi: number): boolean {
  const top = (hi | 0) >> 15;
  return top === 0 || top === -1;
}

/**
 * True if a physical address (lo/hi) fits in `physBits` bits (MAXPHYADDR,
 * from the CPU model through {@link VmxFeatures.physBits}).
 */
export function physOk(hi: number, physBits: number): boolean {
  return physBits >= 64 || (hi >>> (physBits - 32)) === 0;
}

/** Sign-extend lo/hi to a number (canonical values are exact). */
export function toLinear(lo: number, hi: number): number {
  return (hi | 0) * 0x100000000 + (lo >>> 0);
}
