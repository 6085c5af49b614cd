/**
 * Stand-in for part 2 (VM entry/exit) when the plugin is built without it:
 * VM entries fail with VMfail(7) and INVEPT/INVVPID with VMfail(28), so
 * VMCS management can be used and tested on its own.
 *
 * @module
 */

import type { NestedOps, VmxContext } from "./context.ts";
import { vmFail, VmxError } from "./instructions/conventions.ts";

/** Build the stand-in operations. */
export function createFallbackNestedOps(vmx: VmxContext): NestedOps {
  return {
    vmentry(): "handled" {
      vmFail(vmx.vcpu, vmx.state, VmxError.ENTRY_INVALID_CONTROL_FIELD);
      return "handled";
    },
    nonRootInstruction(): "handled" {
      // Never reached: without part 2 the vCPU never enters non-root operation.
      return vmx.vcpu.raiseException(6);
    },
    invept(): "handled" {
      vmFail(vmx.vcpu, vmx.state, VmxError.INVALID_INVEPT_INVVPID_OPERAND);
      return "handled";
    },
    invvpid(): "handled" {
      vmFail(vmx.vcpu, vmx.state, VmxError.INVALID_INVEPT_INVVPID_OPERAND);
      return "handled";
    },
  };
}
