import assert from "node:assert/strict";
import { PhysicalMemory } from "./physical.ts";
import { assertNoPins, PinLeakError } from "./testing.ts";
import type { IoHandler } from "../core/plugin.ts";

function ram(mib = 1): PhysicalMemory {
  const m = new PhysicalMemory();
  assert.equal(m.addRam(0, mib << 20).ok, true);
  return m;
}

/** An MMIO handler recording calls. */
function recorder(readValue = 0x11223344): { h: IoHandler; log: string[] } {
  const log: string[] = [];
  return {
    log,
    h: {
      read(off, size) {
        log.push(`r ${off} ${size}`);
        return readValue;
      },
      write(off, size, v) {
        log.push(`w ${off} ${size} ${v.toString(16)}`);
      },
    },
  };
}

Deno.test("RAM: little-endian reads and writes of 1, 2, 4, 8 bytes", () => {
  const m = ram();
  m.write32(0x100, 0x44332211);
  assert.equal(m.read8(0x100), 0x11);
  assert.equal(m.read8(0x103), 0x44);
  assert.equal(m.read16(0x101), 0x3322);
  assert.equal(m.read32(0x100), 0x44332211);
  m.write16(0x200, 0xbeef);
  assert.equal(m.read16(0x200), 0xbeef);
  m.write8(0x300, 0x1ff);
  assert.equal(m.read8(0x300), 0xff);
  m.write64(0x400, 0x8877665544332211n);
  assert.equal(m.read64(0x400), 0x8877665544332211n);
  assert.equal(m.read32(0x404), 0x88776655);
  m.write(0x500, 4, 0xffffffff);
  assert.equal(m.read(0x500, 4), 0xffffffff);
  assert.equal(m.read(0x500, 2), 0xffff);
  assert.equal(m.read(0x500, 1), 0xff);
});

Deno.test("RAM: accesses crossing page and chunk boundaries", () => {
  const m = ram();
  m.write32(0xffe, 0xa1b2c3d4); // crosses 4 KiB page
  assert.equal(m.read32(0xffe), 0xa1b2c3d4);
  assert.equal(m.read16(0x1000), 0xa1b2);
  m.write32(0xfffe, 0x01020304); // crosses 64 KiB chunk
  assert.equal(m.read32(0xfffe), 0x01020304);
  assert.equal(m.read8(0x10000), 0x02);
  m.write16(0x1ffff, 0xcdab);
  assert.equal(m.read16(0x1ffff), 0xcdab);
  const bytes = new Uint8Array(10000).map((_, i) => i & 0xff);
  m.writeBytes(0x2ff0, bytes);
  assert.deepEqual(m.readBytes(0x2ff0, 10000), bytes);
});

Deno.test("RAM is allocated lazily: reads of untouched RAM are 0 and allocate nothing", () => {
  const m = new PhysicalMemory();
  assert.equal(m.addRam(0, 0xE000_0000).ok, true);
  assert.equal(m.addRam(0x1_0000_0000, 0x2000_0000).ok, true);
  assert.equal(m.ramSize, 0xE000_0000 + 0x2000_0000);
  assert.equal(m.read32(0x1234_5678), 0);
  assert.equal(m.read8(0x1_0000_1000), 0);
  assert.deepEqual(m.readBytes(0x9000, 4), new Uint8Array(4));
  assert.equal(m.ramFrame(0x12345, false), null);
  assert.equal(m.allocatedBytes, 0);
  m.write8(0x1234_5678, 1);
  assert.equal(m.allocatedBytes, 4096);
  m.write8(0x2000_0000, 1); // far away: one more page, not a chunk
  assert.equal(m.allocatedBytes, 8192);
  assert.equal(m.read8(0x1234_5678), 1);
});

Deno.test("RAM above 4 GiB works through every accessor", () => {
  const m = new PhysicalMemory();
  m.addRam(0x1_0000_0000, 1 << 20);
  m.write32(0x1_0000_0ffe, 0x12345678);
  assert.equal(m.read32(0x1_0000_0ffe), 0x12345678);
  assert.equal(m.read16(0x1_0000_1000), 0x1234);
  m.write64(0x1_0000_2000, 0x1122334455667788n);
  assert.equal(m.read64(0x1_0000_2000), 0x1122334455667788n);
  const f = m.ramFrame(0x100002, false)!;
  assert.equal(f[0], 0x88);
});

