/**
 * The architectural PMU in a real guest (guests/build/pmu64.elf, sources in
 * guests/src/pmu/): CPUID leaf 0AH, the MSRs, exact instruction counts of
 * its own code at CPL 0 and CPL 3 (the expected figures are computed from
 * the measured assembly), RDPMC, and PMIs taken at the exact instruction
 * boundary, also inside a loop the block compiler runs. Run with both
 * engines; without a PMU (`-cpu max,pmu=off`) the same image fails its
 * CPUID checks, so the checks can fail.
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { assertTap, parseTap } from "./tap.ts";
import type { EngineKind } from "../plugins/pc_machine.ts";

const PLAN = 37;

function run(engine: EngineKind, cpu = "max"): { output: string; status: number } {
  const image = Deno.readFileSync(new URL("../guests/build/pmu64.elf", import.meta.url));
  let output = "";
  const dec = new TextDecoder();
  const m = createMachine({
    engine,
    cpu,
    serial: (b) => (output += dec.decode(b, { stream: true })),
  });
  try {
    bootKernel(m, image, {});
    const r = m.run({ maxInstructions: 50_000_000 });
    return { output, status: r.reason.kind === "exit" ? r.reason.status : -1 };
  } finally {
    m.dispose?.();
  }
}

for (const engine of ["interp", "jit"] as const) {
  Deno.test(`guest pmu64.elf (${engine}): exact counts, filters, RDPMC and PMIs`, () => {
    const o = run(engine);
    assertTap(o.output, { plan: PLAN }, `pmu64 ${engine}`);
    assert.equal(o.status, 1, "isa-debug-exit status 0 -> exit code 1");
  });
}

Deno.test("guest pmu64.elf with -cpu max,pmu=off: CPUID.0AH reports no PMU and the checks fail", () => {
  const o = run("interp", "max,pmu=off");
  const tap = parseTap(o.output);
  const first = tap.tests.find((t) => t.n === 1);
  assert.ok(first !== undefined && !first.ok, o.output);
  assert.match(first.description, /version 2 \(eax 0x0\)/);
});
