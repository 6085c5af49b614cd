/**
 * The part of the vCPU contract that a hypervisor plugin (the VMX plugin)
 * needs beyond architectural registers: TSC offsetting, window requests,
 * the state of the event being delivered (IDT-vectoring information), the
 * address of the instruction being executed, the PAE PDPTE registers,
 * pending debug exceptions, the STI/MOV SS shadow, the SYSENTER MSRs as
 * numbers, the interrupt source, and the guest-physical translator (EPT)
 * used while L2 runs. {@link Vcpu} extends it, so every CPU engine
 * implements it and the VMX plugin needs no casts.
 *
 * @module
 */

import type { InterruptSource } from "./vcpu.ts";
import type { EptExit } from "./vmexit.ts";

/** Bits of {@link VcpuVirtualization.windowRequests}. */
export const enum WindowRequest {
  /** Offer an "interrupt-window" exit when RFLAGS.IF = 1 and no STI/MOV SS blocking. */
  INTERRUPT = 1,
  /** Offer an "nmi-window" exit when NMIs are not blocked. */
  NMI = 2,
  /** Offer a "monitor-trap" exit at every instruction boundary. */
  MONITOR_TRAP = 4,
  /** External-interrupt exiting: offer pending interrupts even with RFLAGS.IF = 0. */
  EXTERNAL_INTERRUPT = 8,
  /**
   * The VMX-preemption timer expired at VM entry (value 0): offer one
   * "preemption-timer" exit after injected events and pending debug
   * exceptions, before any instruction.
   */
  PREEMPTION_TIMER = 16,
  /**
   * APIC-write emulation is due (SDM Vol. 3C 29.4.3.2): offer one
   * "apic-write" event at the next instruction boundary, before anything
   * else due there (INIT, the monitor trap flag, debug traps, NMIs,
   * interrupts, window exits) and whatever RFLAGS.IF or blocking by STI or
   * MOV SS say; and again right after an event delivered at a boundary
   * that requested it. The CPU clears the bit when it offers the event.
   */
  APIC_WRITE = 32,
}

/**
 * Why the last {@link GuestPhysicalTranslator.translateGpa} failed: an EPT
 * violation or misconfiguration, or an APIC access, with what the exit of
 * that kind reports.
 */
export interface GuestPhysicalFault {
  /**
   * Violation (access not allowed), misconfiguration (malformed entry), a
   * full page-modification log (SDM Vol. 3C 29.3.6), or an access to the
   * APIC-access page that is never virtualized (an instruction fetch, a
   * paging-structure access: SDM 29.4).
   */
  readonly kind: "ept-violation" | "ept-misconfig" | "pml-full" | "apic-access";
  /** The guest-physical address whose translation failed. */
  readonly gpa: number;
  /** The guest-linear address of the access, or NaN when there is none. */
  readonly linear: number;
  /**
   * Exit qualification (SDM Vol. 3C Table 28-7 for a violation, the
   * APIC-access table for an APIC access); 0 for a misconfiguration.
   */
  readonly qualification: number;
}

/**
 * Translates the guest-physical addresses of L2 (including those of its
 * own page-table accesses) to L1-physical addresses, e.g. through L1's EPT.
 * On failure it returns -1 and describes the failure in {@link fault}; the
 * CPU then raises an "ept-violation" or "ept-misconfig" exit on the bus.
 */
export interface GuestPhysicalTranslator {
  /**
   * Translate `gpa` for `access` (1 read, 2 write, 4 execute); `linear` is
   * the guest-linear address or NaN, `isPageWalk` true for a paging-structure
   * access. Returns the L1-physical address or -1.
   */
  translateGpa(gpa: number, access: number, linear: number, isPageWalk: boolean): number;
  /** The failure of the last call that returned -1. */
  readonly fault: GuestPhysicalFault;
  /**
   * Translate `gpa` for reading without side effects (no accessed/dirty
   * updates, no cache fill, no fault recorded), for debuggers; -1 if it is
   * not mapped for reading. Optional: without it a debugger cannot read L2
   * memory through this translator.
   */
  peekGpa?(gpa: number): number;
}

