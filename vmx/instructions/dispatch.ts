/**
 * Routing of the "vmx" exit: each VMX instruction to its implementation
 * (part 1 here, part 2 through {@link NestedOps}).
 *
 * @module
 */

import type { ExitDisposition, VmxInstructionExit } from "../../core/vmexit.ts";
import { SERIALIZING_NS } from "../../core/stall.ts";
import type { VmxContext } from "../context.ts";
import { EPT_CAP } from "../controls.ts";
import { commonChecks } from "./common.ts";
import { vmFail, VmxError } from "./conventions.ts";
import { checkModeUd, Vector } from "./operands.ts";
import { vmclear, vmptrld, vmptrst } from "./vmcs_pointer.ts";
import { vmread, vmwrite } from "./vmread_vmwrite.ts";
import { vmxoff, vmxon } from "./vmxon.ts";

/** Handle one VMX instruction exit. Raises guest exceptions through the vCPU. */
export function handleVmxInstruction(vmx: VmxContext, exit: VmxInstructionExit): ExitDisposition {
  switch (exit.instruction) {
    case "vmxon":
      return vmxon(vmx, exit);
    case "vmxoff":
      return vmxoff(vmx, exit);
    case "vmclear":
      return vmclear(vmx, exit);
    case "vmptrld":
      return vmptrld(vmx, exit);
    case "vmptrst":
      return vmptrst(vmx, exit);
    case "vmread":
      return vmread(vmx, exit);
    case "vmwrite":
      return vmwrite(vmx, exit);
    case "vmlaunch":
    case "vmresume": {
      const early = commonChecks(vmx, exit);
      if (early !== null) return early;
      return vmx.nested.vmentry(exit, exit.instruction === "vmlaunch");
    }
    case "invept":
    case "invvpid": {
      // #UD also when the instruction is not supported (SDM Vol. 3C 31.3).
      const f = vmx.features;
      const supported = exit.instruction === "invept"
        ? (f.eptVpidCapLo & EPT_CAP.INVEPT) !== 0
        : (f.eptVpidCapHi & EPT_CAP.INVVPID) !== 0;
      if (!supported) vmx.vcpu.raiseException(Vector.UD);
      const early = commonChecks(vmx, exit);
      if (early !== null) return early;
      const r = exit.instruction === "invept" ? vmx.nested.invept(exit) : vmx.nested.invvpid(exit);
      // Serializing (SDM Vol. 3A 10.3), whether it succeeds or VMfails.
      vmx.vcpu.stall(SERIALIZING_NS);
      return r;
    }
    case "vmcall":
      return vmcall(vmx, exit);
    case "vmfunc":
      // VMFUNC is defined only in VMX non-root operation; #UD elsewhere.
      if (vmx.state.vmxon && vmx.vcpu.nonRoot) return vmx.nested.nonRootInstruction(exit);
      return vmx.vcpu.raiseException(Vector.UD);
    default:
      return vmx.vcpu.raiseException(Vector.UD);
  }
}

/**
 * VMCALL: #UD outside VMX operation, a VM exit in non-root operation, and
 * in VMX root operation (no dual-monitor treatment) VMfail(1).
 *
 * Outside VMX operation the plugin passes: the CPU's default for a VMX
 * instruction nobody takes is #UD, and a plugin that plays L1's hypervisor
 * (`pv/kvm_pv.ts`, KVM's hypercall ABI) may take it instead, as a VMCALL
 * of a guest is a VM exit to its hypervisor.
 */
function vmcall(vmx: VmxContext, exit: VmxInstructionExit): ExitDisposition {
  const vcpu = vmx.vcpu;
  if (!vmx.state.vmxon) return "pass";
  if (vcpu.nonRoot) return vmx.nested.nonRootInstruction(exit);
  checkModeUd(vcpu);
  if (vcpu.cpl > 0) vcpu.raiseException(Vector.GP, 0);
  vmFail(vcpu, vmx.state, VmxError.VMCALL_IN_ROOT);
  return "handled";
}
