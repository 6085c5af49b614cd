import assert from "node:assert/strict";
import {
  ArrayMemory,
  describeLoadError,
  type LoadError,
  loadMultiboot,
  type LoadResult,
} from "../boot/mod.ts";
import { makeAout, makeElf, mbHeader, pattern } from "./loader_fixtures.ts";

const MiB = 1024 * 1024;

function expectError(r: LoadResult, kind: LoadError["kind"]): LoadError {
  assert.equal(r.ok, false, "expected a load error");
  if (r.ok) throw new Error("unreachable");
  assert.equal(r.error.kind, kind, describeLoadError(r.error));
  assert.ok(describeLoadError(r.error).length > 10);
  return r.error;
}

function expectOk(r: LoadResult): Extract<LoadResult, { ok: true }> {
  if (!r.ok) assert.fail(`unexpected error: ${describeLoadError(r.error)}`);
  return r;
}

function u32(m: ArrayMemory, a: number): number {
  return m.read(a, 4);
}

function cstring(m: ArrayMemory, a: number): string {
  let s = "";
  for (let i = a; m.bytes[i] !== 0; i++) s += String.fromCharCode(m.bytes[i]);
  return s;
}

Deno.test("ELF32 kernel: segments loaded by paddr, BSS zeroed, entry state per spec", () => {
  const mem = new ArrayMemory(16 * MiB);
  mem.bytes.fill(0xcc, 0x100000, 0x300000); // stale garbage that BSS must clear
  const code = pattern(0x200, 3);
  const data = pattern(0x40, 9);
  const img = makeElf({
    bits: 32,
    entry: 0x100010n,
    mbFlags: 3,
    segments: [
      { paddr: 0x100000, data: code },
      { paddr: 0x101000, data, memsz: 0x180000 },
    ],
  });
  const r = expectOk(loadMultiboot(img, mem));
  assert.equal(r.layout.format, "elf32");
  assert.deepEqual(mem.bytes.subarray(0x100000, 0x100200), code);
  assert.deepEqual(mem.bytes.subarray(0x101000, 0x101040), data);
  assert.ok(mem.bytes.subarray(0x101040, 0x281000).every((b) => b === 0), "BSS zeroed");
  const e = r.entry;
  assert.equal(e.mode, "protected32");
  assert.equal(e.rip, 0x100010);
  assert.equal(e.gprs[0], 0x2badb002);
  assert.equal(e.gprs[3], r.layout.infoAddr);
  assert.equal(e.cr0 & 0x80000001, 1, "PE on, PG off");
  assert.equal(e.rflags & 0x20200, 0, "IF=0 VM=0");
  assert.equal(e.efer, 0);
  for (const i of [0, 2, 3, 4, 5]) {
    assert.equal(e.segs[i].base, 0);
    assert.equal(e.segs[i].limit, 0xffffffff);
    assert.equal(e.segs[i].attrs, 0xc093);
  }
  assert.equal(e.segs[1].attrs, 0xc09b);
  assert.equal(e.segs[1].limit, 0xffffffff);
  // The GDT named by GDTR has matching descriptors at CS and DS.
  assert.equal(e.gdtr.limit, 23);
  assert.equal(u32(mem, e.gdtr.base + e.segs[1].selector + 4), 0x00cf9a00);
  assert.equal(u32(mem, e.gdtr.base + e.segs[3].selector + 4), 0x00cf9200);
  // info lies after the kernel, page aligned.
  assert.equal(r.layout.infoAddr % 4096, 0);
  assert.ok(r.layout.infoAddr >= 0x281000);
});

