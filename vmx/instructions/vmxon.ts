/**
 * VMXON and VMXOFF (SDM Vol. 3C 31.3; VMX operation: 24.7, 24.8).
 *
 * @module
 */

import type { ExitDisposition, VmxInstructionExit } from "../../core/vmexit.ts";
import type { VmxContext } from "../context.ts";
import { crAllowedInVmx, FEATURE_CONTROL } from "../msrs.ts";
import { NO_POINTER, PIN_HOLDER } from "../state.ts";
import { VMCS12_REVISION_ID } from "../vmcs12/layout.ts";
import type { U64Halves } from "../vmcs12/vmcs12.ts";
import { commonChecks, isValidPointer, pointerValue, readPointerOperand } from "./common.ts";
import { vmFail, vmFailInvalid, vmSucceed, VmxError } from "./conventions.ts";
import { checkModeUd, Vector } from "./operands.ts";

const scratch: U64Halves = { lo: 0, hi: 0 };

/** VMXON m64. */
export function vmxon(vmx: VmxContext, exit: VmxInstructionExit): ExitDisposition {
  const vcpu = vmx.vcpu;
  // #UD: register operand, CR4.VMXE = 0, real/v86/compatibility mode.
  if (exit.operands.mem === undefined || (vcpu.cr4 & 0x2000) === 0) {
    vcpu.raiseException(Vector.UD);
  }
  checkModeUd(vcpu);
  const state = vmx.state;
  if (state.vmxon) {
    if (vcpu.nonRoot) return vmx.nested.nonRootInstruction(exit);
    if (vcpu.cpl > 0) vcpu.raiseException(Vector.GP, 0);
    vmFail(vcpu, state, VmxError.VMXON_IN_ROOT);
    return "handled";
  }
  // Outside VMX operation: #GP(0) for CPL > 0, CR0/CR4 not allowed by the
  // FIXED MSRs, or IA32_FEATURE_CONTROL not locked with VMX outside SMX
  // enabled (we have no SMX, so bit 1 never applies).
  const fc = vmx.featureControl;
  if (
    vcpu.cpl > 0 || !crAllowedInVmx(vcpu.cr0, vcpu.cr4, vmx.features) ||
    (fc & FEATURE_CONTROL.LOCK) === 0 || (fc & FEATURE_CONTROL.VMX_OUTSIDE_SMX) === 0
  ) {
    vcpu.raiseException(Vector.GP, 0);
  }
  readPointerOperand(vmx, exit, scratch);
  if (!isValidPointer(scratch, vmx.physBits)) {
    vmFailInvalid(vcpu);
    return "handled";
  }
  const ptr = pointerValue(scratch);
  // Revision id must match with bit 31 clear. The region must be RAM: a hole
  // or MMIO cannot hold it (and reading a device register could have side
  // effects), so it fails like a wrong revision.
  if (readRamWord(vmx, ptr) !== VMCS12_REVISION_ID) {
    vmFailInvalid(vcpu);
    return "handled";
  }
  state.vmxon = true;
  state.vmxonPtr = ptr;
  state.releaseCurrent(vmx.memory); // current-VMCS pointer := all ones
  vmSucceed(vcpu);
  return "handled";
}

/** The 32-bit word at `gpa` if it is in RAM, else -1 (never touches MMIO). */
function readRamWord(vmx: VmxContext, gpa: number): number {
  const p = vmx.memory.pin(gpa, PIN_HOLDER, "vmxon region");
  if (!p.ok) return -1;
  const v = p.page.view.getUint32(gpa & 0xfff, true);
  vmx.memory.release(p.page, { dirty: false });
  return v;
}

/** VMXOFF. */
export function vmxoff(vmx: VmxContext, exit: VmxInstructionExit): ExitDisposition {
  const early = commonChecks(vmx, exit);
  if (early !== null) return early;
  leaveVmxOperation(vmx);
  vmSucceed(vmx.vcpu);
  return "handled";
}

/**
 * Leave VMX operation: release the current VMCS (its data is already in
 * guest memory) and forget the VMXON pointer. Used by VMXOFF, reset and
 * teardown.
 */
export function leaveVmxOperation(vmx: VmxContext): void {
  const state = vmx.state;
  const ptr = state.currentPtr;
  state.leave(vmx.memory);
  if (ptr !== NO_POINTER) vmx.nested.onVmcsReleased?.(ptr);
  vmx.nested.onVmxoff?.();
  // An INIT latched while in VMX root operation is taken now (it was blocked).
  vmx.vcpu.interruptStateChanged();
}
