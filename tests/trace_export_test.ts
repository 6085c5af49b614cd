/**
 * The demo traced with --trace-file, --timeline and --stats-json: every VM
 * exit that the statistics count is in the trace (by path and basic
 * reason), run spans nest properly on each track, exits sit inside the
 * spans of their level, and the timeline's ticks account for every exit.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { main } from "../cli/main.ts";
import type { StatsJson } from "../cli/stats.ts";

interface ChromeEvent {
  ph: string;
  tid?: number;
  name: string;
  cat?: string;
  ts?: number;
  dur?: number;
  args?: Record<string, unknown>;
}

Deno.test("trace export: the demo's trace holds every counted exit, with properly nested spans", async () => {
  const dir = await Deno.makeTempDir();
  const io = { stdout: () => {}, stderr: () => {}, cwd: dir };
  const status = await main(
    [
      "--demo",
      "--trace-file",
      "demo.json",
      "--timeline",
      "demo.svg",
      "--stats-json",
      "stats.json",
    ],
    io,
  );
  equal(status, 0);
  const trace = JSON.parse(await Deno.readTextFile(`${dir}/demo.json`)) as {
    traceEvents: ChromeEvent[];
  };
  const stats = JSON.parse(await Deno.readTextFile(`${dir}/stats.json`)) as StatsJson;
  const events = trace.traceEvents;
  ok(stats.vmx, "the demo runs with the VMX plugin");

  // Every exit the statistics counted, by path and basic reason.
  const counted = new Map<string, number>();
  for (const r of stats.vmx.exits) {
    for (const path of ["L2->L1", "L2->L0", "L1->L0"] as const) {
      if (r[path] > 0) counted.set(`${path} ${r.reason}`, r[path]);
    }
  }
  const traced = new Map<string, number>();
  const exits = events.filter((e) => e.cat === "vmexit");
  for (const e of exits) {
    const key = `${e.args!.path} ${e.args!.reason}`;
    traced.set(key, (traced.get(key) ?? 0) + 1);
  }
  deepStrictEqual(
    [...traced.entries()].sort(),
    [...counted.entries()].sort(),
  );
  ok(exits.length > 3000, `${exits.length} exits`);
  // Every exit passed the exit bus (none was only inferred from the VMX counters).
  deepStrictEqual(exits.filter((e) => e.args!.kind === "").map((e) => e.args!.detail), []);

  // Entries: one "entry" instant and one "L2 run" span per successful VM entry.
  const entries = events.filter((e) => e.cat === "vmentry");
  equal(entries.length, stats.vmx.entries);
  const spans = events.filter((e) => e.ph === "X");
  equal(spans.filter((s) => s.name === "L2 run").length, stats.vmx.entries);

  // Spans on each track nest: any two are disjoint or one contains the other.
  for (const tid of [1, 2]) {
    const track = spans.filter((s) => s.tid === tid)
      .sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
    const stack: ChromeEvent[] = [];
    for (const s of track) {
      while (stack.length > 0 && stack.at(-1)!.ts! + stack.at(-1)!.dur! <= s.ts! + 1e-6) {
        stack.pop();
      }
      const parent = stack.at(-1);
      if (parent) {
        ok(
          s.ts! + s.dur! <= parent.ts! + parent.dur! + 1e-6,
          `${s.name}@${s.ts} overlaps ${parent.name}@${parent.ts}`,
        );
      }
      stack.push(s);
    }
  }
  // One L1 span covers the run; "in L2" spans on L1 coincide with the L2 run spans.
  const root = spans.filter((s) => s.tid === 1 && s.name === "L1");
  equal(root.length, 1);
  const inL2 = spans.filter((s) => s.name === "in L2").map((s) => [s.ts, s.dur]);
  const l2runs = spans.filter((s) => s.name === "L2 run").map((s) => [s.ts, s.dur]);
  deepStrictEqual(inL2, l2runs);
  // Exits lie inside a span of their level; L1 exits never inside "in L2".
  const within = (t: number, s: ChromeEvent) => t >= s.ts! - 1e-6 && t <= s.ts! + s.dur! + 1e-6;
  for (const e of exits) {
    if (e.tid === 2) {
      ok(
        l2runs.some(([ts, dur]) => e.ts! >= ts! - 1e-6 && e.ts! <= ts! + dur! + 1e-6),
        `L2 exit at ${e.ts}`,
      );
    } else {
      ok(within(e.ts!, root[0]), `L1 exit at ${e.ts}`);
      ok(
        !spans.some((s) =>
          s.name === "in L2" && e.ts! > s.ts! + 1e-6 && e.ts! < s.ts! + s.dur! - 1e-6
        ),
        `L1 exit at ${e.ts} while L2 ran`,
      );
    }
  }
  // Counters.
  ok(events.some((e) => e.ph === "C" && e.name === "MIPS"));
  ok(events.some((e) => e.ph === "C" && e.name === "exits/s"));

  // The timeline: an SVG whose ticks count every exit, with both level tracks.
  const svg = await Deno.readTextFile(`${dir}/demo.svg`);
  ok(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"));
  const ticks = [...svg.matchAll(/<line [^>]*><title>L[12]-&gt;L[01] [^<(]*\((\d+)\)/g)];
  equal(ticks.reduce((n, m) => n + Number(m[1]), 0), exits.length);
  ok(svg.includes(">L1 guest<") && svg.includes(">L2 guest<"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trace export: an L1-only guest's exits match the bus counts by kind; IRQ lines are traced", async () => {
  const dir = await Deno.makeTempDir();
  const io = { stdout: () => {}, stderr: () => {}, cwd: dir };
  const kernel = new URL("../guests/build/devices64.elf", import.meta.url).pathname;
  const status = await main(
    ["--kernel", kernel, "--trace-file", "t.json", "--stats-json", "s.json", "--serial", "none"],
    io,
  );
  equal(status, 1); // the guest's checks passed
  const events = (JSON.parse(await Deno.readTextFile(`${dir}/t.json`)) as {
    traceEvents: ChromeEvent[];
  }).traceEvents;
  const stats = JSON.parse(await Deno.readTextFile(`${dir}/s.json`)) as StatsJson;
  const traced = new Map<string, number>();
  for (const e of events.filter((e) => e.cat === "vmexit")) {
    equal(e.args!.path, "L1->L0");
    const key = `${e.tid} ${e.args!.kind}`;
    traced.set(key, (traced.get(key) ?? 0) + 1);
  }
  deepStrictEqual(
    [...traced.entries()].sort(),
    stats.exitsByKind.map((k) => [`${k.level} ${k.kind}`, k.count]).sort(),
  );
  const irqs = events.filter((e) => e.cat === "irq");
  ok(irqs.length > 10, `${irqs.length} IRQ line changes`);
  ok(irqs.every((e, i) => i === 0 || e.ts! >= irqs[i - 1].ts!), "IRQ events in time order");
  equal(events.filter((e) => e.ph === "X" && e.name === "L2 run").length, 0);
  await Deno.remove(dir, { recursive: true });
});
