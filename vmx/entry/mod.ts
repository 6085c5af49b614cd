/**
 * VM entry (VMLAUNCH/VMRESUME): checks on controls, host state and guest
 * state, guest-state loading, MSR-load lists and event injection; and
 * {@link createNestedOps}, part 2's entry point for the VMX plugin.
 *
 * @module
 */

export * from "./check_controls.ts";
export * from "./check_guest.ts";
export * from "./check_host.ts";
export * from "./vcpu_access.ts";
export * from "./inject.ts";
export * from "./load_guest.ts";
export * from "./msr_list.ts";
export * from "./offsets.ts";
export * from "./ops.ts";
export * from "./vmentry.ts";
