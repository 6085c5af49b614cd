/**
 * QEMU with TCG (Debian package `qemu-system-x86`): its `-kernel` Multiboot
 * loader takes the images as they are and isa-debug-exit ends the process.
 * TCG does not emulate VMX, so the round-trip guest is not run.
 *
 * @module
 */

import { runToExit } from "./process.ts";
import type { Runner } from "./types.ts";

/** `qemu-system-x86_64 -accel tcg`, run from `root`. */
export function qemuRunner(root: string): Runner {
  return {
    name: "qemu tcg",
    workloads: ["W1", "W2", "FP", "sieve"],
    run: (job) =>
      runToExit("qemu-system-x86_64", [
        "-accel",
        "tcg",
        "-display",
        "none",
        "-nodefaults",
        "-serial",
        "stdio",
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=4",
        "-kernel",
        job.image,
        "-append",
        job.append,
      ], root),
  };
}
