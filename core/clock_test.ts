import assert from "node:assert/strict";
import { VirtualClock } from "./clock.ts";

Deno.test("clock fires timers in deadline order, ties in scheduling order", () => {
  const c = new VirtualClock();
  const fired: string[] = [];
  c.schedule(30, () => fired.push("c"));
  c.schedule(10, () => fired.push("a"));
  c.schedule(10, () => fired.push("b"));
  assert.equal(c.nextDeadline, 10);
  c.advanceTo(25);
  assert.deepEqual(fired, ["a", "b"]);
  assert.equal(c.now, 25);
  assert.equal(c.nextDeadline, 30);
  c.advanceTo(30);
  assert.deepEqual(fired, ["a", "b", "c"]);
  assert.equal(c.nextDeadline, Infinity);
});

Deno.test("clock: callbacks see their own deadline as now; periodic rescheduling works", () => {
  const c = new VirtualClock();
  const seen: number[] = [];
  const tick = (now: number) => {
    seen.push(now);
    if (seen.length < 4) c.schedule(now + 100, tick);
  };
  c.schedule(100, tick);
  c.advanceTo(1000);
  assert.deepEqual(seen, [100, 200, 300, 400]);
});

Deno.test("clock: cancel removes a timer and time never goes backwards", () => {
  const c = new VirtualClock();
  let n = 0;
  const t = c.after(50, () => n++);
  t.cancel();
  t.cancel();
  c.advanceTo(100);
  assert.equal(n, 0);
  c.advanceTo(10);
  assert.equal(c.now, 100);
  assert.equal(c.pending, 0);
});

Deno.test("clock: an earlier deadline notifies the run loop", () => {
  const c = new VirtualClock();
  let notified = 0;
  c.onDeadlineChanged = () => notified++;
  c.schedule(100, () => {});
  c.schedule(200, () => {});
  c.schedule(50, () => {});
  assert.equal(notified, 2);
});

Deno.test("clock rejects a non-positive rate", () => {
  assert.throws(() => new VirtualClock(0), RangeError);
});

Deno.test("clock: now follows the live source between updates, and is the deadline inside callbacks", () => {
  const c = new VirtualClock();
  let live = 0;
  c.source = () => live;
  live = 500;
  assert.equal(c.now, 500);
  const seen: number[] = [];
  c.schedule(700, () => seen.push(c.now));
  const t = c.after(100, () => {});
  assert.equal(t.deadline, 600, "relative timers start from the live time");
  assert.equal(c.schedule(10, () => {}).deadline, 500, "no timer in the past");
  live = 800;
  c.advanceTo(live);
  assert.deepEqual(seen, [700], "callbacks see their deadline as now");
  live = 400; // the clock never goes backwards
  assert.equal(c.now, 800);
});
