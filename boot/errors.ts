/**
 * Errors a loader reports before any guest code runs. Each is a value with
 * a `kind` naming what is wrong; {@link describeLoadError} turns it into a
 * one-line message for the CLI.
 *
 * @module
 */

import { describeLinuxImageError, type LinuxImageError } from "./linux/setup_header.ts";

/** A loader error: the image (or a module, or a flag) cannot be loaded. */
export type LoadError =
  | { readonly kind: "empty-image" }
  | {
    /** No 0x1BADB002 magic at a 4-byte aligned offset in the first 8 KiB. */
    readonly kind: "bad-magic";
    readonly searched: number;
  }
  | {
    /** magic + flags + checksum is not 0 modulo 2^32. */
    readonly kind: "bad-checksum";
    readonly offset: number;
    readonly flags: number;
    readonly checksum: number;
  }
  | {
    /** The image ends before a structure it declares is complete. */
    readonly kind: "truncated";
    /** What was being read, e.g. "multiboot header", "ELF program headers". */
    readonly what: string;
    readonly needed: number;
    readonly available: number;
  }
  | {
    /** Header flags 0-15 request features this loader does not provide. */
    readonly kind: "unsupported-header-flags";
    readonly flags: number;
    readonly unsupported: number;
  }
  | {
    /** Header flag 16 is clear and the image is not an ELF file. */
    readonly kind: "not-elf";
  }
  | { readonly kind: "unsupported-elf-class"; readonly elfClass: number }
  | { readonly kind: "unsupported-elf-encoding"; readonly encoding: number }
  | { readonly kind: "unsupported-elf-machine"; readonly machine: number }
  | { readonly kind: "unsupported-elf-type"; readonly elfType: number }
  | { readonly kind: "no-loadable-segments" }
  | {
    /** A PT_LOAD segment's file bytes lie beyond the end of the image. */
    readonly kind: "segment-outside-file";
    readonly index: number;
    readonly offset: number;
    readonly size: number;
    readonly fileSize: number;
  }
  | {
    /** filesz > memsz, or an address that overflows. */
    readonly kind: "bad-segment";
    readonly index: number;
    readonly reason: string;
  }
  | {
    /** Something would be placed outside guest RAM. */
    readonly kind: "outside-memory";
    /** What: "ELF segment 1", "module 0 (initrd)", "multiboot info", ... */
    readonly what: string;
    readonly addr: number;
    readonly size: number;
    readonly ramSize: number;
  }
  | {
    /** Two placed things overlap in guest memory. */
    readonly kind: "overlap";
    readonly first: string;
    readonly second: string;
    readonly addr: number;
  }
  | {
    /** The entry point is not inside any loaded byte range. */
    readonly kind: "entry-outside-image";
    readonly entry: number;
  }
  | {
    /** The a.out-kludge address fields are inconsistent. */
    readonly kind: "bad-aout-addresses";
    readonly reason: string;
  }
  | {
    /** A Linux bzImage that cannot be booted (see boot/linux/). */
    readonly kind: "linux";
    readonly error: LinuxImageError;
  }
  | {
    /** A bad option value (flat loader spec, mode, address). */
    readonly kind: "bad-option";
    readonly reason: string;
  };

function hex(n: number): string {
  return "0x" + n.toString(16);
}

/** A one-line human-readable message for a {@link LoadError}. */
export function describeLoadError(e: LoadError): string {
  switch (e.kind) {
    case "empty-image":
      return "image is empty";
    case "bad-magic":
      return `no Multiboot header: magic 0x1BADB002 not found in the first ${e.searched} bytes`;
    case "bad-checksum":
      return `Multiboot header at offset ${hex(e.offset)} has a bad checksum ` +
        `(flags ${hex(e.flags)}, checksum ${hex(e.checksum)}: magic+flags+checksum != 0)`;
    case "truncated":
      return `truncated image: ${e.what} needs ${e.needed} bytes, only ${e.available} present`;
    case "unsupported-header-flags":
      return `Multiboot header flags ${hex(e.flags)} require unsupported features ` +
        `(bits ${hex(e.unsupported)})`;
    case "not-elf":
      return "not an ELF image and the Multiboot a.out kludge (flag 16) is not set";
    case "unsupported-elf-class":
      return `unsupported ELF class ${e.elfClass} (expected 1 = ELF32 or 2 = ELF64)`;
    case "unsupported-elf-encoding":
      return `unsupported ELF data encoding ${e.encoding} (expected 1 = little-endian)`;
    case "unsupported-elf-machine":
      return `unsupported ELF machine ${e.machine} (expected 3 = i386 or 62 = x86-64)`;
    case "unsupported-elf-type":
      return `unsupported ELF type ${e.elfType} (expected 2 = executable)`;
    case "no-loadable-segments":
      return "ELF image has no PT_LOAD segments";
    case "segment-outside-file":
      return `ELF segment ${e.index}: file bytes ${hex(e.offset)}+${hex(e.size)} ` +
        `lie beyond the end of the image (${e.fileSize} bytes)`;
    case "bad-segment":
      return `ELF segment ${e.index}: ${e.reason}`;
    case "outside-memory":
      return `${e.what} at ${hex(e.addr)} (${e.size} bytes) lies outside guest RAM ` +
        `(${e.ramSize} bytes)`;
    case "overlap":
      return `${e.first} overlaps ${e.second} at ${hex(e.addr)}`;
    case "entry-outside-image":
      return `entry point ${hex(e.entry)} is outside the loaded image`;
    case "bad-aout-addresses":
      return `Multiboot a.out kludge: ${e.reason}`;
    case "linux":
      return describeLinuxImageError(e.error);
    case "bad-option":
      return e.reason;
  }
}
