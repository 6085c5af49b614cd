/**
 * What fault-like VM exits raised by an access of L2 (EPT violations and
 * misconfigurations, page-modification-log-full events, APIC accesses)
 * share: where they leave L2 (SDM Vol. 3C 28.3.3), the IDT-vectoring
 * information when the access was part of an event delivery through L2's
 * IDT (28.2.4), and the NMI unblocking of an IRET they interrupt (28.1,
 * 28.2.3).
 *
 * @module
 */

import { PIN } from "../controls.ts";
import { O, r32 } from "../entry/offsets.ts";
import type { Nested } from "../nonroot/session.ts";
import { intrInfo } from "./reasons.ts";

/**
 * Fill the IDT-vectoring information of the exit begun in `n.info` when
 * the access was made while delivering an event (the VM-exit instruction
 * length too, for a software interrupt or exception), and return the RIP
 * to save: the instruction's (`ip0`) when no event was being delivered or
 * a software event was (28.3.3: RIP of the INT n, INT3, INTO, INT1), the
 * boundary's for a hardware event (an interrupt, an NMI, an exception).
 */
export function faultLikeRip(n: Nested): number {
  const v = n.vcpu;
  if (v.delivering < 0) return v.ip0;
  const info = n.info;
  const err = v.deliveringError;
  info.idtInfo = intrInfo(v.delivering, v.deliveringType, err >= 0);
  info.idtError = err >= 0 ? err : 0;
  const soft = v.deliveringType >= 4;
  if (soft) info.instrLen = v.deliveringLength;
  return soft ? v.ip0 : v.rip;
}

/**
 * "NMI unblocking due to IRET" (bit 12 of an EPT violation's or PML-full
 * event's exit qualification, 28.2.1; of the VM-exit interruption
 * information of a fault, 28.2.2): 1 when the access was made by an IRET
 * that removed blocking by NMI (virtual-NMI blocking with "virtual NMIs").
 * Undefined, and reported 0, with "NMI exiting" and without "virtual NMIs",
 * and when the exit sets IDT-vectoring information.
 */
export function nmiUnblockedByIret(n: Nested): boolean {
  const v = n.vcpu;
  if (!v.nmiUnblockedByIret || v.delivering >= 0 || v.vectoring >= 0) return false;
  const pin = r32(n.d, O.PIN_BASED_VM_EXEC_CONTROL);
  return (pin & (PIN.NMI_EXITING | PIN.VIRTUAL_NMIS)) !== PIN.NMI_EXITING;
}
