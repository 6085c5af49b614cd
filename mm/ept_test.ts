import assert from "node:assert/strict";
import { get64, idx, set64, setup } from "./fixture_test.ts";
import type { PhysicalMemory } from "./physical.ts";
import {
  DEFAULT_EPT_CAPS,
  EPT_EXEC,
  EPT_EXEC_USER,
  EPT_MBEC,
  EPT_MISCONFIG,
  EPT_PAGING_STRUCTURE,
  EPT_QUAL_LINEAR_VALID,
  EPT_QUAL_TRANSLATED,
  EPT_READ,
  EPT_VIOLATION,
  EPT_WRITE,
  eptpValid,
  EptResult,
  eptWalk,
} from "./ept.ts";
import { EptTranslator, INVEPT_ALL_CONTEXT, INVEPT_SINGLE_CONTEXT } from "./ept_cache.ts";
import { Mmu } from "./mmu.ts";
import { ACCESS_WRITE, CR0_PG, CR4_PAE, EFER_LMA, FAULT_NESTED } from "./paging_types.ts";
import { map as mapGuest, P as GP, RW as GRW, US as GUS } from "./fixture_test.ts";

const R = 1n, W = 2n, X = 4n, WB = 6n << 3n, BIG = 0x80n, ACC = 0x100n, DIRTY = 0x200n;
const RWX = R | W | X;

/** EPTP for a 4-level walk, WB, optional A/D. */
function eptp(root: number, ad = false, levels = 4): number {
  return root + 6 + ((levels - 1) << 3) + (ad ? 0x40 : 0);
}

/** Map guest-physical `g` -> `h` in EPT rooted at `root`. */
function eptMap(
  mem: PhysicalMemory,
  alloc: () => number,
  root: number,
  g: number,
  h: number,
  opts: { leaf?: number; flags?: bigint; upper?: bigint; top?: number } = {},
): number {
  const leaf = opts.leaf ?? 1;
  let table = root;
  for (let level = opts.top ?? 4; level > leaf; level--) {
    const ea = table + idx(g, level) * 8;
    let e = get64(mem, ea);
    if (!(e & 7n)) {
      e = BigInt(alloc()) | (opts.upper ?? RWX);
      set64(mem, ea, e);
    }
    table = Number(e & 0x000f_ffff_ffff_f000n);
  }
  const ea = table + idx(g, leaf) * 8;
  set64(mem, ea, BigInt(h) | (opts.flags ?? (RWX | WB)) | (leaf > 1 ? BIG : 0n));
  return ea;
}

/** Address of the EPT entry for `g` at `level`. */
function eptEntry(mem: PhysicalMemory, root: number, g: number, level: number, top = 4): number {
  let table = root;
  for (let l = top; l > level; l--) {
    table = Number(get64(mem, table + idx(g, l) * 8) & 0x000f_ffff_ffff_f000n);
  }
  return table + idx(g, level) * 8;
}

Deno.test("EPT: 4 KiB, 2 MiB, 1 GiB and 5-level translations", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  eptMap(mem, alloc, root, 0x1000, 0x9000);
  eptMap(mem, alloc, root, 0x20_0000, 0x60_0000, { leaf: 2 });
  eptMap(mem, alloc, root, 0x4000_0000, 0x8000_0000, { leaf: 3 });
  const r = new EptResult();
  assert.ok(eptWalk(mem, eptp(root), 0x1234, EPT_READ, r));
  assert.equal(r.hpa, 0x9234);
  assert.equal(r.pageShift, 12);
  assert.equal(r.perm, 7);
  assert.equal(r.memType, 6);
  assert.ok(eptWalk(mem, eptp(root), 0x2f_0001, EPT_WRITE, r));
  assert.equal(r.hpa, 0x6f_0001);
  assert.equal(r.pageShift, 21);
  assert.ok(eptWalk(mem, eptp(root), 0x7000_0000, EPT_EXEC, r));
  assert.equal(r.hpa, 0xb000_0000);
  assert.equal(r.pageShift, 30);
  const root5 = alloc();
  eptMap(mem, alloc, root5, 0x2_0000_0000_5000, 0xa000, { top: 5 });
  assert.ok(eptWalk(mem, eptp(root5, false, 5), 0x2_0000_0000_5008, EPT_READ, r));
  assert.equal(r.hpa, 0xa008);
  assert.equal(eptWalk(mem, eptp(root5, false, 5), 0x5008, EPT_READ, r), false);
  const no5 = { ...DEFAULT_EPT_CAPS, fiveLevel: false };
  assert.equal(eptWalk(mem, eptp(root5, false, 5), 0x2_0000_0000_5008, EPT_READ, r, no5), false);
  assert.equal(r.fault, EPT_MISCONFIG);
});

