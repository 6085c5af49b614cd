/**
 * One source per CPU fact: the CPU model's MAXPHYADDR (`-cpu ...,phys-bits=N`)
 * and 1 GiB page support decide CPUID, the page walker's reserved bits, the
 * VMX capability MSRs and VM-entry/EPT checks together.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Plugin } from "../core/plugin.ts";
import { bootFlat, createMachine } from "../plugins/machine_builder.ts";
import { pcCpuModel, type PcMachine } from "../plugins/pc_machine.ts";
import { cr4Writable } from "../cpu/model.ts";
import { modelFromSpec } from "../cpu/cpu_spec.ts";
import { VMX_FEATURES, vmxFeaturesFor } from "../vmx/features.ts";
import { vmxCapabilityMsr } from "../vmx/msrs.ts";
import { eptpValid as vmEntryEptpValid } from "../vmx/entry/check_controls.ts";
import { pdpteOk } from "../vmx/entry/check_guest.ts";
import { eptCapsOf } from "../vmx/ept/nested_ept.ts";
import { EPT_MISCONFIG, EPT_OK, EPT_READ, EptResult, eptWalk } from "../mm/ept.ts";
import { PhysicalMemory } from "../mm/physical.ts";

const BASE = 0x100000;

interface Fault {
  vector: number;
  errorCode: number;
  cr2: number;
}

/** Run `code` at BASE (32-bit protected mode) on a `-cpu cpu` PC; #PF is recorded and skipped to the final HLT. */
function runFlat(
  cpu: string,
  code: number[],
  setup?: (m: PcMachine) => void,
  mode: "protected32" | "long64" = "protected32",
): {
  m: PcMachine;
  faults: Fault[];
} {
  const faults: Fault[] = [];
  const hltAt = BASE + code.length - 1;
  const pf: Plugin = {
    name: "pf-watch",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.exits.watchExceptions([14]);
      ctx.exits.on("exception", (e) => {
        faults.push({ vector: e.vector, errorCode: e.errorCode, cr2: e.faultAddress });
        ctx.vcpu.rip = hltAt;
        return "handled";
      });
    },
  };
  const m = createMachine({ memoryMiB: 16, cpu, plugins: [pf] });
  bootFlat(m, [{ addr: BASE, data: new Uint8Array(code) }], BASE, mode);
  setup?.(m);
  const r = m.run({ maxInstructions: 1000 });
  assert.equal(r.reason.kind, "halted");
  return { m, faults };
}

// mov eax,0x80000008; cpuid; hlt
const CPUID_80000008 = [0xb8, 0x08, 0x00, 0x00, 0x80, 0x0f, 0xa2, 0xf4];
// mov ecx,0x48c (IA32_VMX_EPT_VPID_CAP); rdmsr; hlt
const RDMSR_EPT_CAP = [0xb9, 0x8c, 0x04, 0x00, 0x00, 0x0f, 0x32, 0xf4];

// PAE paging: CR3 = 0x10000; CR4.PAE; CR0.PG; mov eax,[0x400000]; hlt
const PAE_LOAD = [
  ...[0xb8, 0x00, 0x00, 0x01, 0x00], // mov eax, 0x10000
  ...[0x0f, 0x22, 0xd8], // mov cr3, eax
  ...[0x0f, 0x20, 0xe0], // mov eax, cr4
  ...[0x83, 0xc8, 0x20], // or eax, 0x20
  ...[0x0f, 0x22, 0xe0], // mov cr4, eax
  ...[0x0f, 0x20, 0xc0], // mov eax, cr0
  ...[0x0d, 0x00, 0x00, 0x00, 0x80], // or eax, 0x80000000
  ...[0x0f, 0x22, 0xc0], // mov cr0, eax
  ...[0xa1, 0x00, 0x00, 0x40, 0x00], // mov eax, [0x400000]
  0xf4,
];