Deno.test("holes read all ones, drop writes and can be traced", () => {
  const m = ram();
  const seen: string[] = [];
  m.setHoleTrace((a, s, w, v) => seen.push(`${w ? "w" : "r"} ${a.toString(16)} ${s} ${v}`));
  assert.equal(m.read8(0x20_0000), 0xff);
  assert.equal(m.read16(0x20_0000), 0xffff);
  assert.equal(m.read32(0x20_0000), 0xffffffff);
  assert.equal(m.read64(0x20_0000), 0xffffffffffffffffn);
  m.write32(0x20_0000, 5);
  assert.equal(m.read32(0x20_0000), 0xffffffff);
  assert.equal(m.read32(-4), 0xffffffff);
  assert.equal(m.read8(2 ** 50), 0xff);
  assert.equal(m.read8(NaN), 0xff);
  assert.ok(seen.includes("w 200000 4 5"));
  assert.ok(seen.includes("r 200000 1 0"));
  // A read straddling RAM and a hole: RAM bytes then 0xff.
  m.write16(0xffffe, 0x0201);
  assert.equal(m.read32(0xffffe), 0xffff0201);
  m.setHoleTrace(null);
  const before = seen.length;
  m.read8(0x20_0000);
  assert.equal(seen.length, before);
});

Deno.test("ROM: reads its data, drops writes, no write frame", () => {
  const m = ram();
  const data = new Uint8Array([1, 2, 3, 4, 5]);
  const r = m.addRom(0xffff0000, data, "bios");
  assert.equal(r.ok, true);
  if (r.ok) assert.equal(r.region.size, 4096);
  assert.equal(m.read32(0xffff0000), 0x04030201);
  assert.equal(m.read8(0xffff0004), 5);
  assert.equal(m.read8(0xffff0005), 0);
  m.write8(0xffff0000, 0xee);
  m.write32(0xffff0000, 0xeeeeeeee);
  m.writeBytes(0xffff0001, new Uint8Array([9]));
  assert.equal(m.read8(0xffff0000), 1);
  assert.equal(m.read8(0xffff0001), 2);
  assert.equal(m.ramFrame(0xffff0, true), null);
  assert.equal(m.ramFrame(0xffff0, false)![0], 1);
  assert.deepEqual(m.getAndClearDirty(), []);
});

Deno.test("MMIO: aligned accesses reach the owner with offset and size", () => {
  const m = ram();
  const { h, log } = recorder(0xaabbccdd);
  const r = m.addMmio(0xfee00000, 0x1000, "lapic", h);
  assert.equal(r.ok, true);
  assert.equal(m.read32(0xfee00020), 0xaabbccdd);
  assert.equal(m.read16(0xfee00022), 0xccdd); // value masked to size
  assert.equal(m.read8(0xfee00023), 0xdd);
  m.write32(0xfee000b0, 0x12345678);
  m.write16(0xfee00010, 0x1ffff);
  assert.deepEqual(log, ["r 32 4", "r 34 2", "r 35 1", "w 176 4 12345678", "w 16 2 ffff"]);
});

Deno.test("MMIO: 8-byte accesses become two 4-byte ones; unaligned ones become bytes", () => {
  const m = ram();
  const { h, log } = recorder(0x01);
  m.addMmio(0xfec00000, 0x20, "ioapic", h);
  assert.equal(m.read64(0xfec00010), 0x0000000100000001n);
  assert.deepEqual(log.splice(0), ["r 16 4", "r 20 4"]);
  m.write64(0xfec00000, 0x1122334455667788n);
  assert.deepEqual(log.splice(0), ["w 0 4 55667788", "w 4 4 11223344"]);
  m.write32(0xfec00001, 0xaabbccdd);
  assert.deepEqual(log.splice(0), ["w 1 1 dd", "w 2 1 cc", "w 3 1 bb", "w 4 1 aa"]);
  assert.equal(m.read16(0xfec00003), 0x0101);
  assert.deepEqual(log.splice(0), ["r 3 1", "r 4 1"]);
  // Crossing the end of the region: in-range bytes to the owner, the rest is hole.
  assert.equal(m.read32(0xfec0001e), 0xffff0101);
  assert.deepEqual(log.splice(0), ["r 30 1", "r 31 1"]);
  // The rest of the page outside the small region is a hole.
  assert.equal(m.read32(0xfec00100), 0xffffffff);
  m.write8(0xfec00100, 1);
  assert.deepEqual(log, []);
});

