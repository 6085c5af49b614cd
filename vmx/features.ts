/**
 * The VMX feature set nestvm advertises to L1: the one place that says
 * which controls and capabilities exist. The capability MSRs (`msrs.ts`)
 * are computed from it, and VM entry (part 2) checks controls against it,
 * so what L1 is told and what is implemented cannot drift apart.
 *
 * To add a feature: implement it, then add its bit here.
 *
 * @module
 */

import { ENTRY, EPT_CAP, EXIT, MISC, PIN, PROC, PROC2 } from "./controls.ts";
import { VMX_CAPABILITY_NAMES, type VmxCapabilityWord } from "../core/vmx_capability_names.ts";

/** The advertised VMX feature set. */
export interface VmxFeatures {
  /** Pin-based controls that may be 1 (beyond the default1 bits). */
  readonly pin: number;
  /** Primary processor-based controls that may be 1. */
  readonly proc: number;
  /** Secondary processor-based controls that may be 1. */
  readonly proc2: number;
  /** VM-exit controls that may be 1. */
  readonly exit: number;
  /** VM-entry controls that may be 1. */
  readonly entry: number;
  /**
   * Default1 controls that the TRUE_* MSRs allow to be 0 (because we
   * implement them as real controls).
   */
  readonly trueAllowed0: {
    readonly pin: number;
    readonly proc: number;
    readonly exit: number;
    readonly entry: number;
  };
  /** IA32_VMX_EPT_VPID_CAP, low and high halves. */
  readonly eptVpidCapLo: number;
  /** High half of IA32_VMX_EPT_VPID_CAP. */
  readonly eptVpidCapHi: number;
  /** VM functions (IA32_VMX_VMFUNC), meaningful only with ENABLE_VM_FUNCTIONS. */
  readonly vmfunc: number;
  /** Preemption timer rate: the timer counts TSC >> rate. */
  readonly preemptionTimerRate: number;
  /** Activity states beyond "active" (MISC bits 8:6 as a mask already shifted). */
  readonly activityStates: number;
  /** Number of CR3-target values (0-256; SDM: at most 4 are in the VMCS). */
  readonly cr3TargetCount: number;
  /** MSR-list size code N: lists may hold 512 * (N + 1) entries. */
  readonly msrListCode: number;
  /** Whether VMWRITE may write read-only exit-information fields (MISC bit 29). */
  readonly vmwriteAnyField: boolean;
  /** Whether VM entry injects software events with length 0 (MISC bit 30). */
  readonly zeroLengthInjection: boolean;
  /** Bits that must be 1 in CR0 in VMX operation. */
  readonly cr0Fixed0: number;
  /** Bits that may be 1 in CR0 in VMX operation. */
  readonly cr0Fixed1: number;
  /** Bits that must be 1 in CR4 in VMX operation. */
  readonly cr4Fixed0: number;
  /** Bits that may be 1 in CR4 in VMX operation. */
  readonly cr4Fixed1: number;
  /**
   * MAXPHYADDR of the CPU model (CPUID 0x80000008 EAX[7:0]): the width
   * VM entry checks physical addresses against (VMCS pointers, bitmaps,
   * MSR lists, CR3, PDPTEs, EPTP) and EPT's reserved bits.
   */
  readonly physBits: number;
  /**
   * IA32_DEBUGCTL bits the CPU implements: the others are reserved, and VM
   * entry with "load debug controls" fails when the guest field sets one
   * (SDM Vol. 3C 27.3.1.1).
   */
  readonly debugctlBits: number;
  /**
   * The bits IA32_PERF_GLOBAL_CTRL may hold, [bits 31:0, bits 63:32]: the
   * CPU model's performance counters ([0, 0]: no PMU). With a PMU the
   * "load IA32_PERF_GLOBAL_CTRL" VM-entry and VM-exit controls exist, and
   * VM entry checks their fields against these bits (SDM Vol. 3C 27.2.2,
   * 27.3.1.1).
   */
  readonly perfGlobalCtrlBits: readonly [number, number];
}

