import assert from "node:assert/strict";
import { A, D, entryAddr, G, get64, map, P, PS, RW, set64, setup, US, XD } from "./fixture_test.ts";
import {
  ACCESS_AC,
  ACCESS_EXEC,
  ACCESS_IMPLICIT,
  ACCESS_READ,
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PGE,
  CR4_PKE,
  CR4_PKS,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  EFER_LMA,
  EFER_NXE,
  FAULT_NESTED,
  FAULT_PAGE,
  GPA_USER_FETCH,
  MODE_32,
  MODE_4LEVEL,
  MODE_5LEVEL,
  MODE_NONE,
  MODE_PAE,
  PagingContext,
  PERM_SR,
  PERM_SRAC,
  PERM_SW,
  PERM_SWAC,
  PERM_SX,
  PERM_UR,
  PERM_UW,
  PERM_UX,
  permNeeded,
  WalkResult,
} from "./paging_types.ts";
import { loadPdptes, walk } from "./walk.ts";

const PE = 1;
const LONG = { cr0: CR0_PG | PE, cr4: CR4_PAE, efer: EFER_LMA | (1 << 8) };

function ctx4(root: number, extra: { cr0?: number; cr4?: number; efer?: number } = {}) {
  const c = new PagingContext();
  c.load(
    LONG.cr0 | (extra.cr0 ?? 0),
    root,
    LONG.cr4 | (extra.cr4 ?? 0),
    LONG.efer | (extra.efer ?? 0),
  );
  return c;
}

Deno.test("mode none: identity with all permissions", () => {
  const { mem } = setup(1);
  const c = new PagingContext();
  c.load(PE, 0, 0, 0);
  assert.equal(c.mode, MODE_NONE);
  const r = new WalkResult();
  assert.equal(walk(mem, c, 0x12345, ACCESS_WRITE | ACCESS_USER, r), true);
  assert.equal(r.phys, 0x12345);
  assert.equal(r.frame, 0x12);
  assert.equal(r.perm, 0xff);
});

Deno.test("control registers select the paging mode", () => {
  const c = new PagingContext();
  c.load(CR0_PG | PE, 0x1000, 0, 0);
  assert.equal(c.mode, MODE_32);
  c.load(CR0_PG | PE, 0x1020, CR4_PAE, 0);
  assert.equal(c.mode, MODE_PAE);
  assert.equal(c.root, 0x1020);
  c.load(CR0_PG | PE, 0x1000, CR4_PAE, EFER_LMA);
  assert.equal(c.mode, MODE_4LEVEL);
  c.load(CR0_PG | PE, 0x1000, CR4_PAE | CR4_LA57, EFER_LMA);
  assert.equal(c.mode, MODE_5LEVEL);
  c.load(CR0_PG | PE, 0x1_2345_6000 + 0x5, CR4_PAE | (1 << 17), EFER_LMA);
  assert.equal(c.root, 0x1_2345_6000);
  assert.equal(c.pcid, 5);
});

Deno.test("4-level: 4 KiB, 2 MiB and 1 GiB pages, upper-half addresses", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  map(mem, alloc, root, 0x40_3000, 0x7000);
  map(mem, alloc, root, 0x4000_0000, 0x20_0000, { leaf: 2 });
  map(mem, alloc, root, 0x80_0000_0000, 0x4000_0000, { leaf: 3 });
  const upper = -(2 ** 47) + 0x5000; // 0xffff800000005000
  map(mem, alloc, root, upper, 0x9000);
  const c = ctx4(root);
  const r = new WalkResult();
  assert.ok(walk(mem, c, 0x40_3abc, ACCESS_READ, r));
  assert.equal(r.phys, 0x7abc);
  assert.equal(r.pageShift, 12);
  assert.equal(r.levels, 4);
  assert.ok(walk(mem, c, 0x4012_3456, ACCESS_READ, r));
  assert.equal(r.phys, 0x32_3456);
  assert.equal(r.pageShift, 21);
  assert.ok(walk(mem, c, 0x80_1234_5678, ACCESS_READ, r));
  assert.equal(r.phys, 0x5234_5678);
  assert.equal(r.pageShift, 30);
  assert.ok(walk(mem, c, upper + 0x10, ACCESS_READ, r));
  assert.equal(r.phys, 0x9010);
  assert.equal(walk(mem, c, upper + 0x1000, ACCESS_READ, r), false);
  assert.equal(r.fault, FAULT_PAGE);
  assert.equal(r.errorCode, 0);
});

