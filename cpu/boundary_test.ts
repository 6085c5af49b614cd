/**
 * A fault or a VM exit in the middle of an instruction leaves the state of
 * the instruction boundary (SDM Vol. 3A 6.5 "faults ... the state is that
 * prior to the faulting instruction"; Vol. 3C 27.1 for VM exits). Each
 * case runs one instruction whose first memory accesses succeed and a
 * later one fails, twice: with a #PF (a not-present 2 MiB page) and with
 * an EPT violation (a fake non-root hook whose translateGpa refuses one
 * 4 KiB page). The "VM exit" records the registers it would save, then
 * loads a host state; afterwards every register saved must be that of
 * the boundary and the host state must not have been touched by the
 * abandoned instruction.
 */
import assert from "node:assert/strict";
import type { Cpu } from "./cpu.ts";
import { enter32, enter64, installIdt, LAYOUT, load, makeCpu, type TestCpu } from "./testing.ts";

/** Not present in the page tables (PD entry 2 cleared): #PF. */
const PF_HOLE = 0x400000;
/** Refused by the fake EPT: an EPT-violation "VM exit". */
const EPT_HOLE = 0x300000;
const HOST_RIP = LAYOUT.code + 0x800;
const HOST_RSP = 0x70000;

interface Regs {
  gpr: number[];
  rflags: number;
  selectors: number[];
  cpl: number;
  rip: number;
}

function regs(c: Cpu, rip: number): Regs {
  return {
    gpr: Array.from(c.gpr.subarray(0, 32)),
    rflags: c.rflags,
    selectors: c.seg.map((s) => s.selector),
    cpl: c.cpl,
    rip,
  };
}

/**
 * Install the fake VMX (the exit bus of the test CPU plus a guest-physical
 * translator refusing {@link EPT_HOLE}): returns the states the "exits" saved.
 */
function fakeVmx(t: TestCpu): Regs[] {
  const c = t.cpu;
  const saved: Regs[] = [];
  const exitNow = (): void => {
    saved.push(regs(c, c.ip0));
    c.nonRoot = false;
    c.guestPhysical = null;
    c.gpr[8] = HOST_RSP;
    c.gpr[9] = 0;
    c.rip = HOST_RIP;
    c.stateChanged();
  };
  const fault = { kind: "ept-violation" as const, gpa: 0, linear: NaN, qualification: 0 };
  c.nonRoot = true;
  c.guestPhysical = {
    translateGpa: (gpa: number, _access: number, linear: number): number => {
      if (gpa >= EPT_HOLE && gpa < EPT_HOLE + 4096) {
        fault.gpa = gpa;
        fault.linear = linear;
        return -1;
      }
      return gpa;
    },
    fault,
  };
  t.onExit = (e) => {
    if (!c.nonRoot) return "pass";
    if (e.kind !== "exception" && e.kind !== "ept-violation") return "pass";
    exitNow();
    return "reflected";
  };
  return saved;
}

interface Case {
  name: string;
  code: string;
  /** Set registers/memory so that the access at `hole` (+ offsets) fails last. */
  init: (t: TestCpu, hole: number) => void;
}

function run(k: Case, hole: number, bits: 32 | 64 = 64): void {
  const t = makeCpu();
  if (bits === 64) {
    enter64(t);
    installIdt(t, true);
    t.mem.write32(LAYOUT.pd + 2 * 8, 0); // 0x400000-0x5fffff not present
  } else {
    enter32(t, true);
    installIdt(t, false);
    t.mem.write32(LAYOUT.pd + 1 * 4, 0); // 0x400000-0x7fffff not present (4 MiB pages)
  }
  t.cpu.stateChanged();
  load(t, k.code);
  t.mem.writeBytes(HOST_RIP, new Uint8Array([0xf4]));
  k.init(t, hole);
  t.cpu.stateChanged();
  const before = regs(t.cpu, LAYOUT.code);
  const saved = fakeVmx(t);
  const stop = t.cpu.run(t.cpu.retired + 10);
  const what = `${k.name} (${hole === PF_HOLE ? "#PF" : "EPT violation"})`;
  assert.equal(stop, "halted", what);
  assert.equal(saved.length, 1, `${what}: one exit`);
  assert.deepEqual(saved[0], before, `${what}: the exit saw the instruction boundary`);
  assert.equal(t.cpu.rip, HOST_RIP + 1, `${what}: host RIP`);
  assert.equal(t.cpu.gpr[8], HOST_RSP, `${what}: host RSP not overwritten`);
  assert.equal(t.cpu.gpr[9], 0, `${what}: host RSP high half`);
}

function set64(t: TestCpu, r: number, v: number): void {
  t.cpu.gpr[2 * r] = v >>> 0;
  t.cpu.gpr[2 * r + 1] = Math.floor(v / 2 ** 32) >>> 0;
}

