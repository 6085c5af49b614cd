import assert from "node:assert/strict";
import { PowerControl, type PowerHost, type ResumeOutcome } from "./power.ts";
import { VirtualClock } from "./clock.ts";
import type { Plugin } from "./plugin.ts";

/** A host with a clock, a log of what the state machine asked of it, and `plugins`. */
function host(plugins: Plugin[], resume?: () => ResumeOutcome) {
  const calls: string[] = [];
  let idle = 0;
  const clock = new VirtualClock();
  clock.source = () => idle;
  const h: PowerHost = {
    plugins: () => plugins,
    clock,
    retired: () => 0,
    virtualNs: () => idle,
    skipIdle: (ns) => void (idle += ns),
    requestStop: () => void calls.push("stop"),
    resetCpus: () => void calls.push("reset cpus"),
    zeroTsc: () => void calls.push("tsc 0"),
    resume,
    log: (m) => void calls.push(`log: ${m}`),
  };
  return { h, calls, clock };
}

const plugin = (name: string, hooks: Partial<Plugin>): Plugin => ({
  name,
  version: "1.0.0",
  apiVersion: 1,
  setup() {},
  ...hooks,
});

Deno.test("power: sleep resets the vCPUs and plugins (suspend where given), wake runs the resume hook", () => {
  const seen: string[] = [];
  const { h, calls, clock } = host([
    plugin("main", { reset: () => void seen.push("main reset") }),
    plugin("standby", { suspend: () => void seen.push("standby suspend"), reset: () => {} }),
  ], () => ({ kind: "resumed", detail: "vector 0x1000" }));
  const p = new PowerControl(h);
  assert.equal(p.pending(), false);
  p.space.sleep();
  assert.equal(p.space.asleep, true);
  assert.deepEqual(p.state, { asleep: false, sleepRequested: true, wakeRequested: false });
  clock.schedule(5e9, () => p.space.wake(), "alarm");
  assert.equal(p.step(Infinity), undefined); // enter sleep, skip to the alarm
  assert.deepEqual(seen, ["main reset", "standby suspend"]);
  assert.deepEqual(p.state, { asleep: true, sleepRequested: false, wakeRequested: true });
  assert.equal(h.virtualNs(), 5e9);
  assert.equal(p.step(Infinity), undefined); // the wake
  assert.equal(p.pending(), false);
  assert.deepEqual(calls, [
    "stop",
    "reset cpus",
    "stop",
    "tsc 0",
    "log: woke from S3: vector 0x1000",
  ]);
  // Awake, a wake is ignored; asleep, a second sleep is too.
  p.space.wake();
  assert.equal(p.state.wakeRequested, false);
});

Deno.test("power: failures and dead ends are stop reasons, never exceptions", () => {
  const boom = plugin("boom", {
    reset: () => {
      throw new Error("no power");
    },
  });
  const a = new PowerControl(host([boom]).h);
  a.space.sleep();
  assert.deepEqual(a.step(Infinity), {
    kind: "plugin-error",
    plugin: "boom",
    exit: "suspend (ACPI S3)",
    message: "no power",
  });
  // Asleep with no timer: halted. The budget still ends a run first.
  const b = new PowerControl(host([]).h);
  b.space.sleep();
  assert.deepEqual(b.step(0), { kind: "budget" });
  assert.deepEqual(b.step(Infinity), { kind: "halted" });
  // runAsync's slice of timer steps.
  b.sleepSteps = 0;
  assert.deepEqual(b.step(Infinity), { kind: "budget" });
  // No resume hook, a hook finding no vector, a hook that throws.
  const c = new PowerControl(host([]).h);
  c.space.sleep();
  c.space.wake();
  assert.deepEqual(c.step(Infinity), { kind: "reset" });
  const d = new PowerControl(host([], () => ({ kind: "boot", why: "no vector" })).h);
  d.space.sleep();
  d.space.wake();
  assert.deepEqual(d.step(Infinity), { kind: "reset" });
  const e = new PowerControl(
    host([], () => {
      throw new Error("bad table");
    }).h,
  );
  e.space.sleep();
  e.space.wake();
  assert.deepEqual(e.step(Infinity), {
    kind: "plugin-error",
    plugin: "firmware",
    exit: "resume (ACPI S3)",
    message: "bad table",
  });
});

Deno.test("power: a restored state takes booleans only; reset wakes without a resume", () => {
  const p = new PowerControl(host([]).h);
  p.state = { asleep: 1, sleepRequested: "yes", wakeRequested: true } as never;
  assert.deepEqual(p.state, { asleep: false, sleepRequested: false, wakeRequested: true });
  p.state = { asleep: true, sleepRequested: false, wakeRequested: false };
  assert.equal(p.pending(), true);
  p.reset();
  assert.deepEqual(p.state, { asleep: false, sleepRequested: false, wakeRequested: false });
});
