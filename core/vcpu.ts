/**
 * The view of a virtual CPU that plugins get: architectural state that a
 * hypervisor (the VMX plugin), snapshots and interrupt controllers need to
 * read and write. The CPU engine (`cpu/`) implements it.
 *
 * Representation rules (fixed, so every module agrees):
 * - General registers are 64-bit, kept as unsigned 32-bit halves in
 *   `gpr` (`gpr[2*i]` = low half, `gpr[2*i+1]` = high half of register i,
 *   RAX=0 ... R15=15).
 * - Control registers, RIP, RFLAGS, segment bases, descriptor-table bases
 *   are JS numbers. Linear addresses (RIP, bases) hold the canonical value,
 *   sign-extended (so 0xffff8000_00000000 is -2^47). CR3 and physical
 *   addresses are unsigned and below 2^52.
 * - Arbitrary 64-bit MSR values cross the cold API as bigint.
 *
 * @module
 */

import type { VcpuVirtualization } from "./vcpu_vmx.ts";

/** Segment register indices, in the SDM's encoding order. */
export const enum Seg {
  ES = 0,
  CS = 1,
  SS = 2,
  DS = 3,
  FS = 4,
  GS = 5,
  LDTR = 6,
  TR = 7,
}

/**
 * A segment register with its hidden descriptor cache. `attrs` uses the VMX
 * access-rights format (SDM Vol. 3C 25.4.1): bits 3:0 type, 4 S, 6:5 DPL,
 * 7 P, 12 AVL, 13 L, 14 D/B, 15 G, 16 segment unusable.
 */
export interface SegmentRegister {
  /** Visible selector. */
  selector: number;
  /** Base address (linear, canonical). */
  base: number;
  /** Limit in bytes minus one (byte granular, after G scaling). */
  limit: number;
  /** Access rights in VMX format (bit 16: unusable). */
  attrs: number;
}

/** GDTR or IDTR. */
export interface TableRegister {
  /** Base address (linear, canonical). */
  base: number;
  /** Limit in bytes minus one (byte granular, after G scaling). */
  limit: number;
}

/** Activity state, as VMX encodes it (SDM 25.4.2). */
export type ActivityState = "active" | "hlt" | "shutdown" | "wait-for-sipi";

/** Bits of the interruptibility state (SDM Table 25-3). */
export const enum Interruptibility {
  STI = 1,
  MOV_SS = 2,
  SMI = 4,
  NMI = 8,
}

/** An event the CPU delivers before the next instruction (VM-entry injection, or a pending exception). */
export interface PendingEvent {
  /** 0 external interrupt, 2 NMI, 3 hardware exception, 4 software interrupt, 5 privileged software exception, 6 software exception. */
  type: 0 | 2 | 3 | 4 | 5 | 6;
  /** Vector number. */
  vector: number;
  /** Error code, or -1 if none is delivered. */
  errorCode: number;
  /** Instruction length for software events (RIP advanced past the instruction). */
  instructionLength: number;
}

/** Source of maskable interrupts for the vCPU (the PIC or the LAPIC). */
export interface InterruptSource {
  /** True if an interrupt is pending and deliverable, ignoring RFLAGS.IF. */
  hasInterrupt(): boolean;
  /** Acknowledge the highest pending interrupt and return its vector (INTA cycle). */
  acknowledge(): number;
  /**
   * Write the local APIC's EOI register: end the highest in-service
   * interrupt (posted-interrupt processing, SDM Vol. 3C 29.6). Optional: a
   * source without a local APIC has none.
   */
  endOfInterrupt?(): void;
  /**
   * The processor signals a performance-monitoring interrupt (a counter
   * overflowed with its interrupt enabled; SDM Vol. 3B "Performance
   * Monitoring"): the local APIC delivers it as its LVT performance-counter
   * entry (0x340) says. Optional: a source without a local APIC drops it.
   */
  performanceInterrupt?(): void;
}

/**
 * The x87 error pins of the CPU, wired by a board (SDM Vol. 1 8.7, Appendix
 * D): the CPU drives FERR# when a waiting x87 instruction finds an unmasked
 * exception pending with CR0.NE = 0, and samples IGNNE#. A PC routes FERR#
 * to IRQ13 and asserts IGNNE# after a write to port 0xF0 until FERR# drops.
 */
export interface FpuErrorPins {
  /** FERR#, driven by the CPU (true = asserted). */
  ferr(level: boolean): void;
  /** IGNNE#, sampled by the CPU (true = asserted: ignore the pending error). */
  ignne(): boolean;
}

/**
 * The architectural state of one virtual CPU, with what a hypervisor
 * plugin needs besides ({@link VcpuVirtualization}).
 */
