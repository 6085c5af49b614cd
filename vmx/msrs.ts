/**
 * The VMX capability MSRs (SDM Vol. 3D Appendix A) and
 * IA32_FEATURE_CONTROL, computed from the advertised feature set
 * (`features.ts`) so that they always agree with what is implemented.
 *
 * Values are returned as unsigned 32-bit halves; the MSRs are read-only
 * (WRMSR raises #GP).
 *
 * @module
 */

import { DEFAULT1, MISC, PROC, PROC2 } from "./controls.ts";
import type { VmxFeatures } from "./features.ts";
import { MAX_FIELD_INDEX } from "./vmcs12/fields.ts";
import { VMCS12_REVISION_ID, VMCS12_SIZE } from "./vmcs12/layout.ts";

/** MSR indices. */
export const MSR = {
  IA32_FEATURE_CONTROL: 0x3a,
  IA32_VMX_BASIC: 0x480,
  IA32_VMX_PINBASED_CTLS: 0x481,
  IA32_VMX_PROCBASED_CTLS: 0x482,
  IA32_VMX_EXIT_CTLS: 0x483,
  IA32_VMX_ENTRY_CTLS: 0x484,
  IA32_VMX_MISC: 0x485,
  IA32_VMX_CR0_FIXED0: 0x486,
  IA32_VMX_CR0_FIXED1: 0x487,
  IA32_VMX_CR4_FIXED0: 0x488,
  IA32_VMX_CR4_FIXED1: 0x489,
  IA32_VMX_VMCS_ENUM: 0x48a,
  IA32_VMX_PROCBASED_CTLS2: 0x48b,
  IA32_VMX_EPT_VPID_CAP: 0x48c,
  IA32_VMX_TRUE_PINBASED_CTLS: 0x48d,
  IA32_VMX_TRUE_PROCBASED_CTLS: 0x48e,
  IA32_VMX_TRUE_EXIT_CTLS: 0x48f,
  IA32_VMX_TRUE_ENTRY_CTLS: 0x490,
  IA32_VMX_VMFUNC: 0x491,
} as const;

/** First VMX capability MSR. */
export const VMX_MSR_FIRST = 0x480;
/** Last VMX capability MSR that nestvm implements. */
export const VMX_MSR_LAST = 0x491;

/** IA32_FEATURE_CONTROL bits (SDM Vol. 4, Table 2-2). */
export const FEATURE_CONTROL = {
  /** Bit 0: lock; further writes #GP. */
  LOCK: 1 << 0,
  /** Bit 1: VMXON allowed inside SMX operation (we have no SMX). */
  VMX_INSIDE_SMX: 1 << 1,
  /** Bit 2: VMXON allowed outside SMX operation. */
  VMX_OUTSIDE_SMX: 1 << 2,
} as const;

/** Bits of IA32_FEATURE_CONTROL that software may write (lock, VMX outside SMX). */
export const FEATURE_CONTROL_WRITABLE: number = FEATURE_CONTROL.LOCK |
  FEATURE_CONTROL.VMX_OUTSIDE_SMX;

/** Memory type WB (IA32_VMX_BASIC bits 53:50). */
const MEMTYPE_WB = 6;

/** A 64-bit MSR value as halves. */
export interface MsrValue {
  /** Bits 31:0. */
  readonly lo: number;
  /** Bits 63:32. */
  readonly hi: number;
}

function ctls(allowed0: number, allowed1: number): MsrValue {
  // Allowed-0 settings in bits 31:0 (a 1 means the control must be 1),
  // allowed-1 settings in bits 63:32 (a 0 means the control must be 0).
  return { lo: allowed0 >>> 0, hi: (allowed1 | allowed0) >>> 0 };
}

/**
 * The value of a VMX capability MSR, or null if `index` is not one that
 * exists with this feature set (RDMSR then raises #GP).
 */
