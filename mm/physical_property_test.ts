/**
 * Property test: PhysicalMemory against a plain byte-array model over a
 * small address space with RAM, ROM, an MMIO register file and holes:
 * every read of any size at any alignment returns what the model says,
 * and the dirty log is exactly the set of RAM pages written since the last
 * harvest (writes through frame views included).
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { PhysicalMemory } from "./physical.ts";
import { fuzzRuns } from "../tests/fuzz_scale.ts";

const RAM_END = 0x6000; // RAM [0, 0x6000)
const ROM_BASE = 0x8000; // ROM [0x8000, 0x9000)
const MMIO_BASE = 0x9100; // 0x40-byte MMIO register file
const MMIO_SIZE = 0x40;
const SPACE = 0xa000; // [0x9000,0x9100) and beyond MMIO up to 0xa000: holes

type Op =
  | { op: "w"; addr: number; size: 1 | 2 | 4; value: number }
  | { op: "r"; addr: number; size: 1 | 2 | 4 }
  | { op: "bytes"; addr: number; data: number[] }
  | { op: "view"; frame: number; off: number; value: number }
  | { op: "harvest" };

const addrArb = fc.oneof(
  fc.integer({ min: 0, max: SPACE - 1 }),
  fc.constantFrom(0xffe, 0xfff, 0x5ffe, 0x7fff, 0x8ffe, 0x90fe, 0x913e, 0x913f, 0x9140),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("w" as const),
    addr: addrArb,
    size: fc.constantFrom(1 as const, 2 as const, 4 as const),
    value: fc.nat(0xffffffff),
  }),
  fc.record({
    op: fc.constant("r" as const),
    addr: addrArb,
    size: fc.constantFrom(1 as const, 2 as const, 4 as const),
  }),
  fc.record({
    op: fc.constant("bytes" as const),
    addr: addrArb,
    data: fc.array(fc.nat(255), { maxLength: 40 }),
  }),
  fc.record({
    op: fc.constant("view" as const),
    frame: fc.nat(5),
    off: fc.nat(4095),
    value: fc.nat(255),
  }),
  fc.record({ op: fc.constant("harvest" as const) }),
);

function check(ops: Op[]): void {
  const mem = new PhysicalMemory();
  mem.addRam(0, RAM_END);
  const romData = new Uint8Array(0x1000).map((_, i) => (i * 7) & 0xff);
  mem.addRom(ROM_BASE, romData);
  const regs = new Uint8Array(MMIO_SIZE);
  mem.addMmio(MMIO_BASE, MMIO_SIZE, "regs", {
    read(off, size) {
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + regs[off + i];
      return v;
    },
    write(off, size, value) {
      for (let i = 0; i < size; i++) regs[off + i] = (value >>> (8 * i)) & 0xff;
    },
  });
  const ram = new Uint8Array(RAM_END);
  const dirty = new Set<number>();
  const modelRead = (a: number): number => {
    if (a < RAM_END) return ram[a];
    if (a >= ROM_BASE && a < ROM_BASE + 0x1000) return romData[a - ROM_BASE];
    if (a >= MMIO_BASE && a < MMIO_BASE + MMIO_SIZE) return regs[a - MMIO_BASE];
    return 0xff;
  };
  const modelWrite = (a: number, b: number): void => {
    if (a < RAM_END) {
      ram[a] = b;
      dirty.add(Math.floor(a / 4096));
    }
    // ROM and holes drop writes; MMIO bytes are written by the handler itself.
  };
  for (const o of ops) {
    switch (o.op) {
      case "w": {
        mem.write(o.addr, o.size, o.value);
        for (let i = 0; i < o.size; i++) modelWrite(o.addr + i, (o.value >>> (8 * i)) & 0xff);
        break;
      }
      case "r": {
        let want = 0;
        for (let i = o.size - 1; i >= 0; i--) want = want * 256 + modelRead(o.addr + i);
        assert.equal(mem.read(o.addr, o.size), want, JSON.stringify(o));
        break;
      }
      case "bytes":
        mem.writeBytes(o.addr, new Uint8Array(o.data));
        o.data.forEach((b, i) => modelWrite(o.addr + i, b));
        assert.deepEqual(
          [...mem.readBytes(o.addr, o.data.length)],
          o.data.map((_, i) => modelRead(o.addr + i)),
        );
        break;
      case "view": {
        const v = mem.ramFrame(o.frame, true)!;
        v[o.off] = o.value;
        modelWrite(o.frame * 4096 + o.off, o.value);
        break;
      }
      case "harvest":
        assert.deepEqual(mem.getAndClearDirty(), [...dirty].sort((a, b) => a - b));
        dirty.clear();
        break;
    }
  }
  assert.deepEqual(mem.getAndClearDirty(), [...dirty].sort((a, b) => a - b));
  assert.deepEqual([...mem.readBytes(0, RAM_END)], [...ram]);
}

Deno.test("property: PhysicalMemory matches a byte-array model; dirty log is exact", () => {
  fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), check), {
    seed: 0xc0ffee,
    numRuns: fuzzRuns(500),
  });
});
