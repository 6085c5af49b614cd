/**
 * The 8042 keyboard controller at ports 0x60 (data) and 0x64 (status and
 * command), with a keyboard that answers its commands and no auxiliary
 * (mouse) port, as much as an operating system's presence checks and reset
 * path use:
 *
 * - controller commands: read/write the command byte (0x20/0x60), self test
 *   (0xAA -> 0x55), keyboard interface test (0xAB -> 0x00), auxiliary
 *   interface test (0xA9 -> 0x02, "clock line stuck": no mouse port),
 *   disable/enable keyboard (0xAD/0xAE) and auxiliary (0xA7/0xA8) ports,
 *   read/write the output port (0xD0/0xD1), write the keyboard and
 *   auxiliary output buffers (0xD2/0xD3: the byte comes back as keyboard
 *   data, so the auxiliary loopback check fails at once), pulse output
 *   lines (0xF0-0xFF);
 * - the machine-reset line: output-port bit 0 written low (0xD1) or pulsed
 *   (0xFE) resets the machine;
 * - keyboard commands written to 0x60: reset (0xFF -> FA AA), identify
 *   (0xF2 -> FA AB 83, or AB 41 while the command byte asks for scan-code
 *   translation), echo (0xEE), and the others acknowledged with 0xFA;
 * - IRQ 1 is asserted while the output buffer is full and the command byte
 *   enables keyboard interrupts.
 *
 * Replies are queued and appear one byte at a time in the output buffer,
 * immediately (never a timeout the guest would wait for).
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import { expectState, num, nums, parseDeviceOptions, type StringOptions } from "./options.ts";

/** Status register bits. */
export const I8042_STATUS = {
  /** Output buffer full. */
  OBF: 0x01,
  /** System flag (command byte bit 2). */
  SYS: 0x04,
  /** Last write was a command (0x64). */
  CMD: 0x08,
  /** Keyboard not inhibited. */
  UNLOCKED: 0x10,
} as const;

/** Command byte bits. */
export const I8042_CTR = {
  /** Keyboard interrupt enable. */
  KBD_INT: 0x01,
  /** System flag. */
  SYS: 0x04,
  /** Keyboard port disabled. */
  KBD_DISABLE: 0x10,
  /** Auxiliary port disabled. */
  AUX_DISABLE: 0x20,
  /** Scan-code translation. */
  XLATE: 0x40,
} as const;

/** Command byte after power-on, as firmware leaves it: interrupt, system flag, translation. */
const CTR_RESET = I8042_CTR.KBD_INT | I8042_CTR.SYS | I8042_CTR.XLATE;
/** Output port after power-on: reset line high (bit 0), A20 enabled (bit 1). */
const OUTPUT_PORT_RESET = 0x03;

/** `--device i8042` options (none; `-device i8042,help` lists them). */
export const i8042OptionsSchema: OptionsSchema = {};

/** Parse `--device i8042` options (none). */
export function parseI8042Options(opts: StringOptions): Record<string, never> {
  return parseDeviceOptions<Record<string, never>>("i8042", i8042OptionsSchema, opts);
}

