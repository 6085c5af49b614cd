/**
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2)
 * with one device: an Intel 440FX host bridge at 00:00.0 (vendor 8086,
 * device 1237, class 06/00/00). CONFIG_ADDRESS is the dword at 0xCF8
 * (bit 31 enable, bus, device, function, register); CONFIG_DATA is
 * 0xCFC-0xCFF. Functions that do not exist read as all ones and ignore
 * writes. The byte at 0xCF9 is the chipset's reset control register
 * (bit 2 RST_CPU: a 0 -> 1 write resets the machine), which the FADT names as
 * the ACPI reset register.
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import { expectState, num, nums, parseDeviceOptions, type StringOptions } from "./options.ts";

/** CONFIG_ADDRESS port. */
export const PCI_CONFIG_ADDRESS = 0xcf8;
/** CONFIG_DATA port. */
export const PCI_CONFIG_DATA = 0xcfc;
/** Reset control register port. */
export const RESET_CONTROL = 0xcf9;
/** 440FX vendor and device IDs. */
export const I440FX_ID = { vendor: 0x8086, device: 0x1237 } as const;

/** Config-space bytes the guest may write (command low bits, latency timer, chipset registers). */
function writableMask(): Uint8Array {
  const m = new Uint8Array(256);
  m[0x04] = 0x47; // command: I/O space, memory space, bus master, parity error response
  m[0x0d] = 0xf8; // latency timer
  for (let r = 0x50; r < 0x80; r++) m[r] = 0xff; // PMC/DRAM/PAM/SMRAM registers: stored
  return m;
}

function initialConfig(): Uint8Array {
  const c = new Uint8Array(256);
  const dv = new DataView(c.buffer);
  dv.setUint16(0x00, I440FX_ID.vendor, true);
  dv.setUint16(0x02, I440FX_ID.device, true);
  dv.setUint16(0x04, 0x0006, true); // memory space, bus master
  dv.setUint16(0x06, 0x0280, true); // fast back-to-back, medium DEVSEL
  c[0x08] = 0x02; // revision
  c[0x09] = 0x00; // prog-if
  c[0x0a] = 0x00; // subclass: host bridge
  c[0x0b] = 0x06; // class: bridge
  c[0x0e] = 0x00; // header type 0, single function
  return c;
}

/** `--device pci-host` options (none; `-device pci-host,help` lists them). */
export const pciHostOptionsSchema: OptionsSchema = {};

/** Parse `--device pci-host` options (none). */
export function parsePciHostOptions(opts: StringOptions): Record<string, never> {
  return parseDeviceOptions<Record<string, never>>("pci-host", pciHostOptionsSchema, opts);
}

/** Create the PCI host bridge plugin (mechanism #1 and the reset control register). */
export function createPciHost(options: StringOptions = {}): Plugin {
  parsePciHostOptions(options);
  const mask = writableMask();
  let config = initialConfig();
  let address = 0;
  let rcr = 0;
  let ctx: PluginContext | null = null;

  /** Config-space offset addressed now, or -1 if nothing answers. */
  const target = (): number => {
    if ((address & 0x80000000) === 0) return -1;
    if ((address & 0x00ffff00) !== 0) return -1; // only bus 0, device 0, function 0
    return address & 0xfc;
  };

  const readConfig = (offset: number, size: 1 | 2 | 4): number => {
    const base = target();
    if (base < 0) return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    let v = 0;
    for (let i = 0; i < size; i++) v |= config[(base + offset + i) & 0xff] << (8 * i);
    return v >>> 0;
  };

  const writeConfig = (offset: number, size: 1 | 2 | 4, value: number): void => {
    const base = target();
    if (base < 0) return;
    for (let i = 0; i < size; i++) {
      const r = (base + offset + i) & 0xff;
      const m = mask[r];
      config[r] = (config[r] & ~m) | ((value >>> (8 * i)) & m);
    }
  };

  return {
    name: "pci-host",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      c.ports.register(PCI_CONFIG_ADDRESS, 4, {
        read: (offset, size) => {
          if (offset === 0 && size === 4) return address >>> 0;
          if (offset === 1 && size === 1) return rcr;
          return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1; // other widths reach nothing
        },
        write: (offset, size, value) => {
          if (offset === 0 && size === 4) address = (value & 0x80fffffc) >>> 0;
          else if (offset === 1 && size === 1) {
            const old = rcr;
            rcr = value & 0x0e;
            if ((rcr & 4) !== 0 && (old & 4) === 0) ctx?.stop({ kind: "reset" });
          }
        },
      });
      c.ports.register(PCI_CONFIG_DATA, 4, { read: readConfig, write: writeConfig });
    },
    reset(): void {
      config = initialConfig();
      address = 0;
      rcr = 0;
    },
    saveState(): PluginState {
      return { version: 1, data: { address, rcr, config: [...config] } };
    },
    loadState(state: PluginState): void {
      const d = expectState("pci-host", state, 1);
      address = num(d, "address") >>> 0;
      rcr = num(d, "rcr") & 0x0e;
      const saved = nums(d, "config");
      config = initialConfig();
      if (saved.length === 256) config.set(saved.map((b) => b & 0xff));
    },
    dispose(): void {
      ctx = null;
    },
  };
}
