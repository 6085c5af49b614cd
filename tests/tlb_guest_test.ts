/**
 * The engine's TLB semantics, seen by a guest (SDM Vol. 3A 4.10.4): a
 * changed PTE is not taken while the old translation is cached, so a guest
 * can tell which entries an invalidation dropped. INVLPG drops one page,
 * MOV to CR3 keeps global pages (CR4.PGE), CR3 bit 63 keeps the PCID's
 * entries (CR4.PCIDE), INVPCID type 0 drops one address.
 *
 * Programs were assembled with GNU as (sources in the comments).
 *
 * @module
 */

import assert from "node:assert/strict";
import { bootFlat, createMachine } from "../plugins/machine_builder.ts";
import type { PcMachine } from "../plugins/pc_machine.ts";

const BASE = 0x100000;
const OLD0 = 0x11111111; // at 0x200000, PTE0's first target
const OLD1 = 0x22222222; // at 0x201000, PTE1's first target
const NEW1 = 0x33333333; // at 0x202000, PTE1 after the guest edits it
const NEW0 = 0x44444444; // at 0x203000, PTE0 after the guest edits it

/** Data pages, and a page table at 0x12000 for linear 0x400000 (PTE0) and 0x401000 (PTE1). */
function dataAndTable(m: PcMachine, pte1Flags: number): void {
  const mem = m.memory;
  mem.write32(0x200000, OLD0);
  mem.write32(0x201000, OLD1);
  mem.write32(0x202000, NEW1);
  mem.write32(0x203000, NEW0);
  mem.write32(0x12000, 0x200000 | 3);
  mem.write32(0x12008, 0x201000 | pte1Flags);
}

function run(m: PcMachine): void {
  const r = m.run({ maxInstructions: 10_000 });
  assert.equal(r.reason.kind, "halted");
}

// PAE paging (CR3 0x10000; CR4.PGE too when ESI != 0), read 0x400000 and
// 0x401000, point PTE1 at 0x202000 and PTE0 at 0x203000, then
// ESI = 0: invlpg [0x400000]; ESI != 0: mov edx,cr3; mov cr3,edx;
// then ecx = [0x401000], edx = [0x400000]; hlt.
// deno-fmt-ignore
const PAE_PROGRAM = [
  0xb8, 0x00, 0x00, 0x01, 0x00, 0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x85, 0xf6,
  0x74, 0x05, 0x0d, 0x80, 0x00, 0x00, 0x00, 0x0f, 0x22, 0xe0, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00,
  0x00, 0x80, 0x0f, 0x22, 0xc0, 0xa1, 0x00, 0x00, 0x40, 0x00, 0x8b, 0x1d, 0x00, 0x10, 0x40, 0x00,
  0xc7, 0x05, 0x08, 0x20, 0x01, 0x00, 0x03, 0x20, 0x20, 0x00, 0xc7, 0x05, 0x00, 0x20, 0x01, 0x00,
  0x03, 0x30, 0x20, 0x00, 0x85, 0xf6, 0x75, 0x09, 0x0f, 0x01, 0x3d, 0x00, 0x00, 0x40, 0x00, 0xeb,
  0x06, 0x0f, 0x20, 0xda, 0x0f, 0x22, 0xda, 0x8b, 0x0d, 0x00, 0x10, 0x40, 0x00, 0x8b, 0x15, 0x00,
  0x00, 0x40, 0x00, 0xf4,
];

function paeMachine(esi: number, pte1Flags: number): PcMachine {
  const m = createMachine({ memoryMiB: 16 });
  bootFlat(m, [{ addr: BASE, data: new Uint8Array(PAE_PROGRAM) }], BASE, "protected32");
  const mem = m.memory;
  mem.write32(0x10000, 0x11000 | 1); // PDPTE 0 -> PD
  mem.write32(0x11000, 0x83); // PDE 0: 2 MiB identity (code, tables)
  mem.write32(0x11000 + 2 * 8, 0x12000 | 3); // PDE 2 -> PT at 0x12000
  dataAndTable(m, pte1Flags);
  m.cpu.gpr[12] = esi;
  return m;
}

Deno.test("tlb: INVLPG drops one page; another page's changed PTE is not taken", () => {
  const m = paeMachine(0, 3);
  run(m);
  assert.equal(m.cpu.gpr[0], OLD0);
  assert.equal(m.cpu.gpr[6], OLD1);
  assert.equal(m.cpu.gpr[2], OLD1, "page 1 was not invalidated: its old translation is used");
  assert.equal(m.cpu.gpr[4], NEW0, "page 0 was invalidated: the new PTE is walked");
  m.dispose();
});

