/**
 * The machine's sleeping state (ACPI S3, `ctx.power`), judged with tiny
 * real-mode guests and a test plugin that sleeps on a port write and wakes
 * on a timer: the vCPUs stop right after the instruction that asked, no
 * instruction runs while asleep, virtual time jumps from timer to timer,
 * vCPUs and main-power plugins come back reset while standby plugins and
 * RAM keep their state, the board's resume hook runs on the wake, and APs
 * return to wait-for-SIPI.
 */
import assert from "node:assert/strict";
import { Machine } from "../core/machine.ts";
import type { ResumeOutcome } from "../core/power.ts";
import type { Plugin, PluginContext } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import { type PcMachine, pcMachineOptions } from "../plugins/pc_machine.ts";
import { bootFlat } from "../plugins/machine_builder.ts";
import { createDebugExit } from "../devices/debug_exit.ts";
import { applyEntryState } from "../boot/entry_state.ts";
import { realModeWakeState } from "../plugins/pc_firmware_resume.ts";

const SLEEP_PORT = 0x5e0;

// 0x7c00: mov dx, 0x5e0; mov al, 1; out dx, al (sleep); mov byte [0x500], 0x77; jmp $
const SLEEPER = [0xba, 0xe0, 0x05, 0xb0, 0x01, 0xee, 0xc6, 0x06, 0x00, 0x05, 0x77, 0xeb, 0xfe];
// 0x8000 (the "waking vector"): mov al, [0x500]; out 0xf4, al; hlt
const WAKER = [0xa0, 0x00, 0x05, 0xe6, 0xf4, 0xf4];

interface Sleeper extends Plugin {
  readonly log: string[];
}

/** Sleeps on a write to SLEEP_PORT; a timer `wakeAfter` ns later wakes the machine (never if Infinity). */
function sleeper(wakeAfter: number, extraTimerEvery = 0): Sleeper {
  let ctx: PluginContext | null = null;
  const log: string[] = [];
  return {
    name: "sleeper",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    log,
    setup(c) {
      ctx = c;
      c.ports.register(SLEEP_PORT, 1, {
        read: () => 0,
        write: () => {
          log.push(`sleep at ${c.clock.now}`);
          c.power.sleep();
          if (Number.isFinite(wakeAfter)) {
            c.clock.schedule(c.clock.now + wakeAfter, () => {
              log.push(`wake at ${c.clock.now}`);
              c.power.wake();
            }, "wake");
          }
          if (extraTimerEvery > 0) {
            const tick = (): void => {
              c.clock.schedule(c.clock.now + extraTimerEvery, tick, "tick");
            };
            tick();
          }
        },
      });
    },
    suspend() {
      log.push(`suspend (asleep: ${ctx?.power.asleep})`);
    },
    reset() {
      log.push("reset");
    },
  };
}

/** A main-power plugin: it has no suspend, so S3 resets it. */
function mainPower(): Plugin & { resets: number } {
  const p = {
    name: "main-power",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    resets: 0,
    setup() {},
    reset() {
      p.resets++;
    },
  };
  return p;
}

interface Seen {
  rip: number;
  csBase: number;
  cr0: number;
  tsc: bigint;
  at: number;
  activity: string[];
}

/** A resume hook that records the state it finds and enters WAKER at 0x8000 in real mode. */
function resumeInto(seen: Seen[]): (m: PcMachine) => ResumeOutcome {
  return (m) => {
    seen.push({
      rip: m.cpu.rip,
      csBase: m.cpu.seg[1].base,
      cr0: m.cpu.cr0,
      tsc: m.cpu.readTsc(),
      at: m.virtualNs,
      activity: m.cpus.map((c) => c.activity),
    });
    applyEntryState(m.cpu, realModeWakeState(0x8000));
    return { kind: "resumed", detail: "test vector 0x8000" };
  };
}

function machine(
  plugins: Plugin[],
  seen: Seen[] | null,
  smp = 1,
): PcMachine {
  const options = pcMachineOptions({
    memoryMiB: 2,
    smp,
    plugins: [createDebugExit({ iobase: 0xf4, iosize: 4 }), ...plugins],
    resume: seen === null ? undefined : resumeInto(seen),
    logLevel: "silent",
  });
  const m = new Machine(seen === null ? { ...options, resume: undefined } : options);
  bootFlat(m, [{ addr: 0x7c00, data: new Uint8Array(SLEEPER) }], 0x7c00, "real");
  m.memory.writeBytes(0x8000, new Uint8Array(WAKER));
  return m;
}

