/**
 * VMCLEAR, VMPTRLD and VMPTRST (SDM Vol. 3C 31.3): making a VMCS current,
 * clearing it, and storing the current-VMCS pointer.
 *
 * @module
 */

import type { ExitDisposition, VmxInstructionExit } from "../../core/vmexit.ts";
import type { VmxContext } from "../context.ts";
import { PIN_HOLDER, PIN_PURPOSE_CURRENT } from "../state.ts";
import { LAUNCH_STATE_CLEAR, OFF_LAUNCH_STATE, VMCS12_REVISION_ID } from "../vmcs12/layout.ts";
import type { U64Halves } from "../vmcs12/vmcs12.ts";
import {
  commonChecks,
  isValidPointer,
  pointerValue,
  readPointerOperand,
  requireMem,
} from "./common.ts";
import { vmFail, vmSucceed, VmxError } from "./conventions.ts";
import { writeMem } from "./operands.ts";
import { PROC2 } from "../controls.ts";

const scratch: U64Halves = { lo: 0, hi: 0 };

/** VMCLEAR m64. */
export function vmclear(vmx: VmxContext, exit: VmxInstructionExit): ExitDisposition {
  requireMem(vmx, exit); // a register operand is an invalid encoding: #UD first
  const early = commonChecks(vmx, exit);
  if (early !== null) return early;
  const vcpu = vmx.vcpu;
  const state = vmx.state;
  readPointerOperand(vmx, exit, scratch);
  if (!isValidPointer(scratch, vmx.physBits)) {
    vmFail(vcpu, state, VmxError.VMCLEAR_INVALID_ADDRESS);
    return "handled";
  }
  const ptr = pointerValue(scratch);
  if (ptr === state.vmxonPtr) {
    vmFail(vcpu, state, VmxError.VMCLEAR_VMXON_POINTER);
    return "handled";
  }
  // Set the launch state, which lives in the region, to clear (SDM 25.11.3);
  // the current VMCS's cached data goes to memory with it.
  if (state.current !== null && state.current.ptr === ptr) {
    state.current.vmcs.launched = false;
    state.releaseCurrent(vmx.memory); // write back; current-VMCS pointer := all ones
  } else {
    // Only RAM holds VMCS data: an MMIO or unbacked address is left alone
    // (a plain write there would reach a device register).
    const p = vmx.memory.pin(ptr, PIN_HOLDER, "vmclear");
    if (p.ok) {
      p.page.view.setUint32(OFF_LAUNCH_STATE, LAUNCH_STATE_CLEAR, true);
      vmx.memory.release(p.page, { dirty: true });
    }
  }
  vmx.nested.onVmcsReleased?.(ptr);
  vmSucceed(vcpu);
  return "handled";
}

/** VMPTRLD m64. */
export function vmptrld(vmx: VmxContext, exit: VmxInstructionExit): ExitDisposition {
  requireMem(vmx, exit);
  const early = commonChecks(vmx, exit);
  if (early !== null) return early;
  const vcpu = vmx.vcpu;
  const state = vmx.state;
  readPointerOperand(vmx, exit, scratch);
  if (!isValidPointer(scratch, vmx.physBits)) {
    vmFail(vcpu, state, VmxError.VMPTRLD_INVALID_ADDRESS);
    return "handled";
  }
  const ptr = pointerValue(scratch);
  if (ptr === state.vmxonPtr) {
    vmFail(vcpu, state, VmxError.VMPTRLD_VMXON_POINTER);
    return "handled";
  }
  const old = state.current;
  if (old !== null && old.ptr === ptr) {
    // Reloading the current VMCS: only the revision check can fail. It
    // reads the 32 bits at the operand in memory (SDM 31.3 VMPTRLD), not
    // the cached copy.
    if (!revisionOk(vmx, old.page.view.getUint32(0, true))) {
      vmFail(vcpu, state, VmxError.VMPTRLD_INCORRECT_REVISION);
    } else {
      vmSucceed(vcpu);
    }
    return "handled";
  }
  const pinned = vmx.memory.pin(ptr, PIN_HOLDER, PIN_PURPOSE_CURRENT);
  // A region outside RAM cannot hold our revision id (it would read as
  // all ones, or as device registers): incorrect revision identifier.
  if (!pinned.ok) {
    vmFail(vcpu, state, VmxError.VMPTRLD_INCORRECT_REVISION);
    return "handled";
  }
  if (!revisionOk(vmx, pinned.page.view.getUint32(0, true))) {
    vmx.memory.release(pinned.page, { dirty: false });
    vmFail(vcpu, state, VmxError.VMPTRLD_INCORRECT_REVISION);
    return "handled";
  }
  if (old !== null) {
    state.releaseCurrent(vmx.memory);
    vmx.nested.onVmcsReleased?.(old.ptr);
  }
  state.adoptCurrent(ptr, pinned.page);
  vmSucceed(vcpu);
  return "handled";
}

/**
 * Revision check of VMPTRLD: bits 30:0 must be ours; bit 31 (shadow VMCS)
 * may be 1 only if "VMCS shadowing" is supported.
 */
function revisionOk(vmx: VmxContext, word: number): boolean {
  if ((word & 0x7fffffff) !== VMCS12_REVISION_ID) return false;
  return (word & 0x80000000) === 0 || (vmx.features.proc2 & PROC2.VMCS_SHADOWING) !== 0;
}

/** VMPTRST m64. */
export function vmptrst(vmx: VmxContext, exit: VmxInstructionExit): ExitDisposition {
  const mem = requireMem(vmx, exit);
  const early = commonChecks(vmx, exit);
  if (early !== null) return early;
  const c = vmx.state.current;
  if (c === null) {
    writeMem(vmx.vcpu, mem, 8, 0xffffffff, 0xffffffff);
  } else {
    writeMem(vmx.vcpu, mem, 8, c.ptr >>> 0, Math.floor(c.ptr / 0x100000000) >>> 0);
  }
  vmSucceed(vmx.vcpu);
  return "handled";
}
