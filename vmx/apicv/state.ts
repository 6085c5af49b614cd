/**
 * Per-vCPU bookkeeping of APIC virtualization while L2 runs. Everything
 * architectural lives elsewhere (virtual-APIC page and APIC-access page in
 * L1 memory, RVI/SVI in vmcs12); this holds what the processor keeps
 * internally between two instruction boundaries, plus the MMIO window
 * through which L2's accesses to the APIC-access page reach nestvm.
 *
 * @module
 */

import type { MmioRegistration, MmioSpace } from "../../core/plugin.ts";
import type { VcpuVirtualization } from "../../core/vcpu_vmx.ts";

/**
 * An "operation" in the sense of SDM Vol. 3C 29.4 (an instruction, one
 * iteration of a REP string instruction, an event delivery) as the vCPU
 * shows it: retired count, RIP of the instruction, event being delivered.
 */
export class OpStamp {
  /** Retired count (-1: none recorded). */
  retired = -1;
  /** RIP of the instruction. */
  ip = 0;
  /** Vector being delivered, or -1. */
  delivering = -1;

  /** Record the operation in progress. */
  set(v: Pick<VcpuVirtualization, "ip0" | "delivering"> & { readonly retired: number }): void {
    this.retired = v.retired;
    this.ip = v.ip0;
    this.delivering = v.delivering;
  }

  /** Whether the operation in progress is the one recorded. */
  is(v: Pick<VcpuVirtualization, "ip0" | "delivering"> & { readonly retired: number }): boolean {
    return this.retired === v.retired && this.ip === v.ip0 && this.delivering === v.delivering;
  }
}

/** Where nestvm maps the APIC-access windows: one page per vCPU below this address. */
export const APIC_ACCESS_WINDOW_TOP = 0xfef00000;

/** APIC-virtualization state of one vCPU. */
export class ApicvState {
  /** A virtual interrupt is recognized and not yet delivered (SDM 29.2.1). */
  recognized = false;
  /**
   * Page offsets of the writes to the APIC-access page virtualized by the
   * operations that just ran (an instruction or an iteration of a REP
   * string instruction, then perhaps the delivery of a fault it raised),
   * whose APIC-write emulation (SDM 29.4.3.2) is due at the next
   * instruction boundary, in order.
   */
  pendingWrites: number[] = [];
  /**
   * The write virtualized by the operation in progress: page offset (-1
   * when none), width, and the operation — a later access of the same
   * operation is not virtualized, except a write of the same offset and
   * width (29.4.2, 29.4.3.1).
   */
  opOffset = -1;
  /** Width of {@link opOffset}'s write. */
  opWidth = 0;
  /** The operation of {@link opOffset}. */
  readonly op: OpStamp = new OpStamp();
  /**
   * A virtualized access that reaches the window in pieces (memory-mapped
   * I/O splits an unaligned access into bytes): the offset its next piece
   * has (-1 when none), its end, its direction and operation.
   */
  pieceNext = -1;
  /** End offset (exclusive) of the access of {@link pieceNext}. */
  pieceEnd = 0;
  /** The access of {@link pieceNext} is a write. */
  pieceWrite = false;
  /** Its operation. */
  readonly piece: OpStamp = new OpStamp();
  /**
   * The last write translation of the APIC-access page (a read-modify-write
   * instruction checks the write first): its linear address and operation,
   * so that the read that follows reports a write (bit 12 of the
   * qualification is what W/R of a page fault would be, SDM 28.2.1).
   */
  probeLinear = NaN;
  /** The operation of {@link probeLinear}. */
  readonly probe: OpStamp = new OpStamp();
  /** The read being made is the read of a read-modify-write (set by the translator). */
  rmwRead = false;
  /** APIC-access address of the current L2 run, or -1 without "virtualize APIC accesses". */
  accessPage = -1;
  /** MMIO space for the window (null: the vCPU has no machine, APIC-access virtualization off). */
  mmio: MmioSpace | null = null;
  /** This vCPU's index (which window page is its own). */
  index = 0;
  /** The window once mapped. */
  window: MmioRegistration | null = null;

  /** Guest-physical base of this vCPU's window page. */
  get windowBase(): number {
    return APIC_ACCESS_WINDOW_TOP - 0x1000 * (this.index + 1);
  }
}
