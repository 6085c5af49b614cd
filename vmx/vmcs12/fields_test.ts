import assert from "node:assert/strict";
import {
  F,
  FIELD_TABLE,
  fieldIndex,
  FieldType,
  FieldWidth,
  fieldWidth,
  highHalf,
  isReadOnly,
  MAX_FIELD_INDEX,
} from "./fields.ts";
import { accessSize, fieldOffset, LAYOUT_END, OFF_FIELDS, VMCS12_SIZE } from "./layout.ts";

Deno.test("field table: encodings are unique, full-access, without reserved bits", () => {
  const seen = new Set<number>();
  for (const f of FIELD_TABLE) {
    assert.ok(!seen.has(f.encoding), `duplicate 0x${f.encoding.toString(16)}`);
    seen.add(f.encoding);
    assert.equal(f.encoding & 1, 0, `${f.name} must be a full-access encoding`);
    assert.equal(f.encoding & ~0x6ffe, 0, `${f.name} has reserved bits set`);
  }
  assert.equal(FIELD_TABLE.length, Object.keys(F).length);
});

Deno.test("field table: widths and types follow the encoding bits", () => {
  const byName = new Map(FIELD_TABLE.map((f) => [f.name, f]));
  assert.equal(byName.get("VIRTUAL_PROCESSOR_ID")!.width, FieldWidth.W16);
  assert.equal(byName.get("IO_BITMAP_A")!.width, FieldWidth.W64);
  assert.equal(byName.get("PIN_BASED_VM_EXEC_CONTROL")!.width, FieldWidth.W32);
  assert.equal(byName.get("GUEST_RIP")!.width, FieldWidth.Natural);
  assert.equal(byName.get("VM_EXIT_REASON")!.type, FieldType.ExitInfo);
  assert.equal(byName.get("HOST_RIP")!.type, FieldType.Host);
  assert.equal(byName.get("GUEST_CR0")!.type, FieldType.Guest);
  for (const f of FIELD_TABLE) {
    assert.equal(f.size, [2, 8, 4, 8][fieldWidth(f.encoding)], f.name);
  }
});

Deno.test("field table: the SDM encodings of well-known fields", () => {
  assert.equal(F.VM_INSTRUCTION_ERROR, 0x4400);
  assert.equal(F.EXIT_QUALIFICATION, 0x6400);
  assert.equal(F.GUEST_PHYSICAL_ADDRESS, 0x2400);
  assert.equal(F.VMCS_LINK_POINTER, 0x2800);
  assert.equal(F.EPT_POINTER, 0x201a);
  assert.equal(F.SECONDARY_VM_EXEC_CONTROL, 0x401e);
  assert.equal(F.VMX_PREEMPTION_TIMER_VALUE, 0x482e);
  assert.equal(F.HOST_RIP, 0x6c16);
  assert.equal(F.GUEST_SYSENTER_EIP, 0x6826);
});

Deno.test("field table: read-only fields are exactly the exit-information type", () => {
  const ro = FIELD_TABLE.filter((f) => isReadOnly(f.encoding)).map((f) => f.name).sort();
  assert.deepEqual(ro, [
    "EXIT_QUALIFICATION",
    "GUEST_LINEAR_ADDRESS",
    "GUEST_PHYSICAL_ADDRESS",
    "IDT_VECTORING_ERROR_CODE",
    "IDT_VECTORING_INFO",
    "IO_RCX",
    "IO_RDI",
    "IO_RIP",
    "IO_RSI",
    "VMX_INSTRUCTION_INFO",
    "VM_EXIT_INSTRUCTION_LEN",
    "VM_EXIT_INTR_ERROR_CODE",
    "VM_EXIT_INTR_INFO",
    "VM_EXIT_REASON",
    "VM_INSTRUCTION_ERROR",
  ]);
});

Deno.test("field table: MAX_FIELD_INDEX is the highest index in the table", () => {
  assert.equal(MAX_FIELD_INDEX, fieldIndex(F.TSC_MULTIPLIER));
  assert.equal(MAX_FIELD_INDEX, 0x19);
  for (const f of FIELD_TABLE) assert.ok(fieldIndex(f.encoding) <= MAX_FIELD_INDEX);
});

Deno.test("layout: fields do not overlap and fit in the region after the header", () => {
  const used = new Uint8Array(VMCS12_SIZE);
  for (const f of FIELD_TABLE) {
    const off = fieldOffset(f.encoding);
    assert.ok(off >= OFF_FIELDS && off + f.size <= LAYOUT_END, f.name);
    assert.equal(off % f.size, 0, `${f.name} is naturally aligned`);
    for (let i = 0; i < f.size; i++) {
      assert.equal(used[off + i], 0, `${f.name} overlaps`);
      used[off + i] = 1;
    }
  }
  assert.ok(LAYOUT_END <= VMCS12_SIZE);
});

Deno.test("layout: high-half encodings exist only for 64-bit fields", () => {
  for (const f of FIELD_TABLE) {
    const hi = highHalf(f.encoding);
    if (f.width === FieldWidth.W64) {
      assert.equal(fieldOffset(hi), fieldOffset(f.encoding) + 4, f.name);
      assert.equal(accessSize(hi), 4);
    } else {
      assert.equal(fieldOffset(hi), -1, `${f.name} high`);
      assert.equal(accessSize(hi), 0);
    }
  }
});

Deno.test("layout: unsupported and out-of-range encodings map to -1", () => {
  for (const e of [0x0006, 0x2030, 0x6000 | 0x1000, 0x8000, 0x10000, -1, 0xffffffff, 1.5, NaN]) {
    assert.equal(fieldOffset(e), -1, String(e));
    assert.equal(accessSize(e), 0, String(e));
  }
});
