/**
 * Bit positions of the VMX controls (SDM Vol. 3C 25.6-25.8) and of the
 * capability bits in IA32_VMX_MISC and IA32_VMX_EPT_VPID_CAP
 * (SDM Vol. 3D A.6, A.10), by name. Which of them nestvm supports is in
 * `features.ts`.
 *
 * @module
 */

/** Pin-based VM-execution controls (SDM Vol. 3C 25.6.1, Table 25-5). */
export const PIN = {
  EXTERNAL_INTERRUPT_EXITING: 1 << 0,
  NMI_EXITING: 1 << 3,
  VIRTUAL_NMIS: 1 << 5,
  PREEMPTION_TIMER: 1 << 6,
  POSTED_INTERRUPTS: 1 << 7,
} as const;

/** Primary processor-based VM-execution controls (SDM Vol. 3C 25.6.2, Table 25-6). */
export const PROC = {
  INTERRUPT_WINDOW_EXITING: 1 << 2,
  USE_TSC_OFFSETTING: 1 << 3,
  HLT_EXITING: 1 << 7,
  INVLPG_EXITING: 1 << 9,
  MWAIT_EXITING: 1 << 10,
  RDPMC_EXITING: 1 << 11,
  RDTSC_EXITING: 1 << 12,
  CR3_LOAD_EXITING: 1 << 15,
  CR3_STORE_EXITING: 1 << 16,
  ACTIVATE_TERTIARY_CONTROLS: 1 << 17,
  CR8_LOAD_EXITING: 1 << 19,
  CR8_STORE_EXITING: 1 << 20,
  USE_TPR_SHADOW: 1 << 21,
  NMI_WINDOW_EXITING: 1 << 22,
  MOV_DR_EXITING: 1 << 23,
  UNCONDITIONAL_IO_EXITING: 1 << 24,
  USE_IO_BITMAPS: 1 << 25,
  MONITOR_TRAP_FLAG: 1 << 27,
  USE_MSR_BITMAPS: 1 << 28,
  MONITOR_EXITING: 1 << 29,
  PAUSE_EXITING: 1 << 30,
  ACTIVATE_SECONDARY_CONTROLS: 2 ** 31,
} as const;

/** Secondary processor-based VM-execution controls (SDM Vol. 3C 25.6.2, Table 25-7). */
export const PROC2 = {
  VIRTUALIZE_APIC_ACCESSES: 1 << 0,
  ENABLE_EPT: 1 << 1,
  DESCRIPTOR_TABLE_EXITING: 1 << 2,
  ENABLE_RDTSCP: 1 << 3,
  VIRTUALIZE_X2APIC_MODE: 1 << 4,
  ENABLE_VPID: 1 << 5,
  WBINVD_EXITING: 1 << 6,
  UNRESTRICTED_GUEST: 1 << 7,
  APIC_REGISTER_VIRTUALIZATION: 1 << 8,
  VIRTUAL_INTERRUPT_DELIVERY: 1 << 9,
  PAUSE_LOOP_EXITING: 1 << 10,
  RDRAND_EXITING: 1 << 11,
  ENABLE_INVPCID: 1 << 12,
  ENABLE_VM_FUNCTIONS: 1 << 13,
  VMCS_SHADOWING: 1 << 14,
  ENCLS_EXITING: 1 << 15,
  RDSEED_EXITING: 1 << 16,
  ENABLE_PML: 1 << 17,
  EPT_VIOLATION_VE: 1 << 18,
  CONCEAL_VMX_FROM_PT: 1 << 19,
  ENABLE_XSAVES_XRSTORS: 1 << 20,
  MODE_BASED_EPT_EXECUTE: 1 << 22,
  USE_TSC_SCALING: 1 << 25,
} as const;

/** VM-exit controls (SDM Vol. 3C 25.7.1, Table 25-13). */
export const EXIT = {
  SAVE_DEBUG_CONTROLS: 1 << 2,
  HOST_ADDRESS_SPACE_SIZE: 1 << 9,
  LOAD_IA32_PERF_GLOBAL_CTRL: 1 << 12,
  ACKNOWLEDGE_INTERRUPT_ON_EXIT: 1 << 15,
  SAVE_IA32_PAT: 1 << 18,
  LOAD_IA32_PAT: 1 << 19,
  SAVE_IA32_EFER: 1 << 20,
  LOAD_IA32_EFER: 1 << 21,
  SAVE_PREEMPTION_TIMER: 1 << 22,
  CLEAR_IA32_BNDCFGS: 1 << 23,
} as const;

