/**
 * The outcome conventions of VMX instructions (SDM Vol. 3C 31.2,
 * "Conventions"): VMsucceed, VMfailInvalid, VMfailValid(n) and VMfail(n),
 * and the VM-instruction error numbers (SDM Vol. 3C 31.4).
 *
 * Shared by part 1 (VMCS management) and part 2 (VM entry).
 *
 * @module
 */

import type { Vcpu } from "../../core/vcpu.ts";
import type { Vmcs12 } from "../vmcs12/vmcs12.ts";
import type { VmxState } from "../state.ts";

/** VM-instruction error numbers (SDM Vol. 3C 31.4, Table 31-1). */
export const enum VmxError {
  /** VMCALL executed in VMX root operation. */
  VMCALL_IN_ROOT = 1,
  /** VMCLEAR with invalid physical address. */
  VMCLEAR_INVALID_ADDRESS = 2,
  /** VMCLEAR with VMXON pointer. */
  VMCLEAR_VMXON_POINTER = 3,
  /** VMLAUNCH with non-clear VMCS. */
  VMLAUNCH_NONCLEAR_VMCS = 4,
  /** VMRESUME with non-launched VMCS. */
  VMRESUME_NONLAUNCHED_VMCS = 5,
  /** VMRESUME after VMXOFF. */
  VMRESUME_AFTER_VMXOFF = 6,
  /** VM entry with invalid control field(s). */
  ENTRY_INVALID_CONTROL_FIELD = 7,
  /** VM entry with invalid host-state field(s). */
  ENTRY_INVALID_HOST_STATE_FIELD = 8,
  /** VMPTRLD with invalid physical address. */
  VMPTRLD_INVALID_ADDRESS = 9,
  /** VMPTRLD with VMXON pointer. */
  VMPTRLD_VMXON_POINTER = 10,
  /** VMPTRLD with incorrect VMCS revision identifier. */
  VMPTRLD_INCORRECT_REVISION = 11,
  /** VMREAD/VMWRITE from/to unsupported VMCS component. */
  UNSUPPORTED_VMCS_COMPONENT = 12,
  /** VMWRITE to read-only VMCS component. */
  VMWRITE_READ_ONLY_COMPONENT = 13,
  /** VMXON executed in VMX root operation. */
  VMXON_IN_ROOT = 15,
  /** VM entry with events blocked by MOV SS. */
  ENTRY_EVENTS_BLOCKED_BY_MOV_SS = 26,
  /** Invalid operand to INVEPT/INVVPID. */
  INVALID_INVEPT_INVVPID_OPERAND = 28,
}

/** RFLAGS arithmetic flags that every VMX outcome sets or clears: CF PF AF ZF SF OF. */
export const VMX_FLAGS_MASK = 0x8d5;
/** RFLAGS.CF. */
export const RFLAGS_CF = 0x1;
/** RFLAGS.ZF. */
export const RFLAGS_ZF = 0x40;

/** VMsucceed: CF, PF, AF, ZF, SF and OF cleared. */
export function vmSucceed(vcpu: Vcpu): void {
  vcpu.setArithmeticFlags(0);
}

/** VMfailInvalid: CF set, PF AF ZF SF OF cleared. */
export function vmFailInvalid(vcpu: Vcpu): void {
  vcpu.setArithmeticFlags(RFLAGS_CF);
}

/**
 * VMfailValid(n): ZF set, CF PF AF SF OF cleared, and `n` written to the
 * VM-instruction error field of the current VMCS.
 */
export function vmFailValid(vcpu: Vcpu, vmcs: Vmcs12, error: number): void {
  vcpu.setArithmeticFlags(RFLAGS_ZF);
  vmcs.instructionError = error;
}

/**
 * VMfail(n): VMfailValid(n) when there is a current VMCS, VMfailInvalid
 * otherwise.
 */
export function vmFail(vcpu: Vcpu, state: VmxState, error: number): void {
  const c = state.current;
  if (c === null) vmFailInvalid(vcpu);
  else vmFailValid(vcpu, c.vmcs, error);
}
