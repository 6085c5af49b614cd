import assert from "node:assert/strict";
import { enter64, load, makeCpu, type TestCpu } from "./testing.ts";
import { JitEngine } from "./jit/mod.ts";
import { cpuidLeaf, type CpuidRegs } from "./model.ts";
import { parseCpuSpec } from "./cpu_spec.ts";
import { perfGlobalCtrlBits, PmuMsr, rdpmcValue } from "./pmu.ts";
import { vmxFeaturesFor } from "../vmx/features.ts";
import { vmxCapabilityMsr } from "../vmx/msrs.ts";
import { rdpmc } from "./exec_cpuid_msr.ts";
import { CpuFault } from "./fault.ts";
import type { Insn } from "./icache.ts";

const WRAP = 2 ** 48;
const EN_OS_USR_INSTR = (1 << 22) | (1 << 17) | (1 << 16) | 0xc0;
const INT = 1 << 20;

function leafA(spec: string): CpuidRegs {
  const r = parseCpuSpec(spec);
  if (!r.ok) throw new Error(r.error);
  const out = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  cpuidLeaf(r.model, 0xa, 0, out);
  return out;
}

Deno.test("PMU CPUID.0AH: version 2, 4x48-bit counters, 3 fixed, core cycles, instructions and reference cycles available", () => {
  assert.deepEqual(leafA("max"), { eax: 0x07300402, ebx: 0x78, ecx: 0, edx: 0x603 });
  assert.deepEqual(leafA("host"), leafA("max"));
  const none = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  assert.deepEqual(leafA("max,pmu=off"), none);
  assert.deepEqual(leafA("max,-pmu"), none);
  assert.deepEqual(leafA("max,vendor=AuthenticAMD"), none, "Intel's architectural PMU only");
  assert.deepEqual(leafA("Nehalem"), none, "QEMU's named models have no PMU unless asked");
  assert.deepEqual(leafA("Nehalem,pmu=on"), leafA("max"));
  const bad = parseCpuSpec("max,pmu=maybe");
  assert.ok(!bad.ok && /expected on or off/.test(bad.error));
});

/** A 64-bit vCPU looping `inc rax; jmp $-3` forever, with PMC0 counting instructions. */
function looping(jit: boolean, sel = EN_OS_USR_INSTR, preset?: number): TestCpu {
  const t = makeCpu();
  enter64(t);
  load(t, "48 ff c0 eb fb");
  if (jit) t.cpu.jit = new JitEngine(2);
  const c = t.cpu;
  assert.equal(c.writeMsr(PmuMsr.PERFEVTSEL0, BigInt(sel)), true);
  if (preset !== undefined) assert.equal(c.writeMsr(PmuMsr.PMC0, BigInt(preset)), true);
  assert.equal(c.writeMsr(PmuMsr.FIXED_CTR_CTRL, 0x3n), true);
  assert.equal(c.writeMsr(PmuMsr.GLOBAL_CTRL, 0x1_0000_0001n), true);
  return t;
}