Deno.test("EPT violation: not present, with the exit qualification of Table 28-7", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  const r = new EptResult();
  assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_WRITE, r), false);
  assert.equal(r.fault, EPT_VIOLATION);
  assert.equal(r.qualification, 0b010);
  assert.equal(r.level, 4);
  const flags = EPT_QUAL_LINEAR_VALID | EPT_QUAL_TRANSLATED;
  assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_EXEC, r, DEFAULT_EPT_CAPS, flags), false);
  assert.equal(r.qualification, 0b100 | 0x80 | 0x100);
  eptMap(mem, alloc, root, 0x5000, 0x9000);
  set64(mem, eptEntry(mem, root, 0x5000, 1), 0n); // leaf not present
  assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_READ, r, DEFAULT_EPT_CAPS, 0x80), false);
  assert.equal(r.level, 1);
  assert.equal(r.qualification, 0x81); // bits 5:3 zero: the AND includes the empty entry
});

Deno.test("EPT violation: suppressVe is bit 63 of the not-present entry or of the leaf, never of a non-leaf entry", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  const SVE = 1n << 63n;
  const r = new EptResult();
  // Not present at the PML4E, with and without bit 63.
  set64(mem, root + idx(0x5000, 4) * 8, SVE);
  assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_READ, r), false);
  assert.equal(r.fault, EPT_VIOLATION);
  assert.equal(r.suppressVe, true);
  set64(mem, root + idx(0x5000, 4) * 8, 0n);
  assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_READ, r), false);
  assert.equal(r.suppressVe, false);
  // A leaf that forbids the write: its bit 63 decides.
  const leaf = eptMap(mem, alloc, root, 0x5000, 0x9000, { flags: R | WB | SVE });
  assert.ok(eptWalk(mem, eptp(root), 0x5000, EPT_READ, r), "bit 63 is not a reserved bit");
  assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_WRITE, r), false);
  assert.equal(r.suppressVe, true);
  set64(mem, leaf, 0x9000n | R | WB);
  // Bit 63 of every non-leaf entry is ignored for the decision.
  for (const level of [4, 3, 2]) {
    const ea = eptEntry(mem, root, 0x5000, level);
    set64(mem, ea, get64(mem, ea) | SVE);
  }
  assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_WRITE, r), false);
  assert.equal(r.suppressVe, false);
  // A not-present leaf under them: its own bit 63 (clear) decides.
  set64(mem, leaf, 0n);
  assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_READ, r), false);
  assert.equal(r.level, 1);
  assert.equal(r.suppressVe, false);
});

Deno.test("EPT violation: permissions are the AND over all levels (bits 5:3)", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  eptMap(mem, alloc, root, 0x5000, 0x9000, { flags: R | X | WB }); // leaf: no write
  eptMap(mem, alloc, root, 0x40_0000_0000, 0xa000, { upper: R | W }); // upper: no exec
  const r = new EptResult();
  assert.ok(eptWalk(mem, eptp(root), 0x5000, EPT_READ, r));
  assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_WRITE, r), false);
  assert.equal(r.fault, EPT_VIOLATION);
  assert.equal(r.qualification, 0b010 | (0b101 << 3));
  assert.ok(eptWalk(mem, eptp(root), 0x40_0000_0000, EPT_WRITE, r));
  assert.equal(eptWalk(mem, eptp(root), 0x40_0000_0000, EPT_EXEC, r), false);
  assert.equal(r.qualification, 0b100 | (0b011 << 3));
});

