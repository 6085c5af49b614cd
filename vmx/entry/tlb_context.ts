/**
 * Which TLB context L2 runs in and what VM entries and exits invalidate
 * (SDM Vol. 3C 29.1, 29.4.3.1): with "enable VPID" = 1, L2's translations
 * are tagged with vmcs12's VPID and neither the entry nor the exit
 * invalidates any; with "enable VPID" = 0, L2 shares VPID 0 with L1 and
 * both the entry and the exit invalidate every translation of VPID 0.
 *
 * @module
 */

import { PROC, PROC2 } from "../controls.ts";
import type { Nested } from "../nonroot/session.ts";
import { O, r16, r32 } from "./offsets.ts";

/** vmcs12's "enable VPID" (with "activate secondary controls"). */
export function vpidEnabled(d: DataView): boolean {
  return (r32(d, O.CPU_BASED_VM_EXEC_CONTROL) & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0 &&
    (r32(d, O.SECONDARY_VM_EXEC_CONTROL) & PROC2.ENABLE_VPID) !== 0;
}

/**
 * Switch the vCPU's translations to L2's context after VM entry loaded the
 * guest state (`n.ept` and the APIC-access translation chosen): VPID
 * `vmcs12.VPID` kept, or VPID 0 invalidated.
 */
export function enterL2Context(n: Nested, invalidate = false): void {
  const on = vpidEnabled(n.d);
  n.vcpu.vmTransition(
    on ? r16(n.d, O.VIRTUAL_PROCESSOR_ID) : 0,
    n.ept === null ? -1 : n.ept.eptp,
    n.apicv.accessPage,
    invalidate || !on,
  );
}

/**
 * Switch L2's translations to those of the EPT pointer now in `n.ept`
 * (VMFUNC's EPTP switching): same VPID, nothing invalidated (cached
 * translations are tagged with their EPTP).
 */
export function switchL2Eptp(n: Nested): void {
  n.vcpu.vmTransition(
    vpidEnabled(n.d) ? r16(n.d, O.VIRTUAL_PROCESSOR_ID) : 0,
    n.ept === null ? -1 : n.ept.eptp,
    n.apicv.accessPage,
    false,
  );
}

/**
 * Switch back to VPID 0 after a VM exit (or a failed entry) loaded the host
 * state: invalidated when L2 ran without VPID (or with `invalidate`).
 */
export function enterL1Context(n: Nested, invalidate = false): void {
  n.vcpu.vmTransition(0, -1, -1, invalidate || !vpidEnabled(n.d));
}