/** PAE tables: 0-2 MiB identity (2 MiB page), 0x400000 -> 0x200000 with physical-address bit `bit` set in the PTE. */
function paeTables(m: PcMachine, bit: number): void {
  const mem = m.memory;
  mem.write32(0x10000, 0x11000 | 1); // PDPTE 0 -> PD
  mem.write32(0x11000, 0x83); // PDE 0: 2 MiB page at 0, P RW PS
  mem.write32(0x11000 + 2 * 8, 0x12000 | 3); // PDE 2 -> PT for 0x400000
  mem.write32(0x12000, 0x200000 | 3); // PTE 0 -> 0x200000
  mem.write32(0x12004, bit >= 32 ? 1 << (bit - 32) : 0);
  mem.write32(0x200000, 0x5a5a5a5a);
}

Deno.test("cpu model: phys-bits=N is parsed; bad values and unknown properties are errors", () => {
  const m = modelFromSpec("-vmx,phys-bits=36");
  assert.equal(typeof m === "string" ? m : m.physBits, 36);
  assert.match(String(modelFromSpec("phys-bits=31")), /phys-bits= must be 32\.\.52/);
  assert.match(String(modelFromSpec("phys-bits=x")), /phys-bits= must be/);
  assert.match(String(modelFromSpec("frob=1")), /unknown CPU feature or property "frob"/);
});

Deno.test("cpu model: a spec string given to the API reads as the CLI's -cpu does (named models, vendor=)", () => {
  // pcCpuModel is what createMachine({ cpu }) uses; the CLI parses with parseCpuSpec.
  assert.equal(pcCpuModel("qemu64").vendor, "AuthenticAMD");
  assert.equal(pcCpuModel("max,vendor=AuthenticAMD").vendor, "AuthenticAMD");
  assert.equal(pcCpuModel("kvm64").family, 15);
  assert.equal(pcCpuModel("max").vendor, "GenuineIntel");
  assert.throws(() => pcCpuModel("max,vendor=short"), /12-character vendor/);
  assert.throws(() => pcCpuModel("Pentium9"), /unknown CPU model "Pentium9"/);
});

Deno.test("cpu model: CPUID 0x80000008 reports phys-bits (40 by default, 36 when asked)", () => {
  for (
    const [cpu, bits] of [["max", 40], ["max,phys-bits=36", 36], ["max,phys-bits=46", 46]] as const
  ) {
    const { m } = runFlat(cpu, CPUID_80000008);
    assert.equal(m.cpu.gpr[0] & 0xff, bits, cpu);
    assert.equal((m.cpu.gpr[0] >>> 8) & 0xff, 48, "linear-address width");
    m.dispose();
  }
});

Deno.test("cpu model: a PTE with an address bit at or above MAXPHYADDR is a reserved-bit #PF", () => {
  // [cpu, PTE address bit, reserved?]
  const cases = [
    ["max", 36, false],
    ["max,phys-bits=36", 36, true],
    ["max,phys-bits=36", 35, false],
    ["max", 42, true], // bits 40-45 were missed with the walker's own 46
    ["max", 39, false],
  ] as const;
  for (const [cpu, bit, reserved] of cases) {
    const { m, faults } = runFlat(cpu, PAE_LOAD, (m) => paeTables(m, bit));
    const what = `${cpu}, PTE bit ${bit}`;
    if (reserved) {
      assert.equal(faults.length, 1, what);
      assert.equal(faults[0].vector, 14, what);
      assert.equal(faults[0].errorCode & 0b1001, 0b1001, `${what}: P and RSVD in the error code`);
      assert.equal(faults[0].cr2, 0x400000, what);
    } else {
      assert.deepEqual(faults, [], what);
    }
    m.dispose();
  }
});