Deno.test("5-level paging walks five tables", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  const lin = 0x1_0000_0000_3000; // PML5 index 1
  map(mem, alloc, root, lin, 0xa000, { top: 5 });
  const c = ctx4(root, { cr4: CR4_LA57 });
  const r = new WalkResult();
  assert.ok(walk(mem, c, lin + 4, ACCESS_READ, r));
  assert.equal(r.phys, 0xa004);
  assert.equal(r.levels, 5);
  assert.equal(walk(mem, c, 0x3000, ACCESS_READ, r), false);
});

Deno.test("#PF error codes: not present, write, user, fetch (I/D only with NXE or SMEP)", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  const c = ctx4(root);
  const r = new WalkResult();
  const cases: Array<[number, number]> = [
    [ACCESS_READ, 0],
    [ACCESS_WRITE, 2],
    [ACCESS_USER, 4],
    [ACCESS_USER | ACCESS_WRITE, 6],
    [ACCESS_EXEC, 0],
    [ACCESS_EXEC | ACCESS_USER, 4],
  ];
  for (const [acc, code] of cases) {
    assert.equal(walk(mem, c, 0x1000, acc, r), false);
    assert.equal(r.errorCode, code, `access ${acc}`);
  }
  const nx = ctx4(root, { efer: EFER_NXE });
  assert.equal(walk(mem, nx, 0x1000, ACCESS_EXEC, r), false);
  assert.equal(r.errorCode, 0x10);
  const smep = ctx4(root, { cr4: CR4_SMEP });
  assert.equal(walk(mem, smep, 0x1000, ACCESS_EXEC | ACCESS_USER, r), false);
  assert.equal(r.errorCode, 0x14);
});

Deno.test("permissions: U/S, R/W with CR0.WP, NX with EFER.NXE", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  map(mem, alloc, root, 0x1000, 0x1000, { flags: P | RW }); // supervisor RW
  map(mem, alloc, root, 0x2000, 0x2000, { flags: P | US }); // user RO
  map(mem, alloc, root, 0x3000, 0x3000, { flags: P | RW | US | XD }); // user RW NX
  const ro = 0x80_0000_0000; // another PML4 slot: read-only at the upper levels
  map(mem, alloc, root, ro, 0x4000, { flags: P | RW | US, upper: P | US });
  const r = new WalkResult();
  const plain = ctx4(root, { efer: EFER_NXE });
  const wp = ctx4(root, { cr0: CR0_WP, efer: EFER_NXE });
  const check = (c: PagingContext, lin: number, acc: number, code: number | true) => {
    const ok = walk(mem, c, lin, acc, r);
    if (code === true) assert.equal(ok, true, `lin ${lin} acc ${acc}`);
    else {
      assert.equal(ok, false, `lin ${lin} acc ${acc}`);
      assert.equal(r.errorCode, code, `lin ${lin} acc ${acc}`);
    }
  };
  check(plain, 0x1000, ACCESS_USER, 5); // user read of supervisor page
  check(plain, 0x1000, ACCESS_WRITE, true);
  check(plain, 0x2000, ACCESS_USER, true);
  check(plain, 0x2000, ACCESS_USER | ACCESS_WRITE, 7);
  check(plain, 0x2000, ACCESS_WRITE, true); // WP=0: supervisor may write RO
  check(wp, 0x2000, ACCESS_WRITE, 3);
  check(plain, 0x3000, ACCESS_EXEC | ACCESS_USER, 0x15);
  check(plain, 0x3000, ACCESS_EXEC, 0x11);
  check(plain, 0x3000, ACCESS_USER | ACCESS_WRITE, true);
  check(plain, ro, ACCESS_USER | ACCESS_WRITE, 7); // R/W=0 at an upper level counts
  check(wp, ro, ACCESS_WRITE, 3);
  check(plain, ro, ACCESS_USER, true);
  check(plain, 0x2000, ACCESS_EXEC | ACCESS_USER, true); // no XD
});

