/**
 * Checks on the guest-state area at VM entry (SDM Vol. 3C 27.3.1), made
 * after the control and host-state checks passed. A failure is not a
 * VMfail: the processor loads host state and reports a VM exit with basic
 * reason 33 and bit 31 set; the exit qualification says which class of
 * check failed (0 default, 2 PDPTE loading, 3 NMI injection with STI
 * blocking, 4 VMCS link pointer; SDM 27.8).
 *
 * @module
 */

import type { GuestMemory } from "../../mm/types.ts";
import { ENTRY, PIN, PROC2 } from "../controls.ts";
import { VMX_FEATURES, type VmxFeatures } from "../features.ts";
import { VMCS12_REVISION_ID } from "../vmcs12/layout.ts";
import { EntryFailQual } from "../exit/reasons.ts";
import { eferReservedOk, fixedOk, patValid, perfGlobalCtrlOk } from "./check_host.ts";
import { canonical, O, physOk, r16, r32, rhi } from "./offsets.ts";

/** Result of the guest-state checks: -1 when fine, else the exit qualification. */
export type GuestCheckResult = number;

/** The rule that failed last (diagnostics and tests only). */
export let lastGuestFailure = "";

function fail(why: string, qual: number = EntryFailQual.DEFAULT): number {
  lastGuestFailure = why;
  return qual;
}

/** Offsets of ES, CS, SS, DS, FS, GS, LDTR, TR fields (SDM encoding order). */
const SEL = [
  O.GUEST_ES_SELECTOR,
  O.GUEST_CS_SELECTOR,
  O.GUEST_SS_SELECTOR,
  O.GUEST_DS_SELECTOR,
  O.GUEST_FS_SELECTOR,
  O.GUEST_GS_SELECTOR,
  O.GUEST_LDTR_SELECTOR,
  O.GUEST_TR_SELECTOR,
];
const BASE = [
  O.GUEST_ES_BASE,
  O.GUEST_CS_BASE,
  O.GUEST_SS_BASE,
  O.GUEST_DS_BASE,
  O.GUEST_FS_BASE,
  O.GUEST_GS_BASE,
  O.GUEST_LDTR_BASE,
  O.GUEST_TR_BASE,
];
const LIMIT = [
  O.GUEST_ES_LIMIT,
  O.GUEST_CS_LIMIT,
  O.GUEST_SS_LIMIT,
  O.GUEST_DS_LIMIT,
  O.GUEST_FS_LIMIT,
  O.GUEST_GS_LIMIT,
  O.GUEST_LDTR_LIMIT,
  O.GUEST_TR_LIMIT,
];
const AR = [
  O.GUEST_ES_AR_BYTES,
  O.GUEST_CS_AR_BYTES,
  O.GUEST_SS_AR_BYTES,
  O.GUEST_DS_AR_BYTES,
  O.GUEST_FS_AR_BYTES,
  O.GUEST_GS_AR_BYTES,
  O.GUEST_LDTR_AR_BYTES,
  O.GUEST_TR_AR_BYTES,
];

/** Field offsets per segment register index (ES..TR), for entry and exit. */
export const SEG_FIELDS: {
  readonly sel: readonly number[];
  readonly base: readonly number[];
  readonly limit: readonly number[];
  readonly ar: readonly number[];
} = Object.freeze({ sel: SEL, base: BASE, limit: LIMIT, ar: AR });

const AR_UNUSABLE = 1 << 16;
/** ES, SS, DS (32-bit bases when usable). */
const ES_SS_DS = [0, 2, 3];
/** ES, DS, FS, GS (data-segment checks). */
const DATA_SEGS = [0, 3, 4, 5];

/** The granularity rule for a limit/G pair (SDM 27.3.1.2). */
function granularityOk(limit: number, ar: number): boolean {
  const g = (ar & 0x8000) !== 0;
  if ((limit & 0xfff) !== 0xfff && g) return false;
  if ((limit & 0xfff00000) !== 0 && !g) return false;
  return true;
}

/**
 * Run the guest-state checks of SDM 27.3.1. `mem` is used to read the
 * PDPTEs (PAE paging without EPT) and the VMCS link pointer's header;
 * `currentPtr` is the current-VMCS pointer, which the link pointer must
 * differ from (-1: none given).
 */
