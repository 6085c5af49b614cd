/**
 * `pc-testdev`, the test device that QEMU test kernels (kvm-unit-tests)
 * drive: a 32-bit scratch register at ports 0xE0-0xE3, a page-flush port
 * at 0xE4 (accepted, nothing to flush), IRQ lines raised and lowered by
 * writing ports 0x2000+n (n = 0..23; non-zero asserts), and a RAM-like
 * 64 KiB MMIO window at 0xFF000000.
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import { expectState, num, nums, parseDeviceOptions, type StringOptions } from "./options.ts";

/** Base of the pc-testdev MMIO window. */
export const TESTDEV_MMIO_BASE = 0xff000000;
/** Size of the MMIO window. */
export const TESTDEV_MMIO_SIZE = 0x10000;
const IRQ_PORTS = 24;

/** `--device pc-testdev` options (`-device pc-testdev,help` lists them). */
export const pcTestdevOptionsSchema: OptionsSchema = {};

/** Parse `--device pc-testdev` options (none). */
export function parsePcTestdevOptions(opts: StringOptions): Record<string, never> {
  return parseDeviceOptions<Record<string, never>>("pc-testdev", pcTestdevOptionsSchema, opts);
}

/** Create the pc-testdev plugin. */
export function createPcTestdev(options: StringOptions = {}): Plugin {
  parsePcTestdevOptions(options);
  let scratch = 0;
  const levels = new Array<boolean>(IRQ_PORTS).fill(false);
  const window = new Uint8Array(TESTDEV_MMIO_SIZE);
  let ctx: PluginContext | null = null;

  const mask = (size: number): number => (size === 4 ? 0xffffffff : (1 << (8 * size)) - 1);

  return {
    name: "pc-testdev",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      c.ports.register(0xe0, 4, {
        read: (off, size) => ((scratch >>> (8 * off)) & mask(size)) >>> 0,
        write: (off, size, value) => {
          const m = (mask(size) << (8 * off)) >>> 0;
          scratch = ((scratch & ~m) | ((value << (8 * off)) & m)) >>> 0;
        },
      });
      c.ports.register(0xe4, 4, { read: () => 0, write: () => {} });
      c.ports.register(0x2000, IRQ_PORTS, {
        read: (off) => (levels[off] ? 1 : 0),
        write: (off, _size, value) => {
          const level = value !== 0;
          levels[off] = level;
          ctx?.irq.line(off).set(level);
        },
      });
      c.mmio.register(TESTDEV_MMIO_BASE, TESTDEV_MMIO_SIZE, {
        read: (off, size) => {
          let v = 0;
          for (let i = 0; i < size && off + i < TESTDEV_MMIO_SIZE; i++) {
            v |= window[off + i] << (8 * i);
          }
          return v >>> 0;
        },
        write: (off, size, value) => {
          for (let i = 0; i < size && off + i < TESTDEV_MMIO_SIZE; i++) {
            window[off + i] = (value >>> (8 * i)) & 0xff;
          }
        },
      });
    },
    reset(): void {
      scratch = 0;
      window.fill(0);
      for (let i = 0; i < IRQ_PORTS; i++) {
        if (levels[i]) ctx?.irq.line(i).set(false);
        levels[i] = false;
      }
    },
    saveState(): PluginState {
      // The window is sparse in practice: save non-zero bytes as [offset, value] pairs.
      const bytes: number[] = [];
      for (let i = 0; i < window.length; i++) if (window[i] !== 0) bytes.push(i, window[i]);
      return { version: 1, data: { scratch, levels: levels.map(Number), window: bytes } };
    },
    loadState(state: PluginState): void {
      const d = expectState("pc-testdev", state, 1);
      scratch = num(d, "scratch") >>> 0;
      const l = nums(d, "levels");
      for (let i = 0; i < IRQ_PORTS; i++) levels[i] = l[i] === 1;
      window.fill(0);
      const w = nums(d, "window");
      for (let i = 0; i + 1 < w.length; i += 2) {
        if (w[i] >= 0 && w[i] < TESTDEV_MMIO_SIZE) window[w[i]] = w[i + 1] & 0xff;
      }
    },
    dispose(): void {
      ctx = null;
    },
  };
}
