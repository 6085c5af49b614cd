/**
 * VMCS shadowing (SDM Vol. 3C 25.10 "VMCS types", 26.6.15 "VMCS shadowing
 * bitmap addresses", and the VMREAD/VMWRITE operation in 31.3): with the secondary control "VMCS
 * shadowing" set in vmcs12, a VMREAD or VMWRITE executed by L2 whose field
 * encoding fits in bits 14:0 and whose bit in the VMREAD/VMWRITE bitmap is
 * clear does not exit to L1: it reads or writes the shadow VMCS that the
 * VMCS link pointer references. Its VMfail outcomes go to the controlling
 * vmcs12 (L1's current VMCS): VMfailInvalid when the link pointer is all
 * ones, error 12 for an unsupported field, error 13 for a VMWRITE to a
 * read-only field unless IA32_VMX_MISC bit 29 allows it.
 *
 * @module
 */

import type { ExitDisposition, VmxInstructionExit } from "../../core/vmexit.ts";
import { PROC, PROC2 } from "../controls.ts";
import { O, r32, rhi } from "../entry/offsets.ts";
import { vmFailInvalid, vmFailValid, vmSucceed, VmxError } from "../instructions/conventions.ts";
import {
  is64BitMode,
  readMem,
  readReg,
  Vector,
  writeMem,
  writeReg,
} from "../instructions/operands.ts";
import { isReadOnly } from "../vmcs12/fields.ts";
import { isSupportedEncoding } from "../vmcs12/layout.ts";
import { type U64Halves, Vmcs12 } from "../vmcs12/vmcs12.ts";
import type { Nested } from "./session.ts";

const enc: U64Halves = { lo: 0, hi: 0 };
const value: U64Halves = { lo: 0, hi: 0 };
const PIN_HOLDER = "vmx";

/**
 * Whether L2's VMREAD/VMWRITE described by `exit` is shadowed (performed on
 * the shadow VMCS, no VM exit); if it is, perform it and return "handled",
 * else return null (the instruction exits to L1). Raises #GP(0) at CPL > 0
 * for a shadowed access, and the faults of its memory operand.
 */
export function shadowedVmcsAccess(n: Nested, exit: VmxInstructionExit): ExitDisposition | null {
  if (exit.instruction !== "vmread" && exit.instruction !== "vmwrite") return null;
  const d = n.d;
  if ((r32(d, O.CPU_BASED_VM_EXEC_CONTROL) & PROC.ACTIVATE_SECONDARY_CONTROLS) === 0) return null;
  if ((r32(d, O.SECONDARY_VM_EXEC_CONTROL) & PROC2.VMCS_SHADOWING) === 0) return null;
  const v = n.vcpu;
  const ops = exit.operands;
  if (ops.regReg < 0) return null;
  // The field encoding register, with the VMX operand size: bits 63:15 set
  // always exit (SDM 31.3 VMREAD/VMWRITE operation).
  readReg(v, ops.regReg, enc);
  if (enc.hi !== 0 || enc.lo > 0x7fff) return null;
  const field = enc.lo;
  const write = exit.instruction === "vmwrite";
  const bitmap = write ? O.VMWRITE_BITMAP : O.VMREAD_BITMAP;
  const bitmapAddr = rhi(d, bitmap) * 0x100000000 + ((r32(d, bitmap) & ~0xfff) >>> 0);
  if ((n.mem.read(bitmapAddr + (field >>> 3), 1) & (1 << (field & 7))) !== 0) return null;
  if (v.cpl > 0) v.raiseException(Vector.GP, 0);
  const wide = is64BitMode(v);
  if (write) {
    // The source operand is read before the field is looked up.
    if (ops.mem !== undefined) readMem(v, ops.mem, wide ? 8 : 4, value);
    else if (ops.rmReg >= 0) readReg(v, ops.rmReg, value);
    else v.raiseException(Vector.UD);
  }
  const linkLo = r32(d, O.VMCS_LINK_POINTER);
  const linkHi = rhi(d, O.VMCS_LINK_POINTER);
  const current = n.state.current?.vmcs ?? null;
  if ((linkLo & linkHi) === 0xffffffff || current === null) {
    vmFailInvalid(v);
    return "handled";
  }
  const pinned = n.mem.pin(linkHi * 0x100000000 + linkLo, PIN_HOLDER, "shadow vmcs");
  if (!pinned.ok) {
    vmFailInvalid(v);
    return "handled";
  }
  const shadow = Vmcs12.fromPage(pinned.page);
  let dirty = false;
  try {
    if (!write) {
      if (!shadow.vmread(field, value)) {
        vmFailValid(v, current, VmxError.UNSUPPORTED_VMCS_COMPONENT);
        return "handled";
      }
      if (ops.mem !== undefined) writeMem(v, ops.mem, wide ? 8 : 4, value.lo, value.hi);
      else if (ops.rmReg >= 0) writeReg(v, ops.rmReg, value.lo, value.hi);
      else v.raiseException(Vector.UD);
    } else {
      if (!isSupportedEncoding(field)) {
        vmFailValid(v, current, VmxError.UNSUPPORTED_VMCS_COMPONENT);
        return "handled";
      }
      if (isReadOnly(field) && !n.features.vmwriteAnyField) {
        vmFailValid(v, current, VmxError.VMWRITE_READ_ONLY_COMPONENT);
        return "handled";
      }
      shadow.vmwrite(field, value.lo, value.hi);
      dirty = true;
    }
  } finally {
    n.mem.release(pinned.page, { dirty });
  }
  vmSucceed(v);
  return "handled";
}
