/**
 * The `pc` board preset and the registry of device factories that
 * `--device name,key=value,...` uses.
 *
 * Placement of the default `pc` board (one table, as a PC has it):
 *
 * | device          | ports / MMIO                          | IRQ / wiring                        |
 * | --------------- | ------------------------------------- | ----------------------------------- |
 * | uart16550 COM1  | 0x3f8-0x3ff                           | 4                                   |
 * | pic (8259 pair) | 0x20-0x21, 0xa0-0xa1, 0x4d0-0x4d1     | INTR to LAPIC LINT0, IOAPIC pin 0   |
 * | pit (8254)      | 0x40-0x43                             | 0 (PIC IRQ0, IOAPIC pin 2)          |
 * | rtc (CMOS)      | 0x70-0x71                             | 8                                   |
 * | lapic           | 0xfee00000, MSRs 0x1b, 0x800-0x8ff, 0x6e0 | INTR/NMI of the vCPU            |
 * | ioapic          | 0xfec00000                            | pins 0-23 to the LAPIC              |
 * | port61, port92  | 0x61, 0x92                            | PIT channel 2 gate/output; reset    |
 * | fpu-error       | 0xf0                                  | 13 (FERR#), IGNNE# to the vCPU      |
 * | isa-debug-exit  | 0xf4-0xf7                             | -                                   |
 * | debugcon        | 0xe9                                  | -                                   |
 * | fw_cfg          | 0x510-0x511                           | -                                   |
 * | pc-testdev      | 0xe0-0xe7, 0x2000-0x2017, 0xff000000  | drives lines 0-23                   |
 * | i8042           | 0x60, 0x64                            | 1; reset line                       |
 * | pci-host (440FX)| 0xcf8-0xcff (0xcf9: reset control)    | -                                   |
 * | acpi            | 0x600-0x609; tables at 0xe0000        | SCI 9 (level); watches IRQ 8; S3/S5 |
 *
 * @module
 */

import type { Plugin } from "../core/plugin.ts";
import { createUart16550, parseUartOptions, type UartPlugin } from "./uart16550.ts";
import { createPic, parsePicOptions } from "./pic.ts";
import { createPit, parsePitOptions } from "./pit.ts";
import { createRtc, parseRtcOptions } from "./rtc.ts";
import { createLapic, parseLapicOptions } from "./lapic.ts";
import { createIoapic, parseIoapicOptions } from "./ioapic.ts";
import { createPort61, parsePort61Options } from "./port61.ts";
import { createFpuError, parseFpuErrorOptions } from "./fpu_error.ts";
import { createPort92, parsePort92Options } from "./port92.ts";
import { createDebugExit, parseDebugExitOptions } from "./debug_exit.ts";
import { createDebugcon, parseDebugconOptions } from "./debugcon.ts";
import { createFwCfg, parseFwCfgOptions } from "./fw_cfg.ts";
import { createPcTestdev, parsePcTestdevOptions } from "./pc_testdev.ts";
import { DeviceOptionError } from "./options.ts";
import { createI8042, parseI8042Options } from "./i8042.ts";
import { createPciHost, parsePciHostOptions } from "./pci_host.ts";
import { type AcpiPmPlugin, createAcpiPm, parseAcpiOptions } from "./acpi_pm.ts";