Deno.test("multiboot info: flags, memory, mmap, cmdline, loader name, modules", () => {
  const mem = new ArrayMemory(32 * MiB);
  const img = makeElf({
    bits: 32,
    entry: 0x100000n,
    mbFlags: 3,
    segments: [{ paddr: 0x100000, data: pattern(0x1000) }],
  });
  const m0 = pattern(5000, 1);
  const m1 = pattern(10, 2);
  const r = expectOk(
    loadMultiboot(img, mem, {
      cmdline: "console=ttyS0 quiet",
      modules: [{ name: "initrd.img", data: m0 }, { name: "second arg=1", data: m1 }],
    }),
  );
  const mbi = r.layout.infoAddr;
  const flags = u32(mem, mbi);
  assert.equal(flags & 0x24d, 0x24d, "mem, cmdline, mods, mmap, loader name");
  assert.equal(u32(mem, mbi + 4), 639);
  assert.equal(u32(mem, mbi + 8), (32 * MiB - MiB) / 1024);
  assert.equal(cstring(mem, u32(mem, mbi + 16)), "console=ttyS0 quiet");
  assert.equal(cstring(mem, u32(mem, mbi + 64)), "nestvm");
  assert.equal(u32(mem, mbi + 20), 2);
  const mods = u32(mem, mbi + 24);
  const s0 = u32(mem, mods), e0 = u32(mem, mods + 4);
  const s1 = u32(mem, mods + 16), e1 = u32(mem, mods + 20);
  assert.equal(s0 % 4096, 0);
  assert.equal(s1 % 4096, 0);
  assert.equal(e0 - s0, 5000);
  assert.equal(e1 - s1, 10);
  assert.ok(s0 >= 0x101000 && s1 >= e0);
  assert.deepEqual(mem.bytes.subarray(s0, e0), m0);
  assert.deepEqual(mem.bytes.subarray(s1, e1), m1);
  assert.equal(cstring(mem, u32(mem, mods + 8)), "initrd.img");
  assert.equal(cstring(mem, u32(mem, mods + 24)), "second arg=1");
  // memory map: entries of size 20, RAM at 0 and at 1 MiB.
  const len = u32(mem, mbi + 44);
  const addr = u32(mem, mbi + 48);
  const entries: [number, number, number][] = [];
  for (let p = addr; p < addr + len; p += u32(mem, p) + 4) {
    entries.push([Number(mem.read64(p + 4)), Number(mem.read64(p + 12)), u32(mem, p + 20)]);
  }
  assert.deepEqual(entries[0], [0, 0x9fc00, 1]);
  assert.ok(entries.some(([b, l, t]) => b === MiB && l === 31 * MiB && t === 1));
  assert.ok(entries.some(([b, _l, t]) => b === 0xf0000 && t === 2));
});

Deno.test("ELF64 image with a high-half virtual entry is loaded by paddr", () => {
  const mem = new ArrayMemory(8 * MiB);
  const img = makeElf({
    bits: 64,
    entry: 0xffffffff80100020n,
    mbFlags: 0,
    segments: [{ paddr: 0x100000, vaddr: 0xffffffff80100000n, data: pattern(64), memsz: 0x3000 }],
  });
  const r = expectOk(loadMultiboot(img, mem));
  assert.equal(r.layout.format, "elf64");
  assert.equal(r.entry.rip, 0x100020);
  assert.deepEqual(mem.bytes.subarray(0x100000, 0x100040), pattern(64));
});

Deno.test("ELF32 container holding x86-64 code (EM_X86_64) loads", () => {
  const mem = new ArrayMemory(4 * MiB);
  const img = makeElf({
    bits: 32,
    machine: 62,
    entry: 0x200000n,
    segments: [{ paddr: 0x200000, data: pattern(32) }],
  });
  expectOk(loadMultiboot(img, mem));
});

Deno.test("a.out kludge: load range, bss, entry", () => {
  const mem = new ArrayMemory(4 * MiB);
  mem.bytes.fill(0xee, 0x100000, 0x110000);
  const body = pattern(0x100, 5);
  const img = makeAout({
    prefix: 16,
    headerAddr: 0x100010,
    loadAddr: 0x100000,
    loadEndAddr: 0x100000 + 16 + 32 + 0x100,
    bssEndAddr: 0x108000,
    entryAddr: 0x100030,
    body,
  });
  const r = expectOk(loadMultiboot(img, mem));
  assert.equal(r.layout.format, "aout-kludge");
  assert.equal(r.entry.rip, 0x100030);
  assert.deepEqual(mem.bytes.subarray(0x100000, 0x100000 + img.length), img);
  assert.ok(mem.bytes.subarray(0x100000 + img.length, 0x108000).every((b) => b === 0));
  assert.equal(r.layout.infoAddr, 0x108000, "info follows bss_end");
  assert.equal(mem.bytes[0x10a000], 0xee, "nothing written past the info block");
  // load_end_addr = 0 loads to the end of the file.
  const mem2 = new ArrayMemory(4 * MiB);
  const r2 = expectOk(loadMultiboot(
    makeAout({
      prefix: 0,
      headerAddr: 0x100000,
      loadAddr: 0x100000,
      loadEndAddr: 0,
      bssEndAddr: 0,
      entryAddr: 0x100020,
      body,
    }),
    mem2,
  ));
  assert.equal(r2.layout.ranges[0].size, 32 + 0x100);
});

