/**
 * The `kvm-pv` plugin: KVM's paravirtual interface for L1 (hypervisor
 * CPUID leaves, hypercalls by VMCALL or VMMCALL, KVM_HC_SEND_IPI, kvmclock).
 *
 * @module
 */

export * from "./abi.ts";
export * from "./hypercall.ts";
export * from "./kvmclock.ts";
export * from "./plugin.ts";
export * from "./send_ipi.ts";