Deno.test("EPT execute-only pages: allowed when advertised, a misconfiguration otherwise", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  eptMap(mem, alloc, root, 0x5000, 0x9000, { flags: X | WB });
  const r = new EptResult();
  assert.ok(eptWalk(mem, eptp(root), 0x5000, EPT_EXEC, r));
  assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_READ, r), false);
  assert.equal(r.fault, EPT_VIOLATION);
  assert.equal(r.qualification, 0b001 | (0b100 << 3));
  const noXo = { ...DEFAULT_EPT_CAPS, executeOnly: false };
  assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_EXEC, r, noXo), false);
  assert.equal(r.fault, EPT_MISCONFIG);
  assert.equal(r.qualification, 0);
});

Deno.test("EPT misconfigurations: W without R, reserved bits, memory types, large pages", () => {
  const cases: Array<[string, (m: PhysicalMemory, root: number) => void, object?]> = [
    ["write without read", (m, root) => {
      const e = eptEntry(m, root, 0x5000, 1);
      set64(m, e, 0x9000n | W | WB);
    }],
    ["write-only upper level", (m, root) => {
      const e = eptEntry(m, root, 0x5000, 3);
      set64(m, e, (get64(m, e) & ~7n) | W);
    }],
    ["address bit above MAXPHYADDR", (m, root) => {
      const e = eptEntry(m, root, 0x5000, 1);
      set64(m, e, get64(m, e) | (1n << 47n));
    }],
    ["PML4E bits 7:3", (m, root) => set64(m, root, get64(m, root) | 0x08n)],
    ["PML4E bit 7", (m, root) => set64(m, root, get64(m, root) | BIG)],
    ["non-leaf PDE bits 6:3", (m, root) => {
      const e = eptEntry(m, root, 0x5000, 2);
      set64(m, e, get64(m, e) | 0x30n);
    }],
    ["memory type 2", (m, root) => {
      const e = eptEntry(m, root, 0x5000, 1);
      set64(m, e, (get64(m, e) & ~0x38n) | (2n << 3n));
    }],
    ["memory type 3", (m, root) => {
      const e = eptEntry(m, root, 0x5000, 1);
      set64(m, e, (get64(m, e) & ~0x38n) | (3n << 3n));
    }],
    ["memory type 7", (m, root) => {
      const e = eptEntry(m, root, 0x5000, 1);
      set64(m, e, (get64(m, e) & ~0x38n) | (7n << 3n));
    }],
    ["2 MiB page with bits 20:12 set", (m, root) => {
      const e = eptEntry(m, root, 0x5000, 2);
      set64(m, e, 0x20_1000n | RWX | WB | BIG);
    }],
    ["1 GiB page with bits 29:12 set", (m, root) => {
      const e = eptEntry(m, root, 0x5000, 3);
      set64(m, e, 0x4010_0000n | RWX | WB | BIG);
    }],
    ["2 MiB page not advertised", (m, root) => {
      const e = eptEntry(m, root, 0x5000, 2);
      set64(m, e, 0x20_0000n | RWX | WB | BIG);
    }, { page2M: false }],
    ["1 GiB page not advertised", (m, root) => {
      const e = eptEntry(m, root, 0x5000, 3);
      set64(m, e, 0x4000_0000n | RWX | WB | BIG);
    }, { page1G: false }],
  ];
  for (const [name, spoil, capsDelta] of cases) {
    const { mem, alloc } = setup();
    const root = alloc();
    eptMap(mem, alloc, root, 0x5000, 0x9000);
    const r = new EptResult();
    const caps = { ...DEFAULT_EPT_CAPS, ...(capsDelta ?? {}) };
    assert.ok(eptWalk(mem, eptp(root), 0x5000, EPT_READ, r, caps), name);
    spoil(mem, root);
    assert.equal(eptWalk(mem, eptp(root), 0x5000, EPT_READ, r, caps), false, name);
    assert.equal(r.fault, EPT_MISCONFIG, name);
    assert.equal(r.qualification, 0, name);
  }
});

