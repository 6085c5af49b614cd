/**
 * The numbers of KVM's paravirtual interface for x86 guests, as Linux
 * documents it (Documentation/virt/kvm/x86/hypercalls.rst and cpuid.rst,
 * include/uapi/linux/kvm_para.h): the hypervisor CPUID leaves, the feature
 * bits, the hypercall numbers and their error returns.
 *
 * Register convention of a hypercall (VMCALL or VMMCALL): the number in
 * RAX, up to four arguments in RBX, RCX, RDX and RSI, the result in RAX; no
 * other register changes.
 *
 * @module
 */

/** CPUID leaf of the signature: EAX the highest KVM leaf, EBX:ECX:EDX "KVMKVMKVM\0\0\0". */
export const KVM_CPUID_SIGNATURE = 0x40000000;
/** CPUID leaf of the features: EAX the feature bits, EDX the hints. */
export const KVM_CPUID_FEATURES = 0x40000001;
/** "KVMK" (EBX of the signature leaf, little-endian). */
export const KVM_SIGNATURE_EBX = 0x4b4d564b;
/** "VMKV" (ECX). */
export const KVM_SIGNATURE_ECX = 0x564b4d56;
/** "M\0\0\0" (EDX). */
export const KVM_SIGNATURE_EDX = 0x0000004d;
/** Feature bit (in EAX of {@link KVM_CPUID_FEATURES}): kvmclock at MSRs 0x4b564d00 and 0x4b564d01. */
export const KVM_FEATURE_CLOCKSOURCE2 = 3;
/** Feature bit: the KVM_HC_SEND_IPI hypercall. */
export const KVM_FEATURE_PV_SEND_IPI = 11;
/** Feature bit: the host may set `PVCLOCK_TSC_STABLE_BIT` in kvmclock's flags. */
export const KVM_FEATURE_CLOCKSOURCE_STABLE_BIT = 24;
/**
 * MSR_KVM_WALL_CLOCK_NEW: the guest writes the guest-physical address of a
 * `pvclock_wall_clock` (u32 version, u32 sec, u32 nsec); the host fills it
 * with the wall-clock time at kvmclock 0.
 */
export const MSR_KVM_WALL_CLOCK_NEW = 0x4b564d00;
/**
 * MSR_KVM_SYSTEM_TIME_NEW: the guest-physical address of this vCPU's
 * `pvclock_vcpu_time_info`, with the enable bit in bit 0.
 */
export const MSR_KVM_SYSTEM_TIME_NEW = 0x4b564d01;
/** kvmclock flags bit: every vCPU's kvmclock reads one monotonic clock. */
export const PVCLOCK_TSC_STABLE_BIT = 1;
/** CPUID.1:ECX bit 31: the processor runs under a hypervisor. */
export const CPUID1_ECX_HYPERVISOR = 31;

/** Hypercall 1: lets the host look for pending interrupts; returns 0. */
export const KVM_HC_VAPIC_POLL_IRQ = 1;
/** Hypercall 10: send an IPI to the APIC IDs of a bitmap (see `send_ipi.ts`). */
export const KVM_HC_SEND_IPI = 10;

/** Error returns are negative: `-KVM_ENOSYS` for an unknown hypercall number. */
export const KVM_ENOSYS = 1000;
/** `-KVM_EPERM`: a hypercall from CPL > 0. */
export const KVM_EPERM = 1;
/** `-KVM_EINVAL`: an argument the hypercall does not accept. */
export const KVM_EINVAL = 22;
