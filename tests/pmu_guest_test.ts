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
import { loadFlat } from "../boot/flat.ts";
import { applyEntryState } from "../boot/entry_state.ts";
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

/**
 * 32-bit code: enable IA32_FIXED_CTR1 (OS and USR) in IA32_FIXED_CTR_CTRL and
 * IA32_PERF_GLOBAL_CTRL; RDTSC; 10,000 iterations of DEC/JNZ; RDTSC; RDMSR of
 * IA32_FIXED_CTR1; then ESI = TSC delta, EDI = cycles, and out 0xf4 (isa-debug-exit).
 */
const CYCLES_VS_TSC = [
  "b98d030000 b830000000 31d2 0f30", // mov ecx, 0x38d; mov eax, 0x30; xor edx, edx; wrmsr
  "b98f030000 31c0 ba02000000 0f30", // mov ecx, 0x38f; xor eax, eax; mov edx, 2; wrmsr
  "0f31 89c6", // rdtsc; mov esi, eax
  "b910270000 49 75fd", // mov ecx, 10000; 1: dec ecx; jnz 1b
  "0f31 29f0 89c6", // rdtsc; sub eax, esi; mov esi, eax
  "b90a030000 0f32 89c7", // mov ecx, 0x30a; rdmsr; mov edi, eax
  "b000 e6f4", // mov al, 0; out 0xf4, al
].join("").replace(/ /g, "");
/** The TSC ticks between the two RDTSCs on one vCPU: the first RDTSC, MOV, MOV and the loop. */
const BSP_INSTRUCTIONS_BETWEEN_RDTSC = 20_003;
/** Instructions IA32_FIXED_CTR1 counts: the enabling WRMSR, those 20,003, RDTSC, SUB, MOV, MOV. */
const BSP_CYCLES = 20_008;

/**
 * Run {@link CYCLES_VS_TSC} on vCPU 0; with `ap`, vCPU 1 (made active in the same flat
 * 32-bit state) runs that code at 0x200000 meanwhile. Returns vCPU 0's TSC delta and cycles.
 */
function cyclesVsTsc(ap?: string, quantum?: number): { tscDelta: number; cycles: number } {
  const m = createMachine({ memoryMiB: 16, smp: ap === undefined ? 1 : 2, quantum });
  try {
    bootFlat(
      m,
      [{ addr: 0x100000, data: Uint8Array.fromHex(CYCLES_VS_TSC) }],
      0x100000,
      "protected32",
    );
    if (ap !== undefined) {
      const r = loadFlat([{ addr: 0x200000, data: Uint8Array.fromHex(ap) }], m.memory, {
        entry: 0x200000,
        mode: "protected32",
      });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      applyEntryState(m.cpus[1], r.entry);
    }
    const r = m.run({ maxInstructions: 1_000_000 });
    assert.equal(r.reason.kind, "exit", JSON.stringify(r.reason));
    const g = m.cpus[0].gpr;
    return { tscDelta: g[12], cycles: g[14] };
  } finally {
    m.dispose?.();
  }
}

Deno.test("unhalted core cycles tick with the TSC on one vCPU with the default virtual clock", () => {
  const { tscDelta, cycles } = cyclesVsTsc();
  assert.equal(tscDelta, BSP_INSTRUCTIONS_BETWEEN_RDTSC, "TSC delta");
  assert.equal(cycles, BSP_CYCLES, "IA32_FIXED_CTR1");
});

Deno.test("with two busy vCPUs a vCPU's cycles run at half its TSC's rate; a halted one takes no time", () => {
  // vCPU 1 spins (jmp $) in turns of 100 instructions: the shared clock advances by both
  // vCPUs' instructions, vCPU 0's cycles by its own only. The turns around the two RDTSCs
  // leave a slack of one quantum each way.
  const busy = cyclesVsTsc("ebfe", 100);
  assert.equal(busy.cycles, BSP_CYCLES, "IA32_FIXED_CTR1 counts vCPU 0's instructions only");
  assert.ok(
    Math.abs(busy.tscDelta - 2 * BSP_INSTRUCTIONS_BETWEEN_RDTSC) <= 100,
    `TSC delta ${busy.tscDelta}, about twice ${BSP_INSTRUCTIONS_BETWEEN_RDTSC}`,
  );
  // vCPU 1 halts (cli; hlt) in its first turn, which falls between vCPU 0's RDTSCs: those
  // two instructions take 2 ns of the shared clock; halted, it takes none, and vCPU 0's
  // cycles keep the TSC's rate.
  const halted = cyclesVsTsc("faf4", 100);
  assert.equal(halted.cycles, BSP_CYCLES, "IA32_FIXED_CTR1");
  assert.equal(halted.tscDelta, BSP_INSTRUCTIONS_BETWEEN_RDTSC + 2, "TSC delta");
});