for (const jit of [false, true]) {
  const engine = jit ? "block compiler" : "interpreter";
  Deno.test(`PMU (${engine}): PMC0 and FIXED_CTR0 count exactly the instructions retired`, () => {
    const t = looping(jit);
    const c = t.cpu;
    const r0 = c.retired;
    assert.equal(c.run(r0 + 123_457), "limit");
    assert.equal(c.retired - r0, 123_457);
    assert.equal(c.readMsr(PmuMsr.PMC0), 123_457n);
    assert.equal(c.readMsr(PmuMsr.FIXED_CTR0), 123_457n);
    assert.equal(rdpmcValue(c, 0), 123_457);
    assert.equal(rdpmcValue(c, 0x40000000), 123_457);
    // Not counting at CPL 0 (USR only): the value stays.
    assert.equal(c.writeMsr(PmuMsr.PERFEVTSEL0, BigInt(EN_OS_USR_INSTR & ~(1 << 17))), true);
    c.run(c.retired + 1000);
    assert.equal(c.readMsr(PmuMsr.PMC0), 123_457n);
  });

  Deno.test(`PMU (${engine}): the cycle events and fixed counters 1 and 2 count one per instruction`, () => {
    // PMC1 unhalted core cycles (3CH/00H), PMC2 unhalted reference cycles
    // (3CH/01H), PMC3 a cycle event with CMASK 1 (not counted); fixed
    // counter 1 at CPL 0 only, fixed counter 2 at CPL 3 only.
    const t = looping(jit);
    const c = t.cpu;
    const en = (1 << 22) | (1 << 17) | (1 << 16);
    assert.equal(c.writeMsr(PmuMsr.PERFEVTSEL0 + 1, BigInt(en | 0x3c)), true);
    assert.equal(c.writeMsr(PmuMsr.PERFEVTSEL0 + 2, BigInt(en | 0x13c)), true);
    assert.equal(c.writeMsr(PmuMsr.PERFEVTSEL0 + 3, BigInt(en | 0x0100_003c)), true);
    assert.equal(c.writeMsr(PmuMsr.FIXED_CTR_CTRL, 0x213n), true);
    assert.equal(c.writeMsr(PmuMsr.GLOBAL_CTRL, 0x7_0000_000fn), true);
    const r0 = c.retired;
    assert.equal(c.run(r0 + 54_321), "limit");
    for (const k of [0, 1, 2]) assert.equal(c.readMsr(PmuMsr.PMC0 + k), 54_321n, `PMC${k}`);
    assert.equal(c.readMsr(PmuMsr.PMC0 + 3), 0n, "CMASK 1: not counted");
    assert.equal(c.readMsr(PmuMsr.FIXED_CTR0 + 1), 54_321n, "fixed counter 1 (OS)");
    assert.equal(c.readMsr(PmuMsr.FIXED_CTR0 + 2), 0n, "fixed counter 2 (USR only)");
    assert.equal(rdpmcValue(c, 0x40000001), 54_321);
  });

  Deno.test(`PMU (${engine}): an overflow signals one PMI at the exact boundary`, () => {
    const t = looping(jit, EN_OS_USR_INSTR | INT, -12_345);
    const c = t.cpu;
    const seen: number[] = [];
    c.setInterruptSource({
      hasInterrupt: () => false,
      acknowledge: () => 0,
      performanceInterrupt: () => void seen.push(c.retired),
    });
    const r0 = c.retired;
    c.run(r0 + 100_000);
    assert.deepEqual(seen, [r0 + 12_345], "after the 12345th instruction");
    assert.equal(c.readMsr(PmuMsr.PMC0), BigInt(100_000 - 12_345));
    assert.equal(c.readMsr(PmuMsr.GLOBAL_STATUS), 1n);
    // Without INT: the status bit, no PMI.
    assert.equal(c.writeMsr(PmuMsr.GLOBAL_OVF_CTRL, 1n), true);
    assert.equal(c.writeMsr(PmuMsr.PERFEVTSEL0, BigInt(EN_OS_USR_INSTR)), true);
    assert.equal(c.writeMsr(PmuMsr.PMC0, BigInt(-10)), true);
    c.run(c.retired + 100);
    assert.equal(seen.length, 1);
    assert.equal(c.readMsr(PmuMsr.GLOBAL_STATUS), 1n);
    assert.equal(c.readMsr(PmuMsr.PMC0), 90n);
  });
}

Deno.test("PMU: reserved bits #GP, legacy counter writes sign-extend bit 31, fixed writes are 48-bit", () => {
  const c = makeCpu().cpu;
  assert.equal(c.writeMsr(PmuMsr.PMC0, 0x1_8000_0000n), true);
  assert.equal(c.readMsr(PmuMsr.PMC0), BigInt(WRAP - 2 ** 31));
  assert.equal(c.writeMsr(PmuMsr.PMC0, 0xff_1234_5678n), true);
  assert.equal(c.readMsr(PmuMsr.PMC0), 0x1234_5678n);
  assert.equal(c.writeMsr(PmuMsr.FIXED_CTR0, BigInt(WRAP - 1)), true);
  assert.equal(c.writeMsr(PmuMsr.FIXED_CTR0, BigInt(WRAP)), false);
  assert.equal(c.writeMsr(PmuMsr.PERFEVTSEL0, 1n << 21n), false, "AnyThread is version 3's");
  assert.equal(c.writeMsr(PmuMsr.PERFEVTSEL0, 1n << 32n), false);
  assert.equal(c.writeMsr(PmuMsr.GLOBAL_CTRL, 0x10n), false);
  assert.equal(c.writeMsr(PmuMsr.GLOBAL_CTRL, 0x8_0000_0000n), false);
  assert.equal(c.writeMsr(PmuMsr.GLOBAL_CTRL, 0x7_0000_000fn), true);
  assert.equal(c.writeMsr(PmuMsr.GLOBAL_OVF_CTRL, 0xc000_0001_0000_000fn), true);
  assert.equal(c.writeMsr(PmuMsr.GLOBAL_OVF_CTRL, 0x10n), false);
  assert.equal(c.writeMsr(PmuMsr.GLOBAL_STATUS, 0n), false);
  assert.equal(c.writeMsr(PmuMsr.FIXED_CTR_CTRL, 0x4n), false);
  assert.equal(c.writeMsr(PmuMsr.FIXED_CTR_CTRL, 0x1000n), false);
  assert.equal(c.writeMsr(PmuMsr.FIXED_CTR_CTRL, 0xbbbn), true);
  assert.equal(c.writeMsr(PmuMsr.FIXED_CTR0 + 2, BigInt(WRAP - 1)), true);
  assert.equal(c.readMsr(PmuMsr.FIXED_CTR0 + 2), BigInt(WRAP - 1));
  assert.equal(c.readMsr(PmuMsr.FIXED_CTR0 + 3), undefined, "three fixed counters");
  assert.equal(rdpmcValue(c, 4), undefined);
  assert.equal(rdpmcValue(c, 0x80000000), undefined);
  const none = makeCpu(8, { ...parseModel("max,pmu=off") }).cpu;
  assert.equal(none.readMsr(PmuMsr.GLOBAL_CTRL), undefined, "no PMU: #GP");
  assert.equal(none.writeMsr(PmuMsr.PMC0, 0n), false);
  assert.equal(rdpmcValue(none, 0), undefined);
});

