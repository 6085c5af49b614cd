/**
 * Property test: the TLB-backed translation (Mmu.translate: the CPU's
 * inlined fast path, walk and fill) agrees with a fresh page walk, after random edits of
 * the page tables followed by random flushes. An address whose cached
 * translation was made stale by an edit is only compared again once a
 * flush has removed that cached entry (hardware may use stale entries).
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { A, D, entryAddr, G, get64, map, P, PS, RW, set64, setup, US, XD } from "./fixture_test.ts";
import { Mmu } from "./mmu.ts";
import {
  ACCESS_AC,
  ACCESS_EXEC,
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_PG,
  CR0_WP,
  CR4_PAE,
  CR4_PGE,
  CR4_SMAP,
  CR4_SMEP,
  EFER_LMA,
  EFER_NXE,
  PagingContext,
  PERM_SR,
  PERM_SW,
  PERM_UR,
  PERM_UW,
  PERM_WRITE,
  permNeeded,
  WalkResult,
} from "./paging_types.ts";
import { linearPage } from "./tlb.ts";
import { walk } from "./walk.ts";
import { fuzzRuns } from "../tests/fuzz_scale.ts";

const LINEAR = [
  0x5000,
  0x6000,
  0x20_0000,
  0x20_1000,
  0x4000_0000,
  0x80_0000_7000,
  -(2 ** 47) + 0x3000,
  0x7fff_ffff_f000,
];
const FRAMES = [0x9000, 0xa000, 0xb000, 0x60_0000, 0x80_0000, 0xc000];
const BITS = [P, RW, US, G, XD, A, D, PS];

type Op =
  | { op: "edit"; a: number; level: number; bit: number }
  | { op: "frame"; a: number; level: number; frame: number }
  | { op: "access"; a: number; kind: number; user: boolean; ac: boolean; off: number }
  | { op: "invlpg"; a: number }
  | { op: "cr3" }
  | { op: "cr"; which: number };

/** Addresses, biased towards the two 4 KiB pieces of one 2 MiB page. */
const addrArb = fc.oneof(fc.constantFrom(2, 3), fc.nat(LINEAR.length - 1));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("edit" as const),
    a: addrArb,
    level: fc.integer({ min: 1, max: 4 }),
    bit: fc.nat(BITS.length - 1),
  }),
  fc.record({
    op: fc.constant("frame" as const),
    a: addrArb,
    level: fc.integer({ min: 1, max: 2 }),
    frame: fc.nat(FRAMES.length - 1),
  }),
  {
    arbitrary: fc.record({
      op: fc.constant("access" as const),
      a: addrArb,
      kind: fc.nat(2),
      user: fc.boolean(),
      ac: fc.boolean(),
      off: fc.nat(0xfff),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ op: fc.constant("invlpg" as const), a: addrArb }),
    weight: 2,
  },
  fc.record({ op: fc.constant("cr3" as const) }),
  fc.record({ op: fc.constant("cr" as const), which: fc.nat(3) }),
);