Deno.test("tlb: a global page survives MOV to CR3 with CR4.PGE; non-global pages do not", () => {
  const m = paeMachine(1, 0x103); // PTE1: P RW G
  run(m);
  assert.equal(m.cpu.gpr[2], OLD1, "the global translation survived the CR3 load");
  assert.equal(m.cpu.gpr[4], NEW0, "the non-global translation was flushed");
  m.dispose();
  // Control: the same program without G in PTE1 sees both new PTEs.
  const c = paeMachine(1, 3);
  run(c);
  assert.equal(c.cpu.gpr[2], NEW1);
  assert.equal(c.cpu.gpr[4], NEW0);
  c.dispose();
});

// 64-bit (the flat loader's tables; PD entry 2 -> PT at 0x12000):
// CR4.PCIDE; CR3 |= 1 (PCID 1); r8d = [0x400000]; r9d = [0x401000];
// point PTE1 at 0x202000, PTE0 at 0x203000; mov cr3 with bit 63 (no flush);
// r10d = [0x400000]; r11d = [0x401000]; invpcid type 0 with the descriptor
// at 0x13000 (PCID 1, 0x401000); r12d = [0x400000]; r13d = [0x401000];
// mov rax,cr3; mov cr3,rax (flushing); r14d = [0x400000]; hlt.
// deno-fmt-ignore
const PCID_PROGRAM = [
  0x0f, 0x20, 0xe0, 0x0d, 0x00, 0x00, 0x02, 0x00, 0x0f, 0x22, 0xe0, 0x0f, 0x20, 0xd8, 0x48, 0x83,
  0xc8, 0x01, 0x0f, 0x22, 0xd8, 0x44, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00, 0x44, 0x8b, 0x0c,
  0x25, 0x00, 0x10, 0x40, 0x00, 0xc7, 0x04, 0x25, 0x08, 0x20, 0x01, 0x00, 0x03, 0x20, 0x20, 0x00,
  0xc7, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0x03, 0x30, 0x20, 0x00, 0x0f, 0x20, 0xd8, 0x48, 0x0f,
  0xba, 0xe8, 0x3f, 0x0f, 0x22, 0xd8, 0x44, 0x8b, 0x14, 0x25, 0x00, 0x00, 0x40, 0x00, 0x44, 0x8b,
  0x1c, 0x25, 0x00, 0x10, 0x40, 0x00, 0xb8, 0x00, 0x00, 0x00, 0x00, 0xbb, 0x00, 0x30, 0x01, 0x00,
  0x66, 0x0f, 0x38, 0x82, 0x03, 0x44, 0x8b, 0x24, 0x25, 0x00, 0x00, 0x40, 0x00, 0x44, 0x8b, 0x2c,
  0x25, 0x00, 0x10, 0x40, 0x00, 0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8, 0x44, 0x8b, 0x34, 0x25, 0x00,
  0x00, 0x40, 0x00, 0xf4,
];

Deno.test("tlb: PCID — CR3 bit 63 keeps the PCID's entries; INVPCID type 0 drops one address", () => {
  const m = createMachine({ memoryMiB: 16 });
  bootFlat(m, [{ addr: BASE, data: new Uint8Array(PCID_PROGRAM) }], BASE, "long64");
  m.memory.write32(0x4000 + 2 * 8, 0x12000 | 3); // loader PD 0, entry 2 -> our PT
  dataAndTable(m, 3);
  m.memory.write32(0x13000, 1); // INVPCID descriptor: PCID 1
  m.memory.write32(0x13008, 0x401000); // linear address
  run(m);
  const r = (n: number) => m.cpu.gpr[2 * n];
  assert.equal(r(8), OLD0);
  assert.equal(r(9), OLD1);
  assert.equal(r(10), OLD0, "no-flush CR3 load of the same PCID kept page 0");
  assert.equal(r(11), OLD1, "... and page 1");
  assert.equal(r(12), OLD0, "INVPCID type 0 for 0x401000 kept page 0");
  assert.equal(r(13), NEW1, "... and dropped page 1");
  assert.equal(r(14), NEW0, "a flushing CR3 load dropped page 0");
  m.dispose();
});
