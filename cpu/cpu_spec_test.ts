import assert from "node:assert/strict";
import { parseCpuSpec } from "./cpu_spec.ts";
import { parseArgs } from "../cli/args.ts";
import { cpuidLeaf, type CpuidRegs, cr4Writable } from "./model.ts";

function vendorOf(spec: string): string {
  const r = parseCpuSpec(spec);
  assert.ok(r.ok, spec);
  const o: CpuidRegs = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  cpuidLeaf(r.model, 0, 0, o);
  const s = (v: number) =>
    String.fromCharCode(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);
  return s(o.ebx) + s(o.edx) + s(o.ecx);
}

Deno.test("cpu spec: kvm-unit-tests' -cpu lines are accepted", () => {
  for (
    const spec of [
      "max,host-phys-bits",
      "qemu64,+umip",
      "max,vendor=GenuineIntel",
      "qemu64,vendor=GenuineIntel",
      "Opteron_G1,vendor=AuthenticAMD",
      "IvyBridge,phys-bits=36,host-phys-bits=off,+vmx",
      "max,+vmx",
      "max,host-phys-bits,+vmx,-vmx-mbec",
      "qemu64,+x2apic,+tsc-deadline",
      "qemu64,-pcid,+invpcid",
      "host,migratable=no",
      "max,level=13",
    ]
  ) {
    const r = parseCpuSpec(spec);
    assert.ok(r.ok, `${spec}: ${r.ok ? "" : r.error}`);
  }
});

Deno.test("cpu spec: vendor=, phys-bits= and named models reach CPUID", () => {
  assert.equal(vendorOf("max"), "GenuineIntel");
  assert.equal(vendorOf("max,vendor=AuthenticAMD"), "AuthenticAMD");
  assert.equal(vendorOf("Opteron_G1"), "AuthenticAMD");
  assert.equal(vendorOf("qemu64,vendor=GenuineIntel"), "GenuineIntel");
  const r = parseCpuSpec("IvyBridge,phys-bits=36,host-phys-bits=off,+vmx");
  assert.ok(r.ok);
  const o: CpuidRegs = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  cpuidLeaf(r.model, 0x80000008, 0, o);
  assert.equal(o.eax & 0xff, 36);
  assert.ok(r.model.features.has("vmx") && r.model.features.has("smep"));
  assert.ok(!r.model.features.has("invpcid"), "IvyBridge has no INVPCID");
  const g1 = parseCpuSpec("Opteron_G1");
  assert.ok(g1.ok);
  assert.equal(g1.model.family, 15);
  assert.ok(g1.model.features.has("syscall") && !g1.model.features.has("vmx"));
});

Deno.test("cpu spec: feature switches in every QEMU spelling", () => {
  const r = parseCpuSpec("max,-vmx,lahf-lm=off,pcid=off,-pks,+pks,-smap");
  assert.ok(r.ok);
  assert.ok(!r.model.features.has("vmx"));
  assert.ok(!r.model.features.has("lahf_lm"));
  assert.ok(!r.model.features.has("pcid"));
  assert.ok(r.model.features.has("pks") && !r.model.features.has("smap"));
  // QEMU's name for SSE3; the x87/SSE features are nestvm's own (no warning).
  const pni = parseCpuSpec("max,-pni,-sse4.1,+fxsr");
  assert.ok(pni.ok);
  assert.deepEqual(pni.warnings, []);
  assert.ok(!pni.model.features.has("sse3") && !pni.model.features.has("sse4.1"));
  assert.ok(pni.model.features.has("fxsr"));
  const bare = parseCpuSpec("+x2apic,-nx");
  assert.ok(bare.ok);
  assert.ok(bare.model.features.has("x2apic") && !bare.model.features.has("nx"));
});

Deno.test("cpu spec: no-effect properties and unimplemented features warn once", () => {
  const r = parseCpuSpec("max,host-phys-bits,host-phys-bits,+avx2,+avx2,-sse4.2,level=13");
  assert.ok(r.ok);
  assert.deepEqual(r.warnings, [
    "-cpu host-phys-bits has no effect in nestvm; ignored",
    '-cpu feature "avx2" is not implemented by nestvm; ignored',
    "-cpu level=13 has no effect in nestvm; ignored",
  ]);
});

Deno.test("cpu spec: errors name the problem", () => {
  const cases: [string, RegExp][] = [
    ["Pentium9000", /unknown CPU model "Pentium9000"/],
    ["max,+frobnicate", /unknown CPU feature or property "frobnicate"/],
    ["max,vendor=Intel", /12-character vendor/],
    ["max,phys-bits=99", /phys-bits= must be 32\.\.52/],
    ["max,vmx=maybe", /expected on or off/],
  ];
  for (const [spec, re] of cases) {
    const r = parseCpuSpec(spec);
    assert.ok(!r.ok, spec);
    assert.match(r.error, re);
  }
});

