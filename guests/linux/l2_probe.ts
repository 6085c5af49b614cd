/**
 * The L2 probe of `deno task linux --check-snapshot`: an observer plugin
 * that logs, on stderr, the instruction count at every I/O exit an L2
 * guest makes to the KVM client's port (0xE9 by default). The harness
 * reads these lines to pick a snapshot point where the L2 runs under Linux
 * KVM. Its lines are info messages (`--log-level info` shows them:
 * `[l2-probe] info: L2 out value 0x48 at instruction 2262258452`). It only observes (no state, no effect on the guest), so a machine
 * with it retires exactly the same instructions as one without it, and a
 * snapshot restores with or without it.
 *
 * `deno run -A cli.ts ... --log-level info --plugin guests/linux/l2_probe.ts,port=0xe9`
 *
 * @module
 */

import type { OptionsOf, Plugin } from "../../mod.ts";

/** Options: the port whose L2 writes are logged. */
export const optionsSchema = {
  port: { type: "int", default: 0xe9, min: 0, max: 0xffff, doc: "L2 port to watch" },
} as const;

/** One probe line: an L2 write of `value` to the port after `retired` instructions. */
export interface ProbeHit {
  /** Instructions retired by the machine when the exit happened. */
  readonly retired: number;
  /** The byte written. */
  readonly value: number;
}

/** Parse the probe's lines out of a run's stderr. */
export function parseProbe(stderr: string): ProbeHit[] {
  const out: ProbeHit[] = [];
  const re = /\[l2-probe\] info: L2 out value 0x([0-9a-f]+) at instruction (\d+)/g;
  for (const m of stderr.matchAll(re)) {
    out.push({ value: parseInt(m[1], 16), retired: Number(m[2]) });
  }
  return out;
}

/** Create the probe. */
export default function createL2Probe(
  options: Partial<OptionsOf<typeof optionsSchema>> = {},
): Plugin {
  const port = options.port ?? optionsSchema.port.default;
  return {
    name: "l2-probe",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.exits.observe((exit) => {
        if (exit.level !== 2 || exit.kind !== "io" || exit.port !== port) return;
        if (exit.direction !== "out") return;
        ctx.log.info(
          `L2 out value 0x${(exit.value & 0xff).toString(16)} at instruction ${ctx.vcpu.retired}`,
        );
      });
    },
  };
}
