/**
 * The typed VM exits that the CPU engine raises for everything it does not
 * own, modelled on what a hypervisor sees. Every exit names the
 * virtualization level that raised it: 1 for the guest hypervisor (L1, or a
 * plain guest), 2 for a nested guest running in VMX non-root operation.
 *
 * Exits are plain objects; handlers fill in the result fields (`value`,
 * `eax`..`edx`, `lo`/`hi`) and return an {@link ExitDisposition}. An exit
 * object is valid only while it is being dispatched: the CPU reuses the
 * objects of frequent exits (HLT, PAUSE, RDTSC, the window exits), so an
 * observer or handler that keeps anything must copy it.
 *
 * Numbers: port numbers, sizes and 32-bit data are JS numbers. 64-bit data
 * is split in `lo`/`hi` unsigned 32-bit halves so that no BigInt is needed.
 * Guest-physical addresses are numbers (below 2^52, so exact); guest-linear
 * addresses are numbers holding the canonical (sign-extended) value.
 *
 * @module
 */

/** Virtualization level of the code that caused an exit. */
export type Level = 1 | 2;

/** Access size in bytes of a port or MMIO access. */
export type AccessSize = 1 | 2 | 4 | 8;

/** The VMX instructions, as the CPU decodes them. */
export type VmxInstruction =
  | "vmxon"
  | "vmxoff"
  | "vmclear"
  | "vmptrld"
  | "vmptrst"
  | "vmread"
  | "vmwrite"
  | "vmlaunch"
  | "vmresume"
  | "vmcall"
  | "invept"
  | "invvpid"
  | "vmfunc";

/**
 * How a VMX instruction's operands were encoded, enough to evaluate them and
 * to build the VM-exit instruction-information field (SDM Vol. 3C 28.2.5).
 */
export interface VmxOperands {
  /** Memory operand, when the instruction has one (linear address computed). */
  readonly mem?: {
    /** Effective (offset) address after address-size truncation. */
    readonly offset: number;
    /** Linear address = segment base + offset (canonical in 64-bit mode). */
    readonly linear: number;
    /** Segment register index (0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS). */
    readonly segment: number;
    /** Address size in bits. */
    readonly addressSize: 16 | 32 | 64;
    /** Base register number, or -1. */
    readonly base: number;
    /** Index register number, or -1. */
    readonly index: number;
    /** Scale as the log2 of the factor (0-3). */
    readonly scale: number;
    /** Displacement (sign-extended), reported as the exit qualification. */
    readonly displacement: number;
  };
  /** Register operand in ModRM.rm for register forms (VMREAD/VMWRITE), or -1. */
  readonly rmReg: number;
  /** Register operand in ModRM.reg (VMREAD/VMWRITE/INVEPT/INVVPID), or -1. */
  readonly regReg: number;
  /** Operand size in bits used by VMREAD/VMWRITE (32 or 64). */
  readonly operandSize: 32 | 64;
}

/** Direction of a port or MMIO access. */
export type Direction = "in" | "out";

/**
 * A VM exit: one event that the CPU hands to the plugin bus. Result fields
 * are written by the handler.
 */
export type VmExit =
  | IoExit
  | MmioExit
  | CpuidExit
  | MsrReadExit
  | MsrWriteExit
  | HltExit
  | VmxInstructionExit
  | ExceptionExit
  | TripleFaultExit
  | CrAccessExit
  | DrAccessExit
  | SimpleInstructionExit
  | InvlpgExit
  | XsavesExit
  | DescriptorTableExit
  | ExternalInterruptExit
  | WindowExit
  | SipiExit
  | TaskSwitchExit
  | EptExit;

/** Fields every exit carries. */
export interface ExitBase {
  /** Level of the guest that caused the exit. */
  readonly level: Level;
  /** Length of the instruction causing the exit (0 for events). */
  readonly instructionLength: number;
}

/**
 * Port I/O (IN/OUT and, with `string`, INS/OUTS one element at a time).
 * For `in`, the handler sets `value`.
 */
export interface IoExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "io";
  /** I/O port number (0-0xffff). */
  readonly port: number;
  /** Access size in bytes. */
  readonly size: 1 | 2 | 4;
  /** Whether data goes into the guest (in/read) or out of it (out/write). */
  readonly direction: Direction;
  /** Data written (out) or read (in, set by the handler). */
  value: number;
  /**
   * Set for INS/OUTS: the REP prefix, the linear address of the element,
   * and (for the VM-exit instruction information) the instruction's address
   * size and segment register (0 ES .. 5 GS; ES for INS).
   */
  readonly string?: {
    readonly rep: boolean;
    readonly linear: number;
    readonly addressSize?: 16 | 32 | 64;
    readonly segment?: number;
  };
  /** True when the port came from DX, false for the immediate form. */
  readonly dxForm: boolean;
}

