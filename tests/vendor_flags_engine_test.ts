/**
 * The CPU model's vendor (and family) changes the flags the SDM leaves
 * undefined, in both engines: each case runs a 50-iteration loop (so the
 * block compiler compiles it) under the interpreter and under the block
 * compiler, on an AMD model, an Intel family-6 model, Intel Core 2 and
 * Intel NetBurst, and compares the flags (PUSHF after the instruction under
 * test) or result with the value each profile's rule gives
 * (cpu/alu/vendor_flags.ts cites the sources). The expected values are
 * worked out by hand in each case's comment.
 */
import assert from "node:assert/strict";
import { enter32, enter64, installIdt, makeCpu, type TestCpu } from "../cpu/testing.ts";
import { JitEngine } from "../cpu/jit/mod.ts";
import { type CpuModel, defaultModel } from "../cpu/model.ts";
import { type VendorFlagsName, vendorFlagsOf } from "../cpu/alu/vendor_flags.ts";
import { parseCpuSpec } from "../cpu/cpu_spec.ts";
import { createMachine } from "../plugins/machine_builder.ts";

/** Models by profile: vendor/family/model as `-cpu` would give them. */
function model(vendor: string, family: number, m: number): CpuModel {
  const x = defaultModel();
  x.vendor = vendor;
  x.family = family;
  x.model = m;
  return x;
}

const MODELS: Record<VendorFlagsName, CpuModel> = {
  "amd-zen": model("AuthenticAMD", 0x19, 0x11),
  "intel-p6": defaultModel(),
  "intel-core2": model("GenuineIntel", 6, 0x17),
  "intel-netburst": model("GenuineIntel", 15, 6),
};

/** Run `code` (hex) in 64- or 32-bit mode until HLT, interpreted or compiled. */
function run(code: string, bits: 32 | 64, m: CpuModel, jit: boolean): TestCpu {
  const t = makeCpu(8, m);
  if (bits === 64) enter64(t);
  else enter32(t);
  installIdt(t, bits === 64);
  t.mem.writeBytes(0x100000, hexBytes(code));
  t.cpu.rip = 0x100000;
  if (jit) t.cpu.jit = new JitEngine(2);
  const r = t.cpu.run(t.cpu.retired + 100_000);
  assert.equal(r, "halted", "the test loop ran to its HLT");
  return t;
}

function hexBytes(s: string): Uint8Array {
  const h = s.replace(/\s+/g, "");
  return new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)));
}

interface Case {
  readonly name: string;
  readonly bits: 32 | 64;
  readonly code: string;
  /** EDX after the loop (the flags PUSHF saved, masked to the six arithmetic ones, or a result). */
  readonly want: Record<VendorFlagsName, number>;
  /** Mask EDX with the arithmetic flags (else compare EDX whole). */
  readonly flags: boolean;
}

