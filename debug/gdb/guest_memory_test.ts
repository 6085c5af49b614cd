import { equal, ok } from "node:assert/strict";
import { bootKernel, createMachine } from "../../plugins/machine_builder.ts";
import { readGuest, writeGuest } from "./guest_memory.ts";

const KERNEL = new URL("../../guests/build/hello64-elf64.elf", import.meta.url);

/** hello64 once it runs in long mode with its identity map of 2 MiB pages. */
async function longModeMachine() {
  const m = createMachine({ memoryMiB: 128, serial: () => {} });
  bootKernel(m, await Deno.readFile(KERNEL));
  while (m.cpu.mode !== "long64") {
    equal(m.run({ maxInstructions: 1000 }).reason.kind, "budget");
  }
  return m;
}

/** The page-directory entry mapping `lin` (4-level paging, 2 MiB pages), as its low word's address. */
function pdeAddress(m: Awaited<ReturnType<typeof longModeMachine>>, lin: number): number {
  const mem = m.memory;
  const pml4 = m.cpu.cr3 - (m.cpu.cr3 % 4096);
  const pdpt = mem.read32(pml4 + 8 * Math.floor(lin / 2 ** 39)) & ~0xfff;
  const pd = mem.read32(pdpt + 8 * (Math.floor(lin / 2 ** 30) % 512)) & ~0xfff;
  return pd + 8 * (Math.floor(lin / 2 ** 21) % 512);
}

Deno.test("guest memory: reads and writes through long-mode paging leave accessed/dirty bits alone", async () => {
  const m = await longModeMachine();
  const lin = 0x6000000; // RAM the guest never touches
  const pde = pdeAddress(m, lin);
  const before = m.memory.read32(pde);
  equal(before & 1, 1, "mapped");
  equal(before & 0x60, 0, "accessed and dirty clear before");
  const w = writeGuest(m.cpu, m.memory, lin + 0x10, new Uint8Array([1, 2, 3]));
  ok(w.ok);
  const r = readGuest(m.cpu, m.memory, lin + 0x0f, 5);
  ok(r.ok);
  equal([...r.bytes].join(","), "0,1,2,3,0");
  equal(m.memory.read32(pde), before, "no A/D update from the debugger's walk");
  equal(m.memory.read8(lin + 0x11), 2, "identity map: the bytes are at the same physical address");
  m.dispose();
});

Deno.test("guest memory: non-canonical, unmapped and non-RAM addresses are refused", async () => {
  const m = await longModeMachine();
  const noncanonical = readGuest(m.cpu, m.memory, 0x800000000000, 4);
  ok(!noncanonical.ok && /outside the address space/.test(noncanonical.why));
  const unmapped = readGuest(m.cpu, m.memory, 0x200000000, 4); // beyond the 4 GiB identity map
  ok(!unmapped.ok && /not mapped/.test(unmapped.why));
  const beyondRam = readGuest(m.cpu, m.memory, 0x10000000, 4); // mapped, but past 128 MiB of RAM
  ok(!beyondRam.ok && /not RAM/.test(beyondRam.why));
  // A write that would cross into non-RAM writes nothing at all.
  const edge = 128 * 1024 * 1024 - 2;
  const crossing = writeGuest(m.cpu, m.memory, edge, new Uint8Array([9, 9, 9, 9]));
  ok(!crossing.ok);
  equal(m.memory.read8(edge), 0);
  m.dispose();
});
