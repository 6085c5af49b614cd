/**
 * PC device plugins: 16550A UART, 8259A PIC pair, 8254 PIT, CMOS RTC, local
 * APIC (xAPIC/x2APIC), I/O APIC, isa-debug-exit, the port 0xE9 console,
 * fw_cfg, pc-testdev, ports 0x61 and 0x92, the interrupt-delivery services
 * that connect the controllers to the vCPU, and the `pc` board preset.
 *
 * Every device is a plugin built by a `createX(options)` factory (typed
 * options with defaults) or from `--device` strings through
 * {@link deviceFactories}; each registers only through its `PluginContext`,
 * loads on its own, and has `reset`, `saveState`/`loadState` and `dispose`.
 *
 * @example The `pc` board with COM1 on stdout, plus host input
 * ```ts ignore
 * import { newPcMachine } from "../plugins/pc_machine.ts";
 * import { pcBoard, uartOf } from "./mod.ts";
 * const m = newPcMachine({ plugins: pcBoard({ serial: (b) => Deno.stdout.writeSync(b) }) });
 * uartOf(m.plugins)?.input(new TextEncoder().encode("hello\n"));
 * ```
 *
 * @example One device from a `--device` string
 * ```ts
 * import { deviceFromSpec } from "./mod.ts";
 * const exit = deviceFromSpec("isa-debug-exit,iobase=0xf4,iosize=4");
 * console.log(exit.name); // "isa-debug-exit@0xf4"
 * ```
 *
 * @module
 */

export * from "./options.ts";
export * from "./time.ts";
export * from "./interrupts.ts";
export * from "./uart16550.ts";
export * from "./pic.ts";
export * from "./pit.ts";
export * from "./port61.ts";
export * from "./port92.ts";
export * from "./fpu_error.ts";
export * from "./rtc.ts";
export * from "./lapic.ts";
export * from "./lapic_timer.ts";
export * from "./ioapic.ts";
export * from "./debug_exit.ts";
export * from "./debugcon.ts";
export * from "./fw_cfg.ts";
export * from "./pc_testdev.ts";
export * from "./board_pc.ts";
export * from "./device_help.ts";
export * from "./i8042.ts";
export * from "./pci_host.ts";
export * from "./acpi_pm.ts";
export * from "./acpi/tables.ts";
export { pciRootAml, pciRootCrs, type PciRootWindows, s5Aml, sleepPackageAml } from "./acpi/aml.ts";

/** Core contracts (types) this module's API is written against. */
export type * from "../core/mod.ts";
