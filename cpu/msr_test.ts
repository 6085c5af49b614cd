import assert from "node:assert/strict";
import { exec64, makeCpu } from "./testing.ts";
import { CpuFault } from "./fault.ts";
import { readMsrCore, writeMsrCore } from "./msr.ts";
import type { Cpu } from "./cpu.ts";
import { defaultModel } from "./model.ts";

/** WRMSR as the instruction sees it: the vector it raises, or 0. */
function wr(c: Cpu, index: number, v: bigint): number {
  try {
    return writeMsrCore(c, index, v) ? 0 : 13;
  } catch (e) {
    if (e instanceof CpuFault) return e.vector;
    throw e;
  }
}

/** RDMSR: the value, or the vector raised. */
function rd(c: Cpu, index: number): bigint | number {
  try {
    return readMsrCore(c, index) ?? 13;
  } catch (e) {
    if (e instanceof CpuFault) return e.vector;
    throw e;
  }
}

Deno.test("MSR IA32_DEBUGCTL: LBR and BTF are writable, other bits #GP (no PMU)", () => {
  const c = makeCpu(8, { ...defaultModel(), pmu: false }).cpu;
  assert.equal(rd(c, 0x1d9), 0n);
  assert.equal(wr(c, 0x1d9, 1n), 0);
  assert.equal(rd(c, 0x1d9), 1n);
  assert.equal(wr(c, 0x1d9, 3n), 0);
  assert.equal(rd(c, 0x1d9), 3n);
  for (const bad of [0x4n, 0x40n, 0x80n, 0x800n, 1n << 32n]) assert.equal(wr(c, 0x1d9, bad), 13);
  assert.equal(rd(c, 0x1d9), 3n, "a refused write changes nothing");
  // VM entry loads it through the vCPU API.
  assert.equal(c.writeMsr(0x1d9, 2n), true);
  assert.equal(c.readMsr(0x1d9), 2n);
});

Deno.test("MSR IA32_DEBUGCTL: with a PMU the freeze-on-PMI bits 11 and 12 are writable too", () => {
  const c = makeCpu().cpu;
  assert.equal(wr(c, 0x1d9, 0x1803n), 0);
  assert.equal(rd(c, 0x1d9), 0x1803n);
  for (const bad of [0x4n, 0x40n, 0x80n, 0x2000n, 1n << 32n]) assert.equal(wr(c, 0x1d9, bad), 13);
});

Deno.test("MSR IA32_DEBUGCTL: WRMSR ECX=0x1D9, EAX=1 in the guest does not fault", () => {
  const t = exec64(
    "b9 d9 01 00 00 b8 01 00 00 00 31 d2 0f 30 31 c0 0f 32 f4", /* mov ecx, 0x1d9; mov eax, 1; xor edx, edx; wrmsr; xor eax, eax; rdmsr; hlt */
    (x) => {
      x.cpu.gpr[30] = 0xff;
    },
  );
  assert.equal(t.cpu.gpr[30], 0xff, "no exception");
  assert.equal(t.cpu.gpr[0], 1);
});

Deno.test("MSR IA32_MISC_ENABLE: 64-bit value, read-only bits kept, reserved bits #GP", () => {
  const c = makeCpu().cpu;
  const orig = rd(c, 0x1a0) as bigint;
  assert.equal(orig & 0x1881n, 0x1881n, "fast strings on, BTS/PEBS unavailable, perfmon (a PMU)");
  const noPmu = makeCpu(8, { ...defaultModel(), pmu: false }).cpu;
  assert.equal((rd(noPmu, 0x1a0) as bigint) & 0x1881n, 0x1801n, "no perfmon without a PMU");
  const val = (0x400c50809n & ~0x1880n) | (orig & 0x1880n);
  assert.equal(wr(c, 0x1a0, val), 0);
  assert.equal(rd(c, 0x1a0), val, "bit 34 (XD disable) survives");
  assert.equal(wr(c, 0x1a0, orig), 0);
  assert.equal(rd(c, 0x1a0), orig);
  assert.equal(wr(c, 0x1a0, orig & ~0x800n), 0, "read-only bit written");
  assert.equal(rd(c, 0x1a0), orig, "read-only bit unchanged");
  for (const bad of [0x2n, 0x100000n, 1n << 33n, 1n << 40n]) {
    assert.equal(wr(c, 0x1a0, orig | bad), 13);
  }
});

