import { equal, ok } from "node:assert/strict";
import { ChromeTraceWriter } from "./chrome_trace.ts";
import type { ExitEvent } from "./events.ts";

function exit(i: number): ExitEvent {
  return {
    kind: "exit",
    level: 1,
    path: "L1->L0",
    exitKind: "io",
    reason: 30,
    reasonName: "I/O",
    detail: `L1 io out port 0x3f8 size 1 value 0x${(i & 0xff).toString(16)}`,
    fields: { port: 0x3f8, size: 1, value: i & 0xff, direction: "out" },
    time: i * 100,
    wall: i / 1000,
  };
}

Deno.test("chrome trace: streams in bounded chunks and forms one valid document", () => {
  const chunks: string[] = [];
  const w = new ChromeTraceWriter((t) => chunks.push(t));
  const n = 20_000;
  for (let i = 0; i < n; i++) w.event(exit(i));
  // Written while running, not held until the end.
  ok(chunks.length > 10, `${chunks.length} chunks before finish`);
  ok(chunks.every((c) => c.length < 70_000), "chunks stay near the flush size");
  w.event({
    kind: "span",
    track: "L1",
    name: "L1",
    depth: 0,
    start: 0,
    end: n * 100,
    wallStart: 0,
    wallEnd: 5,
  });
  w.event({ kind: "counter", time: 1000, mips: 12.5, exitsPerSecond: 1e6 });
  w.finish();
  w.event(exit(0)); // ignored after finish
  const doc = JSON.parse(chunks.join(""));
  const events = doc.traceEvents as {
    ph: string;
    ts?: number;
    dur?: number;
    args?: { exit?: { value: number } };
  }[];
  equal(events.filter((e) => e.ph === "i").length, n);
  const span = events.find((e) => e.ph === "X")!;
  equal(span.ts, 0);
  equal(span.dur, n * 100 / 1000); // virtual ns as trace µs
  equal(events.filter((e) => e.ph === "C").length, 2);
  equal(events.filter((e) => e.ph === "i")[7].args!.exit!.value, 7);
});
