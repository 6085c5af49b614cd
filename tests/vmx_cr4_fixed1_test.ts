/**
 * IA32_VMX_CR4_FIXED1 follows the CPU model: with SSE the CPU accepts
 * CR4.OSFXSR and OSXMMEXCPT, so VMX operation must allow them (SDM Vol. 3D
 * A.8). Linux enables both long before kvm_intel's VMXON; without them in
 * FIXED1, VMXON took #GP ("VMXON faulted" when Debian's 6.1 kernel created
 * its first VM).
 */
import assert from "node:assert/strict";
import { bootFlat, createMachine } from "../plugins/machine_builder.ts";

function runLong64(code: number[]): unknown {
  const m = createMachine({ memoryMiB: 16 });
  try {
    assert.ok(m.cpu.model.features.has("sse"), "the default model has SSE");
    m.memory.write(0x20000, 4, 0x10000); // pointer to a VMXON region at 0x10000
    bootFlat(m, [{ addr: 0x100000, data: new Uint8Array(code) }], 0x100000, "long64");
    return m.run({ maxInstructions: 100 }).reason;
  } finally {
    m.dispose();
  }
}

Deno.test("vmx: a guest reads OSFXSR/OSXMMEXCPT as allowed in CR4_FIXED1 (the default model has SSE)", () => {
  // mov ecx, 0x489; rdmsr; shr eax, 9; and eax, 3; out 0xf4, al; hlt
  const code = [0xb9, 0x89, 4, 0, 0, 0x0f, 0x32, 0xc1, 0xe8, 9, 0x83, 0xe0, 3, 0xe6, 0xf4, 0xf4];
  assert.deepEqual(runLong64(code), { kind: "exit", status: (3 << 1) | 1 });
});

Deno.test("vmx: a guest with CR4.OSFXSR set executes VMXON (VMsucceed, no #GP)", () => {
  const code = [
    ...[0x0f, 0x20, 0xc0, 0x48, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xc0], // CR0 |= NE
    ...[0xb9, 0x3a, 0, 0, 0, 0xb8, 5, 0, 0, 0, 0x31, 0xd2, 0x0f, 0x30], // FEATURE_CONTROL = 5
    ...[0xb9, 0x80, 4, 0, 0, 0x0f, 0x32, 0x89, 0x04, 0x25, 0, 0, 1, 0], // [0x10000] = revision
    ...[0x0f, 0x20, 0xe0, 0x48, 0x0d, 0x00, 0x26, 0, 0, 0x0f, 0x22, 0xe0], // CR4 |= 0x2600
    ...[0xf3, 0x0f, 0xc7, 0x34, 0x25, 0x00, 0x00, 0x02, 0x00], // vmxon [0x20000]
    ...[0x0f, 0x96, 0xc0, 0xe6, 0xf4, 0xf4], // setbe al; out 0xf4, al; hlt
  ];
  // VMsucceed: CF = ZF = 0, status (0 << 1) | 1.
  assert.deepEqual(runLong64(code), { kind: "exit", status: 1 });
});