Deno.test("sleep: the vCPU stops after the OUT, time jumps to the wake timer, the resume hook finds power-on state", () => {
  const s = sleeper(2e9);
  const main = mainPower();
  const seen: Seen[] = [];
  const m = machine([s, main], seen);
  const r = m.run({ maxInstructions: 10_000 });
  // WAKER read 0 at 0x500: the store after the OUT never ran.
  assert.deepEqual(r.reason, { kind: "exit", status: 1 });
  assert.equal(r.instructions, 3 + 2, "three instructions to sleep, two after the wake");
  assert.equal(s.log[0], "sleep at 2", "during the OUT, two instructions have retired");
  assert.equal(s.log[1], "suspend (asleep: true)", "a standby plugin is suspended, not reset");
  assert.equal(s.log[2], `wake at ${2 + 2e9}`);
  assert.equal(s.log.length, 3);
  assert.equal(main.resets, 1, "a main-power plugin is reset");
  assert.equal(seen.length, 1);
  assert.deepEqual(
    { ...seen[0], tsc: Number(seen[0].tsc) },
    { rip: 0xfff0, csBase: 0xffff0000, cr0: 0x60000010, tsc: 0, at: 2 + 2e9, activity: ["active"] },
  );
  assert.equal(m.powerState.asleep, false);
  m.dispose();
});

Deno.test("sleep: asleep with no timer left, the run stops as halted (nothing can wake it)", () => {
  const m = machine([sleeper(Infinity)], []);
  const r = m.run({ maxInstructions: 10_000 });
  assert.equal(r.reason.kind, "halted");
  assert.equal(r.instructions, 3);
  assert.equal(m.powerState.asleep, true);
  m.dispose();
});

Deno.test("sleep: a machine without a resume hook stops as a reset on the wake", () => {
  const m = machine([sleeper(1e6)], null);
  const r = m.run({ maxInstructions: 10_000 });
  assert.equal(r.reason.kind, "reset");
  assert.equal(m.cpu.rip, 0xfff0, "the vCPU is at its power-on state");
  m.dispose();
});

Deno.test("sleep: interrupts masked do not cut a long sleep short; other timers are stepped over", () => {
  // 30 s asleep with IF=0 (longer than the 10 s a masked HLT waits), with a 1 ms tick in between.
  const s = sleeper(30e9, 1e6);
  const m = machine([s], []);
  const t0 = performance.now();
  const r = m.run({ maxInstructions: 10_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: 1 });
  assert.ok(m.virtualNs >= 3 + 30e9);
  assert.ok(performance.now() - t0 < 20_000, "30,000 timer steps take little host time");
  m.dispose();
});

Deno.test("sleep: runAsync yields while asleep and still wakes", async () => {
  const s = sleeper(10e9, 1e6); // 10,000 timer steps: several async slices
  const m = machine([s], []);
  let yields = 0;
  const id = setInterval(() => yields++, 0);
  const r = await m.runAsync({ maxInstructions: 10_000 });
  clearInterval(id);
  assert.deepEqual(r.reason, { kind: "exit", status: 1 });
  assert.ok(yields >= 1, "the event loop ran during the sleep");
  m.dispose();
});

Deno.test("sleep: every vCPU is reset; an AP that ran is back in wait-for-SIPI", () => {
  const seen: Seen[] = [];
  const m = machine([sleeper(1e6)], seen, 2);
  // Start the AP by hand in a HLT loop (as if a SIPI had started it).
  m.memory.writeBytes(0x9000, new Uint8Array([0xf4, 0xeb, 0xfd])); // hlt; jmp $-1
  applyEntryState(m.cpus[1], realModeWakeState(0x9000));
  const r = m.run({ maxInstructions: 100_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: 1 });
  assert.deepEqual(seen[0].activity, ["active", "wait-for-sipi"]);
  assert.equal(m.cpus[1].activity, "wait-for-sipi");
  m.dispose();
});

Deno.test("sleep: a reset clears the sleeping state", () => {
  const m = machine([sleeper(Infinity)], []);
  m.run({ maxInstructions: 10_000 });
  assert.equal(m.powerState.asleep, true);
  m.reset();
  assert.deepEqual(m.powerState, { asleep: false, sleepRequested: false, wakeRequested: false });
  m.dispose();
});
