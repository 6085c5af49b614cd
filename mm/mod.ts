/**
 * Guest memory and address translation: guest-physical memory with
 * regions, lazy RAM, pinning, dirty log and code-write notification
 * ({@link PhysicalMemory}); the x86 page walker ({@link walk}), a per-vCPU
 * TLB ({@link Tlb}) and MMU ({@link Mmu}); EPT ({@link eptWalk},
 * {@link EptTranslator}).
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
export * from "./mmu.ts";
export * from "./ept.ts";
export * from "./ept_cache.ts";
export type { IoHandler } from "../core/plugin.ts";
