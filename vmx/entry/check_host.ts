/**
 * Checks on the host-state area at VM entry (SDM Vol. 3C 27.2.2, 27.2.3,
 * 27.2.4). A failure makes VMLAUNCH/VMRESUME fail with VMfailValid(8).
 *
 * @module
 */

import { ENTRY, EXIT } from "../controls.ts";
import { VMX_FEATURES, type VmxFeatures } from "../features.ts";
import { canonical, O, physOk, r16, r32, rhi } from "./offsets.ts";

/** IA32_EFER.LME / LMA. */
const EFER_LME = 1 << 8;
const EFER_LMA = 1 << 10;
/** Reserved IA32_EFER bits: everything but SCE(0), LME(8), LMA(10), NXE(11). */
const EFER_RESERVED_LO = ~(1 | EFER_LME | EFER_LMA | (1 << 11)) >>> 0;

const HOST_SELS = [
  O.HOST_ES_SELECTOR,
  O.HOST_CS_SELECTOR,
  O.HOST_SS_SELECTOR,
  O.HOST_DS_SELECTOR,
  O.HOST_FS_SELECTOR,
  O.HOST_GS_SELECTOR,
  O.HOST_TR_SELECTOR,
];

/** True if each byte of a PAT value is a valid memory type (0, 1, 4, 5, 6, 7). */
export function patValid(lo: number, hi: number): boolean {
  for (let i = 0; i < 4; i++) {
    const a = (lo >>> (8 * i)) & 0xff;
    const b = (hi >>> (8 * i)) & 0xff;
    if (a === 2 || a === 3 || a > 7 || b === 2 || b === 3 || b > 7) return false;
  }
  return true;
}

/**
 * True if an IA32_PERF_GLOBAL_CTRL value (lo/hi) sets only bits of the
 * CPU's counters (`VmxFeatures.perfGlobalCtrlBits`).
 */
export function perfGlobalCtrlOk(lo: number, hi: number, f: VmxFeatures): boolean {
  const [okLo, okHi] = f.perfGlobalCtrlBits;
  return (lo & ~okLo) === 0 && (hi & ~okHi) === 0;
}

/** True if an EFER value (lo/hi) has no reserved bit set. */
export function eferReservedOk(lo: number, hi: number): boolean {
  return (lo & EFER_RESERVED_LO) === 0 && hi === 0;
}

/** True if a CR0/CR4 value satisfies the fixed-bit MSRs (bits 63:32 must be 0). */
export function fixedOk(lo: number, hi: number, fixed0: number, fixed1: number): boolean {
  return hi === 0 && ((lo & fixed0) >>> 0) === fixed0 >>> 0 && (lo & ~fixed1) === 0;
}

/**
 * Host-state checks. `hostInLongMode` is IA32_EFER.LMA of the logical
 * processor executing VMLAUNCH/VMRESUME (SDM 27.2.4).
 */
export function checkHost(
  d: DataView,
  hostInLongMode: boolean,
  f: VmxFeatures = VMX_FEATURES,
): string | null {
  const exit = r32(d, O.VM_EXIT_CONTROLS);
  const entry = r32(d, O.VM_ENTRY_CONTROLS);
  const hostLm = (exit & EXIT.HOST_ADDRESS_SPACE_SIZE) !== 0;
  // 27.2.2 control registers and MSRs.
  const cr0 = r32(d, O.HOST_CR0);
  if (!fixedOk(cr0, rhi(d, O.HOST_CR0), f.cr0Fixed0, f.cr0Fixed1)) return "host CR0 fixed bits";
  const cr4 = r32(d, O.HOST_CR4);
  if (!fixedOk(cr4, rhi(d, O.HOST_CR4), f.cr4Fixed0, f.cr4Fixed1)) return "host CR4 fixed bits";
  if (!physOk(rhi(d, O.HOST_CR3), f.physBits)) return "host CR3 beyond physical-address width";
  if (!canonical(rhi(d, O.HOST_IA32_SYSENTER_ESP))) return "host SYSENTER_ESP canonical";
  if (!canonical(rhi(d, O.HOST_IA32_SYSENTER_EIP))) return "host SYSENTER_EIP canonical";
  if (
    (exit & EXIT.LOAD_IA32_PERF_GLOBAL_CTRL) !== 0 &&
    !perfGlobalCtrlOk(r32(d, O.HOST_IA32_PERF_GLOBAL_CTRL), rhi(d, O.HOST_IA32_PERF_GLOBAL_CTRL), f)
  ) {
    return "host PERF_GLOBAL_CTRL reserved bits";
  }
  if (
    (exit & EXIT.LOAD_IA32_PAT) !== 0 && !patValid(r32(d, O.HOST_IA32_PAT), rhi(d, O.HOST_IA32_PAT))
  ) {
    return "host PAT";
  }
  if ((exit & EXIT.LOAD_IA32_EFER) !== 0) {
    const lo = r32(d, O.HOST_IA32_EFER);
    if (!eferReservedOk(lo, rhi(d, O.HOST_IA32_EFER))) return "host EFER reserved bits";
    if (((lo & EFER_LMA) !== 0) !== hostLm) return "host EFER.LMA vs address-space size";
    if (((lo & EFER_LME) !== 0) !== hostLm) return "host EFER.LME vs address-space size";
  }
  // 27.2.3 segment and descriptor-table registers.
  for (let i = 0; i < HOST_SELS.length; i++) {
    if ((r16(d, HOST_SELS[i]) & 7) !== 0) return "host selector RPL/TI";
  }
  if (r16(d, O.HOST_CS_SELECTOR) === 0) return "host CS selector is 0";
  if (r16(d, O.HOST_TR_SELECTOR) === 0) return "host TR selector is 0";
  if (!hostLm && r16(d, O.HOST_SS_SELECTOR) === 0) return "host SS selector is 0";
  if (
    !canonical(rhi(d, O.HOST_FS_BASE)) || !canonical(rhi(d, O.HOST_GS_BASE)) ||
    !canonical(rhi(d, O.HOST_GDTR_BASE)) || !canonical(rhi(d, O.HOST_IDTR_BASE)) ||
    !canonical(rhi(d, O.HOST_TR_BASE))
  ) return "host base not canonical";
  // 27.2.4 address-space size.
  if (!hostInLongMode) {
    if ((entry & ENTRY.IA32E_MODE_GUEST) !== 0) return "IA-32e mode guest outside IA-32e mode";
    if (hostLm) return "host address-space size outside IA-32e mode";
  } else if (!hostLm) return "host address-space size 0 in IA-32e mode";
  if (!hostLm) {
    if ((cr4 & (1 << 17)) !== 0) return "host CR4.PCIDE without 64-bit host";
    if (rhi(d, O.HOST_RIP) !== 0) return "host RIP bits 63:32";
  } else {
    if ((cr4 & (1 << 5)) === 0) return "host CR4.PAE clear with 64-bit host";
    if (!canonical(rhi(d, O.HOST_RIP))) return "host RIP not canonical";
  }
  return null;
}
