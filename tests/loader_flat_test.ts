import assert from "node:assert/strict";
import {
  applyEntryState,
  ArrayMemory,
  loadFlat,
  type LoadResult,
  parseAddress,
  parseLoadSpec,
} from "../boot/mod.ts";
import type { SegmentRegister, Vcpu } from "../core/vcpu.ts";
import { pattern } from "./loader_fixtures.ts";

const MiB = 1024 * 1024;

function ok(r: LoadResult): Extract<LoadResult, { ok: true }> {
  if (!r.ok) assert.fail(`unexpected error ${JSON.stringify(r.error)}`);
  return r;
}

Deno.test("flat real mode: CS:IP split, data segments zero", () => {
  const mem = new ArrayMemory(2 * MiB);
  const r = ok(
    loadFlat([{ addr: 0x7c00, data: pattern(512) }], mem, { entry: 0x7c00, mode: "real" }),
  );
  assert.equal(r.entry.segs[1].selector, 0);
  assert.equal(r.entry.rip, 0x7c00);
  assert.equal(r.entry.cr0 & 1, 0);
  const hi = ok(
    loadFlat([{ addr: 0x90000, data: pattern(16) }], mem, { entry: 0x90004, mode: "real" }),
  );
  assert.equal(hi.entry.segs[1].selector, 0x9000);
  assert.equal(hi.entry.segs[1].base, 0x90000);
  assert.equal(hi.entry.rip, 4);
  assert.deepEqual(mem.bytes.subarray(0x90000, 0x90010), pattern(16));
});

Deno.test("flat long64: GDT and identity page tables in guest memory", () => {
  const mem = new ArrayMemory(4 * MiB);
  const r = ok(
    loadFlat([{ addr: 0x100000, data: pattern(64) }], mem, {
      entry: 0x100000,
      mode: "long64",
      stack: 0x200000,
    }),
  );
  const e = r.entry;
  assert.equal(e.efer & 0x500, 0x500);
  assert.equal(e.cr4 & 0x20, 0x20);
  assert.equal(e.cr0 >>> 31, 1);
  assert.equal(e.segs[1].attrs, 0xa09b);
  assert.equal(e.gprs[4], 0x200000);
  // Walk the tables for linear 0x3fe00123 and 0xfee00000.
  const walk = (lin: number): number => {
    const pml4e = mem.read(e.cr3 + 8 * Math.floor(lin / 2 ** 39), 4);
    assert.equal(pml4e & 1, 1);
    const pdpt = pml4e & ~0xfff;
    const pdpte = mem.read(pdpt + 8 * (Math.floor(lin / 2 ** 30) & 511), 4);
    const pd = pdpte & ~0xfff;
    const pde = mem.read(pd + 8 * (Math.floor(lin / 2 ** 21) & 511), 4);
    assert.equal(pde & 0x83, 0x83);
    return (pde & ~0x1fffff) + (lin & 0x1fffff);
  };
  assert.equal(walk(0x3fe00123), 0x3fe00123);
  assert.equal(walk(0xfee00000) >>> 0, 0xfee00000);
  assert.equal(mem.read(e.gdtr.base + 12, 4), 0x00af9a00);
});

Deno.test("flat errors: entry outside, overlap with tables, outside memory, bad spec", () => {
  const mem = new ArrayMemory(2 * MiB);
  const f = [{ addr: 0x1000, data: pattern(16), name: "boot.bin" }];
  let r = loadFlat(f, mem, { entry: 0x5000, mode: "protected32" });
  assert.equal(!r.ok && r.error.kind, "entry-outside-image");
  r = loadFlat(f, mem, { entry: 0x1000, mode: "long64" });
  assert.equal(!r.ok && r.error.kind, "overlap");
  r = loadFlat([{ addr: 2 * MiB - 8, data: pattern(16) }], mem, {
    entry: 2 * MiB - 8,
    mode: "real",
  });
  assert.equal(!r.ok && r.error.kind, "outside-memory");
  r = loadFlat([{ addr: 0x100000, data: pattern(16) }], mem, { entry: 0x100000, mode: "real" });
  assert.equal(!r.ok && r.error.kind, "bad-option");
  assert.deepEqual(parseLoadSpec("0x7c00:boot.bin"), { ok: true, addr: 0x7c00, path: "boot.bin" });
  assert.equal(parseLoadSpec("boot.bin").ok, false);
  assert.equal(parseLoadSpec("0xzz:boot.bin").ok, false);
  assert.equal(parseAddress("1_048_576"), 1048576);
  assert.equal(parseAddress("-1"), null);
});

function fakeVcpu(): Vcpu & { changed: number } {
  const seg = (): SegmentRegister => ({ selector: 0xffff, base: 1, limit: 1, attrs: 0 });
  const v = {
    gpr: new Uint32Array(32).fill(0xdeadbeef),
    rip: 0,
    rflags: 0,
    cr0: 0,
    cr2: 5,
    cr3: 0,
    cr4: 0,
    cr8: 0,
    efer: 0,
    dr: new Float64Array(8),
    seg: [seg(), seg(), seg(), seg(), seg(), seg(), seg(), seg()],
    gdtr: { base: 0, limit: 0 },
    idtr: { base: 0, limit: 0 },
    cpl: 0,
    mode: "real",
    activity: "hlt",
    interruptibility: 3,
    retired: 0,
    nonRoot: false,
    changed: 0,
    stateChanged() {
      this.changed++;
    },
  };
  return v as unknown as Vcpu & { changed: number };
}

Deno.test("applyEntryState writes GPR halves, segments, CRs and calls stateChanged", () => {
  const mem = new ArrayMemory(4 * MiB);
  const r = ok(loadFlat([{ addr: 0x100000, data: pattern(64) }], mem, {
    entry: 0x100000,
    mode: "long64",
    stack: 0x1_2345_6000,
  }));
  const v = fakeVcpu();
  applyEntryState(v, r.entry);
  assert.equal(v.gpr[8], 0x23456000);
  assert.equal(v.gpr[9], 1);
  assert.equal(v.gpr[0], 0);
  assert.equal(v.gpr[1], 0);
  assert.equal(v.rip, 0x100000);
  assert.equal(v.efer, 0x500);
  assert.equal(v.cr3, r.entry.cr3);
  assert.equal(v.cr2, 0);
  assert.deepEqual(v.seg[1], { selector: 8, base: 0, limit: 0xffffffff, attrs: 0xa09b });
  assert.deepEqual(v.seg[3], { selector: 0x10, base: 0, limit: 0xffffffff, attrs: 0xc093 });
  assert.equal(v.gdtr.base, 0x1000);
  assert.equal(v.activity, "active");
  assert.equal(v.interruptibility, 0);
  assert.equal(v.changed, 1);
});

Deno.test("flat loader: long64 entry state has CR0 as an unsigned value (PG set)", async () => {
  const { loadFlat } = await import("../boot/flat.ts");
  const { ArrayMemory } = await import("../boot/array_memory.ts");
  const mem = new ArrayMemory(16 * 1024 * 1024);
  const r = loadFlat([{ addr: 0x100000, data: new Uint8Array([0xf4]) }], mem, {
    entry: 0x100000,
    mode: "long64",
  });
  if (!r.ok) throw new Error("load failed");
  if (r.entry.cr0 < 0 || (r.entry.cr0 & 0x80000001) >>> 0 !== 0x80000001) {
    throw new Error(`cr0 = ${r.entry.cr0}`);
  }
});
