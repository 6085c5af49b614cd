import assert from "node:assert/strict";
import { PhysicalMemory } from "./physical.ts";

function ram(mib = 8): PhysicalMemory {
  const m = new PhysicalMemory();
  assert.equal(m.addRam(0, mib << 20).ok, true);
  return m;
}

Deno.test("dirty log: every write path marks pages; get-and-clear returns sorted page numbers", () => {
  const m = ram();
  assert.equal(m.dirtyLogEnabled, true);
  m.write8(0x5000, 1);
  m.write16(0x3ffe, 1); // inside page 3
  m.write32(0x1ffe, 0x01010101); // crosses pages 1 and 2
  m.writeBytes(0x8000, new Uint8Array(0x2001)); // pages 8, 9, 10
  m.write64(0x20000, 1n);
  m.write(0x21000, 4, 1);
  assert.deepEqual(m.getAndClearDirty(), [1, 2, 3, 5, 8, 9, 10, 0x20, 0x21]);
  assert.deepEqual(m.getAndClearDirty(), []);
  // Fast-path writes after a harvest are logged again.
  m.write8(0x5001, 2);
  m.write32(0x5004, 2);
  assert.deepEqual(m.getAndClearDirty(), [5]);
  // Reads do not dirty.
  m.read32(0x6000);
  m.readBytes(0x6000, 100);
  assert.deepEqual(m.getAndClearDirty(), []);
  assert.equal(m.isDirty(5), false);
  m.write8(0x7000, 1);
  assert.equal(m.isDirty(7), true);
});

Deno.test("dirty log: pinned-page releases mark only when dirty", () => {
  const m = ram();
  const a = m.pin(0x4000, "vmx", "vmcs12");
  assert.ok(a.ok);
  a.page.bytes[0] = 9; // through the view: not seen until release
  assert.deepEqual(m.getAndClearDirty(), []);
  m.release(a.page, { dirty: true });
  assert.deepEqual(m.getAndClearDirty(), [4]);
  const b = m.pin(0x6000, "vmx", "vmcs12");
  assert.ok(b.ok);
  m.release(b.page, { dirty: false });
  assert.deepEqual(m.getAndClearDirty(), []);
});

Deno.test("dirty log: write views mark at hand-out and are revoked by a harvest", () => {
  const m = ram();
  const revoked: string[] = [];
  m.onFrameInvalidate((f, w) => revoked.push(`${f} ${w}`));
  assert.equal(m.ramFrame(9, false), null); // never written: no view, no allocation
  const v = m.ramFrame(9, true)!;
  assert.equal(v.length, 4096);
  assert.equal(m.ramFrame(9, true), v); // cached: same object
  assert.equal(m.ramFrame(9, false), v);
  v[5] = 7;
  assert.equal(m.read8(0x9005), 7);
  assert.deepEqual(m.getAndClearDirty(), [9]);
  assert.deepEqual(revoked, ["-1 true"]);
  assert.equal(m.getAndClearDirty().length, 0);
  assert.deepEqual(revoked, ["-1 true"]); // nothing outstanding: no second revocation
  m.ramFrame(9, true);
  assert.deepEqual(m.getAndClearDirty(), [9]);
});

Deno.test("dirty log: disable discards and stops logging; enable starts empty", () => {
  const m = ram();
  m.write8(0x1000, 1);
  m.disableDirtyLog();
  assert.equal(m.dirtyLogEnabled, false);
  m.write8(0x2000, 1);
  m.ramFrame(3, true);
  assert.deepEqual(m.getAndClearDirty(), []);
  m.enableDirtyLog();
  assert.deepEqual(m.getAndClearDirty(), []);
  m.write8(0x2000, 1);
  assert.deepEqual(m.getAndClearDirty(), [2]);
  const quiet = new PhysicalMemory({ dirtyLog: false });
  quiet.addRam(0, 1 << 20);
  quiet.write8(0, 1);
  assert.deepEqual(quiet.getAndClearDirty(), []);
});

Deno.test("dirty log: MMIO, ROM and hole writes are not RAM and are not logged", () => {
  const m = ram();
  m.addRom(0xffff0000, new Uint8Array(16), "bios");
  m.addMmio(0xfee00000, 0x1000, "lapic", { read: () => 0, write: () => {} });
  m.write32(0xffff0000, 1);
  m.write32(0xfee00000, 1);
  m.write32(0xc0000000, 1);
  assert.deepEqual(m.getAndClearDirty(), []);
});

Deno.test("code marks: any write path notifies once and clears the mark", () => {
  const m = ram();
  const hits: number[] = [];
  const off = m.onCodeWrite((f) => hits.push(f));
  const paths: Array<[string, () => void]> = [
    ["write8", () => m.write8(0x10000, 1)],
    ["write16", () => m.write16(0x10ffe, 1)],
    ["write32 crossing", () => m.write32(0x10ffe, 1)],
    ["writeBytes", () => m.writeBytes(0x10010, new Uint8Array(3))],
    ["write64", () => m.write64(0x10020, 5n)],
    ["ramFrame(write)", () => m.ramFrame(0x10, true)],
    ["pin release dirty", () => {
      const p = m.pin(0x10000, "vmx", "x");
      assert.ok(p.ok);
      m.release(p.page, { dirty: true });
    }],
  ];
  for (const [name, write] of paths) {
    m.markCode(0x10);
    assert.equal(m.isCode(0x10), true, name);
    hits.length = 0;
    write();
    assert.deepEqual(hits, [0x10], name);
    assert.equal(m.isCode(0x10), false, name);
    write();
    assert.deepEqual(hits, [0x10], `${name}: only once`);
  }
  // A clean release does not notify.
  m.markCode(0x10);
  hits.length = 0;
  const p = m.pin(0x10000, "vmx", "x");
  assert.ok(p.ok);
  m.release(p.page, { dirty: false });
  assert.deepEqual(hits, []);
  // Reads do not notify.
  m.read32(0x10000);
  m.ramFrame(0x10, false);
  assert.deepEqual(hits, []);
  off();
  m.write8(0x10000, 1);
  assert.deepEqual(hits, []);
});

Deno.test("code marks: marking revokes a write view handed out earlier", () => {
  const m = ram();
  const revoked: string[] = [];
  m.onFrameInvalidate((f, w) => revoked.push(`${f} ${w}`));
  m.ramFrame(0x20, true);
  m.markCode(0x20);
  assert.deepEqual(revoked, ["32 true"]);
  m.markCode(0x21); // no view outstanding
  assert.deepEqual(revoked, ["32 true"]);
  // Marks on non-RAM frames are ignored.
  m.markCode(0xfffff);
  assert.equal(m.isCode(0xfffff), false);
});

Deno.test("code marks: removing or moving a region notifies and revokes all views", () => {
  const m = ram();
  const extra = m.addRam(0x1000000, 0x10000, "extra");
  assert.ok(extra.ok);
  const hits: number[] = [];
  const revoked: string[] = [];
  m.onCodeWrite((f) => hits.push(f));
  m.onFrameInvalidate((f, w) => revoked.push(`${f} ${w}`));
  m.write8(0x1002000, 1);
  m.markCode(0x1002);
  m.markCode(0x1003);
  assert.equal(m.moveRegion(extra.region.id, 0x2000000).ok, true);
  assert.deepEqual(hits, [0x1002, 0x1003]);
  assert.ok(revoked.includes("-1 false"));
  assert.equal(m.read8(0x2002000), 1);
  m.markCode(0x2002);
  hits.length = 0;
  assert.equal(m.removeRegion(extra.region.id).ok, true);
  assert.deepEqual(hits, [0x2002]);
});
