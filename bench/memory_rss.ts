/**
 * Memory-footprint check: a 4 GiB guest (`-m 4096` PC layout: 3.5 GiB low,
 * 0.5 GiB above 4 GiB) of which 16 MiB is touched. Measure the process with
 *
 *   /usr/bin/time -v deno run bench/memory_rss.ts [contiguous|scattered]
 *
 * ("Maximum resident set size"). `contiguous` fills 16 MiB from 1 MiB up;
 * `scattered` fills 4096 whole pages spread evenly over the 4 GiB of RAM
 * (the worst case for chunked allocators). Every touched byte is written
 * and read back through the hot accessors, and a TLB-backed Mmu in
 * paging-off mode takes direct views of the touched pages.
 *
 * @module
 */

import { PhysicalMemory } from "../mm/physical.ts";
import { pcRamLayout } from "../mm/regions.ts";
import { Mmu } from "../mm/mmu.ts";
import { ACCESS_WRITE } from "../mm/paging_types.ts";

const mode = Deno.args[0] ?? "contiguous";
const mem = new PhysicalMemory();
for (const [base, size] of pcRamLayout(4096 * 1024 * 1024)) {
  const r = mem.addRam(base, size);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
}
mem.addMmio(0xfec00000, 0x1000, "ioapic", { read: () => 0, write: () => {} });
mem.addMmio(0xfee00000, 0x1000, "lapic", { read: () => 0, write: () => {} });
const mmu = new Mmu(mem);
mmu.setControlRegisters(0x11, 0, 0, 0);

const PAGES = 4096; // 16 MiB
const ramTop = mem.ramSize;
const pageAddr = (i: number): number => {
  if (mode === "contiguous") return 0x10_0000 + i * 4096;
  // Spread over all RAM, including above 4 GiB.
  const off = Math.floor((ramTop / PAGES) * i / 4096) * 4096;
  return off < 0xE000_0000 ? off : 0x1_0000_0000 + (off - 0xE000_0000);
};

let sum = 0;
for (let i = 0; i < PAGES; i++) {
  const a = pageAddr(i);
  for (let o = 0; o < 4096; o += 4) mem.write32(a + o, (a + o) >>> 0);
  if (a < 0x1_0000_0000) mmu.translate(a, ACCESS_WRITE); // direct view via the TLB
}
for (let i = 0; i < PAGES; i++) {
  const a = pageAddr(i);
  for (let o = 0; o < 4096; o += 4) sum += mem.read32(a + o) === ((a + o) >>> 0) ? 1 : 0;
}
if (sum !== PAGES * 1024) throw new Error(`readback mismatch: ${sum}`);
const dirty = mem.getAndClearDirty().length;
// Reads of untouched RAM must not allocate.
for (let a = 0x4000_0000; a < 0x8000_0000; a += 0x10_0000) sum += mem.read32(a);

const mib = (n: number): string => (n / 1048576).toFixed(1);
const usage = Deno.memoryUsage();
console.log(
  `mode=${mode} guest RAM ${mib(mem.ramSize)} MiB, touched ${mib(PAGES * 4096)} MiB, ` +
    `allocated ${mib(mem.allocatedBytes)} MiB, dirty pages ${dirty}, ` +
    `rss ${mib(usage.rss)} MiB, heap ${mib(usage.heapUsed)} MiB, external ${
      mib(usage.external)
    } MiB`,
);
mmu.dispose();
