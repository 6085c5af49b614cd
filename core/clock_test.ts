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
