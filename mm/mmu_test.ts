import assert from "node:assert/strict";
import { D, entryAddr, G, get64, map, P, RW, set64, setup, US } from "./fixture_test.ts";
import { Mmu } from "./mmu.ts";
import {
  ACCESS_EXEC,
  ACCESS_READ,
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_PG,
  CR0_WP,
  CR4_PAE,
  CR4_PCIDE,
  CR4_PGE,
  CR4_PKE,
  CR4_SMAP,
  EFER_LMA,
  FAULT_PAGE,
  PERM_READ,
} from "./paging_types.ts";
import { linearPage, Tlb } from "./tlb.ts";

const PE = 1;
const CR0 = CR0_PG | PE;
const EFER = EFER_LMA | (1 << 8);

/** What the CPU engine inlines (read). */
function fastRead(mmu: Mmu, lin: number): number {
  const t = mmu.tlb;
  const o = lin & 0xfff;
  const x = (lin >>> 12) & t.mask;
  return t.rTag[x] === lin - o ? t.rMem[x][o] : -1;
}

/** What the CPU engine inlines (write). */
function fastWrite(mmu: Mmu, lin: number, v: number): boolean {
  const t = mmu.tlb;
  const o = lin & 0xfff;
  const x = (lin >>> 12) & t.mask;
  if (t.wTag[x] !== lin - o) return false;
  t.wMem[x][o] = v;
  return true;
}

function world(cr4 = CR4_PAE) {
  const s = setup();
  const root = s.alloc();
  const mmu = new Mmu(s.mem);
  assert.equal(mmu.setControlRegisters(CR0, root, cr4, EFER), 0);
  return { ...s, root, mmu };
}

Deno.test("linearPage and TLB indexing handle canonical negative addresses", () => {
  assert.equal(linearPage(0x1234), 1);
  assert.equal(linearPage(-1), -1);
  assert.equal(linearPage(-(2 ** 47)), -(2 ** 35));
  assert.equal(linearPage(-(2 ** 47) + 0x1fff), -(2 ** 35) + 1);
  const t = new Tlb(64);
  t.fill(-1, 5, new Uint8Array(4096), PERM_READ, false, 12);
  assert.equal(t.lookup(-1), 63);
  assert.equal(t.lookup(63), -1);
  assert.equal(t.rTag[63], -4096);
  assert.ok(Number.isNaN(t.wTag[63]), "a read fill makes no write entry");
  assert.equal(new Tlb(100).size, 128);
});

Deno.test("Mmu.translate fills the TLB; hits then need no walk and give direct views", () => {
  const { mem, alloc, root, mmu } = world();
  map(mem, alloc, root, 0x40_0000, 0x9000, { flags: P | RW | US });
  mem.write8(0x9010, 0x5a);
  assert.equal(fastRead(mmu, 0x40_0010), -1);
  assert.equal(mmu.translate(0x40_0010, ACCESS_READ), 0x9010);
  assert.equal(fastRead(mmu, 0x40_0010), 0x5a);
  // Remove the mapping without a flush: the TLB still translates (as hardware).
  set64(mem, entryAddr(mem, root, 0x40_0000, 1), 0n);
  assert.equal(mmu.translate(0x40_0020, ACCESS_READ), 0x9020);
  mmu.invlpg(0x40_0000);
  assert.equal(mmu.translate(0x40_0020, ACCESS_READ), -1);
  assert.equal(mmu.result.fault, FAULT_PAGE);
  assert.equal(mmu.result.errorCode, 0);
  mmu.dispose();
});

Deno.test("first write to a clean page walks again and sets D; write views only after a write", () => {
  const { mem, alloc, root, mmu } = world();
  const leaf = map(mem, alloc, root, 0x1000, 0x9000, { flags: P | RW | US });
  mem.write8(0x9000, 1); // allocate
  assert.equal(mmu.translate(0x1000, ACCESS_READ), 0x9000);
  assert.equal(get64(mem, leaf) & D, 0n);
  assert.equal(fastWrite(mmu, 0x1000, 7), false); // no write entry from a read walk
  const i = mmu.tlb.lookup(1);
  assert.ok(Number.isNaN(mmu.tlb.wTag[i]));
  mem.getAndClearDirty();
  assert.equal(mmu.translate(0x1000, ACCESS_WRITE), 0x9000);
  assert.equal(get64(mem, leaf) & D, D);
  assert.equal(fastWrite(mmu, 0x1000, 7), true);
  assert.equal(mem.read8(0x9000), 7);
  assert.ok(mem.getAndClearDirty().includes(9));
  // The harvest revoked the write view: the next write goes through translate again.
  assert.equal(fastWrite(mmu, 0x1000, 8), false);
  assert.equal(fastRead(mmu, 0x1000), 7);
  assert.equal(mmu.translate(0x1000, ACCESS_WRITE), 0x9000); // TLB hit, view re-taken
  assert.equal(fastWrite(mmu, 0x1000, 8), true);
  assert.deepEqual(mem.getAndClearDirty(), [9]);
  mmu.dispose();
});