Deno.test("cli args: -cpu is checked while parsing and its warnings are kept", () => {
  const ok = parseArgs(["-cpu", "max,host-phys-bits", "-cpu", "max,host-phys-bits"]);
  assert.ok(ok.ok);
  assert.deepEqual(ok.options.warnings, [
    "warning: -cpu host-phys-bits has no effect in nestvm; ignored",
  ]);
  const bad = parseArgs(["-cpu", "max,+frobnicate"]);
  assert.ok(!bad.ok);
  assert.match(bad.error, /frobnicate/);
});

Deno.test("cpu spec: the full model has basic leaves up to 0x1F, QEMU's named models up to 0xD", () => {
  const o: CpuidRegs = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  for (const [spec, max] of [["max", 0x1f], ["qemu64", 0xd], ["IvyBridge", 0xd]] as const) {
    const r = parseCpuSpec(spec);
    assert.ok(r.ok, spec);
    cpuidLeaf(r.model, 0, 0, o);
    assert.equal(o.eax, max, spec);
  }
});

Deno.test("cpu spec: QEMU's named models have x87, MMX, FXSR and SSE as QEMU defines them", () => {
  const has = (spec: string, f: string) => {
    const r = parseCpuSpec(spec);
    assert.ok(r.ok, spec);
    return r.model.features.has(f);
  };
  for (const m of ["qemu64", "kvm64", "Opteron_G1", "Nehalem", "SandyBridge", "IvyBridge"]) {
    for (const f of ["fpu", "mmx", "fxsr", "sse", "sse2", "sse3"]) {
      assert.ok(has(m, f), `${m} ${f}`);
    }
  }
  assert.ok(!has("qemu64", "ssse3") && !has("qemu64", "xsave"));
  assert.ok(has("Nehalem", "sse4.2") && !has("Nehalem", "xsave"));
  assert.ok(has("SandyBridge", "xsave") && has("IvyBridge", "xsaveopt"));
});

Deno.test("cpu spec: instructions nestvm does not implement are never advertised (RDRAND, RDSEED, MOVBE, BMI2)", () => {
  const r = parseCpuSpec("IvyBridge,+rdrand,+rdseed,+movbe,+bmi2");
  assert.ok(r.ok);
  for (const f of ["rdrand", "rdseed", "movbe", "bmi2"]) {
    assert.ok(!r.model.features.has(f), f);
    assert.ok(r.warnings.includes(`-cpu feature "${f}" is not implemented by nestvm; ignored`), f);
  }
});

Deno.test("cpu spec: CR4.VME, CR4.PVI and CR4.LA57 are reserved: VME and 5-level linear addresses are not implemented", () => {
  const r = parseCpuSpec("max,+vme,+la57");
  assert.ok(r.ok);
  assert.ok(!r.model.features.has("vme") && !r.model.features.has("la57"));
  assert.equal(cr4Writable(r.model) & 0x1003, 0);
  assert.ok(r.warnings.includes('-cpu feature "vme" is not implemented by nestvm; ignored'));
  assert.ok(r.warnings.includes('-cpu feature "la57" is not implemented by nestvm; ignored'));
});

Deno.test("cpu spec: max has every feature nestvm implements, the LAPIC's TSC-deadline mode included", () => {
  const r = parseCpuSpec("max");
  assert.ok(r.ok);
  for (const f of ["tsc-deadline", "x2apic", "xsaves", "pku", "vmx"]) {
    assert.ok(r.model.features.has(f), f);
  }
});

Deno.test("cpu spec: KVM's paravirtual feature names point to --kvm-pv instead of claiming they are unimplemented", () => {
  const r = parseCpuSpec("max,+kvmclock,-kvm-pv-ipi,kvmclock-stable-bit=on,+kvm-steal-time");
  assert.ok(r.ok);
  for (const f of ["kvmclock", "-kvm-pv-ipi", "kvmclock-stable-bit"]) {
    const w = r.warnings.find((m) => m.startsWith(`-cpu feature "${f.replace(/^-/, "")}`));
    assert.ok(w?.includes("--kvm-pv"), f);
    assert.ok(!w?.includes("not implemented"), f);
  }
  // A KVM feature the plugin does not offer is still unimplemented.
  assert.ok(
    r.warnings.includes('-cpu feature "kvm-steal-time" is not implemented by nestvm; ignored'),
  );
  assert.equal(parseCpuSpec("max,kvmclock=maybe").ok, false);
});
