/**
 * Upper halves of 64-bit registers after 32-bit and narrower writes in
 * 64-bit mode, against a recording made on an x86-64 host (AMD Zen 5,
 * `tools/upper-half/record.c`, `tests/data/upper_half.txt`): which writes
 * zero-extend (every 32-bit destination, also CMOVcc not taken, shifts and
 * rotates by 0, XCHG EAX,EAX, an addr32 LOOP's ECX) and which leave a
 * register alone (BSF/BSR of 0, NOP, XCHG RAX,RAX, a failed CMPXCHG's
 * register destination on AMD), run through the interpreter.
 */
import assert from "node:assert/strict";
import { enter64, installIdt, load, makeCpu, runToHlt } from "../cpu/testing.ts";
import { type CpuModel, defaultModel } from "../cpu/model.ts";

/** RAX, RCX, RDX, RBX, RSI, RDI as register numbers. */
const REGS = [0, 1, 2, 3, 6, 7];

interface Case {
  name: string;
  code: string;
  before: bigint[];
  after: bigint[];
}

const CASES: Case[] = Deno.readTextFileSync(new URL("./data/upper_half.txt", import.meta.url))
  .trim().split("\n").map((line) => {
    const [name, code, before, after] = line.split("|");
    const regs = (s: string) => s.split(" ").map((x) => BigInt("0x" + x));
    return { name, code, before: regs(before), after: regs(after) };
  });

function run(c: Case, model: CpuModel): bigint[] {
  const t = makeCpu(8, model);
  enter64(t);
  installIdt(t, true);
  load(t, c.code + "f4");
  REGS.forEach((r, k) => {
    t.cpu.gpr[2 * r] = Number(c.before[k] & 0xffffffffn);
    t.cpu.gpr[2 * r + 1] = Number(c.before[k] >> 32n);
  });
  assert.equal(runToHlt(t), "halted", c.name);
  assert.equal(t.cpu.gpr[30], 0, `${c.name}: no exception`);
  return REGS.map((r) => (BigInt(t.cpu.gpr[2 * r + 1]) << 32n) | BigInt(t.cpu.gpr[2 * r]));
}

Deno.test("upper halves: the recording's cases", () => {
  assert.ok(CASES.length >= 40, `${CASES.length} cases`);
  assert.ok(CASES.some((c) => c.name.startsWith("cmpxchg ebx,esi (ne)")));
});

Deno.test("upper halves: an AMD model reproduces the AMD host's registers", () => {
  const amd = { ...defaultModel(), vendor: "AuthenticAMD", family: 0x1a, model: 0x02 };
  for (const c of CASES) assert.deepEqual(run(c, amd), c.after, c.name);
});

Deno.test("upper halves: the Intel model differs only where Intel documents it (CMPXCHG's write-back)", () => {
  for (const c of CASES) {
    const want = [...c.after];
    // A failed CMPXCHG writes its destination back on Intel: EBX, zero-extended.
    if (c.name === "cmpxchg ebx,esi (ne)") want[3] &= 0xffffffffn;
    assert.deepEqual(run(c, defaultModel()), want, c.name);
  }
});
