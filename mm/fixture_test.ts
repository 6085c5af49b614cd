/**
 * Test fixtures: hand-built page tables and EPT tables in a PhysicalMemory.
 * (A `_test.ts` file so it is neither published nor part of the API.)
 */

import assert from "node:assert/strict";
import { PhysicalMemory } from "./physical.ts";

/** Entry bits used in tests. */
export const P = 1n, RW = 2n, US = 4n, A = 0x20n, D = 0x40n, PS = 0x80n, G = 0x100n;
/** XD (bit 63). */
export const XD = 1n << 63n;

/** A memory with `mib` MiB of RAM at 0 and a bump allocator for table pages from `tablesAt`. */
export function setup(mib = 16, tablesAt = 0x100000): {
  mem: PhysicalMemory;
  alloc: () => number;
} {
  const mem = new PhysicalMemory();
  assert.equal(mem.addRam(0, mib * 1024 * 1024).ok, true);
  let next = tablesAt;
  return {
    mem,
    alloc: () => {
      const a = next;
      next += 4096;
      return a;
    },
  };
}

/** Write a 64-bit entry. */
export function set64(mem: PhysicalMemory, addr: number, v: bigint): void {
  mem.write64(addr, BigInt.asUintN(64, v));
}

/** Read a 64-bit entry. */
export function get64(mem: PhysicalMemory, addr: number): bigint {
  return mem.read64(addr);
}

/** Index of `lin` at level `level` (1 = PT) for 9-bit levels. */
export function idx(lin: number, level: number): number {
  return Number((BigInt.asUintN(64, BigInt(lin)) >> BigInt(12 + 9 * (level - 1))) & 511n);
}

/**
 * Map `lin` -> `phys` in 4/5-level (or PAE from level 2 given its PD) tables
 * rooted at `root`. `leaf` = level of the leaf (1 4K, 2 2M, 3 1G). `upper`
 * are the flags of non-leaf entries. Returns the address of the leaf entry.
 */
export function map(
  mem: PhysicalMemory,
  alloc: () => number,
  root: number,
  lin: number,
  phys: number,
  opts: { leaf?: number; flags?: bigint; upper?: bigint; top?: number } = {},
): number {
  const leaf = opts.leaf ?? 1;
  const flags = opts.flags ?? (P | RW | US);
  const upper = opts.upper ?? (P | RW | US);
  let table = root;
  for (let level = opts.top ?? 4; level > leaf; level--) {
    const ea = table + idx(lin, level) * 8;
    let e = get64(mem, ea);
    if (!(e & 1n)) {
      const t = alloc();
      e = BigInt(t) | upper;
      set64(mem, ea, e);
    }
    table = Number(e & 0x000f_ffff_ffff_f000n);
  }
  const ea = table + idx(lin, leaf) * 8;
  set64(mem, ea, BigInt(phys) | flags | (leaf > 1 ? PS : 0n));
  return ea;
}

/** The entry address for `lin` at `level`, following present entries (or -1). */
export function entryAddr(
  mem: PhysicalMemory,
  root: number,
  lin: number,
  level: number,
  top = 4,
): number {
  let table = root;
  for (let l = top; l > level; l--) {
    const e = get64(mem, table + idx(lin, l) * 8);
    if (!(e & 1n)) return -1;
    table = Number(e & 0x000f_ffff_ffff_f000n);
  }
  return table + idx(lin, level) * 8;
}

Deno.test("fixture: map builds a walkable 4-level chain", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  const leaf = map(mem, alloc, root, 0x40_1000, 0x5000);
  assert.equal(entryAddr(mem, root, 0x40_1000, 1), leaf);
  assert.equal(get64(mem, leaf), 0x5000n | 7n);
});
