/**
 * Multiprocessor machines (issue 16), judged by the smp64 guest
 * (guests/src/smp): AP bring-up through INIT-SIPI-SIPI, IPIs of every type
 * (fixed, logical, lowest priority, NMI, shorthands; HLT wakes), INIT then
 * SIPI restarting an AP, and a LOCK CMPXCHG spin lock plus a LOCK XADD
 * counter shared by every vCPU; deterministic interleaving; per-vCPU state.
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import type { PcMachine } from "../plugins/pc_machine.ts";
import { assertTap } from "./tap.ts";

const IMAGE = Deno.readFileSync(new URL("../guests/build/smp64.elf", import.meta.url));
const dec = new TextDecoder();

function run(smp: number, quantum?: number): { out: string; status: number; m: PcMachine } {
  let out = "";
  const m = createMachine({ smp, quantum, serial: (b) => (out += dec.decode(b)) });
  bootKernel(m, IMAGE);
  const r = m.run({ maxInstructions: 400_000_000 });
  assert.equal(r.reason.kind, "exit", `smp ${smp}: ${JSON.stringify(r.reason)}\n${out}`);
  return { out, status: r.reason.kind === "exit" ? r.reason.status : -1, m };
}

for (const smp of [2, 4, 8]) {
  Deno.test(`smp guest: every check passes with -smp ${smp}`, () => {
    const { out, status, m } = run(smp);
    assertTap(out, { plan: 14 }, `smp64 -smp ${smp}`);
    assert.equal(status, 1, "isa-debug-exit status of a passing guest");
    // Every vCPU retired instructions of its own (the APs ran their share of the work).
    for (const [i, c] of m.cpus.entries()) {
      assert.ok(c.retired > 10_000, `vCPU ${i} retired ${c.retired}`);
    }
    m.dispose();
  });
}

Deno.test("smp guest: a vCPU count outside 1..64 is refused with a clear error", () => {
  assert.throws(() => createMachine({ smp: 65 }), /vCPU count 65 is out of range/);
  assert.throws(() => createMachine({ smp: 0 }), /vCPU count 0 is out of range/);
});

Deno.test("smp guest: the interleaving is deterministic (two runs, same counts and output)", () => {
  const a = run(4, 500);
  const b = run(4, 500);
  assert.equal(a.out, b.out);
  assert.deepEqual(a.m.cpus.map((c) => c.retired), b.m.cpus.map((c) => c.retired));
  // Another quantum interleaves differently but the guest's checks still pass.
  const c = run(4, 37);
  assertTap(c.out, { plan: 14 }, "smp64 quantum 37");
  assert.notDeepEqual(c.m.cpus.map((x) => x.retired), a.m.cpus.map((x) => x.retired));
  for (const r of [a, b, c]) r.m.dispose();
});

Deno.test("smp: APs power up waiting for a SIPI; each vCPU has its own state and TLB", () => {
  const m = createMachine({ smp: 3 });
  assert.deepEqual(m.cpus.map((c) => c.activity), ["active", "wait-for-sipi", "wait-for-sipi"]);
  assert.equal(new Set(m.cpus.map((c) => c.tlb)).size, 3);
  assert.equal(new Set(m.cpus.map((c) => c.gpr)).size, 3);
  // HLT on the BSP with the APs waiting: the machine halts (nothing can wake anyone).
  m.memory.write(0x7000, 1, 0xf4);
  m.cpu.rip = 0x7000;
  m.cpu.seg[1].base = 0;
  m.cpu.seg[1].selector = 0;
  m.cpu.stateChanged();
  const r = m.run({ maxInstructions: 10_000 });
  assert.equal(r.reason.kind, "halted");
  assert.equal(r.instructions, 1);
  m.dispose();
});

Deno.test("smp: the CLI runs -smp 4 and --stats reports every vCPU", async () => {
  const { main } = await import("../cli/main.ts");
  let out = "";
  let err = "";
  const status = await main(
    [
      "-kernel",
      new URL("../guests/build/smp64.elf", import.meta.url).pathname,
      "-smp",
      "4",
      "--stats",
    ],
    {
      stdout: (b) => (out += dec.decode(b)),
      stderr: (t) => (err += t + "\n"),
      cwd: Deno.cwd(),
    },
  );
  assert.equal(status, 1, err);
  assertTap(out, { plan: 14 }, "smp64 via the CLI");
  assert.match(err, /vCPUs: 4/);
  for (let i = 0; i < 4; i++) assert.match(err, new RegExp(`vCPU ${i} +[\\d,]+ +[\\d,]+ +\\w+`));
});

for (const smp of [2, 4]) {
  Deno.test(`smp guest: every vCPU runs its own L2 under VMX at the same time (-smp ${smp})`, () => {
    let out = "";
    const m = createMachine({ smp, serial: (b) => (out += dec.decode(b)) });
    bootKernel(m, Deno.readFileSync(new URL("../guests/build/smp_vmx64.elf", import.meta.url)));
    // Seen from the host as well: at some point every vCPU is in non-root operation at once.
    let allInL2 = false;
    let r;
    do {
      r = m.run({ maxInstructions: 100 });
      allInL2 ||= m.cpus.every((c) => c.nonRoot);
    } while (r.reason.kind === "budget" && r.totalInstructions < 400_000_000);
    assert.equal(r.reason.kind, "exit", out);
    assertTap(out, { plan: 5 }, `smp_vmx64 -smp ${smp}`);
    assert.ok(allInL2, "all vCPUs were in VMX non-root operation at the same time");
    m.dispose();
  });
}

Deno.test("x2APIC mode needs the x2apic feature: EXTD is refused with -cpu ...,-x2apic", () => {
  for (const [cpu, accepted] of [["max", true], ["max,-x2apic", false]] as const) {
    const m = createMachine({ cpu, vmx: false });
    assert.equal((m.cpu.readMsr(0x1b)! & 0x400n) === 0n, true);
    assert.equal(m.cpu.writeMsr(0x1b, 0xfee00d00n), accepted, cpu);
    m.dispose();
  }
});

Deno.test("CPUID topology: leaf 1 initial APIC id and HTT, leaves 0xB and 0x1F levels, per vCPU", () => {
  const m = createMachine({ smp: { cpus: 4, threads: 2, cores: 2 }, vmx: false });
  const cpuid = (i: number, leaf: number, sub = 0): number[] => {
    const c = m.cpus[i];
    // CPUID at 0x7000 in real mode, then HLT.
    m.memory.writeBytes(0x7000, new Uint8Array([0x0f, 0xa2, 0xf4]));
    c.activity = "active";
    c.seg[1].base = 0;
    c.seg[1].selector = 0;
    c.rip = 0x7000;
    c.gpr[0] = leaf;
    c.gpr[2] = sub;
    c.stateChanged();
    c.run(c.retired + 1);
    return [c.gpr[0], c.gpr[6], c.gpr[2], c.gpr[4]]; // EAX EBX ECX EDX
  };
  for (let i = 0; i < 4; i++) {
    const [, ebx1, , edx1] = cpuid(i, 1);
    assert.equal(ebx1 >>> 24, i, `vCPU ${i} initial APIC id`);
    assert.equal((ebx1 >>> 16) & 0xff, 4, "addressable ids per package");
    assert.equal((edx1 >>> 28) & 1, 1, "HTT");
    assert.deepEqual(cpuid(i, 0xb, 0), [1, 2, 0x100, i], "SMT level: shift 1, 2 threads");
    assert.deepEqual(cpuid(i, 0xb, 1), [2, 4, 0x201, i], "core level: shift 2, 4 logical");
    assert.deepEqual(cpuid(i, 0xb, 2), [0, 0, 2, i], "no level 2");
    // Leaf 0x1F (V2 extended topology) enumerates the same SMT and core levels.
    for (let sub = 0; sub < 3; sub++) {
      assert.deepEqual(cpuid(i, 0x1f, sub), cpuid(i, 0xb, sub), `leaf 0x1F subleaf ${sub}`);
    }
    // Above the highest basic leaf (0x1F), CPUID returns that leaf's data.
    assert.deepEqual(cpuid(i, 0x25, 1), cpuid(i, 0x1f, 1), "leaf 0x25 is leaf 0x1F");
  }
  assert.equal(cpuid(0, 0)[0], 0x1f, "highest basic leaf");
  m.dispose();
});

Deno.test("smp: INVLPG on one vCPU leaves the other vCPU's TLB entry alone", async () => {
  const { applyEntryState, loadFlat } = await import("../boot/mod.ts");
  const m = createMachine({ smp: 2, vmx: false });
  const load = [0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x30, 0x00]; // mov rax, [0x300000]
  const invlpg = [0x0f, 0x01, 0x3c, 0x25, 0x00, 0x00, 0x30, 0x00]; // invlpg [0x300000]
  const files = [
    { addr: 0x100000, data: new Uint8Array([...load, ...invlpg, 0xf4]) },
    { addr: 0x101000, data: new Uint8Array([...load, 0xf4]) },
  ];
  const r = loadFlat(files, m.memory, { entry: 0x100000, mode: "long64" });
  assert.ok(r.ok);
  if (!r.ok) return;
  applyEntryState(m.cpus[0], r.entry);
  applyEntryState(m.cpus[1], r.entry);
  m.cpus[1].rip = 0x101000;
  m.cpus[1].activity = "active";
  m.cpus[1].stateChanged();
  assert.equal(m.cpus[1].run(100), "halted");
  assert.ok(m.cpus[1].tlb.lookup(0x300) >= 0, "vCPU 1 cached the page");
  assert.equal(m.cpus[0].run(100), "halted");
  assert.equal(m.cpus[0].retired, 3, "vCPU 0 loaded, ran INVLPG and halted");
  assert.equal(m.cpus[0].tlb.lookup(0x300), -1, "INVLPG dropped vCPU 0's entry");
  assert.ok(m.cpus[1].tlb.lookup(0x300) >= 0, "vCPU 1's entry is still there");
  m.dispose();
});