Deno.test("cpu model: -pdpe1gb makes PS in a PDPTE reserved and hides 1 GiB EPT pages", () => {
  const on = runFlat("max", RDMSR_EPT_CAP).m;
  const off = runFlat("max,-pdpe1gb", RDMSR_EPT_CAP).m;
  assert.equal((on.cpu.gpr[0] >>> 17) & 1, 1, "IA32_VMX_EPT_VPID_CAP bit 17 with pdpe1gb");
  assert.equal((off.cpu.gpr[0] >>> 17) & 1, 0, "bit 17 without pdpe1gb");
  on.dispose();
  off.dispose();
  // 64-bit: map linear 1 GiB-2 GiB with a 1 GiB page onto physical 0 (PDPTE 1
  // of the flat loader's tables at 0x3000), then mov eax,[0x40100000]; hlt.
  const load1G = [0x8b, 0x04, 0x25, 0x00, 0x00, 0x10, 0x40, 0xf4];
  const map1G = (m: PcMachine) => m.memory.write32(0x3000 + 8, 0x83);
  const with1G = runFlat("max", load1G, map1G, "long64");
  assert.deepEqual(with1G.faults, []);
  assert.equal(with1G.m.cpu.gpr[0], 0x0025048b, "read the code bytes through the 1 GiB page");
  with1G.m.dispose();
  const without = runFlat("max,-pdpe1gb", load1G, map1G, "long64");
  assert.equal(without.faults.length, 1);
  assert.equal(
    without.faults[0].errorCode & 0b1001,
    0b1001,
    "P and RSVD: PS is reserved in a PDPTE",
  );
  without.m.dispose();
});

Deno.test("vmx: VM-entry and EPT checks follow the CPU model's MAXPHYADDR", () => {
  const f36 = vmxFeaturesFor({ physBits: 36, page1G: true });
  const f40 = vmxFeaturesFor({ physBits: 40, page1G: true });
  assert.equal(VMX_FEATURES.physBits, 40);
  // EPTP: WB, 4-level walk, root at 2^36 (high dword bit 4).
  const eptpLo = 6 | (3 << 3);
  assert.equal(vmEntryEptpValid(eptpLo, 1 << 4, f40), true);
  assert.equal(vmEntryEptpValid(eptpLo, 1 << 4, f36), false);
  assert.equal(vmEntryEptpValid(eptpLo, 1 << 3, f36), true);
  // PAE PDPTEs checked at VM entry.
  assert.equal(pdpteOk(0x1001, 1 << 4, f40.physBits), true);
  assert.equal(pdpteOk(0x1001, 1 << 4, f36.physBits), false);
  // EPT entries: an address bit 36 in a leaf is a misconfiguration with 36 bits.
  const mem = new PhysicalMemory();
  mem.addRam(0, 1 << 20);
  const pml4 = 0x1000, pdpt = 0x2000, pd = 0x3000, pt = 0x4000;
  mem.write32(pml4, pdpt | 7);
  mem.write32(pdpt, pd | 7);
  mem.write32(pd, pt | 7);
  mem.write32(pt, 0x5000 | 7 | (6 << 3));
  mem.write32(pt + 4, 1 << 4); // bit 36
  const eptp = pml4 | 6 | (3 << 3);
  const walkMem = {
    read32: (a: number) => mem.read32(a),
    write32: (a: number, v: number) => mem.write32(a, v),
  };
  const out = new EptResult();
  eptWalk(walkMem, eptp, 0x123, EPT_READ, out, eptCapsOf(f40));
  assert.equal(out.fault, EPT_OK);
  eptWalk(walkMem, eptp, 0x123, EPT_READ, out, eptCapsOf(f36));
  assert.equal(out.fault, EPT_MISCONFIG);
  // Capability MSR: 1 GiB EPT pages only with the model's 1 GiB pages.
  const cap = (page1G: boolean) =>
    vmxCapabilityMsr(0x48c, vmxFeaturesFor({ physBits: 40, page1G }))!.lo;
  assert.equal((cap(true) >>> 17) & 1, 1);
  assert.equal((cap(false) >>> 17) & 1, 0);
  assert.equal(eptCapsOf(vmxFeaturesFor({ physBits: 40, page1G: false })).page1G, false);
});