Deno.test("code marks revoke the TLB's write view of that frame only", () => {
  const { mem, alloc, root, mmu } = world();
  map(mem, alloc, root, 0x1000, 0x9000);
  map(mem, alloc, root, 0x2000, 0xa000);
  mmu.translate(0x1000, ACCESS_WRITE);
  mmu.translate(0x2000, ACCESS_WRITE);
  const hits: number[] = [];
  mem.onCodeWrite((f) => hits.push(f));
  mem.markCode(9);
  assert.equal(fastWrite(mmu, 0x1000, 1), false);
  assert.equal(fastWrite(mmu, 0x2000, 1), true);
  assert.notEqual(fastRead(mmu, 0x1000), -1); // reads stay direct
  assert.equal(mmu.translate(0x1000, ACCESS_WRITE), 0x9000);
  assert.deepEqual(hits, [9]);
  assert.equal(fastWrite(mmu, 0x1000, 1), true);
  mmu.dispose();
});

Deno.test("MMIO has no entry, untouched RAM is allocated on a read fill, ROM is read-only", () => {
  const { mem, alloc, root, mmu } = world();
  mem.addMmio(0xfee00000, 0x1000, "lapic", { read: () => 0x77, write: () => {} });
  mem.addRom(0xffff0000, new Uint8Array([0x90]), "bios");
  map(mem, alloc, root, 0x1000, 0x50_0000);
  map(mem, alloc, root, 0x2000, 0xfee00000);
  map(mem, alloc, root, 0x3000, 0xffff0000);
  const before = mem.allocatedBytes;
  assert.equal(mmu.translate(0x1000, ACCESS_READ), 0x50_0000);
  assert.equal(fastRead(mmu, 0x1000), 0); // untouched RAM: allocated so reads hit
  assert.equal(mem.allocatedBytes, before + 4096);
  mem.write8(0x50_0000, 3);
  assert.equal(fastRead(mmu, 0x1000), 3);
  assert.equal(mmu.translate(0x2000, ACCESS_WRITE), 0xfee00000);
  assert.equal(fastRead(mmu, 0x2000), -1);
  assert.equal(mmu.translate(0x3000, ACCESS_READ), 0xffff0000);
  assert.equal(fastRead(mmu, 0x3000), 0x90);
  assert.equal(mmu.translate(0x3000, ACCESS_WRITE), 0xffff0000);
  assert.equal(fastWrite(mmu, 0x3000, 0), false); // ROM never writable directly
  // Region changes drop every view.
  mem.addRam(0x6000_0000, 0x1000, "more");
  assert.equal(fastRead(mmu, 0x1000), -1);
  mmu.dispose();
});

Deno.test("CR3 writes flush non-global entries; CR4.PGE changes flush all", () => {
  const { mem, alloc, root, mmu } = world(CR4_PAE | CR4_PGE);
  map(mem, alloc, root, 0x1000, 0x9000, { flags: P | RW | US | G });
  map(mem, alloc, root, 0x2000, 0xa000);
  mmu.translate(0x1000, ACCESS_READ);
  mmu.translate(0x2000, ACCESS_READ);
  assert.equal(mmu.tlb.count(), 2);
  assert.equal(mmu.writeCr3(root), 0);
  assert.notEqual(mmu.tlb.lookup(1), -1);
  assert.equal(mmu.tlb.lookup(2), -1);
  assert.equal(mmu.writeCr4(CR4_PAE), 0);
  assert.equal(mmu.tlb.count(), 0);
  mmu.translate(0x1000, ACCESS_READ);
  assert.equal(mmu.writeCr3(root), 0);
  assert.equal(mmu.tlb.lookup(1), -1, "G without CR4.PGE is not global");
  // CR0.WP change flushes (permissions depend on it).
  mmu.translate(0x2000, ACCESS_READ);
  mmu.writeCr0(CR0 | CR0_WP);
  assert.equal(mmu.tlb.count(), 0);
  mmu.translate(0x2000, ACCESS_READ);
  mmu.writeCr4(CR4_PAE | CR4_SMAP);
  assert.equal(mmu.tlb.count(), 0);
  mmu.translate(0x2000, ACCESS_READ);
  mmu.writeCr0(PE); // paging off
  assert.equal(mmu.tlb.count(), 0);
  assert.equal(mmu.translate(0x2000, ACCESS_READ), 0x2000);
  mmu.dispose();
});

