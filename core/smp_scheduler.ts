/**
 * The multiprocessor scheduler: one host thread interleaves the vCPUs of a
 * machine deterministically.
 *
 * Rules (each follows from retired-instruction counts only, so the same
 * inputs give the same interleaving, and a snapshot restores it):
 * - vCPUs take turns in index order (0, 1, ..., N-1, 0, ...). A turn ends
 *   when the vCPU has retired `quantum` instructions in it, when it is
 *   halted (HLT, wait-for-SIPI, shutdown), or after it executed PAUSE, the
 *   spin-wait hint: a vCPU spinning on a lock or a flag waits for another
 *   vCPU, which on real hardware runs meanwhile; without the early end the
 *   spinner would burn its whole quantum (thousands of instructions and
 *   PAUSE stalls of virtual time) before the vCPU it waits for could make
 *   progress, so every hand-over between vCPUs took a quantum (a
 *   hypervisor's pause-loop exiting does the same for its vCPUs). PAUSE
 *   keeps the turn while every other vCPU is halted since its last run:
 *   they cannot be what the spinner waits for until something wakes them,
 *   and handing over to them would cost a turn switch per PAUSE. A run
 *   that stops for another
 *   reason (the caller's budget, a timer deadline, a stop request) resumes
 *   the same turn where it stopped, so how a run is cut into calls never
 *   changes the interleaving.
 * - An instruction is never split: a turn ends at an instruction boundary,
 *   so a LOCK'd read-modify-write is atomic with respect to the other
 *   vCPUs (and so is every aligned access).
 * - Virtual time is the number of instructions retired by all vCPUs (times
 *   the machine's ns per instruction) plus time skipped while every vCPU
 *   was halted, plus the fixed stalls of slow instructions (a stall of one
 *   vCPU advances the shared clock; the others do not run meanwhile). It
 *   is a function of the retired instructions alone; with N busy
 *   vCPUs each sees the clock advance N ns per instruction of its own (N
 *   vCPUs share one 1 GHz instruction stream), and all vCPUs read one TSC.
 * - When N turns in a row retire nothing, every vCPU is halted: the
 *   machine skips to the next timer deadline (which may raise an interrupt
 *   that wakes one), or stops as halted when there is none.
 * - While the machine sleeps (ACPI S3) no vCPU takes a turn: the machine
 *   lets time pass from timer to timer until a wake, after which vCPU 0
 *   (reset, as every vCPU) has the turn.
 *
 * With one vCPU the machine does not use this scheduler at all: it runs
 * its single-vCPU loop unchanged.
 *
 * @module
 */

import type { CpuEngine } from "./engine.ts";
import type { ExitBus } from "./exit_bus.ts";
import type { VirtualClock } from "./clock.ts";
import type { StopReason } from "./run_result.ts";

/** What the scheduler needs from the machine while it runs. */
export interface SchedulerHost {
  /** A stop the machine has pending (plugin error, guest exit...), if any. */
  pendingStop(): StopReason | undefined;
  /** The machine's clock. */
  readonly clock: VirtualClock;
  /** Virtual ns per retired instruction. */
  readonly ns: number;
  /** The machine's virtual time. */
  virtualNs(): number;
  /** Add time skipped while every vCPU is halted. */
  skipIdle(ns: number): void;
  /**
   * Whether the machine lets `ns` of idle time pass in host time instead
   * (`Machine.runAsync` with idle "wait"): then the loop stops as halted
   * without skipping. Absent: always skip.
   */
  waitIdle?(ns: number): boolean;
  /** Bracket a vCPU's run (the machine tracks whether an instruction is executing). */
  running(on: boolean): void;
  /** Whether the machine sleeps or must enter or leave sleep (ACPI S3): no vCPU runs then. */
  powerPending(): boolean;
  /** One step of sleep (enter, wake, or let time pass to the next timer); a stop reason, or undefined to go on. */
  powerStep(budgetEnd: number): StopReason | undefined;
}

/** Scheduler position, as snapshots keep it. */
export interface SchedulerState {
  /** Index of the vCPU whose turn it is. */
  readonly turn: number;
  /** That vCPU's retired count at which its turn ends, or -1 before the turn began. */
  readonly sliceEnd: number;
  /** Turns in a row that retired nothing. */
  readonly idleTurns: number;
  /** Per vCPU: halted since its last run (see the PAUSE rule); absent in older snapshots (none). */
  readonly halted?: readonly boolean[];
}

/** Interleaves the vCPUs of a machine in fixed instruction quanta. */
export class SmpScheduler<C extends CpuEngine> {
  /** The vCPUs, by index. */
  readonly cpus: readonly C[];
  /** Instructions per turn. */
  readonly quantum: number;
  /** The vCPU whose turn it is (the one running, while one runs). */
  current: C;
  readonly #bus: ExitBus;
  #turn = 0;
  #sliceEnd = -1;
  #idleTurns = 0;
  /** The running vCPU executed PAUSE in this run: its turn ends (reset before each run). */
  #spun = false;
  /**
   * Per vCPU: its last run ended halted (HLT, wait-for-SIPI) and it has not
   * retired an instruction since. A PAUSE does not end a turn for such
   * vCPUs: handing over to them would only find them halted again.
   */
  #halted: boolean[];

