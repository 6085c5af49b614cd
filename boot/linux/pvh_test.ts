import assert from "node:assert/strict";
import { ArrayMemory } from "../array_memory.ts";
import { describeLoadError } from "../errors.ts";
import {
  findPvhEntry,
  loadPvh,
  PVH_CMDLINE_ADDR,
  PVH_START_INFO_ADDR,
  PVH_START_MAGIC,
} from "./pvh.ts";
import { fixturePvhElf } from "./testing.ts";

const MiB = 1024 * 1024;

Deno.test("pvh: the entry comes from the Xen PHYS32_ENTRY note; other owners and no note: none", () => {
  assert.equal(findPvhEntry(fixturePvhElf({ entry: 0x100010 })), 0x100010);
  assert.equal(findPvhEntry(fixturePvhElf({ entry: null })), null);
  assert.equal(findPvhEntry(fixturePvhElf({ owner: "Lnx" })), null);
  assert.equal(findPvhEntry(new Uint8Array(10)), null);
});

Deno.test("pvh: start_info (v1) with command line, initrd module and memory map; 32-bit entry", () => {
  const mem = new ArrayMemory(32 * MiB);
  const r = loadPvh(fixturePvhElf({ code: [0x90, 0xf4] }), mem, {
    cmdline: "console=ttyS0",
    initrd: new Uint8Array(5000).fill(9),
  });
  assert.ok(r.ok, r.ok ? "" : describeLoadError(r.error));
  const e = r.entry;
  assert.equal(e.mode, "protected32");
  assert.equal(e.rip, 0x100000);
  assert.equal(e.gprs[3], PVH_START_INFO_ADDR); // EBX
  assert.equal(e.cr0 & 0x80000001, 1, "PE on, paging off");
  assert.deepEqual([e.segs[7].limit, e.segs[7].attrs, e.segs[7].base], [0x67, 0x8b, 0]);
  assert.equal(mem.read(0x100001, 1), 0xf4);
  assert.equal(mem.read(0x100000 + 0x1100, 4), 0, "BSS zeroed");
  const si = PVH_START_INFO_ADDR;
  assert.equal(mem.read(si, 4), PVH_START_MAGIC);
  assert.equal(mem.read(si + 4, 4), 1, "version 1: memory map present");
  assert.equal(mem.read(si + 12, 4), 1, "one module");
  assert.equal(mem.read(si + 24, 4), PVH_CMDLINE_ADDR);
  assert.equal(new TextDecoder().decode(mem.readBytes(PVH_CMDLINE_ADDR, 14)), "console=ttyS0\0");
  const mod = mem.read(si + 16, 4);
  const initrd = mem.read(mod, 4);
  assert.equal(mem.read(mod + 8, 4), 5000);
  assert.equal(initrd % 4096, 0);
  assert.ok(initrd + 5000 <= 32 * MiB && initrd + 5000 + 4096 > 32 * MiB);
  assert.equal(mem.read(initrd + 4999, 1), 9);
  const map = mem.read(si + 40, 4);
  const n = mem.read(si + 48, 4);
  const entries = [];
  for (let i = 0; i < n; i++) {
    entries.push([
      mem.read(map + 24 * i, 4),
      mem.read(map + 24 * i + 8, 4),
      mem.read(map + 24 * i + 16, 4),
    ]);
  }
  assert.deepEqual(entries, [[0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xe0000, 0x20000, 2], [
    0x100000,
    31 * MiB,
    1,
  ]]);
});

Deno.test("pvh: errors are clear and write nothing", () => {
  const cases: [Uint8Array, RegExp, Parameters<typeof loadPvh>[2]?][] = [
    [fixturePvhElf({ entry: null }), /no PVH entry note/],
    [fixturePvhElf({ entry: 0x300000 }), /entry point 0x300000 is outside/],
    [fixturePvhElf({ loadAddr: 0x2000000, entry: 0x2000000 }), /ELF segment 0 .* does not fit/],
    [fixturePvhElf(), /at most 2047/, { cmdline: "x".repeat(2048) }],
    [fixturePvhElf(), /initrd \(16777216 bytes\) does not fit/, {
      initrd: new Uint8Array(16 * MiB),
    }],
  ];
  for (const [image, re, opts] of cases) {
    const mem = new ArrayMemory(16 * MiB);
    const r = loadPvh(image, mem, opts);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(describeLoadError(r.error), re);
    assert.ok(mem.bytes.every((b) => b === 0), `memory written for ${re}`);
  }
});
