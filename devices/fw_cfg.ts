/**
 * QEMU's firmware configuration interface, traditional I/O variant (as
 * documented in QEMU's `docs/specs/fw_cfg.rst`): a 16-bit selector written
 * to port 0x510 and the selected item's bytes read one at a time from port
 * 0x511. Items: signature "QEMU", interface ID (traditional only, no DMA),
 * UUID, RAM size, CPU count (1, never 0: test kernels hang on 0), max CPUs,
 * NUMA (no nodes), boot menu, and the file directory with any extra files.
 * Unknown selectors read as zeros.
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import {
  DeviceOptionError,
  expectState,
  hex,
  num,
  parseDeviceOptions,
  type StringOptions,
  typedOptions,
} from "./options.ts";

/** Well-known fw_cfg selectors. */
export const FwCfgKey = {
  SIGNATURE: 0x00,
  ID: 0x01,
  UUID: 0x02,
  RAM_SIZE: 0x03,
  NOGRAPHIC: 0x04,
  NB_CPUS: 0x05,
  NUMA: 0x0d,
  BOOT_MENU: 0x0e,
  MAX_CPUS: 0x0f,
  FILE_DIR: 0x19,
  FILE_FIRST: 0x20,
} as const;

/** Typed options of fw_cfg. */
export interface FwCfgOptions {
  /** Selector port (default 0x510; data port is +1). */
  iobase?: number;
  /** RAM size in bytes (default: the machine's RAM). */
  ramSize?: number;
  /** CPU count reported (default 1; 0 is rejected). */
  cpus?: number;
  /** Maximum CPU count (default = cpus). */
  maxCpus?: number;
  /** Extra files for the directory, by name (at most 55 characters each). */
  files?: Readonly<Record<string, Uint8Array>>;
}

/** `--device fw_cfg` options (`-device fw_cfg,help` lists them). */
export const fwCfgOptionsSchema: OptionsSchema = {
  iobase: { type: "int", min: 0, max: 0xfffe, doc: "selector port; data at +1 (default 0x510)" },
  cpus: { type: "int", min: 1, max: 255, doc: "CPU count reported (default 1)" },
  maxcpus: { type: "int", min: 1, max: 255, doc: "maximum CPU count reported (default cpus)" },
};

/** Parse `--device fw_cfg,...` options. */
export function parseFwCfgOptions(opts: StringOptions): FwCfgOptions {
  return parseDeviceOptions<FwCfgOptions>("fw_cfg", fwCfgOptionsSchema, opts, {
    maxcpus: "maxCpus",
  });
}

function le(value: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = BigInt(value);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Create the fw_cfg plugin. */
export function createFwCfg(given: FwCfgOptions | StringOptions = {}): Plugin {
  const options: FwCfgOptions = typedOptions(given, parseFwCfgOptions);
  const iobase = options.iobase ?? 0x510;
  const cpus = options.cpus ?? 1;
  if (!(cpus >= 1)) throw new DeviceOptionError("fw_cfg: the CPU count must be at least 1");
  const maxCpus = Math.max(options.maxCpus ?? cpus, cpus);
  const files = Object.entries(options.files ?? {});
  for (const [name] of files) {
    if (name.length === 0 || name.length > 55) {
      throw new DeviceOptionError(`fw_cfg: bad file name "${name}"`);
    }
  }
  const items = new Map<number, Uint8Array>();
  let selector = 0;
  let offset = 0;

  function build(ramSize: number): void {
    items.clear();
    items.set(FwCfgKey.SIGNATURE, new TextEncoder().encode("QEMU"));
    items.set(FwCfgKey.ID, le(1, 4)); // bit 0: traditional interface; no DMA
    items.set(FwCfgKey.UUID, new Uint8Array(16));
    items.set(FwCfgKey.RAM_SIZE, le(ramSize, 8));
    items.set(FwCfgKey.NOGRAPHIC, le(1, 2));
    items.set(FwCfgKey.NB_CPUS, le(cpus, 2));
    items.set(FwCfgKey.NUMA, new Uint8Array(8 * (1 + maxCpus))); // 0 nodes, CPU->node table
    items.set(FwCfgKey.BOOT_MENU, le(0, 2));
    items.set(FwCfgKey.MAX_CPUS, le(maxCpus, 2));
    // File directory: big-endian count, then {size BE32, select BE16, reserved, name[56]}.
    const dir = new Uint8Array(4 + 64 * files.length);
    const view = new DataView(dir.buffer);
    view.setUint32(0, files.length);
    files.forEach(([name, data], i) => {
      const at = 4 + 64 * i;
      view.setUint32(at, data.length);
      view.setUint16(at + 4, FwCfgKey.FILE_FIRST + i);
      dir.set(new TextEncoder().encode(name), at + 8);
      items.set(FwCfgKey.FILE_FIRST + i, data.slice());
    });
    items.set(FwCfgKey.FILE_DIR, dir);
  }

  return {
    name: `fw_cfg@${hex(iobase)}`,
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(ctx: PluginContext): void {
      build(options.ramSize ?? ctx.memory.ramSize);
      ctx.ports.register(iobase, 2, {
        read: (off, size) => {
          if (off === 0) return 0; // the selector port reads as 0
          let v = 0;
          // Keys with the arch-local bit (0x8000) are not provided; the write bit is masked off.
          const item = selector & 0x8000 ? undefined : items.get(selector & 0x3fff);
          for (let i = 0; i < size; i++) {
            const b = item !== undefined && offset < item.length ? item[offset] : 0;
            if (item !== undefined && offset < item.length) offset++;
            v |= b << (8 * i);
          }
          return v >>> 0;
        },
        write: (off, _size, value) => {
          if (off === 0) {
            selector = value & 0xffff;
            offset = 0;
          }
          // Writes to the data port are ignored (read-only items).
        },
      });
    },
    reset(): void {
      selector = 0;
      offset = 0;
    },
    saveState(): PluginState {
      return { version: 1, data: { selector, offset } };
    },
    loadState(state: PluginState): void {
      const d = expectState("fw_cfg", state, 1);
      selector = num(d, "selector") & 0xffff;
      offset = Math.max(0, Math.trunc(num(d, "offset")));
    },
    dispose(): void {},
  };
}
