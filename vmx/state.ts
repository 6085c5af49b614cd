/**
 * Per-vCPU nested-VMX state (SDM Vol. 3C 24.1, 25.1): whether the vCPU is
 * in VMX operation, its VMXON pointer, and its current VMCS, which is kept
 * pinned (mm/ pinning) for as long as it is current.
 *
 * Launch states live in each vmcs12 region (see `vmcs12/layout.ts`), so
 * they travel with guest RAM; this object only refers to the current one,
 * whose data it keeps in a cached copy (`vmcs12/cache.ts`) written back to
 * the region when it stops being current and on {@link VmxState.flush}.
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
  /** Field accessors on the cached copy of the region (written back to `page`). */
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
    this.current = { ptr, page: r.page, vmcs: Vmcs12.cacheOf(r.page) };
    return null;
  }

  /** Make an already pinned page the current VMCS (the previous one must be released). */
  adoptCurrent(ptr: number, page: PinnedPage): void {
    if (this.current !== null) throw new Error("vmx: adoptCurrent with a current VMCS");
    this.current = { ptr, page, vmcs: Vmcs12.cacheOf(page) };
  }

  /**
   * Stop having a current VMCS: writes its cached data back to the region
   * and releases the pin (marked dirty). Harmless when there is none.
   */
  releaseCurrent(memory: GuestMemory): void {
    const c = this.current;
    if (c === null) return;
    this.current = null;
    c.vmcs.writeBack();
    memory.release(c.page, { dirty: true });
  }

  /**
   * Stop having a current VMCS without writing its cache back (snapshot
   * restore: guest memory was just replaced and holds the data to keep).
   */
  dropCurrent(memory: GuestMemory): void {
    const c = this.current;
    if (c === null) return;
    this.current = null;
    memory.release(c.page, { dirty: false });
  }

  /** Write the current VMCS's cached data to its region (snapshot save); it stays current. */
  flush(): void {
    this.current?.vmcs.writeBack();
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