const CASES: Case[] = [
  {
    name: "LEAVE (RSP := RBP before the load)",
    code: "c9 f4",
    init: (t, hole) => set64(t, 5, hole + 0x100),
  },
  {
    name: "LEAVE with a 16-bit operand (66 c9)",
    code: "66 c9 f4",
    init: (t, hole) => set64(t, 5, hole + 0x100),
  },
  {
    name: "POP m64 (RSP incremented before the store)",
    code: `8f 04 25 ${le32(0)}`,
    init: () => {},
  },
  {
    name: "ENTER 16, 2 (RBP pushed before the nested frame read)",
    code: "c8 10 00 02 f4",
    init: (t, hole) => set64(t, 5, hole + 0x100),
  },
  {
    name: "ENTER 16, 1 (frame pointer push into a refused stack page)",
    code: "c8 10 00 01 f4",
    init: (t, hole) => {
      set64(t, 4, hole + 0x1008);
      set64(t, 5, 0x1234);
    },
  },
  {
    name: "far CALL m16:64 (CS pushed, then RIP faults)",
    code: "48 ff 1c 25 00 00 20 00 f4",
    init: (t, hole) => {
      t.mem.write32(LAYOUT.data, LAYOUT.code + 0x40);
      t.mem.write32(LAYOUT.data + 4, 0);
      t.mem.write32(LAYOUT.data + 8, 0x18);
      set64(t, 4, hole + 0x1008);
    },
  },
  {
    name: "CALL rel32 into a refused stack",
    code: "e8 00 00 00 00 f4",
    init: (t, hole) => set64(t, 4, hole + 0x10),
  },
  {
    name: "RET imm16 from a refused stack",
    code: "c2 08 00",
    init: (t, hole) => set64(t, 4, hole + 0x10),
  },
  {
    name: "IRETQ: RIP/CS/RFLAGS read, RSP/SS fault",
    code: "48 cf",
    init: (t, hole) => {
      const sp = hole - 24;
      t.mem.write32(sp, LAYOUT.code + 0x40);
      t.mem.write32(sp + 8, 0x18);
      t.mem.write32(sp + 16, 2);
      set64(t, 4, sp);
    },
  },
  {
    name: "POP FS from a refused stack",
    code: "0f a1 f4",
    init: (t, hole) => set64(t, 4, hole + 0x10),
  },
  {
    name: "XCHG with refused memory",
    code: "48 87 03 f4",
    init: (t, hole) => {
      set64(t, 3, hole + 0x10);
      set64(t, 0, 0x1111);
    },
  },
  {
    name: "CMPXCHG16B with refused memory",
    code: "48 0f c7 0e f4",
    init: (t, hole) => {
      set64(t, 6, hole + 0x10);
      set64(t, 0, 1);
      set64(t, 2, 2);
    },
  },
  {
    name: "CMPXCHG8B with refused memory",
    code: "0f c7 0e f4",
    init: (t, hole) => set64(t, 6, hole + 0x10),
  },
  {
    name: "MOVSQ into refused memory",
    code: "48 a5 f4",
    init: (t, hole) => {
      set64(t, 6, LAYOUT.data);
      set64(t, 7, hole + 0x10);
    },
  },
  {
    name: "LODSQ from refused memory",
    code: "48 ad f4",
    init: (t, hole) => set64(t, 6, hole + 0x10),
  },
  {
    name: "PUSH m64 onto a refused stack",
    code: "ff 34 25 00 00 20 00 f4",
    init: (t, hole) => set64(t, 4, hole + 0x10),
  },
  {
    name: "POP r64 from a refused stack",
    code: "5b f4",
    init: (t, hole) => set64(t, 4, hole + 0x10),
  },
];

function le32(v: number): string {
  return [0, 8, 16, 24].map((s) => ((v >>> s) & 0xff).toString(16).padStart(2, "0")).join(" ");
}

for (const k of CASES) {
  Deno.test(`boundary: ${k.name} leaves the boundary state on #PF and on an EPT exit`, () => {
    for (const hole of [PF_HOLE, EPT_HOLE]) {
      const c: Case = k.name.startsWith("POP m64")
        ? { ...k, code: `8f 04 25 ${le32(hole + 0x10)} f4` }
        : k;
      run(c, hole);
    }
  });
}

const CASES32: Case[] = [
  {
    name: "PUSHAD (eight pushes, the last ones fault)",
    code: "60 f4",
    init: (t, hole) => set64(t, 4, hole + 0x1010),
  },
  {
    name: "POPAD from a stack whose upper words fault",
    code: "61 f4",
    init: (t, hole) => set64(t, 4, hole - 0x10),
  },
  {
    name: "ENTER 8, 3 (32-bit)",
    code: "c8 08 00 03 f4",
    init: (t, hole) => set64(t, 5, hole + 0x100),
  },
  {
    name: "LEAVE (32-bit)",
    code: "c9 f4",
    init: (t, hole) => set64(t, 5, hole + 0x100),
  },
  {
    name: "CALL ptr16:32 (CS pushed, EIP faults)",
    code: "9a 40 00 10 00 08 00 f4",
    init: (t, hole) => set64(t, 4, hole + 0x1004),
  },
];

for (const k of CASES32) {
  Deno.test(`boundary (32-bit): ${k.name} leaves the boundary state on #PF and on an EPT exit`, () => {
    for (const hole of [PF_HOLE, EPT_HOLE]) run(k, hole, 32);
  });
}

Deno.test("boundary: REP MOVSB into a refused page stops between iterations with consistent registers", () => {
  for (const hole of [PF_HOLE, EPT_HOLE]) {
    const t = makeCpu();
    enter64(t);
    installIdt(t, true);
    t.mem.write32(LAYOUT.pd + 2 * 8, 0);
    load(t, "f3 a4 f4");
    t.mem.writeBytes(HOST_RIP, new Uint8Array([0xf4]));
    set64(t, 6, LAYOUT.data);
    set64(t, 7, hole - 5);
    set64(t, 1, 16);
    t.cpu.stateChanged();
    const saved = fakeVmx(t);
    assert.equal(t.cpu.run(t.cpu.retired + 10), "halted");
    assert.equal(saved.length, 1);
    const g = saved[0].gpr;
    assert.equal(g[2], 11, "RCX: five iterations done");
    assert.equal(g[12], LAYOUT.data + 5, "RSI advanced by five");
    assert.equal(g[14], hole, "RDI at the refused byte");
    assert.equal(saved[0].rip, LAYOUT.code, "RIP at the REP MOVSB");
    assert.equal(t.cpu.gpr[8], HOST_RSP);
  }
});