// Each loop: mov ecx, 50; 1: <setup>; <insn>; pushf; pop rdx; dec ecx; jnz 1b; hlt
const CASES: Case[] = [
  {
    // add eax(1), 1 leaves AF = OF = 0; shl ebx(0x10000001), 3 = 0x80000008, CF 0, SF 1, PF 0.
    // AMD: AF 1, OF = MSB ^ CF = 1. Intel family 6: AF and OF kept (0). NetBurst: AF 0, OF 1.
    name: "SHL r32, 3 (hot form): AF and OF",
    bits: 64,
    code: "b932000000 b801000000 83c001 bb01000010 c1e303 9c 5a ffc9 75ea f4",
    want: { "amd-zen": 0x890, "intel-p6": 0x080, "intel-core2": 0x080, "intel-netburst": 0x880 },
    flags: true,
  },
  {
    // xor eax, eax: AF = OF = 0; shr ebx(0x80000002), 1 (C1 form) = 0x40000001, CF 0,
    // OF = old MSB = 1 (defined). AMD: AF 1. Intel: AF kept (0) / cleared (NetBurst).
    name: "SHR r32, 1 (hot form): AF",
    bits: 64,
    code: "b932000000 31c0 bb02000080 c1eb01 9c 5a ffc9 75f0 f4",
    want: { "amd-zen": 0x810, "intel-p6": 0x800, "intel-core2": 0x800, "intel-netburst": 0x800 },
    flags: true,
  },
  {
    // add 0x7fffffff, 1 sets OF; SAHF (AH = 0x10) sets AF, clears SF ZF PF CF, keeps OF.
    // sar rbx(-64), 5 = -2: CF 0, SF 1, PF 0. AMD: AF 1, OF 0. Intel family 6: AF 1 and
    // OF 1 kept (from the ALU: SAHF's flags). NetBurst: AF 0, OF 0.
    name: "SAR r64, 5 (hot form) after SAHF: AF and OF",
    bits: 64,
    code: "b932000000 b8ffffff7f 83c001 b410 9e 48c7c3c0ffffff 48c1fb05 9c 5a ffc9 75e4 f4",
    want: { "amd-zen": 0x090, "intel-p6": 0x890, "intel-core2": 0x890, "intel-netburst": 0x080 },
    flags: true,
  },
  {
    // add 0x7fffffff, 1: OF SF AF PF set. rol rbx(1), 7 = 0x80: CF 0, count-1 OF = 0.
    // AMD and NetBurst: OF 0. Intel family 6: OF kept (1). SF/ZF/AF/PF untouched by rotates.
    name: "ROL r64, 7 (hot form): OF",
    bits: 64,
    code: "b932000000 b8ffffff7f 83c001 48c7c301000000 48c1c307 9c 5a ffc9 75e7 f4",
    want: { "amd-zen": 0x094, "intel-p6": 0x894, "intel-core2": 0x894, "intel-netburst": 0x094 },
    flags: true,
  },
  {
    // cmp 7, 8: CF PF AF SF set (0x95). div ebx (100 / 7). AMD: CF OF kept, AF 1,
    // SF ZF PF 0 (0x11). Intel (every family): no flag changes (0x95).
    name: "DIV r32: all six flags",
    bits: 64,
    code: "b932000000 31d2 b864000000 bb07000000 83fb08 f7f3 9c 5a ffc9 75e9 f4",
    want: { "amd-zen": 0x011, "intel-p6": 0x095, "intel-core2": 0x095, "intel-netburst": 0x095 },
    flags: true,
  },
  {
    // cmp 7, 8 (0x95); bsf edi, esi(0x18) = 3, ZF 0. AMD (and NetBurst, which falls back
    // to it): CF OF SF AF 0, PF of 3 = 1. Intel family 6: only ZF written (0x95).
    name: "BSF r32: CF OF SF AF PF",
    bits: 64,
    code: "b932000000 bb07000000 83fb08 be18000000 0fbcfe 9c 5a ffc9 75ea f4",
    want: { "amd-zen": 0x004, "intel-p6": 0x095, "intel-core2": 0x095, "intel-netburst": 0x004 },
    flags: true,
  },
  {
    // cmp 7, 8 (0x95); imul ebx(0), esi(16) = 0, no overflow: CF = OF = 0. AMD and Intel
    // family 6: SF ZF AF PF kept (0x94). NetBurst: SF 0, ZF 1, PF 1 of the result, AF 0.
    name: "IMUL r32, r32: SF ZF AF PF",
    bits: 64,
    code: "b932000000 bb07000000 83fb08 bb00000000 be10000000 0fafde 9c 5a ffc9 75e5 f4",
    want: { "amd-zen": 0x094, "intel-p6": 0x094, "intel-core2": 0x094, "intel-netburst": 0x044 },
    flags: true,
  },
  {
    // shrd ax(0x76a4), bx(0xf430), 20: the result is undefined (count above 16). AMD: bits
    // 20..35 of b:b:a = 0x0f43; Intel family 6: of a:b:a = 0x4f43 (angr/vex #64);
    // NetBurst falls back to AMD.
    name: "SHRD r16, r16, 20: result",
    bits: 64,
    code: "b932000000 b8a4760000 bb30f40000 660facd814 89c2 ffc9 75eb f4",
    want: {
      "amd-zen": 0x0f43,
      "intel-p6": 0x4f43,
      "intel-core2": 0x4f43,
      "intel-netburst": 0x0f43,
    },
    flags: false,
  },
  {
    // 32-bit code. xor eax, eax (OF 0); mov al, 0x7a; daa = 0x80 with AF 1, CF 0, SF 1.
    // AMD: OF = sign overflow 0x7a -> 0x80 = 1. Intel: OF kept (0) or cleared (0).
    name: "DAA: OF after xor",
    bits: 32,
    code: "b932000000 31c0 b07a 27 9c 5a 4975f6 f4",
    want: { "amd-zen": 0x890, "intel-p6": 0x090, "intel-core2": 0x090, "intel-netburst": 0x090 },
    flags: true,
  },
  {
    // 32-bit code. add 0x7fffffff, 1 (OF 1); mov al, 0x7a; daa as above. Intel family 6
    // keeps OF (1); Core 2 and NetBurst clear it (sandpile.org note #0, P4 column).
    name: "DAA: OF after an overflow",
    bits: 32,
    code: "b932000000 b8ffffff7f 83c001 b07a 27 9c 5a 4975f0 f4",
    want: { "amd-zen": 0x890, "intel-p6": 0x890, "intel-core2": 0x090, "intel-netburst": 0x090 },
    flags: true,
  },
];