/** What the VMX plugin reads and writes on the vCPU besides registers. */
export interface VcpuVirtualization {
  /**
   * Added to virtual time to give the processor's TSC
   * (IA32_TIME_STAMP_COUNTER, as a number of ticks): L1's TSC. L2's TSC
   * offset is not part of it (see {@link nonRootTscOffset}).
   */
  tscOffset: number;
  /**
   * The VMCS TSC offset in effect in VMX non-root operation with "use TSC
   * offsetting" (0 otherwise; the VMX plugin sets it at VM entry and clears
   * it at VM exit). Only RDTSC, RDTSCP and RDMSR of IA32_TSC add it (SDM
   * Vol. 3C 26.3); the TSC itself, IA32_TSC_DEADLINE's comparison and a
   * WRMSR of IA32_TSC work on the processor's TSC.
   */
  nonRootTscOffset: number;
  /**
   * The VMCS TSC multiplier in effect in VMX non-root operation with "use
   * TSC offsetting" and "use TSC scaling" (null otherwise): RDTSC, RDTSCP
   * and RDMSR of IA32_TSC return (TSC x multiplier) >> 48, plus
   * {@link nonRootTscOffset} (SDM Vol. 3C 26.3).
   */
  nonRootTscMultiplier: bigint | null;
  /**
   * Charge `ns` of virtual time that retires no instruction (a stall, see
   * `core/stall.ts`): the VMX plugin charges the latency of a VM exit.
   */
  readonly stall: (ns: number) => void;
  /** Which window exits the CPU offers in non-root operation (see {@link WindowRequest}); call `interruptStateChanged()` after setting. */
  windowRequests: number;
  /** The guest-physical translator used in non-root operation, or null for identity. */
  guestPhysical: GuestPhysicalTranslator | null;
  /** RIP of the instruction being executed (the fault restart point). */
  readonly ip0: number;
  /** The four PAE PDPTE registers (values lo + hi * 2^32); call `flushTlb()` after loading them. */
  readonly pdpte: Float64Array;
  /**
   * Instead of `stateChanged()` after a VM entry or exit replaced the state:
   * translations from now on are tagged with `vpid` (0 in VMX root
   * operation and for a guest without "enable VPID"), and those already
   * cached for it are kept unless `invalidate` ("enable VPID" = 0: SDM Vol.
   * 3C 29.4.3.1) or they were made under another guest-physical mapping:
   * `eptp` (-1 without EPT) and `apicAccess` (the APIC-access page while
   * accesses to it are virtualized, else -1).
   */
  vmTransition(vpid: number, eptp: number, apicAccess: number, invalidate: boolean): void;
  /**
   * INVVPID with checked operands (SDM Vol. 3C 31.3): type 0 drops the
   * translations of `linear` for `vpid`, 1 all of `vpid`'s, 2 those of
   * every VPID but 0, 3 `vpid`'s except global ones.
   */
  invvpid(type: number, vpid: number, linear: number): void;
  /** INVEPT: drop every translation combined with EPT (those of every VPID but 0). */
  invept(): void;
  /**
   * Write an MSR for a VM-entry or VM-exit MSR-load list (SDM Vol. 3C 27.4,
   * 28.6): as `writeMsr`, except IA32_APIC_BASE, which goes first to its
   * owner on the exit bus (a level-1 "wrmsr" exit of length 0, as WRMSR in
   * L1 would: the LAPIC plugin changes mode and base and writes the CPU's
   * copy), and to the CPU's copy only when nobody takes it. False where
   * WRMSR would raise #GP.
   */
  loadMsr(index: number, value: bigint): boolean;
  /**
   * DR6 bits (B0-B3, BD, BS) of the #DB being raised: they reach DR6 only
   * when the #DB is delivered (a #DB VM exit reports them in the exit
   * qualification instead and clears this).
   */
  dbPending: number;
  /** Vector of the event being delivered through the IDT, or -1. */
  readonly delivering: number;
  /** Interruption type (VMX encoding) of the event being delivered. */
  readonly deliveringType: number;
  /** Error code of the event being delivered, or -1. */
  readonly deliveringError: number;
  /** Instruction length of the software event being delivered (0 otherwise). */
  readonly deliveringLength: number;
  /** Vector whose delivery raised the exception being offered now, or -1 (IDT-vectoring information). */
  readonly vectoring: number;
  /** Retired-instruction count until which STI/MOV SS blocking lasts. */
  shadowUntil: number;
  /**
   * Load VMX "pending debug exceptions" at VM entry (SDM Vol. 3C 27.3.2.5,
   * 27.7.3): BS (bit 14) and, with bit 12, B0-B3 become one #DB trap after
   * entry, held back by blocking by MOV SS.
   */
  setPendingDebugExceptions(bits: number): void;
  /**
   * Set the six arithmetic flags (CF, PF, AF, ZF, SF, OF: `bits & 0x8D5`)
   * and leave every other RFLAGS bit: the outcome of a VMX instruction
   * (VMsucceed, VMfail, SDM Vol. 3C 31.2) without materializing RFLAGS.
   */
  setArithmeticFlags(bits: number): void;
  /**
   * IA32_DEBUGCTL as a number (bits 31:0; the CPU keeps the high half 0),
   * so that VM exits can clear it without a BigInt MSR call.
   */
  debugCtl: number;
  /** IA32_SYSENTER_CS. */
  sysenterCs: number;
  /** IA32_SYSENTER_ESP (canonical linear value). */
  sysenterEsp: number;
  /** IA32_SYSENTER_EIP (canonical linear value). */
  sysenterEip: number;
  /** The maskable-interrupt source (PIC or LAPIC), for acknowledge-on-exit. */
  readonly intSource: InterruptSource | null;
  /**
   * Pending-debug-exceptions bits (SDM 24.4.2: B3-B0, BS) of the level being
   * left: a single-step trap due after a completed instruction, and #DB
   * conditions recognized but not delivered (saved by VM exit, 28.3.4).
   */
  pendingDebugExceptions(): number;
  /** Drop the pending debug state (single-step trap, #DB bits): it never crosses levels. */
  clearPendingDebug(): void;
  /**
   * Abandon the instruction or event delivery in progress for `exit`, an
   * access the hypervisor stops from inside a memory-access handler (an
   * APIC access that is not virtualized): the CPU unwinds to the state of
   * the boundary, as for a failed guest-physical translation, and raises
   * `exit` on the bus there, with the delivery state of this moment
   * visible (IDT-vectoring information). Only while an instruction or an
   * event delivery runs.
   */
  holdExit(exit: EptExit): never;
  /**
   * Width in bytes of the data access in progress when the CPU performs it
   * in smaller pieces (8 for a 64-bit operand, a descriptor or a 64-bit
   * stack push, 16 for an IA-32e gate...), else 0: a memory-access handler
   * seeing a piece of 4 bytes or less learns the access was wider (an
   * access wider than 32 bits is never virtualized, SDM Vol. 3C 29.4.2).
   */
  readonly accessWidth: number;
  /**
   * End a REP string instruction after the iteration in progress (its
   * registers updated, RIP left on it, as when an interrupt is taken
   * between iterations), so that what is due after that iteration happens
   * at the boundary that follows it: each iteration is an "operation" of
   * its own for APIC-write emulation (SDM Vol. 3C 29.4). Ignored by other
   * instructions.
   */
  endStringIteration(): void;
  /**
   * The instruction in progress (or just abandoned, while its held exit is
   * raised) is an IRET that removed blocking by NMI (SDM Vol. 3C 28.2.3).
   */
  readonly nmiUnblockedByIret: boolean;
  /** Deliver the events queued by VM-entry injection now (at an instruction boundary). */
  deliverQueuedInjection(): void;
  /** Drop queued, undelivered injected events (they belong to the level being left). */
  dropQueuedInjection(): void;
}