Deno.test("MSR machine check: MCG_CAP banks, CTL 0/all-ones, STATUS only 0, ADDR/MISC any", () => {
  const c = makeCpu().cpu;
  const cap = rd(c, 0x179) as bigint;
  const banks = Number(cap & 0xffn);
  assert.ok(banks >= 1 && (cap & 0x100n) === 0n, "banks and no MCG_CTL");
  assert.equal(wr(c, 0x179, 0n), 13, "MCG_CAP is read-only");
  assert.equal(rd(c, 0x17b), 13, "no MCG_CTL");
  assert.equal(wr(c, 0x17a, 0n), 0);
  const all = 0xffffffffffffffffn;
  const nonCanonical = 0xaaaaaaaaaaaaaaaan;
  for (let i = 0; i < banks; i++) {
    const base = 0x400 + 4 * i;
    assert.equal(wr(c, base, all), 0);
    assert.equal(rd(c, base), all);
    assert.equal(wr(c, base, nonCanonical), 13);
    assert.equal(wr(c, base + 1, 0n), 0);
    assert.equal(wr(c, base + 1, 1n), 13);
    assert.equal(wr(c, base + 2, nonCanonical), 0);
    assert.equal(rd(c, base + 2), nonCanonical);
    assert.equal(wr(c, base + 3, all), 0);
    assert.equal(rd(c, base + 3), all);
  }
  for (let i = banks; i < 32; i++) {
    for (let r = 0; r < 4; r++) {
      assert.equal(rd(c, 0x400 + 4 * i + r), 13, `bank ${i} reg ${r}`);
      assert.equal(wr(c, 0x400 + 4 * i + r, 0n), 13);
    }
  }
  // Without MCA advertised the registers do not exist.
  c.model.features.delete("mca");
  assert.equal(rd(c, 0x179), 13);
  assert.equal(wr(c, 0x401, 0n), 13);
});

Deno.test("MSR AMD legacy performance counters exist only with the AMD vendor", () => {
  const c = makeCpu().cpu;
  assert.equal(rd(c, 0xc0010000), 13, "Intel vendor: #GP");
  assert.equal(wr(c, 0xc0010004, 0n), 13);
  c.model.vendor = "AuthenticAMD";
  assert.equal(wr(c, 0xc0010000, 0x430076n), 0);
  assert.equal(rd(c, 0xc0010000), 0x430076n);
  assert.equal(wr(c, 0xc0010007, 0xffffffffffffffffn), 0);
  assert.equal(rd(c, 0xc0010007), 0xffffffffffffn, "48-bit counter");
  assert.equal(rd(c, 0xc0010008), 13, "only four counters");
});

Deno.test("Vcpu readMsr/writeMsr: plugin MSRs through the bus at level 1, #GP where nobody owns one", () => {
  const t = makeCpu();
  const c = t.cpu;
  const plugin = new Map<number, bigint>([[0x4b564d00, 7n]]);
  t.onExit = (e) => {
    if (e.kind === "wrmsr" && plugin.has(e.msr)) {
      plugin.set(e.msr, (BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0));
      return "handled";
    }
    if (e.kind === "rdmsr" && plugin.has(e.msr)) {
      const v = plugin.get(e.msr)!;
      e.lo = Number(v & 0xffffffffn);
      e.hi = Number(v >> 32n);
      return "handled";
    }
    return "pass";
  };
  assert.equal(c.readMsr(0x4b564d00), 7n);
  assert.equal(c.writeMsr(0x4b564d00, 0x1_0000_0002n), true);
  assert.equal(plugin.get(0x4b564d00), 0x1_0000_0002n);
  const seen = t.exits.filter((e) => e.kind === "wrmsr" || e.kind === "rdmsr");
  assert.ok(seen.every((e) => e.level === 1 && e.instructionLength === 0));
  // Nobody owns it: as WRMSR/RDMSR would #GP.
  assert.equal(c.writeMsr(0x4b564d02, 1n), false);
  assert.equal(c.readMsr(0x4b564d02), undefined);
  // The CPU's own MSRs do not leave the CPU, IA32_APIC_BASE included (its plugin
  // calls these for the CPU's copy).
  const before = t.exits.length;
  assert.equal(c.writeMsr(0x277, 0x0007040600070406n), true);
  assert.equal(c.readMsr(0x1b), BigInt(c.apicBase));
  assert.equal(t.exits.length, before);
});

Deno.test("Vcpu loadMsr (VMX MSR-load lists): IA32_APIC_BASE goes to the bus first, as WRMSR", () => {
  const t = makeCpu();
  const c = t.cpu;
  let owner: bigint | undefined;
  t.onExit = (e) => {
    if (e.kind !== "wrmsr" || e.msr !== 0x1b || owner === undefined) return "pass";
    owner = (BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0);
    return "handled";
  };
  // Nobody owns it on the bus: the CPU's copy takes it.
  assert.equal(c.loadMsr(0x1b, 0xfee00800n), true);
  assert.equal(c.apicBase, 0xfee00800);
  assert.equal(t.exits.at(-1)?.kind, "wrmsr", "offered first");
  // An owner takes it (and would write the CPU's copy itself).
  owner = 0n;
  assert.equal(c.loadMsr(0x1b, 0xfee00900n), true);
  assert.equal(owner, 0xfee00900n);
  assert.equal(c.apicBase, 0xfee00800, "not written behind the owner's back");
  // writeMsr keeps writing the CPU's copy only (the owner's own path).
  const before = t.exits.length;
  assert.equal(c.writeMsr(0x1b, 0xfee00900n), true);
  assert.equal(c.apicBase, 0xfee00900);
  assert.equal(t.exits.length, before);
});