Deno.test("INVLPG drops global entries and every piece of a large page", () => {
  const { mem, alloc, root, mmu } = world(CR4_PAE | CR4_PGE);
  map(mem, alloc, root, 0x20_0000, 0x40_0000, { leaf: 2, flags: P | RW | G });
  map(mem, alloc, root, 0x1000, 0x9000, { flags: P | RW | G });
  mmu.translate(0x20_0000, ACCESS_READ);
  mmu.translate(0x3f_f000, ACCESS_READ);
  mmu.translate(0x1000, ACCESS_READ);
  assert.equal(mmu.tlb.count(), 3);
  mmu.invlpg(0x25_5555);
  assert.equal(mmu.tlb.lookup(0x200), -1);
  assert.equal(mmu.tlb.lookup(0x3ff), -1);
  assert.notEqual(mmu.tlb.lookup(1), -1);
  mmu.invlpg(0x1fff);
  assert.equal(mmu.tlb.count(), 0);
  mmu.dispose();
});

Deno.test("PCID: CR3 with no-flush keeps entries; switching PCID drops them; INVPCID types", () => {
  const { mem, alloc, root, mmu } = world(CR4_PAE | CR4_PGE | CR4_PCIDE);
  assert.equal(mmu.ctx.pcide, true);
  map(mem, alloc, root, 0x1000, 0x9000);
  map(mem, alloc, root, 0x2000, 0xa000, { flags: P | RW | US | G });
  const fillBoth = () => {
    mmu.translate(0x1000, ACCESS_READ);
    mmu.translate(0x2000, ACCESS_READ);
  };
  assert.equal(mmu.writeCr3(root | 1), 0); // PCID 1
  fillBoth();
  assert.equal(mmu.writeCr3(root | 1, true), 0); // same PCID, no flush
  assert.equal(mmu.tlb.count(), 2);
  assert.equal(mmu.writeCr3(root | 2, true), 0); // other PCID: its entries are not usable
  assert.equal(mmu.tlb.lookup(1), -1);
  assert.notEqual(mmu.tlb.lookup(2), -1);
  fillBoth();
  assert.equal(mmu.invpcid(0, 3, 0x1000), true); // other PCID: nothing of ours
  assert.equal(mmu.tlb.count(), 2);
  assert.equal(mmu.invpcid(0, 2, 0x2000), true); // global: kept by type 0
  assert.equal(mmu.tlb.count(), 2);
  assert.equal(mmu.invpcid(0, 2, 0x1000), true);
  assert.equal(mmu.tlb.lookup(1), -1);
  fillBoth();
  assert.equal(mmu.invpcid(1, 2, 0), true);
  assert.equal(mmu.tlb.lookup(1), -1);
  assert.notEqual(mmu.tlb.lookup(2), -1);
  fillBoth();
  assert.equal(mmu.invpcid(3, 0, 0), true);
  assert.equal(mmu.tlb.count(), 1);
  assert.equal(mmu.invpcid(2, 0, 0), true);
  assert.equal(mmu.tlb.count(), 0);
  assert.equal(mmu.invpcid(4, 0, 0), false);
  assert.equal(mmu.invpcid(1, 4096, 0), false);
  mmu.writeCr4(CR4_PAE);
  assert.equal(mmu.invpcid(1, 1, 0), false); // PCID != 0 with PCIDE = 0
  assert.equal(mmu.invpcid(1, 0, 0), true);
  mmu.dispose();
});

