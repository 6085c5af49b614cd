import assert from "node:assert/strict";
import { memOperand, type VmxHarness, vmxHarness } from "../testing.ts";
import { F, FIELD_TABLE, FieldWidth, isReadOnly } from "../vmcs12/fields.ts";
import { fieldOffset } from "../vmcs12/layout.ts";
import { VMX_FEATURES } from "../features.ts";

const OK = { kind: "succeed", disposition: "handled" };
const A = 0x20000;
const RAX = 0, RCX = 1, RDX = 2;

function loaded(mode: "long64" | "protected32" = "long64", anyField = true): VmxHarness {
  const h = vmxHarness(undefined, undefined, undefined, {
    ...VMX_FEATURES,
    vmwriteAnyField: anyField,
  });
  assert.deepEqual(h.vmxon(0x10000), OK);
  h.prepareRegion(A);
  h.poke64(0x800, A);
  assert.deepEqual(h.exec("vmptrld", { mem: memOperand(0x800) }), OK);
  h.vcpu.mode = mode;
  return h;
}

function write(h: VmxHarness, field: number, lo: number, hi = 0) {
  h.vcpu.gpr[2 * RCX] = field >>> 0;
  h.vcpu.gpr[2 * RCX + 1] = 0;
  h.vcpu.gpr[2 * RDX] = lo >>> 0;
  h.vcpu.gpr[2 * RDX + 1] = hi >>> 0;
  return h.exec("vmwrite", { regReg: RCX, rmReg: RDX });
}

function read(h: VmxHarness, field: number): { lo: number; hi: number } {
  h.vcpu.gpr[2 * RCX] = field >>> 0;
  h.vcpu.gpr[2 * RCX + 1] = 0;
  h.vcpu.gpr[2 * RAX] = 0xdeadbeef;
  h.vcpu.gpr[2 * RAX + 1] = 0xdeadbeef;
  assert.deepEqual(h.exec("vmread", { regReg: RCX, rmReg: RAX }), OK);
  return { lo: h.vcpu.gpr[2 * RAX], hi: h.vcpu.gpr[2 * RAX + 1] };
}

Deno.test("VMWRITE/VMREAD round-trip every writable field (64-bit mode)", () => {
  const h = loaded();
  for (const f of FIELD_TABLE) {
    if (isReadOnly(f.encoding)) continue;
    assert.deepEqual(write(h, f.encoding, 0x89abcdef, 0x01234567), OK, f.name);
  }
  for (const f of FIELD_TABLE) {
    if (isReadOnly(f.encoding)) continue;
    const expect = f.width === FieldWidth.W16
      ? { lo: 0xcdef, hi: 0 }
      : f.width === FieldWidth.W32
      ? { lo: 0x89abcdef, hi: 0 }
      : { lo: 0x89abcdef, hi: 0x01234567 };
    assert.deepEqual(read(h, f.encoding), expect, f.name);
  }
});

Deno.test("VMREAD/VMWRITE high-half access of 64-bit fields", () => {
  const h = loaded();
  assert.deepEqual(write(h, F.IO_BITMAP_A, 0x11112000, 0x3), OK);
  assert.deepEqual(read(h, F.IO_BITMAP_A | 1), { lo: 0x3, hi: 0 });
  assert.deepEqual(write(h, F.IO_BITMAP_A | 1, 0x7, 0xffff), OK);
  assert.deepEqual(read(h, F.IO_BITMAP_A), { lo: 0x11112000, hi: 0x7 });
  // Natural-width, 16- and 32-bit fields have no high access: error 12.
  assert.deepEqual(write(h, F.GUEST_RIP | 1, 1), { kind: "failValid", error: 12 });
  assert.deepEqual(write(h, F.GUEST_ES_SELECTOR | 1, 1), { kind: "failValid", error: 12 });
  assert.deepEqual(write(h, F.EXCEPTION_BITMAP | 1, 1), { kind: "failValid", error: 12 });
});

Deno.test("VMREAD/VMWRITE error 12: unsupported encodings, bits above 31 set", () => {
  const h = loaded();
  for (const e of [0x0006, 0x2030, 0x7fff, 0x8000, 0x10002, 0x80004000]) {
    assert.deepEqual(write(h, e, 1), { kind: "failValid", error: 12 }, e.toString(16));
    h.vcpu.gpr[2 * RCX] = e >>> 0;
    assert.deepEqual(h.exec("vmread", { regReg: RCX, rmReg: RAX }), {
      kind: "failValid",
      error: 12,
    });
  }
  h.vcpu.gpr[2 * RCX] = F.GUEST_RIP;
  h.vcpu.gpr[2 * RCX + 1] = 1; // bits 63:32 of the encoding register
  assert.deepEqual(h.exec("vmread", { regReg: RCX, rmReg: RAX }), { kind: "failValid", error: 12 });
});

Deno.test("IA32_VMX_MISC bit 29: VMWRITE may write every read-only (exit-information) field", () => {
  const h = loaded();
  for (const f of FIELD_TABLE) {
    if (!isReadOnly(f.encoding)) continue;
    assert.deepEqual(write(h, f.encoding, 0x21), OK, f.name);
    assert.equal(read(h, f.encoding).lo, 0x21, f.name);
  }
});

