/**
 * The port 0xE9 debug console (as Bochs and QEMU's `isa-debugcon`): bytes
 * written go to the output sink; a read returns 0xE9 so a guest can detect it.
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import { hex, parseDeviceOptions, type StringOptions, typedOptions } from "./options.ts";

/** Typed options of the debug console. */
export interface DebugconOptions {
  /** Port (default 0xe9). */
  iobase?: number;
  /** Receives written bytes. */
  output?: (bytes: Uint8Array) => void;
}

/** `--device isa-debugcon` options (`-device isa-debugcon,help` lists them). */
export const debugconOptionsSchema: OptionsSchema = {
  iobase: { type: "int", default: 0xe9, min: 0, max: 0xffff, doc: "I/O port" },
  chardev: { type: "string", doc: "accepted for QEMU command lines; output follows -debugcon" },
};

/** Parse `--device isa-debugcon,iobase=..`. */
export function parseDebugconOptions(opts: StringOptions): DebugconOptions {
  return parseDeviceOptions<DebugconOptions>("isa-debugcon", debugconOptionsSchema, opts);
}

/** Create a debug-console plugin. */
export function createDebugcon(given: DebugconOptions | StringOptions = {}): Plugin {
  const options: DebugconOptions = typedOptions(given, parseDebugconOptions);
  const iobase = options.iobase ?? 0xe9;
  const sink = options.output;
  return {
    name: `debugcon@${hex(iobase)}`,
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(ctx): void {
      ctx.ports.register(iobase, 1, {
        read: () => 0xe9,
        write: (_offset, size, value) => {
          if (sink === undefined) return;
          const bytes = new Uint8Array(size);
          for (let i = 0; i < size; i++) bytes[i] = (value >>> (8 * i)) & 0xff;
          sink(bytes);
        },
      });
    },
    reset(): void {},
    saveState(): PluginState {
      return { version: 1, data: {} };
    },
    loadState(): void {},
    dispose(): void {},
  };
}