/** The feature set of this version of nestvm. */
export const VMX_FEATURES: VmxFeatures = Object.freeze({
  pin: PIN.EXTERNAL_INTERRUPT_EXITING | PIN.NMI_EXITING | PIN.VIRTUAL_NMIS |
    PIN.PREEMPTION_TIMER | PIN.POSTED_INTERRUPTS,
  proc: (PROC.INTERRUPT_WINDOW_EXITING | PROC.USE_TSC_OFFSETTING | PROC.HLT_EXITING |
    PROC.INVLPG_EXITING | PROC.MWAIT_EXITING | PROC.RDPMC_EXITING | PROC.RDTSC_EXITING |
    PROC.CR3_LOAD_EXITING | PROC.CR3_STORE_EXITING | PROC.CR8_LOAD_EXITING |
    PROC.CR8_STORE_EXITING | PROC.USE_TPR_SHADOW | PROC.NMI_WINDOW_EXITING | PROC.MOV_DR_EXITING |
    PROC.UNCONDITIONAL_IO_EXITING | PROC.USE_IO_BITMAPS | PROC.MONITOR_TRAP_FLAG |
    PROC.USE_MSR_BITMAPS | PROC.MONITOR_EXITING | PROC.PAUSE_EXITING |
    PROC.ACTIVATE_SECONDARY_CONTROLS) >>> 0,
  proc2: PROC2.ENABLE_EPT | PROC2.DESCRIPTOR_TABLE_EXITING | PROC2.ENABLE_RDTSCP |
    PROC2.ENABLE_VPID | PROC2.WBINVD_EXITING | PROC2.ENABLE_INVPCID | PROC2.ENABLE_PML |
    PROC2.UNRESTRICTED_GUEST | PROC2.VMCS_SHADOWING | PROC2.ENABLE_XSAVES_XRSTORS |
    PROC2.VIRTUALIZE_APIC_ACCESSES | PROC2.VIRTUALIZE_X2APIC_MODE |
    PROC2.APIC_REGISTER_VIRTUALIZATION | PROC2.VIRTUAL_INTERRUPT_DELIVERY |
    PROC2.MODE_BASED_EPT_EXECUTE | PROC2.ENABLE_VM_FUNCTIONS | PROC2.USE_TSC_SCALING |
    PROC2.EPT_VIOLATION_VE, // #VE: ept/virtualization_exception.ts
  exit: EXIT.SAVE_DEBUG_CONTROLS | EXIT.HOST_ADDRESS_SPACE_SIZE |
    EXIT.ACKNOWLEDGE_INTERRUPT_ON_EXIT | EXIT.SAVE_IA32_PAT | EXIT.LOAD_IA32_PAT |
    EXIT.SAVE_IA32_EFER | EXIT.LOAD_IA32_EFER | EXIT.SAVE_PREEMPTION_TIMER,
  entry: ENTRY.LOAD_DEBUG_CONTROLS | ENTRY.IA32E_MODE_GUEST | ENTRY.LOAD_IA32_PAT |
    ENTRY.LOAD_IA32_EFER,
  trueAllowed0: Object.freeze({
    pin: 0,
    proc: PROC.CR3_LOAD_EXITING | PROC.CR3_STORE_EXITING,
    exit: EXIT.SAVE_DEBUG_CONTROLS,
    entry: ENTRY.LOAD_DEBUG_CONTROLS,
  }),
  eptVpidCapLo: EPT_CAP.EXECUTE_ONLY | EPT_CAP.PAGE_WALK_4 | EPT_CAP.MEMTYPE_UC |
    EPT_CAP.MEMTYPE_WB | EPT_CAP.PAGE_2M | EPT_CAP.PAGE_1G | EPT_CAP.INVEPT |
    EPT_CAP.INVEPT_SINGLE_CONTEXT | EPT_CAP.INVEPT_ALL_CONTEXT | EPT_CAP.ACCESSED_DIRTY,
  eptVpidCapHi: EPT_CAP.INVVPID | EPT_CAP.INVVPID_INDIVIDUAL_ADDRESS |
    EPT_CAP.INVVPID_SINGLE_CONTEXT | EPT_CAP.INVVPID_ALL_CONTEXT |
    EPT_CAP.INVVPID_SINGLE_CONTEXT_RETAIN_GLOBALS,
  vmfunc: 1, // EPTP switching (vmx/nonroot/vmfunc.ts)
  preemptionTimerRate: 5,
  activityStates: MISC.ACTIVITY_HLT | MISC.ACTIVITY_WAIT_SIPI,
  cr3TargetCount: 4,
  msrListCode: 0,
  vmwriteAnyField: true,
  zeroLengthInjection: false,
  // PE, NE, PG (no unrestricted guest).
  cr0Fixed0: 0x80000021,
  cr0Fixed1: 0xffffffff,
  // VMXE.
  cr4Fixed0: 0x00002000,
  // TSD DE PSE PAE MCE PGE PCE VMXE FSGSBASE PCIDE SMEP SMAP: a
  // baseline for a vCPU of unknown model; `createMachine` gives the plugin
  // the CPU model's writable CR4 bits instead (OSFXSR, OSXSAVE... as CPUID
  // says), through `vmxFeaturesFor`.
  cr4Fixed1: 0x003321fc,
  physBits: 40,
  // LBR and BTF: what WRMSR accepts (cpu/msr.ts DEBUGCTL_WRITABLE).
  debugctlBits: 0x3,
  // No PMU unless the CPU model has one (vmxFeaturesFor).
  perfGlobalCtrlBits: Object.freeze([0, 0] as const),
});

