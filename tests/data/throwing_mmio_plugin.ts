/**
 * A test plugin module whose MMIO read handler throws (`--plugin
 * ./tests/data/throwing_mmio_plugin.ts,base=0x...`): the machine must stop
 * with the plugin-error result naming it, not crash.
 *
 * @module
 */

import type { Plugin } from "../../core/plugin.ts";

/** Build the plugin: 4 KiB of MMIO at `base` (default 0xfed00000); reads throw, writes are kept. */
export default function createThrowingMmio(options: Readonly<Record<string, string>>): Plugin {
  const base = Number(options.base ?? "0xfed00000");
  let last = 0;
  return {
    name: "mmio-bomb",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.mmio.register(base, 0x1000, {
        read: () => {
          throw new TypeError(`mmio-bomb read exploded (last write ${last})`);
        },
        write: (_offset, _size, value) => {
          last = value;
        },
      });
    },
  };
}
