import assert from "node:assert/strict";
import { SmpScheduler } from "./smp_scheduler.ts";
import { ExitBus } from "./exit_bus.ts";
import { VirtualClock } from "./clock.ts";
import type { CpuEngine, EngineStop } from "./engine.ts";
import type { StopReason } from "./run_result.ts";

/** A scripted engine: retires instructions (logging its index) until it halts at `haltAt`. */
class FakeEngine {
  retired = 0;
  halted = false;
  haltAt = Infinity;
  /** Retired counts after which the instruction just retired was a PAUSE. */
  pausesAt = new Set<number>();
  /** Called for each PAUSE (the machine's `spinWait`). */
  onPause = (): void => {};
  /** Calls of run (each a turn or part of one). */
  runs = 0;
  #stop = false;
  constructor(readonly index: number, readonly log: number[]) {}
  run(limit: number): EngineStop {
    this.runs++;
    if (this.halted) return "halted";
    while (this.retired < limit) {
      if (this.#stop) {
        this.#stop = false;
        return "stop-requested";
      }
      if (this.retired === this.haltAt) {
        this.halted = true;
        return "halted";
      }
      this.log.push(this.index);
      this.retired++;
      if (this.pausesAt.has(this.retired)) this.onPause();
    }
    return "limit";
  }
  requestStop(): void {
    this.#stop = true;
  }
}

function machine(n: number, quantum: number) {
  const log: number[] = [];
  const cpus = Array.from({ length: n }, (_, i) => new FakeEngine(i, log));
  const bus = new ExitBus();
  const sched = new SmpScheduler(cpus as unknown as CpuEngine[], bus, quantum);
  const clock = new VirtualClock();
  let idle = 0;
  const virtualNs = () => sched.retired() + idle;
  clock.source = virtualNs;
  const host = {
    pendingStop: (): StopReason | undefined => undefined,
    clock,
    ns: 1,
    virtualNs,
    skipIdle: (ns: number) => void (idle += ns),
    running: () => {},
    powerPending: () => false,
    powerStep: (): StopReason | undefined => undefined,
  };
  return { log, cpus, bus, sched, clock, host, idle: () => idle };
}

Deno.test("scheduler: vCPUs take turns of `quantum` instructions in index order", () => {
  const t = machine(3, 2);
  assert.deepEqual(t.sched.loop(12, t.host), { kind: "budget" });
  assert.deepEqual(t.log, [0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]);
});

Deno.test("scheduler: how a run is cut into calls does not change the interleaving", () => {
  const whole = machine(3, 5);
  whole.sched.loop(40, whole.host);
  const cut = machine(3, 5);
  for (const end of [1, 7, 8, 19, 33, 40]) cut.sched.loop(end, cut.host);
  assert.deepEqual(cut.log, whole.log);
  // And a position saved mid-turn restores the same continuation.
  const a = machine(3, 5);
  a.sched.loop(13, a.host);
  const b = machine(3, 5);
  b.cpus.forEach((c, i) => (c.retired = a.cpus[i].retired));
  b.sched.load(a.sched.save());
  a.log.length = 0;
  a.sched.loop(30, a.host);
  b.sched.loop(30, b.host);
  assert.deepEqual(b.log, a.log);
});

Deno.test("scheduler: a halted vCPU ends its turn and is skipped; all halted stops or skips to a timer", () => {
  const t = machine(2, 4);
  t.cpus[1].haltAt = 2;
  assert.deepEqual(t.sched.loop(10, t.host), { kind: "budget" });
  assert.deepEqual(t.log, [0, 0, 0, 0, 1, 1, 0, 0, 0, 0]);
  t.cpus[0].haltAt = 12;
  assert.deepEqual(t.sched.loop(100, t.host), { kind: "halted" });
  // A timer due later: the scheduler skips idle time to it, and its callback may wake a vCPU.
  let fired = 0;
  t.clock.schedule(50, () => {
    fired++;
    t.cpus[1].halted = false;
    t.cpus[1].haltAt = Infinity;
  });
  assert.deepEqual(t.sched.loop(20, t.host), { kind: "budget" });
  assert.equal(fired, 1);
  assert.equal(t.idle(), 50 - 14);
  assert.equal(t.bus.vcpu, 1, "the bus names the vCPU that ran last");
});

Deno.test("scheduler: a bad quantum or a malformed saved position is refused", () => {
  const t = machine(2, 1);
  assert.throws(() => new SmpScheduler([], t.bus, 0), /quantum 0 is out of range/);
  assert.throws(() => t.sched.load({ turn: 2, sliceEnd: -1, idleTurns: 0 }), /malformed/);
});

Deno.test("scheduler: PAUSE (the spin-wait hint) ends the vCPU's turn after it", () => {
  const run = (cuts: number[]) => {
    const t = machine(2, 5);
    t.cpus[0].pausesAt = new Set([2, 3, 9]);
    t.cpus[1].pausesAt = new Set([1]);
    for (const c of t.cpus) c.onPause = () => t.sched.spinWait();
    for (const end of cuts) t.sched.loop(end, t.host);
    return t.log;
  };
  const log = run([20]);
  assert.deepEqual(log, [0, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0]);
  // Cutting the run into calls (even right at a PAUSE) changes nothing.
  assert.deepEqual(run([2, 3, 4, 11, 20]), log);
});

Deno.test("scheduler: PAUSE keeps the turn while every other vCPU is halted, and the saved position keeps that", () => {
  const t = machine(3, 4);
  t.cpus[1].haltAt = 0; // halted from the start (like an AP waiting for a SIPI)
  t.cpus[2].haltAt = 2;
  t.cpus[0].pausesAt = new Set([1, 2, 3, 6, 7]);
  for (const c of t.cpus) c.onPause = () => t.sched.spinWait();
  t.sched.loop(5, t.host);
  // vCPU 0's PAUSE at 1 hands over (the others have not run yet): 1 halts at once, 2 runs
  // its 2 instructions and halts; then vCPU 0's PAUSEs at 2 and 3 keep its turn.
  assert.deepEqual(t.log, [0, 2, 2, 0, 0]);
  assert.equal(t.cpus[0].runs, 2, "one run for the first turn, one for the second");
  t.sched.loop(10, t.host);
  assert.deepEqual(t.log, [0, 2, 2, 0, 0, 0, 0, 0, 0, 0]);
  // Only the quantum ends vCPU 0's turns now (2..5, 6..9), not its PAUSEs at 6 and 7.
  assert.equal(t.cpus[0].runs, 4);
  const saved = t.sched.save();
  assert.deepEqual(saved.halted, [false, true, true]);
  const fresh = machine(3, 4);
  fresh.sched.load(saved);
  assert.deepEqual(fresh.sched.save(), saved);
  assert.throws(() => fresh.sched.load({ ...saved, halted: [true] }), /malformed/);
});
