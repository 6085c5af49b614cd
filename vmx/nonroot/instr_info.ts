/**
 * The VM-exit instruction-information field (SDM Vol. 3C 28.2.5, Tables
 * 28-9 to 28-14) built from the operands the CPU decoded.
 *
 * @module
 */

import type { VmxOperands } from "../../core/vmexit.ts";

/** Address-size code: 0 16-bit, 1 32-bit, 2 64-bit. */
export function addrSizeCode(bits: number): number {
  return bits === 16 ? 0 : bits === 32 ? 1 : 2;
}

/**
 * Instruction information for VMX instructions, INVEPT/INVVPID/INVPCID
 * (reg2 = the type register) and VMREAD/VMWRITE (reg2 = the register
 * operand; register forms set bit 10 and reg1).
 */
export function vmxInstrInfo(ops: VmxOperands): number {
  let x = 0;
  const m = ops.mem;
  if (m !== undefined) {
    x |= m.scale & 3;
    x |= addrSizeCode(m.addressSize) << 7;
    x |= (m.segment & 7) << 15;
    x |= m.index < 0 ? 1 << 22 : (m.index & 15) << 18;
    x |= m.base < 0 ? 1 << 27 : (m.base & 15) << 23;
  } else {
    x |= 1 << 10;
    if (ops.rmReg >= 0) x |= (ops.rmReg & 15) << 3;
  }
  if (ops.regReg >= 0) x |= (ops.regReg & 15) << 28;
  return x >>> 0;
}

/** Instruction identity (bits 29:28) of descriptor-table instructions. */
const DT_IDENTITY: Readonly<Record<string, number>> = {
  sgdt: 0,
  sidt: 1,
  lgdt: 2,
  lidt: 3,
  sldt: 0,
  str: 1,
  lldt: 2,
  ltr: 3,
};

/**
 * Instruction information for LGDT/LIDT/SGDT/SIDT (Table 28-10) and
 * LLDT/LTR/SLDT/STR (Table 28-11). `operandSize32`: operand size 32
 * (bit 11, GDTR/IDTR forms).
 */
export function descriptorInstrInfo(
  instruction: string,
  ops: VmxOperands,
  operandSize32: boolean,
): number {
  let x = vmxInstrInfo({ ...ops, regReg: -1 });
  if (operandSize32) x |= 1 << 11;
  x |= (DT_IDENTITY[instruction] ?? 0) << 28;
  return x >>> 0;
}

/** Exit qualification of an instruction with a memory operand: its displacement. */
export function displacementQual(ops: VmxOperands): number {
  return ops.mem !== undefined ? ops.mem.displacement : 0;
}