export interface Vcpu extends VcpuVirtualization {
  /** GPRs as 32-bit halves: index 2*r is low, 2*r+1 high. */
  readonly gpr: Uint32Array;
  /** RIP (canonical linear value for 64-bit code; offset in CS otherwise). */
  rip: number;
  /** RFLAGS (materialized from lazy flags on read; writes replace it). */
  rflags: number;
  /** CR0. */
  cr0: number;
  /** CR2 (page-fault linear address). */
  cr2: number;
  /** CR3 (page-table base and PCID). */
  cr3: number;
  /** CR4. */
  cr4: number;
  /** CR8 (task priority, 4 bits). */
  cr8: number;
  /** IA32_EFER. */
  efer: number;
  /** DR0-DR3, DR6, DR7 at indices 0-3, 6, 7. */
  readonly dr: Float64Array;
  /** ES, CS, SS, DS, FS, GS, LDTR, TR (see {@link Seg}). */
  readonly seg: readonly SegmentRegister[];
  /** Global descriptor table register. */
  readonly gdtr: TableRegister;
  /** Interrupt descriptor table register. */
  readonly idtr: TableRegister;
  /** Current privilege level (CS.DPL, or 0/3 per mode rules). */
  readonly cpl: number;
  /** Execution mode as the decoder sees it. */
  readonly mode:
    | "real"
    | "v86"
    | "protected16"
    | "protected32"
    | "compat16"
    | "compat32"
    | "long64";
  /** Activity state (HLT, shutdown, wait-for-SIPI). */
  activity: ActivityState;
  /** Interruptibility state bits (see {@link Interruptibility}). */
  interruptibility: number;
  /** Instructions retired since reset. */
  readonly retired: number;
  /** True while the vCPU executes in VMX non-root operation (runs L2). */
  nonRoot: boolean;
  /**
   * The processor's time-stamp counter (IA32_TIME_STAMP_COUNTER), as L1
   * reads it: in VMX non-root operation without the VMCS's TSC offset,
   * which only L2's RDTSC, RDTSCP and RDMSR of IA32_TSC add.
   */
  readTsc(): bigint;
  /**
   * Read an MSR: one the CPU implements from the CPU (IA32_APIC_BASE too:
   * the CPU's copy), any other as RDMSR in L1 would find it, from the
   * plugin that owns it (offered to the exit bus as a level-1 "rdmsr" exit
   * with instruction length 0). Undefined where RDMSR would raise #GP.
   */
  readMsr(index: number): bigint | undefined;
  /**
   * Write an MSR, routed as {@link readMsr}; false where WRMSR would raise
   * #GP (no owner, or an invalid value).
   */
  writeMsr(index: number, value: bigint): boolean;
  /** Read a 64-bit GPR (cold path). */
  getGpr64(reg: number): bigint;
  /** Write a 64-bit GPR (cold path). */
  setGpr64(reg: number, value: bigint): void;
  /**
   * Call after replacing control registers, EFER, segment caches or RFLAGS
   * wholesale (snapshot restore, a CR write emulated for L2): recomputes
   * mode and CPL and flushes the TLB (of the current VPID) and decode
   * caches as needed. VM entries and exits use `vmTransition` instead.
   */
  stateChanged(): void;
  /** Flush all TLB entries (including global) of the current VPID. */
  flushTlb(): void;
  /** Queue an event for delivery before the next instruction (VM-entry injection). */
  injectEvent(event: PendingEvent): void;
  /** Raise an exception from inside an exit handler; the instruction is not retired. */
  raiseException(vector: number, errorCode?: number): never;
  /** Read guest memory through the current paging mode (no permission checks beyond translation); throws a CPU exception on fault. */
  readLinear(linear: number, size: 1 | 2 | 4 | 8, segment: number, dataHi?: { hi: number }): number;
  /** Write guest memory through the current paging mode with full checks; throws a CPU exception on fault. */
  writeLinear(linear: number, size: 1 | 2 | 4 | 8, lo: number, hi: number, segment: number): void;
  /** Assert NMI. */
  nmi(): void;
  /**
   * Latch an INIT signal (an INIT IPI): taken at the next instruction
   * boundary, blocked in VMX root operation, a VM exit in non-root operation.
   */
  signalInit(): void;
  /** Latch a startup IPI with `vector`; acted on only in the wait-for-SIPI state. */
  signalStartup(vector: number): void;
  /** Set the maskable-interrupt source (PIC or LAPIC). */
  setInterruptSource(source: InterruptSource | null): void;
  /** Tell the CPU that the interrupt source's state changed (wake from HLT, re-check). */
  interruptStateChanged(): void;
  /**
   * Wire the FERR#/IGNNE# pins (null: none, the CPU then behaves as if
   * IGNNE# were asserted). Optional: a vCPU without an x87 has none.
   */
  setFpuErrorPins?(pins: FpuErrorPins | null): void;
}
