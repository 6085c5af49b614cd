/**
 * The `pc` board preset and the registry of device factories that
 * `--device name,key=value,...` uses.
 *
 * Placement of the default `pc` board (one table, as a PC has it):
 *
 * | device          | ports / MMIO                 | IRQ            |
 * | --------------- | ---------------------------- | -------------- |
 * | uart16550 COM1  | 0x3f8-0x3ff                  | 4              |
 * | pic (8259 pair) | 0x20-0x21, 0xa0-0xa1, 0x4d0-1| (receives)     |
 * | pit (8254)      | 0x40-0x43                    | 0 (IOAPIC pin 2)|
 * | rtc (CMOS)      | 0x70-0x71                    | 8              |
 * | lapic           | 0xfee00000 (+ x2APIC MSRs)   | -              |
 * | ioapic          | 0xfec00000                   | (receives)     |
 * | port61, port92  | 0x61, 0x92                   | -              |
 * | isa-debug-exit  | 0xf4-0xf7                    | -              |
 * | debugcon        | 0xe9                         | -              |
 * | fw_cfg          | 0x510-0x511                  | -              |
 * | pc-testdev      | 0xe0-0xe7, 0x2000-0x2017, 0xff000000 | drives 0-23 |
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
import { createPort92, parsePort92Options } from "./port92.ts";
import { createDebugExit, parseDebugExitOptions } from "./debug_exit.ts";
import { createDebugcon, parseDebugconOptions } from "./debugcon.ts";
import { createFwCfg, parseFwCfgOptions } from "./fw_cfg.ts";
import { createPcTestdev, parsePcTestdevOptions } from "./pc_testdev.ts";
import { DeviceOptionError } from "./options.ts";

/** Options of the `pc` board. */
export interface PcBoardOptions {
  /** Where COM1 output goes (default: dropped). */
  serial?: (bytes: Uint8Array) => void;
  /** Where port 0xE9 output goes (default: same as `serial`). */
  debugcon?: (bytes: Uint8Array) => void;
  /** RTC epoch in Unix seconds (default: the RTC's fixed epoch). */
  rtcEpoch?: number;
  /** Leave out the LAPIC and IOAPIC (a PIC-only PC). */
  noApic?: boolean;
}

/** The devices of the `pc` board, by role. */
export interface PcBoardDevices {
  /** COM1 (feed it with `input`). */
  readonly uart: UartPlugin;
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
  /** isa-debug-exit at 0xf4/4. */
  readonly debugExit: Plugin;
  /** The port 0xE9 console. */
  readonly debugcon: Plugin;
  /** QEMU fw_cfg. */
  readonly fwCfg: Plugin;
  /** The QEMU test device. */
  readonly pcTestdev: Plugin;
}

/** Create the `pc` board's devices, by role (the UART is there for `input`). */
export function pcBoardDevices(options: PcBoardOptions = {}): PcBoardDevices {
  return {
    uart: createUart16550({ output: options.serial }),
    pic: createPic(),
    pit: createPit(),
    rtc: createRtc(options.rtcEpoch === undefined ? {} : { epoch: options.rtcEpoch }),
    ...(options.noApic ? {} : { lapic: createLapic(), ioapic: createIoapic() }),
    port61: createPort61(),
    port92: createPort92(),
    debugExit: createDebugExit({ iobase: 0xf4, iosize: 4 }),
    debugcon: createDebugcon({ output: options.debugcon ?? options.serial }),
    fwCfg: createFwCfg(),
    pcTestdev: createPcTestdev(),
  };
}

/** The plugins of the default `pc` board. */
export function pcBoard(options: PcBoardOptions = {}): Plugin[] {
  return Object.values(pcBoardDevices(options)).filter((p): p is Plugin => p !== undefined);
}

/** Host-side I/O a device factory may be given (not expressible as strings). */
export interface DeviceIo {
  /** Output sink for character devices (uart, debugcon). */
  output?: (bytes: Uint8Array) => void;
}

/** A factory for `--device name,key=value`: string options, optional host I/O. */
export type DeviceFactory = (opts: Readonly<Record<string, string>>, io?: DeviceIo) => Plugin;

/** Device factories keyed by QEMU-style names (aliases included). */
export const deviceFactories: Readonly<Record<string, DeviceFactory>> = {
  "isa-serial": (o, io) => createUart16550({ ...parseUartOptions(o), output: io?.output }),
  "uart16550": (o, io) => createUart16550({ ...parseUartOptions(o), output: io?.output }),
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
  "isa-debug-exit": (o) => createDebugExit(parseDebugExitOptions(o)),
  "isa-debugcon": (o, io) => createDebugcon({ ...parseDebugconOptions(o), output: io?.output }),
  "debugcon": (o, io) => createDebugcon({ ...parseDebugconOptions(o), output: io?.output }),
  "fw_cfg": (o) => createFwCfg(parseFwCfgOptions(o)),
  "fw_cfg_io": (o) => createFwCfg(parseFwCfgOptions(o)),
  "pc-testdev": (o) => (parsePcTestdevOptions(o), createPcTestdev()),
};

/**
 * Build a device from a `--device` argument such as
 * `isa-debug-exit,iobase=0xf4,iosize=4`. Unknown names and bad options
 * throw a {@link DeviceOptionError} with a clear message.
 */
export function deviceFromSpec(spec: string, io?: DeviceIo): Plugin {
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
  return factory(opts, io);
}