/** An access to guest-physical MMIO that a plugin owns. */
export interface MmioExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "mmio";
  /** Guest-physical address of the access. */
  readonly gpa: number;
  /** Access size in bytes. */
  readonly size: AccessSize;
  /** Whether data goes into the guest (in/read) or out of it (out/write). */
  readonly direction: Direction;
  /** Low 32 bits of data written or (set by handler) read. */
  value: number;
  /** High 32 bits for 8-byte accesses. */
  valueHi: number;
}

/** CPUID: the handler sets `eax`..`edx` (pre-filled with the CPU model's answer). */
export interface CpuidExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "cpuid";
  /** CPUID leaf (EAX on entry). */
  readonly leaf: number;
  /** CPUID subleaf (ECX on entry). */
  readonly subleaf: number;
  /** Result EAX (pre-filled with the CPU model's answer). */
  eax: number;
  /** Result EBX (pre-filled with the CPU model's answer). */
  ebx: number;
  /** Result ECX (pre-filled with the CPU model's answer). */
  ecx: number;
  /** Result EDX (pre-filled with the CPU model's answer). */
  edx: number;
}

/** RDMSR of an MSR the CPU does not implement itself; the handler sets lo/hi. */
export interface MsrReadExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "rdmsr";
  /** MSR index (ECX). */
  readonly msr: number;
  /** Low 32 bits of the MSR value (EAX). */
  lo: number;
  /** High 32 bits of the MSR value (EDX). */
  hi: number;
}

/** WRMSR of an MSR the CPU does not implement itself. */
export interface MsrWriteExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "wrmsr";
  /** MSR index (ECX). */
  readonly msr: number;
  /** Low 32 bits of the MSR value (EAX). */
  readonly lo: number;
  /** High 32 bits of the MSR value (EDX). */
  readonly hi: number;
}

/** HLT (seen by plugins only at level 2 or when asked for). */
export interface HltExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "hlt";
}

/** A VMX instruction (VMXON ... VMFUNC). */
export interface VmxInstructionExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "vmx";
  /** Which instruction. */
  readonly instruction: VmxInstruction;
  /** Operand encoding, for evaluation and the VM-exit instruction-information field. */
  readonly operands: VmxOperands;
}

/** An exception or NMI about to be delivered (only where someone asked). */
export interface ExceptionExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "exception";
  /** Exception vector (0-31) or interrupt vector. */
  readonly vector: number;
  /** Error code, or -1 when the exception has none. */
  readonly errorCode: number;
  /** Exception class: hardware exception, NMI, software exception (INT3/INTO), INT n. */
  readonly type:
    | "hardware"
    | "nmi"
    | "software-exception"
    | "software-interrupt"
    | "privileged-software";
  /** Faulting linear address for #PF (CR2 value). */
  readonly faultAddress: number;
}

/** Triple fault: the CPU shuts down unless a plugin turns it into a VM exit. */
export interface TripleFaultExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "triple-fault";
}

/** MOV to/from CR0/CR3/CR4/CR8, CLTS and LMSW (SDM Table 28-3). */
export interface CrAccessExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "cr";
  /** Control register number. */
  readonly cr: 0 | 3 | 4 | 8;
  /** Access type (SDM Vol. 3C Table 28-3). */
  readonly access: "mov-to" | "mov-from" | "clts" | "lmsw";
  /** GPR number for MOV forms, -1 otherwise. */
  readonly gpr: number;
  /** New value (low 32 bits) for mov-to and lmsw (source data). */
  readonly valueLo: number;
  /** New value (high 32 bits) for mov-to. */
  readonly valueHi: number;
  /** For LMSW with a memory operand: its linear address, else -1. */
  readonly lmswLinear: number;
}

/** MOV to/from a debug register. */
export interface DrAccessExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "dr";
  /** Debug register number. */
  readonly dr: number;
  /** Whether data goes into the guest (in/read) or out of it (out/write). */
  readonly direction: "to" | "from";
  /** General register number (RAX=0 ... R15=15). */
  readonly gpr: number;
}

/**
 * Instructions with no operands worth reporting beyond their kind.
 * `vmmcall` (AMD's hypercall instruction, which no processor without a
 * hypervisor executes: #UD when nobody takes it) is raised at level 1 only;
 * in VMX non-root operation it is #UD, as on any Intel processor.
 */
export interface SimpleInstructionExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind:
    | "vmmcall"
    | "rdtsc"
    | "rdtscp"
    | "rdpmc"
    | "invd"
    | "wbinvd"
    | "getsec"
    | "xsetbv"
    | "pause"
    | "monitor"
    | "mwait"
    | "rsm"
    | "rdrand"
    | "rdseed";
}

/** INVLPG / INVPCID. */
export interface InvlpgExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "invlpg" | "invpcid";
  /** Linear address (INVLPG) or the descriptor's linear address (INVPCID). */
  readonly linear: number;
  /** INVPCID type register value, else 0. */
  readonly invpcidType: number;
  /** VMX instruction-information operands for the memory operand. */
  readonly operands: VmxOperands;
}

