/**
 * Checks on the VMX control fields at VM entry (SDM Vol. 3C 27.2.1). A
 * failure makes VMLAUNCH/VMRESUME fail with VMfailValid(7).
 *
 * Every check returns `null` when the fields are fine, or a short constant
 * string naming the rule that failed (for tests and debug logs).
 *
 * @module
 */

import { DEFAULT1, ENTRY, EPT_CAP, EXIT, PIN, PROC, PROC2 } from "../controls.ts";
import { VMX_FEATURES, type VmxFeatures } from "../features.ts";
import { O, physOk, r32, rhi } from "./offsets.ts";
import { checkApicvControls } from "../apicv/check.ts";
import type { GuestMemory } from "../../mm/types.ts";

/** Allowed settings of one control field: bits that must be 1, bits that may be 1. */
export interface AllowedSettings {
  /** Bits that must be 1. */
  readonly must1: number;
  /** Bits that may be 1 (a superset of must1). */
  readonly may1: number;
}

/** Allowed settings of every control field, derived from a feature set (TRUE_* MSR view). */
export interface ControlCaps {
  /** Pin-based VM-execution controls. */
  readonly pin: AllowedSettings;
  /** Primary processor-based VM-execution controls. */
  readonly proc: AllowedSettings;
  /** Secondary processor-based VM-execution controls. */
  readonly proc2: AllowedSettings;
  /** VM-exit controls. */
  readonly exit: AllowedSettings;
  /** VM-entry controls. */
  readonly entry: AllowedSettings;
}

/** Derive the allowed settings from a feature set, as the TRUE_* capability MSRs report them. */
export function controlCaps(f: VmxFeatures): ControlCaps {
  const s = (default1: number, allowed0: number, may: number): AllowedSettings => ({
    must1: (default1 & ~allowed0) >>> 0,
    may1: (default1 | may) >>> 0,
  });
  return Object.freeze({
    pin: s(DEFAULT1.PIN, f.trueAllowed0.pin, f.pin),
    proc: s(DEFAULT1.PROC, f.trueAllowed0.proc, f.proc),
    proc2: { must1: 0, may1: f.proc2 >>> 0 },
    exit: s(DEFAULT1.EXIT, f.trueAllowed0.exit, f.exit),
    entry: s(DEFAULT1.ENTRY, f.trueAllowed0.entry, f.entry),
  });
}

/** The caps of nestvm's feature set. */
export const CAPS: ControlCaps = controlCaps(VMX_FEATURES);

const capsMemo = new WeakMap<VmxFeatures, ControlCaps>([[VMX_FEATURES, CAPS]]);

/**
 * {@link controlCaps} of `f`, computed once per feature set: VM entry
 * checks the controls against the set the plugin advertises (a CPU model
 * may add controls, e.g. "load IA32_PERF_GLOBAL_CTRL" with a PMU, or
 * switch some off).
 */
export function capsOf(f: VmxFeatures): ControlCaps {
  let caps = capsMemo.get(f);
  if (caps === undefined) capsMemo.set(f, caps = controlCaps(f));
  return caps;
}

function fits(v: number, a: AllowedSettings): boolean {
  return ((v & a.must1) >>> 0) === a.must1 && (v & ~a.may1) === 0;
}

/**
 * A 4-KiB aligned physical address field within the physical-address width
 * (SDM 27.2.1.1: I/O bitmaps, MSR bitmap, EPTP-free addresses, the
 * virtualization-exception information address).
 */
function pageAddrOk(d: DataView, off: number, f: VmxFeatures): boolean {
  return (r32(d, off) & 0xfff) === 0 && physOk(rhi(d, off), f.physBits);
}

/**
 * An MSR list: 16-byte aligned, and the last byte within the
 * physical-address width (SDM 27.2.1.2, 27.2.1.3).
 */
function msrListOk(d: DataView, addrOff: number, count: number, f: VmxFeatures): boolean {
  if (count === 0) return true;
  const lo = r32(d, addrOff);
  const hi = rhi(d, addrOff);
  if ((lo & 0xf) !== 0 || !physOk(hi, f.physBits)) return false;
  const last = hi * 0x100000000 + lo + count * 16 - 1;
  return last < 2 ** f.physBits;
}

/** Maximum number of entries of an MSR list (IA32_VMX_MISC bits 27:25). */
export function msrListMax(f: VmxFeatures = VMX_FEATURES): number {
  return 512 * (f.msrListCode + 1);
}

