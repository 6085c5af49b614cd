/**
 * Tests: a full flush empties every entry, whether it clears only the
 * entries filled since the last flush or (after many fills) the whole TLB.
 */

import assert from "node:assert/strict";
import { Tlb } from "./tlb.ts";
import { PERM_READ, PERM_WRITE } from "./paging_types.ts";

const frameBytes = new Uint8Array(4096);
/** The rights a write walk grants: read and write, every class. */
const RW = PERM_READ | PERM_WRITE;

function assertEmpty(t: Tlb): void {
  assert.equal(t.count(), 0);
  for (let i = 0; i < t.size; i++) {
    assert.ok(Number.isNaN(t.wTag[i]), `wTag[${i}]`);
    assert.ok(Number.isNaN(t.rTag[i]), `rTag[${i}]`);
    assert.equal(t.perm[i], 0, `perm[${i}]`);
    assert.ok(Number.isNaN(t.frame[i]), `frame[${i}]`);
    assert.equal(t.flags[i], 0, `flags[${i}]`);
  }
}

Deno.test("flushAll empties entries filled, replaced and refilled since the last flush", () => {
  const t = new Tlb(64);
  t.fill(0x1000, 1, frameBytes, RW, true, 12);
  t.fill(0x5000, 5, frameBytes, PERM_READ, false, 21);
  // Same index as 0x1000 (64 entries): replaces it.
  t.fill(0x41000, 0x41, frameBytes, RW, false, 12);
  t.flushPage(0x5000, true);
  t.fill(0x5000, 6, frameBytes, RW, false, 12);
  assert.equal(t.count(), 2);
  t.flushAll();
  assertEmpty(t);
  // Flushing again, and filling after a flush, still work.
  t.flushAll();
  t.fill(0x2000, 2, frameBytes, RW, false, 12);
  assert.equal(t.lookup(2), 2);
  t.flushAll();
  assertEmpty(t);
  assert.equal(t.lookup(2), -1);
});

Deno.test("flushAll empties the TLB after more fills than it has entries", () => {
  const t = new Tlb(16);
  for (let k = 0; k < 40; k++) {
    t.fill(k * 0x1000, k, frameBytes, RW, k % 3 === 0, 12);
    if (k % 5 === 0) t.flushPage(k * 0x1000, true);
  }
  assert.ok(t.count() > 0);
  t.flushAll();
  assertEmpty(t);
  // Global entries go too, and the large/global bookkeeping is reset:
  // flushNonGlobal with no global entry left empties everything.
  t.fill(0x3000, 3, frameBytes, RW, false, 12);
  t.flushNonGlobal();
  assertEmpty(t);
});

Deno.test("dropWrites and revokeFrame reach every slot of the frame (aliases too), and only those", () => {
  const t = new Tlb(64);
  const wrote = (lin: number) => t.wTag[(lin >>> 12) & t.mask] === lin;
  const cached = (lin: number) => t.lookup(lin / 4096) >= 0;
  // Frame 7 at three linear pages, frame 8 at one; a slot refilled with
  // another frame leaves frame 7's chain; a killed slot leaves it too.
  for (const lin of [0x1000, 0x2000, 0x3000]) t.fill(lin, 7, frameBytes, RW, false, 12);
  t.fill(0x4000, 8, frameBytes, RW, false, 12);
  t.fill(0x5000, 7, frameBytes, RW, false, 12);
  t.fill(0x5000, 9, frameBytes, RW, false, 12); // same slot, frame 9 now
  t.flushPage(0x3000, true);
  t.fill(0x43000, 7, frameBytes, RW, false, 12); // slot of 0x3000 again, frame 7
  t.dropWrites(7);
  for (const lin of [0x1000, 0x2000, 0x43000]) {
    assert.equal(wrote(lin), false, `no write right at 0x${lin.toString(16)}`);
    assert.ok(cached(lin), "the read right stays");
    assert.equal(t.perm[(lin >>> 12) & t.mask] & PERM_WRITE, 0);
  }
  assert.ok(wrote(0x4000) && wrote(0x5000), "other frames keep theirs");
  t.revokeFrame(7, false);
  for (const lin of [0x1000, 0x2000, 0x43000]) assert.equal(cached(lin), false);
  assert.ok(cached(0x4000) && cached(0x5000));
  t.revokeFrame(9, false);
  assert.equal(cached(0x5000), false);
  assert.ok(cached(0x4000));
  // After a full flush the chains start over.
  t.flushAll();
  t.fill(0x6000, 8, frameBytes, RW, false, 12);
  t.dropWrites(8);
  assert.equal(wrote(0x6000), false);
  assertEmpty((t.flushAll(), t));
});
