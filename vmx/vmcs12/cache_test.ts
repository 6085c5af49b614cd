import assert from "node:assert/strict";
import { F, FIELD_TABLE, FieldType } from "./fields.ts";
import { fieldOffset, VMCS12_SIZE } from "./layout.ts";
import {
  checksStillPass,
  isCacheView,
  markStale,
  recordChecksPassed,
  touch,
  TRACKED,
  VMCS12_CACHE_SIZE,
} from "./cache.ts";
import { Vmcs12 } from "./vmcs12.ts";
import { gpa as toGpa, type PinnedPage } from "../../mm/types.ts";

function page(gpa = 0x5000): PinnedPage {
  const bytes = new Uint8Array(4096);
  return Object.freeze({
    gpa: toGpa(gpa),
    bytes,
    view: new DataView(bytes.buffer),
    holder: "test",
    purpose: "test",
  });
}

Deno.test("vmcs12 cache: every field a check may read is tracked; exit information, guest RIP and RSP are not", () => {
  for (const f of FIELD_TABLE) {
    const off = fieldOffset(f.encoding);
    const expected = f.type !== FieldType.ExitInfo && f.encoding !== F.GUEST_RIP &&
      f.encoding !== F.GUEST_RSP;
    for (let b = off; b < off + f.size; b++) {
      assert.equal(TRACKED[b] === 1, expected, `${f.name} byte ${b - off}`);
    }
  }
  // The header (revision, abort indicator, launch state) is checked on every entry.
  for (let b = 0; b < 16; b++) assert.equal(TRACKED[b], 0);
});

Deno.test("vmcs12 cache: a copy of the page, written back only on request", () => {
  const p = page();
  p.view.setUint32(0, 0x1234, true);
  const v = Vmcs12.cacheOf(p);
  assert.ok(v.cached);
  assert.equal(v.revisionWord, 0x1234);
  v.write32(F.GUEST_CR4, 0x2020);
  assert.equal(p.view.getUint32(fieldOffset(F.GUEST_CR4), true), 0, "not yet in memory");
  v.writeBack();
  assert.equal(p.view.getUint32(fieldOffset(F.GUEST_CR4), true), 0x2020);
  // The trailer never reaches memory (the page is exactly one region).
  assert.equal(v.bytes.length, VMCS12_SIZE);
  assert.equal(v.view.byteLength, VMCS12_CACHE_SIZE);
  // A live view writes through and has no trailer.
  const live = Vmcs12.fromPage(p);
  assert.ok(!live.cached);
  assert.ok(!isCacheView(live.view));
  live.write32(F.GUEST_CR0, 0x31);
  assert.equal(p.view.getUint32(fieldOffset(F.GUEST_CR0), true), 0x31);
});

Deno.test("vmcs12 cache: the checks memo holds until a tracked field changes or EFER.LMA differs", () => {
  const v = Vmcs12.cacheOf(page());
  const d = v.view;
  assert.ok(!checksStillPass(d, 1), "a fresh cache is stale");
  recordChecksPassed(d, 1);
  assert.ok(checksStillPass(d, 1));
  assert.ok(!checksStillPass(d, 0), "another host EFER.LMA");
  // Untracked writes keep the memo.
  v.vmwrite(F.GUEST_RIP, 0x1000, 0);
  v.vmwrite(F.GUEST_RSP, 0x2000, 0);
  v.vmwrite(F.VM_EXIT_REASON, 10, 0);
  v.instructionError = 12;
  v.launched = true;
  assert.ok(checksStillPass(d, 1));
  // Any tracked field, through any writer, invalidates it.
  for (
    const write of [
      () => v.vmwrite(F.GUEST_RFLAGS, 2, 0),
      () => v.write16(F.HOST_CS_SELECTOR, 8),
      () => v.write32(F.PIN_BASED_VM_EXEC_CONTROL, 0x16),
      () => v.write64(F.HOST_CR3, 0x3000, 0),
      () => v.writeNumber(F.VMCS_LINK_POINTER, -1),
      () => v.vmwrite(F.GUEST_PDPTE0 | 1, 1, 0), // a high half
      () => touch(d, fieldOffset(F.GUEST_CR0)),
      () => markStale(d),
    ]
  ) {
    recordChecksPassed(d, 1);
    write();
    assert.ok(!checksStillPass(d, 1));
  }
  // A plain view never claims a memo.
  const live = Vmcs12.fromPage(page());
  recordChecksPassed(live.view, 1);
  assert.ok(!checksStillPass(live.view, 1));
});
