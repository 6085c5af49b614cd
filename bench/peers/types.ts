/**
 * What the peer runners share: the workloads, one job (image, command line,
 * the output line that ends it) and the outcome of one whole-process run.
 *
 * @module
 */

/**
 * W1/W2: the MIPS loops; RT: nested round trips; FP: the floating-point
 * benchmark (fpbench64.elf); sieve: kvm-unit-tests' sieve.flat.
 */
export type Workload = "W1" | "W2" | "RT" | "FP" | "sieve";

/** One run of one guest image. */
export interface Job {
  readonly workload: Workload;
  /** Multiboot ELF32 image, relative to the repository root or absolute. */
  readonly image: string;
  /** Multiboot command line. */
  readonly append: string;
  /** Matches the guest's output once its last line has been printed. */
  readonly done: RegExp;
}

/** Wall and CPU time of one whole process (start to exit) and everything it printed. */
export interface RunOutcome {
  readonly ms: number;
  /** User + system time of the process and its threads; NaN when unknown. */
  readonly cpuMs: number;
  readonly text: string;
}

/** One emulator as the comparison sees it. */
export interface Runner {
  readonly name: string;
  /** Workloads this emulator can run (e.g. v86 has no long mode and no VMX). */
  readonly workloads: readonly Workload[];
  run(job: Job): Promise<RunOutcome>;
}