/** The CPU-model facts the VMX feature set derives from. */
export interface VmxCpuFacts {
  /** MAXPHYADDR (CPUID 0x80000008 EAX[7:0]). */
  readonly physBits: number;
  /** Whether 1 GiB pages exist (CPUID 0x80000001 EDX.Page1GB): also offered for EPT. */
  readonly page1G: boolean;
  /** CR4 bits the CPU accepts (`cr4Writable` of the model): IA32_VMX_CR4_FIXED1. */
  readonly cr4Bits?: number;
  /** IA32_DEBUGCTL bits WRMSR accepts: the bits VM entry may load. */
  readonly debugctlBits?: number;
  /** VMX capabilities switched off by QEMU's names (`-cpu ...,-vmx-ept`; core/vmx_capability_names.ts). */
  readonly vmxOff?: ReadonlySet<string>;
  /**
   * IA32_PERF_GLOBAL_CTRL's writable bits with the model's PMU
   * (`perfGlobalCtrlBits` in cpu/pmu.ts); absent or [0, 0]: no PMU, and no
   * "load IA32_PERF_GLOBAL_CTRL" controls.
   */
  readonly perfGlobalCtrlBits?: readonly [number, number];
}

/**
 * The feature set for a CPU model: {@link VMX_FEATURES} with the model's
 * MAXPHYADDR, without 1 GiB EPT pages when the model has no 1 GiB pages
 * (so IA32_VMX_EPT_VPID_CAP and the VM-entry and EPT checks agree with
 * CPUID), and without the capabilities the model switched off
 * ({@link withoutCapabilities}).
 */
export function vmxFeaturesFor(facts: VmxCpuFacts, base: VmxFeatures = VMX_FEATURES): VmxFeatures {
  const pgc = facts.perfGlobalCtrlBits ?? [0, 0];
  // "load IA32_PERF_GLOBAL_CTRL" exists exactly when the MSR does.
  const withPmu = pgc[0] !== 0 || pgc[1] !== 0
    ? Object.freeze({
      ...base,
      exit: (base.exit | EXIT.LOAD_IA32_PERF_GLOBAL_CTRL) >>> 0,
      entry: (base.entry | ENTRY.LOAD_IA32_PERF_GLOBAL_CTRL) >>> 0,
    })
    : base;
  const f = withoutCapabilities(withPmu, facts.vmxOff ?? new Set());
  return Object.freeze({
    ...f,
    perfGlobalCtrlBits: Object.freeze([pgc[0] >>> 0, pgc[1] >>> 0] as const),
    physBits: facts.physBits,
    // A CR4 bit may be 1 in VMX operation exactly when the CPU supports it (SDM A.8).
    cr4Fixed1: facts.cr4Bits === undefined ? f.cr4Fixed1 : (facts.cr4Bits | 0x2000) >>> 0,
    debugctlBits: facts.debugctlBits ?? f.debugctlBits,
    eptVpidCapLo: facts.page1G ? f.eptVpidCapLo : f.eptVpidCapLo & ~EPT_CAP.PAGE_1G,
  });
}

