/**
 * `--trace`: a plugin that logs every VM exit (both levels) before anyone
 * handles it, then passes it on.
 *
 * @module
 */

import type { Plugin } from "../core/plugin.ts";
import { describeExit } from "../core/exit_bus.ts";

/** Create the trace plugin writing one line per exit to `log`. */
export function createTracePlugin(log: (line: string) => void): Plugin {
  return {
    name: "trace",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.exits.observe((exit) =>
        log(`exit ${describeExit(exit)} rip=0x${ctx.vcpu.rip.toString(16)}`)
      );
    },
  };
}
