import assert from "node:assert/strict";
import { layoutFingerprint, VMCS12_REVISION_ID } from "./layout.ts";

/**
 * Every layout ever released, by revision id. Changing the layout (the field
 * table, its order, or the packing) changes the fingerprint: add a new entry
 * with a new VMCS12_REVISION_ID; never edit an existing one.
 */
const RELEASED: ReadonlyArray<readonly [revision: number, fingerprint: number]> = [
  [0x4e560001, 0x863dcb22],
];

Deno.test("vmcs12 layout is pinned to its revision id", () => {
  const entry = RELEASED.find(([rev]) => rev === VMCS12_REVISION_ID);
  assert.ok(entry, "VMCS12_REVISION_ID changed: record its layout fingerprint in RELEASED");
  assert.equal(
    layoutFingerprint(),
    entry[1],
    "the vmcs12 layout changed: bump VMCS12_REVISION_ID and add it to RELEASED",
  );
});

Deno.test("released revision ids and fingerprints are unique, bit 31 clear", () => {
  assert.equal(new Set(RELEASED.map(([r]) => r)).size, RELEASED.length);
  assert.equal(new Set(RELEASED.map(([, f]) => f)).size, RELEASED.length);
  for (const [r] of RELEASED) assert.equal(r & 0x80000000, 0);
});
