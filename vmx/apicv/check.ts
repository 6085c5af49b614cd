/**
 * The VM-entry checks on the APIC-virtualization controls (SDM Vol. 3C
 * 27.2.1.1, "Checks on VMX Controls"), in the SDM's order:
 * - "use TPR shadow": the virtual-APIC address is 4-KiB aligned and within
 *   the physical-address width; without "virtual-interrupt delivery", bits
 *   31:4 of the TPR threshold are 0; with neither "virtual-interrupt
 *   delivery" nor "virtualize APIC accesses", the threshold's bits 3:0 are
 *   not above VTPR[7:4] (read from the virtual-APIC page);
 * - without "use TPR shadow": "virtualize x2APIC mode", "APIC-register
 *   virtualization" and "virtual-interrupt delivery" are 0;
 * - "virtualize APIC accesses": the APIC-access address is 4-KiB aligned
 *   and within the physical-address width;
 * - "virtualize x2APIC mode" excludes "virtualize APIC accesses";
 * - "virtual-interrupt delivery" needs "external-interrupt exiting";
 * - "process posted interrupts" needs "virtual-interrupt delivery" and
 *   "acknowledge interrupt on exit", a notification vector below 256 and
 *   a 64-byte aligned descriptor address within the physical-address width.
 *
 * @module
 */

import type { GuestMemory } from "../../mm/types.ts";
import { EXIT, PIN, PROC, PROC2 } from "../controls.ts";
import { O, physOk, r16, r32, rhi, ru64 } from "../entry/offsets.ts";

/**
 * True when {@link checkApicvControls} reads guest memory for this VMCS:
 * the TPR-threshold check against VTPR on the virtual-APIC page (TPR
 * shadow without virtual-interrupt delivery or APIC-access
 * virtualization). Its outcome then cannot be memoized on the VMCS fields.
 */
export function apicvChecksReadMemory(d: DataView): boolean {
  const proc = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  if ((proc & PROC.USE_TPR_SHADOW) === 0) return false;
  const proc2 = (proc & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0
    ? r32(d, O.SECONDARY_VM_EXEC_CONTROL)
    : 0;
  return (proc2 & (PROC2.VIRTUAL_INTERRUPT_DELIVERY | PROC2.VIRTUALIZE_APIC_ACCESSES)) === 0;
}

/**
 * Check the APIC-virtualization controls. `mem` reads VTPR for the TPR
 * threshold check (null: that check is skipped). Returns the failed rule or
 * null.
 */
export function checkApicvControls(
  d: DataView,
  pin: number,
  proc: number,
  proc2: number,
  physBits: number,
  mem: GuestMemory | null,
): string | null {
  if ((proc & PROC.USE_TPR_SHADOW) !== 0) {
    if ((r32(d, O.VIRTUAL_APIC_PAGE_ADDR) & 0xfff) !== 0) return "virtual-APIC address alignment";
    if (!physOk(rhi(d, O.VIRTUAL_APIC_PAGE_ADDR), physBits)) return "virtual-APIC address width";
    const vid = (proc2 & PROC2.VIRTUAL_INTERRUPT_DELIVERY) !== 0;
    const threshold = r32(d, O.TPR_THRESHOLD);
    if (!vid && (threshold & 0xfffffff0) !== 0) return "TPR threshold bits 31:4";
    if (!vid && (proc2 & PROC2.VIRTUALIZE_APIC_ACCESSES) === 0 && mem !== null) {
      const vtpr = mem.read(ru64(d, O.VIRTUAL_APIC_PAGE_ADDR) + 0x80, 1);
      if ((threshold & 0xf) > (vtpr >>> 4)) return "TPR threshold above VTPR";
    }
  } else if (
    (proc2 &
      (PROC2.VIRTUALIZE_X2APIC_MODE | PROC2.APIC_REGISTER_VIRTUALIZATION |
        PROC2.VIRTUAL_INTERRUPT_DELIVERY)) !== 0
  ) {
    return "APIC virtualization without TPR shadow";
  }
  if ((proc2 & PROC2.VIRTUALIZE_APIC_ACCESSES) !== 0) {
    if ((r32(d, O.APIC_ACCESS_ADDR) & 0xfff) !== 0) return "APIC-access address alignment";
    if (!physOk(rhi(d, O.APIC_ACCESS_ADDR), physBits)) return "APIC-access address width";
  }
  if (
    (proc2 & PROC2.VIRTUALIZE_X2APIC_MODE) !== 0 &&
    (proc2 & PROC2.VIRTUALIZE_APIC_ACCESSES) !== 0
  ) {
    return "virtualize x2APIC mode with virtualize APIC accesses";
  }
  if (
    (proc2 & PROC2.VIRTUAL_INTERRUPT_DELIVERY) !== 0 &&
    (pin & PIN.EXTERNAL_INTERRUPT_EXITING) === 0
  ) {
    return "virtual-interrupt delivery without external-interrupt exiting";
  }
  if ((pin & PIN.POSTED_INTERRUPTS) !== 0) {
    if ((proc2 & PROC2.VIRTUAL_INTERRUPT_DELIVERY) === 0) {
      return "posted interrupts without virtual-interrupt delivery";
    }
    if ((r32(d, O.VM_EXIT_CONTROLS) & EXIT.ACKNOWLEDGE_INTERRUPT_ON_EXIT) === 0) {
      return "posted interrupts without acknowledge interrupt on exit";
    }
    if ((r16(d, O.POSTED_INTR_NOTIFICATION_VECTOR) & 0xff00) !== 0) {
      return "posted-interrupt notification vector";
    }
    if ((r32(d, O.POSTED_INTR_DESC_ADDR) & 0x3f) !== 0) {
      return "posted-interrupt descriptor alignment";
    }
    if (!physOk(rhi(d, O.POSTED_INTR_DESC_ADDR), physBits)) {
      return "posted-interrupt descriptor width";
    }
  }
  return null;
}