const goodSeg = [{ paddr: 0x100000, data: pattern(16) }];

Deno.test("errors: empty, bad magic, magic beyond 8 KiB, bad checksum", () => {
  const mem = new ArrayMemory(4 * MiB);
  expectError(loadMultiboot(new Uint8Array(0), mem), "empty-image");
  expectError(loadMultiboot(pattern(4096), mem), "bad-magic");
  const far = new Uint8Array(9000);
  far.set(mbHeader(0), 8192);
  expectError(loadMultiboot(far, mem), "bad-magic");
  const img = makeElf({ bits: 32, entry: 0x100000n, segments: goodSeg, mbChecksum: 0x1234 });
  const e = expectError(loadMultiboot(img, mem), "bad-checksum");
  assert.equal(e.kind === "bad-checksum" && e.checksum, 0x1234);
});

Deno.test("errors: truncated header, truncated a.out fields, unsupported flags", () => {
  const mem = new ArrayMemory(4 * MiB);
  const t = new Uint8Array(8);
  new DataView(t.buffer).setUint32(0, 0x1badb002, true);
  expectError(loadMultiboot(t, mem), "truncated");
  const aout = mbHeader(0x10000).subarray(0, 12);
  expectError(loadMultiboot(aout, mem), "truncated");
  const img = makeElf({ bits: 32, entry: 0x100000n, segments: goodSeg, mbFlags: 0x8 });
  const e = expectError(loadMultiboot(img, mem), "unsupported-header-flags");
  assert.equal(e.kind === "unsupported-header-flags" && e.unsupported, 0x8);
});

Deno.test("errors: not ELF, ELF class/encoding/machine/type, truncated program headers", () => {
  const mem = new ArrayMemory(4 * MiB);
  expectError(loadMultiboot(mbHeader(0), mem), "not-elf");
  const base = () => makeElf({ bits: 32, entry: 0x100000n, segments: goodSeg });
  let img = base();
  img[4] = 3;
  expectError(loadMultiboot(img, mem), "unsupported-elf-class");
  img = base();
  img[5] = 2;
  expectError(loadMultiboot(img, mem), "unsupported-elf-encoding");
  img = makeElf({ bits: 32, machine: 40, entry: 0x100000n, segments: goodSeg });
  expectError(loadMultiboot(img, mem), "unsupported-elf-machine");
  img = makeElf({ bits: 64, machine: 3, entry: 0x100000n, segments: goodSeg });
  expectError(loadMultiboot(img, mem), "unsupported-elf-machine");
  img = base();
  img[16] = 3; // ET_DYN
  expectError(loadMultiboot(img, mem), "unsupported-elf-type");
  img = base();
  new DataView(img.buffer).setUint16(44, 200, true); // phnum beyond file
  expectError(loadMultiboot(img, mem), "truncated");
  img = makeElf({ bits: 32, entry: 0x100000n, segments: [] });
  expectError(loadMultiboot(img, mem), "no-loadable-segments");
  // ELF header itself cut short (keep the multiboot header by cutting an ELF64 one).
  const e64 = makeElf({ bits: 64, entry: 0x100000n, segments: goodSeg });
  const cut = new Uint8Array(60);
  cut.set(e64.subarray(0, 60));
  cut.set(mbHeader(0), 40);
  expectError(loadMultiboot(cut, mem), "truncated");
});

Deno.test("errors: segment outside file, filesz > memsz, outside memory, overlap", () => {
  const mem = new ArrayMemory(4 * MiB);
  let img = makeElf({ bits: 32, entry: 0x100000n, segments: goodSeg });
  new DataView(img.buffer).setUint32(52 + 16, 1 << 20, true); // p_filesz huge
  new DataView(img.buffer).setUint32(52 + 20, 1 << 21, true);
  expectError(loadMultiboot(img, mem), "segment-outside-file");
  img = makeElf({
    bits: 32,
    entry: 0x100000n,
    segments: [{ paddr: 0x100000, data: pattern(16), memsz: 8 }],
  });
  expectError(loadMultiboot(img, mem), "bad-segment");
  img = makeElf({
    bits: 32,
    entry: 0x3ff000n,
    segments: [{ paddr: 0x3ff000, data: pattern(16), memsz: 0x2000 }],
  });
  const e = expectError(loadMultiboot(img, mem), "outside-memory");
  assert.equal(e.kind === "outside-memory" && e.what, "ELF segment 0");
  img = makeElf({
    bits: 32,
    entry: 0x100000n,
    segments: [{ paddr: 0x100000, data: pattern(0x100) }, { paddr: 0x100080, data: pattern(16) }],
  });
  const o = expectError(loadMultiboot(img, mem), "overlap");
  assert.equal(o.kind === "overlap" && o.addr, 0x100080);
});

