/**
 * Property test: random VMX instruction operands, random CPU state and
 * random VMCS region contents never make the plugin throw a host error;
 * every outcome is VMsucceed, VMfailInvalid, VMfailValid or a guest
 * exception, and no pin outlives the plugin.
 */
import assert from "node:assert/strict";
import { assertNoPins } from "../mm/testing.ts";
import fc from "fast-check";
import type { VmxInstruction } from "../core/vmexit.ts";
import { HarnessMemory, memOperand, type Outcome, vmxHarness } from "./testing.ts";
import { VMX_FEATURES } from "./features.ts";
import { FIELD_TABLE } from "./vmcs12/fields.ts";
import { VMCS12_REVISION_ID } from "./vmcs12/layout.ts";
import { VMX_OPERATION } from "./operation.ts";
import { fuzzRuns } from "../tests/fuzz_scale.ts";

const INSTRUCTIONS: VmxInstruction[] = [
  "vmxon",
  "vmxoff",
  "vmclear",
  "vmptrld",
  "vmptrst",
  "vmread",
  "vmwrite",
  "vmlaunch",
  "vmresume",
  "vmcall",
  "invept",
  "invvpid",
  "vmfunc",
];

const MEM = 1 << 20;

/** One guest memory for every run (building one is not free); wiped per run. */
const shared = new HarnessMemory(MEM);
const ZERO = new Uint8Array(MEM);
function freshMemory(): HarnessMemory {
  assertNoPins(shared.phys);
  shared.writeBytes(0, ZERO);
  return shared;
}

/** Addresses worth hitting: aligned region slots, RAM edges, holes, huge. */
const address = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 15 }).map((i) => 0x10000 + i * 0x1000) },
  fc.integer({ min: 0, max: MEM + 0x2000 }),
  fc.constantFrom(MEM - 4, MEM - 8, 0, 2 ** 40, 2 ** 47 - 4, -(2 ** 47), -8, 0xfee00000, 0x30000),
  fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
);

const u32 = fc.integer({ min: 0, max: 0xffffffff });

const encodings = fc.oneof(
  fc.constantFrom(...FIELD_TABLE.map((f) => f.encoding)),
  fc.constantFrom(...FIELD_TABLE.map((f) => f.encoding | 1)),
  u32,
);

const step = fc.record({
  instruction: fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...INSTRUCTIONS) },
    { weight: 4, arbitrary: fc.constantFrom<VmxInstruction>("vmptrld", "vmread", "vmwrite") },
  ),
  mem: fc.option(fc.record({ linear: address, segment: fc.integer({ min: 0, max: 5 }) })),
  regReg: fc.integer({ min: -1, max: 15 }),
  rmReg: fc.integer({ min: -1, max: 15 }),
  regLo: encodings,
  regHi: fc.oneof(fc.constant(0), u32),
  rmLo: u32,
  rmHi: u32,
  pointer: address,
  chaos: fc.integer({ min: 0, max: 5 }),
  cpl: fc.constantFrom(0, 0, 0, 0, 0, 3),
  mode: fc.constantFrom(
    "long64",
    "long64",
    "long64",
    "long64",
    "protected32",
    "protected32",
    "compat32",
    "real",
    "v86",
  ),
});

const regionPatch = fc.record({
  page: fc.integer({ min: 0, max: 15 }),
  revision: fc.oneof(
    fc.constant(VMCS12_REVISION_ID),
    fc.constant((VMCS12_REVISION_ID | 0x80000000) >>> 0),
    u32,
  ),
  noise: fc.uint8Array({ minLength: 0, maxLength: 64 }),
  at: fc.integer({ min: 0, max: 4095 }),
});