Deno.test("SMEP and SMAP: supervisor access to user pages, EFLAGS.AC and implicit accesses", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  map(mem, alloc, root, 0x2000, 0x2000, { flags: P | US }); // user RO
  map(mem, alloc, root, 0x3000, 0x3000, { flags: P | RW | US }); // user RW
  const r = new WalkResult();
  const smep = ctx4(root, { cr4: CR4_SMEP });
  assert.equal(walk(mem, smep, 0x3000, ACCESS_EXEC, r), false);
  assert.equal(r.errorCode, 0x11);
  assert.equal(walk(mem, smep, 0x3000, ACCESS_READ, r), true); // SMEP is about fetches
  const smap = ctx4(root, { cr4: CR4_SMAP });
  assert.equal(walk(mem, smap, 0x3000, ACCESS_READ, r), false);
  assert.equal(r.errorCode, 1);
  assert.equal(walk(mem, smap, 0x3000, ACCESS_WRITE, r), false);
  assert.equal(r.errorCode, 3);
  assert.equal(walk(mem, smap, 0x3000, ACCESS_READ | ACCESS_AC, r), true);
  assert.equal(walk(mem, smap, 0x3000, ACCESS_WRITE | ACCESS_AC, r), true);
  assert.equal(walk(mem, smap, 0x3000, ACCESS_READ | ACCESS_AC | ACCESS_IMPLICIT, r), false);
  assert.equal(walk(mem, smap, 0x3000, ACCESS_EXEC, r), true); // SMAP is about data
  assert.equal(walk(mem, smap, 0x3000, ACCESS_USER, r), true);
  // WP=0 and AC=1: supervisor may write a read-only user page; WP=1: not.
  assert.equal(walk(mem, smap, 0x2000, ACCESS_WRITE | ACCESS_AC, r), true);
  const smapWp = ctx4(root, { cr4: CR4_SMAP, cr0: CR0_WP });
  assert.equal(walk(mem, smapWp, 0x2000, ACCESS_WRITE | ACCESS_AC, r), false);
  assert.equal(r.errorCode, 3);
});

Deno.test("protection keys: PKRU AD/WD on user pages, data accesses only, PK in the error code", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  const key = (k: number) => BigInt(k) << 59n;
  map(mem, alloc, root, 0x3000, 0x3000, { flags: P | RW | US | key(2) }); // user RW, key 2
  map(mem, alloc, root, 0x4000, 0x4000, { flags: P | RW | key(2) }); // supervisor, key 2
  map(mem, alloc, root, 0x5000, 0x5000, { flags: P | US | key(5) }); // user RO, key 5
  const r = new WalkResult();
  const AD2 = 1 << 4, WD2 = 1 << 5, AD5 = 1 << 10;
  const pk = ctx4(root, { cr4: CR4_PKE });
  assert.ok(pk.pke);
  // AD: no data access at all, user or supervisor; fetches are not affected.
  pk.pkru = AD2;
  assert.equal(walk(mem, pk, 0x3000, ACCESS_USER, r), false);
  assert.equal(r.errorCode, 0x25); // P | U | PK
  assert.equal(walk(mem, pk, 0x3000, ACCESS_WRITE, r), false);
  assert.equal(r.errorCode, 0x23); // P | W | PK
  assert.equal(walk(mem, pk, 0x3000, ACCESS_USER | ACCESS_EXEC, r), true);
  assert.equal(r.perm & (PERM_UR | PERM_UW | PERM_SR | PERM_SW | PERM_SRAC), 0);
  // The key of a supervisor-mode address is ignored.
  assert.equal(walk(mem, pk, 0x4000, ACCESS_WRITE, r), true);
  // WD: user writes denied; supervisor writes only with CR0.WP = 1; reads allowed.
  pk.pkru = WD2;
  assert.equal(walk(mem, pk, 0x3000, ACCESS_USER, r), true);
  assert.equal(walk(mem, pk, 0x3000, ACCESS_USER | ACCESS_WRITE, r), false);
  assert.equal(r.errorCode, 0x27);
  assert.equal(walk(mem, pk, 0x3000, ACCESS_WRITE, r), true); // WP = 0
  const pkWp = ctx4(root, { cr4: CR4_PKE, cr0: CR0_WP });
  pkWp.pkru = WD2;
  assert.equal(walk(mem, pkWp, 0x3000, ACCESS_WRITE, r), false);
  assert.equal(r.errorCode, 0x23);
  // Another key's bits do not matter; a fault for another reason still reports PK
  // when the key would deny too (user write to a read-only page with AD5).
  pk.pkru = AD5;
  assert.equal(walk(mem, pk, 0x3000, ACCESS_USER | ACCESS_WRITE, r), true);
  assert.equal(walk(mem, pk, 0x5000, ACCESS_USER | ACCESS_WRITE, r), false);
  assert.equal(r.errorCode, 0x27);
  pk.pkru = 0;
  assert.equal(walk(mem, pk, 0x5000, ACCESS_USER | ACCESS_WRITE, r), false);
  assert.equal(r.errorCode, 0x07); // no PK: the key allows it
  // Without CR4.PKE (or outside IA-32e paging) bits 62:59 are not a key.
  const off = ctx4(root);
  off.pkru = AD2;
  assert.ok(!off.pke);
  assert.equal(walk(mem, off, 0x3000, ACCESS_USER | ACCESS_WRITE, r), true);
});