Deno.test("VMWRITE error 13 on every read-only field without MISC bit 29; VMREAD of them works", () => {
  const h = loaded("long64", false);
  for (const f of FIELD_TABLE) {
    if (!isReadOnly(f.encoding)) continue;
    assert.deepEqual(write(h, f.encoding, 1), { kind: "failValid", error: 13 }, f.name);
  }
  // The error field itself is readable: VMfailValid wrote 13 there.
  assert.deepEqual(read(h, F.VM_INSTRUCTION_ERROR), { lo: 13, hi: 0 });
  // Exit information written to the region while it is not current is
  // what VMREAD returns once it is current again.
  h.poke64(0x800, A);
  assert.deepEqual(h.exec("vmclear", { mem: memOperand(0x800) }), OK);
  h.memory.write(A + fieldOffset(F.EXIT_QUALIFICATION), 4, 0x1234);
  assert.deepEqual(h.exec("vmptrld", { mem: memOperand(0x800) }), OK);
  assert.deepEqual(read(h, F.EXIT_QUALIFICATION), { lo: 0x1234, hi: 0 });
});

Deno.test("VMREAD/VMWRITE without a current VMCS: VMfailInvalid", () => {
  const h = vmxHarness();
  assert.deepEqual(h.vmxon(0x10000), OK);
  assert.deepEqual(write(h, F.GUEST_RIP, 1), { kind: "failInvalid" });
  h.vcpu.gpr[2 * RCX] = F.GUEST_RIP;
  assert.deepEqual(h.exec("vmread", { regReg: RCX, rmReg: RAX }), { kind: "failInvalid" });
});

Deno.test("32-bit mode: 32-bit operands, truncation on read, zero-extension on write", () => {
  const h = loaded();
  assert.deepEqual(write(h, F.GUEST_RIP, 0x11111111, 0x22222222), OK);
  h.vcpu.mode = "protected32";
  assert.deepEqual(read(h, F.GUEST_RIP), { lo: 0x11111111, hi: 0 }, "high bits not read");
  // VMWRITE with a 32-bit operand clears the high half of wider fields.
  assert.deepEqual(write(h, F.GUEST_RIP, 0x33333333, 0x44444444), OK);
  assert.deepEqual(write(h, F.TSC_OFFSET, 0x55555555, 0x66666666), OK);
  h.vcpu.mode = "long64";
  assert.deepEqual(read(h, F.GUEST_RIP), { lo: 0x33333333, hi: 0 });
  assert.deepEqual(read(h, F.TSC_OFFSET), { lo: 0x55555555, hi: 0 });
  // The encoding register's high half is ignored outside 64-bit mode.
  h.vcpu.mode = "protected32";
  h.vcpu.gpr[2 * RCX] = F.GUEST_RIP;
  h.vcpu.gpr[2 * RCX + 1] = 0xffffffff;
  assert.deepEqual(h.exec("vmread", { regReg: RCX, rmReg: RAX }), OK);
});

Deno.test("memory operands: VMREAD stores 8 (64-bit) or 4 bytes; VMWRITE loads them", () => {
  const h = loaded();
  assert.deepEqual(write(h, F.GUEST_CR3, 0xabcd0000, 0x12), OK);
  h.poke64(0xa00, 0);
  h.poke64(0xa08, 0x5a5a5a5a5a);
  h.vcpu.gpr[2 * RCX] = F.GUEST_CR3;
  assert.deepEqual(h.exec("vmread", { regReg: RCX, mem: memOperand(0xa00) }), OK);
  assert.equal(h.memory.read(0xa00, 4), 0xabcd0000);
  assert.equal(h.memory.read(0xa04, 4), 0x12);
  h.vcpu.mode = "protected32";
  h.memory.write(0xa04, 4, 0x77);
  assert.deepEqual(h.exec("vmread", { regReg: RCX, mem: memOperand(0xa00) }), OK);
  assert.equal(h.memory.read(0xa04, 4), 0x77, "only 4 bytes stored in 32-bit mode");
  h.vcpu.mode = "long64";
  h.vcpu.gpr[2 * RCX] = F.HOST_RSP;
  assert.deepEqual(h.exec("vmwrite", { regReg: RCX, mem: memOperand(0xa08) }), OK);
  assert.deepEqual(read(h, F.HOST_RSP), { lo: 0x5a5a5a5a, hi: 0x5a });
});

Deno.test("memory operand faults take priority over field errors for VMWRITE only", () => {
  const h = loaded();
  h.vcpu.faultPages.add(0xb);
  h.vcpu.gpr[2 * RCX] = 0x7fff; // unsupported
  assert.deepEqual(h.exec("vmwrite", { regReg: RCX, mem: memOperand(0xb000) }), {
    kind: "fault",
    vector: 14,
    errorCode: 0,
  });
  // VMREAD checks the field before touching the destination.
  assert.deepEqual(h.exec("vmread", { regReg: RCX, mem: memOperand(0xb000) }), {
    kind: "failValid",
    error: 12,
  });
  h.vcpu.gpr[2 * RCX] = F.GUEST_RIP;
  assert.deepEqual(h.exec("vmread", { regReg: RCX, mem: memOperand(0xb000) }), {
    kind: "fault",
    vector: 14,
    errorCode: 0,
  });
});

Deno.test("VMREAD/VMWRITE: #GP at CPL>0, #UD outside VMX operation", () => {
  const h = loaded();
  h.vcpu.cpl = 3;
  assert.deepEqual(write(h, F.GUEST_RIP, 1), { kind: "fault", vector: 13, errorCode: 0 });
  h.vcpu.cpl = 0;
  assert.deepEqual(h.exec("vmxoff"), OK);
  assert.deepEqual(write(h, F.GUEST_RIP, 1), { kind: "fault", vector: 6, errorCode: -1 });
});
