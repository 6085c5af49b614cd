/**
 * One KVM hypercall, evaluated on a register file (Linux's
 * Documentation/virt/kvm/x86/hypercalls.rst): the number in RAX, arguments
 * a0-a3 in RBX, RCX, RDX, RSI, the result in RAX; nothing else changes.
 *
 * - From CPL > 0 every hypercall returns `-KVM_EPERM`.
 * - Outside 64-bit mode the number, the arguments and the result are the
 *   low 32 bits of their registers (the result is written as a 32-bit
 *   register write: the upper half of RAX is cleared); in 64-bit mode the
 *   result is sign-extended to 64 bits.
 * - Implemented: KVM_HC_VAPIC_POLL_IRQ (returns 0: nestvm looks for
 *   pending interrupts at every instruction boundary anyway) and
 *   KVM_HC_SEND_IPI (`send_ipi.ts`). Every other number returns
 *   `-KVM_ENOSYS`.
 *
 * @module
 */

import { KVM_ENOSYS, KVM_EPERM, KVM_HC_SEND_IPI, KVM_HC_VAPIC_POLL_IRQ } from "./abi.ts";
import { type IpiTarget, sendIpi } from "./send_ipi.ts";

/** The caller's state a hypercall reads and writes. */
export interface HypercallRegs {
  /** GPRs as unsigned 32-bit halves: index 2*r is the low half, 2*r+1 the high (`Vcpu.gpr`). */
  readonly gpr: Uint32Array;
  /** Current privilege level. */
  readonly cpl: number;
  /** True in 64-bit mode (IA-32e mode with CS.L = 1). */
  readonly longMode: boolean;
}

// Register numbers: RAX 0, RCX 1, RDX 2, RBX 3, RSI 6.
const RAX = 0;
const RCX = 2;
const RDX = 4;
const RBX = 6;
const RSI = 12;

/** The result of the hypercall in `regs` (a signed number: a count, 0, or `-KVM_E...`). */
export function hypercallResult(regs: HypercallRegs, ipi: IpiTarget): number {
  if (regs.cpl !== 0) return -KVM_EPERM;
  const g = regs.gpr;
  const long = regs.longMode;
  // A number with bits above 31 set (64-bit mode) is no hypercall.
  if (long && g[RAX + 1] !== 0) return -KVM_ENOSYS;
  switch (g[RAX]) {
    case KVM_HC_VAPIC_POLL_IRQ:
      return 0;
    case KVM_HC_SEND_IPI:
      return sendIpi({
        a0Lo: g[RBX],
        a0Hi: long ? g[RBX + 1] : 0,
        a1Lo: g[RCX],
        a1Hi: long ? g[RCX + 1] : 0,
        min: g[RDX],
        icr: g[RSI],
        longMode: long,
      }, ipi);
    default:
      return -KVM_ENOSYS;
  }
}

/** Write `result` to RAX as the caller's mode says (sign-extended in 64-bit mode). */
export function writeHypercallResult(regs: HypercallRegs, result: number): void {
  regs.gpr[RAX] = result >>> 0;
  regs.gpr[RAX + 1] = regs.longMode && result < 0 ? 0xffffffff : 0;
}

/** Run the hypercall in `regs`: evaluate it and write its result; returns the result. */
export function runHypercall(regs: HypercallRegs, ipi: IpiTarget): number {
  const result = hypercallResult(regs, ipi);
  writeHypercallResult(regs, result);
  return result;
}
