/**
 * The decoded-instruction cache's page switches: a page found again by
 * its linear address (`CodePageCache`) must give what a fresh translation
 * and lookup would, for the privilege class and after remaps.
 */
import assert from "node:assert/strict";
import { enter64, LAYOUT, load, makeCpu, type TestCpu } from "./testing.ts";
import { fetchInsn } from "./icache.ts";
import { CpuFault, Vec } from "./fault.ts";

/** A page table for the first 2 MiB (4 KiB pages, identity, user pages), so one page can differ. */
const PT = 0x13000;

function pagedCpu(): TestCpu {
  const t = makeCpu(8);
  enter64(t);
  t.mem.write32(LAYOUT.pd, PT | 7);
  for (let k = 0; k < 512; k++) t.mem.write32(PT + k * 8, k * 0x1000 + 7);
  t.cpu.flushTlb();
  return t;
}

/** Fetch at `rip` as the run loop does on a page switch. */
function fetchAt(t: TestCpu, rip: number) {
  t.cpu.rip = rip;
  t.cpu.ip0 = rip;
  return fetchInsn(t.cpu);
}

Deno.test("icache: a supervisor page fetched at CPL 0 still faults for a CPL 3 fetch", () => {
  const t = pagedCpu();
  t.mem.write32(PT + 0x101 * 8, 0x101000 | 3); // supervisor only
  t.cpu.flushTlb();
  load(t, "90", 0x101000);
  load(t, "90", 0x100000);
  assert.equal(fetchAt(t, 0x101000).len, 1);
  assert.equal(fetchAt(t, 0x100000).len, 1);
  assert.equal(fetchAt(t, 0x101000).len, 1, "found again at CPL 0");
  fetchAt(t, 0x100000);
  t.cpu.cpl = 3;
  assert.throws(
    () => fetchAt(t, 0x101000),
    (e) => e instanceof CpuFault && e.vector === Vec.PF,
    "a CPL 3 fetch from a supervisor page is a #PF",
  );
  assert.equal(fetchAt(t, 0x100000).len, 1, "the user page still runs at CPL 3");
});

Deno.test("icache: switching between pages gives each page's own instructions", () => {
  const t = pagedCpu();
  // Page 0x101000 holds a 5-byte MOV, page 0x100000 a 1-byte NOP at the same offset.
  load(t, "b801000000", 0x101010);
  load(t, "90", 0x100010);
  for (let k = 0; k < 3; k++) {
    assert.equal(fetchAt(t, 0x101010).len, 5);
    assert.equal(fetchAt(t, 0x100010).len, 1);
  }
  // Remap 0x101000 onto 0x100000's frame: INVLPG (here the MMU call and the
  // code-page drop the instruction makes) must make the next fetch see it.
  t.mem.write32(PT + 0x101 * 8, 0x100000 | 7);
  t.cpu.mmu.invlpg(0x101000);
  t.cpu.dropCodePage();
  assert.equal(fetchAt(t, 0x101010).len, 1, "the remapped page's instruction");
});

Deno.test("icache: a VM transition to other translations leaves the current code page", () => {
  const t = pagedCpu();
  // Another hierarchy for the same first 2 MiB, where linear 0x101000 maps frame 0x301000.
  const [PML4, PDPT, PD, PT2] = [0x20000, 0x21000, 0x22000, 0x23000];
  t.mem.write32(PML4, PDPT | 7);
  t.mem.write32(PDPT, PD | 7);
  t.mem.write32(PD, PT2 | 7);
  for (let k = 0; k < 512; k++) t.mem.write32(PT2 + k * 8, k * 0x1000 + 7);
  t.mem.write32(PT2 + 0x101 * 8, 0x301000 | 7);
  load(t, "90", 0x101000); // nop
  load(t, "b801000000", 0x301000); // mov eax, 1
  t.cpu.rip = 0x101000;
  t.cpu.run(t.cpu.retired + 1);
  assert.equal(t.cpu.rip, 0x101001, "the NOP of the first translations");
  // A VM entry or exit loads CR3 (the same mode, CPL 0 in both) and switches context.
  t.cpu.cr3 = PML4;
  t.cpu.vmTransition(0, -1, -1, false);
  t.cpu.rip = 0x101000;
  t.cpu.run(t.cpu.retired + 1);
  assert.equal(t.cpu.rip, 0x101005, "the MOV of the new translations");
});
