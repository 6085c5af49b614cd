/**
 * nestvm: a Deno-native x86-64 emulator whose heart is a software
 * implementation of Intel VMX, so a guest hypervisor (L1) can run its own
 * guests (L2). The core dispatches VM exits through a plugin bus; nested
 * VMX, guest memory and each device are plugins or services with typed
 * interfaces.
 *
 * @example Boot a Multiboot kernel and run it
 * ```ts ignore
 * import { bootKernel, createMachine } from "@nestvm/nestvm";
 * const machine = createMachine({ memoryMiB: 64, serial: (b) => Deno.stdout.writeSync(b) });
 * bootKernel(machine, await Deno.readFile("kernel.elf"));
 * const result = machine.run({ maxInstructions: 50_000_000 });
 * console.log(result.reason);
 * machine.dispose();
 * ```
 *
 * @module
 */

export * from "./core/mod.ts";
export * from "./plugins/mod.ts";

// The engines a machine is built from (types), for plugin authors and scripts.
export type * from "./cpu/mod.ts";
export type * from "./mm/mod.ts";
