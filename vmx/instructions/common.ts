/**
 * Checks shared by the VMX instructions other than VMXON (SDM Vol. 3C
 * 31.3, the first lines of each instruction's operation): #UD outside VMX
 * operation or in real, virtual-8086 or compatibility mode; a VM exit in
 * VMX non-root operation; #GP(0) at CPL > 0. Also the physical-address
 * validity rule for VMXON/VMCLEAR/VMPTRLD pointers.
 *
 * @module
 */

import type { ExitDisposition, VmxInstructionExit } from "../../core/vmexit.ts";
import type { VmxContext } from "../context.ts";
import type { U64Halves } from "../vmcs12/vmcs12.ts";
import { checkModeUd, type MemOperand, readMem, Vector } from "./operands.ts";

/**
 * Run the common checks. Returns null when the instruction proceeds in VMX
 * root operation at CPL 0, or the disposition of the VM exit that part 2
 * performed for an instruction executed in non-root operation. Raises #UD
 * or #GP.
 */
export function commonChecks(vmx: VmxContext, exit: VmxInstructionExit): ExitDisposition | null {
  const vcpu = vmx.vcpu;
  if (!vmx.state.vmxon) vcpu.raiseException(Vector.UD);
  checkModeUd(vcpu);
  if (vcpu.nonRoot) return vmx.nested.nonRootInstruction(exit);
  if (vcpu.cpl > 0) vcpu.raiseException(Vector.GP, 0);
  return null;
}

/** The memory operand of an instruction that has no register form (#UD otherwise). */
export function requireMem(vmx: VmxContext, exit: VmxInstructionExit): MemOperand {
  const mem = exit.operands.mem;
  if (mem === undefined) return vmx.vcpu.raiseException(Vector.UD);
  return mem;
}

/**
 * A VMXON/VMCLEAR/VMPTRLD pointer is valid when 4 KiB aligned and within
 * the physical-address width (SDM Vol. 3C 31.3).
 */
export function isValidPointer(ptr: U64Halves, physBits: number): boolean {
  if ((ptr.lo & 0xfff) !== 0) return false;
  if (physBits >= 64) return true;
  if (physBits <= 32) return ptr.hi === 0 && (physBits === 32 || ptr.lo >>> physBits === 0);
  return ptr.hi >>> (physBits - 32) === 0;
}

/** A valid pointer as a number (exact: below 2^52). */
export function pointerValue(ptr: U64Halves): number {
  return ptr.hi * 0x100000000 + ptr.lo;
}

/** Read the 64-bit pointer operand of VMXON/VMCLEAR/VMPTRLD into `out`. */
export function readPointerOperand(
  vmx: VmxContext,
  exit: VmxInstructionExit,
  out: U64Halves,
): void {
  readMem(vmx.vcpu, requireMem(vmx, exit), 8, out);
}
