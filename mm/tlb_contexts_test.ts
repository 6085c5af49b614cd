/**
 * Tests: TLB contexts tagged by VPID (SDM Vol. 3C 29.1, 29.4.3.1) — each
 * VPID's translations stay apart and survive transitions that do not
 * invalidate them; INVVPID of every type and INVEPT drop exactly what they
 * name; a context made current again loses what no longer matches the
 * paging state or guest-physical mapping.
 *
 * Each test maps a page, caches its translation, then points the page's
 * PTE elsewhere without invalidating: a translation still cached gives the
 * old frame, a dropped one the new frame.
 */

import assert from "node:assert/strict";
import { G, get64, map, P, RW, set64, setup, US } from "./fixture_test.ts";
import { Mmu } from "./mmu.ts";
import { ACCESS_READ, CR0_PG, CR4_PAE, CR4_PGE, CR4_SMEP, EFER_LMA } from "./paging_types.ts";
import { linearPage } from "./tlb.ts";

const CR0 = CR0_PG | 1;
const EFER = EFER_LMA | (1 << 8);
const OLD = 0x9000;
const NEW = 0xa000;

/** A 4-level MMU with the pages at `lins` mapped to OLD (global where asked). */
function world(lins: readonly number[], global: readonly number[] = [], cr4 = CR4_PAE | CR4_PGE) {
  const s = setup();
  const root = s.alloc();
  const mmu = new Mmu(s.mem, { tlbEntries: 64 });
  const pte = new Map<number, number>();
  for (const lin of lins) {
    const flags = P | RW | US | (global.includes(lin) ? G : 0n);
    pte.set(lin, map(s.mem, s.alloc, root, lin, OLD, { flags }));
  }
  assert.equal(mmu.setControlRegisters(CR0, root, cr4, EFER), 0);
  /** Repoint the page's PTE at NEW without invalidating anything. */
  const repoint = (lin: number) => {
    const ea = pte.get(lin)!;
    const e = get64(s.mem, ea);
    set64(s.mem, ea, (e & ~0x000f_ffff_ffff_f000n) | BigInt(NEW));
  };
  /** The frame `lin` translates to now (from the TLB when cached). */
  const frame = (lin: number) => Math.floor(mmu.translate(lin, ACCESS_READ) / 4096) * 4096;
  /** Whether the current context caches `lin`. */
  const cached = (lin: number) => mmu.tlb.lookup(linearPage(lin)) >= 0;
  /** A VM transition to `vpid` (paging state unchanged). */
  const enter = (vpid: number, invalidate = false, eptp = -1, apic = -1) => {
    mmu.selectContext(vpid, eptp, apic, invalidate);
    assert.equal(mmu.load(CR0, root, cr4, EFER), 0);
  };
  return { ...s, root, mmu, repoint, frame, cached, enter, cr4 };
}

const X = 0x40_0000;
const Y = 0x40_1000;

Deno.test("TLB contexts: each VPID has its own translations, kept across transitions that do not invalidate", () => {
  const w = world([X]);
  assert.equal(w.mmu.vpid, 0);
  assert.equal(w.frame(X), OLD, "VPID 0 caches X -> OLD");
  w.enter(5);
  assert.equal(w.mmu.vpid, 5);
  assert.equal(w.cached(X), false, "VPID 5 does not see VPID 0's translation");
  w.repoint(X);
  assert.equal(w.frame(X), NEW, "VPID 5 walks and caches X -> NEW");
  w.enter(0);
  assert.equal(w.frame(X), OLD, "back in VPID 0: its entry survived the round trip");
  w.enter(5);
  assert.equal(w.frame(X), NEW, "and VPID 5's survived too");
  w.mmu.dispose();
});

Deno.test("TLB contexts: a transition that invalidates (enable VPID = 0) empties the context, global entries included", () => {
  const w = world([X, Y], [Y]);
  w.frame(X);
  w.frame(Y);
  w.repoint(X);
  w.repoint(Y);
  w.enter(0, true);
  assert.equal(w.cached(X), false);
  assert.equal(w.cached(Y), false, "global entries go too");
  assert.equal(w.frame(X), NEW);
  assert.equal(w.frame(Y), NEW);
  w.mmu.dispose();
});

