/**
 * The VMX plugin on a real Machine (pc board, CPU engine, mm): the
 * `tests/vmx/vmx_basic.c` conformance guest (VMXON/VMXOFF, VMCLEAR,
 * VMPTRLD, VMPTRST, VMREAD, VMWRITE with their error numbers) must pass
 * every TAP check (strict rules of tests/tap.ts, no SKIP), leave no pin behind, and give the same output when
 * snapshotted inside VMX operation (current VMCS pinned) and restored into
 * a new machine.
 */
import assert from "node:assert/strict";
import { bootFlat, bootKernel, createMachine } from "../plugins/machine_builder.ts";
import type { PcMachine } from "../plugins/pc_machine.ts";
import { restoreMachine, saveMachine } from "../core/snapshot/machine_snapshot.ts";
import { assertNoPins } from "../mm/testing.ts";
import { assertTap } from "./tap.ts";

const IMAGE = new URL("../guests/build/vmx_basic.elf", import.meta.url);
const image = await Deno.readFile(IMAGE).catch(() => null);
const dec = new TextDecoder();

function build(out: number[]): PcMachine {
  return createMachine({ memoryMiB: 32, serial: (b) => out.push(...b) });
}

function vmxData(m: PcMachine): { vmxon: boolean; currentPtr: number } {
  return m.savePluginStates().vmx.data as { vmxon: boolean; currentPtr: number };
}

Deno.test({
  name: "machine: vmx_basic conformance guest passes every check",
  ignore: image === null,
  fn() {
    const out: number[] = [];
    const m = build(out);
    bootKernel(m, image!);
    const r = m.run({ maxInstructions: 20_000_000 });
    const text = dec.decode(new Uint8Array(out));
    assertTap(text, { plan: 63 }, "vmx_basic");
    assert.deepEqual(r.reason, { kind: "exit", status: 1 });
    m.dispose();
    assertNoPins(m.memory);
  },
});

Deno.test({
  name:
    "machine: snapshot inside VMX operation (current VMCS pinned) restores and continues identically",
  ignore: image === null,
  async fn() {
    const fullOut: number[] = [];
    const full = build(fullOut);
    bootKernel(full, image!);
    const total = full.run({ maxInstructions: 20_000_000 }).instructions;
    full.dispose();
    const expected = dec.decode(new Uint8Array(fullOut));

    let insideVmcs = 0;
    for (const at of [0.72, 0.8, 0.92].map((f) => Math.floor(total * f))) {
      const out: number[] = [];
      const a = build(out);
      bootKernel(a, image!);
      const r = a.run({ maxInstructions: at });
      assert.equal(r.reason.kind, "budget");
      const s = vmxData(a);
      if (s.vmxon && s.currentPtr !== -1) insideVmcs++;
      const bytes = await saveMachine(a);
      a.dispose();
      assertNoPins(a.memory);
      const b = await restoreMachine(bytes, () => build(out));
      assert.deepEqual(vmxData(b), s, "VMX state restored");
      b.run({ maxInstructions: 20_000_000 });
      b.dispose();
      assertNoPins(b.memory);
      assert.equal(dec.decode(new Uint8Array(out)), expected, `snapshot at ${at}`);
    }
    assert.ok(insideVmcs >= 1, "at least one snapshot taken with a current VMCS");
  },
});

/** 64-bit code: exit status = CPUID.1:ECX.VMX. */
const CPUID_VMX = new Uint8Array([
  0xb8,
  0x01,
  0x00,
  0x00,
  0x00,
  0x0f,
  0xa2,
  0x89,
  0xc8,
  0xc1,
  0xe8,
  0x05, //
  0x83,
  0xe0,
  0x01,
  0xe6,
  0xf4,
  0xf4,
]);
/** 64-bit code: set CR4.VMXE, then exit with 5 (a #GP without an IDT shuts down). */
const SET_VMXE = new Uint8Array([
  0x0f,
  0x20,
  0xe0,
  0x48,
  0x0d,
  0x00,
  0x20,
  0x00,
  0x00,
  0x0f,
  0x22,
  0xe0, //
  0xb0,
  0x05,
  0xe6,
  0xf4,
  0xf4,
]);

function runFlat(code: Uint8Array, cpu?: string): unknown {
  const m = createMachine({ memoryMiB: 8, ...(cpu ? { cpu } : {}) });
  bootFlat(m, [{ addr: 0x200000, data: code }], 0x200000, "long64");
  const r = m.run({ maxInstructions: 1000 });
  m.dispose();
  assertNoPins(m.memory);
  return r.reason;
}

Deno.test("machine: VMX is advertised by default and absent with -vmx", () => {
  assert.deepEqual(runFlat(CPUID_VMX), { kind: "exit", status: (1 << 1) | 1 });
  assert.deepEqual(runFlat(SET_VMXE), { kind: "exit", status: (5 << 1) | 1 });
  assert.deepEqual(runFlat(CPUID_VMX, "-vmx"), { kind: "exit", status: 1 });
  assert.deepEqual(runFlat(SET_VMXE, "-vmx"), { kind: "triple-fault" }, "#GP, no IDT");
});
