/**
 * The local APIC timer (SDM Vol. 3A 11.5.4): a 32-bit down-counter clocked
 * by the bus clock through the divide configuration register, in one-shot,
 * periodic or TSC-deadline mode. It runs on the virtual clock: the current
 * count is computed from virtual time when read, and one clock timer is
 * pending only while the counter is armed.
 *
 * @module
 */

import type { Timer, VirtualClock } from "../core/clock.ts";

/** What the timer needs from its APIC. */
export interface ApicTimerHost {
  /** The virtual clock (null before setup). */
  clock(): VirtualClock | null;
  /** Precise virtual time in ns (see `time.ts`). */
  now(): number;
  /** The guest's TSC now. */
  readTsc(): bigint;
  /** Timer input clock in Hz. */
  readonly busHz: number;
  /** TSC frequency in Hz. */
  readonly tscHz: number;
  /** Called when the counter reaches zero or the deadline passes. */
  fire(): void;
}

/** Divisor for a divide configuration value (bits 3, 1, 0). */
export function apicTimerDivisor(dcr: number): number {
  const v = ((dcr >> 1) & 4) | (dcr & 3);
  return v === 7 ? 1 : 2 << v;
}

/** The APIC timer. */
export class ApicTimer {
  /** 0 one-shot, 1 periodic, 2 TSC-deadline. */
  mode = 0;
  /** Initial count register. */
  initialCount = 0;
  /** Divide configuration register (bits 3, 1, 0). */
  divideConfig = 0;
  /** IA32_TSC_DEADLINE (0 = disarmed). */
  deadline = 0n;
  /** Virtual ns at which the armed deadline fires (NaN when none). */
  #deadlineAt = NaN;
  #start = 0; // virtual ns when the current count was loaded
  #armed = false;
  #timer: Timer | null = null;
  #host: ApicTimerHost;

  /** Create a timer for `host`. */
  constructor(host: ApicTimerHost) {
    this.#host = host;
  }

  /** Nanoseconds per counter decrement. */
  #unit(): number {
    return (apicTimerDivisor(this.divideConfig) * 1e9) / this.#host.busHz;
  }

  #now(): number {
    return this.#host.now();
  }

  #cancel(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }

  #arm(at: number, onFire: () => void): void {
    this.#cancel();
    const clock = this.#host.clock();
    if (clock === null) return;
    this.#timer = clock.schedule(at, () => {
      this.#timer = null;
      onFire();
    }, "lapic-timer");
  }

  #armCount(): void {
    if (!this.#armed || this.mode === 2) {
      this.#cancel();
      return;
    }
    const period = this.initialCount * this.#unit();
    const elapsed = this.#now() - this.#start;
    const k = this.mode === 1 ? Math.floor(elapsed / period) + 1 : 1;
    if (this.mode === 0 && elapsed >= period) {
      this.#cancel();
      return;
    }
    this.#arm(this.#start + k * period, () => {
      if (this.mode === 0) this.#armed = false;
      this.#host.fire();
      if (this.mode === 1) this.#armCount();
    });
  }

  /** Write the initial count: (re)starts the counter; 0 stops it. Ignored in TSC-deadline mode. */
  setInitialCount(value: number): void {
    if (this.mode === 2) return;
    this.initialCount = value >>> 0;
    this.#start = this.#now();
    this.#armed = this.initialCount !== 0;
    this.#armCount();
  }

  /** Write the divide configuration; the counter continues from its current value. */
  setDivideConfig(value: number): void {
    const cur = this.currentCount();
    this.divideConfig = value & 0xb;
    if (this.#armed && this.mode !== 2) {
      this.#start = this.#now() - (this.initialCount - cur) * this.#unit();
      this.#armCount();
    }
  }

  /** Change the timer mode; a change into or out of TSC-deadline mode disarms it (SDM 11.5.4.1). */
  setMode(mode: number, changed: boolean): void {
    // A one-shot count that already reached zero has ended, even if its
    // expiry callback is still due at this very instant: a change to
    // periodic mode does not restart it (the count stays 0).
    if (this.mode === 0 && this.#armed && this.currentCount() === 0) this.#armed = false;
    const wasDeadline = this.mode === 2;
    this.mode = mode;
    if (changed && (wasDeadline || mode === 2)) {
      this.#armed = false;
      this.initialCount = 0;
      this.deadline = 0n;
      this.#cancel();
    } else if (changed) {
      this.#armCount();
    }
  }

  /** Current count register. */
  currentCount(): number {
    if (!this.#armed || this.mode === 2 || this.initialCount === 0) return 0;
    const ticks = Math.floor((this.#now() - this.#start) / this.#unit());
    if (this.mode === 0) return Math.max(this.initialCount - ticks, 0);
    return this.initialCount - (ticks % this.initialCount);
  }

  /** Write IA32_TSC_DEADLINE in TSC-deadline mode: 0 disarms; a past deadline fires at once. */
  setDeadline(value: bigint): void {
    this.deadline = value;
    this.#cancel();
    this.#deadlineAt = NaN;
    if (value === 0n) return;
    const delta = value - this.#host.readTsc();
    const delay = delta <= 0n ? 0 : Math.ceil((Number(delta) * 1e9) / this.#host.tscHz);
    this.#armDeadline(this.#now() + delay);
  }

  /** Arm the deadline to fire at virtual time `at` (ns). */
  #armDeadline(at: number): void {
    this.#deadlineAt = at;
    this.#arm(at, () => {
      this.deadline = 0n;
      this.#deadlineAt = NaN;
      this.#host.fire();
    });
  }

  /** Stop and clear everything (power-up state). */
  reset(): void {
    this.#cancel();
    this.mode = 0;
    this.initialCount = 0;
    this.divideConfig = 0;
    this.deadline = 0n;
    this.#deadlineAt = NaN;
    this.#armed = false;
    this.#start = 0;
  }

  /** Plain-data state. */
  save(): Record<string, unknown> {
    return {
      mode: this.mode,
      initialCount: this.initialCount,
      divideConfig: this.divideConfig,
      deadline: this.deadline.toString(),
      // When the armed deadline fires, in virtual time: a restore re-arms it
      // there, not from the TSC (which a restore may not have set yet, and
      // which reads L2's view while L2 runs).
      deadlineAt: Number.isNaN(this.#deadlineAt) ? null : this.#deadlineAt,
      start: this.#start,
      armed: this.#armed,
    };
  }

  /** Restore {@link save}d state and re-arm. */
  load(data: unknown): void {
    this.reset();
    if (typeof data !== "object" || data === null) return;
    const d = data as Record<string, unknown>;
    const n = (
      k: string,
    ): number => (typeof d[k] === "number" && Number.isFinite(d[k]) ? d[k] as number : 0);
    this.mode = [0, 1, 2].includes(n("mode")) ? n("mode") : 0;
    this.initialCount = n("initialCount") >>> 0;
    this.divideConfig = n("divideConfig") & 0xb;
    this.#start = n("start");
    this.#armed = d.armed === true && this.initialCount !== 0;
    let deadline = 0n;
    try {
      deadline = typeof d.deadline === "string" ? BigInt(d.deadline) : 0n;
    } catch {
      deadline = 0n;
    }
    const at = d.deadlineAt;
    if (this.mode === 2 && deadline > 0n) {
      this.deadline = deadline;
      if (typeof at === "number" && Number.isFinite(at)) this.#armDeadline(at);
      else this.setDeadline(deadline); // a snapshot from before deadlineAt was saved
    } else this.#armCount();
  }
}
