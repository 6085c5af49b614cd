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
   * Page offset of a write to the APIC-access page that was virtualized by
   * the instruction now executing, whose APIC-write emulation (SDM
   * 29.4.3.2) is due at the next instruction boundary; -1 when none.
   */
  pendingWrite = -1;
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