export function run(ops: Op[]): number {
  const { mem, alloc } = setup(16);
  const root = alloc();
  LINEAR.forEach((lin, i) => {
    if (lin === 0x20_0000 || lin === 0x20_1000) {
      map(mem, alloc, root, lin, 0x60_0000, { leaf: 2, flags: P | RW | US | G });
    } else {
      map(mem, alloc, root, lin, FRAMES[i % 3], { flags: P | RW | US | (i % 2 ? G : 0n) });
    }
  });
  for (const f of FRAMES) mem.write32(f, f); // allocate the data frames
  let cr0 = CR0_PG | 1;
  let cr4 = CR4_PAE | CR4_PGE;
  const efer = EFER_LMA | EFER_NXE | (1 << 8);
  const mmu = new Mmu(mem, { tlbEntries: 16 }); // small: conflicts happen
  mmu.setControlRegisters(cr0, root, cr4, efer);
  const fresh = new PagingContext();
  const ref = new WalkResult();
  // The model (independent of the TLB's own state): `stale[b]` = a cached
  // translation of b may predate an edit; `info[b]` = what that cached
  // translation is (page size, global), known unless b was used while stale.
  const stale = new Array(LINEAR.length).fill(false);
  const maybeCached = new Array(LINEAR.length).fill(false);
  const info = LINEAR.map(() => ({ shift: 12, global: false, known: true }));
  const gone = (b: number) => {
    stale[b] = false;
    maybeCached[b] = false;
    info[b].known = true;
  };
  let compared = 0;
  for (const o of ops) {
    switch (o.op) {
      case "edit":
      case "frame": {
        const ea = entryAddr(mem, root, LINEAR[o.a], o.level);
        if (ea < 0) break;
        const e = get64(mem, ea);
        const v = o.op === "edit"
          ? e ^ BITS[o.bit]
          : (e & ~0x000f_ffff_ffff_f000n) | BigInt(FRAMES[o.frame]);
        set64(mem, ea, v);
        for (let i = 0; i < LINEAR.length; i++) if (maybeCached[i]) stale[i] = true;
        break;
      }
      case "invlpg": {
        mmu.invlpg(LINEAR[o.a]);
        const a = LINEAR[o.a];
        for (let b = 0; b < LINEAR.length; b++) {
          const unit = 2 ** info[b].shift;
          if (
            linearPage(LINEAR[b]) === linearPage(a) ||
            (info[b].known && Math.floor(LINEAR[b] / unit) === Math.floor(a / unit))
          ) gone(b);
        }
        break;
      }
      case "cr3":
        mmu.writeCr3(root);
        for (let b = 0; b < LINEAR.length; b++) if (info[b].known && !info[b].global) gone(b);
        break;
      case "cr":
        if (o.which === 0) cr0 ^= CR0_WP;
        else if (o.which === 1) cr4 ^= CR4_SMEP;
        else if (o.which === 2) cr4 ^= CR4_SMAP;
        else cr4 ^= CR4_PGE;
        mmu.writeCr0(cr0);
        mmu.writeCr4(cr4);
        for (let b = 0; b < LINEAR.length; b++) gone(b);
        break;
      case "access": {
        const lin = LINEAR[o.a] + o.off;
        let access = o.kind === 1 ? ACCESS_WRITE : o.kind === 2 ? ACCESS_EXEC : 0;
        if (o.user) access |= ACCESS_USER;
        else if (o.ac) access |= ACCESS_AC;
        fresh.load(cr0, root, cr4, efer);
        const okRef = walk(mem, fresh, lin, access, ref);
        const pa = mmu.translate(lin, access);
        if (stale[o.a]) {
          if (pa >= 0) info[o.a].known = false;
          break;
        }
        if (okRef) {
          maybeCached[o.a] = true;
          info[o.a] = { shift: ref.pageShift, global: ref.global, known: true };
        }
        compared++;
        const msg = `${JSON.stringify(o)}`;
        assert.equal(pa >= 0, okRef, msg);
        if (okRef) {
          assert.equal(pa, ref.phys, msg);
          // The slot grants the access; the fast path (what the CPU inlines)
          // shows it in the view of the access's class exactly when the slot
          // grants that class's plain read (write) right, and agrees with memory.
          const t = mmu.tlb;
          const x = (lin >>> 12) & t.mask;
          const base = lin - (lin & 0xfff);
          assert.equal(t.tag[x], base, msg);
          assert.notEqual(t.perm[x] & permNeeded(access), 0, msg);
          const r = o.user ? PERM_UR : PERM_SR;
          const w = o.user ? PERM_UW : PERM_SW;
          assert.equal(t.rTag[x] === base, (t.perm[x] & r) !== 0, msg);
          assert.equal(t.wTag[x] === base, (t.perm[x] & w) !== 0, msg);
          if (o.kind === 1) assert.notEqual(t.perm[x] & PERM_WRITE, 0, msg);
          if (t.rTag[x] === base) {
            assert.equal(t.rMem[x][lin & 0xfff], mem.read8(ref.phys), msg);
          }
        } else {
          assert.equal(mmu.result.errorCode, ref.errorCode, msg);
        }
        break;
      }
    }
  }
  mmu.dispose();
  return compared;
}

Deno.test("property: TLB-backed translation equals a fresh walk after edits and flushes", () => {
  let total = 0;
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 200 }), (ops) => {
      total += run(ops);
    }),
    { seed: 0x5eed, numRuns: fuzzRuns(1000) },
  );
  assert.ok(total > 2000, `too few comparisons: ${total}`);
});

Deno.test("property harness detects a missing flush (the test can fail)", () => {
  // Edit a cached translation and compare without any flush: must disagree.
  const { mem, alloc } = setup(16);
  const root = alloc();
  const leaf = map(mem, alloc, root, 0x1000, 0x9000);
  const mmu = new Mmu(mem);
  mmu.setControlRegisters(CR0_PG | 1, root, CR4_PAE, EFER_LMA);
  assert.equal(mmu.translate(0x1000, 0), 0x9000);
  set64(mem, leaf, 0xa000n | P | RW | US);
  const ctx = new PagingContext();
  ctx.load(CR0_PG | 1, root, CR4_PAE, EFER_LMA);
  const r = new WalkResult();
  assert.ok(walk(mem, ctx, 0x1000, 0, r));
  assert.notEqual(mmu.translate(0x1000, 0), r.phys);
  mmu.dispose();
});
