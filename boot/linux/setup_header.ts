/**
 * The Linux x86 boot protocol's setup header: detection of a bzImage (the
 * boot-sector signature 0xAA55 at 0x1FE and "HdrS" at 0x202) and parsing of
 * the fields a loader needs (Documentation/arch/x86/boot.rst, "The real-mode
 * kernel header"). Only protocol 2.06 and later are accepted; older images
 * are refused with a clear error.
 *
 * @module
 */

/** Offset of the setup header in the image and in boot_params. */
export const SETUP_HEADER_OFFSET = 0x1f1;
/** "HdrS" read as a little-endian dword. */
export const HDRS_MAGIC = 0x53726448;
/** The boot-sector signature at 0x1FE. */
export const BOOT_FLAG = 0xaa55;
/** The oldest boot protocol this loader accepts (2.06: cmdline_size). */
export const MIN_PROTOCOL = 0x206;
/** loadflags bit 0: the protected-mode code is loaded at 0x100000 (bzImage). */
export const LOADED_HIGH = 0x01;
/** xloadflags bit 0: a 64-bit entry point lives at the load address + 0x200. */
export const XLF_KERNEL_64 = 0x01;

/** Why a Linux bzImage (with its command line and initrd) cannot be booted. */
export type LinuxImageError =
  | { readonly kind: "not-linux" }
  | {
    readonly kind: "linux-truncated";
    readonly what: string;
    readonly needed: number;
    readonly available: number;
  }
  | { readonly kind: "linux-no-hdrs" }
  | { readonly kind: "linux-old-protocol"; readonly version: number }
  | { readonly kind: "linux-not-bzimage" }
  | { readonly kind: "linux-bad-header"; readonly reason: string }
  | { readonly kind: "linux-cmdline-too-long"; readonly length: number; readonly max: number }
  | {
    readonly kind: "linux-no-room";
    readonly what: string;
    readonly addr: number;
    readonly size: number;
    readonly ramSize: number;
  }
  | {
    readonly kind: "linux-initrd-no-room";
    readonly size: number;
    readonly lowest: number;
    readonly top: number;
  };

/** The setup-header fields a loader uses. */
export interface SetupHeader {
  /** Number of 512-byte setup sectors after the boot sector (0 means 4). */
  readonly setupSects: number;
  /** Boot protocol version, e.g. 0x20f for 2.15. */
  readonly version: number;
  /** loadflags. */
  readonly loadflags: number;
  /** Default load address of the protected-mode kernel. */
  readonly code32Start: number;
  /** Highest address the initrd may occupy (its last byte). */
  readonly initrdAddrMax: number;
  /** Physical alignment the kernel needs (2.05+). */
  readonly kernelAlignment: number;
  /** Whether the kernel is relocatable. */
  readonly relocatable: boolean;
  /** xloadflags (2.12+, else 0). */
  readonly xloadflags: number;
  /** Maximum command line length without the terminating NUL (2.06+). */
  readonly cmdlineSize: number;
  /** Preferred load address (2.10+, else 0). */
  readonly prefAddress: number;
  /** Linear memory the kernel needs from its load address before it can relocate itself (2.10+). */
  readonly initSize: number;
  /** Offset in the image of the protected-mode kernel ((setup_sects + 1) * 512). */
  readonly kernelOffset: number;
  /** Bytes of the setup header to copy into boot_params from 0x1F1 (up to 0x202 + byte at 0x201). */
  readonly headerEnd: number;
}

/** Result of {@link parseSetupHeader}. */
export type SetupHeaderResult =
  | { readonly ok: true; readonly header: SetupHeader }
  | { readonly ok: false; readonly error: LinuxImageError };

/** True if the image carries "HdrS" at 0x202 (a Linux kernel with boot protocol 2.00+). */
export function hasLinuxMagic(image: Uint8Array): boolean {
  return image.length >= 0x206 && u32(image, 0x202) === HDRS_MAGIC;
}

/** True if the image has the boot-sector signature 0xAA55 at 0x1FE. */
export function hasBootSectorSignature(image: Uint8Array): boolean {
  return image.length >= 0x200 && u16(image, 0x1fe) === BOOT_FLAG;
}

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

function u64(b: Uint8Array, o: number): number {
  return u32(b, o) + u32(b, o + 4) * 0x100000000;
}

function err(error: LinuxImageError): SetupHeaderResult {
  return { ok: false, error };
}

