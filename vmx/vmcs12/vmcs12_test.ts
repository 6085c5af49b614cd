import assert from "node:assert/strict";
import { F } from "./fields.ts";
import { fieldOffset, OFF_LAUNCH_STATE } from "./layout.ts";
import { type U64Halves, Vmcs12 } from "./vmcs12.ts";

function region(): Vmcs12 {
  const bytes = new Uint8Array(4096);
  return new Vmcs12(0x5000, bytes, new DataView(bytes.buffer));
}

Deno.test("Vmcs12: header accessors", () => {
  const v = region();
  v.revisionWord = 0x80000123;
  assert.equal(v.revisionId, 0x123);
  assert.equal(v.shadowIndicator, true);
  v.abortIndicator = 5;
  assert.equal(v.abortIndicator, 5);
  assert.equal(v.launched, false);
  v.launched = true;
  assert.equal(v.launched, true);
  assert.equal(v.view.getUint32(OFF_LAUNCH_STATE, true), 1);
});

Deno.test("Vmcs12: vmread/vmwrite by width, with high halves", () => {
  const v = region();
  const out: U64Halves = { lo: 0, hi: 0 };
  assert.ok(v.vmwrite(F.GUEST_CS_SELECTOR, 0x12345678, 0xffffffff));
  assert.ok(v.vmread(F.GUEST_CS_SELECTOR, out));
  assert.deepEqual(out, { lo: 0x5678, hi: 0 });

  assert.ok(v.vmwrite(F.EXCEPTION_BITMAP, 0xdeadbeef, 0x1));
  v.vmread(F.EXCEPTION_BITMAP, out);
  assert.deepEqual(out, { lo: 0xdeadbeef, hi: 0 });

  assert.ok(v.vmwrite(F.TSC_OFFSET, 0x11111111, 0x22222222));
  v.vmread(F.TSC_OFFSET, out);
  assert.deepEqual(out, { lo: 0x11111111, hi: 0x22222222 });
  v.vmread(F.TSC_OFFSET | 1, out);
  assert.deepEqual(out, { lo: 0x22222222, hi: 0 });
  assert.ok(v.vmwrite(F.TSC_OFFSET | 1, 0xabcdef01, 0x99));
  v.vmread(F.TSC_OFFSET, out);
  assert.deepEqual(out, { lo: 0x11111111, hi: 0xabcdef01 });

  assert.ok(v.vmwrite(F.GUEST_RIP, 0xfffff000, 0xffff8000));
  assert.equal(v.readLinear(F.GUEST_RIP), -(2 ** 47) + 0xfffff000);
  assert.equal(v.vmread(F.GUEST_RIP | 1, out), false, "natural-width has no high access");
  assert.equal(v.vmread(0x7777, out), false);
  assert.equal(v.vmwrite(0x7777, 1, 1), false);
});

Deno.test("Vmcs12: unchecked accessors and hot getters", () => {
  const v = region();
  v.write32(F.PIN_BASED_VM_EXEC_CONTROL, 0x16);
  v.write32(F.CPU_BASED_VM_EXEC_CONTROL, 0x0401e172);
  v.write32(F.SECONDARY_VM_EXEC_CONTROL, 0x2);
  v.write32(F.VM_EXIT_CONTROLS, 0x36dff);
  v.write32(F.VM_ENTRY_CONTROLS, 0x11ff);
  v.write32(F.EXCEPTION_BITMAP, 1 << 14);
  assert.equal(v.pinControls, 0x16);
  assert.equal(v.procControls, 0x0401e172);
  assert.equal(v.procControls2, 0, "secondary controls inactive without primary bit 31");
  v.write32(F.CPU_BASED_VM_EXEC_CONTROL, 0x8401e172);
  assert.equal(v.procControls2, 0x2);
  assert.equal(v.exitControls, 0x36dff);
  assert.equal(v.entryControls, 0x11ff);
  assert.equal(v.exceptionBitmap, 1 << 14);
  v.instructionError = 12;
  assert.equal(v.read32(F.VM_INSTRUCTION_ERROR), 12);
  v.exitReason = 0x80000021;
  assert.equal(v.read32(F.VM_EXIT_REASON), 0x80000021);
  v.writeNumber(F.EPT_POINTER, 0x12_3456_701e);
  assert.equal(v.readU64(F.EPT_POINTER), 0x12_3456_701e);
  assert.equal(v.readLo(F.EPT_POINTER), 0x3456701e);
  assert.equal(v.readHi(F.EPT_POINTER), 0x12);
  v.writeNumber(F.HOST_RSP, -16);
  assert.equal(v.readLinear(F.HOST_RSP), -16);
  assert.equal(v.readHi(F.HOST_RSP), 0xffffffff);
  v.write16(F.HOST_CS_SELECTOR, 0x10008);
  assert.equal(v.read16(F.HOST_CS_SELECTOR), 0x8);
  v.write64(F.VMCS_LINK_POINTER, 0xffffffff, 0xffffffff);
  assert.equal(v.view.getUint32(fieldOffset(F.VMCS_LINK_POINTER) + 4, true), 0xffffffff);
  assert.throws(() => v.read32(0x7777), RangeError);
});
