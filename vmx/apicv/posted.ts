/**
 * Posted-interrupt processing (SDM Vol. 3C 29.6): with "process posted
 * interrupts", an external interrupt arriving in VMX non-root operation is
 * acknowledged; unless its vector is the posted-interrupt notification
 * vector it causes the usual external-interrupt VM exit (with the vector,
 * as "acknowledge interrupt on exit" is required to be 1). For the
 * notification vector the processor, without a VM exit: clears the
 * outstanding-notification bit (bit 256) of the posted-interrupt
 * descriptor, writes EOI to the local APIC, ORs the PIR (bits 255:0) into
 * VIRR and clears it, raises RVI to the highest posted vector, and
 * evaluates pending virtual interrupts.
 *
 * @module
 */

import { O, r16, ru64, w16 } from "../entry/offsets.ts";
import { intrInfo, IntrType, Reason } from "../exit/reasons.ts";
import { performVmExit } from "../exit/vmexit.ts";
import type { Nested } from "../nonroot/session.ts";
import { evaluatePending, readV, VAPIC, writeV } from "./vapic.ts";

/**
 * Process an external interrupt offered at a boundary of L2 with "process
 * posted interrupts": "handled" when it was the notification (consumed
 * here), "reflected" after the external-interrupt VM exit, null when no
 * interrupt is pending after all.
 */
export function postedInterrupt(n: Nested): "handled" | "reflected" | null {
  const v = n.vcpu;
  const src = v.intSource;
  if (src === null || !src.hasInterrupt()) return null;
  const vector = src.acknowledge() & 0xff;
  const d = n.d;
  if (vector !== (r16(d, O.POSTED_INTR_NOTIFICATION_VECTOR) & 0xff)) {
    n.info.begin(Reason.EXTERNAL_INTERRUPT);
    n.info.intrInfo = intrInfo(vector, IntrType.EXTERNAL, false);
    performVmExit(n, v.rip);
    return "reflected";
  }
  const mem = n.mem;
  const desc = ru64(d, O.POSTED_INTR_DESC_ADDR);
  mem.write(desc + 32, 1, mem.read(desc + 32, 1) & ~1);
  src.endOfInterrupt?.();
  let highest = -1;
  for (let w = 7; w >= 0; w--) {
    const pir = mem.read(desc + 4 * w, 4);
    if (pir === 0) continue;
    if (highest < 0) highest = w * 32 + 31 - Math.clz32(pir);
    const off = VAPIC.IRR + 16 * w;
    writeV(n, off, readV(n, off) | pir);
    mem.write(desc + 4 * w, 4, 0);
  }
  if (highest >= 0) {
    const status = r16(d, O.GUEST_INTR_STATUS);
    if (highest > (status & 0xff)) w16(d, O.GUEST_INTR_STATUS, (status & 0xff00) | highest);
  }
  evaluatePending(n);
  return "handled";
}