Deno.test("protection keys: every combination of access, page rights, CR0.WP, CR4.PKE/PKS, PKRU/PKRS", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  const r = new WalkResult();
  let page = 0x10000;
  let checked = 0;
  for (let flags = 0; flags < 4; flags++) {
    const pageUser = (flags & 1) !== 0, pageRw = (flags & 2) !== 0;
    const lin = page;
    page += 0x1000;
    map(mem, alloc, root, lin, lin, {
      flags: P | A | D | (pageUser ? US : 0n) | (pageRw ? RW : 0n) | (7n << 59n),
    });
    for (let k = 0; k < 64; k++) {
      const user = (k & 1) !== 0, write = (k & 2) !== 0, wp = (k & 4) !== 0, pke = (k & 8) !== 0;
      const fetch = (k & 16) !== 0, pks = (k & 32) !== 0;
      if (fetch && write) continue;
      for (const rights of [0, 1 << 14, 2 << 14, 3 << 14, 0xffffffff & ~(3 << 14)]) {
        const c = ctx4(root, {
          cr0: wp ? CR0_WP : 0,
          cr4: (pke ? CR4_PKE : 0) | (pks ? CR4_PKS : 0),
        });
        // PKRU for user-mode addresses, IA32_PKRS for supervisor-mode ones: give the
        // other register the opposite rights so that using the wrong one shows.
        c.pkru = (pageUser ? rights : ~rights) >>> 0;
        c.pkrs = (pageUser ? ~rights : rights) >>> 0;
        const ad = ((rights >>> 14) & 1) !== 0, wd = ((rights >>> 15) & 1) !== 0;
        // SDM 4.6: the rights of a 4-level leaf without SMEP/SMAP/NX, then 4.6.2 for the key.
        const keyed = pageUser ? pke : pks;
        const denyKey = keyed && !fetch && (ad || (wd && write && (user || wp)));
        const deny = (user && !pageUser) || (write && !pageRw && (user || wp)) || denyKey;
        const access = (user ? ACCESS_USER : 0) | (write ? ACCESS_WRITE : 0) |
          (fetch ? ACCESS_EXEC : 0);
        const ok = walk(mem, c, lin, access, r);
        const what = `page u${+pageUser} w${+pageRw}, k ${k}, rights ${rights.toString(16)}`;
        assert.equal(ok, !deny, what);
        if (!ok) {
          const code = 1 | (write ? 2 : 0) | (user ? 4 : 0) | (denyKey ? 0x20 : 0);
          assert.equal(r.errorCode, code, what);
        }
        checked++;
      }
    }
  }
  assert.equal(checked, 4 * 48 * 5);
});