for (const c of CASES) {
  Deno.test(`vendor flags: ${c.name} follows the model, interpreted and compiled`, () => {
    for (const [name, m] of Object.entries(MODELS) as [VendorFlagsName, CpuModel][]) {
      assert.equal(vendorFlagsOf(m).name, name, "the model selects its profile");
      for (const jit of [false, true]) {
        const t = run(c.code, c.bits, m, jit);
        const edx = t.cpu.gpr[4];
        const got = c.flags ? edx & 0x8d5 : edx;
        assert.equal(
          got.toString(16),
          c.want[name].toString(16),
          `${name} ${jit ? "jit" : "interp"}`,
        );
        if (jit) assert.ok(t.cpu.jit!.compiledRetired > 0, `${name}: the loop ran compiled`);
      }
    }
  });
}

Deno.test("vendor flags: -cpu models and vendor= choose the profile", () => {
  const profile = (spec: string): string => {
    const r = parseCpuSpec(spec);
    if (!r.ok) throw new Error(r.error);
    return vendorFlagsOf(r.model).name;
  };
  assert.equal(profile("max"), "intel-p6");
  assert.equal(profile("IvyBridge"), "intel-p6");
  assert.equal(profile("Nehalem"), "intel-p6");
  assert.equal(profile("max,vendor=AuthenticAMD"), "amd-zen");
  assert.equal(profile("qemu64"), "amd-zen");
  assert.equal(profile("Opteron_G1"), "amd-zen");
  assert.equal(profile("Opteron_G1,vendor=AuthenticAMD"), "amd-zen");
  assert.equal(profile("qemu64,vendor=GenuineIntel"), "intel-netburst"); // family 15
  assert.equal(profile("kvm64"), "intel-netburst");
  assert.equal(profile("max,model=23"), "intel-core2");
  assert.equal(profile("max,vendor=CentaurHauls"), "amd-zen"); // unknown vendor: the recording
});

Deno.test("vendor flags: a machine built as the CLI builds it from -cpu gets the profile on every vCPU", () => {
  // cli/main.ts parses -cpu (as the kut runner passes qemu_params) and hands the model to
  // createMachine; every vCPU's ALU then follows its vendor.
  const cases: [string, string][] = [
    ["max,vendor=GenuineIntel", "intel-p6"],
    ["Opteron_G1,vendor=AuthenticAMD", "amd-zen"],
    ["qemu64,vendor=GenuineIntel", "intel-netburst"],
  ];
  for (const [spec, want] of cases) {
    const r = parseCpuSpec(spec);
    if (!r.ok) throw new Error(r.error);
    const m = createMachine({ cpu: r.model, smp: { cpus: 2 } });
    try {
      for (const c of m.cpus) assert.equal(c.alu.vendor.name, want, spec);
    } finally {
      m.dispose?.();
    }
  }
});
