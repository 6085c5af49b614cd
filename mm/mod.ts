/**
 * Guest memory and address translation.
 *
 * - {@link PhysicalMemory}: regions (RAM, ROM, MMIO owned by a plugin,
 *   holes reading all ones), lazy 4 KiB page storage, hot accessors
 *   `read8/16/32`, `write8/16/32`, direct frame views (`ramFrame`), pinning
 *   (`pin`/`release`/`pins`/`releaseAll`), the dirty log
 *   (`getAndClearDirty`) and code-write notification (`markCode`,
 *   `onCodeWrite`). Region changes are values ({@link RegionResult}).
 * - {@link walk}: the x86 page walker for every paging mode, writing into a
 *   reusable {@link WalkResult}; {@link loadPdptes} for PAE.
 * - {@link Tlb} and {@link Mmu}: a per-vCPU TLB whose hit test the CPU
 *   inlines (see tlb.ts), and the SDM's flush rules for MOV CR0/CR3/CR4,
 *   INVLPG and INVPCID; {@link TlbContexts}: one TLB per VPID, switched by
 *   VM entries and exits, with INVVPID and INVEPT.
 * - {@link eptWalk}, {@link EptTranslator}: EPT for the VMX plugin, with
 *   violation qualifications, misconfigurations, A/D flags, INVEPT, and
 *   {@link EptTranslator.gpaTranslator} for the two-dimensional walk.
 * - `mm/testing.ts`: {@link assertNoPins} for tests that tear machines down.
 *
 * @module
 */

export * from "./types.ts";
export * from "./regions.ts";
export * from "./pins.ts";
export * from "./physical.ts";
export {
  type CodeWriteListener,
  type FrameInvalidateListener,
  FrameStore,
  type FrameStoreOptions,
  type PageLeaf,
} from "./frame_store.ts";
export * from "./paging_types.ts";
export * from "./walk.ts";
export * from "./tlb.ts";
export * from "./tlb_contexts.ts";
export * from "./mmu.ts";
export * from "./ept.ts";
export * from "./ept_cache.ts";
export type { IoHandler } from "../core/plugin.ts";
