/**
 * Loading L1's state from the host-state area of vmcs12 at a VM exit (or
 * after a VM-entry failure) (SDM Vol. 3C 28.5).
 *
 * @module
 */

import type { Vcpu } from "../../core/vcpu.ts";
import type { GuestMemory } from "../../mm/types.ts";
import { EXIT } from "../controls.ts";
import { big, Msr, setSysenter } from "../entry/vcpu_access.ts";
import { pdpteOk } from "../entry/check_guest.ts";
import { O, r16, r32, rhi, rlin, ru64 } from "../entry/offsets.ts";
import { AbortCode } from "./reasons.ts";

/** CR0 bits that a VM exit leaves unchanged (reserved 15:6, 17, 28:19). */
const CR0_KEEP = 0x1ff8ffc0;

const HOST_SEL = [
  O.HOST_ES_SELECTOR,
  O.HOST_CS_SELECTOR,
  O.HOST_SS_SELECTOR,
  O.HOST_DS_SELECTOR,
  O.HOST_FS_SELECTOR,
  O.HOST_GS_SELECTOR,
];

/**
 * Load the host state. Returns 0, or a VMX-abort code when the host state
 * cannot be loaded (host PDPTEs with reserved bits: abort 2).
 * `clearDebugctl` is kept for callers: IA32_DEBUGCTL is cleared on every exit.
 * `physBits`: MAXPHYADDR for the PDPTE reserved-bit check.
 */
export function loadHostState(
  v: Vcpu,
  d: DataView,
  mem: GuestMemory,
  clearDebugctl: boolean,
  physBits: number,
): number {
  const exit = r32(d, O.VM_EXIT_CONTROLS);
  const hostLm = (exit & EXIT.HOST_ADDRESS_SPACE_SIZE) !== 0;
  // 28.5.1 control registers, debug registers, MSRs.
  v.cr0 = ((r32(d, O.HOST_CR0) & ~CR0_KEEP) | (v.cr0 & CR0_KEEP) | 0x10) >>> 0;
  v.cr3 = ru64(d, O.HOST_CR3);
  v.cr4 = r32(d, O.HOST_CR4);
  v.dr[7] = 0x400;
  // IA32_DEBUGCTL is cleared on every VM exit (28.5.1), whether or not the
  // entry loaded it: L2 may have changed the value it ran with.
  // Writing 0 over 0 changes nothing: skip the MSR call then.
  void clearDebugctl;
  if (v.debugCtl !== 0) v.writeMsr(Msr.DEBUGCTL, 0n);
  setSysenter(
    v,
    r32(d, O.HOST_IA32_SYSENTER_CS),
    rlin(d, O.HOST_IA32_SYSENTER_ESP),
    rlin(d, O.HOST_IA32_SYSENTER_EIP),
  );
  if ((exit & EXIT.LOAD_IA32_PERF_GLOBAL_CTRL) !== 0) {
    // Checked at entry (only the counters' bits): loaded as a WRMSR would (28.5.1).
    v.writeMsr(
      Msr.PERF_GLOBAL_CTRL,
      big(r32(d, O.HOST_IA32_PERF_GLOBAL_CTRL), rhi(d, O.HOST_IA32_PERF_GLOBAL_CTRL)),
    );
  }
  if ((exit & EXIT.LOAD_IA32_PAT) !== 0) {
    v.writeMsr(Msr.PAT, big(r32(d, O.HOST_IA32_PAT), rhi(d, O.HOST_IA32_PAT)));
  }
  if ((exit & EXIT.LOAD_IA32_EFER) !== 0) {
    v.efer = r32(d, O.HOST_IA32_EFER);
  } else {
    v.efer = (hostLm ? v.efer | 0x500 : v.efer & ~0x500) >>> 0;
  }
  // 28.5.2 segment and descriptor-table registers.
  for (let i = 0; i < 6; i++) {
    const s = v.seg[i];
    const sel = r16(d, HOST_SEL[i]);
    s.selector = sel;
    if (i === 1) {
      s.base = 0;
      s.limit = 0xffffffff;
      // Type 11 (execute/read, accessed), S, P, G; L = host address-space size, D = !L.
      s.attrs = 0x809b | (hostLm ? 0x2000 : 0x4000);
      continue;
    }
    s.base = i === 4 ? rlin(d, O.HOST_FS_BASE) : i === 5 ? rlin(d, O.HOST_GS_BASE) : 0;
    s.limit = 0xffffffff;
    // Type 3 (read/write, accessed), S, P, D/B, G; unusable when the selector is null.
    s.attrs = sel === 0 ? 0x1c093 : 0xc093;
  }
  const ldtr = v.seg[6];
  ldtr.selector = 0;
  ldtr.base = 0;
  ldtr.limit = 0;
  ldtr.attrs = 0x10000;
  const tr = v.seg[7];
  tr.selector = r16(d, O.HOST_TR_SELECTOR);
  tr.base = rlin(d, O.HOST_TR_BASE);
  tr.limit = 0x67;
  tr.attrs = 0x8b;
  v.gdtr.base = rlin(d, O.HOST_GDTR_BASE);
  v.gdtr.limit = 0xffff;
  v.idtr.base = rlin(d, O.HOST_IDTR_BASE);
  v.idtr.limit = 0xffff;
  // 28.5.3 RIP, RSP, RFLAGS.
  v.rip = hostLm ? rlin(d, O.HOST_RIP) : r32(d, O.HOST_RIP);
  v.gpr[8] = r32(d, O.HOST_RSP);
  v.gpr[9] = hostLm ? rhi(d, O.HOST_RSP) : 0;
  v.rflags = 2;
  v.activity = "active";
  // 28.5.4: PDPTEs of a PAE host outside IA-32e mode.
  if (!hostLm && (v.cr4 & 0x20) !== 0 && (v.cr0 & 0x80000000) !== 0) {
    const base = (v.cr3 & 0xffffffe0) >>> 0;
    for (let i = 0; i < 4; i++) {
      if (!pdpteOk(mem.read(base + 8 * i, 4), mem.read(base + 8 * i + 4, 4), physBits)) {
        return AbortCode.HOST_PDPTE;
      }
    }
  }
  return 0;
}
