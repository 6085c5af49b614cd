/**
 * VMFUNC in VMX non-root operation (SDM Vol. 3C 26.5.6 "VM Functions" and
 * Vol. 2 VMFUNC): with "enable VM functions" = 0 it is #UD; otherwise EAX
 * selects a VM function, and a function that is not enabled in vmcs12's
 * VM-function controls, or that fails, is a VM exit for reason VMFUNC (59).
 *
 * Function 0, EPTP switching: ECX (below 512) indexes the 4-KByte EPTP list
 * at vmcs12's EPTP-list address; an entry that VM entry would accept as an
 * EPT pointer becomes the EPT pointer (vmcs12 holds it, so VMREAD, later
 * entries and snapshots see it) and L2 continues with the translations of
 * that EPTP. Translations cached for it before are kept: they are tagged
 * with the EPTP, as on hardware, so INVEPT is what drops them. With
 * "EPT-violation #VE" supported, the index goes to the EPTP-index field.
 *
 * @module
 */

import type { ExitDisposition, VmxInstructionExit } from "../../core/vmexit.ts";
import { PROC, PROC2 } from "../controls.ts";
import { eptpValid } from "../entry/check_controls.ts";
import { O, r32, rhi, w16, w64 } from "../entry/offsets.ts";
import { performVmExit } from "../exit/vmexit.ts";
import { Reason } from "../exit/reasons.ts";
import { switchL2Eptp } from "../entry/tlb_context.ts";
import type { Nested } from "./session.ts";

/** VM function 0: EPTP switching (bit 0 of the VM-function controls and of IA32_VMX_VMFUNC). */
export const VMFUNC_EPTP_SWITCHING = 1;

/** Entries in the EPTP list. */
const EPTP_LIST_ENTRIES = 512;

/** Execute VMFUNC of L2: "handled" when the function completed, else #UD or the VM exit. */
export function vmfunc(n: Nested, exit: VmxInstructionExit): ExitDisposition {
  const v = n.vcpu;
  const d = n.d;
  const proc2 = (r32(d, O.CPU_BASED_VM_EXEC_CONTROL) & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0
    ? r32(d, O.SECONDARY_VM_EXEC_CONTROL)
    : 0;
  if ((proc2 & PROC2.ENABLE_VM_FUNCTIONS) === 0) return v.raiseException(6);
  const fn = v.gpr[0] >>> 0; // EAX
  const controls = fn < 32 ? r32(d, O.VM_FUNCTION_CONTROL) : rhi(d, O.VM_FUNCTION_CONTROL);
  const enabled = fn < 64 && ((controls >>> (fn & 31)) & 1) !== 0;
  if (enabled && fn === 0 && switchEptp(n, v.gpr[2] >>> 0)) return "handled";
  // Not enabled, or the function failed: a VM exit (instruction length
  // saved, RIP of the VMFUNC, no exit qualification).
  n.info.begin(Reason.VMFUNC);
  n.info.instrLen = exit.instructionLength;
  performVmExit(n, v.ip0);
  return "reflected";
}

/** EPTP switching to list entry `index`; false (a VM exit) when the index or the entry is invalid. */
function switchEptp(n: Nested, index: number): boolean {
  if (index >= EPTP_LIST_ENTRIES || n.ept === null) return false;
  const d = n.d;
  const list = rhi(d, O.EPTP_LIST_ADDRESS) * 0x100000000 + (r32(d, O.EPTP_LIST_ADDRESS) >>> 0);
  const lo = n.mem.read(list + index * 8, 4) >>> 0;
  const hi = n.mem.read(list + index * 8 + 4, 4) >>> 0;
  if (!eptpValid(lo, hi, n.features)) return false;
  w64(d, O.EPT_POINTER, lo, hi);
  // A processor that supports "EPT-violation #VE" (whatever its setting)
  // also loads ECX[15:0] into the EPTP-index field, which later #VEs report
  // (SDM Vol. 3C 26.5.6.3; Vol. 2 VMFUNC).
  if ((n.features.proc2 & PROC2.EPT_VIOLATION_VE) !== 0) w16(d, O.EPTP_INDEX, index);
  const eptp = hi * 0x100000000 + lo;
  n.ept.switchTo(eptp);
  switchL2Eptp(n);
  return true;
}
