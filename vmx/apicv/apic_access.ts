/**
 * Accesses to the APIC-access page (SDM Vol. 3C 29.4) and the APIC-access
 * VM exit (basic reason 44).
 *
 * With "virtualize APIC accesses", an access whose physical address (after
 * EPT translation, if enabled) lies in the page at the APIC-access address
 * is an APIC access. The translator of `translator.ts` sees every one:
 * - an instruction fetch (access type 2) and, with EPT, a guest-physical
 *   access — a paging-structure read or accessed/dirty update, a PDPTE
 *   load (type 10 during an event delivery, 15 otherwise) — are never
 *   virtualized (29.4.2, 29.4.6.1): the translation fails with an
 *   "apic-access" fault and the CPU raises the exit once the instruction
 *   or delivery has unwound (like an EPT violation, whose priority it
 *   shares, 29.4.6.1);
 * - a linear data access lands on the vCPU's MMIO window page, where
 *   {@link apicAccess} decides it: a virtualized read returns the same
 *   offset of the virtual-APIC page (29.4.2), a virtualized write goes to
 *   the virtual-APIC page and leaves APIC-write emulation for the boundary
 *   after the operation (29.4.3, `apic_write.ts`); any other access holds an
 *   APIC-access exit (type 0 read, 1 write, 3 during an event delivery)
 *   that the CPU raises at the boundary state.
 *
 * Priority (29.4.1): the exit comes after the page fault and EPT violation
 * the access may incur, and after the accessed and dirty flags it sets in
 * the guest and EPT paging structures, because the translator decides on
 * the final physical address only. It is fault-like: RIP of the
 * instruction, or of the boundary when a hardware event was being
 * delivered (with IDT-vectoring information, 28.2.4; the instruction
 * length of a software one).
 *
 * Without EPT, paging-structure accesses to the APIC-access page are
 * "physical accesses", which may or may not exit (29.4.6.2): nestvm lets
 * them reach the page as memory, as it does the processor's own accesses
 * to VMX structures.
 *
 * @module
 */

import type { EptExit, MmioExit } from "../../core/vmexit.ts";
import { O, r32, ru64 } from "../entry/offsets.ts";
import { performVmExit } from "../exit/vmexit.ts";
import { Reason } from "../exit/reasons.ts";
import { faultLikeRip } from "../exit/fault_like.ts";
import type { Nested } from "../nonroot/session.ts";
import { noteVirtualizedWrite, sameOperation } from "./apic_write.ts";
import { proc2Of } from "./vapic.ts";
import { readVirtualized, writeVirtualized } from "./virtualized.ts";

/** Access types of an APIC-access exit (bits 15:12 of the qualification, SDM Table 28-6). */
export const enum AccessType {
  /** Linear access for a data read during instruction execution. */
  LINEAR_READ = 0,
  /** Linear access for a data write during instruction execution. */
  LINEAR_WRITE = 1,
  /** Linear access for an instruction fetch. */
  LINEAR_FETCH = 2,
  /** Linear access (read or write) during event delivery. */
  LINEAR_EVENT = 3,
  /** Guest-physical access during event delivery. */
  GUEST_PHYSICAL_EVENT = 10,
  /** Guest-physical access for an instruction fetch or during instruction execution. */
  GUEST_PHYSICAL_INSTRUCTION = 15,
}

/**
 * The exit qualification: page offset in bits 11:0 (undefined for a
 * guest-physical access; nestvm reports the offset all the same), access
 * type in bits 15:12.
 */
export function apicAccessQualification(offset: number, type: AccessType): number {
  return (offset & 0xfff) | (type << 12);
}

/**
 * Decide a level-2 data access to this vCPU's window page: virtualize it
 * ("handled"), or hold the APIC-access exit (the vCPU abandons the
 * instruction or delivery). Null for an access that is not to the window.
 */
export function apicAccess(n: Nested, exit: MmioExit): "handled" | null {
  const a = n.apicv;
  if (a.accessPage < 0) return null;
  const off = exit.gpa - a.windowBase;
  if (off < 0 || off >= 0x1000) return null;
  const v = n.vcpu;
  const d = n.d;
  const write = exit.direction === "out";
  const at = ru64(d, O.VIRTUAL_APIC_PAGE_ADDR) + off;
  const size = exit.size as 1 | 2 | 4;
  // The next piece of a virtualized access split by memory-mapped I/O.
  if (off === a.pieceNext && write === a.pieceWrite && a.piece.is(v)) {
    a.pieceNext = off + size < a.pieceEnd ? off + size : -1;
    if (write) n.mem.write(at, size, exit.value);
    else exit.value = n.mem.read(at, size);
    return "handled";
  }
  a.pieceNext = -1;
  const proc = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  const proc2 = proc2Of(d);
  // The width of the whole access: a piece of a wider one is not virtualized.
  const width = Math.max(v.accessWidth, size);
  // An operation that virtualized a write: a read of it, or a write to another
  // offset or of another width, is not virtualized (29.4.2, 29.4.3.1).
  const prior = sameOperation(n);
  const ok = write
    ? writeVirtualized(proc, proc2, off, width) &&
      (!prior || (a.opOffset === off && a.opWidth === width))
    : readVirtualized(proc, proc2, off, width) && !prior;
  if (!ok) {
    // Bit 12 is what W/R of a page fault would be: the read of a
    // read-modify-write instruction reports a write (SDM 28.2.1).
    const type = v.delivering >= 0
      ? AccessType.LINEAR_EVENT
      : write || a.rmwRead
      ? AccessType.LINEAR_WRITE
      : AccessType.LINEAR_READ;
    v.holdExit({
      kind: "apic-access",
      level: 2,
      instructionLength: 0,
      gpa: a.accessPage + off,
      linear: NaN,
      qualification: apicAccessQualification(off, type),
    });
  }
  if (width > size) {
    a.pieceNext = off + size;
    a.pieceEnd = off + width;
    a.pieceWrite = write;
    a.piece.set(v);
  }
  if (write) {
    n.mem.write(at, size, exit.value);
    noteVirtualizedWrite(n, off, width);
  } else {
    exit.value = n.mem.read(at, size);
  }
  return "handled";
}

/**
 * Perform the APIC-access VM exit the CPU raised (held by {@link apicAccess}
 * or failed by the translator). Fault-like; an IRET it interrupts keeps
 * blocking by NMI (28.1 lets only faults, EPT violations and
 * misconfigurations and PML-full events clear it, and the APIC-access
 * qualification has no bit to report an unblocking).
 */
export function reflectApicAccess(n: Nested, exit: EptExit): "reflected" {
  const v = n.vcpu;
  const info = n.info.begin(Reason.APIC_ACCESS).qual(exit.qualification);
  const type = (exit.qualification >>> 12) & 0xf;
  if (type === AccessType.LINEAR_READ || type === AccessType.LINEAR_WRITE) {
    // The length of the instruction (SDM 28.2.5 leaves it undefined here;
    // reported when known: RIP already past it).
    const len = v.rip - v.ip0;
    info.instrLen = len > 0 && len <= 15 ? len : 0;
  }
  const rip = faultLikeRip(n);
  if (v.delivering < 0 && v.nmiUnblockedByIret) v.interruptibility |= 8;
  n.apicv.pendingWrites = [];
  n.apicv.opOffset = -1;
  performVmExit(n, rip);
  return "reflected";
}
