import assert from "node:assert/strict";
import { eisaId, integer, nameSeg, pciRootAml, pciRootCrs, pkgLength } from "./aml.ts";

Deno.test("aml: PkgLength counts its own bytes, one byte up to 63, then a lead byte and more", () => {
  assert.deepEqual(pkgLength(0), [1]);
  assert.deepEqual(pkgLength(62), [63]);
  // 63 body bytes need two length bytes: total 65 = 0x41 -> lead 0x40 | 1, then 0x41 >> 4.
  assert.deepEqual(pkgLength(63), [0x41, 0x04]);
  assert.deepEqual(pkgLength(0x200), [0x42, 0x20]);
  // Past 4095 the lead byte says two more bytes follow.
  assert.deepEqual(pkgLength(5000), [0x8b, 0x38, 0x01]);
  assert.throws(() => pkgLength(1 << 28), RangeError);
});

Deno.test("aml: EISAID, NameSeg and integer constants", () => {
  // EISAID("PNP0A03") is the DWord 0x030AD041 (bytes 41 D0 0A 03).
  assert.deepEqual(eisaId("PNP0A03"), [0x0c, 0x41, 0xd0, 0x0a, 0x03]);
  assert.deepEqual(eisaId("PNP0B00"), [0x0c, 0x41, 0xd0, 0x0b, 0x00]);
  assert.throws(() => eisaId("pnp0a03"), RangeError);
  assert.deepEqual(nameSeg("_S5"), [0x5f, 0x53, 0x35, 0x5f]);
  assert.throws(() => nameSeg("TOOLONG"), RangeError);
  assert.deepEqual(integer(0), [0x00]);
  assert.deepEqual(integer(1), [0x01]);
  assert.deepEqual(integer(110), [0x0a, 110]);
  assert.deepEqual(integer(0x1234), [0x0b, 0x34, 0x12]);
  assert.deepEqual(integer(0x12345678), [0x0c, 0x78, 0x56, 0x34, 0x12]);
});

Deno.test("aml: the root bridge's _CRS descriptors, byte for byte where it matters", () => {
  const crs = pciRootCrs({ mmioStart: 0x20000000, mmioEnd: 0xfebfffff });
  assert.equal(crs.length, 16 + 8 + 16 + 16 + 26 + 26 + 2);
  // Word bus number descriptor: producer, min/max fixed, 0x00-0xFF, length 0x100.
  assert.deepEqual(crs.slice(0, 16), [
    0x88,
    13,
    0,
    2,
    0x0c,
    0,
    0,
    0,
    0,
    0,
    0xff,
    0,
    0,
    0,
    0,
    1,
  ]);
  // The configuration ports it consumes: I/O 0xCF8, 8 ports.
  assert.deepEqual(crs.slice(16, 24), [0x47, 1, 0xf8, 0x0c, 0xf8, 0x0c, 1, 8]);
  // The last DWord memory window: 0x20000000..0xFEBFFFFF, length 0xDEC00000.
  const last = crs.slice(crs.length - 28, crs.length - 2);
  const dv = new DataView(new Uint8Array(last).buffer);
  assert.equal(last[0], 0x87);
  assert.equal(dv.getUint32(10, true), 0x20000000);
  assert.equal(dv.getUint32(14, true), 0xfebfffff);
  assert.equal(dv.getUint32(22, true), 0xdec00000);
  assert.deepEqual(crs.slice(-2), [0x79, 0]);
});

Deno.test("aml: Scope(\\_SB) { Device(PCI0) } with consistent package lengths", () => {
  const aml = pciRootAml({ mmioStart: 0x8000000, mmioEnd: 0xfebfffff });
  assert.equal(aml[0], 0x10); // ScopeOp
  // The scope's PkgLength covers everything after the opcode.
  const [lead, next] = [aml[1], aml[2]];
  assert.equal(lead >> 6, 1);
  assert.equal((next << 4) | (lead & 0xf), aml.length - 1);
  assert.deepEqual([...aml.subarray(3, 8)], [0x5c, 0x5f, 0x53, 0x42, 0x5f]); // \_SB_
  assert.deepEqual([...aml.subarray(8, 10)], [0x5b, 0x82]); // DeviceOp
  const text = new TextDecoder().decode(aml);
  for (const name of ["PCI0", "_HID", "_UID", "_CRS"]) assert.ok(text.includes(name), name);
});
