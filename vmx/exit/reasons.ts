/**
 * Basic VM-exit reasons (SDM Vol. 3D Appendix C) and the layout of the
 * exit-reason, interruption-information and IDT-vectoring fields
 * (SDM Vol. 3C 28.2.1-28.2.4).
 *
 * @module
 */

/** Basic exit reasons (bits 15:0 of the exit-reason field). */
export const enum Reason {
  EXCEPTION_NMI = 0,
  EXTERNAL_INTERRUPT = 1,
  TRIPLE_FAULT = 2,
  INIT = 3,
  SIPI = 4,
  IO_SMI = 5,
  OTHER_SMI = 6,
  INTERRUPT_WINDOW = 7,
  NMI_WINDOW = 8,
  TASK_SWITCH = 9,
  CPUID = 10,
  GETSEC = 11,
  HLT = 12,
  INVD = 13,
  INVLPG = 14,
  RDPMC = 15,
  RDTSC = 16,
  RSM = 17,
  VMCALL = 18,
  VMCLEAR = 19,
  VMLAUNCH = 20,
  VMPTRLD = 21,
  VMPTRST = 22,
  VMREAD = 23,
  VMRESUME = 24,
  VMWRITE = 25,
  VMXOFF = 26,
  VMXON = 27,
  CR_ACCESS = 28,
  DR_ACCESS = 29,
  IO_INSTRUCTION = 30,
  RDMSR = 31,
  WRMSR = 32,
  ENTRY_FAIL_GUEST_STATE = 33,
  ENTRY_FAIL_MSR_LOADING = 34,
  MWAIT = 36,
  MONITOR_TRAP_FLAG = 37,
  MONITOR = 39,
  PAUSE = 40,
  ENTRY_FAIL_MACHINE_CHECK = 41,
  TPR_BELOW_THRESHOLD = 43,
  APIC_ACCESS = 44,
  VIRTUALIZED_EOI = 45,
  GDTR_IDTR = 46,
  LDTR_TR = 47,
  EPT_VIOLATION = 48,
  EPT_MISCONFIG = 49,
  INVEPT = 50,
  RDTSCP = 51,
  PREEMPTION_TIMER = 52,
  INVVPID = 53,
  WBINVD = 54,
  XSETBV = 55,
  APIC_WRITE = 56,
  RDRAND = 57,
  INVPCID = 58,
  VMFUNC = 59,
  ENCLS = 60,
  RDSEED = 61,
  PML_FULL = 62,
  XSAVES = 63,
  XRSTORS = 64,
}

/** Number of basic exit reasons we count (0..REASON_COUNT-1). */
export const REASON_COUNT = 86;

/** Exit-reason bit 31: VM-entry failure. */
export const EXIT_REASON_ENTRY_FAILURE = 0x80000000;

/** Interruption-information bit 31: valid. */
export const INTR_INFO_VALID = 0x80000000;
/** Interruption-information bit 11: error code valid / deliver error code. */
export const INTR_INFO_ERROR_CODE = 0x800;
/** Interruption-information bit 12: NMI unblocking due to IRET. */
export const INTR_INFO_NMI_UNBLOCKING = 0x1000;

/** Interruption types (bits 10:8). */
export const enum IntrType {
  EXTERNAL = 0,
  NMI = 2,
  HARDWARE_EXCEPTION = 3,
  SOFTWARE_INTERRUPT = 4,
  PRIVILEGED_SOFTWARE_EXCEPTION = 5,
  SOFTWARE_EXCEPTION = 6,
  OTHER = 7,
}

/** Exit qualifications of VM-entry failures (SDM Vol. 3C 27.8). */
export const enum EntryFailQual {
  /** Default: invalid guest state. */
  DEFAULT = 0,
  /** Failure loading PDPTEs. */
  PDPTE = 2,
  /** NMI injection with blocking by STI. */
  NMI_STI = 3,
  /** Invalid VMCS link pointer. */
  LINK_POINTER = 4,
}

/** VMX-abort indicators (SDM Vol. 3C 28.7). */
export const enum AbortCode {
  SAVE_GUEST_MSRS = 1,
  HOST_PDPTE = 2,
  CORRUPTED_VMCS = 3,
  LOAD_HOST_MSRS = 4,
  MACHINE_CHECK = 5,
  HOST_32_FROM_64 = 6,
}

/** Encode interruption information from its parts. */
export function intrInfo(vector: number, type: number, hasErrorCode: boolean): number {
  return (INTR_INFO_VALID | (hasErrorCode ? INTR_INFO_ERROR_CODE : 0) | ((type & 7) << 8) |
    (vector & 0xff)) >>> 0;
}
