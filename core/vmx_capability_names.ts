/**
 * QEMU's `-cpu` names of the VMX capabilities nestvm has (`vmx-ept`,
 * `vmx-tsc-scaling`...), each with the capability word it lives in and its
 * bits there. The one table both sides read: the CPU-model parser (cpu/)
 * accepts these names in `-cpu ...,-vmx-NAME`, and the VMX plugin (vmx/)
 * takes the bits of the names switched off out of what it advertises in
 * the IA32_VMX_* capability MSRs and out of what VM entry, INVEPT, INVVPID
 * and VMFUNC allow. QEMU's other `vmx-*` names are capabilities nestvm
 * does not have.
 *
 * Bit numbers are the SDM's (Vol. 3D appendix A; Vol. 3C 25.6).
 *
 * @module
 */

/**
 * Where a capability lives: the allowed-1 settings of a control word
 * (`pin`, `proc`, `proc2`, `exit`, `entry`); `trueProc`, `trueExit`,
 * `trueEntry`: a default1 control that the IA32_VMX_TRUE_* MSRs allow to be
 * 0; `ept` / `vpid`: the low / high half of IA32_VMX_EPT_VPID_CAP; `vmfunc`:
 * IA32_VMX_VMFUNC; `misc`: IA32_VMX_MISC.
 */
export type VmxCapabilityWord =
  | "pin"
  | "proc"
  | "proc2"
  | "exit"
  | "entry"
  | "trueProc"
  | "trueExit"
  | "trueEntry"
  | "ept"
  | "vpid"
  | "vmfunc"
  | "misc";

/** One named capability: its word and bits. */
export interface VmxCapabilityBits {
  /** The word the bits are in. */
  readonly word: VmxCapabilityWord;
  /** The bits (a mask). */
  readonly bits: number;
}

function at(word: VmxCapabilityWord, bit: number): VmxCapabilityBits {
  return Object.freeze({ word, bits: 2 ** bit });
}

/** QEMU's names of nestvm's VMX capabilities. */
export const VMX_CAPABILITY_NAMES: Readonly<Record<string, VmxCapabilityBits>> = Object.freeze({
  // Pin-based VM-execution controls.
  "vmx-intr-exit": at("pin", 0),
  "vmx-nmi-exit": at("pin", 3),
  "vmx-vnmi": at("pin", 5),
  "vmx-preemption-timer": at("pin", 6),
  "vmx-posted-intr": at("pin", 7),
  // Primary processor-based VM-execution controls.
  "vmx-vintr-pending": at("proc", 2),
  "vmx-tsc-offset": at("proc", 3),
  "vmx-hlt-exit": at("proc", 7),
  "vmx-invlpg-exit": at("proc", 9),
  "vmx-mwait-exit": at("proc", 10),
  "vmx-rdpmc-exit": at("proc", 11),
  "vmx-rdtsc-exit": at("proc", 12),
  "vmx-cr3-load-noexit": at("trueProc", 15),
  "vmx-cr3-store-noexit": at("trueProc", 16),
  "vmx-cr8-load-exit": at("proc", 19),
  "vmx-cr8-store-exit": at("proc", 20),
  "vmx-flexpriority": at("proc", 21), // use TPR shadow
  "vmx-vnmi-pending": at("proc", 22), // NMI-window exiting
  "vmx-movdr-exit": at("proc", 23),
  "vmx-io-exit": at("proc", 24),
  "vmx-io-bitmap": at("proc", 25),
  "vmx-mtf": at("proc", 27),
  "vmx-msr-bitmap": at("proc", 28),
  "vmx-monitor-exit": at("proc", 29),
  "vmx-pause-exit": at("proc", 30),
  "vmx-secondary-ctls": at("proc", 31),
  // Secondary processor-based VM-execution controls.
  "vmx-apicv-xapic": at("proc2", 0),
  "vmx-ept": at("proc2", 1),
  "vmx-desc-exit": at("proc2", 2),
  "vmx-rdtscp-exit": at("proc2", 3), // enable RDTSCP
  "vmx-apicv-x2apic": at("proc2", 4),
  "vmx-vpid": at("proc2", 5),
  "vmx-wbinvd-exit": at("proc2", 6),
  "vmx-unrestricted-guest": at("proc2", 7),
  "vmx-apicv-register": at("proc2", 8),
  "vmx-apicv-vid": at("proc2", 9),
  "vmx-invpcid-exit": at("proc2", 12), // enable INVPCID
  "vmx-vmfunc": at("proc2", 13),
  "vmx-shadow-vmcs": at("proc2", 14),
  "vmx-pml": at("proc2", 17),
  "vmx-xsaves": at("proc2", 20),
  "vmx-mbec": at("proc2", 22),
  "vmx-tsc-scaling": at("proc2", 25),
  // VM-exit controls.
  "vmx-exit-nosave-debugctl": at("trueExit", 2),
  "vmx-exit-load-perf-global-ctrl": at("exit", 12), // with a PMU

  "vmx-exit-ack-intr": at("exit", 15),
  "vmx-exit-save-pat": at("exit", 18),
  "vmx-exit-load-pat": at("exit", 19),
  "vmx-exit-save-efer": at("exit", 20),
  "vmx-exit-load-efer": at("exit", 21),
  "vmx-exit-save-preemption-timer": at("exit", 22),
  // VM-entry controls.
  "vmx-entry-noload-debugctl": at("trueEntry", 2),
  "vmx-entry-ia32e-mode": at("entry", 9),
  "vmx-entry-load-perf-global-ctrl": at("entry", 13), // with a PMU
  "vmx-entry-load-pat": at("entry", 14),
  "vmx-entry-load-efer": at("entry", 15),
  // IA32_VMX_EPT_VPID_CAP, EPT half.
  "vmx-ept-execonly": at("ept", 0),
  "vmx-ept-2mb": at("ept", 16),
  "vmx-ept-1gb": at("ept", 17),
  "vmx-invept": at("ept", 20),
  "vmx-eptad": at("ept", 21),
  "vmx-invept-single-context": at("ept", 25),
  "vmx-invept-all-context": at("ept", 26),
  // IA32_VMX_EPT_VPID_CAP, VPID half (bit 32 + n).
  "vmx-invvpid": at("vpid", 0),
  "vmx-invvpid-single-addr": at("vpid", 8),
  "vmx-invvpid-single-context": at("vpid", 9),
  "vmx-invvpid-all-context": at("vpid", 10),
  "vmx-invvpid-single-context-noglobals": at("vpid", 11),
  // VM functions.
  "vmx-eptp-switching": at("vmfunc", 0),
  // IA32_VMX_MISC.
  "vmx-activity-hlt": at("misc", 6),
  "vmx-activity-wait-sipi": at("misc", 8),
  "vmx-vmwrite-vmexit-fields": at("misc", 29),
});
