/**
 * Loading plugins by module specifier, spec parsing for `--device` and
 * `--plugin`, and board presets.
 *
 * @module
 */

export * from "./spec.ts";
export * from "./loader.ts";
export * from "./machine_builder.ts";
export type { BootModule, EntryMode } from "../boot/mod.ts";
export * from "./pc_machine.ts";