Deno.test("errors: entry outside image, a.out address inconsistencies", () => {
  const mem = new ArrayMemory(4 * MiB);
  const img = makeElf({ bits: 32, entry: 0x200000n, segments: goodSeg });
  expectError(loadMultiboot(img, mem), "entry-outside-image");
  const body = pattern(64);
  const a = {
    prefix: 0,
    headerAddr: 0x100000,
    loadAddr: 0x100000,
    loadEndAddr: 0,
    bssEndAddr: 0,
    entryAddr: 0x100000,
    body,
  };
  expectError(loadMultiboot(makeAout({ ...a, loadAddr: 0x100010 }), mem), "bad-aout-addresses");
  expectError(loadMultiboot(makeAout({ ...a, headerAddr: 0x100100 }), mem), "bad-aout-addresses");
  expectError(loadMultiboot(makeAout({ ...a, loadEndAddr: 0xff000 }), mem), "bad-aout-addresses");
  expectError(loadMultiboot(makeAout({ ...a, loadEndAddr: 0x101000 }), mem), "truncated");
  expectError(loadMultiboot(makeAout({ ...a, bssEndAddr: 0x100010 }), mem), "bad-aout-addresses");
  expectError(loadMultiboot(makeAout({ ...a, entryAddr: 0x100060 }), mem), "entry-outside-image");
  expectError(
    loadMultiboot(
      makeAout({ ...a, loadAddr: 0x3ffff0, headerAddr: 0x3ffff0, entryAddr: 0x3ffff0 }),
      mem,
    ),
    "outside-memory",
  );
});

Deno.test("errors: overlapping modules, module over the kernel, module outside memory", () => {
  const img = makeElf({
    bits: 32,
    entry: 0x100000n,
    segments: [{ paddr: 0x100000, data: pattern(0x2000) }],
  });
  const mem = new ArrayMemory(4 * MiB);
  const o = expectError(
    loadMultiboot(img, mem, {
      modules: [
        { name: "a", data: pattern(0x2000), addr: 0x200000 },
        { name: "b", data: pattern(16), addr: 0x201000 },
      ],
    }),
    "overlap",
  );
  assert.ok(o.kind === "overlap" && o.first === "module 1 (b)" && o.second === "module 0 (a)");
  expectError(
    loadMultiboot(img, mem, { modules: [{ name: "k", data: pattern(16), addr: 0x101000 }] }),
    "overlap",
  );
  expectError(
    loadMultiboot(img, mem, { modules: [{ name: "big", data: new Uint8Array(4 * MiB) }] }),
    "outside-memory",
  );
  // nothing was written by a failed load
  assert.equal(mem.bytes[0x100000], 0);
});

Deno.test("info block falls back to low memory when the kernel ends at the top of RAM", () => {
  const mem = new ArrayMemory(2 * MiB);
  const img = makeElf({
    bits: 32,
    entry: 0x100000n,
    segments: [{ paddr: 0x100000, data: pattern(16), memsz: MiB }],
  });
  const r = expectOk(loadMultiboot(img, mem, { cmdline: "low" }));
  assert.equal(r.layout.infoAddr, 0x1000);
  assert.equal(cstring(mem, u32(mem, 0x1000 + 16)), "low");
  // and a kernel that also covers low memory leaves no room at all
  const img2 = makeElf({
    bits: 32,
    entry: 0x100000n,
    segments: [{ paddr: 0, data: pattern(16), memsz: 2 * MiB }],
  });
  expectError(loadMultiboot(img2, new ArrayMemory(2 * MiB)), "overlap");
});

Deno.test("a header that would straddle the 8 KiB boundary is not a header", () => {
  const img = new Uint8Array(9000);
  img.set(mbHeader(0), 8188);
  expectError(loadMultiboot(img, new ArrayMemory(4 * MiB)), "bad-magic");
});
