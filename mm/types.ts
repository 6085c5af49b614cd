/**
 * Types shared between guest memory and its users (CPU, plugins, VMX).
 * Implemented in `mm/` (owned by the guest-memory issue).
 *
 * @module
 */

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
