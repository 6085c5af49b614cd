/**
 * Loading guest state from vmcs12 at VM entry (SDM Vol. 3C 27.3.2, 27.3.3),
 * after every check passed.
 *
 * @module
 */

import type { Vcpu } from "../../core/vcpu.ts";
import type { ActivityState } from "../../core/vcpu.ts";
import { ENTRY } from "../controls.ts";
import { big, Msr, setSysenter } from "./vcpu_access.ts";
import { SEG_FIELDS } from "./check_guest.ts";
import { O, r16, r32, rhi, rlin, ru64 } from "./offsets.ts";

/** Activity-state encodings 0-3 (SDM 25.4.2). */
export const ACTIVITY: readonly ActivityState[] = ["active", "hlt", "shutdown", "wait-for-sipi"];

/** CR0 bits that VM entry ignores (reserved: 15:6, 17, 28:19), kept as they were. */
const CR0_IGNORED = 0x1ff8ffc0;

/**
 * Load the guest-state area into the vCPU: control registers, debug
 * controls, SYSENTER/PAT/EFER MSRs, segment registers, descriptor tables,
 * RIP/RSP/RFLAGS, activity and interruptibility. Does not call
 * `stateChanged()` (the caller does, once).
 */
export function loadGuestState(v: Vcpu, d: DataView): void {
  const entry = r32(d, O.VM_ENTRY_CONTROLS);
  const ia32e = (entry & ENTRY.IA32E_MODE_GUEST) !== 0;
  // Control registers. ET (bit 4) is hardwired to 1.
  const cr0 = r32(d, O.GUEST_CR0);
  v.cr0 = ((cr0 & ~CR0_IGNORED) | (v.cr0 & CR0_IGNORED) | 0x10) >>> 0;
  v.cr3 = ru64(d, O.GUEST_CR3);
  v.cr4 = r32(d, O.GUEST_CR4);
  // Debug controls.
  if ((entry & ENTRY.LOAD_DEBUG_CONTROLS) !== 0) {
    v.dr[7] = (r32(d, O.GUEST_DR7) | 0x400) >>> 0;
    v.writeMsr(Msr.DEBUGCTL, big(r32(d, O.GUEST_IA32_DEBUGCTL), 0));
  }
  setSysenter(
    v,
    r32(d, O.GUEST_SYSENTER_CS),
    rlin(d, O.GUEST_SYSENTER_ESP),
    rlin(d, O.GUEST_SYSENTER_EIP),
  );
  if ((entry & ENTRY.LOAD_IA32_PERF_GLOBAL_CTRL) !== 0) {
    // Checked at entry (only the counters' bits): loaded as a WRMSR would (27.3.2.1).
    v.writeMsr(
      Msr.PERF_GLOBAL_CTRL,
      big(r32(d, O.GUEST_IA32_PERF_GLOBAL_CTRL), rhi(d, O.GUEST_IA32_PERF_GLOBAL_CTRL)),
    );
  }
  if ((entry & ENTRY.LOAD_IA32_PAT) !== 0) {
    v.writeMsr(Msr.PAT, big(r32(d, O.GUEST_IA32_PAT), rhi(d, O.GUEST_IA32_PAT)));
  }
  if ((entry & ENTRY.LOAD_IA32_EFER) !== 0) {
    v.efer = r32(d, O.GUEST_IA32_EFER);
  } else {
    // LMA follows "IA-32e mode guest"; LME too when paging is on (27.3.2.1).
    let efer = v.efer & ~0x400;
    if (ia32e) efer |= 0x400;
    if ((v.cr0 & 0x80000000) !== 0) efer = ia32e ? efer | 0x100 : efer & ~0x100;
    v.efer = efer >>> 0;
  }
  // Segment registers (27.3.2.2).
  const { sel, base, limit, ar } = SEG_FIELDS;
  for (let i = 0; i < 8; i++) {
    const s = v.seg[i];
    s.selector = r16(d, sel[i]);
    const attrs = r32(d, ar[i]);
    s.attrs = attrs & 0x1f0ff;
    s.limit = r32(d, limit[i]);
    // CS/SS/DS/ES bases are 32-bit; FS/GS/LDTR/TR bases are canonical 64-bit.
    s.base = i >= 4 ? rlin(d, base[i]) : r32(d, base[i]);
  }
  v.gdtr.base = rlin(d, O.GUEST_GDTR_BASE);
  v.gdtr.limit = r32(d, O.GUEST_GDTR_LIMIT) & 0xffff;
  v.idtr.base = rlin(d, O.GUEST_IDTR_BASE);
  v.idtr.limit = r32(d, O.GUEST_IDTR_LIMIT) & 0xffff;
  // RIP, RSP, RFLAGS.
  const csL = (v.seg[1].attrs & 0x2000) !== 0;
  v.rip = ia32e && csL ? rlin(d, O.GUEST_RIP) : r32(d, O.GUEST_RIP);
  v.gpr[8] = r32(d, O.GUEST_RSP);
  v.gpr[9] = rhi(d, O.GUEST_RSP);
  v.rflags = r32(d, O.GUEST_RFLAGS);
  // Non-register state (27.3.2.5).
  v.activity = ACTIVITY[r32(d, O.GUEST_ACTIVITY_STATE) & 3];
  v.interruptibility = r32(d, O.GUEST_INTERRUPTIBILITY_INFO) & 0xf;
  // Blocking by STI / MOV SS loaded by the entry covers L2's first
  // instruction (SDM 27.3.2.5, 27.7): the CPU engine ends a shadow when its
  // retired count reaches `shadowUntil`, and a successful VMLAUNCH/VMRESUME
  // leaves the instruction loop without retiring (the state was replaced).
  if ((v.interruptibility & 3) !== 0) v.shadowUntil = v.retired + 1;
  // Pending debug exceptions (27.3.2.5, 27.7.3): a pending single-step or
  // enabled breakpoint becomes a #DB trap after entry (after the first
  // instruction when blocking by MOV SS was loaded).
  const pending = r32(d, O.GUEST_PENDING_DBG_EXCEPTIONS);
  if (pending !== 0) v.setPendingDebugExceptions(pending);
}
