import assert from "node:assert/strict";
import { entryFixture } from "../entry/testing.ts";
import { CAPS } from "../entry/check_controls.ts";
import { PROC, PROC2 } from "../controls.ts";
import { F } from "../vmcs12/fields.ts";
import { fieldOffset, VMCS12_REVISION_ID } from "../vmcs12/layout.ts";

const READ_BITMAP = 0x30000;
const WRITE_BITMAP = 0x31000;
const SHADOW = 0x32000;
const RAX = 0;
const RCX = 1;
const RBX = 3;

function shadowFixture(indicator = true) {
  const f = entryFixture();
  f.set("CPU_BASED_VM_EXEC_CONTROL", CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS);
  f.set("SECONDARY_VM_EXEC_CONTROL", PROC2.VMCS_SHADOWING);
  f.set("VMREAD_BITMAP", READ_BITMAP);
  f.set("VMWRITE_BITMAP", WRITE_BITMAP);
  f.h.prepareRegion(
    SHADOW,
    indicator ? (VMCS12_REVISION_ID | 0x80000000) >>> 0 : VMCS12_REVISION_ID,
  );
  f.set("VMCS_LINK_POINTER", SHADOW);
  return f;
}

function setReg(f: ReturnType<typeof entryFixture>, reg: number, lo: number, hi = 0): void {
  f.h.vcpu.gpr[2 * reg] = lo;
  f.h.vcpu.gpr[2 * reg + 1] = hi;
}

function l2Vmread(f: ReturnType<typeof entryFixture>, field: number, hi = 0) {
  setReg(f, RCX, field, hi);
  return f.h.exec("vmread", { regReg: RCX, rmReg: RBX });
}

function l2Vmwrite(f: ReturnType<typeof entryFixture>, field: number, value: number) {
  setReg(f, RCX, field);
  setReg(f, RAX, value);
  return f.h.exec("vmwrite", { regReg: RCX, rmReg: RAX });
}

Deno.test("VMCS shadowing: the link pointer must reference a shadow VMCS (entry failure 33, qualification 4)", () => {
  const f = shadowFixture(false);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(f.get("VM_EXIT_REASON"), 0x80000021);
  assert.equal(f.get64("EXIT_QUALIFICATION"), 4);
  assert.equal(f.h.vcpu.nonRoot, false);
});

Deno.test("VMCS shadowing: bitmap addresses are checked at VM entry", () => {
  const f = shadowFixture();
  f.set("VMWRITE_BITMAP", WRITE_BITMAP + 8);
  assert.deepEqual(f.launch(), { kind: "failValid", error: 7 });
});

Deno.test("VMCS shadowing: L2's VMREAD/VMWRITE with clear bitmap bits use the shadow VMCS", () => {
  const f = shadowFixture();
  const mem = f.h.memory;
  const ripBefore = f.get64("GUEST_RIP");
  assert.deepEqual(f.launch(), { kind: "reflected" });
  const v = f.h.vcpu;
  assert.equal(v.nonRoot, true);
  // VMWRITE goes to the shadow VMCS, not to L1's vmcs12; no VM exit.
  assert.deepEqual(l2Vmwrite(f, F.GUEST_RIP, 0x12345678), {
    kind: "succeed",
    disposition: "handled",
  });
  assert.equal(v.nonRoot, true, "no VM exit");
  assert.equal(mem.read(SHADOW + fieldOffset(F.GUEST_RIP), 4), 0x12345678);
  assert.equal(f.get64("GUEST_RIP"), ripBefore, "L1's vmcs12 unchanged");
  // VMREAD reads it back.
  setReg(f, RBX, 0);
  assert.deepEqual(l2Vmread(f, F.GUEST_RIP), { kind: "succeed", disposition: "handled" });
  assert.equal(v.gpr[2 * RBX], 0x12345678);
  // An exit-information field may be written (IA32_VMX_MISC bit 29).
  assert.deepEqual(l2Vmwrite(f, F.VM_EXIT_REASON, 7).kind, "succeed");
  assert.equal(mem.read(SHADOW + fieldOffset(F.VM_EXIT_REASON), 4), 7);
  // An unsupported field: VMfailValid(12) in L1's current VMCS.
  assert.deepEqual(l2Vmread(f, 0x7ffe), { kind: "failValid", error: 12 });
  assert.equal(v.nonRoot, true);
  // A link pointer of all ones: VMfailInvalid.
  f.set("VMCS_LINK_POINTER", [0xffffffff, 0xffffffff]);
  assert.deepEqual(l2Vmread(f, F.GUEST_RIP), { kind: "failInvalid" });
  f.set("VMCS_LINK_POINTER", SHADOW);
  // The bitmap bit set: VMREAD exits to L1 (reason 23).
  mem.write(READ_BITMAP + (F.GUEST_RIP >>> 3), 1, 1 << (F.GUEST_RIP & 7));
  assert.deepEqual(l2Vmread(f, F.GUEST_RIP), { kind: "reflected" });
  assert.equal(v.nonRoot, false);
  assert.equal(f.get("VM_EXIT_REASON"), 23);
});

Deno.test("VMCS shadowing: an encoding with bits 63:15 set always exits; VMWRITE bitmap separate", () => {
  const f = shadowFixture();
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.deepEqual(l2Vmread(f, 0x8000), { kind: "reflected" });
  assert.equal(f.get("VM_EXIT_REASON"), 23);
  assert.deepEqual(f.launch(true), { kind: "reflected" });
  assert.deepEqual(l2Vmread(f, F.GUEST_RIP, 1), { kind: "reflected" }, "bit 32 set");
  assert.deepEqual(f.launch(true), { kind: "reflected" });
  f.h.memory.write(WRITE_BITMAP + (F.GUEST_RIP >>> 3), 1, 1 << (F.GUEST_RIP & 7));
  assert.deepEqual(l2Vmread(f, F.GUEST_RIP).kind, "succeed", "VMREAD bitmap still clear");
  assert.deepEqual(l2Vmwrite(f, F.GUEST_RIP, 1), { kind: "reflected" });
  assert.equal(f.get("VM_EXIT_REASON"), 25);
});