Deno.test("cpu facts: IA32_VMX_CR4_FIXED1 allows exactly the CR4 bits the CPU accepts (OSFXSR/OSXMMEXCPT with SSE)", () => {
  const fixed1 = (cpu: string) => {
    const m = createMachine({ memoryMiB: 8, cpu });
    // mov ecx, 0x489; rdmsr; mov ebx, eax; mov al, 0; out 0xf4, al
    bootFlat(
      m,
      [{ addr: 0x100000, data: Uint8Array.fromHex("b9890400000f3289c3b000e6f4") }],
      0x100000,
      "protected32",
    );
    assert.deepEqual(m.run({ maxInstructions: 100 }).reason, { kind: "exit", status: 1 });
    const v = m.cpu.gpr[6];
    m.dispose();
    return v;
  };
  assert.equal(fixed1("max") & 0x600, 0x600, "an L1 with SSE enabled may execute VMXON");
  assert.equal(fixed1("max") & 0x2000, 0x2000);
  assert.equal(fixed1("max,-sse,-sse2,-sse3,-ssse3,-sse4.1,-sse4.2") & 0x600, 0x200); // OSFXSR: FXSR
  assert.equal(fixed1("max,-fxsr,-sse,-sse2,-sse3,-ssse3,-sse4.1,-sse4.2") & 0x600, 0);
  assert.equal(fixed1("max"), (cr4Writable(pcCpuModel("max")) | 0x2000) >>> 0);
});

/** Whether IA32_VMX_PROCBASED_CTLS2 allows secondary control `bit` under `-cpu cpu`. */
function proc2Allowed(cpu: string, bit: number): boolean {
  const m = createMachine({ memoryMiB: 4, cpu });
  const v = m.cpu.readMsr(0x48b); // allowed-1 settings in bits 63:32
  m.dispose();
  assert.ok(v !== undefined, cpu);
  return ((v >> 32n) & (1n << BigInt(bit))) !== 0n;
}

Deno.test("vmx: -cpu ...,-vmx-tsc-scaling takes TSC scaling out of IA32_VMX_PROCBASED_CTLS2", () => {
  assert.equal(proc2Allowed("max", 25), true);
  assert.equal(proc2Allowed("max,-vmx-tsc-scaling", 25), false);
  assert.equal(proc2Allowed("max,-vmx-tsc-scaling", 22), true, "MBEC stays");
  assert.equal(proc2Allowed("max,-vmx-mbec", 25), true, "TSC scaling stays");
});

Deno.test("vmx: -cpu ...,-vmx-ept takes EPT, what needs it and the EPT capabilities away; +vmx-ept gives them back", () => {
  const msrs = (cpu: string) => {
    const m = createMachine({ memoryMiB: 4, cpu });
    const proc2 = Number(m.cpu.readMsr(0x48b)! >> 32n);
    const cap = m.cpu.readMsr(0x48c)!;
    m.dispose();
    return { proc2, eptCaps: Number(cap & 0xffffffffn), vpidCaps: Number(cap >> 32n) };
  };
  const all = msrs("max");
  assert.equal(all.proc2 & 0x82, 0x82, "EPT and unrestricted guest");
  assert.notEqual(all.eptCaps, 0);
  const noEpt = msrs("max,-vmx-ept");
  assert.equal(noEpt.proc2 & 0x82, 0);
  assert.equal(noEpt.eptCaps, 0);
  assert.equal(noEpt.vpidCaps, all.vpidCaps, "VPIDs stay");
  assert.deepEqual(msrs("max,-vmx-ept,+vmx-ept"), all);
  assert.equal(msrs("max,vmx-invept-all-context=off").eptCaps, all.eptCaps & ~(1 << 26));
});

Deno.test("vmx: -cpu ...,-vmx-mbec takes mode-based execute control out of IA32_VMX_PROCBASED_CTLS2", () => {
  const mbecAllowed = (cpu: string): boolean => proc2Allowed(cpu, 22);
  assert.equal(mbecAllowed("max"), true);
  assert.equal(mbecAllowed("max,-vmx-mbec"), false);
  assert.equal(mbecAllowed("Skylake-Server,host-phys-bits,+vmx,+vmx-mbec"), true);
  assert.equal(mbecAllowed("max,vmx-mbec=off,vmx-mbec=on"), true);
  assert.ok(modelFromSpec("max,-vmx-mbec,-vmx-frobnicate") !== undefined);
  assert.deepEqual(
    vmxFeaturesFor({ physBits: 40, page1G: true, vmxOff: new Set(["vmx-mbec"]) }).proc2 & (1 << 22),
    0,
  );
});
