/**
 * Virtualizing RDMSR and WRMSR of the x2APIC MSRs 800H-8FFH (SDM Vol. 3C
 * 29.5), for executions the MSR bitmap does not turn into VM exits, with
 * "virtualize x2APIC mode":
 * - RDMSR reads 8 bytes of the virtual-APIC page at offset
 *   (ECX & FFH) << 4: for 808H (VTPR) always, for every MSR of the range
 *   with "APIC-register virtualization"; even when the local APIC is not
 *   in x2APIC mode. Other reads go to L1's local APIC.
 * - WRMSR 808H (bits 63:8 must be 0, else #GP) writes VTPR, then TPR
 *   virtualization; with "virtual-interrupt delivery", 80BH (value must be
 *   0) writes VEOI, then EOI virtualization, and 83FH (bits 63:8 must be 0)
 *   writes the self-IPI register, then its APIC-write emulation. Other
 *   writes go to L1's local APIC.
 *
 * @module
 */

import type { MsrReadExit, MsrWriteExit } from "../../core/vmexit.ts";
import { PROC2 } from "../controls.ts";
import type { Nested } from "../nonroot/session.ts";
import { apicWriteEmulation } from "./apic_write.ts";
import { eoiVirtualization, proc2Of, readV, tprVirtualization, VAPIC, writeV } from "./vapic.ts";

const TPR_MSR = 0x808;
const EOI_MSR = 0x80b;
const SELF_IPI_MSR = 0x83f;

/** RDMSR of an x2APIC MSR: "handled" when virtualized, null when L1's APIC answers. */
export function x2apicRead(n: Nested, exit: MsrReadExit): "handled" | null {
  const msr = exit.msr;
  const proc2 = proc2Of(n.d);
  if (msr !== TPR_MSR && (proc2 & PROC2.APIC_REGISTER_VIRTUALIZATION) === 0) return null;
  const off = (msr & 0xff) << 4;
  exit.lo = readV(n, off);
  exit.hi = readV(n, off + 4);
  return "handled";
}

/**
 * WRMSR of an x2APIC MSR: "handled" when virtualized, "reflected" after a
 * trap-like VM exit, null when L1's APIC takes it. Raises #GP for a value
 * the virtualized register refuses.
 */
export function x2apicWrite(n: Nested, exit: MsrWriteExit): "handled" | "reflected" | null {
  const msr = exit.msr;
  const v = n.vcpu;
  const vid = (proc2Of(n.d) & PROC2.VIRTUAL_INTERRUPT_DELIVERY) !== 0;
  const lo = exit.lo >>> 0;
  const hi = exit.hi >>> 0;
  let exited: boolean;
  if (msr === TPR_MSR) {
    if (hi !== 0 || (lo & ~0xff) !== 0) return v.raiseException(13, 0);
    writeV(n, VAPIC.TPR, lo);
    writeV(n, VAPIC.TPR + 4, 0);
    exited = tprVirtualization(n);
  } else if (msr === EOI_MSR && vid) {
    if (hi !== 0 || lo !== 0) return v.raiseException(13, 0);
    writeV(n, VAPIC.EOI, 0);
    writeV(n, VAPIC.EOI + 4, 0);
    exited = eoiVirtualization(n);
  } else if (msr === SELF_IPI_MSR && vid) {
    if (hi !== 0 || (lo & ~0xff) !== 0) return v.raiseException(13, 0);
    writeV(n, VAPIC.SELF_IPI, lo);
    writeV(n, VAPIC.SELF_IPI + 4, 0);
    exited = apicWriteEmulation(n, VAPIC.SELF_IPI);
  } else return null;
  return exited ? "reflected" : "handled";
}
