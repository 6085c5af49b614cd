/**
 * Per-vCPU nested-VMX state (SDM Vol. 3C 24.1, 25.1): whether the vCPU is
 * in VMX operation, its VMXON pointer, and its current VMCS, which is kept
 * pinned (mm/ pinning) for as long as it is current.
 *
 * Launch states live in each vmcs12 region (see `vmcs12/layout.ts`), so
 * they travel with guest RAM; this object only refers to the current one.
 *
 * @module
 */

import type { GuestMemory, PinError, PinnedPage } from "../mm/types.ts";
import { Vmcs12 } from "./vmcs12/vmcs12.ts";

/** Holder name used for every pin the VMX plugin takes. */
export const PIN_HOLDER = "vmx";
/** Pin purpose of the current VMCS. */
export const PIN_PURPOSE_CURRENT = "current vmcs12";

/** "No pointer": the all-ones 64-bit value, kept as -1 in a number. */
export const NO_POINTER: number = -1;

/** The current VMCS: its address, its pin, and the accessor over it. */
export interface CurrentVmcs {
  /** Guest-physical address of the region. */
  readonly ptr: number;
  /** The pin (released when the VMCS stops being current). */
  readonly page: PinnedPage;
  /** Field accessors on the pinned page. */
  readonly vmcs: Vmcs12;
}

/** The serializable part of {@link VmxState} (plugin snapshot data). */
export interface VmxStateData {
  /** In VMX operation (after VMXON, before VMXOFF). */
  readonly vmxon: boolean;
  /** VMXON pointer, or -1. */
  readonly vmxonPtr: number;
  /** Current-VMCS pointer, or -1 (all ones). */
  readonly currentPtr: number;
}

/** Nested-VMX state of one vCPU. */
export class VmxState {
  /** True in VMX operation (root or non-root). */
  vmxon = false;
  /** Physical address of the VMXON region, or {@link NO_POINTER}. */
  vmxonPtr: number = NO_POINTER;
  /** The current VMCS, or null when the current-VMCS pointer is all ones. */
  current: CurrentVmcs | null = null;

  /** The current-VMCS pointer (-1 meaning FFFFFFFF_FFFFFFFFH). */
  get currentPtr(): number {
    return this.current === null ? NO_POINTER : this.current.ptr;
  }

  /**
   * Make the region at `ptr` current: pins it (after releasing the
   * previous current VMCS, if another). Returns the pin error if the page
   * cannot be pinned, in which case there is no current VMCS.
   */
  makeCurrent(memory: GuestMemory, ptr: number): PinError | null {
    if (this.current !== null && this.current.ptr === ptr) return null;
    this.releaseCurrent(memory);
    const r = memory.pin(ptr, PIN_HOLDER, PIN_PURPOSE_CURRENT);
    if (!r.ok) return r.error;
    this.current = { ptr, page: r.page, vmcs: Vmcs12.fromPage(r.page) };
    return null;
  }

  /** Make an already pinned page the current VMCS (the previous one must be released). */
  adoptCurrent(ptr: number, page: PinnedPage): void {
    if (this.current !== null) throw new Error("vmx: adoptCurrent with a current VMCS");
    this.current = { ptr, page, vmcs: Vmcs12.fromPage(page) };
  }

  /**
   * Stop having a current VMCS: releases its pin (marked dirty, since
   * VMWRITEs went straight into the page). Harmless when there is none.
   */
  releaseCurrent(memory: GuestMemory): void {
    const c = this.current;
    if (c === null) return;
    this.current = null;
    memory.release(c.page, { dirty: true });
  }

  /** Leave VMX operation (VMXOFF, reset, teardown): releases every pin. */
  leave(memory: GuestMemory): void {
    this.releaseCurrent(memory);
    this.vmxon = false;
    this.vmxonPtr = NO_POINTER;
  }

  /** Snapshot data. */
  save(): VmxStateData {
    return { vmxon: this.vmxon, vmxonPtr: this.vmxonPtr, currentPtr: this.currentPtr };
  }
}
