/**
 * System control port A (port 0x92, "fast A20 and reset"): bit 1 is the
 * A20 gate (stored and readable; nestvm's memory does not wrap at 1 MiB,
 * so A20 stays effectively enabled), and a 0 -> 1 transition of bit 0
 * requests a machine reset.
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import { expectState, num, parseDeviceOptions, type StringOptions } from "./options.ts";

/** `--device port92` options (`-device port92,help` lists them). */
export const port92OptionsSchema: OptionsSchema = {};

/** Parse `--device port92` options (none). */
export function parsePort92Options(opts: StringOptions): Record<string, never> {
  return parseDeviceOptions<Record<string, never>>("port92", port92OptionsSchema, opts);
}

/** Create the port 0x92 plugin. */
export function createPort92(options: StringOptions = {}): Plugin {
  parsePort92Options(options);
  let value = 0x02; // A20 enabled at reset
  let ctx: PluginContext | null = null;
  return {
    name: "port92",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      c.ports.register(0x92, 1, {
        read: () => value,
        write: (_off, _size, v) => {
          const old = value;
          value = v & 0x03;
          if ((value & 1) && !(old & 1)) ctx?.stop({ kind: "reset" });
          if ((value ^ old) & 2) ctx?.log.debug(`A20 ${value & 2 ? "enabled" : "disabled"}`);
        },
      });
    },
    reset(): void {
      value = 0x02;
    },
    saveState(): PluginState {
      return { version: 1, data: { value } };
    },
    loadState(state: PluginState): void {
      value = num(expectState("port92", state, 1), "value", 2) & 0x03;
    },
    dispose(): void {
      ctx = null;
    },
  };
}