/**
 * XSAVES / XRSTORS in VMX non-root operation (SDM Vol. 3C 26.1.3): #UD
 * unless "enable XSAVES/XRSTORS", else a VM exit when EDX:EAX AND IA32_XSS
 * AND the XSS-exiting bitmap is not zero.
 */
export interface XsavesExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "xsaves" | "xrstors";
  /** Low 32 bits of EDX:EAX AND IA32_XSS (0 when CPL > 0: the #GP comes first). */
  readonly requestedLo: number;
  /** High 32 bits of EDX:EAX AND IA32_XSS. */
  readonly requestedHi: number;
  /** VMX instruction-information operands for the memory operand. */
  readonly operands: VmxOperands;
}

/** LGDT/LIDT/SGDT/SIDT and LLDT/LTR/SLDT/STR. */
export interface DescriptorTableExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "gdtr-idtr" | "ldtr-tr";
  /** Which instruction. */
  readonly instruction: "sgdt" | "sidt" | "lgdt" | "lidt" | "sldt" | "str" | "lldt" | "ltr";
  /** Operand encoding, for evaluation and the VM-exit instruction-information field. */
  readonly operands: VmxOperands;
}

/**
 * An external interrupt or NMI arriving while the guest runs. For an
 * external interrupt, "pass" lets the CPU acknowledge and deliver it;
 * "handled" means the handler acknowledged it itself and nothing is
 * delivered (posted-interrupt processing).
 */
export interface ExternalInterruptExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "external-interrupt" | "nmi";
}

/**
 * Interrupt window / NMI window open, monitor trap flag, preemption timer;
 * an INIT signal arriving (`init-signal`: "handled" keeps it latched,
 * as VMX root operation blocks INIT; "pass" lets the CPU perform the INIT
 * reset); APIC-write emulation due after an operation that wrote to the
 * APIC-access page (`apic-write`, requested by the VMX plugin).
 */
export interface WindowExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind:
    | "interrupt-window"
    | "nmi-window"
    | "monitor-trap"
    | "preemption-timer"
    | "init-signal"
    | "apic-write";
}

/**
 * A startup IPI arriving while the vCPU is in the wait-for-SIPI activity
 * state in VMX non-root operation: a VM exit (basic reason 4, SDM Vol. 3C
 * 26.2) with the vector as exit qualification. Unhandled, it is dropped.
 */
export interface SipiExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "sipi";
  /** The SIPI's vector. */
  readonly vector: number;
}

/**
 * An attempt at a task switch in VMX non-root operation (a far CALL, JMP
 * or IRET to a task, or a task gate in the IDT), raised after the checks
 * on the new TSS descriptor pass (SDM Vol. 3C 26.6.2, "Treatment of Task
 * Switches"). Task switches are not allowed there: it is always a VM exit
 * (basic reason 9), and the task switch does not happen. Level 2 only.
 */
export interface TaskSwitchExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "task-switch";
  /** Selector of the TSS the guest attempted to switch to. */
  readonly selector: number;
  /** What started it (the exit qualification's bits 31:30: CALL 0, IRET 1, JMP 2, IDT 3). */
  readonly source: "call" | "iret" | "jmp" | "idt";
}

/**
 * A guest-physical access of L2 that L1's EPT does not allow (violation)
 * or whose EPT entry is malformed (misconfiguration), or that needed an
 * EPT accessed/dirty flag set while the page-modification log is full
 * (pml-full, SDM Vol. 3C 29.3.6), found while
 * translating through the translator the VMX plugin installed on the
 * vCPU (SDM Vol. 3C 29.3.3); or an access to the APIC-access page that is
 * not virtualized (apic-access, SDM 29.4), found by that translator or
 * by the plugin's handler of the access (`Vcpu.holdExit`). Fault-like:
 * the instruction (or the event delivery) is not completed. A handler may
 * raise a guest exception instead (`Vcpu.raiseException`): the CPU then
 * delivers it as a fault of that instruction (an EPT violation converted
 * to a virtualization exception, SDM Vol. 3C 26.5.7).
 */
export interface EptExit extends ExitBase {
  /** Discriminant: what caused the exit. */
  readonly kind: "ept-violation" | "ept-misconfig" | "pml-full" | "apic-access";
  /** The L2 guest-physical address whose translation failed (or that was accessed). */
  readonly gpa: number;
  /** The guest-linear address of the access, or NaN when there is none. */
  readonly linear: number;
  /** Exit qualification (SDM Table 28-7); 0 for a misconfiguration. */
  readonly qualification: number;
}

/**
 * What a handler did with an exit.
 * - `handled`: the exit is complete; result fields are set; the CPU retires
 *   the instruction.
 * - `reflected`: an interceptor turned it into a VM exit to L1; the vCPU
 *   state was replaced and the instruction must not be retired.
 * - `pass`: not mine; offer it to the next handler (or the CPU's default).
 */
export type ExitDisposition = "handled" | "reflected" | "pass";
