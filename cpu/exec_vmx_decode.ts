/**
 * Decoding of the VMX instructions (VMXON ... VMFUNC, INVEPT, INVVPID)
 * into "vmx" exits with their operand encoding; the VMX plugin executes
 * them, and "pass" (no plugin) is #UD.
 *
 * The exit record, its operands and its memory operand are one set of
 * objects reused by every VMX instruction (the bus contract: an exit is
 * valid only while it is dispatched), so the nested round trip (VMREAD,
 * VMWRITE, VMRESUME in L1) allocates nothing here.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import type { VmxInstruction, VmxInstructionExit, VmxOperands } from "../core/vmexit.ts";
import { ud } from "./fault.ts";
import { ea } from "./regs.ts";

const TWO32 = 4294967296;

const VMX_NAMES: VmxInstruction[] = [
  "vmcall",
  "vmlaunch",
  "vmresume",
  "vmxoff",
  "vmfunc",
  "vmptrld",
  "vmclear",
  "vmxon",
  "vmptrst",
  "vmread",
  "vmwrite",
  "invept",
  "invvpid",
];

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MemOperand = Mutable<NonNullable<VmxOperands["mem"]>>;

/** The one memory-operand record (filled for memory forms only). */
const memOperand: MemOperand = {
  offset: 0,
  linear: 0,
  segment: 0,
  addressSize: 64,
  base: -1,
  index: -1,
  scale: 0,
  displacement: 0,
};
/** The one operand record; `mem` is undefined for register forms. */
const operands: Mutable<VmxOperands> = {
  mem: undefined,
  rmReg: -1,
  regReg: -1,
  operandSize: 64,
};
/** The one "vmx" exit record. */
const vmxExit: Mutable<VmxInstructionExit> = {
  kind: "vmx",
  level: 1,
  instructionLength: 0,
  instruction: "vmcall",
  operands,
};

/** Fill the reused operand records for `i` (same content as `vmxOperands`). */
function fillOperands(c: Cpu, i: Insn): void {
  const o = operands;
  o.operandSize = c.is64 ? 64 : 32;
  o.regReg = i.reg;
  if (i.isMem === 0) {
    o.mem = undefined;
    o.rmReg = i.rm;
    return;
  }
  const off = ea(c, i);
  let lin = off + c.sbase[i.seg];
  if (!c.is64) lin = lin % TWO32;
  const m = memOperand;
  m.offset = off;
  m.linear = lin;
  m.segment = i.seg;
  m.addressSize = i.addrSize as 16 | 32 | 64;
  m.base = i.base;
  m.index = i.index;
  m.scale = i.scale;
  m.displacement = i.disp;
  o.mem = m;
  o.rmReg = -1;
}

/** A VMX instruction: a "vmx" exit; "pass" means #UD (no VMX plugin). */
export function vmx(c: Cpu, i: Insn): void {
  fillOperands(c, i);
  const e = vmxExit;
  e.level = c.nonRoot ? 2 : 1;
  e.instructionLength = i.len;
  e.instruction = VMX_NAMES[i.x];
  const r = c.exits(e);
  if (r === "reflected") {
    // Not a region helper (see cpu/jit/plan.ts): only the interpreter runs it.
    c.abandonForExit();
    return;
  }
  if (r === "pass") ud();
}
