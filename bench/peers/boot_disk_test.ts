import assert from "node:assert/strict";
import { bootDisk, CYLINDER_BYTES } from "./boot_disk.ts";

function loader(sectors: number): Uint8Array {
  const l = new Uint8Array(sectors * 512).fill(0x90);
  l[510] = 0x55;
  l[511] = 0xaa;
  return l;
}

Deno.test("bootDisk: loader, parameter sector (magic, ELF size, command line), ELF, whole cylinders", () => {
  const elf = new Uint8Array(1000).map((_, i) => i & 0xff);
  const r = bootDisk(loader(3), elf, "iterations=42");
  if (!r.ok) assert.fail(r.error);
  assert.equal(r.image.length % CYLINDER_BYTES, 0);
  assert.equal(r.cylinders, 1);
  assert.deepEqual(r.image.subarray(0, 3 * 512), loader(3));
  const params = new DataView(r.image.buffer, 3 * 512, 512);
  assert.equal(params.getUint32(0, true), 0x424d564e);
  assert.equal(new TextDecoder().decode(r.image.subarray(3 * 512, 3 * 512 + 4)), "NVMB");
  assert.equal(params.getUint32(4, true), 1000);
  const line = r.image.subarray(3 * 512 + 16, 3 * 512 + 16 + 14);
  assert.equal(new TextDecoder().decode(line), "iterations=42\0");
  assert.deepEqual(r.image.subarray(4 * 512, 4 * 512 + 1000), elf);
});

Deno.test("bootDisk: a disk larger than one cylinder gets more cylinders", () => {
  const r = bootDisk(loader(1), new Uint8Array(CYLINDER_BYTES), "");
  if (!r.ok) assert.fail(r.error);
  assert.equal(r.cylinders, 2);
  assert.equal(r.image.length, 2 * CYLINDER_BYTES);
});

Deno.test("bootDisk: refuses what the loader cannot take", () => {
  const cases: [Uint8Array, Uint8Array, string, RegExp][] = [
    [new Uint8Array(100), new Uint8Array(10), "", /whole sectors/],
    [new Uint8Array(512), new Uint8Array(10), "", /boot signature/],
    [loader(1), new Uint8Array(512 * 1024 + 1), "", /at most/],
    [loader(1), new Uint8Array(10), "x".repeat(496), /command line/],
    [loader(1), new Uint8Array(10), "a\0b", /command line/],
  ];
  for (const [l, elf, cmd, why] of cases) {
    const r = bootDisk(l, elf, cmd);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, why);
  }
});
