/**
 * Types shared between guest memory and its users (CPU, plugins, VMX).
 * The contracts are declared in the core (`core/guest_memory.ts`); `mm/`
 * implements them and re-exports them here for its users.
 *
 * @module
 */

export {
  gla,
  gpa,
  type GuestLinearAddr,
  type GuestMemory,
  type GuestPhysAddr,
  type PinError,
  type PinnedPage,
  type PinResult,
} from "../core/guest_memory.ts";
