import assert from "node:assert/strict";
import { MmioOwnerTable } from "./mmio_owners.ts";
import { PluginConflictError } from "./plugin.ts";

const h = { read: () => 0, write: () => {} };

Deno.test("mmio owners: claims, lookups, overlaps naming both, moves and removal", () => {
  const t = new MmioOwnerTable();
  const a = t.claim("a", 0x1000, 0x100, h);
  t.claim("b", 0x1100, 0x10, h); // adjacent, no overlap
  assert.equal(t.ownerAt(0x10ff), "a");
  assert.equal(t.ownerAt(0x1100), "b");
  assert.equal(t.ownerAt(0x1110), undefined);
  assert.equal(t.find("a", 0x1080), a);
  assert.equal(t.find("b", 0x1080), undefined);
  assert.throws(
    () => t.claim("c", 0x10f0, 0x20, h),
    (e: unknown) =>
      e instanceof PluginConflictError && /"a"/.test(e.message) && /"c"/.test(e.message),
  );
  assert.throws(() => t.move(a, 0x1108), PluginConflictError);
  assert.equal(a.base, 0x1000, "a refused move leaves the range where it was");
  t.move(a, 0x2000);
  assert.equal(t.ownerAt(0x2000), "a");
  assert.equal(t.ownerAt(0x1000), undefined);
  t.remove(a);
  assert.equal(t.ownerAt(0x2000), undefined);
  assert.throws(() => t.claim("d", -1, 1, h), RangeError);
  assert.throws(() => t.claim("d", 0, 0, h), RangeError);
});
