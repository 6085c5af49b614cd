/**
 * Operands of VMX instructions: memory operands (checked against the
 * segment's limit and type outside 64-bit mode, canonical in 64-bit mode,
 * then accessed through the vCPU's paging, which raises #PF itself), register
 * operands, and the operand size rules (SDM Vol. 3C 31.3: 64 bits in 64-bit
 * mode, 32 bits otherwise; CS.D and REX.W are ignored).
 *
 * Faults: a memory reference through SS raises #SS(0), through any other
 * segment #GP(0) (SDM Vol. 3C 31.3, "Protected Mode Exceptions" and "64-Bit
 * Mode Exceptions" of each VMX instruction).
 *
 * @module
 */

import type { Vcpu } from "../../core/vcpu.ts";
import type { VmxOperands } from "../../core/vmexit.ts";
import type { U64Halves } from "../vmcs12/vmcs12.ts";

/** A memory operand as decoded by the CPU. */
export type MemOperand = NonNullable<VmxOperands["mem"]>;

/** Exception vectors used here. */
export const enum Vector {
  UD = 6,
  SS = 12,
  GP = 13,
}

const SS_INDEX = 2;
/** Access-rights bits (VMX format). */
const AR_TYPE_ACCESS_BIT1 = 0x2; // code: readable; data: writable
const AR_TYPE_EXPAND_DOWN = 0x4; // data only
const AR_TYPE_CODE = 0x8;
const AR_S = 0x10;
const AR_P = 0x80;
const AR_DB = 0x4000;
const AR_UNUSABLE = 0x10000;

/** Lowest and one-past-highest canonical address with 48-bit linear addresses. */
const CANON_LOW = -(2 ** 47);
const CANON_HIGH = 2 ** 47;

/** True when the vCPU executes 64-bit code (operand size 64 for VMREAD/VMWRITE). */
export function is64BitMode(vcpu: Vcpu): boolean {
  return vcpu.mode === "long64";
}

function segFault(vcpu: Vcpu, segment: number): never {
  return vcpu.raiseException(segment === SS_INDEX ? Vector.SS : Vector.GP, 0);
}

/**
 * Check that `size` bytes at the memory operand may be read (`write`
 * false) or written, raising #GP(0)/#SS(0) when segmentation or the
 * canonical rule forbids it.
 */
export function checkMemAccess(vcpu: Vcpu, mem: MemOperand, size: number, write: boolean): void {
  const segment = mem.segment;
  if (is64BitMode(vcpu)) {
    // Only the canonical check applies (SDM Vol. 3A 3.4.2.1, 5.3.1).
    if (!(mem.linear >= CANON_LOW && mem.linear + size - 1 < CANON_HIGH)) {
      segFault(vcpu, segment);
    }
    return;
  }
  const s = vcpu.seg[segment];
  if (s === undefined) return segFault(vcpu, segment);
  const ar = s.attrs;
  if ((ar & AR_UNUSABLE) !== 0 || (ar & AR_P) === 0 || (ar & AR_S) === 0) {
    return segFault(vcpu, segment);
  }
  const type = ar & 0xf;
  if ((type & AR_TYPE_CODE) !== 0) {
    // Code segments are never writable, and readable only with type bit 1.
    if (write || (type & AR_TYPE_ACCESS_BIT1) === 0) return segFault(vcpu, segment);
  } else if (write && (type & AR_TYPE_ACCESS_BIT1) === 0) {
    return segFault(vcpu, segment);
  }
  const first = mem.offset >>> 0;
  const last = first + size - 1;
  const limit = s.limit >>> 0;
  if ((type & AR_TYPE_CODE) === 0 && (type & AR_TYPE_EXPAND_DOWN) !== 0) {
    // Expand-down: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF (by B).
    const upper = (ar & AR_DB) !== 0 ? 0xffffffff : 0xffff;
    if (first <= limit || last > upper) segFault(vcpu, segment);
  } else if (last > limit) {
    segFault(vcpu, segment);
  }
}

/** Read a 4- or 8-byte memory operand into `out` (hi = 0 for 4 bytes). */
export function readMem(vcpu: Vcpu, mem: MemOperand, size: 4 | 8, out: U64Halves): void {
  checkMemAccess(vcpu, mem, size, false);
  if (size === 8) {
    out.hi = 0;
    out.lo = vcpu.readLinear(mem.linear, 8, mem.segment, out) >>> 0;
    out.hi >>>= 0;
  } else {
    out.lo = vcpu.readLinear(mem.linear, 4, mem.segment) >>> 0;
    out.hi = 0;
  }
}

/** Write a 4- or 8-byte memory operand. */
export function writeMem(vcpu: Vcpu, mem: MemOperand, size: 4 | 8, lo: number, hi: number): void {
  checkMemAccess(vcpu, mem, size, true);
  vcpu.writeLinear(mem.linear, size, lo >>> 0, size === 8 ? hi >>> 0 : 0, mem.segment);
}

/**
 * Read a general register with the VMX operand size: 64 bits in 64-bit
 * mode, the low 32 bits otherwise.
 */
export function readReg(vcpu: Vcpu, reg: number, out: U64Halves): void {
  out.lo = vcpu.gpr[2 * reg] >>> 0;
  out.hi = is64BitMode(vcpu) ? vcpu.gpr[2 * reg + 1] >>> 0 : 0;
}

/**
 * Write a general register with the VMX operand size; outside 64-bit mode
 * only the low 32 bits are written and the upper half is cleared, as for
 * any 32-bit register write.
 */
export function writeReg(vcpu: Vcpu, reg: number, lo: number, hi: number): void {
  vcpu.gpr[2 * reg] = lo >>> 0;
  vcpu.gpr[2 * reg + 1] = is64BitMode(vcpu) ? hi >>> 0 : 0;
}

/**
 * #UD checks shared by every VMX instruction (SDM Vol. 3C 31.3): CR0.PE=0
 * (real mode), RFLAGS.VM=1 (virtual-8086 mode), or compatibility mode
 * (IA32_EFER.LMA=1 and CS.L=0).
 */
export function checkModeUd(vcpu: Vcpu): void {
  const m = vcpu.mode;
  if (
    m === "real" || m === "v86" || m === "compat16" || m === "compat32" || (vcpu.cr0 & 1) === 0
  ) {
    vcpu.raiseException(Vector.UD);
  }
  // RFLAGS.VM is 0 in 64-bit mode (IA-32e mode has no virtual-8086 mode):
  // RFLAGS is read (materialized) only outside it.
  if (m !== "long64" && (vcpu.rflags & 0x20000) !== 0) vcpu.raiseException(Vector.UD);
}
