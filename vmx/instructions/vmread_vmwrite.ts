/**
 * VMREAD and VMWRITE (SDM Vol. 3C 31.3) on the current vmcs12.
 *
 * Operand size is 64 bits in 64-bit mode and 32 bits otherwise. A field
 * shorter than the operand is zero-extended on VMREAD and has the high
 * operand bits ignored on VMWRITE; a field longer than the operand has its
 * high bits not read on VMREAD and cleared on VMWRITE. The field encoding
 * register is read with the same size: any bit above bit 31 set makes it
 * unsupported (error 12), as do bits 31:15.
 *
 * @module
 */

import type { ExitDisposition, VmxInstructionExit } from "../../core/vmexit.ts";
import type { VmxContext } from "../context.ts";
import { isReadOnly } from "../vmcs12/fields.ts";
import { isSupportedEncoding } from "../vmcs12/layout.ts";
import type { U64Halves } from "../vmcs12/vmcs12.ts";
import { commonChecks } from "./common.ts";
import { vmFailInvalid, vmFailValid, vmSucceed, VmxError } from "./conventions.ts";
import { is64BitMode, readMem, readReg, Vector, writeMem, writeReg } from "./operands.ts";

const enc: U64Halves = { lo: 0, hi: 0 };
const value: U64Halves = { lo: 0, hi: 0 };

/** The field encoding from the ModRM.reg register, or -1 if it cannot be a field. */
function fieldEncoding(vmx: VmxContext, reg: number): number {
  readReg(vmx.vcpu, reg, enc);
  if (enc.hi !== 0 || enc.lo > 0x7fff) return -1;
  return enc.lo;
}

/** VMREAD r/m, r: read the field named by the register operand. */
export function vmread(vmx: VmxContext, exit: VmxInstructionExit): ExitDisposition {
  const early = commonChecks(vmx, exit);
  if (early !== null) return early;
  const vcpu = vmx.vcpu;
  const c = vmx.state.current;
  if (c === null) {
    vmFailInvalid(vcpu);
    return "handled";
  }
  const ops = exit.operands;
  if (ops.regReg < 0) vcpu.raiseException(Vector.UD);
  const field = fieldEncoding(vmx, ops.regReg);
  if (field < 0 || !c.vmcs.vmread(field, value)) {
    vmFailValid(vcpu, c.vmcs, VmxError.UNSUPPORTED_VMCS_COMPONENT);
    return "handled";
  }
  const wide = is64BitMode(vcpu);
  if (ops.mem !== undefined) {
    writeMem(vcpu, ops.mem, wide ? 8 : 4, value.lo, value.hi);
  } else if (ops.rmReg >= 0) {
    writeReg(vcpu, ops.rmReg, value.lo, value.hi);
  } else {
    vcpu.raiseException(Vector.UD);
  }
  vmSucceed(vcpu);
  return "handled";
}

/** VMWRITE r, r/m: write the field named by the register operand. */
export function vmwrite(vmx: VmxContext, exit: VmxInstructionExit): ExitDisposition {
  const early = commonChecks(vmx, exit);
  if (early !== null) return early;
  const vcpu = vmx.vcpu;
  const c = vmx.state.current;
  if (c === null) {
    vmFailInvalid(vcpu);
    return "handled";
  }
  const ops = exit.operands;
  if (ops.regReg < 0) vcpu.raiseException(Vector.UD);
  // The source operand is read before the field is looked up, so a fault
  // on it takes priority over error 12/13.
  if (ops.mem !== undefined) {
    readMem(vcpu, ops.mem, is64BitMode(vcpu) ? 8 : 4, value);
  } else if (ops.rmReg >= 0) {
    readReg(vcpu, ops.rmReg, value);
  } else {
    vcpu.raiseException(Vector.UD);
  }
  const field = fieldEncoding(vmx, ops.regReg);
  if (field < 0 || !isSupportedEncoding(field)) {
    vmFailValid(vcpu, c.vmcs, VmxError.UNSUPPORTED_VMCS_COMPONENT);
    return "handled";
  }
  if (isReadOnly(field) && !vmx.features.vmwriteAnyField) {
    vmFailValid(vcpu, c.vmcs, VmxError.VMWRITE_READ_ONLY_COMPONENT);
    return "handled";
  }
  c.vmcs.vmwrite(field, value.lo, value.hi);
  vmSucceed(vcpu);
  return "handled";
}