Deno.test("property: random VMX instructions end in an architectural outcome", () => {
  const total = new Map<string, number>();
  fc.assert(
    fc.property(
      fc.array(regionPatch, { maxLength: 12 }),
      fc.array(step, { minLength: 1, maxLength: 40 }),
      fc.constantFrom("locked", "locked", "locked", "unlocked", "4", "1"),
      fc.constantFrom(true, true, true, false),
      (patches, steps, featureControl, startInVmx) => {
        const h = vmxHarness({ featureControl }, undefined, freshMemory());
        if (startInVmx) {
          h.memory.write(0x30000, 4, VMCS12_REVISION_ID);
          h.poke64(0x800, 0x30000);
          h.vcpu.rflags = 0x2;
          h.exec("vmxon", { mem: memOperand(0x800) });
        }
        for (let i = 0; i < 16; i++) h.memory.write(0x10000 + i * 0x1000, 4, VMCS12_REVISION_ID);
        for (const p of patches) {
          const base = 0x10000 + p.page * 0x1000;
          h.memory.writeBytes(base + p.at, p.noise.subarray(0, 4096 - p.at));
          h.memory.write(base, 4, p.revision);
        }
        const seen: Outcome["kind"][] = [];
        for (const s of steps) {
          const v = h.vcpu;
          // One step in six runs with random mode and CPL.
          v.cpl = s.chaos === 0 ? s.cpl : 0;
          v.mode = (s.chaos === 0 ? s.mode : "long64") as typeof v.mode;
          v.cr0 = v.mode === "real" ? 0x10 : 0x80000031;
          v.rflags = v.mode === "v86" ? 0x20002 : 0x2;
          if (s.regReg >= 0) {
            v.gpr[2 * s.regReg] = s.regLo >>> 0;
            v.gpr[2 * s.regReg + 1] = s.regHi;
          }
          if (s.rmReg >= 0 && s.rmReg !== s.regReg) {
            v.gpr[2 * s.rmReg] = s.rmLo;
            v.gpr[2 * s.rmReg + 1] = s.rmHi;
          }
          // The pointer operand of VMXON/VMCLEAR/VMPTRLD lives at 0x800.
          h.poke64(0x800, s.instruction === "vmxon" && s.chaos > 2 ? 0x30000 : Math.abs(s.pointer));
          const mem = s.mem === null
            ? undefined
            : s.mem.linear === 0x800
            ? memOperand(0x800)
            : memOperand(s.mem.linear, s.mem.segment);
          const out = h.exec(s.instruction, {
            mem: s.instruction === "vmxon" || s.instruction === "vmclear" ||
                s.instruction === "vmptrld"
              ? (s.mem === null && s.chaos === 0 ? undefined : memOperand(0x800))
              : mem,
            regReg: s.regReg,
            rmReg: s.rmReg,
          });
          seen.push(out.kind);
          const key = out.kind === "failValid" ? `failValid${out.error}` : out.kind;
          total.set(key, (total.get(key) ?? 0) + 1);
          // VMCALL outside VMX operation is left to the CPU (#UD) or a hypervisor plugin.
          const outside = !h.host.ctx.services.get(VMX_OPERATION).inVmxOperation(0);
          assert.ok(
            ["succeed", "failInvalid", "failValid", "fault", "reflected"].includes(out.kind) ||
              (out.kind === "pass" && s.instruction === "vmcall" && outside),
            `unexpected outcome ${JSON.stringify(out)}`,
          );
          if (out.kind === "fault") {
            assert.ok([6, 12, 13, 14].includes(out.vector), `vector ${out.vector}`);
          }
          if (out.kind === "failValid") {
            assert.ok(out.error >= 1 && out.error <= 28, `${out.error}`);
          }
          assert.ok(h.memory.pinned <= 1, "at most the current VMCS is pinned");
        }
        // A snapshot round trip keeps the pin count.
        const pinned = h.memory.pinned;
        h.plugin.loadState!(JSON.parse(JSON.stringify(h.plugin.saveState!())));
        assert.equal(h.memory.pinned, pinned);
        h.plugin.dispose!();
        assertNoPins(h.memory.phys);
        return seen.length === steps.length;
      },
    ),
    { seed: 0x5eed, numRuns: fuzzRuns(400) },
  );
  if (Deno.env.get("VMX_PROPERTY_STATS")) console.log(JSON.stringify([...total]));
  for (const k of ["succeed", "failInvalid", "fault", "failValid9", "failValid11", "failValid12"]) {
    assert.ok((total.get(k) ?? 0) > 0, `never saw ${k}: ${JSON.stringify([...total])}`);
  }
});

Deno.test("property: the random instruction mix reaches every outcome kind", () => {
  // Guards the property above against a generator that never gets past #UD.
  const kinds = new Set<string>();
  fc.assert(
    fc.property(fc.array(step, { minLength: 5, maxLength: 20 }), (steps) => {
      // Without IA32_VMX_MISC bit 29, so that VMWRITE error 13 is reachable.
      const h = vmxHarness(undefined, undefined, freshMemory(), {
        ...VMX_FEATURES,
        vmwriteAnyField: false,
      });
      h.vmxon(0x10000);
      h.prepareRegion(0x11000);
      h.poke64(0x800, 0x11000);
      h.exec("vmptrld", { mem: memOperand(0x800) });
      for (const s of steps) {
        h.vcpu.gpr[2 * 1] = s.regLo >>> 0;
        h.vcpu.gpr[3] = 0;
        const o = h.exec(s.instruction === "vmxon" ? "vmread" : s.instruction, {
          regReg: 1,
          rmReg: 2,
        });
        kinds.add(o.kind === "failValid" ? `failValid${o.error}` : o.kind);
      }
      h.plugin.dispose!();
      return true;
    }),
    { seed: 7, numRuns: fuzzRuns(200) },
  );
  for (const k of ["succeed", "failValid12", "failValid13", "fault", "failValid1"]) {
    assert.ok(kinds.has(k), `never saw ${k}: ${[...kinds].join(",")}`);
  }
});