Deno.test("TLB permission bits reflect WP, SMEP, SMAP and the dirty flag", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  map(mem, alloc, root, 0x3000, 0x3000, { flags: P | RW | US });
  map(mem, alloc, root, 0x4000, 0x4000, { flags: P | RW });
  const r = new WalkResult();
  const smap = ctx4(root, { cr4: CR4_SMAP | CR4_SMEP });
  assert.ok(walk(mem, smap, 0x3000, ACCESS_USER, r)); // read: D still clear
  assert.equal(r.perm, PERM_UR | PERM_UX | PERM_SRAC);
  assert.ok(walk(mem, smap, 0x3000, ACCESS_USER | ACCESS_WRITE, r));
  assert.equal(r.perm, PERM_UR | PERM_UW | PERM_UX | PERM_SRAC | PERM_SWAC);
  assert.ok(walk(mem, smap, 0x4000, ACCESS_WRITE, r));
  assert.equal(r.perm, PERM_SR | PERM_SRAC | PERM_SW | PERM_SWAC | PERM_SX);
  assert.equal(permNeeded(ACCESS_USER | ACCESS_WRITE), PERM_UW);
  assert.equal(permNeeded(ACCESS_USER | ACCESS_EXEC), PERM_UX);
  assert.equal(permNeeded(ACCESS_USER), PERM_UR);
  assert.equal(permNeeded(ACCESS_EXEC), PERM_SX);
  assert.equal(permNeeded(ACCESS_READ), PERM_SR);
  assert.equal(permNeeded(ACCESS_WRITE), PERM_SW);
  assert.equal(permNeeded(ACCESS_READ | ACCESS_AC), PERM_SRAC);
  assert.equal(permNeeded(ACCESS_WRITE | ACCESS_AC), PERM_SWAC);
  assert.equal(permNeeded(ACCESS_WRITE | ACCESS_AC | ACCESS_IMPLICIT), PERM_SW);
});

Deno.test("accessed/dirty flags: set on success only, through the dirty log", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  const leaf = map(mem, alloc, root, 0x5000, 0x5000, { flags: P | US });
  const pml4e = entryAddr(mem, root, 0x5000, 4);
  const r = new WalkResult();
  const c = ctx4(root, { cr0: CR0_WP });
  mem.getAndClearDirty();
  assert.equal(walk(mem, c, 0x5000, ACCESS_WRITE, r), false); // RO with WP
  assert.equal(get64(mem, leaf) & A, 0n);
  assert.equal(get64(mem, pml4e) & A, 0n);
  assert.deepEqual(mem.getAndClearDirty(), []);
  assert.ok(walk(mem, c, 0x5000, ACCESS_READ, r));
  assert.equal(get64(mem, leaf) & (A | D), A);
  assert.equal(get64(mem, pml4e) & (A | D), A);
  for (let level = 1; level <= 4; level++) {
    assert.equal(get64(mem, entryAddr(mem, root, 0x5000, level)) & A, A);
  }
  assert.ok(mem.getAndClearDirty().includes(Math.floor(leaf / 4096)));
  set64(mem, leaf, get64(mem, leaf) | RW);
  assert.ok(walk(mem, c, 0x5000, ACCESS_WRITE, r));
  assert.equal(get64(mem, leaf) & (A | D), A | D);
  assert.equal(get64(mem, pml4e) & D, 0n); // D only on the leaf
  // 2 MiB leaf gets D too.
  const big = map(mem, alloc, root, 0x60_0000, 0x60_0000, { leaf: 2 });
  assert.ok(walk(mem, c, 0x61_0000, ACCESS_WRITE, r));
  assert.equal(get64(mem, big) & (A | D | PS), A | D | PS);
});

