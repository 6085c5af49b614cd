/**
 * The VMX plugin's public service: whether a vCPU is in VMX operation
 * (after VMXON, until VMXOFF). Another plugin that gives L1 something a
 * hypervisor would (the KVM hypercall ABI of `plugins/kvm_pv/`) asks it to
 * leave VMX's own instructions alone: VMCALL in VMX root operation keeps
 * its SDM meaning (VMfail) and only a VMCALL outside VMX operation, which
 * a processor would refuse with #UD, can be a call to the hypervisor.
 *
 * This module holds the token and its type only, so that plugins can look
 * the service up without reaching into the VMX plugin's internals.
 *
 * @module
 */

import { type ServiceToken, serviceToken } from "../core/plugin.ts";

/** What the VMX plugin tells other plugins about VMX operation. */
export interface VmxOperation {
  /** True while vCPU `index` (its index in `ctx.vcpus`) is in VMX operation (root or non-root). */
  inVmxOperation(index: number): boolean;
}

/** Token of the {@link VmxOperation} service (provided by the VMX plugin). */
export const VMX_OPERATION: ServiceToken<VmxOperation> = serviceToken<VmxOperation>(
  "nestvm.vmx.operation",
);
