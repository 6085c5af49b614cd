/**
 * Loading plugins by module specifier, spec parsing for `--device` and
 * `--plugin`, board presets, and the built-in `kvm-pv` plugin (KVM's
 * paravirtual interface for L1).
 *
 * @module
 */

export * from "./spec.ts";
export * from "./loader.ts";
export * from "./machine_builder.ts";
export type { BootModule, EntryMode } from "../boot/mod.ts";
export type { CpuModel } from "../cpu/model.ts";
export * from "./pc_machine.ts";
export * from "./device_types.ts";
export * from "./kvm_pv/mod.ts";

/** Core contracts (types) this module's API is written against. */
export type * from "../core/mod.ts";

export type * from "../cpu/mod.ts";
export type * from "../mm/mod.ts";