export function checkGuest(
  d: DataView,
  mem: GuestMemory,
  f: VmxFeatures = VMX_FEATURES,
  currentPtr: number = -1,
): GuestCheckResult {
  const entry = r32(d, O.VM_ENTRY_CONTROLS);
  const pin = r32(d, O.PIN_BASED_VM_EXEC_CONTROL);
  const procRaw = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  const proc2 = (procRaw & 0x80000000) !== 0 ? r32(d, O.SECONDARY_VM_EXEC_CONTROL) : 0;
  const ug = (proc2 & PROC2.UNRESTRICTED_GUEST) !== 0;
  const ia32e = (entry & ENTRY.IA32E_MODE_GUEST) !== 0;
  // ---- 27.3.1.1 control registers, debug registers, MSRs ----
  const cr0 = r32(d, O.GUEST_CR0);
  const fixed0 = ug ? (f.cr0Fixed0 & ~0x80000001) : f.cr0Fixed0;
  if (!fixedOk(cr0, rhi(d, O.GUEST_CR0), fixed0, f.cr0Fixed1)) return fail("guest CR0 fixed bits");
  if ((cr0 & 0x80000000) !== 0 && (cr0 & 1) === 0) return fail("guest CR0.PG without PE");
  const cr4 = r32(d, O.GUEST_CR4);
  if (!fixedOk(cr4, rhi(d, O.GUEST_CR4), f.cr4Fixed0, f.cr4Fixed1)) {
    return fail("guest CR4 fixed bits");
  }
  if ((entry & ENTRY.LOAD_DEBUG_CONTROLS) !== 0) {
    if (
      (r32(d, O.GUEST_IA32_DEBUGCTL) & ~f.debugctlBits) !== 0 || rhi(d, O.GUEST_IA32_DEBUGCTL) !== 0
    ) {
      return fail("guest DEBUGCTL reserved bits");
    }
  }
  if (ia32e) {
    if ((cr0 & 0x80000000) === 0 || (cr4 & 0x20) === 0) return fail("IA-32e guest without PG/PAE");
  } else if ((cr4 & (1 << 17)) !== 0) return fail("guest CR4.PCIDE outside IA-32e mode");
  if (!physOk(rhi(d, O.GUEST_CR3), f.physBits)) {
    return fail("guest CR3 beyond physical-address width");
  }
  if ((entry & ENTRY.LOAD_DEBUG_CONTROLS) !== 0 && rhi(d, O.GUEST_DR7) !== 0) {
    return fail("guest DR7 bits 63:32");
  }
  if (!canonical(rhi(d, O.GUEST_SYSENTER_ESP)) || !canonical(rhi(d, O.GUEST_SYSENTER_EIP))) {
    return fail("guest SYSENTER_ESP/EIP canonical");
  }
  if (
    (entry & ENTRY.LOAD_IA32_PERF_GLOBAL_CTRL) !== 0 &&
    !perfGlobalCtrlOk(
      r32(d, O.GUEST_IA32_PERF_GLOBAL_CTRL),
      rhi(d, O.GUEST_IA32_PERF_GLOBAL_CTRL),
      f,
    )
  ) {
    return fail("guest PERF_GLOBAL_CTRL reserved bits");
  }
  if (
    (entry & ENTRY.LOAD_IA32_PAT) !== 0 &&
    !patValid(r32(d, O.GUEST_IA32_PAT), rhi(d, O.GUEST_IA32_PAT))
  ) {
    return fail("guest PAT");
  }
  if ((entry & ENTRY.LOAD_IA32_EFER) !== 0) {
    const efer = r32(d, O.GUEST_IA32_EFER);
    if (!eferReservedOk(efer, rhi(d, O.GUEST_IA32_EFER))) return fail("guest EFER reserved bits");
    if (((efer & 0x400) !== 0) !== ia32e) return fail("guest EFER.LMA vs IA-32e mode guest");
    if ((cr0 & 0x80000000) !== 0 && ((efer & 0x100) !== 0) !== ia32e) {
      return fail("guest EFER.LME vs IA-32e mode guest");
    }
  }
  // ---- 27.3.1.2 segment registers ----
  const rflagsLo = r32(d, O.GUEST_RFLAGS);
  const v86 = (rflagsLo & 0x20000) !== 0;
  const trSel = r16(d, SEL[7]);
  if ((trSel & 4) !== 0) return fail("guest TR.TI");
  const ldtrAr = r32(d, AR[6]);
  const ldtrUsable = (ldtrAr & AR_UNUSABLE) === 0;
  if (ldtrUsable && (r16(d, SEL[6]) & 4) !== 0) return fail("guest LDTR.TI");
  const csSel = r16(d, SEL[1]);
  const ssSel = r16(d, SEL[2]);
  if (!v86 && !ug && (ssSel & 3) !== (csSel & 3)) return fail("guest SS.RPL != CS.RPL");
  // Bases.
  if (!canonical(rhi(d, BASE[7])) || !canonical(rhi(d, BASE[4])) || !canonical(rhi(d, BASE[5]))) {
    return fail("guest TR/FS/GS base canonical");
  }
  if (ldtrUsable && !canonical(rhi(d, BASE[6]))) return fail("guest LDTR base canonical");
  if (rhi(d, BASE[1]) !== 0) return fail("guest CS base bits 63:32");
  for (const i of ES_SS_DS) {
    if ((r32(d, AR[i]) & AR_UNUSABLE) === 0 && rhi(d, BASE[i]) !== 0) {
      return fail("guest ES/SS/DS base bits 63:32");
    }
  }
  if (v86) {
    for (let i = 0; i < 6; i++) {
      const sel = r16(d, SEL[i]);
      if (r32(d, BASE[i]) !== sel * 16 || rhi(d, BASE[i]) !== 0) return fail("v8086 segment base");
      if (r32(d, LIMIT[i]) !== 0xffff) return fail("v8086 segment limit");
      if (r32(d, AR[i]) !== 0xf3) return fail("v8086 segment access rights");
    }
  } else {
    const r = checkProtectedSegments(d, ug, ia32e, cr0);
    if (r !== null) return fail(r);
  }
  // TR.
  {
    const ar = r32(d, AR[7]);
    const type = ar & 0xf;
    if (ia32e ? type !== 11 : type !== 3 && type !== 11) return fail("guest TR type");
    if ((ar & 0x10) !== 0) return fail("guest TR.S");
    if ((ar & 0x80) === 0) return fail("guest TR not present");
    if ((ar & 0xf00) !== 0 || (ar & 0xfffe0000) !== 0) return fail("guest TR AR reserved bits");
    if (!granularityOk(r32(d, LIMIT[7]), ar)) return fail("guest TR granularity");
    if ((ar & AR_UNUSABLE) !== 0) return fail("guest TR unusable");
  }
  // LDTR.
  if (ldtrUsable) {
    const ar = ldtrAr;
    if ((ar & 0xf) !== 2) return fail("guest LDTR type");
    if ((ar & 0x10) !== 0) return fail("guest LDTR.S");
    if ((ar & 0x80) === 0) return fail("guest LDTR not present");
    if ((ar & 0xf00) !== 0 || (ar & 0xfffe0000) !== 0) return fail("guest LDTR AR reserved bits");
    if (!granularityOk(r32(d, LIMIT[6]), ar)) return fail("guest LDTR granularity");
  }
  // ---- 27.3.1.3 descriptor-table registers ----
  if (!canonical(rhi(d, O.GUEST_GDTR_BASE)) || !canonical(rhi(d, O.GUEST_IDTR_BASE))) {
    return fail("guest GDTR/IDTR base canonical");
  }
  if (
    (r32(d, O.GUEST_GDTR_LIMIT) & 0xffff0000) !== 0 ||
    (r32(d, O.GUEST_IDTR_LIMIT) & 0xffff0000) !== 0
  ) {
    return fail("guest GDTR/IDTR limit bits 31:16");
  }
  // ---- 27.3.1.4 RIP and RFLAGS ----
  const rip = checkGuestRip(d);
  if (rip >= 0) return rip;
  if (rhi(d, O.GUEST_RFLAGS) !== 0 || (rflagsLo & 0xffc08028) !== 0 || (rflagsLo & 2) === 0) {
    return fail("guest RFLAGS reserved bits");
  }
  if (v86 && (ia32e || (cr0 & 1) === 0)) return fail("guest RFLAGS.VM in IA-32e mode or real mode");
  const intrInfo = r32(d, O.VM_ENTRY_INTR_INFO);
  const injecting = (intrInfo & 0x80000000) !== 0;
  const injType = (intrInfo >>> 8) & 7;
  const injVector = intrInfo & 0xff;
  if (injecting && injType === 0 && (rflagsLo & 0x200) === 0) {
    return fail("external-interrupt injection with RFLAGS.IF=0");
  }
  // ---- 27.3.1.5 non-register state ----
  const activity = r32(d, O.GUEST_ACTIVITY_STATE);
  if (activity > 3) return fail("activity state");
  if (activity !== 0 && (f.activityStates & (1 << (5 + activity))) === 0) {
    return fail("unsupported activity state");
  }
  const ssDpl = (r32(d, AR[2]) >>> 5) & 3;
  if (activity === 1 && ssDpl !== 0) return fail("HLT activity with SS.DPL != 0");
  const intr = r32(d, O.GUEST_INTERRUPTIBILITY_INFO);
  if ((intr & 3) !== 0 && activity !== 0) return fail("STI/MOV-SS blocking outside active state");
  if (injecting) {
    if (activity === 1) {
      const ok = injType === 0 || injType === 2 || injType === 7 ||
        (injType === 3 && (injVector === 1 || injVector === 18));
      if (!ok) return fail("event injection into HLT state");
    } else if (activity === 2 && !(injType === 3 && injVector === 18)) {
      return fail("event injection into shutdown state");
    } else if (activity === 3) return fail("event injection into wait-for-SIPI state");
  }
  if ((intr & 0xfffffff0) !== 0) return fail("interruptibility reserved bits");
  if ((intr & 3) === 3) return fail("both STI and MOV-SS blocking");
  if ((intr & 1) !== 0 && (rflagsLo & 0x200) === 0) return fail("STI blocking with RFLAGS.IF=0");
  if (injecting && injType === 0 && (intr & 3) !== 0) {
    return fail("external-interrupt injection with STI/MOV-SS blocking");
  }
  if (injecting && injType === 2 && (intr & 2) !== 0) {
    return fail("NMI injection with MOV-SS blocking");
  }
  if ((intr & 4) !== 0) return fail("SMI blocking outside SMM");
  if (injecting && injType === 2 && (pin & PIN.VIRTUAL_NMIS) !== 0 && (intr & 8) !== 0) {
    return fail("NMI injection with virtual-NMI blocking");
  }
  // Pending debug exceptions.
  const pdeLo = r32(d, O.GUEST_PENDING_DBG_EXCEPTIONS);
  if ((pdeLo & 0xffffaff0) !== 0 || rhi(d, O.GUEST_PENDING_DBG_EXCEPTIONS) !== 0) {
    return fail("pending debug exceptions reserved bits");
  }
  if ((intr & 3) !== 0 || activity === 1) {
    const tf = (rflagsLo & 0x100) !== 0;
    const btf = (entry & ENTRY.LOAD_DEBUG_CONTROLS) !== 0 &&
      (r32(d, O.GUEST_IA32_DEBUGCTL) & 2) !== 0;
    const bs = (pdeLo & 0x4000) !== 0;
    if (tf && !btf && !bs) return fail("pending BS missing with RFLAGS.TF");
    if ((!tf || btf) && bs) return fail("pending BS with TF=0 or BTF=1");
  }
  // VMCS link pointer.
  const linkLo = r32(d, O.VMCS_LINK_POINTER);
  const linkHi = rhi(d, O.VMCS_LINK_POINTER);
  if (linkLo !== 0xffffffff || linkHi !== 0xffffffff) {
    if ((linkLo & 0xfff) !== 0 || !physOk(linkHi, f.physBits)) {
      return fail("VMCS link pointer address", EntryFailQual.LINK_POINTER);
    }
    const link = linkHi * 0x100000000 + linkLo;
    // Outside SMM the link pointer must not be the current VMCS (27.3.1.5).
    if (link === currentPtr) {
      return fail("VMCS link pointer is the current VMCS", EntryFailQual.LINK_POINTER);
    }
    const header = mem.read(link, 4);
    if ((header & 0x7fffffff) !== VMCS12_REVISION_ID) {
      return fail("VMCS link pointer revision id", EntryFailQual.LINK_POINTER);
    }
    // The shadow-VMCS indicator must equal the "VMCS shadowing" control (27.3.1.5).
    if (((header & 0x80000000) !== 0) !== ((proc2 & PROC2.VMCS_SHADOWING) !== 0)) {
      return fail("VMCS link pointer shadow indicator", EntryFailQual.LINK_POINTER);
    }
  }
  // STI blocking with NMI injection: some processors refuse (qualification 3).
  if (injecting && injType === 2 && (intr & 1) !== 0) {
    return fail("NMI injection with STI blocking", EntryFailQual.NMI_STI);
  }
  // ---- 27.3.1.6 PDPTEs (PAE paging outside IA-32e mode) ----
  if ((cr0 & 0x80000000) !== 0 && (cr4 & 0x20) !== 0 && !ia32e) {
    const ept = (proc2 & PROC2.ENABLE_EPT) !== 0;
    if (!pdptesOk(d, mem, ept, f.physBits)) return fail("PDPTE reserved bits", EntryFailQual.PDPTE);
  }
  return -1;
}