/**
 * `base` without the capabilities named in `off` (QEMU's `vmx-*` names,
 * core/vmx_capability_names.ts; unknown names change nothing), and without
 * what can no longer be used once they are gone, as VM entry's checks
 * have it (SDM Vol. 3C 27.2.1.1): no secondary controls without "activate
 * secondary controls"; no unrestricted guest, MBEC, PML, EPTP switching or
 * EPT capabilities without EPT; no INVVPID without VPIDs; no VM functions
 * without "enable VM functions"; no x2APIC, APIC-register or
 * virtual-interrupt virtualization without "use TPR shadow"; no posted
 * interrupts without virtual-interrupt delivery and "acknowledge interrupt
 * on exit"; no virtual NMIs without NMI exiting, and no NMI-window exiting
 * without virtual NMIs.
 */
export function withoutCapabilities(base: VmxFeatures, off: ReadonlySet<string>): VmxFeatures {
  const cut: Record<VmxCapabilityWord, number> = {
    pin: 0,
    proc: 0,
    proc2: 0,
    exit: 0,
    entry: 0,
    trueProc: 0,
    trueExit: 0,
    trueEntry: 0,
    ept: 0,
    vpid: 0,
    vmfunc: 0,
    misc: 0,
  };
  for (const name of off) {
    const c = VMX_CAPABILITY_NAMES[name];
    if (c !== undefined) cut[c.word] |= c.bits;
  }
  let pin = base.pin & ~cut.pin;
  let proc = base.proc & ~cut.proc;
  let proc2 = base.proc2 & ~cut.proc2;
  const exit = base.exit & ~cut.exit;
  let eptLo = base.eptVpidCapLo & ~cut.ept;
  let eptHi = base.eptVpidCapHi & ~cut.vpid;
  let vmfunc = base.vmfunc & ~cut.vmfunc;
  if ((proc & PROC.ACTIVATE_SECONDARY_CONTROLS) === 0) proc2 = 0;
  if ((proc & PROC.USE_TPR_SHADOW) === 0) {
    proc2 &= ~(PROC2.VIRTUALIZE_X2APIC_MODE | PROC2.APIC_REGISTER_VIRTUALIZATION |
      PROC2.VIRTUAL_INTERRUPT_DELIVERY);
  }
  if ((proc2 & PROC2.ENABLE_EPT) === 0) {
    proc2 &= ~(PROC2.UNRESTRICTED_GUEST | PROC2.MODE_BASED_EPT_EXECUTE | PROC2.ENABLE_PML);
    eptLo = 0;
    vmfunc &= ~1; // EPTP switching
  }
  if ((proc2 & PROC2.ENABLE_VPID) === 0) eptHi = 0;
  if ((proc2 & PROC2.ENABLE_VM_FUNCTIONS) === 0) vmfunc = 0;
  if (
    (proc2 & PROC2.VIRTUAL_INTERRUPT_DELIVERY) === 0 ||
    (exit & EXIT.ACKNOWLEDGE_INTERRUPT_ON_EXIT) === 0
  ) {
    pin &= ~PIN.POSTED_INTERRUPTS;
  }
  if ((pin & PIN.NMI_EXITING) === 0) pin &= ~PIN.VIRTUAL_NMIS;
  if ((pin & PIN.VIRTUAL_NMIS) === 0) proc &= ~PROC.NMI_WINDOW_EXITING;
  return Object.freeze({
    ...base,
    pin: pin >>> 0,
    proc: proc >>> 0,
    proc2: proc2 >>> 0,
    exit: exit >>> 0,
    entry: (base.entry & ~cut.entry) >>> 0,
    trueAllowed0: Object.freeze({
      pin: base.trueAllowed0.pin,
      proc: (base.trueAllowed0.proc & ~cut.trueProc) >>> 0,
      exit: (base.trueAllowed0.exit & ~cut.trueExit) >>> 0,
      entry: (base.trueAllowed0.entry & ~cut.trueEntry) >>> 0,
    }),
    eptVpidCapLo: eptLo >>> 0,
    eptVpidCapHi: eptHi >>> 0,
    vmfunc: vmfunc >>> 0,
    activityStates: base.activityStates & ~cut.misc,
    vmwriteAnyField: base.vmwriteAnyField && (cut.misc & MISC.VMWRITE_ANY_FIELD) === 0,
  });
}