Deno.test("EPT accessed/dirty flags: only with EPTP bit 6; paging-structure accesses count as writes", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  const leaf = eptMap(mem, alloc, root, 0x5000, 0x9000);
  const r = new EptResult();
  assert.ok(eptWalk(mem, eptp(root), 0x5000, EPT_WRITE, r));
  assert.equal(get64(mem, leaf) & (ACC | DIRTY), 0n);
  assert.equal(get64(mem, root) & ACC, 0n);
  assert.ok(eptWalk(mem, eptp(root, true), 0x5000, EPT_READ, r));
  assert.equal(get64(mem, leaf) & (ACC | DIRTY), ACC);
  assert.equal(get64(mem, root) & ACC, ACC);
  assert.equal(r.dirty, false);
  assert.ok(eptWalk(mem, eptp(root, true), 0x5000, EPT_WRITE, r));
  assert.equal(get64(mem, leaf) & (ACC | DIRTY), ACC | DIRTY);
  assert.equal(get64(mem, root) & DIRTY, 0n);
  // A guest paging-structure read on a read-only page: a write with A/D on.
  const ro = eptMap(mem, alloc, root, 0x6000, 0xa000, { flags: R | WB });
  const flags = EPT_PAGING_STRUCTURE | EPT_QUAL_LINEAR_VALID;
  assert.ok(eptWalk(mem, eptp(root), 0x6000, EPT_READ, r, DEFAULT_EPT_CAPS, flags));
  assert.equal(eptWalk(mem, eptp(root, true), 0x6000, EPT_READ, r, DEFAULT_EPT_CAPS, flags), false);
  assert.equal(r.fault, EPT_VIOLATION);
  assert.equal(r.qualification, 0b011 | (0b001 << 3) | 0x80); // bit 8 clear: paging structure
  assert.equal(get64(mem, ro) & ACC, 0n); // no flags on failure
});

Deno.test("eptpValid: memory type, walk length, A/D, reserved bits", () => {
  assert.equal(eptpValid(0x1000 | 6 | (3 << 3), 0), true);
  assert.equal(eptpValid(0x1000 | 0 | (3 << 3), 0), true);
  assert.equal(eptpValid(0x1000 | 1 | (3 << 3), 0), false);
  assert.equal(eptpValid(0x1000 | 6 | (2 << 3), 0), false);
  assert.equal(eptpValid(0x1000 | 6 | (4 << 3), 0), true);
  assert.equal(
    eptpValid(0x1000 | 6 | (4 << 3), 0, { ...DEFAULT_EPT_CAPS, fiveLevel: false }),
    false,
  );
  assert.equal(eptpValid(0x1000 | 6 | (3 << 3) | 0x40, 0), true);
  assert.equal(
    eptpValid(0x1000 | 6 | (3 << 3) | 0x40, 0, { ...DEFAULT_EPT_CAPS, accessDirty: false }),
    false,
  );
  assert.equal(eptpValid(0x1000 | 6 | (3 << 3) | 0x80, 0), false);
  assert.equal(eptpValid(0x1000 | 6 | (3 << 3), 1 << 14), false); // bit 46
  assert.equal(eptpValid(0x1000 | 6 | (3 << 3), 1 << 13), true);
});