Deno.test("region map refusals: overlap, misaligned, out-of-range, not-found", () => {
  const m = ram();
  const o = m.addRam(0x80000, 0x1000, "extra");
  assert.deepEqual(o, {
    ok: false,
    error: { kind: "overlap", base: 0x80000, size: 0x1000, other: "ram" },
  });
  const mm = m.addMmio(0xfffff, 2, "dev", recorder().h);
  assert.equal(mm.ok, false);
  if (!mm.ok) assert.equal(mm.error.kind, "overlap");
  assert.deepEqual(m.addRam(0x200800, 0x1000), {
    ok: false,
    error: { kind: "misaligned", base: 0x200800, size: 0x1000 },
  });
  assert.deepEqual(m.addRam(0x200000, 100), {
    ok: false,
    error: { kind: "misaligned", base: 0x200000, size: 100 },
  });
  assert.equal((m.addMmio(0x300000, 0, "x", recorder().h) as { ok: boolean }).ok, false);
  assert.deepEqual(m.addRam(2 ** 43, 4096), {
    ok: false,
    error: { kind: "out-of-range", base: 2 ** 43, size: 4096 },
  });
  assert.deepEqual(m.addRam(-4096, 4096), {
    ok: false,
    error: { kind: "out-of-range", base: -4096, size: 4096 },
  });
  assert.deepEqual(m.removeRegion(999), { ok: false, error: { kind: "not-found", id: 999 } });
  assert.deepEqual(m.moveRegion(999, 0), { ok: false, error: { kind: "not-found", id: 999 } });
});

Deno.test("regions: remove and move (RAM moves with its contents; MMIO follows)", () => {
  const m = ram();
  const extra = m.addRam(0x400000, 0x2000, "extra");
  assert.ok(extra.ok);
  m.write32(0x401ffc, 0xcafe);
  const mv = m.moveRegion(extra.region.id, 0x800000);
  assert.equal(mv.ok, true);
  assert.equal(m.read32(0x801ffc), 0xcafe);
  assert.equal(m.read32(0x401ffc), 0xffffffff);
  const { h, log } = recorder(7);
  const dev = m.addMmio(0xfee00000, 0x400, "lapic", h);
  assert.ok(dev.ok);
  assert.equal(m.moveRegion(dev.region.id, 0x800000).ok, false); // overlaps "extra"
  assert.equal(m.moveRegion(dev.region.id, 0xfed00000).ok, true);
  assert.equal(m.read32(0xfed00004), 7);
  assert.equal(m.read32(0xfee00004), 0xffffffff);
  assert.deepEqual(log, ["r 4 4"]);
  assert.deepEqual(m.regionAt(0xfed00010)?.name, "lapic");
  assert.equal(m.removeRegion(dev.region.id).ok, true);
  assert.equal(m.read32(0xfed00004), 0xffffffff);
  assert.equal(m.removeRegion(mv.ok ? mv.region.id : -1).ok, true);
  assert.equal(m.read32(0x801ffc), 0xffffffff);
  assert.deepEqual(m.regions().map((r) => r.name), ["ram"]);
  assert.equal(m.ramSize, 1 << 20);
});

Deno.test("pin: a live view of the page, reference counted and listed", () => {
  const m = ram();
  m.write32(0x3008, 0x01020304);
  const a = m.pin(0x3010, "vmx", "vmcs12");
  const b = m.pin(0x3000, "cpu0", "vmxon");
  assert.ok(a.ok && b.ok);
  assert.equal(a.page.gpa, 0x3000);
  assert.equal(a.page.view.getUint32(8, true), 0x01020304);
  a.page.view.setUint32(16, 0xfeedface, true);
  assert.equal(m.read32(0x3010), 0xfeedface);
  m.write8(0x3000, 0x5a);
  assert.equal(b.page.bytes[0], 0x5a);
  assert.equal(m.pinCount(0x3fff), 2);
  assert.deepEqual(m.pins(), [
    { gpa: 0x3000, holder: "cpu0", purpose: "vmxon" },
    { gpa: 0x3000, holder: "vmx", purpose: "vmcs12" },
  ]);
  assert.throws(() => assertNoPins(m), PinLeakError);
  assert.equal(m.release(a.page, { dirty: false }), true);
  assert.equal(m.release(a.page, { dirty: false }), false); // double release
  assert.equal(m.pinCount(0x3000), 1);
  assert.equal(m.release(b.page, { dirty: false }), true);
  assertNoPins(m);
  assertNoPins({ memory: m });
});

