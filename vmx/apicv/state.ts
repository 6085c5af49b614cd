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
   * when none), width, and the operation (retired count, RIP, event being
   * delivered) — a later access of the same operation is not virtualized,
   * except a write of the same offset and width (29.4.2, 29.4.3.1).
   */
  opOffset = -1;
  /** Width of {@link opOffset}'s write. */
  opWidth = 0;
  /** Retired count of {@link opOffset}'s operation. */
  opRetired = -1;
  /** RIP of the instruction of {@link opOffset}'s operation. */
  opIp = 0;
  /** Vector being delivered during {@link opOffset}'s operation, or -1. */
  opDelivering = -1;
  /**
   * The last write translation of the APIC-access page (a read-modify-write
   * instruction checks the write first): its linear address and operation,
   * so that the read that follows reports a write (29.4.1, bit 12 of the
   * qualification as a #PF's W/R would be).
   */
  probeLinear = NaN;
  /** Retired count of {@link probeLinear}'s translation. */
  probeRetired = -1;
  /** RIP then. */
  probeIp = 0;
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