  /** Schedule `cpus`, telling `bus` which one runs. */
  constructor(cpus: readonly C[], bus: ExitBus, quantum: number) {
    if (!Number.isInteger(quantum) || quantum < 1 || quantum > 1e9) {
      throw new RangeError(`the scheduling quantum ${quantum} is out of range (1..1000000000)`);
    }
    this.cpus = cpus;
    this.quantum = quantum;
    this.current = cpus[0];
    this.#bus = bus;
    this.#halted = cpus.map(() => false);
  }

  /** Instructions retired by all vCPUs. */
  retired(): number {
    let n = 0;
    for (const c of this.cpus) n += c.retired;
    return n;
  }

  /** Back to vCPU 0's turn (machine reset). */
  reset(): void {
    this.#turn = 0;
    this.#sliceEnd = -1;
    this.#idleTurns = 0;
    this.#halted.fill(false);
    this.#select(0);
  }

  /** The position, for a snapshot. */
  save(): SchedulerState {
    return {
      turn: this.#turn,
      sliceEnd: this.#sliceEnd,
      idleTurns: this.#idleTurns,
      halted: [...this.#halted],
    };
  }

  /** Restore a position saved by {@link save}; throws a RangeError for one that cannot be. */
  load(s: SchedulerState): void {
    const ok = (v: unknown, min: number): v is number =>
      typeof v === "number" && Number.isInteger(v) && v >= min;
    if (
      !ok(s.turn, 0) || s.turn >= this.cpus.length || !ok(s.sliceEnd, -1) ||
      !ok(s.idleTurns, 0) ||
      (s.halted !== undefined &&
        (!Array.isArray(s.halted) || s.halted.length !== this.cpus.length ||
          !s.halted.every((h) => typeof h === "boolean")))
    ) {
      throw new RangeError("malformed scheduler state");
    }
    this.#turn = s.turn;
    this.#sliceEnd = s.sliceEnd;
    this.#idleTurns = Math.min(s.idleTurns, this.cpus.length);
    this.#halted = s.halted ? [...s.halted] : this.cpus.map(() => false);
    this.#select(s.turn);
  }

  /**
   * The running vCPU executed PAUSE: it stops after this instruction and its
   * turn ends (the spin-wait rule above).
   */
  spinWait(): void {
    for (let i = 0; i < this.#halted.length; i++) {
      if (i !== this.#turn && !this.#halted[i]) {
        this.#spun = true;
        this.current.requestStop();
        return;
      }
    }
  }

  #select(i: number): void {
    this.current = this.cpus[i];
    this.#bus.vcpu = i;
  }

  #endTurn(): void {
    this.#turn = this.#turn + 1 === this.cpus.length ? 0 : this.#turn + 1;
    this.#sliceEnd = -1;
    this.#select(this.#turn);
  }

  /** Run turns until the budget (total retired) is reached or the machine must stop. */
  loop(budgetEnd: number, host: SchedulerHost): StopReason {
    const clock = host.clock;
    const n = this.cpus.length;
    for (;;) {
      const pending = host.pendingStop();
      if (pending) return pending;
      if (host.powerPending()) {
        const r = host.powerStep(budgetEnd);
        if (r) return r;
        continue;
      }
      const total = this.retired();
      if (total >= budgetEnd) return { kind: "budget" };
      this.#select(this.#turn);
      const cpu = this.current;
      const before = cpu.retired;
      if (this.#sliceEnd < 0) this.#sliceEnd = before + this.quantum;
      let limit = Math.min(this.#sliceEnd, before + (budgetEnd - total));
      const deadline = clock.nextDeadline;
      if (deadline !== Infinity) {
        const untilDeadline = Math.ceil((deadline - host.virtualNs()) / host.ns);
        limit = Math.min(limit, before + Math.max(1, untilDeadline));
      }
      host.running(true);
      this.#spun = false;
      let stop;
      try {
        stop = cpu.run(limit);
      } finally {
        host.running(false);
      }
      clock.advanceTo(host.virtualNs());
      if (stop === "shutdown") return host.pendingStop() ?? { kind: "triple-fault" };
      const ran = cpu.retired > before;
      if (ran) this.#idleTurns = 0;
      this.#halted[this.#turn] = stop === "halted";
      if (stop === "halted") {
        if (!ran) this.#idleTurns++;
        this.#endTurn();
      } else if (this.#spun || cpu.retired >= this.#sliceEnd) {
        this.#endTurn();
      }
      if (this.#idleTurns >= n) {
        const again = host.pendingStop();
        if (again) return again;
        this.#idleTurns = 0;
        if (host.powerPending()) continue;
        if (clock.nextDeadline === Infinity) return { kind: "halted" };
        // Every vCPU waits: skip to the next timer, whose interrupt may wake one.
        const idle = Math.max(0, clock.nextDeadline - host.virtualNs());
        if (host.waitIdle?.(idle) === true) return { kind: "halted" };
        host.skipIdle(idle);
        clock.advanceTo(host.virtualNs());
      }
    }
  }
}