/** Options of the `pc` board (also handed to device factories). */
export interface BoardOptions {
  /** Where COM1 output goes (default: dropped). */
  serial?: (bytes: Uint8Array) => void;
  /**
   * Where port 0xE9 output goes. Without it the board has no 0xE9 console,
   * as QEMU has none unless `-debugcon` is given; `--device isa-debugcon`
   * adds one writing here (or to `serial` when this is absent).
   */
  debugcon?: (bytes: Uint8Array) => void;
  /**
   * Leave out the board's default devices, as QEMU's `-nodefaults`: COM1
   * (unless `serial` is given), isa-debug-exit and pc-testdev. The chipset
   * (PIC, PIT, RTC, APICs, ports 0x61/0x92, fw_cfg) stays.
   */
  noDefaults?: boolean;
  /** Names (as in {@link PC_BOARD_DEVICES}) of board devices to leave out, e.g. to replace one with a plugin. */
  omit?: readonly string[];
  /** RTC epoch in Unix seconds (default: the RTC's fixed epoch). */
  rtcEpoch?: number;
  /** Leave out the LAPIC and IOAPIC (a PIC-only PC). */
  noApic?: boolean;
  /** Guest RAM in MiB (informational: devices read the size from `ctx.memory`). */
  memoryMiB?: number;
  /**
   * `--device` options for board devices, keyed by a name in
   * {@link PC_BOARD_DEVICES}: the board builds that device with them
   * instead of its defaults (e.g. `isa-debug-exit,iobase=0xf4,iosize=4`).
   */
  configure?: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** Former name of {@link BoardOptions}. */
export type PcBoardOptions = BoardOptions;

/** The devices of the `pc` board, by role (absent: left out by `noDefaults`, `omit` or, for the 0xE9 console, not asked for). */
export interface PcBoardDevices {
  /** COM1 (feed it with `input`). */
  readonly uart?: UartPlugin;
  /** The 8259A pair. */
  readonly pic: Plugin;
  /** The 8254 PIT. */
  readonly pit: Plugin;
  /** The CMOS RTC. */
  readonly rtc: Plugin;
  /** The local APIC (absent with `noApic`). */
  readonly lapic?: Plugin;
  /** The I/O APIC (absent with `noApic`). */
  readonly ioapic?: Plugin;
  /** System control port B. */
  readonly port61: Plugin;
  /** Fast A20 and reset. */
  readonly port92: Plugin;
  /** FERR# to IRQ13, IGNNE# by port 0xF0 (absent when omitted). */
  readonly fpuError?: Plugin;
  /** isa-debug-exit at 0xf4/4. */
  readonly debugExit?: Plugin;
  /** The port 0xE9 console. */
  readonly debugcon?: Plugin;
  /** QEMU fw_cfg. */
  readonly fwCfg: Plugin;
  /** The QEMU test device. */
  readonly pcTestdev?: Plugin;
  /** The keyboard controller (reset line); absent with `--no-device i8042`. */
  readonly i8042?: Plugin;
  /** PCI configuration mechanism #1 with the host bridge; absent with `--no-device pci-host`. */
  readonly pciHost?: Plugin;
  /** ACPI tables and PM registers (S3, S5, power button); absent with `--no-device acpi`. */
  readonly acpi?: AcpiPmPlugin;
}

/** Names (and aliases) of the `pc` board's devices that `--device` configures rather than adds. */
export const PC_BOARD_DEVICES: readonly string[] = [
  "i8259",
  "pic",
  "i8254",
  "pit",
  "mc146818rtc",
  "rtc",
  "lapic",
  "apic",
  "ioapic",
  "port61",
  "port92",
  "fpu-error",
  "isa-debug-exit",
  "isa-debugcon",
  "debugcon",
  "fw_cfg",
  "fw_cfg_io",
  "pc-testdev",
  "i8042",
  "pci-host",
  "acpi",
];

/** Create the `pc` board's devices, by role (the UART is there for `input`). */
export function pcBoardDevices(options: BoardOptions = {}): PcBoardDevices {
  const conf = (...names: string[]): Readonly<Record<string, string>> | undefined => {
    for (const n of names) {
      const c = options.configure?.get(n);
      if (c !== undefined) return c;
    }
    return undefined;
  };
  const build = (names: string[], fallback: () => Plugin): Plugin => {
    const c = conf(...names);
    return c === undefined ? fallback() : deviceFactories[names[0]](c, options);
  };
  const withApic = !options.noApic;
  const omitted = new Set(options.omit ?? []);
  const keep = (names: string[], isDefault: boolean): boolean =>
    !names.some((n) => omitted.has(n)) &&
    (!isDefault || !options.noDefaults || conf(...names) !== undefined);
  // With noDefaults there is a COM1 only when the host gave it somewhere to write (QEMU's
  // -nodefaults -serial stdio) or it is configured by name.
  const uartWanted = keep(["isa-serial", "uart16550"], options.serial === undefined);
  const debugconWanted = conf("isa-debugcon", "debugcon") !== undefined ||
    (options.debugcon !== undefined && keep(["isa-debugcon", "debugcon"], false));
  return {
    ...(uartWanted ? { uart: createUart16550({ output: options.serial }) } : {}),
    pic: build(["i8259", "pic"], () => createPic()),
    pit: build(["i8254", "pit"], () => createPit()),
    rtc: build(
      ["mc146818rtc", "rtc"],
      () => createRtc(options.rtcEpoch === undefined ? {} : { epoch: options.rtcEpoch }),
    ),
    ...(withApic
      ? {
        lapic: build(["lapic", "apic"], () => createLapic()),
        ioapic: build(["ioapic"], () => createIoapic()),
      }
      : {}),
    port61: build(["port61"], () => createPort61()),
    port92: build(["port92"], () => createPort92()),
    ...(keep(["fpu-error"], false)
      ? { fpuError: build(["fpu-error"], () => createFpuError()) }
      : {}),
    ...(keep(["isa-debug-exit"], true)
      ? {
        debugExit: build(["isa-debug-exit"], () => createDebugExit({ iobase: 0xf4, iosize: 4 })),
      }
      : {}),
    ...(debugconWanted
      ? {
        debugcon: build(
          ["isa-debugcon", "debugcon"],
          () => createDebugcon({ output: options.debugcon }),
        ),
      }
      : {}),
    fwCfg: build(["fw_cfg", "fw_cfg_io"], () => createFwCfg()),
    ...(keep(["pc-testdev"], true)
      ? { pcTestdev: build(["pc-testdev"], () => createPcTestdev()) }
      : {}),
    // Chipset devices: part of the machine, so -nodefaults keeps them (as QEMU's pc).
    ...(keep(["i8042"], false) ? { i8042: build(["i8042"], () => createI8042()) } : {}),
    ...(keep(["pci-host"], false) ? { pciHost: build(["pci-host"], () => createPciHost()) } : {}),
    ...(keep(["acpi"], false)
      ? { acpi: createAcpiPm(undefined, parseAcpiOptions(conf("acpi") ?? {})) }
      : {}),
  };
}

/** The plugins of the default `pc` board. */
export function pcBoard(options: BoardOptions = {}): Plugin[] {
  return Object.values(pcBoardDevices(options)).filter((p): p is Plugin => p !== undefined);
}

/**
 * A factory for `--device name,key=value`: string options, plus the board
 * options for host-side wiring that strings cannot express (output sinks).
 */
export type DeviceFactory = (
  opts: Readonly<Record<string, string>>,
  board?: BoardOptions,
) => Plugin;

/** Device factories keyed by QEMU-style names (aliases included). */
export const deviceFactories: Readonly<Record<string, DeviceFactory>> = {
  "isa-serial": (o, b) => createUart16550({ ...parseUartOptions(o), output: b?.serial }),
  "uart16550": (o, b) => createUart16550({ ...parseUartOptions(o), output: b?.serial }),
  "i8259": (o) => createPic(parsePicOptions(o)),
  "pic": (o) => createPic(parsePicOptions(o)),
  "i8254": (o) => createPit(parsePitOptions(o)),
  "pit": (o) => createPit(parsePitOptions(o)),
  "mc146818rtc": (o) => createRtc(parseRtcOptions(o)),
  "rtc": (o) => createRtc(parseRtcOptions(o)),
  "lapic": (o) => createLapic(parseLapicOptions(o)),
  "apic": (o) => createLapic(parseLapicOptions(o)),
  "ioapic": (o) => createIoapic(parseIoapicOptions(o)),
  "port61": (o) => (parsePort61Options(o), createPort61()),
  "port92": (o) => (parsePort92Options(o), createPort92()),
  "fpu-error": (o) => (parseFpuErrorOptions(o), createFpuError()),
  "isa-debug-exit": (o) => createDebugExit(parseDebugExitOptions(o)),
  "isa-debugcon": (o, b) =>
    createDebugcon({ ...parseDebugconOptions(o), output: b?.debugcon ?? b?.serial }),
  "debugcon": (o, b) =>
    createDebugcon({ ...parseDebugconOptions(o), output: b?.debugcon ?? b?.serial }),
  "fw_cfg": (o) => createFwCfg(parseFwCfgOptions(o)),
  "fw_cfg_io": (o) => createFwCfg(parseFwCfgOptions(o)),
  "pc-testdev": (o) => (parsePcTestdevOptions(o), createPcTestdev()),
  "i8042": (o) => (parseI8042Options(o), createI8042()),
  "pci-host": (o) => (parsePciHostOptions(o), createPciHost()),
  "acpi": (o) => createAcpiPm(undefined, parseAcpiOptions(o)),
};

/** True if `plugin` is a UART (it has the host-side `input` method). */
export function isUartPlugin(plugin: Plugin): plugin is UartPlugin {
  return plugin.name.startsWith("uart16550@") &&
    typeof (plugin as Partial<UartPlugin>).input === "function";
}

/**
 * Find the UART at `iobase` (default COM1) among a machine's plugins, e.g.
 * to feed it host input: `uartOf(machine.plugins)?.input(bytes)`.
 */
export function uartOf(plugins: readonly Plugin[], iobase = 0x3f8): UartPlugin | undefined {
  const name = `uart16550@0x${iobase.toString(16)}`;
  return plugins.find((p): p is UartPlugin => p.name === name && isUartPlugin(p));
}

/**
 * Find the ACPI device among a machine's plugins, e.g. to press its power
 * button: `acpiOf(machine.plugins)?.pressPowerButton()`.
 */
export function acpiOf(plugins: readonly Plugin[]): AcpiPmPlugin | undefined {
  return plugins.find((p): p is AcpiPmPlugin =>
    p.name === "acpi" && typeof (p as Partial<AcpiPmPlugin>).pressPowerButton === "function"
  );
}

/**
 * Build a device from a `--device` argument such as
 * `isa-debug-exit,iobase=0xf4,iosize=4`. Unknown names and bad options
 * throw a {@link DeviceOptionError} with a clear message.
 */
export function deviceFromSpec(spec: string, board?: BoardOptions): Plugin {
  const [name, ...rest] = spec.split(",");
  const factory = Object.hasOwn(deviceFactories, name) ? deviceFactories[name] : undefined;
  if (factory === undefined) {
    throw new DeviceOptionError(
      `unknown device "${name}" (known: ${Object.keys(deviceFactories).join(", ")})`,
    );
  }
  const opts: Record<string, string> = {};
  for (const kv of rest) {
    if (kv === "") continue;
    const eq = kv.indexOf("=");
    const key = (eq < 0 ? kv : kv.slice(0, eq)).trim().toLowerCase();
    opts[key] = eq < 0 ? "on" : kv.slice(eq + 1);
  }
  return factory(opts, board);
}
