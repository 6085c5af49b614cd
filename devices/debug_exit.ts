/**
 * `isa-debug-exit`: a write of `v` to its port range stops the machine with
 * exit status `(v << 1) | 1`, the convention of QEMU's device that test
 * harnesses (kvm-unit-tests among them) rely on. Reads return 0.
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import {
  DeviceOptionError,
  hex,
  parseDeviceOptions,
  type StringOptions,
  typedOptions,
} from "./options.ts";

/** Typed options of isa-debug-exit. */
export interface DebugExitOptions {
  /** First port (QEMU's default is 0x501; our `pc` board uses 0xf4). */
  iobase?: number;
  /** Number of ports (QEMU's default 2; our board uses 4). */
  iosize?: number;
}

/** `--device isa-debug-exit` options (`-device isa-debug-exit,help` lists them). */
export const debugExitOptionsSchema: OptionsSchema = {
  iobase: { type: "int", default: 0x501, min: 0, max: 0xffff, doc: "first I/O port" },
  iosize: { type: "int", default: 2, min: 1, max: 4, doc: "number of ports" },
};

/** Parse `--device isa-debug-exit,iobase=..,iosize=..`. */
export function parseDebugExitOptions(opts: StringOptions): DebugExitOptions {
  return parseDeviceOptions<DebugExitOptions>("isa-debug-exit", debugExitOptionsSchema, opts);
}

/** Create an isa-debug-exit plugin. */
export function createDebugExit(given: DebugExitOptions | StringOptions = {}): Plugin {
  const options: DebugExitOptions = typedOptions(given, parseDebugExitOptions);
  const iobase = options.iobase ?? 0x501;
  const iosize = options.iosize ?? 2;
  if (iobase + iosize > 0x10000) throw new DeviceOptionError("isa-debug-exit: ports beyond 0xffff");
  let ctx: PluginContext | null = null;
  return {
    name: `isa-debug-exit@${hex(iobase)}`,
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      c.ports.register(iobase, iosize, {
        read: () => 0,
        write: (_offset, size, value) => {
          const v = size === 4 ? value >>> 0 : value & ((1 << (8 * size)) - 1);
          // (v << 1) | 1 computed without 32-bit overflow.
          ctx?.stop({ kind: "exit", status: v * 2 + 1 });
        },
      });
    },
    reset(): void {},
    saveState(): PluginState {
      return { version: 1, data: {} };
    },
    loadState(): void {},
    dispose(): void {
      ctx = null;
    },
  };
}