function parseModel(spec: string) {
  const r = parseCpuSpec(spec);
  if (!r.ok) throw new Error(r.error);
  return r.model;
}

Deno.test("PMU snapshot: a restored vCPU counts on and overflows where the original does", () => {
  const a = looping(false, EN_OS_USR_INSTR | INT, -20_000);
  const pmis = (t: TestCpu) => {
    const at: number[] = [];
    t.cpu.setInterruptSource({
      hasInterrupt: () => false,
      acknowledge: () => 0,
      performanceInterrupt: () => void at.push(t.cpu.retired),
    });
    return at;
  };
  const seenA = pmis(a);
  a.cpu.run(a.cpu.retired + 5_000);
  const snap = JSON.parse(JSON.stringify(a.cpu.saveState()));
  const b = makeCpu();
  enter64(b); // the same memory: page tables, GDT, code
  load(b, "48 ff c0 eb fb");
  const seenB = pmis(b);
  b.cpu.loadState(snap);
  assert.equal(b.cpu.readMsr(PmuMsr.PMC0), BigInt(WRAP - 15_000));
  a.cpu.run(a.cpu.retired + 30_000);
  b.cpu.run(b.cpu.retired + 30_000);
  assert.equal(a.cpu.readMsr(PmuMsr.PMC0), 15_000n);
  assert.equal(b.cpu.readMsr(PmuMsr.PMC0), 15_000n);
  assert.deepEqual(seenB, seenA);
  assert.equal(seenA.length, 1);
});

Deno.test("PMU and VMX: the load IA32_PERF_GLOBAL_CTRL controls exist exactly with a PMU", () => {
  const facts = { physBits: 40, page1G: true };
  const withPmu = vmxFeaturesFor({
    ...facts,
    perfGlobalCtrlBits: perfGlobalCtrlBits(parseModel("max")),
  });
  const without = vmxFeaturesFor({
    ...facts,
    perfGlobalCtrlBits: perfGlobalCtrlBits(parseModel("max,pmu=off")),
  });
  assert.deepEqual(withPmu.perfGlobalCtrlBits, [0xf, 0x7]);
  // Allowed-1 settings (bits 63:32) of the TRUE exit/entry control MSRs: bit 12 / bit 13.
  assert.ok((vmxCapabilityMsr(0x48f, withPmu)!.hi & (1 << 12)) !== 0);
  assert.ok((vmxCapabilityMsr(0x490, withPmu)!.hi & (1 << 13)) !== 0);
  assert.equal(vmxCapabilityMsr(0x48f, without)!.hi & (1 << 12), 0);
  assert.equal(vmxCapabilityMsr(0x490, without)!.hi & (1 << 13), 0);
});

