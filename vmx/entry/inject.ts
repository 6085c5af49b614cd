/**
 * Event injection at VM entry (SDM Vol. 3C 27.6): the VM-entry
 * interruption-information field names an event that is delivered through
 * L2's IDT after all guest state is loaded, as if it occurred right then.
 *
 * @module
 */

import type { Vcpu } from "../../core/vcpu.ts";
import type { PendingEvent } from "../../core/vcpu.ts";
import { O, r32 } from "./offsets.ts";

/** What injection did. */
export const enum Injected {
  /** Nothing to inject. */
  NONE = 0,
  /** An event was queued on the vCPU. */
  EVENT = 1,
  /** Type 7 ("other event", vector 0): a pending MTF VM exit (SDM 27.6.2). */
  PENDING_MTF = 2,
}

/**
 * Queue the event of the VM-entry interruption-information field (already
 * checked) on the vCPU with `injectEvent`. Returns what was done; the
 * queued event (if any) is copied into `out` for IDT-vectoring bookkeeping.
 */
export function injectOnEntry(v: Vcpu, d: DataView, out: PendingEvent): Injected {
  const info = r32(d, O.VM_ENTRY_INTR_INFO);
  if ((info & 0x80000000) === 0) return Injected.NONE;
  const type = (info >>> 8) & 7;
  if (type === 7) return Injected.PENDING_MTF;
  out.type = type as PendingEvent["type"];
  out.vector = info & 0xff;
  out.errorCode = (info & 0x800) !== 0 ? r32(d, O.VM_ENTRY_EXCEPTION_ERROR_CODE) : -1;
  out.instructionLength = type >= 4 ? r32(d, O.VM_ENTRY_INSTRUCTION_LEN) & 0xf : 0;
  // An injected event wakes a halted guest (27.6.1 / 27.3.4).
  if (v.activity === "hlt") v.activity = "active";
  v.injectEvent(out);
  return Injected.EVENT;
}
