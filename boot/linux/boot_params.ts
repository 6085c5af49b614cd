/**
 * The Linux "zero page" (struct boot_params, 4 KiB) that a 32- or 64-bit
 * boot-protocol loader hands to the kernel in RSI: the image's setup header
 * copied to 0x1F1 with the loader's fields filled in, the e820 map, the
 * extended-memory size, and the command line and initrd pointers
 * (Documentation/arch/x86/zero-page.rst and boot.rst).
 *
 * @module
 */

import { E820_MAX_ENTRIES, type E820Entry } from "./e820.ts";
import { SETUP_HEADER_OFFSET } from "./setup_header.ts";

/** Size of boot_params. */
export const BOOT_PARAMS_SIZE = 4096;
/** type_of_loader: 0xFF, "undefined" boot loader (boot.rst). */
export const LOADER_TYPE_UNDEFINED = 0xff;

/** Offsets in boot_params used by this loader. */
export const BP = {
  /** screen_info.ext_mem_k (u16): KiB of memory above 1 MiB, capped. */
  extMemK: 0x002,
  /** screen_info.orig_video_isVGA (u8). */
  origVideoIsVga: 0x00f,
  /** acpi_rsdp_addr (u64, protocol 2.14+). */
  acpiRsdpAddr: 0x070,
  /** ext_ramdisk_image (u32): high half of the initrd address. */
  extRamdiskImage: 0x0c0,
  /** ext_ramdisk_size (u32). */
  extRamdiskSize: 0x0c4,
  /** ext_cmd_line_ptr (u32). */
  extCmdLinePtr: 0x0c8,
  /** alt_mem_k (u32): KiB of memory above 1 MiB. */
  altMemK: 0x1e0,
  /** e820_entries (u8). */
  e820Entries: 0x1e8,
  /** sentinel (u8): must stay 0 for a loader that fills boot_params from zero. */
  sentinel: 0x1ef,
  /** hdr.vid_mode (u16). */
  vidMode: 0x1fa,
  /** hdr.type_of_loader (u8). */
  typeOfLoader: 0x210,
  /** hdr.loadflags (u8). */
  loadflags: 0x211,
  /** hdr.ramdisk_image (u32). */
  ramdiskImage: 0x218,
  /** hdr.ramdisk_size (u32). */
  ramdiskSize: 0x21c,
  /** hdr.heap_end_ptr (u16). */
  heapEndPtr: 0x224,
  /** hdr.cmd_line_ptr (u32). */
  cmdLinePtr: 0x228,
  /** e820_table: 128 entries of {u64 addr, u64 size, u32 type}. */
  e820Table: 0x2d0,
} as const;

/** What the loader tells the kernel. */
export interface BootParamsInputs {
  /** The kernel image (its setup header is copied). */
  readonly image: Uint8Array;
  /** End (exclusive) of the header in the image (0x202 + byte at 0x201). */
  readonly headerEnd: number;
  /** Boot protocol version of the image. */
  readonly version: number;
  /** Memory map. */
  readonly e820: readonly E820Entry[];
  /** Physical address of the NUL-terminated command line. */
  readonly cmdlineAddr: number;
  /** Physical address and size of the initrd (0, 0 for none). */
  readonly initrdAddr: number;
  /** Initrd size in bytes. */
  readonly initrdSize: number;
  /** Physical address of the ACPI RSDP, or 0 to let the kernel scan for it. */
  readonly acpiRsdp: number;
}

function put(dv: DataView, off: number, size: 1 | 2 | 4 | 8, v: number): void {
  if (size === 1) dv.setUint8(off, v);
  else if (size === 2) dv.setUint16(off, v, true);
  else if (size === 4) dv.setUint32(off, v >>> 0, true);
  else {
    dv.setUint32(off, v >>> 0, true);
    dv.setUint32(off + 4, Math.floor(v / 0x100000000) >>> 0, true);
  }
}

/** Build the 4 KiB boot_params for the inputs. Throws a RangeError on more than 128 e820 entries. */
export function buildBootParams(inp: BootParamsInputs): Uint8Array {
  if (inp.e820.length > E820_MAX_ENTRIES) {
    throw new RangeError(`e820 map has ${inp.e820.length} entries (at most ${E820_MAX_ENTRIES})`);
  }
  const bp = new Uint8Array(BOOT_PARAMS_SIZE);
  const dv = new DataView(bp.buffer);
  bp.set(inp.image.subarray(SETUP_HEADER_OFFSET, inp.headerEnd), SETUP_HEADER_OFFSET);
  put(dv, BP.vidMode, 2, 0xffff); // "normal" text mode
  put(dv, BP.typeOfLoader, 1, LOADER_TYPE_UNDEFINED);
  // CAN_USE_HEAP (bit 7) concerns the real-mode setup code, which is not run.
  put(dv, BP.heapEndPtr, 2, 0);
  put(dv, BP.cmdLinePtr, 4, inp.cmdlineAddr);
  put(dv, BP.extCmdLinePtr, 4, Math.floor(inp.cmdlineAddr / 0x100000000));
  put(dv, BP.ramdiskImage, 4, inp.initrdAddr);
  put(dv, BP.extRamdiskImage, 4, Math.floor(inp.initrdAddr / 0x100000000));
  put(dv, BP.ramdiskSize, 4, inp.initrdSize);
  put(dv, BP.extRamdiskSize, 4, Math.floor(inp.initrdSize / 0x100000000));
  if (inp.version >= 0x20e) put(dv, BP.acpiRsdpAddr, 8, inp.acpiRsdp);
  let above1M = 0;
  for (const e of inp.e820) {
    if (e.type === 1 && e.addr === 0x100000) above1M = e.size;
  }
  put(dv, BP.altMemK, 4, Math.min(Math.floor(above1M / 1024), 0xffffffff));
  put(dv, BP.extMemK, 2, Math.min(Math.floor(above1M / 1024), 0xfc00));
  put(dv, BP.e820Entries, 1, inp.e820.length);
  inp.e820.forEach((e, i) => {
    const o = BP.e820Table + 20 * i;
    put(dv, o, 8, e.addr);
    put(dv, o + 8, 8, e.size);
    put(dv, o + 16, 4, e.type);
  });
  return bp;
}
