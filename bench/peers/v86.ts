/**
 * v86 (npm package `v86`, fetched by Deno on first use) through
 * v86_run.ts: its own Multiboot loader, after SeaBIOS (Debian package
 * `seabios`) when the BIOS images are installed. v86 emulates a 32-bit CPU
 * without long mode or VMX, so it runs W2 only (W1, the round trips and the
 * x86-64 sieve.flat need long mode).
 *
 * @module
 */

import { runToExit } from "./process.ts";
import type { Runner } from "./types.ts";

/** SeaBIOS and its VGA BIOS from the Debian package `seabios`. */
export const SEABIOS = ["/usr/share/seabios/bios.bin", "/usr/share/seabios/vgabios-stdvga.bin"];

/** v86 run from the repository at `root`; `bios` false starts the kernel without a BIOS. */
export function v86Runner(root: string, bios: boolean): Runner {
  return {
    name: "v86",
    workloads: ["W2"],
    run: (job) =>
      runToExit(Deno.execPath(), [
        "run",
        "-A",
        "--no-lock",
        "bench/peers/v86_run.ts",
        job.image,
        job.append,
        job.done.source,
        ...(bios ? SEABIOS : []),
      ], root),
  };
}
