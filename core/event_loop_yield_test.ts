import assert from "node:assert/strict";
import { EventLoopYield } from "./event_loop_yield.ts";

Deno.test("EventLoopYield: timers run between yields, and closing leaves nothing open", async () => {
  const y = new EventLoopYield();
  let fired = false;
  // 50 ms: far longer than a yield, so the loop yields many times first.
  const timer = setTimeout(() => (fired = true), 50);
  const t0 = performance.now();
  let yields = 0;
  while (!fired && performance.now() - t0 < 2000) {
    await y.next();
    yields++;
  }
  clearTimeout(timer);
  y.close();
  assert.ok(fired, "a timer fires while the loop only yields through the channel");
  assert.ok(yields > 1, `yielded ${yields} times`);
  // The test's resource sanitizer fails if the channel's ports were left open.
});