export function vmxCapabilityMsr(index: number, f: VmxFeatures): MsrValue | null {
  switch (index) {
    case MSR.IA32_VMX_BASIC:
      // 30:0 revision, 44:32 region size, 53:50 memory type, 54 INS/OUTS
      // information reported, 55 TRUE_* controls available (SDM Vol. 3D A.1).
      return {
        lo: VMCS12_REVISION_ID,
        hi: (VMCS12_SIZE | (MEMTYPE_WB << 18) | (1 << 22) | (1 << 23)) >>> 0,
      };
    case MSR.IA32_VMX_PINBASED_CTLS:
      return ctls(DEFAULT1.PIN, f.pin);
    case MSR.IA32_VMX_PROCBASED_CTLS:
      return ctls(DEFAULT1.PROC, f.proc);
    case MSR.IA32_VMX_EXIT_CTLS:
      return ctls(DEFAULT1.EXIT, f.exit);
    case MSR.IA32_VMX_ENTRY_CTLS:
      return ctls(DEFAULT1.ENTRY, f.entry);
    case MSR.IA32_VMX_TRUE_PINBASED_CTLS:
      return ctls(DEFAULT1.PIN & ~f.trueAllowed0.pin, f.pin | DEFAULT1.PIN);
    case MSR.IA32_VMX_TRUE_PROCBASED_CTLS:
      return ctls(DEFAULT1.PROC & ~f.trueAllowed0.proc, f.proc | DEFAULT1.PROC);
    case MSR.IA32_VMX_TRUE_EXIT_CTLS:
      return ctls(DEFAULT1.EXIT & ~f.trueAllowed0.exit, f.exit | DEFAULT1.EXIT);
    case MSR.IA32_VMX_TRUE_ENTRY_CTLS:
      return ctls(DEFAULT1.ENTRY & ~f.trueAllowed0.entry, f.entry | DEFAULT1.ENTRY);
    case MSR.IA32_VMX_MISC:
      return {
        lo: ((f.preemptionTimerRate & MISC.PREEMPTION_TIMER_RATE_MASK) | MISC.STORE_LMA |
          f.activityStates | ((f.cr3TargetCount & 0x1ff) << MISC.CR3_TARGET_SHIFT) |
          ((f.msrListCode & 7) << MISC.MSR_LIST_SHIFT) |
          (f.vmwriteAnyField ? MISC.VMWRITE_ANY_FIELD : 0) |
          (f.zeroLengthInjection ? MISC.ZERO_LENGTH_INJECTION : 0)) >>> 0,
        hi: 0, // MSEG revision identifier: no dual-monitor treatment.
      };
    case MSR.IA32_VMX_CR0_FIXED0:
      return { lo: f.cr0Fixed0 >>> 0, hi: 0 };
    case MSR.IA32_VMX_CR0_FIXED1:
      return { lo: f.cr0Fixed1 >>> 0, hi: 0 };
    case MSR.IA32_VMX_CR4_FIXED0:
      return { lo: f.cr4Fixed0 >>> 0, hi: 0 };
    case MSR.IA32_VMX_CR4_FIXED1:
      return { lo: f.cr4Fixed1 >>> 0, hi: 0 };
    case MSR.IA32_VMX_VMCS_ENUM:
      // Bits 9:1: highest index of any supported field (SDM Vol. 3D A.9).
      return { lo: MAX_FIELD_INDEX << 1, hi: 0 };
    case MSR.IA32_VMX_PROCBASED_CTLS2:
      // Exists when "activate secondary controls" may be 1 (SDM Vol. 3D A.3.3).
      if (!((f.proc & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0)) return null;
      return { lo: 0, hi: f.proc2 >>> 0 };
    case MSR.IA32_VMX_EPT_VPID_CAP:
      // Exists when "enable EPT" or "enable VPID" may be 1 (SDM Vol. 3D A.10).
      if ((f.proc2 & (PROC2.ENABLE_EPT | PROC2.ENABLE_VPID)) === 0) return null;
      return { lo: f.eptVpidCapLo >>> 0, hi: f.eptVpidCapHi >>> 0 };
    case MSR.IA32_VMX_VMFUNC:
      // Exists when "enable VM functions" may be 1 (SDM Vol. 3D A.11).
      if ((f.proc2 & PROC2.ENABLE_VM_FUNCTIONS) === 0) return null;
      return { lo: f.vmfunc >>> 0, hi: 0 };
    default:
      return null;
  }
}

/** True for the MSR indices that are VMX capability MSRs (0x480-0x491). */
export function isVmxCapabilityMsr(index: number): boolean {
  return index >= VMX_MSR_FIRST && index <= VMX_MSR_LAST;
}

/** Whether CR0/CR4 values are allowed in VMX operation by the FIXED0/FIXED1 MSRs. */
export function crAllowedInVmx(cr0: number, cr4: number, f: VmxFeatures): boolean {
  // A bit set in FIXED0 must be 1; a bit clear in FIXED1 must be 0
  // (SDM Vol. 3C 24.8, Vol. 3D A.7, A.8). Only bits 31:0 matter here: the
  // upper halves of CR0/CR4 are reserved and kept 0 by MOV CR.
  const c0 = cr0 >>> 0;
  const c4 = cr4 >>> 0;
  return ((c0 & f.cr0Fixed0) >>> 0) === (f.cr0Fixed0 >>> 0) && (c0 & ~f.cr0Fixed1) === 0 &&
    ((c4 & f.cr4Fixed0) >>> 0) === (f.cr4Fixed0 >>> 0) && (c4 & ~f.cr4Fixed1) === 0;
}