Deno.test("INVVPID type 0 (individual address): that address of that VPID only, global or not", () => {
  const w = world([X, Y], [X]);
  w.enter(3);
  w.frame(X);
  w.frame(Y);
  w.enter(4);
  w.frame(X);
  w.enter(0);
  w.frame(X);
  w.repoint(X);
  w.repoint(Y);
  w.mmu.invvpid(0, 3, X + 0x123);
  w.enter(3);
  assert.equal(w.frame(X), NEW, "X of VPID 3 (a global page) was dropped");
  assert.equal(w.frame(Y), OLD, "Y of VPID 3 stays");
  w.enter(4);
  assert.equal(w.frame(X), OLD, "X of VPID 4 stays");
  w.enter(0);
  assert.equal(w.frame(X), OLD, "X of VPID 0 stays");
  w.mmu.dispose();
});

Deno.test("INVVPID type 0 drops every 4 KiB piece of a large page containing the address", () => {
  const s = setup();
  const root = s.alloc();
  const mmu = new Mmu(s.mem, { tlbEntries: 64 });
  const pde = map(s.mem, s.alloc, root, 0x60_0000, 0x20_0000, { leaf: 2 });
  assert.equal(mmu.setControlRegisters(CR0, root, CR4_PAE, EFER), 0);
  mmu.selectContext(9, -1, -1, false);
  assert.equal(mmu.load(CR0, root, CR4_PAE, EFER), 0);
  assert.equal(mmu.translate(0x60_5000, ACCESS_READ), 0x20_5000);
  set64(s.mem, pde, (get64(s.mem, pde) & ~0x000f_ffff_ffe0_0000n) | 0x40_0000n);
  assert.equal(mmu.translate(0x60_5000, ACCESS_READ), 0x20_5000, "cached");
  mmu.invvpid(0, 9, 0x61_0000); // another 4 KiB piece of the same 2 MiB page
  assert.equal(mmu.translate(0x60_5000, ACCESS_READ), 0x40_5000);
  mmu.dispose();
});

Deno.test("INVVPID type 1 (single context): every translation of that VPID, global ones included", () => {
  const w = world([X, Y], [Y]);
  w.enter(3);
  w.frame(X);
  w.frame(Y);
  w.enter(0);
  w.frame(X);
  w.repoint(X);
  w.repoint(Y);
  w.mmu.invvpid(1, 3, 0);
  assert.equal(w.frame(X), OLD, "VPID 0 (current) untouched");
  w.enter(3);
  assert.equal(w.frame(X), NEW);
  assert.equal(w.frame(Y), NEW, "the global entry went too");
  w.mmu.dispose();
});

Deno.test("INVVPID type 2 (all contexts): every VPID but 0", () => {
  const w = world([X]);
  for (const v of [1, 2, 0]) {
    w.enter(v);
    w.frame(X);
  }
  w.repoint(X);
  w.mmu.invvpid(2, 0, 0);
  assert.equal(w.frame(X), OLD, "VPID 0 keeps its translations");
  for (const v of [1, 2]) {
    w.enter(v);
    assert.equal(w.frame(X), NEW, `VPID ${v}`);
  }
  w.mmu.dispose();
});

Deno.test("INVVPID type 3 (single context retaining globals): non-global translations of that VPID", () => {
  const w = world([X, Y], [Y]);
  w.enter(6);
  w.frame(X);
  w.frame(Y);
  w.enter(7);
  w.frame(X);
  w.enter(0);
  w.repoint(X);
  w.repoint(Y);
  w.mmu.invvpid(3, 6, 0);
  w.enter(6);
  assert.equal(w.frame(X), NEW, "non-global dropped");
  assert.equal(w.frame(Y), OLD, "global kept");
  w.enter(7);
  assert.equal(w.frame(X), OLD, "another VPID untouched");
  w.mmu.dispose();
});