Deno.test("reserved bits give #PF with RSVD (and P)", () => {
  const r = new WalkResult();
  const cases: Array<[string, (m: ReturnType<typeof setup>, root: number) => void, number?]> = [
    ["PML4E.PS", ({ mem }, root) => set64(mem, root, get64(mem, root) | PS)],
    ["address above MAXPHYADDR", ({ mem, alloc }, root) => {
      const l = map(mem, alloc, root, 0x1000, 0x1000);
      set64(mem, l, get64(mem, l) | (1n << 46n));
    }],
    ["XD without NXE", ({ mem, alloc }, root) => {
      map(mem, alloc, root, 0x1000, 0x1000, { flags: P | RW | XD });
    }],
    ["2 MiB page bits 20:13", ({ mem, alloc }, root) => {
      map(mem, alloc, root, 0x1000, 0x2000, { leaf: 2 });
    }],
    ["1 GiB page bits 29:13", ({ mem, alloc }, root) => {
      map(mem, alloc, root, 0x1000, 0x20_0000, { leaf: 3 });
    }],
  ];
  for (const [name, build] of cases) {
    const s = setup();
    const root = s.alloc();
    map(s.mem, s.alloc, root, 0x1000, 0x1000);
    build(s, root);
    const c = ctx4(root);
    assert.equal(walk(s.mem, c, 0x1000, ACCESS_USER | ACCESS_WRITE, r), false, name);
    assert.equal(r.fault, FAULT_PAGE, name);
    assert.equal(r.errorCode, 0xf, name);
  }
  // 1 GiB pages not supported: PDPTE.PS is reserved.
  const s = setup();
  const root = s.alloc();
  map(s.mem, s.alloc, root, 0x4000_0000, 0x4000_0000, { leaf: 3 });
  const c = ctx4(root);
  assert.ok(walk(s.mem, c, 0x4000_0000, ACCESS_READ, r));
  c.page1G = false;
  assert.equal(walk(s.mem, c, 0x4000_0000, ACCESS_READ, r), false);
  assert.equal(r.errorCode, 9);
});

Deno.test("32-bit paging: 4 KiB pages, 4 MiB pages with PSE, PSE-36, reserved bit 21", () => {
  const { mem, alloc } = setup();
  const pd = alloc();
  const pt = alloc();
  mem.write32(pd + 1 * 4, pt | 7); // 0x400000-0x7fffff via a page table
  mem.write32(pt + 3 * 4, 0x9000 | 7);
  mem.write32(pd + 2 * 4, 0xc00000 | 0x87); // 4 MiB page at 0xc00000
  mem.write32(pd + 3 * 4, 0x400000 | (0x3 << 13) | 0x87); // PSE-36: bits 33:32 = 3
  mem.write32(pd + 4 * 4, 0x400000 | (1 << 21) | 0x87); // reserved bit 21
  const c = new PagingContext();
  const r = new WalkResult();
  c.load(CR0_PG | PE, pd, CR4_PSE, 0);
  assert.ok(walk(mem, c, 0x403123, ACCESS_USER | ACCESS_WRITE, r));
  assert.equal(r.phys, 0x9123);
  assert.equal(mem.read32(pt + 12) & 0x60, 0x60);
  assert.ok(walk(mem, c, 0x812345, ACCESS_READ, r));
  assert.equal(r.phys, 0xc12345);
  assert.equal(r.pageShift, 22);
  assert.ok(walk(mem, c, 0xc00010, ACCESS_READ, r));
  assert.equal(r.phys, 3 * 2 ** 32 + 0x400010);
  assert.equal(walk(mem, c, 0x1000000, ACCESS_READ, r), false);
  assert.equal(r.errorCode, 9);
  // Without CR4.PSE the PS bit is ignored: the entry points to a page table.
  c.load(CR0_PG | PE, pd, 0, 0);
  assert.equal(walk(mem, c, 0x812345, ACCESS_READ, r), false);
  mem.write32(0xc00000 + 0x12 * 4, 0x9000 | 7);
  assert.ok(walk(mem, c, 0x812345, ACCESS_READ, r));
  assert.equal(r.phys, 0x9345);
  assert.equal(r.pageShift, 12);
  // No XD and no I/D in 32-bit paging without SMEP.
  assert.equal(walk(mem, c, 0x1400000, ACCESS_EXEC, r), false);
  assert.equal(r.errorCode, 0);
  // Global bit honoured only with CR4.PGE.
  mem.write32(pt + 3 * 4, 0x9000 | 7 | 0x100);
  assert.ok(walk(mem, c, 0x403000, ACCESS_READ, r));
  assert.equal(r.global, false);
  c.load(CR0_PG | PE, pd, CR4_PGE, 0);
  assert.ok(walk(mem, c, 0x403000, ACCESS_READ, r));
  assert.equal(r.global, true);
});