/**
 * The guest-RIP check of SDM 27.3.1.4 alone: bits 63:32 must be 0 unless
 * the entry is to 64-bit mode (IA-32e mode guest and CS.L), where RIP must
 * be canonical. Part of {@link checkGuest}; run by itself when every other
 * input of the checks is known unchanged (`vmcs12/cache.ts`).
 */
export function checkGuestRip(d: DataView): GuestCheckResult {
  const ia32e = (r32(d, O.VM_ENTRY_CONTROLS) & ENTRY.IA32E_MODE_GUEST) !== 0;
  const csL = (r32(d, AR[1]) & 0x2000) !== 0;
  if (!ia32e || !csL) {
    if (rhi(d, O.GUEST_RIP) !== 0) return fail("guest RIP bits 63:32");
  } else if (!canonical(rhi(d, O.GUEST_RIP))) return fail("guest RIP not canonical");
  return -1;
}

/**
 * True when {@link checkGuest} reads no guest memory for this VMCS: the
 * VMCS link pointer is all ones and no PAE PDPTE comes from memory (PAE
 * paging outside IA-32e mode without EPT). Only then can its outcome be
 * memoized on the VMCS fields alone.
 */
export function guestChecksFieldsOnly(d: DataView): boolean {
  if (r32(d, O.VMCS_LINK_POINTER) !== 0xffffffff || rhi(d, O.VMCS_LINK_POINTER) !== 0xffffffff) {
    return false;
  }
  const cr0 = r32(d, O.GUEST_CR0);
  const cr4 = r32(d, O.GUEST_CR4);
  const ia32e = (r32(d, O.VM_ENTRY_CONTROLS) & ENTRY.IA32E_MODE_GUEST) !== 0;
  if ((cr0 & 0x80000000) === 0 || (cr4 & 0x20) === 0 || ia32e) return true;
  const proc = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  const proc2 = (proc & 0x80000000) !== 0 ? r32(d, O.SECONDARY_VM_EXEC_CONTROL) : 0;
  return (proc2 & PROC2.ENABLE_EPT) !== 0;
}