Deno.test("EptTranslator caches per EPTP; INVEPT single-context and all-context", () => {
  const { mem, alloc } = setup();
  const rootA = alloc();
  const rootB = alloc();
  eptMap(mem, alloc, rootA, 0x5000, 0x9000);
  eptMap(mem, alloc, rootB, 0x5000, 0xa000);
  const ept = new EptTranslator(mem);
  assert.equal(ept.translate(eptp(rootA), 0x5010, EPT_READ), 0x9010);
  assert.equal(ept.translate(eptp(rootB), 0x5010, EPT_READ), 0xa010);
  assert.equal(ept.cache.count(), 1); // same gfn: direct-mapped, B replaced A
  // Change A's mapping: the cache keeps B until invalidated; A walks again.
  set64(mem, eptEntry(mem, rootB, 0x5000, 1), 0xb000n | RWX | WB);
  assert.equal(ept.translate(eptp(rootB), 0x5010, EPT_READ), 0xa010); // stale until INVEPT
  assert.equal(ept.invept(INVEPT_SINGLE_CONTEXT, eptp(rootA)), true);
  assert.equal(ept.translate(eptp(rootB), 0x5010, EPT_READ), 0xa010);
  assert.equal(ept.invept(INVEPT_SINGLE_CONTEXT, eptp(rootB)), true);
  assert.equal(ept.translate(eptp(rootB), 0x5010, EPT_READ), 0xb010);
  set64(mem, eptEntry(mem, rootB, 0x5000, 1), 0xc000n | RWX | WB);
  assert.equal(ept.invept(INVEPT_ALL_CONTEXT, 0), true);
  assert.equal(ept.cache.count(), 0);
  assert.equal(ept.translate(eptp(rootB), 0x5010, EPT_READ), 0xc010);
  assert.equal(ept.invept(3, 0), false);
  assert.equal(ept.invept(0, 0), false);
  // Failures are reported in result.
  assert.equal(ept.translate(eptp(rootB), 0x7000, EPT_WRITE), -1);
  assert.equal(ept.result.fault, EPT_VIOLATION);
});

Deno.test("EptTranslator: a cached read does not allow a write before D is set", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  const leaf = eptMap(mem, alloc, root, 0x5000, 0x9000);
  const ept = new EptTranslator(mem);
  assert.equal(ept.translate(eptp(root, true), 0x5000, EPT_READ), 0x9000);
  assert.equal(get64(mem, leaf) & DIRTY, 0n);
  assert.equal(ept.translate(eptp(root, true), 0x5000, EPT_WRITE), 0x9000);
  assert.equal(get64(mem, leaf) & DIRTY, DIRTY);
});

Deno.test("two-dimensional walk: Mmu under EPT, violations during the guest walk and at the end", () => {
  const { mem } = setup(32);
  // Guest page tables live in guest-physical space; EPT maps guest x -> host x + 16 MiB.
  const HOST = 0x100_0000;
  const eroot = 0x80000;
  let next = 0x90000;
  const ealloc = () => (next += 4096);
  for (let g = 0; g < 0x40_0000; g += 0x20_0000) {
    eptMap(mem, ealloc, eroot, g, HOST + g, { leaf: 2 });
  }
  // Build guest tables by writing through the host view at +HOST.
  const groot = 0x10_0000;
  let gnext = groot;
  const galloc = () => (gnext += 4096);
  const shadow = {
    read64: (a: number) => mem.read64(a + HOST),
    write64: (a: number, v: bigint) => mem.write64(a + HOST, v),
  } as unknown as PhysicalMemory;
  mapGuest(shadow, galloc, groot, 0x7000, 0x30_0000, { flags: GP | GRW | GUS });
  mapGuest(shadow, galloc, groot, 0x8000, 0x50_0000, { flags: GP | GRW | GUS }); // gpa beyond EPT
  mem.write32(HOST + 0x30_0010, 0xabcdef01);
  const ept = new EptTranslator(mem);
  const faults: Array<{ q: number; gpa: number; lin: number; kind: number }> = [];
  const mmu = new Mmu(mem);
  mmu.nested = ept.gpaTranslator(eptp(eroot, true), (r, gpa, lin) => {
    faults.push({ q: r.qualification, gpa, lin, kind: r.fault });
  });
  assert.equal(mmu.setControlRegisters(CR0_PG | 1, groot, CR4_PAE, EFER_LMA), 0);
  const pa = mmu.translate(0x7010, 0);
  assert.equal(pa, HOST + 0x30_0010);
  assert.equal(mem.read32(pa), 0xabcdef01);
  assert.equal(mmu.result.gpa, 0x30_0010);
  // The final access misses EPT: bit 7 and bit 8 set, the gpa is the translation.
  assert.equal(mmu.translate(0x8004, ACCESS_WRITE), -1);
  assert.equal(mmu.result.fault, FAULT_NESTED);
  assert.deepEqual(faults, [{ q: 0b010 | 0x80 | 0x100, gpa: 0x50_0004, lin: 0x8004, kind: 1 }]);
  // Move the guest's PML4 outside EPT: the walk's first read faults (bit 8 clear,
  // and it counts as a write because EPT A/D is on).
  faults.length = 0;
  mmu.flushAll();
  mmu.writeCr3(0x60_0000);
  assert.equal(mmu.translate(0x7010, 0), -1);
  assert.deepEqual(faults, [{ q: 0b011 | 0x80, gpa: 0x60_0000, lin: 0x7010, kind: 1 }]);
  mmu.dispose();
});

