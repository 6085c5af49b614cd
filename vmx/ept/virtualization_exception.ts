/**
 * EPT-violation virtualization exceptions (SDM Vol. 3C 26.5.7
 * "Virtualization Exceptions"; 25.5.6 in older editions). With the
 * "EPT-violation #VE" control (secondary processor-based bit 18), a
 * convertible EPT violation of L2 is not a VM exit: the processor saves
 * what the exit would have reported in the virtualization-exception
 * information area (L1 memory, at vmcs12's VE-information address) and
 * raises #VE in L2 — vector 20, a fault with no error code, of page-fault
 * severity for double faults. From there it is an ordinary exception:
 * bit 20 of the exception bitmap makes it a VM exit (reason 0), otherwise
 * it goes through L2's IDT.
 *
 * Convertible (26.5.7.1): the violation's "suppress #VE" bit (bit 63 of the
 * not-present entry the walk stopped at, or of the entry that maps the
 * page) is 0; CR0.PE = 1; the processor is not delivering an event through
 * the IDT (a violation during event delivery is always a VM exit, with
 * IDT-vectoring information); and the 32 bits at offset 4 of the area are
 * 0 — the #VE writes FFFFFFFFH there, so L2 must clear it before another
 * can happen. EPT misconfigurations and page-modification-log-full events
 * are never converted.
 *
 * @module
 */

import type { EptExit } from "../../core/vmexit.ts";
import { PROC, PROC2 } from "../controls.ts";
import { O, r16, r32, rhi } from "../entry/offsets.ts";
import { Reason } from "../exit/reasons.ts";
import type { Nested } from "../nonroot/session.ts";

/** The virtualization exception's vector. */
export const VE_VECTOR = 20;

/** Byte offsets in the virtualization-exception information area (SDM Vol. 3C Table 26-1). */
export const VE_AREA = Object.freeze({
  /** 32 bits: the exit reason a VM exit would have saved (48, EPT violation). */
  REASON: 0,
  /** 32 bits: FFFFFFFFH once a #VE wrote the area; a #VE happens only while it is 0. */
  SEMAPHORE: 4,
  /** 64 bits: the exit qualification a VM exit would have saved. */
  QUALIFICATION: 8,
  /** 64 bits: the guest-linear address a VM exit would have saved. */
  LINEAR: 16,
  /** 64 bits: the guest-physical address a VM exit would have saved. */
  GPA: 24,
  /** 16 bits: the EPTP-index VM-execution control. */
  EPTP_INDEX: 32,
});

/** Why an EPT violation is a VM exit rather than a #VE (see {@link veRefusal}). */
export type VeRefusal =
  | "control off"
  | "suppress #VE"
  | "CR0.PE = 0"
  | "event delivery"
  | "semaphore set";

/** The "EPT-violation #VE" control of the current vmcs12. */
export function veEnabled(d: DataView): boolean {
  const proc = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  return (proc & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0 &&
    (r32(d, O.SECONDARY_VM_EXEC_CONTROL) & PROC2.EPT_VIOLATION_VE) !== 0;
}

/** The virtualization-exception information address of vmcs12 (checked page-aligned at VM entry). */
export function veAreaAddress(d: DataView): number {
  return rhi(d, O.VE_INFO_ADDRESS) * 0x100000000 + r32(d, O.VE_INFO_ADDRESS);
}

/**
 * Why the EPT violation L2 just had is not converted to a #VE, or null when
 * it is (SDM Vol. 3C 26.5.7.1); `suppressVe` is bit 63 of the deciding EPT
 * entry. The checks are the SDM's, in an order that reads the area last.
 */
export function veRefusal(n: Nested, suppressVe: boolean): VeRefusal | null {
  if (!veEnabled(n.d)) return "control off";
  if (suppressVe) return "suppress #VE";
  const v = n.vcpu;
  if ((v.cr0 & 1) === 0) return "CR0.PE = 0";
  // Delivery of an event through L2's IDT (including one injected by VM
  // entry) that needed the access: a VM exit with IDT-vectoring information.
  if (v.delivering >= 0) return "event delivery";
  if ((n.mem.read(veAreaAddress(n.d) + VE_AREA.SEMAPHORE, 4) >>> 0) !== 0) return "semaphore set";
  return null;
}

function write64(n: Nested, a: number, v: number): void {
  n.mem.write(a, 4, v >>> 0);
  n.mem.write(a + 4, 4, Math.floor(v / 0x100000000) >>> 0);
}

/**
 * Save the virtualization-exception information of `exit` (Table 26-1):
 * exit reason 48, the semaphore FFFFFFFFH, the exit qualification
 * `qualification` (as a VM exit would report it), the guest-linear address
 * (0 when qualification bit 7 says there is none: undefined for a VM exit),
 * the guest-physical address and the current EPTP index.
 */
export function saveVeInfo(n: Nested, exit: EptExit, qualification: number): void {
  const a = veAreaAddress(n.d);
  n.mem.write(a + VE_AREA.REASON, 4, Reason.EPT_VIOLATION);
  n.mem.write(a + VE_AREA.SEMAPHORE, 4, 0xffffffff);
  write64(n, a + VE_AREA.QUALIFICATION, qualification);
  const linear = (qualification & 0x80) !== 0 && exit.linear === exit.linear ? exit.linear : 0;
  write64(n, a + VE_AREA.LINEAR, linear);
  write64(n, a + VE_AREA.GPA, exit.gpa);
  n.mem.write(a + VE_AREA.EPTP_INDEX, 2, r16(n.d, O.EPTP_INDEX));
}

/**
 * Convert an EPT violation of L2 into a virtualization exception when it is
 * convertible: save the information and return true (the caller raises
 * #VE in L2); false when it must be a VM exit.
 */
export function convertToVe(
  n: Nested,
  exit: EptExit,
  suppressVe: boolean,
  qualification: number,
): boolean {
  if (veRefusal(n, suppressVe) !== null) return false;
  saveVeInfo(n, exit, qualification);
  return true;
}
