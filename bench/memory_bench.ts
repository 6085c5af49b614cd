/**
 * Guest-memory and translation benchmarks: `deno bench -A bench/memory_bench.ts`.
 * Every bench does 4096 operations per iteration, so ns/op = time / 4096.
 *
 * - physical reads/writes (hot accessors, RAM below 4 GiB, above 4 GiB, MMIO)
 * - the engine's TLB (mm's Tlb, as the CPU runs it): hits through
 *   cpu/memory.ts's inlined test, a miss (walk + fill), Mmu.translate
 * - EPT: cached translation and a full EPT walk
 *
 * @module
 */

import { PhysicalMemory } from "../mm/physical.ts";
import { Mmu } from "../mm/mmu.ts";
import { ACCESS_WRITE, CR0_PG, CR4_PAE, EFER_LMA } from "../mm/paging_types.ts";
import { Cpu } from "../cpu/cpu.ts";
import { lr32, lr8, lw8 } from "../cpu/memory.ts";
import { EPT_READ, EptResult, eptWalk } from "../mm/ept.ts";
import { EptTranslator } from "../mm/ept_cache.ts";

const N = 4096;
const mem = new PhysicalMemory();
mem.addRam(0, 0xE000_0000);
mem.addRam(0x1_0000_0000, 64 << 20);
let mmioSink = 0;
mem.addMmio(0xfee00000, 0x1000, "lapic", {
  read: (o) => o,
  write: (_o, _s, v) => {
    mmioSink = v;
  },
});
for (let a = 0; a < 16 << 20; a += 4096) mem.write32(a, a);
for (let a = 0; a < 1 << 20; a += 4096) mem.write32(0x1_0000_0000 + a, a);
mem.disableDirtyLog(); // measured separately below
const logged = new PhysicalMemory();
logged.addRam(0, 16 << 20);

// 4-level identity-style tables for 2 MiB of linear space at 0x40000000 -> 0x200000.
function buildTables(m: PhysicalMemory): number {
  const pml4 = 0x80_0000, pdpt = 0x80_1000, pd = 0x80_2000, pt = 0x80_3000;
  m.write32(pml4, pdpt | 7);
  m.write32(pdpt + 8, pd | 7); // 1 GiB index 1
  m.write32(pd, pt | 7);
  for (let i = 0; i < 512; i++) m.write32(pt + i * 8, (0x20_0000 + i * 4096) | 0x67);
  return pml4;
}
const root = buildTables(mem);
const mmu = new Mmu(mem, { tlbEntries: 1024 });
mmu.setControlRegisters(CR0_PG | 1, root, CR4_PAE, EFER_LMA);
const LIN = 0x4000_0000;
for (let i = 0; i < 512; i++) mmu.translate(LIN + i * 4096, ACCESS_WRITE);

let sink = 0;

Deno.bench("read32 RAM (4096 sequential dwords)", { group: "physical" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += mem.read32(0x10_0000 + i * 4);
  sink = s;
});

Deno.bench("read8 RAM (4096 scattered bytes in 16 MiB)", { group: "physical" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += mem.read8((i * 40503) & 0xffffff);
  sink = s;
});

Deno.bench("write32 RAM (4096 sequential dwords)", { group: "physical" }, () => {
  for (let i = 0; i < N; i++) mem.write32(0x20_0000 + i * 4, i);
});

Deno.bench("write8 RAM (4096 scattered bytes in 16 MiB)", { group: "physical" }, () => {
  for (let i = 0; i < N; i++) mem.write8((i * 40503) & 0xffffff, i);
});

Deno.bench("write32 RAM with dirty log on (16 pages, re-marked each iteration)", {
  group: "physical",
}, () => {
  logged.getAndClearDirty();
  for (let i = 0; i < N; i++) logged.write32(i * 16, i);
});

Deno.bench("read32 RAM above 4 GiB (slow path)", { group: "physical" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += mem.read32(0x1_0000_0000 + i * 4);
  sink = s;
});

Deno.bench("read32 MMIO (handler call)", { group: "physical" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += mem.read32(0xfee00000 + ((i * 4) & 0xffc));
  sink = s + mmioSink;
});

// The engine itself: a vCPU over the same memory and tables, accessed
// through cpu/memory.ts (the inlined hit test on the MMU's TLB arrays, and
// on a miss the MMU's walk and fill).
const cpu = new Cpu({ memory: mem, exits: () => "pass", now: () => 0 });
cpu.cr0 = CR0_PG | 1;
cpu.cr4 = CR4_PAE;
cpu.efer = EFER_LMA | (1 << 8);
cpu.cr3 = root;
cpu.stateChanged();
for (let i = 0; i < 512; i++) lw8(cpu, LIN + i * 4096, lr8(cpu, LIN + i * 4096));

Deno.bench("engine TLB hit (cpu/memory.ts lr8): read byte", {
  group: "translate",
  baseline: true,
}, () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += lr8(cpu, LIN + ((i * 4099) & 0x1fffff));
  sink = s;
});

Deno.bench("engine TLB hit (cpu/memory.ts lw8): write byte", { group: "translate" }, () => {
  for (let i = 0; i < N; i++) lw8(cpu, LIN + ((i * 4099) & 0x1fffff), i);
});

Deno.bench("engine TLB hit (cpu/memory.ts lr32): aligned dword", { group: "translate" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += lr32(cpu, LIN + ((i * 4100) & 0x1ffffc));
  sink = s;
});

Deno.bench("engine TLB miss: 4-level walk + fill (TLB flushed every 512)", {
  group: "translate",
}, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    if ((i & 511) === 0) cpu.flushTlb();
    s += lr8(cpu, LIN + (i & 511) * 4096);
  }
  sink = s;
});

Deno.bench("Mmu.translate on a TLB hit (the same path as one call)", { group: "translate" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += mmu.translate(LIN + ((i * 4099) & 0x1fffff), 0);
  sink = s;
});

// EPT: identity map of 2 MiB with 4 KiB pages at 0xA00000.
const eptRoot = 0xA0_0000;
mem.write32(eptRoot, (eptRoot + 0x1000) | 7);
mem.write32(eptRoot + 0x1000, (eptRoot + 0x2000) | 7);
mem.write32(eptRoot + 0x2000, (eptRoot + 0x3000) | 7);
for (let i = 0; i < 512; i++) mem.write32(eptRoot + 0x3000 + i * 8, (i * 4096) | 7 | (6 << 3));
const eptp = eptRoot | 6 | (3 << 3);
const ept = new EptTranslator(mem);
const er = new EptResult();

Deno.bench("EPT translate, cached", { group: "ept" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += ept.translate(eptp, (i * 4099) & 0x1fffff, EPT_READ);
  sink = s;
});

Deno.bench("EPT walk (4 levels, uncached)", { group: "ept" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    eptWalk(mem, eptp, (i * 4099) & 0x1fffff, EPT_READ, er);
    s += er.hpa;
  }
  sink = s;
});

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink); // keep results alive
});