/** VM-entry controls (SDM Vol. 3C 25.8.1, Table 25-15). */
export const ENTRY = {
  LOAD_DEBUG_CONTROLS: 1 << 2,
  IA32E_MODE_GUEST: 1 << 9,
  ENTRY_TO_SMM: 1 << 10,
  DEACTIVATE_DUAL_MONITOR: 1 << 11,
  LOAD_IA32_PERF_GLOBAL_CTRL: 1 << 13,
  LOAD_IA32_PAT: 1 << 14,
  LOAD_IA32_EFER: 1 << 15,
  LOAD_IA32_BNDCFGS: 1 << 16,
} as const;

/**
 * "Default1" bits (SDM Vol. 3D A.2): reserved controls that the legacy
 * capability MSRs report as must-be-1.
 */
export const DEFAULT1 = {
  /** Pin-based: bits 1, 2, 4. */
  PIN: 0x00000016,
  /** Primary processor-based: bits 1, 4-6, 8, 13-16, 26. */
  PROC: 0x0401e172,
  /** VM-exit: bits 0-8, 10, 11, 13, 14, 16, 17. */
  EXIT: 0x00036dff,
  /** VM-entry: bits 0-8, 12. */
  ENTRY: 0x000011ff,
} as const;

/** IA32_VMX_EPT_VPID_CAP bits (SDM Vol. 3D A.10), low and high 32-bit halves. */
export const EPT_CAP = {
  /** Low half: execute-only translations. */
  EXECUTE_ONLY: 1 << 0,
  /** Low half: page-walk length of 4. */
  PAGE_WALK_4: 1 << 6,
  /** Low half: uncacheable EPT paging-structure memory type. */
  MEMTYPE_UC: 1 << 8,
  /** Low half: write-back EPT paging-structure memory type. */
  MEMTYPE_WB: 1 << 14,
  /** Low half: 2-MByte EPT pages. */
  PAGE_2M: 1 << 16,
  /** Low half: 1-GByte EPT pages. */
  PAGE_1G: 1 << 17,
  /** Low half: INVEPT supported. */
  INVEPT: 1 << 20,
  /** Low half: accessed and dirty flags. */
  ACCESSED_DIRTY: 1 << 21,
  /** Low half: advanced VM-exit information for EPT violations. */
  ADVANCED_EXIT_INFO: 1 << 22,
  /** Low half: single-context INVEPT. */
  INVEPT_SINGLE_CONTEXT: 1 << 25,
  /** Low half: all-context INVEPT. */
  INVEPT_ALL_CONTEXT: 1 << 26,
  /** High half (bit 32): INVVPID supported. */
  INVVPID: 1 << 0,
  /** High half (bit 40): individual-address INVVPID. */
  INVVPID_INDIVIDUAL_ADDRESS: 1 << 8,
  /** High half (bit 41): single-context INVVPID. */
  INVVPID_SINGLE_CONTEXT: 1 << 9,
  /** High half (bit 42): all-context INVVPID. */
  INVVPID_ALL_CONTEXT: 1 << 10,
  /** High half (bit 43): single-context-retaining-globals INVVPID. */
  INVVPID_SINGLE_CONTEXT_RETAIN_GLOBALS: 1 << 11,
} as const;

/** IA32_VMX_MISC bits (SDM Vol. 3D A.6). */
export const MISC = {
  /** Bits 4:0: the preemption timer counts down at TSC >> this rate. */
  PREEMPTION_TIMER_RATE_MASK: 0x1f,
  /** Bit 5: VM exits store EFER.LMA into the "IA-32e mode guest" entry control. */
  STORE_LMA: 1 << 5,
  /** Bit 6: activity state HLT supported. */
  ACTIVITY_HLT: 1 << 6,
  /** Bit 7: activity state shutdown supported. */
  ACTIVITY_SHUTDOWN: 1 << 7,
  /** Bit 8: activity state wait-for-SIPI supported. */
  ACTIVITY_WAIT_SIPI: 1 << 8,
  /** Bits 24:16: number of CR3-target values. */
  CR3_TARGET_SHIFT: 16,
  /** Bits 27:25: MSR-list maximum is 512 * (N + 1). */
  MSR_LIST_SHIFT: 25,
  /** Bit 29: VMWRITE may write any field, including read-only exit-information fields. */
  VMWRITE_ANY_FIELD: 1 << 29,
  /** Bit 30: VM entry may inject software interrupts/exceptions with instruction length 0. */
  ZERO_LENGTH_INJECTION: 1 << 30,
} as const;
