/**
 * Bad images never crash the host: mutated and truncated kernel images
 * (random bytes, random cuts, random header fields) always give a
 * LoadResult value, and a failed load writes nothing to guest memory.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ArrayMemory, describeLoadError, loadMultiboot } from "../boot/mod.ts";
import { makeAout, makeElf, pattern } from "./loader_fixtures.ts";

const MiB = 1024 * 1024;
const seeds = [
  makeElf({
    bits: 32,
    entry: 0x100010n,
    mbFlags: 3,
    segments: [{ paddr: 0x100000, data: pattern(0x200) }, {
      paddr: 0x101000,
      data: pattern(64),
      memsz: 0x4000,
    }],
  }),
  makeElf({
    bits: 64,
    entry: 0x200000n,
    mbFlags: 0,
    segments: [{ paddr: 0x200000, data: pattern(0x100) }],
  }),
  makeAout({
    prefix: 32,
    headerAddr: 0x100020,
    loadAddr: 0x100000,
    loadEndAddr: 0,
    bssEndAddr: 0x110000,
    entryAddr: 0x100040,
    body: pattern(0x300),
  }),
];

Deno.test("mutated images always give a result value, never a host exception", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
      fc.option(fc.nat(), { nil: undefined }),
      (which, edits, cut) => {
        const img = seeds[which].slice();
        for (const [pos, byte] of edits) img[pos % img.length] = byte;
        const image = cut === undefined ? img : img.subarray(0, cut % (img.length + 1));
        const mem = new ArrayMemory(2 * MiB);
        const r = loadMultiboot(image, mem, { cmdline: "x" });
        if (r.ok) {
          assert.ok(r.entry.rip >= 0 && r.entry.rip <= 0xffffffff);
          for (const range of r.layout.ranges) assert.ok(range.addr + range.size <= mem.ramSize);
        } else {
          assert.equal(typeof describeLoadError(r.error), "string");
          assert.ok(mem.bytes.every((b) => b === 0), "a failed load writes nothing");
        }
      },
    ),
    { numRuns: 250 },
  );
});

Deno.test("random bytes are rejected with a specific error", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 9000 }), (bytes) => {
      const r = loadMultiboot(bytes, new ArrayMemory(MiB));
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(["empty-image", "bad-magic"].includes(r.error.kind));
    }),
    { numRuns: 200 },
  );
});
