/**
 * The I/O bitmaps and the MSR bitmap of vmcs12 (SDM Vol. 3C 25.6.4,
 * 25.6.9; exiting rules in 26.1.3).
 *
 * @module
 */

import type { GuestMemory } from "../../mm/types.ts";
import { PROC } from "../controls.ts";
import { O, r32, rhi } from "../entry/offsets.ts";

function addr(d: DataView, off: number): number {
  return rhi(d, off) * 0x100000000 + r32(d, off);
}

/**
 * Does an I/O access of `size` bytes at `port` cause a VM exit? With
 * "use I/O bitmaps", any port of the access whose bit is set exits, and so
 * does an access that wraps past 0xFFFF; otherwise "unconditional I/O
 * exiting" decides.
 */
export function ioExits(d: DataView, mem: GuestMemory, port: number, size: number): boolean {
  const proc = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  if ((proc & PROC.USE_IO_BITMAPS) === 0) return (proc & PROC.UNCONDITIONAL_IO_EXITING) !== 0;
  for (let p = port; p < port + size; p++) {
    if (p > 0xffff) return true;
    const base = p < 0x8000 ? addr(d, O.IO_BITMAP_A) : addr(d, O.IO_BITMAP_B);
    const bit = p & 0x7fff;
    if ((mem.read(base + (bit >>> 3), 1) & (1 << (bit & 7))) !== 0) return true;
  }
  return false;
}

/**
 * Does RDMSR (`write` false) or WRMSR of `msr` cause a VM exit? Without
 * "use MSR bitmaps" every access exits; with them, MSRs 0-1FFFH and
 * C0000000H-C0001FFFH are looked up in the read-low, read-high, write-low
 * and write-high quarters, and every other MSR exits.
 */
export function msrExits(d: DataView, mem: GuestMemory, msr: number, write: boolean): boolean {
  const proc = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  if ((proc & PROC.USE_MSR_BITMAPS) === 0) return true;
  const m = msr >>> 0;
  let offset: number;
  if (m <= 0x1fff) offset = 0;
  else if (m >= 0xc0000000 && m <= 0xc0001fff) offset = 1024;
  else return true;
  if (write) offset += 2048;
  const bit = m & 0x1fff;
  const base = addr(d, O.MSR_BITMAP);
  return (mem.read(base + offset + (bit >>> 3), 1) & (1 << (bit & 7))) !== 0;
}
