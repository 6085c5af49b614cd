/**
 * The vmcs12 layout: where each field lives inside the 4 KiB VMCS region
 * that L1 allocates in its memory.
 *
 * Header (fixed by the SDM, Vol. 3C 25.2):
 * - bytes 0-3: VMCS revision identifier in bits 30:0, shadow-VMCS indicator
 *   in bit 31;
 * - bytes 4-7: VMX-abort indicator.
 *
 * The rest is ours (the SDM calls it "VMCS data", implementation-specific):
 * - bytes 8-11: launch state (0 clear, 1 launched). Keeping it inside the
 *   region, as real processors do, makes it travel with a RAM snapshot;
 * - bytes 12-15: reserved (0);
 * - from byte 16: every field of {@link FIELD_TABLE}, packed, 8-byte fields
 *   first, then 4-byte, then 2-byte fields, each group in table order.
 *
 * The layout is versioned by {@link VMCS12_REVISION_ID}: any change to the
 * field table or to the packing rules must come with a new revision id
 * (`layout_test.ts` pins the layout's fingerprint to the id).
 *
 * @module
 */

import { FIELD_TABLE, FieldWidth, fieldWidth } from "./fields.ts";

/**
 * Our VMCS revision identifier (bits 30:0; bit 31 must stay 0). Reported in
 * IA32_VMX_BASIC[30:0]; VMXON and VMPTRLD refuse regions with another id.
 * Change it whenever the layout changes.
 */
export const VMCS12_REVISION_ID = 0x4e560001;

/** Size of a VMCS region in bytes (IA32_VMX_BASIC[44:32]). */
export const VMCS12_SIZE = 4096;

/** Byte offset of the revision identifier. */
export const OFF_REVISION = 0;
/** Byte offset of the VMX-abort indicator. */
export const OFF_ABORT = 4;
/** Byte offset of the launch state (ours). */
export const OFF_LAUNCH_STATE = 8;
/** Byte offset of the first field. */
export const OFF_FIELDS = 16;

/** Launch state value: clear. */
export const LAUNCH_STATE_CLEAR = 0;
/** Launch state value: launched. */
export const LAUNCH_STATE_LAUNCHED = 1;

/** Number of distinct 15-bit encodings (bits 31:15 must be 0). */
const ENCODING_SPACE = 0x8000;

/**
 * Offset of each encoding's bytes in the region, -1 for unsupported
 * encodings. High-access encodings of 64-bit fields map to the upper half.
 */
const OFFSETS: Int16Array = new Int16Array(ENCODING_SPACE).fill(-1);
/** Access size in bytes of each supported encoding (high halves: 4). */
const SIZES: Uint8Array = new Uint8Array(ENCODING_SPACE);

/** End of the packed fields (first unused byte). */
export const LAYOUT_END: number = (() => {
  let off = OFF_FIELDS;
  for (const pass of [8, 4, 2]) {
    for (const f of FIELD_TABLE) {
      if (f.size !== pass) continue;
      OFFSETS[f.encoding] = off;
      SIZES[f.encoding] = f.size;
      if (f.width === FieldWidth.W64) {
        OFFSETS[f.encoding | 1] = off + 4;
        SIZES[f.encoding | 1] = 4;
      }
      off += f.size;
    }
  }
  if (off > VMCS12_SIZE) throw new Error("vmcs12 layout exceeds the region size");
  return off;
})();

/**
 * Byte offset of a field (or of the high half for a high-access encoding),
 * or -1 when the encoding is not supported. Any 32-bit value is accepted.
 */
export function fieldOffset(encoding: number): number {
  if (encoding < 0 || encoding >= ENCODING_SPACE || (encoding | 0) !== encoding) return -1;
  return OFFSETS[encoding];
}

/**
 * Access size in bytes for an encoding: 2, 4 or 8, and 4 for the high half
 * of a 64-bit field; 0 when the encoding is not supported.
 */
export function accessSize(encoding: number): number {
  if (encoding < 0 || encoding >= ENCODING_SPACE || (encoding | 0) !== encoding) return 0;
  return SIZES[encoding];
}

/**
 * True if the encoding names a supported field, either in full or (for
 * 64-bit fields) the high half.
 */
export function isSupportedEncoding(encoding: number): boolean {
  return fieldOffset(encoding) >= 0;
}

/**
 * A fingerprint of the layout (FNV-1a over every field's encoding, offset
 * and size, and the header offsets). Pinned by a test together with
 * {@link VMCS12_REVISION_ID}.
 */
export function layoutFingerprint(): number {
  let h = 0x811c9dc5;
  const mix = (v: number): void => {
    for (let i = 0; i < 4; i++) {
      h ^= (v >>> (8 * i)) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  mix(OFF_REVISION);
  mix(OFF_ABORT);
  mix(OFF_LAUNCH_STATE);
  mix(OFF_FIELDS);
  for (const f of FIELD_TABLE) {
    mix(f.encoding);
    mix(OFFSETS[f.encoding]);
    mix(f.size);
    mix(fieldWidth(f.encoding));
  }
  return h >>> 0;
}
