/**
 * The VM-entry MSR-load list and the VM-exit MSR-store and MSR-load lists
 * (SDM Vol. 3C 25.7.2, 25.8.2, 27.4, 28.4, 28.6). Each list is an array of
 * 16-byte entries in L1 physical memory: bits 31:0 MSR index, bits 63:32
 * reserved (0), bits 127:64 data.
 *
 * @module
 */

import type { Vcpu } from "../../core/vcpu.ts";
import type { GuestMemory } from "../../mm/types.ts";
import { msrListMax } from "./check_controls.ts";
import { big, hiOf, loOf, Msr } from "./vcpu_access.ts";

/** MSRs that an MSR-load list may never write (SDM 27.4, 28.6). */
function forbiddenForLoad(index: number): boolean {
  return index === Msr.FS_BASE || index === Msr.GS_BASE || index === Msr.SMM_MONITOR_CTL ||
    index === Msr.SMBASE || (index >>> 8) === 8;
}

/**
 * Process an MSR-load list: write each entry's data to its MSR, in order,
 * as WRMSR in L1 would (`Vcpu.loadMsr`: IA32_APIC_BASE reaches the LAPIC).
 * Returns 0 on success, or the 1-based index of the entry that failed
 * (earlier entries stay loaded, as on hardware).
 */
export function loadMsrList(v: Vcpu, mem: GuestMemory, addr: number, count: number): number {
  if (count === 0) return 0;
  const max = msrListMax();
  for (let i = 0; i < count; i++) {
    if (i >= max) return i + 1;
    const e = addr + i * 16;
    const index = mem.read(e, 4) >>> 0;
    const reserved = mem.read(e + 4, 4);
    if (reserved !== 0 || forbiddenForLoad(index)) return i + 1;
    const lo = mem.read(e + 8, 4);
    const hi = mem.read(e + 12, 4);
    if (index === Msr.EFER) {
      // EFER through the list: reserved bits fault, as WRMSR would.
      if ((lo & ~0xd01) !== 0 || hi !== 0) return i + 1;
      v.efer = lo >>> 0;
      continue;
    }
    if (!v.loadMsr(index, big(lo, hi))) return i + 1;
  }
  return 0;
}

/**
 * Process the VM-exit MSR-store list: read each entry's MSR into its data
 * field. Returns 0 on success, or the 1-based index of the failing entry.
 * IA32_TSC is stored without the TSC offset (SDM 28.4): `Vcpu.readMsr`
 * reads the processor's TSC.
 */
export function storeMsrList(
  v: Vcpu,
  mem: GuestMemory,
  addr: number,
  count: number,
): number {
  if (count === 0) return 0;
  const max = msrListMax();
  for (let i = 0; i < count; i++) {
    if (i >= max) return i + 1;
    const e = addr + i * 16;
    const index = mem.read(e, 4) >>> 0;
    const reserved = mem.read(e + 4, 4);
    if (reserved !== 0 || index === Msr.SMBASE || (index >>> 8) === 8) return i + 1;
    let value: bigint | undefined;
    if (index === Msr.EFER) value = BigInt(v.efer >>> 0);
    else value = v.readMsr(index);
    if (value === undefined) return i + 1;
    mem.write(e + 8, 4, loOf(value));
    mem.write(e + 12, 4, hiOf(value));
  }
  return 0;
}
