/**
 * The deterministic virtual clock. Virtual time is derived from retired
 * instructions only (never from the host's wall clock), so a run with the
 * same inputs gives the same output, and a restored snapshot continues
 * identically.
 *
 * One retired instruction advances virtual time by `nsPerInstruction`
 * nanoseconds (default 1: a 1 GHz virtual CPU). When the vCPU halts, the
 * machine skips time forward to the next timer deadline.
 *
 * Stalls: a few instructions cost a fixed extra time on top of that
 * (`core/stall.ts`: WBINVD and INVD, a cache flush, `CACHE_FLUSH_NS`; PAUSE,
 * `PAUSE_NS`; the serializing instructions (CPUID, IRET, WRMSR, MOV to CRn...),
 * `SERIALIZING_NS`; each port access, `PORT_IO_NS`), and so
 * does a VM exit from L2 (`VM_EXIT_NS` in `vmx/exit/vmexit.ts`, charged
 * before the guest state is saved) and a hypercall to nestvm playing L1's
 * hypervisor (`HYPERCALL_NS` in `plugins/kvm_pv/plugin.ts`). The vCPU
 * charges it through its engine environment's `stall(ns)` when the
 * instruction completes; the machine adds it to the
 * same counter as idle time (`Machine.idleNs`, time that retires no
 * instruction), so snapshots keep it with no field of their own and a
 * restored run continues identically. Both engines charge it in the same
 * instruction handler, so counts and time agree. A stall that reaches a
 * timer deadline ends the run slice after the instruction (the slice's
 * limit was counted in instructions), so the timer fires at that boundary,
 * as an interrupt due during a long instruction is taken when it
 * completes; so does a stall that moves the slice's end past the next
 * deadline (the limit is then counted again, and the timer is not late). With several vCPUs the stall advances the one shared clock
 * (see `core/smp_scheduler.ts`).
 * Instruction budgets (`maxInstructions`) count instructions, not time.
 *
 * @module
 */

/** A timer scheduled on the virtual clock. */
export interface Timer {
  /** Virtual time (ns) at which it fires. */
  readonly deadline: number;
  /** Cancel it; harmless if it already fired. */
  cancel(): void;
}

/** Callback run when a timer fires; `now` is the virtual time in ns. */
export type TimerCallback = (now: number) => void;

interface TimerEntry {
  deadline: number;
  seq: number;
  callback: TimerCallback;
  cancelled: boolean;
  owner: string;
}

/** The virtual clock that plugins see. */
export class VirtualClock {
  /** Virtual nanoseconds per retired instruction. */
  readonly nsPerInstruction: number;
  #now = 0;
  #seq = 0;
  #timers: TimerEntry[] = [];
  /** Earliest pending deadline (Infinity when none); read by the run loop. */
  nextDeadline: number = Infinity;
  /** Called when a newly scheduled timer becomes the earliest deadline. */
  onDeadlineChanged: () => void = () => {};
  /**
   * The machine's live virtual time (retired instructions plus idle time
   * and stalls).
   * Between the run loop's updates `now` follows it, so a device read in the
   * middle of a run slice sees time move instruction by instruction.
   */
  source: (() => number) | null = null;
  #firing = false;

  /** Create a clock. */
  constructor(nsPerInstruction = 1) {
    if (!(nsPerInstruction > 0)) throw new RangeError("nsPerInstruction must be positive");
    this.nsPerInstruction = nsPerInstruction;
  }

  /**
   * Current virtual time in nanoseconds: exact at every instruction boundary
   * (it follows {@link VirtualClock.source}); inside a timer callback it is
   * that timer's deadline.
   */
  get now(): number {
    if (this.#firing || this.source === null) return this.#now;
    const live = this.source();
    return live > this.#now ? live : this.#now;
  }

  /**
   * Schedule `callback` at absolute virtual time `deadline` (ns). Timers with
   * equal deadlines fire in scheduling order.
   */
  schedule(deadline: number, callback: TimerCallback, owner = "anonymous"): Timer {
    const entry: TimerEntry = {
      deadline: Math.max(deadline, this.now),
      seq: this.#seq++,
      callback,
      cancelled: false,
      owner,
    };
    this.#insert(entry);
    return {
      deadline: entry.deadline,
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        const i = this.#timers.indexOf(entry);
        if (i >= 0) this.#timers.splice(i, 1);
        this.#refreshDeadline();
      },
    };
  }

  /** Schedule `callback` `delay` ns from now. */
  after(delay: number, callback: TimerCallback, owner?: string): Timer {
    return this.schedule(this.now + delay, callback, owner);
  }

  /** Number of pending timers (for diagnostics and tests). */
  get pending(): number {
    return this.#timers.length;
  }

  /** Owners of pending timers (for diagnostics). */
  owners(): string[] {
    return this.#timers.map((t) => t.owner);
  }

  /**
   * Advance virtual time to `time` (ns), firing every timer due on the way in
   * deadline order. Called by the run loop; time never goes backwards.
   */
  advanceTo(time: number): void {
    if (time < this.#now) return;
    while (this.#timers.length > 0 && this.#timers[0].deadline <= time) {
      const t = this.#timers.shift()!;
      this.#now = t.deadline;
      this.#refreshDeadline();
      this.#firing = true;
      try {
        t.callback(this.#now);
      } finally {
        this.#firing = false;
      }
    }
    this.#now = time;
    this.#refreshDeadline();
  }

  /** Set the time directly (snapshot restore); pending timers are dropped. */
  restore(time: number): void {
    this.#now = time;
    this.#timers = [];
    this.nextDeadline = Infinity;
  }

  #insert(entry: TimerEntry): void {
    let i = this.#timers.length;
    while (i > 0) {
      const prev = this.#timers[i - 1];
      if (
        prev.deadline < entry.deadline || (prev.deadline === entry.deadline && prev.seq < entry.seq)
      ) {
        break;
      }
      i--;
    }
    this.#timers.splice(i, 0, entry);
    const before = this.nextDeadline;
    this.#refreshDeadline();
    if (this.nextDeadline < before) this.onDeadlineChanged();
  }

  #refreshDeadline(): void {
    this.nextDeadline = this.#timers.length > 0 ? this.#timers[0].deadline : Infinity;
  }
}