/** True if an EPTP value (lo/hi) is valid for our EPT capabilities (SDM 27.2.1.1). */
export function eptpValid(lo: number, hi: number, f: VmxFeatures = VMX_FEATURES): boolean {
  const memType = lo & 7;
  if (memType === 0) {
    if ((f.eptVpidCapLo & EPT_CAP.MEMTYPE_UC) === 0) return false;
  } else if (memType === 6) {
    if ((f.eptVpidCapLo & EPT_CAP.MEMTYPE_WB) === 0) return false;
  } else return false;
  if (((lo >>> 3) & 7) !== 3) return false; // page-walk length 4
  if ((lo & 0x40) !== 0 && (f.eptVpidCapLo & EPT_CAP.ACCESSED_DIRTY) === 0) return false;
  if ((lo & 0xf80) !== 0) return false; // bits 11:7 reserved
  return physOk(hi, f.physBits);
}

/**
 * Checks on the VM-execution, VM-exit and VM-entry control fields
 * (SDM Vol. 3C 27.2.1.1-27.2.1.3). `d` views the vmcs12 region; `mem`
 * (L1 memory) is read for the TPR-threshold check against VTPR.
 */
export function checkControls(
  d: DataView,
  caps: ControlCaps = CAPS,
  f: VmxFeatures = VMX_FEATURES,
  mem: GuestMemory | null = null,
): string | null {
  const pin = r32(d, O.PIN_BASED_VM_EXEC_CONTROL);
  const proc = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  const exit = r32(d, O.VM_EXIT_CONTROLS);
  const entry = r32(d, O.VM_ENTRY_CONTROLS);
  // 27.2.1.1 VM-execution control fields.
  if (!fits(pin, caps.pin)) return "pin-based controls reserved bits";
  if (!fits(proc, caps.proc)) return "primary processor-based controls reserved bits";
  const proc2 = (proc & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0
    ? r32(d, O.SECONDARY_VM_EXEC_CONTROL)
    : 0;
  if (!fits(proc2, caps.proc2)) return "secondary processor-based controls reserved bits";
  if (r32(d, O.CR3_TARGET_COUNT) > f.cr3TargetCount) return "CR3-target count";
  if ((proc & PROC.USE_IO_BITMAPS) !== 0) {
    if (!pageAddrOk(d, O.IO_BITMAP_A, f) || !pageAddrOk(d, O.IO_BITMAP_B, f)) {
      return "I/O bitmap address";
    }
  }
  if ((proc & PROC.USE_MSR_BITMAPS) !== 0 && !pageAddrOk(d, O.MSR_BITMAP, f)) {
    return "MSR bitmap address";
  }
  const apic = checkApicvControls(d, pin, proc, proc2, f.physBits, mem);
  if (apic !== null) return apic;
  if ((pin & PIN.NMI_EXITING) === 0 && (pin & PIN.VIRTUAL_NMIS) !== 0) {
    return "virtual NMIs without NMI exiting";
  }
  if ((pin & PIN.VIRTUAL_NMIS) === 0 && (proc & PROC.NMI_WINDOW_EXITING) !== 0) {
    return "NMI-window exiting without virtual NMIs";
  }
  if ((proc2 & PROC2.ENABLE_VPID) !== 0 && (d.getUint16(O.VIRTUAL_PROCESSOR_ID, true)) === 0) {
    return "VPID is 0";
  }
  if ((proc2 & PROC2.ENABLE_EPT) !== 0) {
    if (!eptpValid(r32(d, O.EPT_POINTER), rhi(d, O.EPT_POINTER), f)) return "EPT pointer";
  }
  if ((proc2 & PROC2.UNRESTRICTED_GUEST) !== 0 && (proc2 & PROC2.ENABLE_EPT) === 0) {
    return "unrestricted guest without EPT";
  }
  if ((proc2 & PROC2.MODE_BASED_EPT_EXECUTE) !== 0 && (proc2 & PROC2.ENABLE_EPT) === 0) {
    return "mode-based execute control without EPT";
  }
  if ((proc2 & PROC2.ENABLE_VM_FUNCTIONS) !== 0) {
    // VM-function controls within IA32_VMX_VMFUNC; EPTP switching needs EPT
    // and a page-aligned EPTP-list address within MAXPHYADDR.
    if (rhi(d, O.VM_FUNCTION_CONTROL) !== 0 || (r32(d, O.VM_FUNCTION_CONTROL) & ~f.vmfunc) !== 0) {
      return "VM-function controls reserved bits";
    }
    if ((r32(d, O.VM_FUNCTION_CONTROL) & 1) !== 0) {
      if ((proc2 & PROC2.ENABLE_EPT) === 0) return "EPTP switching without EPT";
      if (!pageAddrOk(d, O.EPTP_LIST_ADDRESS, f)) return "EPTP-list address";
    }
  }
  if ((proc2 & PROC2.VMCS_SHADOWING) !== 0) {
    if (!pageAddrOk(d, O.VMREAD_BITMAP, f)) return "VMREAD bitmap address";
    if (!pageAddrOk(d, O.VMWRITE_BITMAP, f)) return "VMWRITE bitmap address";
  }
  if ((proc2 & PROC2.ENABLE_PML) !== 0) {
    if ((proc2 & PROC2.ENABLE_EPT) === 0) return "PML without EPT";
    if (!pageAddrOk(d, O.PML_ADDRESS, f)) return "PML address";
  }
  // The virtualization-exception information address: page-aligned, within
  // the physical-address width (SDM Vol. 3C 26.2.1.1). No check concerns
  // the EPTP index, nor ties the control to "enable EPT".
  if ((proc2 & PROC2.EPT_VIOLATION_VE) !== 0 && !pageAddrOk(d, O.VE_INFO_ADDRESS, f)) {
    return "virtualization-exception information address";
  }
  // 27.2.1.2 VM-exit control fields.
  if (!fits(exit, caps.exit)) return "VM-exit controls reserved bits";
  if ((pin & PIN.PREEMPTION_TIMER) === 0 && (exit & EXIT.SAVE_PREEMPTION_TIMER) !== 0) {
    return "save preemption timer without the timer";
  }
  const storeCount = r32(d, O.VM_EXIT_MSR_STORE_COUNT);
  const exitLoadCount = r32(d, O.VM_EXIT_MSR_LOAD_COUNT);
  if (!msrListOk(d, O.VM_EXIT_MSR_STORE_ADDR, storeCount, f)) return "VM-exit MSR-store address";
  if (!msrListOk(d, O.VM_EXIT_MSR_LOAD_ADDR, exitLoadCount, f)) return "VM-exit MSR-load address";
  // 27.2.1.3 VM-entry control fields.
  if (!fits(entry, caps.entry)) return "VM-entry controls reserved bits";
  const info = r32(d, O.VM_ENTRY_INTR_INFO);
  if ((info & 0x80000000) !== 0) {
    const err = checkInjection(d, info, proc, proc2, f);
    if (err !== null) return err;
  }
  if ((entry & (ENTRY.ENTRY_TO_SMM | ENTRY.DEACTIVATE_DUAL_MONITOR)) !== 0) {
    return "entry to SMM outside SMM";
  }
  const entryLoadCount = r32(d, O.VM_ENTRY_MSR_LOAD_COUNT);
  if (!msrListOk(d, O.VM_ENTRY_MSR_LOAD_ADDR, entryLoadCount, f)) {
    return "VM-entry MSR-load address";
  }
  return null;
}

/** Vectors of hardware exceptions that deliver an error code (SDM 27.2.1.3). */
function deliversErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17 || vector === 21;
}

