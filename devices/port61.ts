/**
 * System control port B (port 0x61) of a PC: bit 0 drives PIT channel 2's
 * GATE, bit 1 enables the speaker data, bits 2-3 are the parity/channel
 * check enables (stored); reads add bit 4, the DRAM refresh toggle (flips
 * every 15.085 us of virtual time), and bit 5, PIT channel 2's OUT.
 * Calibration loops (Linux, many test kernels) time themselves with bit 5.
 * The PIT is found through the {@link PIT_CHANNEL2} service when used.
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import { PIT_CHANNEL2 } from "./interrupts.ts";
import { type DeviceTime, deviceTime } from "./time.ts";
import { expectState, num, parseDeviceOptions, type StringOptions } from "./options.ts";

/** Half-period of the refresh toggle in ns. */
export const REFRESH_TOGGLE_NS = 15085;

/** `--device port61` options (`-device port61,help` lists them). */
export const port61OptionsSchema: OptionsSchema = {};

/** Parse `--device port61` options (none). */
export function parsePort61Options(opts: StringOptions): Record<string, never> {
  return parseDeviceOptions<Record<string, never>>("port61", port61OptionsSchema, opts);
}

/** Create the port 0x61 plugin. */
export function createPort61(options: StringOptions = {}): Plugin {
  parsePort61Options(options);
  let ctx: PluginContext | null = null;
  let time: DeviceTime | null = null;
  let control = 0; // bits 3:0 as written

  const plugin: Plugin = {
    name: "port61",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      time = deviceTime(c);
      c.ports.register(0x61, 1, {
        read: () => {
          const pit = ctx?.services.find(PIT_CHANNEL2);
          const refresh = time === null ? 0 : Math.floor(time() / REFRESH_TOGGLE_NS) & 1;
          let v = control & 0x0f;
          if (pit !== undefined) v = (v & ~1) | (pit.gate() ? 1 : 0) | (pit.output() ? 0x20 : 0);
          return v | (refresh << 4);
        },
        write: (_offset, _size, value) => {
          control = value & 0x0f;
          ctx?.services.find(PIT_CHANNEL2)?.setGate((control & 1) !== 0);
        },
      });
    },
    reset(): void {
      control = 0;
      ctx?.services.find(PIT_CHANNEL2)?.setGate(false);
    },
    saveState(): PluginState {
      return { version: 1, data: { control } };
    },
    loadState(state: PluginState): void {
      control = num(expectState("port61", state, 1), "control") & 0x0f;
    },
    dispose(): void {
      ctx = null;
    },
  };
  return plugin;
}
