/**
 * Finding and validating a Multiboot v1 header (Multiboot Specification
 * 0.6.96, section 3.1): 32-bit aligned, within the first 8192 bytes,
 * magic 0x1BADB002, and magic + flags + checksum == 0 (mod 2^32).
 *
 * @module
 */

import type { LoadError } from "./errors.ts";

/** The header magic. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** The value in EAX at entry. */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** Bytes searched for the header. */
export const MULTIBOOT_SEARCH = 8192;

/** Header flag: align modules on 4 KiB boundaries. */
export const MBH_PAGE_ALIGN = 1 << 0;
/** Header flag: mem_* fields required. */
export const MBH_MEMORY_INFO = 1 << 1;
/** Header flag: video mode table requested. */
export const MBH_VIDEO_MODE = 1 << 2;
/** Header flag: the address fields (a.out kludge) are valid. */
export const MBH_AOUT_KLUDGE = 1 << 16;
/** Required-feature bits (0-15) we honour; bit 2 (video) is accepted and ignored. */
const SUPPORTED_REQUIRED = MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE;

/** A validated Multiboot header. */
export interface MultibootHeader {
  /** Offset of the header in the image. */
  readonly offset: number;
  /** Header flags. */
  readonly flags: number;
  /** Present when flag 16 is set. */
  readonly aout?: {
    readonly headerAddr: number;
    readonly loadAddr: number;
    readonly loadEndAddr: number;
    readonly bssEndAddr: number;
    readonly entryAddr: number;
  };
}

/** Result of {@link findMultibootHeader}. */
export type HeaderResult =
  | { readonly ok: true; readonly header: MultibootHeader }
  | { readonly ok: false; readonly error: LoadError };

/** Locate and validate the Multiboot header of `image`. */
export function findMultibootHeader(image: Uint8Array): HeaderResult {
  if (image.length === 0) return { ok: false, error: { kind: "empty-image" } };
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const limit = Math.min(MULTIBOOT_SEARCH, image.length);
  for (let off = 0; off + 4 <= limit; off += 4) {
    if (dv.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    // The header must lie completely within the first 8192 bytes.
    if (off + 12 > MULTIBOOT_SEARCH) continue;
    if (off + 12 > image.length) {
      return {
        ok: false,
        error: {
          kind: "truncated",
          what: "multiboot header",
          needed: off + 12,
          available: image.length,
        },
      };
    }
    const flags = dv.getUint32(off + 4, true);
    const checksum = dv.getUint32(off + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) {
      return { ok: false, error: { kind: "bad-checksum", offset: off, flags, checksum } };
    }
    const unsupported = flags & 0xffff & ~SUPPORTED_REQUIRED;
    if (unsupported !== 0) {
      return { ok: false, error: { kind: "unsupported-header-flags", flags, unsupported } };
    }
    if ((flags & MBH_AOUT_KLUDGE) === 0) return { ok: true, header: { offset: off, flags } };
    if (off + 32 > image.length) {
      return {
        ok: false,
        error: {
          kind: "truncated",
          what: "multiboot header address fields",
          needed: off + 32,
          available: image.length,
        },
      };
    }
    return {
      ok: true,
      header: {
        offset: off,
        flags,
        aout: {
          headerAddr: dv.getUint32(off + 12, true),
          loadAddr: dv.getUint32(off + 16, true),
          loadEndAddr: dv.getUint32(off + 20, true),
          bssEndAddr: dv.getUint32(off + 24, true),
          entryAddr: dv.getUint32(off + 28, true),
        },
      },
    };
  }
  return { ok: false, error: { kind: "bad-magic", searched: limit } };
}