Deno.test("PAE: PDPTE registers, loadPdptes validity, 2 MiB pages, bits 62:52 reserved", () => {
  const { mem, alloc } = setup();
  const pdpt = 0x3000 + 0x20; // 32-byte aligned
  const pd = alloc();
  const pt = alloc();
  set64(mem, pdpt + 0, BigInt(pd) | P);
  set64(mem, pd + 0, BigInt(pt) | P | RW | US);
  set64(mem, pt + 8, 0x7000n | P | RW | US | G);
  set64(mem, pd + 8, 0x40_0000n | P | RW | US | PS); // 2 MiB at 0x200000
  set64(mem, pd + 16, 0x60_0000n | P | RW | US | PS | (1n << 55n)); // reserved in PAE
  const c = new PagingContext();
  c.load(CR0_PG | PE, pdpt, CR4_PAE | CR4_PGE, 0);
  assert.equal(c.mode, MODE_PAE);
  assert.equal(loadPdptes(mem, pdpt, c.pdpte, c.maxPhysAddr), 0);
  const r = new WalkResult();
  assert.ok(walk(mem, c, 0x1234, ACCESS_READ, r));
  assert.equal(r.phys, 0x7234);
  assert.equal(r.global, true);
  assert.equal(r.levels, 2);
  assert.ok(walk(mem, c, 0x212345, ACCESS_READ, r));
  assert.equal(r.phys, 0x412345);
  assert.equal(walk(mem, c, 0x400000, ACCESS_READ, r), false);
  assert.equal(r.errorCode, 9);
  assert.equal(walk(mem, c, 0x4000_0000, ACCESS_READ, r), false); // PDPTE 1 not present
  assert.equal(r.errorCode, 0);
  // Reserved bits in present PDPTEs (2:1, 8:5, 63:MAXPHYADDR) are reported by index.
  set64(mem, pdpt + 8, 0x9000n | P | 2n);
  set64(mem, pdpt + 24, 0x9000n | P | (1n << 50n));
  set64(mem, pdpt + 16, 0x9000n | 2n); // not present: not checked
  const out = new Float64Array(4).fill(7);
  assert.equal(loadPdptes(mem, pdpt, out, 46), 0b1010);
  assert.deepEqual([...out], [7, 7, 7, 7]); // unchanged on failure
  set64(mem, pdpt + 8, 0x9000n | P | 0x20n);
  assert.equal(loadPdptes(mem, pdpt, out, 46), 0b1010);
  set64(mem, pdpt + 8, 0n);
  set64(mem, pdpt + 24, 0n);
  assert.equal(loadPdptes(mem, pdpt, out, 46), 0);
  assert.equal(out[0], pd + 1);
});

