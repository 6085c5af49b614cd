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
import { bootFlat, bootKernel, createMachine } from "../plugins/machine_builder.ts";
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

Deno.test("unhalted core cycles tick with the TSC on one vCPU with the default virtual clock", () => {
  // 32-bit code: enable IA32_FIXED_CTR1 (OS and USR) in IA32_FIXED_CTR_CTRL and
  // IA32_PERF_GLOBAL_CTRL; RDTSC; 10,000 iterations of DEC/JNZ; RDTSC; RDMSR of
  // IA32_FIXED_CTR1; then ESI = TSC delta, EDI = cycles, and out 0xf4 (isa-debug-exit).
  const code = [
    "b98d030000 b830000000 31d2 0f30", // mov ecx, 0x38d; mov eax, 0x30; xor edx, edx; wrmsr
    "b98f030000 31c0 ba02000000 0f30", // mov ecx, 0x38f; xor eax, eax; mov edx, 2; wrmsr
    "0f31 89c6", // rdtsc; mov esi, eax
    "b910270000 49 75fd", // mov ecx, 10000; 1: dec ecx; jnz 1b
    "0f31 29f0 89c6", // rdtsc; sub eax, esi; mov esi, eax
    "b90a030000 0f32 89c7", // mov ecx, 0x30a; rdmsr; mov edi, eax
    "b000 e6f4", // mov al, 0; out 0xf4, al
  ].join("").replace(/ /g, "");
  const m = createMachine({ memoryMiB: 16 });
  try {
    bootFlat(m, [{ addr: 0x100000, data: Uint8Array.fromHex(code) }], 0x100000, "protected32");
    m.run({ maxInstructions: 1_000_000 });
    const g = m.cpu.gpr;
    const tscDelta = g[12], cycles = g[14];
    // One TSC tick per instruction: the first RDTSC, MOV, MOV and the 20,000 loop instructions.
    assert.equal(tscDelta, 20_003, "TSC delta");
    // One cycle per instruction counted: the enabling WRMSR, those 20,003 and RDTSC, SUB, MOV
    // and MOV before the RDMSR.
    assert.equal(cycles, 20_008, "IA32_FIXED_CTR1");
  } finally {
    m.dispose?.();
  }
});
