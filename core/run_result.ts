/**
 * Why a run stopped, and the CLI exit codes for each reason.
 *
 * @module
 */

import type { VmExit } from "./vmexit.ts";
import type { VmxAbortStop } from "./plugin.ts";

/** The reason a run stopped. */
export type StopReason =
  | { readonly kind: "exit"; readonly status: number }
  | { readonly kind: "shutdown" }
  | { readonly kind: "reset" }
  | { readonly kind: "triple-fault" }
  | VmxAbortStop
  | { readonly kind: "budget" }
  | { readonly kind: "debug" }
  | { readonly kind: "halted" }
  | { readonly kind: "unhandled-exit"; readonly exit: VmExit; readonly description: string }
  | {
    readonly kind: "plugin-error";
    readonly plugin: string;
    readonly exit: string;
    readonly message: string;
  };

/** Result of `Machine.run`. */
export interface RunResult {
  /** Why the run stopped. */
  readonly reason: StopReason;
  /** Instructions retired in this run. */
  readonly instructions: number;
  /** Instructions retired since the machine was created. */
  readonly totalInstructions: number;
  /** Wall-clock milliseconds spent in this run. */
  readonly wallMs: number;
  /** Virtual nanoseconds at the end of the run. */
  readonly virtualNs: number;
}

/**
 * Process exit codes used by the CLI. The guest's isa-debug-exit status is
 * passed through as-is (always odd: `(v << 1) | 1`); the others are even so
 * they never collide with it.
 */
export const EXIT_CODES = {
  shutdown: 0,
  usage: 2,
  tripleFault: 4,
  /**
   * The run paused before its end: the instruction budget is spent, or a
   * debugger stub asked it to stop (`Machine.breakRun`, reason "debug").
   * Both are resumable with another `run()`.
   */
  budget: 6,
  halted: 8,
  unhandledExit: 10,
  pluginError: 12,
  reset: 14,
  badImage: 16,
  /** A VMX abort (SDM 28.7): a VM exit could not complete. */
  vmxAbort: 18,
  /** A snapshot given to `--restore` does not fit the machine (RAM, stateful plugins). */
  snapshotMismatch: 20,
} as const;

/** Map a stop reason to the process exit code. */
export function exitCodeFor(reason: StopReason): number {
  switch (reason.kind) {
    case "exit":
      return reason.status & 0xff;
    case "shutdown":
      return EXIT_CODES.shutdown;
    case "reset":
      return EXIT_CODES.reset;
    case "triple-fault":
      return EXIT_CODES.tripleFault;
    case "budget":
    case "debug":
      return EXIT_CODES.budget;
    case "halted":
      return EXIT_CODES.halted;
    case "unhandled-exit":
      return EXIT_CODES.unhandledExit;
    case "plugin-error":
      return EXIT_CODES.pluginError;
    case "vmx-abort":
      return EXIT_CODES.vmxAbort;
  }
}

/** VMX-abort indicators (SDM 28.7). */
const VMX_ABORT_NAMES: Readonly<Record<number, string>> = {
  1: "saving guest MSRs failed",
  2: "host PDPTE invalid",
  3: "current VMCS corrupted",
  4: "loading host MSRs failed",
  5: "machine check during VM exit",
  6: "no long mode for a 32-bit host from a 64-bit logical processor",
};

/** One-line human description of a stop reason. */
export function describeStop(reason: StopReason): string {
  switch (reason.kind) {
    case "exit":
      return `guest requested exit with status ${reason.status}`;
    case "shutdown":
      return "guest shut down";
    case "reset":
      return "guest requested a reset";
    case "triple-fault":
      return "triple fault (shutdown)";
    case "budget":
      return "instruction budget spent";
    case "debug":
      return "stopped by the debugger";
    case "halted":
      return "halted with no wake-up source (HLT with interrupts off or no timer pending, or asleep in S3 with no timer left)";
    case "unhandled-exit":
      return `unhandled exit: ${reason.description}`;
    case "plugin-error":
      return `plugin "${reason.plugin}" failed while handling ${reason.exit}: ${reason.message}`;
    case "vmx-abort":
      return `VMX abort ${reason.indicator} (${
        VMX_ABORT_NAMES[reason.indicator] ?? "unknown indicator"
      }) in a VM exit from the VMCS at 0x${
        reason.vmcsPointer.toString(16)
      }; the processor is shut down`;
  }
}