Deno.test("two-dimensional walk: every guest-physical access goes through the translator", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  map(mem, alloc, root, 0x5000, 0x6000);
  // The "EPT": guest-physical x lives at host x + 0x800000, except one page is missing.
  const seen: string[] = [];
  let missing = -1;
  const xlate = {
    translateGpa(g: number, access: number, linear: number, walk: boolean): number {
      seen.push(`${g.toString(16)} ${access} ${walk}`);
      assert.equal(linear, 0x5008);
      if (Math.floor(g / 4096) === missing) return -1;
      return g + 0x800000;
    },
  };
  // Copy the tables to host location + 0x800000.
  mem.writeBytes(0x800000 + root, mem.readBytes(root, 0x10000));
  const c = ctx4(root);
  const r = new WalkResult();
  assert.ok(walk(mem, c, 0x5008, ACCESS_WRITE, r, xlate));
  assert.equal(r.gpa, 0x6008);
  assert.equal(r.phys, 0x806008);
  assert.equal(seen.length, 4 + 4 + 1); // 4 reads, 4 A/D updates (read-modify-writes), final
  assert.ok(seen[0].endsWith(" 1 true"));
  assert.ok(seen[4].endsWith(" 3 true"));
  assert.equal(seen[8], "6008 2 false");
  // A/D bits were written in the host copy, not in the original.
  assert.equal(get64(mem, 0x800000 + entryAddr(mem, root, 0x5000, 1)) & D, D);
  assert.equal(get64(mem, entryAddr(mem, root, 0x5000, 1)) & D, 0n);
  // Permission bits are limited to the access made.
  assert.equal(r.perm & PERM_UX, 0);
  // A failing translation during the walk gives FAULT_NESTED.
  missing = Math.floor(entryAddr(mem, root, 0x5000, 2) / 4096);
  seen.length = 0;
  assert.equal(walk(mem, c, 0x5008, ACCESS_READ, r, xlate), false);
  assert.equal(r.fault, FAULT_NESTED);
  missing = 6;
  assert.equal(walk(mem, c, 0x5008, ACCESS_READ, r, xlate), false);
  assert.equal(r.fault, FAULT_NESTED);
});

Deno.test("4-level: a recursive PML4 entry used at two levels gets its A bit once, with the value a fresh read gives", () => {
  const { mem } = setup(1);
  const root = 0x10000;
  // PML4[0] points to the PML4 itself; PML4[1] has PS set. Through PML4[0]
  // the PML4 is also the PDPT, so PML4[1] read as PDPT[1] is a 1 GiB leaf.
  set64(mem, root, BigInt(root) | P | RW);
  set64(mem, root + 8, 0x40000000n | P | RW | PS);
  const c = ctx4(root);
  const r = new WalkResult();
  const lin = 1 * 2 ** 30 + 0x1234; // PML4[0], PDPT index 1
  assert.ok(walk(mem, c, lin, ACCESS_WRITE, r));
  assert.equal(r.phys, 0x40001234);
  assert.equal(r.pageShift, 30);
  // The recursive entry got A (set once, as a fresh read would see it);
  // the leaf got A and D.
  assert.equal(get64(mem, root), BigInt(root) | P | RW | A);
  assert.equal(get64(mem, root + 8), 0x40000000n | P | RW | PS | A | D);
  // A read through PML4[0] -> PML4[0] as PDPT entry 0 (a table) -> PML4 as a PD.
  set64(mem, root, BigInt(root) | P | RW);
  const lin2 = 0 * 2 ** 30 + 1 * 2 ** 21 + 0x10; // PML4[0], PDPT[0] (= PML4[0] again), PD[1]
  assert.ok(walk(mem, c, lin2, ACCESS_READ, r), "PD[1] = PML4[1] has PS: a 2 MiB page");
  assert.equal(get64(mem, root), BigInt(root) | P | RW | A, "A set, nothing else changed");
});

Deno.test("two-dimensional walk: a fetch from a user-mode address is marked GPA_USER_FETCH (for MBEC)", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  map(mem, alloc, root, 0x5000, 0x6000); // U/S = 1 at every level: a user-mode address
  map(mem, alloc, root, 0x7000, 0x8000, { flags: P | RW }); // the leaf is supervisor-only
  const finals: number[] = [];
  const xlate = {
    translateGpa(g: number, access: number, _linear: number, walk: boolean): number {
      if (!walk) finals.push(access);
      return g;
    },
  };
  const r = new WalkResult();
  assert.ok(walk(mem, ctx4(root), 0x5000, ACCESS_EXEC, r, xlate));
  assert.ok(walk(mem, ctx4(root), 0x7000, ACCESS_EXEC, r, xlate));
  assert.ok(walk(mem, ctx4(root), 0x5000, ACCESS_READ | ACCESS_USER, r, xlate));
  const none = new PagingContext();
  none.load(PE, 0, 0, 0);
  assert.ok(walk(mem, none, 0x5000, ACCESS_EXEC, r, xlate));
  // user fetch; supervisor fetch; a data read is never marked; paging off is supervisor-mode.
  assert.deepEqual(finals, [4 | GPA_USER_FETCH, 4, 1, 4]);
});