Deno.test("INVEPT drops the combined mappings of every VPID but 0; another EPTP or APIC-access page does too", () => {
  const w = world([X]);
  w.enter(2, false, 0x5000);
  w.frame(X);
  w.enter(0);
  w.frame(X);
  w.repoint(X);
  w.mmu.invept();
  assert.equal(w.frame(X), OLD, "VPID 0 untouched");
  w.enter(2, false, 0x5000);
  assert.equal(w.frame(X), NEW);
  // A context entered under another guest-physical mapping starts afresh.
  assert.equal(w.cached(X), true);
  w.enter(2, false, 0x6000);
  assert.equal(w.cached(X), false, "another EPTP: the combined mappings are not used");
  w.frame(X);
  w.enter(2, false, 0x6000, 0xfee00000);
  assert.equal(w.cached(X), false, "another APIC-access page: likewise");
  w.mmu.dispose();
});

Deno.test("TLB contexts: a context made current again drops what no longer matches the paging state", () => {
  const w = world([X, Y], [Y]);
  const { mmu, root } = w;
  mmu.selectContext(8, -1, -1, false);
  assert.equal(mmu.load(CR0, root, w.cr4, EFER), 0);
  w.frame(X);
  w.frame(Y);
  // Back to VPID 0, then to VPID 8 with another CR3: its non-global entries go.
  w.enter(0);
  mmu.selectContext(8, -1, -1, false);
  const root2 = w.alloc();
  assert.equal(mmu.load(CR0, root2, w.cr4, EFER), 0);
  assert.equal(w.cached(X), false, "non-global entry of the other CR3 dropped");
  assert.equal(w.cached(Y), true, "global entry kept");
  // Another paging mode (CR4.SMEP) drops everything.
  mmu.selectContext(0, -1, -1, false);
  assert.equal(mmu.load(CR0, root, w.cr4, EFER), 0);
  mmu.selectContext(8, -1, -1, false);
  assert.equal(mmu.load(CR0, root2, w.cr4 | CR4_SMEP, EFER), 0);
  assert.equal(w.cached(Y), false, "a paging-mode change drops global entries too");
  // A PKRU changed while another context was current: the rights were computed with the old one.
  assert.equal(mmu.load(CR0, root, w.cr4, EFER), 0);
  w.frame(X);
  mmu.selectContext(0, -1, -1, false);
  assert.equal(mmu.load(CR0, root, w.cr4, EFER), 0);
  mmu.setPkru(0xc);
  mmu.selectContext(8, -1, -1, false);
  assert.equal(mmu.load(CR0, root, w.cr4, EFER), 0);
  assert.equal(w.cached(X), false, "PKRU changed since the fill");
  w.mmu.dispose();
});

Deno.test("TLB contexts: a new VPID takes the least recently used context, never VPID 0's", () => {
  const s = setup();
  const root = s.alloc();
  map(s.mem, s.alloc, root, X, OLD);
  const mmu = new Mmu(s.mem, { tlbEntries: 64, tlbContexts: 3 });
  assert.equal(mmu.setControlRegisters(CR0, root, CR4_PAE, EFER), 0);
  const enter = (vpid: number) => {
    mmu.selectContext(vpid, -1, -1, false);
    assert.equal(mmu.load(CR0, root, CR4_PAE, EFER), 0);
    return mmu.tlb.lookup(linearPage(X)) >= 0;
  };
  mmu.translate(X, ACCESS_READ); // VPID 0
  enter(1);
  mmu.translate(X, ACCESS_READ);
  enter(2);
  mmu.translate(X, ACCESS_READ);
  assert.equal(enter(1), true, "VPID 1 still has its context (3 contexts: 0, 1, 2)");
  assert.equal(enter(3), false, "VPID 3 takes VPID 2's (least recently used) context, emptied");
  assert.equal(enter(0), true, "VPID 0's context is never taken");
  assert.equal(enter(2), false, "VPID 2 lost its entries");
  mmu.dispose();
});
