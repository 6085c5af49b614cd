/**
 * The VMX instructions of part 1 (VMXON, VMXOFF, VMCLEAR, VMPTRLD,
 * VMPTRST, VMREAD, VMWRITE, VMCALL in root), operand evaluation, the
 * VMsucceed/VMfail conventions, and the dispatcher of the "vmx" exit.
 *
 * @module
 */

export * from "./common.ts";
export * from "./conventions.ts";
export * from "./dispatch.ts";
export * from "./operands.ts";
export * from "./vmcs_pointer.ts";
export * from "./vmread_vmwrite.ts";
export * from "./vmxon.ts";
