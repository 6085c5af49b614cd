/**
 * Delivery of a pending unmasked x87 exception (FSW.ES set) at the next
 * waiting x87 instruction (SDM Vol. 1 8.7, Appendix D).
 *
 * - CR0.NE = 1: #MF.
 * - CR0.NE = 0 ("MS-DOS compatibility"): the CPU asserts FERR# and, unless
 *   IGNNE# is asserted, freezes just before the waiting instruction until
 *   an external interrupt arrives; the interrupt returns to the waiting
 *   instruction, which is then re-executed. A PC routes FERR# to IRQ13; its
 *   handler clears the exception (FNCLEX) and/or writes port 0xF0, which
 *   asserts IGNNE# until FERR# drops. With IGNNE# asserted the waiting
 *   instruction runs as if no exception were pending.
 * - No FERR# wired (no board pins, {@link FpuErrorPins}): as if IGNNE# were
 *   asserted.
 *
 * FERR# drops when FSW.ES is clear; the CPU notices it at the next x87
 * instruction ({@link ferrCheck}), which is when IGNNE# next matters.
 *
 * @module
 */

import type { Cpu } from "../cpu.ts";
import { ABANDON, CpuFault, Vec } from "../fault.ts";

/** Called by a waiting x87 instruction when FSW.ES is set. */
export function signalPending(c: Cpu): void {
  if ((c.cr0 & 0x20) !== 0) throw new CpuFault(Vec.MF, -1);
  const pins = c.fpuPins;
  if (pins === null) return;
  if (!c.ferrOut) {
    c.ferrOut = true;
    pins.ferr(true);
  }
  if (pins.ignne()) return;
  // Freeze before the instruction: like HLT, but an interrupt returns to it.
  // The waiting instruction has begun, so blocking by STI/MOV SS (which
  // covers only the boundary before it) is over, as for "STI; HLT".
  c.rip = c.ip0;
  c.interruptibility &= ~3;
  c.activity = "hlt";
  c.poke();
  throw ABANDON;
}

/** Drop FERR# once FSW.ES is clear (every x87 instruction calls this first). */
export function ferrCheck(c: Cpu): void {
  if (c.ferrOut && (c.fpu.fsw & 0x80) === 0) {
    c.ferrOut = false;
    c.fpuPins?.ferr(false);
  }
}

/** FWAIT/WAIT: #NM when CR0.MP and CR0.TS are both set, then any pending x87 exception. */
export function fwait(c: Cpu): void {
  if ((c.cr0 & 0xa) === 0xa) throw new CpuFault(Vec.NM, -1);
  if (c.ferrOut) ferrCheck(c);
  if ((c.fpu.fsw & 0x80) !== 0) signalPending(c);
}
