/**
 * Host-side loaders: Multiboot v1 kernels (ELF32, ELF64, a.out kludge) and
 * flat binaries, producing an entry-state value that `applyEntryState`
 * writes into a vCPU. Errors are values naming what is wrong.
 *
 * @example Load a kernel into RAM and inspect the entry state
 * ```ts
 * import { ArrayMemory, describeLoadError, loadMultiboot } from "./mod.ts";
 * const memory = new ArrayMemory(64 * 1024 * 1024);
 * const image = new Uint8Array(0); // e.g. Deno.readFileSync("guests/build/hello64.elf")
 * const r = loadMultiboot(image, memory, { cmdline: "console=ttyS0" });
 * if (!r.ok) console.error(describeLoadError(r.error)); // "image is empty"
 * else console.log(r.entry.rip.toString(16), r.layout.infoAddr);
 * ```
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
export * from "./linux/mod.ts";