Deno.test("PAE: MOV CR3 with a bad PDPTE fails and changes nothing", () => {
  const s = setup();
  const pdpt = 0x3000;
  const pd = s.alloc();
  s.mem.write64(pdpt, BigInt(pd) | 1n);
  const mmu = new Mmu(s.mem);
  assert.equal(mmu.setControlRegisters(CR0, pdpt, CR4_PAE, 0), 0);
  const bad = 0x4000;
  s.mem.write64(bad + 16, 0x5000n | 1n | 4n);
  assert.equal(mmu.writeCr3(bad), 0b100);
  assert.equal(mmu.ctx.cr3, pdpt);
  assert.equal(mmu.ctx.pdpte[0], pd + 1);
  // Enabling PAE paging through CR0 with a bad table is refused too.
  const m2 = new Mmu(s.mem);
  m2.setControlRegisters(PE, bad, CR4_PAE, 0);
  assert.equal(m2.writeCr0(CR0), 0b100);
  assert.equal(m2.ctx.mode, 0);
  mmu.dispose();
  m2.dispose();
});

Deno.test("TLB permission checks: user/supervisor and read-only pages go to the walker", () => {
  const { mem, alloc, root, mmu } = world();
  map(mem, alloc, root, 0x1000, 0x9000, { flags: P | US }); // user RO
  map(mem, alloc, root, 0x2000, 0xa000, { flags: P | RW }); // supervisor
  mem.write8(0x9000, 1);
  mem.write8(0xa000, 1);
  assert.equal(mmu.translate(0x1000, ACCESS_USER), 0x9000);
  assert.notEqual(fastRead(mmu, 0x1000), -1);
  assert.equal(fastWrite(mmu, 0x1000, 1), false);
  assert.equal(mmu.translate(0x1000, ACCESS_USER | ACCESS_WRITE), -1);
  assert.equal(mmu.result.errorCode, 7);
  assert.equal(mmu.tlb.lookup(1), -1, "a page fault drops the page's entries (SDM 4.10.4.1)");
  assert.equal(mmu.translate(0x1000, ACCESS_USER), 0x9000);
  // Each access class has its view of the entries: the supervisor view
  // shows the user page too (a supervisor may read it without SMAP), the
  // user view never shows the supervisor page.
  assert.equal(mmu.translate(0x2000, ACCESS_WRITE), 0xa000);
  assert.notEqual(fastRead(mmu, 0x1000), -1);
  assert.equal(fastWrite(mmu, 0x1000, 1), false, "no write right from a read walk");
  assert.notEqual(fastRead(mmu, 0x2000), -1);
  assert.equal(mmu.translate(0x1000, ACCESS_USER), 0x9000, "user view");
  assert.equal(fastRead(mmu, 0x2000), -1, "no user view of the supervisor page");
  assert.equal(mmu.translate(0x2000, ACCESS_USER), -1);
  assert.equal(mmu.result.errorCode, 5);
  assert.equal(mmu.tlb.lookup(2), -1, "the page fault dropped the page's entries");
  assert.equal(mmu.translate(0x2000, ACCESS_USER | ACCESS_EXEC), -1);
  assert.equal(mmu.result.errorCode, 5);
  mmu.dispose();
});

Deno.test("a PKRU change drops the TLB entries filled under the old value; CR4.PKE flushes", () => {
  const { mem, alloc, root, mmu } = world(CR4_PAE | CR4_PKE);
  map(mem, alloc, root, 0x3000, 0x3000, { flags: P | RW | US | (3n << 59n) });
  assert.ok(mmu.translate(0x3000, ACCESS_USER | ACCESS_WRITE) >= 0);
  assert.ok(fastWrite(mmu, 0x3000, 1), "write entry filled");
  mmu.setPkru(0x80); // WD3
  assert.equal(fastWrite(mmu, 0x3000, 2), false, "the write entry is gone");
  assert.equal(mmu.translate(0x3000, ACCESS_USER | ACCESS_WRITE), -1);
  assert.equal(mmu.result.errorCode, 0x27);
  assert.ok(mmu.translate(0x3000, ACCESS_USER) >= 0, "reads stay allowed");
  mmu.setPkru(0x80); // same value: entries stay
  assert.equal(fastRead(mmu, 0x3000), 1);
  assert.equal(mmu.writeCr4(CR4_PAE), 0); // PKE off: the key no longer applies
  assert.equal(fastRead(mmu, 0x3000), -1);
  assert.ok(mmu.translate(0x3000, ACCESS_USER | ACCESS_WRITE) >= 0);
});
