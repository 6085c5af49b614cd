/**
 * Differential runs of guest images: boot the same image on two machines,
 * one with the interpreter alone and one with the block compiler, and
 * report everything that must be identical (serial output, stop reason,
 * instruction count, final vCPU state).
 *
 * @module
 */

import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { JitEngine } from "../cpu/jit/mod.ts";
import type { CpuSnapshot } from "../cpu/cpu.ts";

/** What one engine's run of a guest produced. */
export interface EngineRun {
  /** Serial output (COM1 and the debug console). */
  readonly output: string;
  /** Stop reason kind (and exit status). */
  readonly stop: string;
  /** Instructions retired. */
  readonly instructions: number;
  /** The vCPU's state at the end. */
  readonly state: CpuSnapshot;
  /** Regions the block compiler compiled (0 for the interpreter). */
  readonly regions: number;
  /** Instructions retired in compiled regions. */
  readonly compiled: number;
  /** Regions whose generated code V8 rejected (must be 0). */
  readonly compileErrors: number;
}

/** Options of {@link runGuest}. */
export interface GuestRunOptions {
  /** Kernel command line. */
  readonly cmdline?: string;
  /** Instruction budget. */
  readonly budget?: number;
  /** Block compiler hotness threshold (low values compile more). */
  readonly hot?: number;
}

/** Boot guests/build/`name` with `engine` and run it to its end or the budget. */
export function runGuest(
  name: string,
  engine: "interp" | "jit",
  options: GuestRunOptions = {},
): EngineRun {
  const image = Deno.readFileSync(new URL(`../guests/build/${name}`, import.meta.url));
  let output = "";
  const dec = new TextDecoder();
  const m = createMachine({
    serial: (b) => (output += dec.decode(b, { stream: true })),
    engine: "interp",
  });
  try {
    if (engine === "jit") m.cpu.jit = new JitEngine(options.hot ?? 2);
    bootKernel(m, image, { cmdline: options.cmdline ?? "" });
    const r = m.run({ maxInstructions: options.budget ?? 50_000_000 });
    const reason = r.reason;
    const jit = m.cpu.jit;
    return {
      output,
      stop: reason.kind === "exit" ? `exit ${reason.status}` : reason.kind,
      instructions: r.instructions,
      state: m.cpu.saveState(),
      regions: jit?.stats.regions ?? 0,
      compiled: jit?.compiledRetired ?? 0,
      compileErrors: jit?.stats.errors ?? 0,
    };
  } finally {
    m.dispose?.();
  }
}
