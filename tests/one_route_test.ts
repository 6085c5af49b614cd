/**
 * One route for every exit: an observer plugin on the demo sees each of
 * the six L2 exits in L1's summary (2 CPUID, HLT, RDTSC, VMCALL, EPT
 * violation) at level 2, as many as the VMX plugin counted, and `--trace`
 * prints L2's HLT, RDTSC and EPT-violation exits.
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import type { Plugin } from "../core/plugin.ts";
import type { VmExit } from "../core/vmexit.ts";
import { VMX_STATS } from "../vmx/stats.ts";
import { main } from "../cli/main.ts";

const DEMO = new URL("../guests/build/demo.elf", import.meta.url);

/** An observer that counts exits by "kind@Llevel" (VMX instructions by name). */
function counter(): { plugin: Plugin; seen: Map<string, number> } {
  const seen = new Map<string, number>();
  const plugin: Plugin = {
    name: "observer",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.exits.observe((e: VmExit) => {
        const k = `${e.kind === "vmx" ? e.instruction : e.kind}@L${e.level}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
      });
    },
  };
  return { plugin, seen };
}

Deno.test("one route: an observer sees all six L2 exits of the demo's summary, at level 2", async () => {
  const { plugin, seen } = counter();
  const m = createMachine({ memoryMiB: 128, serial: () => {}, plugins: [plugin] });
  bootKernel(m, await Deno.readFile(DEMO));
  const r = m.run({ maxInstructions: 50_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: 1 });
  const s = m.services.get(VMX_STATS, "test").snapshot();
  // Basic reason -> what the observer saw at level 2.
  const six: [number, string, number][] = [
    [10, "cpuid@L2", 2],
    [12, "hlt@L2", 1],
    [16, "rdtsc@L2", 1],
    [18, "vmcall@L2", 1],
    [48, "ept-violation@L2", 1],
  ];
  for (const [reason, key, inSummary] of six) {
    assert.equal(s.l2ToL1[reason], inSummary, `L1's summary: ${key} reflected`);
    const bus = seen.get(key) ?? 0;
    assert.ok(bus >= inSummary, `observer saw ${key} ${bus} times, summary has ${inSummary}`);
    assert.equal(
      bus,
      (s.l2ToL1[reason] ?? 0) + (s.l2ToL0[reason] ?? 0),
      `${key}: the VMX counters count what the bus saw`,
    );
  }
  // L2's console output reached L0 through the same route.
  assert.ok((seen.get("io@L2") ?? 0) > 0, "L2 port I/O observed");
  // L1's own exits are observed at level 1.
  assert.equal(seen.get("vmlaunch@L1"), 1);
  assert.ok((seen.get("hlt@L1") ?? 0) + (seen.get("cpuid@L1") ?? 0) > 0, "L1 exits observed");
  m.dispose();
});

Deno.test("one route: --trace prints L2's HLT, RDTSC and EPT-violation exits", async () => {
  const lines: string[] = [];
  const status = await main(["--demo", "--trace"], {
    stdout: () => {},
    stderr: (t) => lines.push(t),
    cwd: Deno.cwd(),
  });
  assert.equal(status, 0);
  const trace = lines.join("\n");
  assert.match(trace, /^exit L2 hlt rip=/m);
  assert.match(trace, /^exit L2 rdtsc rip=/m);
  assert.match(trace, /^exit L2 ept-violation gpa 0x[0-9a-f]+/m);
  assert.match(trace, /^exit L2 cpuid leaf/m);
});

Deno.test("one route: a level-2 interceptor placed before nested VMX sees L2's CPUIDs; after it, none", async () => {
  const image = await Deno.readFile(DEMO);
  const count = (order: "before-nested-vmx" | "after-nested-vmx") => {
    let cpuids = 0;
    const plugin: Plugin = {
      name: `interceptor-${order}`,
      version: "1.0.0",
      apiVersion: 1,
      setup(ctx) {
        ctx.exits.intercept(
          (e) => {
            if (e.kind === "cpuid") cpuids++;
            return "pass";
          },
          [2],
          order,
        );
      },
    };
    const m = createMachine({ memoryMiB: 128, serial: () => {}, plugins: [plugin] });
    bootKernel(m, image);
    const r = m.run({ maxInstructions: 50_000_000 });
    assert.deepEqual(r.reason, { kind: "exit", status: 1 }, "passing interceptors change nothing");
    m.dispose();
    return cpuids;
  };
  assert.equal(count("before-nested-vmx"), 2, "both L2 CPUIDs, before VMX reflects them");
  assert.equal(count("after-nested-vmx"), 0, "VMX reflected both to L1");
});
