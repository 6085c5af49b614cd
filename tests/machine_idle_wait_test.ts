/**
 * `Machine.runAsync` with `idle: "wait"`: while host input is open, the
 * time every vCPU spends halted until the next timer passes on the host's
 * clock (an interactive guest's clock keeps pace with the wall clock and
 * the host CPU idles), input ends a wait early, and without open input or
 * with "skip" the run jumps from timer to timer as `run` does.
 */
import assert from "node:assert/strict";
import { type HostInput, Machine } from "../core/machine.ts";
import { type Plugin, PLUGIN_API_VERSION } from "../core/plugin.ts";
import { type PcMachine, pcMachineOptions } from "../plugins/pc_machine.ts";
import { bootFlat } from "../plugins/machine_builder.ts";

// 0x7c00: cli; hlt; jmp $-1 (halted for good, interrupts masked)
const IDLER = [0xfa, 0xf4, 0xeb, 0xfd];

/** Ticks every `every` ns of virtual time; the tick at `stopAt` ends the run (exit 0). */
function ticker(every: number, stopAt: number): Plugin & { ticks: number[] } {
  const ticks: number[] = [];
  return {
    name: "ticker",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    ticks,
    setup(c) {
      const tick = (): void => {
        ticks.push(c.clock.now);
        if (c.clock.now >= stopAt) c.stop({ kind: "exit", status: 0 });
        else c.clock.schedule(c.clock.now + every, tick, "tick");
      };
      c.clock.schedule(every, tick, "tick");
    },
  };
}

function machine(plugin: Plugin, smp = 1): PcMachine {
  const m = new Machine(
    pcMachineOptions({ memoryMiB: 2, smp, plugins: [plugin], logLevel: "silent" }),
  );
  bootFlat(m, [{ addr: 0x7c00, data: new Uint8Array(IDLER) }], 0x7c00, "real");
  return m;
}

/** Input that never delivers anything but stays open until closed. */
function silentInput(): HostInput & { close(): void } {
  let open = true;
  const waiters: (() => void)[] = [];
  return {
    get open() {
      return open;
    },
    wait: () => open ? new Promise<void>((r) => waiters.push(r)) : Promise.resolve(),
    close() {
      open = false;
      for (const w of waiters.splice(0)) w();
    },
  };
}

Deno.test("idle wait: 200 ms of halted virtual time take about 200 ms of host time (1 and 2 vCPUs)", async () => {
  for (const smp of [1, 2]) {
    const t = ticker(20e6, 200e6);
    const m = machine(t, smp);
    const input = silentInput();
    const t0 = performance.now();
    const r = await m.runAsync({ input, idle: "wait" });
    const ms = performance.now() - t0;
    assert.deepEqual(r.reason, { kind: "exit", status: 0 });
    assert.equal(t.ticks.length, 10, "every tick fired, in order");
    assert.ok(m.virtualNs >= 200e6);
    // The wait cannot be shorter than the virtual time it stands for.
    assert.ok(ms >= 195, `${smp} vCPUs: ${ms.toFixed(1)} ms of host time for 200 ms of idle time`);
    m.dispose();
  }
});

Deno.test("idle wait: with 'skip', or once input has ended, idle time is skipped at once", async () => {
  for (const idle of ["skip", "wait"] as const) {
    // 9 s of virtual time (a masked halt gives up after 10 s of idle time).
    const m = machine(ticker(1e9, 9e9));
    const input = silentInput();
    if (idle === "wait") input.close();
    const t0 = performance.now();
    const r = await m.runAsync({ input, idle });
    assert.deepEqual(r.reason, { kind: "exit", status: 0 });
    assert.ok(m.virtualNs >= 9e9);
    assert.ok(performance.now() - t0 < 3_000, `${idle}: not paced`);
    m.dispose();
  }
});

Deno.test("idle wait: input arriving during a wait ends it early", async () => {
  const t = ticker(10e9, 10e9); // one tick, 10 s away
  const m = machine(t);
  let wake: (() => void) | null = null;
  let open = true;
  const input: HostInput = {
    get open() {
      return open;
    },
    wait: () => new Promise<void>((r) => wake = r),
  };
  const run = m.runAsync({ input, idle: "wait", maxInstructions: 1_000 });
  await new Promise((r) => setTimeout(r, 100));
  const before = m.virtualNs;
  assert.ok(before < 1e9, "still waiting at the start of the 10 s");
  // Input arrives and then ends: the wait is cut short, the rest is skipped.
  open = false;
  wake!();
  const r = await run;
  assert.deepEqual(r.reason, { kind: "exit", status: 0 });
  assert.equal(t.ticks.length, 1);
  m.dispose();
});