/** Checks on the VM-entry interruption-information field when its valid bit is set. */
function checkInjection(
  d: DataView,
  info: number,
  proc: number,
  proc2: number,
  f: VmxFeatures,
): string | null {
  const vector = info & 0xff;
  const type = (info >>> 8) & 7;
  if (type === 1) return "injection type 1 (reserved)";
  if (
    type === 7 && (proc & PROC.MONITOR_TRAP_FLAG) === 0 && (f.proc & PROC.MONITOR_TRAP_FLAG) === 0
  ) {
    return "injection type 7 without MTF support";
  }
  if (type === 2 && vector !== 2) return "NMI injection vector";
  if (type === 3 && vector > 31) return "hardware exception vector";
  if (type === 7 && vector !== 0) return "other-event vector";
  const ug = (proc2 & PROC2.UNRESTRICTED_GUEST) !== 0;
  const pe = (r32(d, O.GUEST_CR0) & 1) !== 0;
  const mustDeliver = (!ug || pe) && type === 3 && deliversErrorCode(vector);
  const deliver = (info & 0x800) !== 0;
  if (deliver !== mustDeliver) return "deliver-error-code bit";
  if ((info & 0x7ffff000) !== 0) return "interruption-information reserved bits";
  if (deliver && (r32(d, O.VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff0000) !== 0) {
    return "error-code reserved bits";
  }
  if (type === 4 || type === 5 || type === 6) {
    const len = r32(d, O.VM_ENTRY_INSTRUCTION_LEN);
    if (len > 15 || (len === 0 && !f.zeroLengthInjection)) return "VM-entry instruction length";
  }
  return null;
}