/** Parse and validate the setup header of a bzImage. */
export function parseSetupHeader(image: Uint8Array): SetupHeaderResult {
  if (!hasBootSectorSignature(image) && !hasLinuxMagic(image)) return err({ kind: "not-linux" });
  if (image.length < 0x206) {
    return err({
      kind: "linux-truncated",
      what: "setup header",
      needed: 0x206,
      available: image.length,
    });
  }
  if (!hasLinuxMagic(image)) return err({ kind: "linux-no-hdrs" });
  if (!hasBootSectorSignature(image)) {
    return err({ kind: "linux-bad-header", reason: "boot_flag at 0x1FE is not 0xAA55" });
  }
  const version = u16(image, 0x206);
  if (version < MIN_PROTOCOL) return err({ kind: "linux-old-protocol", version });
  // The header runs to 0x202 + the jump's displacement byte; 2.06 needs up to 0x23C.
  const headerEnd = 0x202 + image[0x201];
  const need = Math.max(version >= 0x20a ? 0x264 : 0x23c, headerEnd);
  if (image.length < need) {
    return err({
      kind: "linux-truncated",
      what: "setup header",
      needed: need,
      available: image.length,
    });
  }
  if (headerEnd < 0x23c) {
    return err({
      kind: "linux-bad-header",
      reason: `setup header ends at 0x${headerEnd.toString(16)} (jump at 0x200), ` +
        "before the 2.06 fields",
    });
  }
  const loadflags = image[0x211];
  if ((loadflags & LOADED_HIGH) === 0) return err({ kind: "linux-not-bzimage" });
  const setupSects = image[0x1f1] === 0 ? 4 : image[0x1f1];
  const kernelOffset = (setupSects + 1) * 512;
  if (kernelOffset >= image.length) {
    return err({
      kind: "linux-truncated",
      what: "protected-mode kernel",
      needed: kernelOffset + 1,
      available: image.length,
    });
  }
  const syssize = u32(image, 0x1f4);
  // syssize counts 16-byte paragraphs of the protected-mode part (2.04+).
  if (kernelOffset + syssize * 16 > image.length + 15) {
    return err({
      kind: "linux-truncated",
      what: "protected-mode kernel (syssize)",
      needed: kernelOffset + syssize * 16,
      available: image.length,
    });
  }
  const kernelAlignment = u32(image, 0x230);
  if (kernelAlignment !== 0 && (kernelAlignment & (kernelAlignment - 1)) !== 0) {
    return err({
      kind: "linux-bad-header",
      reason: `kernel_alignment 0x${kernelAlignment.toString(16)} is not a power of two`,
    });
  }
  const cmdlineSize = u32(image, 0x238);
  const initrdAddrMax = u32(image, 0x22c);
  const initSize = version >= 0x20a ? u32(image, 0x260) : 0;
  return {
    ok: true,
    header: {
      setupSects,
      version,
      loadflags,
      code32Start: u32(image, 0x214),
      initrdAddrMax,
      kernelAlignment,
      relocatable: image[0x234] !== 0,
      xloadflags: version >= 0x20c ? u16(image, 0x236) : 0,
      cmdlineSize,
      prefAddress: version >= 0x20a ? u64(image, 0x258) : 0,
      initSize,
      kernelOffset,
      headerEnd,
    },
  };
}

/** "2.15" for 0x20f. */
export function protocolString(version: number): string {
  return `${version >> 8}.${(version & 0xff).toString().padStart(2, "0")}`;
}

/** A one-line message for a {@link LinuxImageError}. */
export function describeLinuxImageError(e: LinuxImageError): string {
  switch (e.kind) {
    case "not-linux":
      return "not a Linux kernel image (no boot-sector signature and no HdrS)";
    case "linux-truncated":
      return `truncated Linux image: ${e.what} needs ${e.needed} bytes, only ${e.available} present`;
    case "linux-no-hdrs":
      return 'Linux boot sector without "HdrS" at 0x202 (boot protocol before 2.00 is not supported)';
    case "linux-old-protocol":
      return `Linux boot protocol ${protocolString(e.version)} is too old ` +
        `(need ${protocolString(MIN_PROTOCOL)} or later)`;
    case "linux-not-bzimage":
      return "Linux zImage (loadflags LOADED_HIGH clear) is not supported; use a bzImage";
    case "linux-bad-header":
      return `bad Linux setup header: ${e.reason}`;
    case "linux-cmdline-too-long":
      return `kernel command line is ${e.length} bytes; this kernel accepts at most ${e.max}`;
    case "linux-no-room":
      return `Linux ${e.what} at 0x${e.addr.toString(16)} (${e.size} bytes) does not fit in ` +
        `guest RAM (${e.ramSize} bytes)`;
    case "linux-initrd-no-room":
      return `initrd (${e.size} bytes) does not fit between the kernel's end ` +
        `0x${e.lowest.toString(16)} and 0x${e.top.toString(16)} (low RAM / initrd_addr_max)`;
  }
}
