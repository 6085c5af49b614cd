/**
 * The PC's x87 error wiring (the "coprocessor error" logic of the chipset):
 * the CPU's FERR# output raises IRQ13 (8259 IRQ13, IOAPIC pin 13), and a
 * write to port 0xF0 clears that request and asserts the CPU's IGNNE#
 * input, which stays asserted until FERR# drops (the handler's FNCLEX).
 * Used when CR0.NE = 0; see cpu/fpu/pending.ts for the CPU side (SDM Vol. 1
 * Appendix D). The CPU is reached only through the vCPU's declared
 * {@link FpuErrorPins} capability.
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { IrqLine, Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import type { FpuErrorPins } from "../core/vcpu.ts";
import { expectState, num, parseDeviceOptions, type StringOptions } from "./options.ts";

/** The IRQ a PC routes FERR# to. */
export const FERR_IRQ = 13;
/** The port whose write asserts IGNNE# (and clears IRQ13). */
export const IGNNE_PORT = 0xf0;

/** `--device fpu-error` options (none). */
export const fpuErrorOptionsSchema: OptionsSchema = {};

/** Parse `--device fpu-error` options (none). */
export function parseFpuErrorOptions(opts: StringOptions): Record<string, never> {
  return parseDeviceOptions<Record<string, never>>("fpu-error", fpuErrorOptionsSchema, opts);
}

/** Create the FERR#/IGNNE# plugin (IRQ13 and port 0xF0). */
export function createFpuError(options: StringOptions = {}): Plugin {
  parseFpuErrorOptions(options);
  let ctx: PluginContext | null = null;
  let line: IrqLine | null = null;
  let ferr = false; // FERR# as the CPU drives it
  let request = false; // IRQ13 raised by FERR#, not yet cleared by port 0xF0
  let ignne = false;

  const drive = (level: boolean): void => {
    request = level;
    line?.set(level);
  };
  const pins: FpuErrorPins = {
    ferr(level: boolean): void {
      if (level === ferr) return;
      ferr = level;
      if (level) drive(true);
      else {
        ignne = false;
        if (request) drive(false);
      }
    },
    ignne: () => ignne,
  };

  return {
    name: "fpu-error",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      line = c.irq.line(FERR_IRQ);
      c.vcpu.setFpuErrorPins?.(pins);
      c.ports.register(IGNNE_PORT, 1, {
        read: () => 0xff,
        write: () => {
          if (!ferr) return;
          if (request) drive(false);
          ignne = true;
        },
      });
    },
    reset(): void {
      ferr = false;
      ignne = false;
      if (request) drive(false);
    },
    saveState(): PluginState {
      return {
        version: 1,
        data: { ferr: ferr ? 1 : 0, request: request ? 1 : 0, ignne: ignne ? 1 : 0 },
      };
    },
    loadState(state: PluginState): void {
      const d = expectState("fpu-error", state, 1);
      ferr = num(d, "ferr") === 1;
      ignne = num(d, "ignne") === 1;
      drive(num(d, "request") === 1);
    },
    dispose(): void {
      ctx?.vcpu.setFpuErrorPins?.(null);
      ctx = null;
      line = null;
    },
  };
}
