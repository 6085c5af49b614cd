/**
 * Saving L2's state into the guest-state area of vmcs12 at a VM exit
 * (SDM Vol. 3C 28.3), and writing the exit-information fields (28.2).
 *
 * @module
 */

import type { Vcpu } from "../../core/vcpu.ts";
import { ENTRY, EXIT, PROC, PROC2 } from "../controls.ts";
import { getSysenter, hiOf, loOf, Msr, type SysenterOut } from "../entry/vcpu_access.ts";
import { SEG_FIELDS } from "../entry/check_guest.ts";
import { O, r32, w16, w32, w64, wnum } from "../entry/offsets.ts";
import type { ExitInfo } from "./exit_info.ts";

function activityCode(a: string): number {
  return a === "active" ? 0 : a === "hlt" ? 1 : a === "shutdown" ? 2 : 3;
}

const sys: SysenterOut = { cs: 0, esp: 0, eip: 0 };

/**
 * Save the guest state. `rip` is the RIP to save (the instruction that
 * caused the exit for fault-like and instruction exits, the next
 * instruction for trap-like ones); `pendingDebug` the value of the
 * pending-debug-exceptions field (SDM 28.3.4).
 */
export function saveGuestState(v: Vcpu, d: DataView, rip: number, pendingDebug = 0): void {
  const exit = r32(d, O.VM_EXIT_CONTROLS);
  wnum(d, O.GUEST_CR0, v.cr0 >>> 0);
  wnum(d, O.GUEST_CR3, v.cr3);
  wnum(d, O.GUEST_CR4, v.cr4 >>> 0);
  if ((exit & EXIT.SAVE_DEBUG_CONTROLS) !== 0) {
    wnum(d, O.GUEST_DR7, v.dr[7]);
    const dbg = v.readMsr(Msr.DEBUGCTL) ?? 0n;
    w64(d, O.GUEST_IA32_DEBUGCTL, loOf(dbg), hiOf(dbg));
  }
  getSysenter(v, sys);
  w32(d, O.GUEST_SYSENTER_CS, sys.cs);
  wnum(d, O.GUEST_SYSENTER_ESP, sys.esp);
  wnum(d, O.GUEST_SYSENTER_EIP, sys.eip);
  if ((exit & EXIT.SAVE_IA32_PAT) !== 0) {
    const pat = v.readMsr(Msr.PAT) ?? 0x0007040600070406n;
    w64(d, O.GUEST_IA32_PAT, loOf(pat), hiOf(pat));
  }
  if ((exit & EXIT.SAVE_IA32_EFER) !== 0) w64(d, O.GUEST_IA32_EFER, v.efer, 0);
  // "IA-32e mode guest" follows EFER.LMA (IA32_VMX_MISC bit 5).
  const entry = r32(d, O.VM_ENTRY_CONTROLS);
  w32(
    d,
    O.VM_ENTRY_CONTROLS,
    (v.efer & 0x400) !== 0 ? entry | ENTRY.IA32E_MODE_GUEST : entry & ~ENTRY.IA32E_MODE_GUEST,
  );
  const { sel, base, limit, ar } = SEG_FIELDS;
  for (let i = 0; i < 8; i++) {
    const s = v.seg[i];
    w16(d, sel[i], s.selector);
    wnum(d, base[i], s.base);
    w32(d, limit[i], s.limit);
    w32(d, ar[i], s.attrs & 0x1f0ff);
  }
  wnum(d, O.GUEST_GDTR_BASE, v.gdtr.base);
  w32(d, O.GUEST_GDTR_LIMIT, v.gdtr.limit);
  wnum(d, O.GUEST_IDTR_BASE, v.idtr.base);
  w32(d, O.GUEST_IDTR_LIMIT, v.idtr.limit);
  wnum(d, O.GUEST_RIP, rip);
  w64(d, O.GUEST_RSP, v.gpr[8], v.gpr[9]);
  w64(d, O.GUEST_RFLAGS, v.rflags, 0);
  w32(d, O.GUEST_ACTIVITY_STATE, activityCode(v.activity));
  w32(d, O.GUEST_INTERRUPTIBILITY_INFO, v.interruptibility & 0xf);
  w64(d, O.GUEST_PENDING_DBG_EXCEPTIONS, pendingDebug >>> 0, 0);
  // With "enable EPT", the PDPTE registers of PAE paging are saved (28.3.4).
  const proc = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  if (
    (proc & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0 &&
    (r32(d, O.SECONDARY_VM_EXEC_CONTROL) & PROC2.ENABLE_EPT) !== 0 &&
    (v.cr0 & 0x80000000) !== 0 && (v.cr4 & 0x20) !== 0 && (v.efer & 0x400) === 0
  ) {
    for (let i = 0; i < 4; i++) wnum(d, PDPTE_FIELDS[i], v.pdpte[i]);
  }
}

const PDPTE_FIELDS = [O.GUEST_PDPTE0, O.GUEST_PDPTE1, O.GUEST_PDPTE2, O.GUEST_PDPTE3];

/** Write the exit-information fields (SDM 28.2) and clear the entry injection's valid bit. */
export function writeExitInfo(d: DataView, info: ExitInfo): void {
  w32(d, O.VM_EXIT_REASON, info.reason);
  w64(d, O.EXIT_QUALIFICATION, info.qualLo, info.qualHi);
  if (info.guestLinear === info.guestLinear) wnum(d, O.GUEST_LINEAR_ADDRESS, info.guestLinear);
  if (info.guestPhys >= 0) wnum(d, O.GUEST_PHYSICAL_ADDRESS, info.guestPhys);
  w32(d, O.VM_EXIT_INTR_INFO, info.intrInfo);
  if ((info.intrInfo & 0x800) !== 0) w32(d, O.VM_EXIT_INTR_ERROR_CODE, info.intrError);
  w32(d, O.IDT_VECTORING_INFO, info.idtInfo);
  if ((info.idtInfo & 0x800) !== 0) w32(d, O.IDT_VECTORING_ERROR_CODE, info.idtError);
  w32(d, O.VM_EXIT_INSTRUCTION_LEN, info.instrLen);
  w32(d, O.VMX_INSTRUCTION_INFO, info.instrInfo);
  // Every VM exit clears the valid bit of the VM-entry interruption information (28.2.?).
  const entryInfo = r32(d, O.VM_ENTRY_INTR_INFO);
  w32(d, O.VM_ENTRY_INTR_INFO, entryInfo & 0x7fffffff);
}
