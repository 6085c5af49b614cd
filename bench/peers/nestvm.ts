/**
 * nestvm itself, one process per run: `deno run -A cli.ts --kernel IMAGE
 * --append CMDLINE --engine jit|interp` (the guest exits through
 * isa-debug-exit).
 *
 * @module
 */

import { runToExit } from "./process.ts";
import type { Runner } from "./types.ts";

/** nestvm with the given engine, run from the repository at `root`. */
export function nestvmRunner(engine: "jit" | "interp", root: string): Runner {
  return {
    name: `nestvm ${engine}`,
    workloads: ["W1", "W2", "RT", "FP", "sieve"],
    run: (job) =>
      runToExit(Deno.execPath(), [
        "run",
        "-A",
        "cli.ts",
        "--kernel",
        job.image,
        "--append",
        job.append,
        "--engine",
        engine,
      ], root),
  };
}
