/**
 * Delivery of a pending unmasked x87 exception (FSW.ES set) at the next
 * waiting x87 instruction (SDM Vol. 1 8.7): #MF when CR0.NE = 1. With
 * CR0.NE = 0 the PC routes FERR# to IRQ13 instead; nestvm has no FERR#
 * line, so the instruction proceeds as if IGNNE# were asserted.
 *
 * @module
 */

import type { Cpu } from "../cpu.ts";
import { CpuFault, Vec } from "../fault.ts";

/** Called by a waiting x87 instruction when FSW.ES is set. */
export function signalPending(c: Cpu): void {
  if ((c.cr0 & 0x20) !== 0) throw new CpuFault(Vec.MF, -1);
}

/** FWAIT/WAIT: #NM when CR0.MP and CR0.TS are both set, then any pending x87 exception. */
export function fwait(c: Cpu): void {
  if ((c.cr0 & 0xa) === 0xa) throw new CpuFault(Vec.NM, -1);
  if ((c.fpu.fsw & 0x80) !== 0) signalPending(c);
}
