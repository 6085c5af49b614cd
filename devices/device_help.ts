/**
 * What `-device help` and `-device NAME,help` print, as QEMU does: the
 * device names `--device` accepts with one line each, the `pc` board's
 * port, MMIO and IRQ map, and a device's options from its schema.
 *
 * @module
 */

import { describeOptions, type OptionsSchema } from "../core/options_schema.ts";
import { debugExitOptionsSchema } from "./debug_exit.ts";
import { debugconOptionsSchema } from "./debugcon.ts";
import { fwCfgOptionsSchema } from "./fw_cfg.ts";
import { ioapicOptionsSchema } from "./ioapic.ts";
import { lapicOptionsSchema } from "./lapic.ts";
import { pcTestdevOptionsSchema } from "./pc_testdev.ts";
import { picOptionsSchema } from "./pic.ts";
import { pitOptionsSchema } from "./pit.ts";
import { port61OptionsSchema } from "./port61.ts";
import { port92OptionsSchema } from "./port92.ts";
import { fpuErrorOptionsSchema } from "./fpu_error.ts";
import { rtcOptionsSchema } from "./rtc.ts";
import { uartOptionsSchema } from "./uart16550.ts";
import { i8042OptionsSchema } from "./i8042.ts";
import { pciHostOptionsSchema } from "./pci_host.ts";
import { acpiOptionsSchema } from "./acpi_pm.ts";

/** One entry of the device catalog. */
export interface DeviceDescription {
  /** The names `--device` accepts for it (QEMU's first). */
  readonly names: readonly string[];
  /** One line: what it is and where the `pc` board puts it. */
  readonly summary: string;
  /** Its options. */
  readonly schema: OptionsSchema;
}

/** Every built-in device, in board order. */
export const DEVICE_CATALOG: readonly DeviceDescription[] = [
  {
    names: ["isa-serial", "uart16550"],
    summary: "16550A UART; COM1 at 0x3f8-0x3ff, IRQ 4 on the pc board",
    schema: uartOptionsSchema,
  },
  {
    names: ["i8259", "pic"],
    summary: "8259A pair; 0x20-0x21, 0xa0-0xa1, ELCR 0x4d0-0x4d1; INTR to LAPIC LINT0",
    schema: picOptionsSchema,
  },
  {
    names: ["i8254", "pit"],
    summary: "8254 PIT; 0x40-0x43, IRQ 0 (IOAPIC pin 2)",
    schema: pitOptionsSchema,
  },
  {
    names: ["mc146818rtc", "rtc"],
    summary: "CMOS RTC and NVRAM; 0x70-0x71, IRQ 8",
    schema: rtcOptionsSchema,
  },
  {
    names: ["lapic", "apic"],
    summary: "local APIC; MMIO 0xfee00000, MSRs 0x1b and 0x800-0x8ff (x2APIC), 0x6e0",
    schema: lapicOptionsSchema,
  },
  {
    names: ["ioapic"],
    summary: "I/O APIC; MMIO 0xfec00000, 24 pins to the LAPIC",
    schema: ioapicOptionsSchema,
  },
  {
    names: ["port61"],
    summary: "system control port B at 0x61 (PIT channel 2 gate and output)",
    schema: port61OptionsSchema,
  },
  {
    names: ["port92"],
    summary: "fast A20 and reset at 0x92",
    schema: port92OptionsSchema,
  },
  {
    names: ["fpu-error"],
    summary: "x87 FERR# to IRQ13, IGNNE# by a write to port 0xf0 (CR0.NE = 0)",
    schema: fpuErrorOptionsSchema,
  },
  {
    names: ["isa-debug-exit"],
    summary: "exit with status (value << 1) | 1; 0xf4-0xf7 on the pc board",
    schema: debugExitOptionsSchema,
  },
  {
    names: ["isa-debugcon", "debugcon"],
    summary: "port 0xe9 console (output follows -debugcon)",
    schema: debugconOptionsSchema,
  },
  {
    names: ["fw_cfg", "fw_cfg_io"],
    summary: "QEMU firmware configuration; 0x510-0x511",
    schema: fwCfgOptionsSchema,
  },
  {
    names: ["pc-testdev"],
    summary: "QEMU test device; 0xe0-0xe7, 0x2000-0x2017, MMIO 0xff000000; drives IRQ lines 0-23",
    schema: pcTestdevOptionsSchema,
  },
  {
    names: ["i8042"],
    summary: "8042 keyboard controller (keyboard, no mouse port); 0x60, 0x64, IRQ 1; reset line",
    schema: i8042OptionsSchema,
  },
  {
    names: ["pci-host"],
    summary: "PCI mechanism #1, 440FX host bridge at 00:00.0; 0xcf8-0xcff, reset control 0xcf9",
    schema: pciHostOptionsSchema,
  },
  {
    names: ["acpi"],
    summary:
      "ACPI tables at 0xe0000 (RSDP, XSDT, FADT, FACS, MADT, DSDT), PM registers 0x600-0x609, S3 and S5",
    schema: acpiOptionsSchema,
  },
];

/** A device type contributed by a module (as `plugins/device_types.ts` declares it). */
export interface ContributedDevice {
  /** Its `--device` name. */
  readonly name: string;
  /** One line. */
  readonly summary: string;
  /** Its options. */
  readonly schema: OptionsSchema;
}

/** `-device help`: every device name with its summary (contributed types last). */
export function listDevices(contributed: readonly ContributedDevice[] = []): string {
  const rows = [
    ...DEVICE_CATALOG.map((d) => ({ names: d.names, summary: d.summary })),
    ...contributed.map((d) => ({
      names: [d.name],
      summary: `${d.summary} (from a --plugin module)`,
    })),
  ].map((d) => `  ${d.names.join(", ").padEnd(28)} ${d.summary}`);
  return [
    "Devices (`-device NAME,help` lists a device's options; naming a pc board device",
    "configures it instead of adding another):",
    ...rows,
  ].join("\n");
}

/**
 * Help for a `--device` spec that asks for it (`help`, or `NAME,help`);
 * null when the spec does not ask for help. An unknown name is said so.
 */
export function deviceHelp(
  spec: string,
  contributed: readonly ContributedDevice[] = [],
): string | null {
  const [name, ...rest] = spec.split(",");
  if (name === "help" || name === "?") return listDevices(contributed);
  if (!rest.some((kv) => kv.trim().toLowerCase() === "help")) return null;
  const entry = DEVICE_CATALOG.find((d) => d.names.includes(name)) ??
    contributed.find((d) => d.name === name);
  if (entry === undefined) return `unknown device "${name}"\n${listDevices(contributed)}`;
  return `${entry.summary}\n${describeOptions(name, entry.schema)}`;
}
