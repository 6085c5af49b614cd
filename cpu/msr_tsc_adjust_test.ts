/**
 * IA32_TSC_ADJUST (MSR 0x3B, CPUID.(EAX=7,ECX=0):EBX[1]; SDM Vol. 3B
 * 18.17.3): a WRMSR that adds X to the TSC adds X to IA32_TSC_ADJUST, and a
 * WRMSR that adds X to IA32_TSC_ADJUST adds X to the TSC. 0 at RESET; INIT
 * keeps it, as every MSR.
 */
import assert from "node:assert/strict";
import { exec64, makeCpu } from "./testing.ts";
import { CpuFault } from "./fault.ts";
import { readMsrCore, writeMsrCore } from "./msr.ts";
import { defaultModel } from "./model.ts";
import { initReset } from "./init_sipi.ts";
import { resetState } from "./state.ts";
import { loadSnapshot, saveSnapshot } from "./snapshot.ts";
import type { Cpu } from "./cpu.ts";

const ADJ = 0x3b;
const TSC = 0x10;
const MASK64 = (1n << 64n) - 1n;

/** WRMSR: the vector it raises, or 0. */
function wr(c: Cpu, index: number, v: bigint): number {
  try {
    return writeMsrCore(c, index, v & MASK64) ? 0 : 13;
  } catch (e) {
    if (e instanceof CpuFault) return e.vector;
    throw e;
  }
}

/** RDMSR: the value, or the vector raised. */
function rd(c: Cpu, index: number): bigint | number {
  return readMsrCore(c, index) ?? 13;
}

Deno.test("IA32_TSC_ADJUST: writes to it move the TSC by the same amount", () => {
  const t = makeCpu();
  const c = t.cpu;
  t.time.ns = 1_000_000;
  assert.equal(rd(c, ADJ), 0n);
  const before = c.readTsc();
  assert.equal(wr(c, ADJ, 5000n), 0);
  assert.equal(c.readTsc() - before, 5000n);
  assert.equal(rd(c, ADJ), 5000n);
  // Negative values: two's complement in 64 bits.
  assert.equal(wr(c, ADJ, -300n), 0);
  assert.equal(rd(c, ADJ), MASK64 - 299n);
  assert.equal(c.readTsc() - before, -300n);
  // Time runs on; the difference stays.
  t.time.ns += 777;
  assert.equal(c.readTsc() - before, 777n - 300n);
});

Deno.test("IA32_TSC_ADJUST: a TSC write adds what it added to the TSC", () => {
  const t = makeCpu();
  const c = t.cpu;
  t.time.ns = 50_000;
  assert.equal(wr(c, TSC, 80_000n), 0, "TSC +30,000");
  assert.equal(rd(c, ADJ), 30_000n);
  t.time.ns += 1000;
  assert.equal(c.readTsc(), 81_000n);
  assert.equal(wr(c, TSC, 1000n), 0, "TSC -80,000");
  assert.equal(rd(c, ADJ), MASK64 + 1n - 50_000n, "-50,000");
  // Writing the adjustment back to 0 gives the TSC without any write.
  assert.equal(wr(c, ADJ, 0n), 0);
  assert.equal(c.readTsc(), 51_000n);
});

Deno.test("IA32_TSC_ADJUST: 0 at RESET, kept by INIT and by snapshots", () => {
  const t = makeCpu();
  const c = t.cpu;
  assert.equal(wr(c, ADJ, 1234n), 0);
  initReset(c);
  assert.equal(rd(c, ADJ), 1234n, "INIT keeps the MSRs");
  const s = saveSnapshot(c);
  const u = makeCpu().cpu;
  loadSnapshot(u, JSON.parse(JSON.stringify(s)));
  assert.equal(rd(u, ADJ), 1234n, "restored");
  resetState(c);
  assert.equal(rd(c, ADJ), 0n, "RESET clears it");
});

Deno.test("IA32_TSC_ADJUST: only with the feature; CPUID.7.0:EBX[1] says which", () => {
  const cpuid7 = "b8 07 00 00 00 31 c9 0f a2 f4"; // mov eax, 7; xor ecx, ecx; cpuid; hlt
  const on = exec64(cpuid7);
  assert.equal((on.cpu.gpr[6] >> 1) & 1, 1, "the default model has it");
  const model = defaultModel();
  model.features.delete("tsc-adjust");
  const t = makeCpu(8, model);
  assert.equal(rd(t.cpu, ADJ), 13, "RDMSR #GP without it");
  assert.equal(wr(t.cpu, ADJ, 1n), 13, "WRMSR #GP without it");
  const off = exec64(cpuid7, (x) => x.cpu.model.features.delete("tsc-adjust"));
  assert.equal((off.cpu.gpr[6] >> 1) & 1, 0);
});

Deno.test("IA32_TSC_ADJUST: power returning (S3 wake) restarts the TSC from 0 with the adjustment 0", () => {
  const t = makeCpu();
  const c = t.cpu;
  t.time.ns = 9_000;
  assert.equal(wr(c, TSC, 500_000n), 0);
  assert.equal(wr(c, ADJ, 77n), 0);
  c.resetTsc();
  assert.equal(c.readTsc(), 0n);
  assert.equal(rd(c, ADJ), 0n, "not moved by the TSC's restart, as a WRMSR would move it");
  t.time.ns += 10;
  assert.equal(c.readTsc(), 10n);
});
