/**
 * The machine's sleeping state (ACPI S3, suspend to RAM) as the run loop
 * carries it out. A plugin asks through `ctx.power` ({@link PowerSpace});
 * the loop takes one {@link PowerControl.step} between instructions
 * instead of running a vCPU while a transition is pending or the machine
 * sleeps:
 *
 * - entering sleep: main power goes off, so every vCPU is reset (the APs
 *   wait for a SIPI again) and every plugin loses what a device on main
 *   power loses (`Plugin.suspend` when it has one, `Plugin.reset`
 *   otherwise); RAM is untouched;
 * - asleep: no instruction runs; virtual time jumps to the next timer
 *   (the machine's idle path for HLT), whose device may raise a wake
 *   event; with no timer left nothing can wake the machine and the run
 *   stops as "halted";
 * - waking: the vCPUs start from power-on (the TSC from 0, SDM Vol. 3B
 *   18.17) and the board's firmware resume path runs (a PC BIOS jumps to
 *   the OS's waking vector); without one, the run stops as a "reset".
 *
 * @module
 */

import type { Plugin, PowerSpace } from "./plugin.ts";
import type { VirtualClock } from "./clock.ts";
import type { StopReason } from "./run_result.ts";

/**
 * What the firmware's resume path did: handed over to the operating
 * system's waking vector, or found none (firmware would boot afresh; nestvm
 * has no boot firmware, so the run stops as a "reset").
 */
export type ResumeOutcome =
  | { readonly kind: "resumed"; readonly detail: string }
  | { readonly kind: "boot"; readonly why: string };

/** The machine's power state (ACPI S0 or S3), as snapshots keep it. */
export interface PowerState {
  /** Main power is off: no vCPU runs. */
  readonly asleep: boolean;
  /** A plugin asked to sleep; the loop carries it out at its next step. */
  readonly sleepRequested: boolean;
  /** A wake event happened; the loop carries it out at its next step. */
  readonly wakeRequested: boolean;
}

/** What {@link PowerControl} needs from the machine. */
export interface PowerHost {
  /** The machine's plugins, in setup order. */
  plugins(): readonly Plugin[];
  /** The machine's clock. */
  readonly clock: VirtualClock;
  /** Instructions retired by all vCPUs. */
  retired(): number;
  /** The machine's virtual time. */
  virtualNs(): number;
  /** Add time that retired nothing (skipped while asleep). */
  skipIdle(ns: number): void;
  /** Make the running vCPU return at the next instruction boundary. */
  requestStop(): void;
  /** Power-on reset of every vCPU (and the scheduler's turn). */
  resetCpus(): void;
  /** Start every vCPU's TSC from 0. */
  zeroTsc(): void;
  /** The board's firmware resume path, if any. */
  readonly resume: (() => ResumeOutcome) | undefined;
  /** Log an informational line. */
  log(message: string): void;
}

/** The sleep state machine of one machine. */
export class PowerControl {
  readonly #host: PowerHost;
  #asleep = false;
  #sleepRequested = false;
  #wakeRequested = false;
  /** Timer steps left before a sleeping run returns "budget" (so runAsync can yield). */
  sleepSteps: number = Infinity;
  /** The capability plugins receive as `ctx.power`. */
  readonly space: PowerSpace;

  /** Create the state machine for the machine `host` describes. */
  constructor(host: PowerHost) {
    this.#host = host;
    const asleep = (): boolean => this.#asleep || this.#sleepRequested;
    this.space = {
      sleep: () => {
        if (asleep()) return;
        this.#sleepRequested = true;
        host.requestStop();
      },
      wake: () => {
        if (!asleep()) return;
        this.#wakeRequested = true;
        host.requestStop();
      },
      get asleep(): boolean {
        return asleep();
      },
    };
  }

  /** Whether the loop must take a {@link step} instead of running a vCPU. */
  pending(): boolean {
    return this.#asleep || this.#sleepRequested;
  }

  /**
   * One step, between instructions: carry out a requested sleep, then a
   * requested wake; while asleep, skip the idle time to the next timer.
   * Returns a stop reason, or undefined to go on.
   */
  step(budgetEnd: number): StopReason | undefined {
    const host = this.#host;
    if (this.#sleepRequested) {
      this.#sleepRequested = false;
      const failed = this.#enterSleep();
      if (failed) return failed;
    }
    if (this.#wakeRequested) {
      this.#wakeRequested = false;
      return this.#wake();
    }
    if (!this.#asleep) return undefined;
    if (host.retired() >= budgetEnd || this.sleepSteps <= 0) return { kind: "budget" };
    this.sleepSteps--;
    const deadline = host.clock.nextDeadline;
    if (deadline === Infinity) return { kind: "halted" }; // nothing on the machine can wake it
    host.skipIdle(Math.max(0, deadline - host.virtualNs()));
    host.clock.advanceTo(host.virtualNs());
    return undefined;
  }

  #enterSleep(): StopReason | undefined {
    this.#host.resetCpus();
    this.#asleep = true;
    for (const p of this.#host.plugins()) {
      try {
        if (p.suspend) p.suspend();
        else p.reset?.();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { kind: "plugin-error", plugin: p.name, exit: "suspend (ACPI S3)", message };
      }
    }
    return undefined;
  }

  #wake(): StopReason | undefined {
    const host = this.#host;
    this.#asleep = false;
    host.zeroTsc();
    if (host.resume === undefined) {
      host.log("woke from S3 with no firmware to resume: reset");
      return { kind: "reset" };
    }
    let outcome: ResumeOutcome;
    try {
      outcome = host.resume();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { kind: "plugin-error", plugin: "firmware", exit: "resume (ACPI S3)", message };
    }
    if (outcome.kind === "boot") {
      host.log(`woke from S3: ${outcome.why}; the firmware would boot: reset`);
      return { kind: "reset" };
    }
    host.log(`woke from S3: ${outcome.detail}`);
    return undefined;
  }

  /** The state, for snapshots. */
  get state(): PowerState {
    return {
      asleep: this.#asleep,
      sleepRequested: this.#sleepRequested,
      wakeRequested: this.#wakeRequested,
    };
  }

  /** Restore a state saved from {@link state} (non-boolean fields read as false). */
  set state(s: PowerState) {
    this.#asleep = s.asleep === true;
    this.#sleepRequested = s.sleepRequested === true;
    this.#wakeRequested = s.wakeRequested === true;
  }

  /** Awake with nothing pending (machine reset). */
  reset(): void {
    this.#asleep = this.#sleepRequested = this.#wakeRequested = false;
  }
}
