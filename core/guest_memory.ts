/**
 * The guest-memory contracts of the core: what plugins may do with guest
 * physical memory ({@link GuestMemory}), and what the {@link Machine} needs
 * on top of that from the memory it is given ({@link MachineMemory}: MMIO
 * mapping on behalf of plugins, snapshots). `mm/` implements both; a board
 * hands the implementation to the machine.
 *
 * @module
 */

import type { IoHandler } from "./plugin.ts";

/** A guest-physical address (number below 2^52). */
export type GuestPhysAddr = number & { readonly __brand: "GuestPhysAddr" };
/** A guest-linear address (canonical, sign-extended). */
export type GuestLinearAddr = number & { readonly __brand: "GuestLinearAddr" };

/** Make a guest-physical address from a number. */
export function gpa(value: number): GuestPhysAddr {
  return value as GuestPhysAddr;
}

/** Make a guest-linear address from a number. */
export function gla(value: number): GuestLinearAddr {
  return value as GuestLinearAddr;
}

/** A page pinned for a holder: a stable 4 KiB view of guest RAM. */
export interface PinnedPage {
  /** Guest-physical address of the page (4 KiB aligned). */
  readonly gpa: GuestPhysAddr;
  /** The page's 4096 bytes (a live view of guest RAM). */
  readonly bytes: Uint8Array;
  /** A DataView over the same bytes (little-endian accessors). */
  readonly view: DataView;
  /** Who holds it. */
  readonly holder: string;
  /** Why. */
  readonly purpose: string;
}

/** Why a pin failed. */
export type PinError =
  | { readonly kind: "unbacked"; readonly gpa: GuestPhysAddr }
  | { readonly kind: "mmio"; readonly gpa: GuestPhysAddr; readonly owner: string }
  | { readonly kind: "out-of-range"; readonly gpa: GuestPhysAddr };

/** Result of pinning. */
export type PinResult =
  | { readonly ok: true; readonly page: PinnedPage }
  | { readonly ok: false; readonly error: PinError };

/** Guest-physical memory as plugins see it. */
export interface GuestMemory {
  /** Size of RAM in bytes. */
  readonly ramSize: number;
  /** Read 1, 2 or 4 bytes (little-endian, unsigned). Holes read as all ones. */
  read(addr: number, size: 1 | 2 | 4): number;
  /** Write 1, 2 or 4 bytes. Holes drop writes. Marks the dirty log. */
  write(addr: number, size: 1 | 2 | 4, value: number): void;
  /** Read 8 bytes as bigint (cold path). */
  read64(addr: number): bigint;
  /** Write 8 bytes from bigint (cold path). */
  write64(addr: number, value: bigint): void;
  /** Copy bytes out of guest memory (crossing pages and regions). */
  readBytes(addr: number, length: number): Uint8Array;
  /** Copy bytes into guest memory. */
  writeBytes(addr: number, data: Uint8Array): void;
  /** Pin the 4 KiB page containing `addr`. */
  pin(addr: number, holder: string, purpose: string): PinResult;
  /** Release a pin; `dirty` marks the page in the dirty log. */
  release(page: PinnedPage, options: { dirty: boolean }): void;
}

/** What a region is. */
export type RegionKind = "ram" | "rom" | "mmio";

/** Public description of a region of the guest-physical map. */
export interface RegionInfo {
  /** Stable id, used to remove or move the region. */
  readonly id: number;
  /** RAM, ROM or MMIO. */
  readonly kind: RegionKind;
  /** Name of the region; for MMIO, the owning plugin. */
  readonly name: string;
  /** Guest-physical base address. */
  readonly base: number;
  /** Size in bytes. */
  readonly size: number;
}

/** Why a region-map change was refused. */
export type RegionError =
  | {
    /** The range overlaps an existing region. */
    readonly kind: "overlap";
    /** Base of the refused range. */
    readonly base: number;
    /** Size of the refused range. */
    readonly size: number;
    /** Name of the region it collides with. */
    readonly other: string;
  }
  | {
    /** RAM and ROM must be 4 KiB aligned with a size that is a multiple of 4 KiB; sizes must be > 0. */
    readonly kind: "misaligned";
    /** Base of the refused range. */
    readonly base: number;
    /** Size of the refused range. */
    readonly size: number;
  }
  | {
    /** The range does not fit below the physical-address limit. */
    readonly kind: "out-of-range";
    /** Base of the refused range. */
    readonly base: number;
    /** Size of the refused range. */
    readonly size: number;
  }
  | {
    /** Pages of the region are pinned; `holders` names who holds them. */
    readonly kind: "pinned";
    /** Who holds pins in the region. */
    readonly holders: readonly string[];
    /** A sentence naming the holders. */
    readonly message: string;
  }
  | {
    /** No region has this id. */
    readonly kind: "not-found";
    /** The id asked for. */
    readonly id: number;
  };

/** Result of adding, moving or removing a region. */
export type RegionResult =
  | { readonly ok: true; readonly region: RegionInfo }
  | { readonly ok: false; readonly error: RegionError };

/**
 * The guest memory a {@link Machine} is composed with: the plugin view plus
 * the MMIO map (the machine maps plugins' ranges, with its own owner table
 * in front) and what snapshots read.
 */
export interface MachineMemory extends GuestMemory {
  /** Map [base, base+size) to `handler` for `owner`; refused if it overlaps another region. */
  addMmio(base: number, size: number, owner: string, handler: IoHandler): RegionResult;
  /** Move a region to `newBase`. */
  moveRegion(id: number, newBase: number): RegionResult;
  /** Remove a region. */
  removeRegion(id: number): RegionResult;
  /** Frames of RAM that have storage (the pages a full snapshot needs). */
  touchedFrames(): readonly number[];
  /** A view of RAM frame `frame` (null when not RAM or not backed and `forWrite` is false). */
  ramFrame(frame: number, forWrite: boolean): Uint8Array | null;
  /** Frames written since the previous call (the dirty log). */
  getAndClearDirty(): readonly number[];
  /** Pages pinned now (written behind the dirty log's back). */
  pins(): readonly { readonly gpa: number; readonly holder: string; readonly purpose: string }[];
}