Deno.test("PMU counting adds no work per instruction: the same region calls, interpreted steps and boundaries", () => {
  // The same 1M-instruction run with no counter, and with every counter
  // counting (no overflow due): the block compiler is entered as often, the
  // interpreter steps as often, and the run loop stops at no extra boundary.
  const profile = (count: boolean) => {
    const t = makeCpu();
    enter64(t);
    load(t, "48 ff c0 eb fb");
    const jit = new JitEngine(2);
    t.cpu.jit = jit;
    if (count) {
      t.cpu.writeMsr(PmuMsr.PERFEVTSEL0, BigInt(EN_OS_USR_INSTR));
      t.cpu.writeMsr(PmuMsr.FIXED_CTR_CTRL, 0x3n);
      t.cpu.writeMsr(PmuMsr.GLOBAL_CTRL, 0x1_0000_0001n);
    }
    let boundaries = 0;
    const r0 = t.cpu.retired;
    while (t.cpu.retired < r0 + 1_000_000) {
      t.cpu.run(t.cpu.retired + 250_000);
      boundaries++;
    }
    if (count) assert.equal(t.cpu.readMsr(PmuMsr.PMC0), 1_000_000n);
    return { calls: jit.calls, steps: jit.steps, boundaries, eventPending: t.cpu.eventPending };
  };
  assert.deepEqual(profile(true), profile(false));
});

Deno.test("LBR stack registers: with a PMU they hold what is written (no recording); without, #GP", () => {
  const c = makeCpu().cpu;
  assert.equal(c.writeMsr(0x680, 0xffff_ffff_8100_0000n), true);
  assert.equal(c.readMsr(0x680), 0xffff_ffff_8100_0000n);
  assert.equal(c.writeMsr(0x6cf, 5n), true);
  assert.equal(c.readMsr(0x6cf), 5n);
  assert.equal(c.writeMsr(0x1c9, 0x13n), true);
  assert.equal(c.readMsr(0x1c9), 0x3n, "TOS keeps its 4 index bits");
  assert.equal(c.writeMsr(0x1c8, 0xffffn), true);
  assert.equal(c.readMsr(0x1c8), 0x3ffn);
  assert.equal(c.readMsr(0x690), undefined, "16 entries");
  const snap = JSON.parse(JSON.stringify(c.saveState()));
  const d = makeCpu().cpu;
  d.loadState(snap);
  assert.equal(d.readMsr(0x680), 0xffff_ffff_8100_0000n, "kept by a snapshot");
  const none = makeCpu(8, parseModel("max,pmu=off")).cpu;
  assert.equal(none.readMsr(0x680), undefined);
  assert.equal(none.writeMsr(0x1c9, 0n), false);
});

Deno.test("PMU: Freeze_PerfMon_On_PMI clears GLOBAL_CTRL and Freeze_LBRs_On_PMI DEBUGCTL.LBR at a PMI", () => {
  const t = looping(false, EN_OS_USR_INSTR | INT, -100);
  const c = t.cpu;
  let pmis = 0;
  c.setInterruptSource({
    hasInterrupt: () => false,
    acknowledge: () => 0,
    performanceInterrupt: () => void pmis++,
  });
  assert.equal(c.writeMsr(0x1d9, 0x1801n), true);
  const r0 = c.retired;
  c.run(r0 + 1000);
  assert.equal(pmis, 1);
  assert.equal(c.readMsr(PmuMsr.GLOBAL_CTRL), 0n);
  assert.equal(c.readMsr(PmuMsr.PMC0), 0n, "frozen at the wrap");
  assert.equal(c.readMsr(0x1d9), 0x1800n, "LBR cleared, the freeze bits kept");
});

Deno.test("RDPMC: #GP at CPL 3 without CR4.PCE; with it, EDX:EAX = the counter; a bad ECX is #GP", () => {
  const t = makeCpu();
  enter64(t);
  const c = t.cpu;
  assert.equal(c.writeMsr(PmuMsr.PMC0 + 1, 0x8765_4321n), true); // bit 31: extended to 48 bits
  const insn = { len: 2 } as unknown as Insn;
  const vector = (ecx: number): number => {
    c.gpr[2] = ecx;
    try {
      rdpmc(c, insn);
      return -1;
    } catch (e) {
      if (e instanceof CpuFault) return e.vector;
      throw e;
    }
  };
  c.cpl = 3;
  c.cr4 &= ~0x100;
  assert.equal(vector(1), 13, "CPL 3, CR4.PCE = 0");
  c.cr4 |= 0x100;
  assert.equal(vector(1), -1);
  assert.equal(c.gpr[0], 0x8765_4321);
  assert.equal(c.gpr[4], 0xffff, "bits 47:32");
  assert.equal(vector(4), 13);
  assert.equal(vector(0x4000_0003), 13, "fixed counter 3 does not exist");
  assert.equal(vector(0x8000_0000), 13, "ECX bit 31");
  c.cpl = 0;
  c.cr4 &= ~0x100;
  assert.equal(vector(0x4000_0000), -1, "CPL 0, fixed counter 0");
});