/** Create the i8042 plugin. */
export function createI8042(options: StringOptions = {}): Plugin {
  parseI8042Options(options);
  let ctx: PluginContext | null = null;
  let ctr = CTR_RESET;
  let outputPort = OUTPUT_PORT_RESET;
  let lastWasCommand = false;
  /** A controller command waiting for its data byte at 0x60, or 0. */
  let pendingCommand = 0;
  /** A keyboard command waiting for its argument byte, or 0. */
  let pendingKeyboard = 0;
  let queue: number[] = [];

  const updateIrq = (): void => {
    ctx?.irq.line(1).set(queue.length > 0 && (ctr & I8042_CTR.KBD_INT) !== 0);
  };
  const reply = (...bytes: number[]): void => {
    queue.push(...bytes.map((b) => b & 0xff));
    updateIrq();
  };
  const resetMachine = (why: string): void => {
    ctx?.log.info(`i8042: ${why}: machine reset`);
    ctx?.stop({ kind: "reset" });
  };

  const keyboard = (byte: number): void => {
    if (pendingKeyboard !== 0) {
      pendingKeyboard = 0; // LEDs, typematic rate or scan-code set argument
      reply(0xfa);
      return;
    }
    switch (byte) {
      case 0xff: // reset and self test
        reply(0xfa, 0xaa);
        break;
      case 0xf2: // identify
        reply(0xfa, 0xab, ctr & I8042_CTR.XLATE ? 0x41 : 0x83);
        break;
      case 0xee: // echo
        reply(0xee);
        break;
      case 0xed: // set LEDs
      case 0xf3: // typematic rate
      case 0xf0: // scan-code set
        pendingKeyboard = byte;
        reply(0xfa);
        break;
      default: // enable, disable, defaults, resend, ...
        reply(0xfa);
    }
  };

  const command = (cmd: number): void => {
    if (cmd >= 0xf0) {
      // Pulse output-port lines whose bit is 0; bit 0 is the reset line.
      if ((cmd & 1) === 0) resetMachine("reset line pulsed (0x64 <- 0x" + cmd.toString(16) + ")");
      return;
    }
    switch (cmd) {
      case 0x20:
        reply(ctr);
        break;
      case 0x60:
      case 0xd1:
      case 0xd2:
      case 0xd3:
      case 0xd4:
        pendingCommand = cmd;
        break;
      case 0xa7:
        ctr |= I8042_CTR.AUX_DISABLE;
        break;
      case 0xa8:
        ctr &= ~I8042_CTR.AUX_DISABLE;
        break;
      case 0xa9:
        reply(0x02); // auxiliary clock line stuck high: no mouse port
        break;
      case 0xaa:
        ctr |= I8042_CTR.SYS;
        reply(0x55);
        break;
      case 0xab:
        reply(0x00);
        break;
      case 0xad:
        ctr |= I8042_CTR.KBD_DISABLE;
        break;
      case 0xae:
        ctr &= ~I8042_CTR.KBD_DISABLE;
        break;
      case 0xc0:
        reply(0x00); // input port
        break;
      case 0xd0:
        reply(outputPort);
        break;
      default:
        ctx?.log.debug(`i8042: command 0x${cmd.toString(16)} ignored`);
    }
    updateIrq();
  };

  const data = (byte: number): void => {
    const cmd = pendingCommand;
    pendingCommand = 0;
    switch (cmd) {
      case 0x60:
        ctr = byte;
        updateIrq();
        return;
      case 0xd1:
        outputPort = byte | 0x01;
        if ((byte & 1) === 0) resetMachine("output port bit 0 written low");
        return;
      case 0xd2:
      case 0xd3:
        reply(byte);
        return;
      case 0xd4:
        return; // no auxiliary device
      default:
        keyboard(byte);
    }
  };

  return {
    name: "i8042",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      c.ports.register(0x60, 1, {
        read: () => {
          const v = queue.length > 0 ? queue.shift()! : 0;
          updateIrq();
          return v;
        },
        write: (_o, _s, v) => {
          lastWasCommand = false;
          data(v & 0xff);
        },
      });
      c.ports.register(0x64, 1, {
        read: () =>
          (queue.length > 0 ? I8042_STATUS.OBF : 0) | (ctr & I8042_CTR.SYS) |
          (lastWasCommand ? I8042_STATUS.CMD : 0) | I8042_STATUS.UNLOCKED,
        write: (_o, _s, v) => {
          lastWasCommand = true;
          pendingCommand = 0;
          command(v & 0xff);
        },
      });
    },
    reset(): void {
      ctr = CTR_RESET;
      outputPort = OUTPUT_PORT_RESET;
      lastWasCommand = false;
      pendingCommand = 0;
      pendingKeyboard = 0;
      queue = [];
      updateIrq();
    },
    saveState(): PluginState {
      return {
        version: 1,
        data: {
          ctr,
          outputPort,
          lastWasCommand: lastWasCommand ? 1 : 0,
          pendingCommand,
          pendingKeyboard,
          queue: [...queue],
        },
      };
    },
    loadState(state: PluginState): void {
      const d = expectState("i8042", state, 1);
      ctr = num(d, "ctr", CTR_RESET) & 0xff;
      outputPort = num(d, "outputPort", OUTPUT_PORT_RESET) & 0xff;
      lastWasCommand = num(d, "lastWasCommand") !== 0;
      pendingCommand = num(d, "pendingCommand") & 0xff;
      pendingKeyboard = num(d, "pendingKeyboard") & 0xff;
      queue = nums(d, "queue").map((b) => b & 0xff).slice(0, 16);
      updateIrq();
    },
    dispose(): void {
      ctx = null;
    },
  };
}
