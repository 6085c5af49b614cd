/**
 * Decoding of the VMX instructions (VMXON ... VMFUNC, INVEPT, INVVPID)
 * into "vmx" exits with their operand encoding; the VMX plugin executes
 * them, and "pass" (no plugin) is #UD.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import type { VmExit, VmxInstruction } from "../core/vmexit.ts";
import { ud } from "./fault.ts";
import { vmxOperands } from "./exec_system.ts";

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

/** A VMX instruction: a "vmx" exit; "pass" means #UD (no VMX plugin). */
export function vmx(c: Cpu, i: Insn): void {
  const e: VmExit = {
    kind: "vmx",
    level: c.nonRoot ? 2 : 1,
    instructionLength: i.len,
    instruction: VMX_NAMES[i.x],
    operands: vmxOperands(c, i),
  };
  const r = c.exits(e);
  if (r === "reflected") {
    // Not a region helper (see cpu/jit/plan.ts): only the interpreter runs it.
    c.abandonForExit();
    return;
  }
  if (r === "pass") ud();
}
