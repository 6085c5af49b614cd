/**
 * The port 0xE9 debug console (as Bochs and QEMU's `isa-debugcon`): bytes
 * written go to the output sink; a read returns 0xE9 so a guest can detect it.
 *
 * @module
 */

import type { Plugin, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import {
  checkKnownKeys,
  checkRange,
  hex,
  parseIntOption,
  type StringOptions,
  typedOptions,
} from "./options.ts";

/** Typed options of the debug console. */
export interface DebugconOptions {
  /** Port (default 0xe9). */
  iobase?: number;
  /** Receives written bytes. */
  output?: (bytes: Uint8Array) => void;
}

/** Parse `--device isa-debugcon,iobase=..`. */
export function parseDebugconOptions(opts: StringOptions): DebugconOptions {
  const d = "isa-debugcon";
  checkKnownKeys(d, opts, ["iobase", "chardev"]);
  return {
    iobase: checkRange(d, "iobase", parseIntOption(d, "iobase", opts.iobase, 0xe9), 0, 0xffff),
  };
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