Deno.test("pin: error values for holes, ROM, MMIO and out-of-range addresses", () => {
  const m = ram();
  m.addRom(0xffff0000, new Uint8Array(4096), "bios");
  m.addMmio(0xfee00000, 0x1000, "lapic", recorder().h);
  assert.deepEqual(m.pin(0x200000, "x", "y"), {
    ok: false,
    error: { kind: "unbacked", gpa: 0x200000 },
  });
  assert.deepEqual(m.pin(0xffff0010, "x", "y"), {
    ok: false,
    error: { kind: "unbacked", gpa: 0xffff0010 },
  });
  assert.deepEqual(m.pin(0xfee00300, "x", "y"), {
    ok: false,
    error: { kind: "mmio", gpa: 0xfee00300, owner: "lapic" },
  });
  for (const bad of [-1, 2 ** 43, 2 ** 52, NaN, 1.5]) {
    const r = m.pin(bad, "x", "y");
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.kind, "out-of-range");
  }
  assert.deepEqual(m.pins(), []);
});

Deno.test("pinned pages block removing or moving their region, naming holders", () => {
  const m = ram();
  const extra = m.addRam(0x400000, 0x4000, "extra");
  assert.ok(extra.ok);
  const p1 = m.pin(0x401000, "vmx", "vmcs12");
  const p2 = m.pin(0x402000, "virtio", "ring");
  assert.ok(p1.ok && p2.ok);
  const rm = m.removeRegion(extra.region.id);
  assert.equal(rm.ok, false);
  if (!rm.ok && rm.error.kind === "pinned") {
    assert.deepEqual(rm.error.holders, ["virtio", "vmx"]);
    assert.match(rm.error.message, /virtio, vmx/);
  } else assert.fail("expected a pinned error");
  const mv = m.moveRegion(extra.region.id, 0x800000);
  assert.equal(mv.ok, false);
  if (!mv.ok) assert.equal(mv.error.kind, "pinned");
  m.release(p1.page, { dirty: false });
  m.release(p2.page, { dirty: true });
  assert.equal(m.removeRegion(extra.region.id).ok, true);
});

Deno.test("assertNoPins rejects objects that cannot list pins", () => {
  assert.throws(() => assertNoPins({} as never), TypeError);
  const m = ram();
  const r = m.pin(0, "cpu1", "vmxon");
  assert.ok(r.ok);
  assert.throws(() => assertNoPins({ memory: m }), /cpu1 @0x0 \(vmxon\)/);
});

Deno.test("releaseAll drops a holder's pins; touchedFrames lists written RAM pages", () => {
  const m = ram(4);
  m.addRom(0xffff0000, new Uint8Array([1]), "bios");
  const a = m.pin(0x1000, "cpu0", "vmxon");
  const b = m.pin(0x2000, "cpu0", "vmcs12");
  const c = m.pin(0x2000, "vmx", "vmcs12");
  assert.ok(a.ok && b.ok && c.ok);
  m.getAndClearDirty();
  assert.equal(m.releaseAll("cpu0", { dirty: true }), 2);
  assert.deepEqual(m.pins(), [{ gpa: 0x2000, holder: "vmx", purpose: "vmcs12" }]);
  assert.deepEqual(m.getAndClearDirty(), [1, 2]);
  assert.equal(m.releaseAll("nobody", { dirty: false }), 0);
  m.write8(0x3f_f000, 1);
  m.read8(0x20_0000);
  assert.deepEqual(m.touchedFrames(), [1, 2, 0x3ff]); // pinned pages have storage; ROM excluded
});