/** Reserved bits of a present PAE PDPTE (low half): 2:1, 8:5. */
const PDPTE_RSVD_LO = 0x1e6;

/** True if a PDPTE (lo/hi) is not present or has no reserved bit set. */
export function pdpteOk(lo: number, hi: number, physBits: number): boolean {
  if ((lo & 1) === 0) return true;
  return (lo & PDPTE_RSVD_LO) === 0 && physOk(hi, physBits);
}

const PDPTE_FIELDS = [O.GUEST_PDPTE0, O.GUEST_PDPTE1, O.GUEST_PDPTE2, O.GUEST_PDPTE3];

function pdptesOk(d: DataView, mem: GuestMemory, ept: boolean, physBits: number): boolean {
  if (ept) {
    for (let i = 0; i < 4; i++) {
      if (!pdpteOk(r32(d, PDPTE_FIELDS[i]), rhi(d, PDPTE_FIELDS[i]), physBits)) return false;
    }
    return true;
  }
  const base = (r32(d, O.GUEST_CR3) & 0xffffffe0) >>> 0;
  for (let i = 0; i < 4; i++) {
    if (!pdpteOk(mem.read(base + 8 * i, 4), mem.read(base + 8 * i + 4, 4), physBits)) return false;
  }
  return true;
}

/** Checks on CS, SS, DS, ES, FS, GS outside virtual-8086 mode (SDM 27.3.1.2). */
function checkProtectedSegments(
  d: DataView,
  ug: boolean,
  ia32e: boolean,
  cr0: number,
): string | null {
  const csAr = r32(d, AR[1]);
  const ssAr = r32(d, AR[2]);
  const csType = csAr & 0xf;
  const ssUsable = (ssAr & AR_UNUSABLE) === 0;
  const ssDpl = (ssAr >>> 5) & 3;
  // CS.
  if (!(csType === 9 || csType === 11 || csType === 13 || csType === 15 || (ug && csType === 3))) {
    return "guest CS type";
  }
  if ((csAr & 0x10) === 0) return "guest CS.S";
  const csDpl = (csAr >>> 5) & 3;
  if (csType === 3 && csDpl !== 0) return "guest CS.DPL with type 3";
  if ((csType === 9 || csType === 11) && csDpl !== ssDpl) return "guest CS.DPL != SS.DPL";
  if ((csType === 13 || csType === 15) && csDpl > ssDpl) return "guest conforming CS.DPL > SS.DPL";
  if ((csAr & 0x80) === 0) return "guest CS not present";
  if ((csAr & 0xf00) !== 0 || (csAr & 0xfffe0000) !== 0) return "guest CS AR reserved bits";
  if (ia32e && (csAr & 0x2000) !== 0 && (csAr & 0x4000) !== 0) return "guest CS.L and CS.D";
  if (!granularityOk(r32(d, LIMIT[1]), csAr)) return "guest CS granularity";
  if ((csAr & AR_UNUSABLE) !== 0) return "guest CS unusable";
  // SS.
  if (ssUsable) {
    const t = ssAr & 0xf;
    if (t !== 3 && t !== 7) return "guest SS type";
    if ((ssAr & 0x10) === 0) return "guest SS.S";
    if ((ssAr & 0x80) === 0) return "guest SS not present";
    if ((ssAr & 0xf00) !== 0 || (ssAr & 0xfffe0000) !== 0) return "guest SS AR reserved bits";
    if (!granularityOk(r32(d, LIMIT[2]), ssAr)) return "guest SS granularity";
  }
  if (!ug && ssDpl !== (r16(d, SEL[2]) & 3)) return "guest SS.DPL != SS.RPL";
  if ((csType === 3 || (cr0 & 1) === 0) && ssDpl !== 0) return "guest SS.DPL in real mode";
  // DS, ES, FS, GS.
  for (const i of DATA_SEGS) {
    const ar = r32(d, AR[i]);
    if ((ar & AR_UNUSABLE) !== 0) continue;
    const t = ar & 0xf;
    if ((t & 1) === 0) return "guest data segment not accessed";
    if ((t & 8) !== 0 && (t & 2) === 0) return "guest code segment in data register not readable";
    if ((ar & 0x10) === 0) return "guest data segment S";
    if (!ug && t <= 11 && ((ar >>> 5) & 3) < (r16(d, SEL[i]) & 3)) {
      return "guest data segment DPL < RPL";
    }
    if ((ar & 0x80) === 0) return "guest data segment not present";
    if ((ar & 0xf00) !== 0 || (ar & 0xfffe0000) !== 0) return "guest data segment AR reserved bits";
    if (!granularityOk(r32(d, LIMIT[i]), ar)) return "guest data segment granularity";
  }
  return null;
}
