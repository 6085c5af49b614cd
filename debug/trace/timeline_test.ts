import { equal, ok } from "node:assert/strict";
import { niceStep, TimelineCollector } from "./timeline.ts";

Deno.test("timeline: axis steps are 1, 2 or 5 times a power of ten", () => {
  equal(niceStep(104), 10);
  equal(niceStep(1), 0.1);
  equal(niceStep(37), 5);
  equal(niceStep(2500), 200);
  equal(niceStep(0), 1);
});

Deno.test("timeline: tracks, nested spans, reflected exits and a legend with counts", () => {
  const t = new TimelineCollector();
  const span = (track: "L1" | "L2", name: string, depth: number, start: number, end: number) =>
    t.event({ kind: "span", track, name, depth, start, end, wallStart: 0, wallEnd: 1 });
  const exit = (level: 1 | 2, path: "L1->L0" | "L2->L0" | "L2->L1", name: string, time: number) =>
    t.event({
      kind: "exit",
      level,
      path,
      exitKind: "io",
      reason: 0,
      reasonName: name,
      detail: "d",
      fields: {},
      time,
      wall: 0,
    });
  span("L2", "L2 run", 0, 2000, 5000);
  span("L1", "in L2", 1, 2000, 5000);
  span("L1", "L1", 0, 0, 10_000);
  exit(1, "L1->L0", "I/O", 1000);
  exit(1, "L1->L0", "I/O", 1001); // same half pixel: shares the tick
  exit(2, "L2->L0", "I/O", 3000);
  exit(2, "L2->L1", "CPUID", 5000);
  t.event({ kind: "entry", instruction: "vmlaunch", time: 2000, wall: 0 });
  const svg = t.render();
  ok(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"));
  ok(svg.includes(">L1 guest<") && svg.includes(">L2 guest<") && !svg.includes("IRQ lines"));
  ok(svg.includes("4 VM exits, 1 VM entries, virtual time 10.00 µs"));
  ok(svg.includes(">I/O (3)<") && svg.includes(">CPUID (1)<"));
  ok(svg.includes("L1-&gt;L0 I/O (2)"), "two exits in one tick");
  ok(/stroke-width="2"><title>L2-&gt;L1 CPUID \(1\)/.test(svg), "reflected exits drawn thick");
  // The outermost span comes first so the inner ones are drawn over it.
  ok(svg.indexOf("<title>L1: ") < svg.indexOf("<title>in L2: "));
});