Deno.test("EPT: mode-based execute control (XS = bit 2, XU = bit 10) only with EPT_MBEC", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  const XU = 0x400n;
  const upper = RWX | XU;
  eptMap(mem, alloc, root, 0x1000, 0x9000, { flags: R | X | WB, upper }); // XS only
  eptMap(mem, alloc, root, 0x2000, 0xa000, { flags: R | XU | WB, upper }); // XU only
  eptMap(mem, alloc, root, 0x3000, 0xb000, { flags: XU | WB, upper }); // execute-only, user
  const r = new EptResult();
  const walk = (g: number, access: number, flags = EPT_MBEC) =>
    eptWalk(mem, eptp(root), g, access, r, DEFAULT_EPT_CAPS, flags);
  assert.ok(walk(0x1000, EPT_EXEC));
  assert.equal(r.perm, 5, "R and XS; no XU");
  assert.ok(!walk(0x1000, EPT_EXEC_USER));
  assert.equal(r.fault, EPT_VIOLATION);
  // A fetch (bit 2); R and XS allowed (bits 3, 5); XU clear (bit 6).
  assert.equal(r.qualification, 0x4 | 0x8 | 0x20);
  assert.ok(walk(0x2000, EPT_EXEC_USER));
  assert.equal(r.perm, 1 | EPT_EXEC_USER);
  assert.ok(!walk(0x2000, EPT_EXEC));
  assert.equal(r.qualification, 0x4 | 0x8 | 0x40, "XU reported in bit 6");
  // Bit 10 alone is a present (execute-only) entry with MBEC, not-present without.
  assert.ok(walk(0x3000, EPT_EXEC_USER));
  assert.ok(!walk(0x3000, EPT_READ));
  assert.equal(r.qualification, 0x1 | 0x40);
  assert.ok(!walk(0x3000, EPT_EXEC, 0));
  assert.equal(r.fault, EPT_VIOLATION);
  assert.equal(r.qualification, 0x4, "not present: no permission bits, no bit 6");
  // ... and a misconfiguration where execute-only is not supported.
  const noXo = { ...DEFAULT_EPT_CAPS, executeOnly: false };
  assert.ok(!eptWalk(mem, eptp(root), 0x3000, EPT_EXEC_USER, r, noXo, EPT_MBEC));
  assert.equal(r.fault, EPT_MISCONFIG);
  // Without MBEC bit 2 is X for every fetch and bit 10 is ignored.
  assert.ok(walk(0x1000, EPT_EXEC, 0));
  assert.ok(!walk(0x2000, EPT_EXEC, 0));
  assert.equal(r.qualification, 0x4 | 0x8, "bit 6 stays 0 without MBEC");
});

Deno.test("EPT cache: XU is cached apart from XS, so an MBEC fetch never hits a supervisor grant", () => {
  const { mem, alloc } = setup();
  const root = alloc();
  eptMap(mem, alloc, root, 0x1000, 0x9000, { flags: R | X | WB, upper: RWX | 0x400n });
  const t = new EptTranslator(mem);
  assert.equal(t.translate(eptp(root), 0x1010, EPT_EXEC, EPT_MBEC), 0x9010);
  assert.equal(t.translate(eptp(root), 0x1010, EPT_EXEC_USER, EPT_MBEC), -1);
  assert.equal(t.result.qualification & 0x44, 0x4);
});
