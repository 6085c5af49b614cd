/**
 * Host-side loaders: Multiboot v1 kernels (ELF32, ELF64, a.out kludge) and
 * flat binaries, producing an entry-state value that `applyEntryState`
 * writes into a vCPU. Errors are values naming what is wrong.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./entry_state.ts";
export * from "./elf.ts";
export * from "./multiboot_header.ts";
export * from "./multiboot_info.ts";
export * from "./multiboot.ts";
export * from "./flat.ts";
export * from "./placement.ts";
export * from "./array_memory.ts";
