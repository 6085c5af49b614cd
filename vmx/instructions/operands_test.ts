import assert from "node:assert/strict";
import { FakeGuestFault, FakeVcpu, HarnessMemory, memOperand } from "../testing.ts";
import { checkMemAccess, readMem, readReg, writeMem, writeReg } from "./operands.ts";

function vcpu32(): FakeVcpu {
  const v = new FakeVcpu(new HarnessMemory(1 << 16), { mode: "protected32" });
  v.efer = 0;
  return v;
}

function outcome(run: () => void): string {
  try {
    run();
    return "ok";
  } catch (e) {
    if (e instanceof FakeGuestFault) {
      return e.vector === 12 ? "#SS" : e.vector === 13 ? "#GP" : `#${e.vector}`;
    }
    throw e;
  }
}

Deno.test("segment checks: limits of expand-up segments, #SS for SS", () => {
  const v = vcpu32();
  v.seg[3].limit = 0xfff;
  v.seg[2].limit = 0xfff;
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0xff8, 3), 8, false)), "ok");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0xff9, 3), 8, false)), "#GP");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0xffc, 3), 4, true)), "ok");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0xffd, 2), 4, true)), "#SS");
  // The offset is checked, not the linear address (base 0x1000 here).
  v.seg[3].base = 0x1000;
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0x1ff8, 3, 0xff8), 8, false)), "ok");
});

Deno.test("segment checks: expand-down data segments", () => {
  const v = vcpu32();
  v.seg[3].attrs = 0xc097; // expand-down, writable, B=1
  v.seg[3].limit = 0xfff;
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0xff8, 3), 8, false)), "#GP");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0x1000, 3), 8, false)), "ok");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0xfffffff8, 3), 8, false)), "ok");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0xfffffffc, 3), 8, false)), "#GP");
  v.seg[3].attrs = 0x8097; // B=0: upper bound 0xFFFF
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0xfff8, 3), 8, false)), "ok");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0xfffc, 3), 8, false)), "#GP");
});

Deno.test("segment checks: unusable, not present, code and read-only segments", () => {
  const v = vcpu32();
  v.seg[4].attrs = 0x10000; // FS unusable (null selector)
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0x10, 4), 8, false)), "#GP");
  v.seg[4].attrs = 0xc013; // not present
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0x10, 4), 8, false)), "#GP");
  v.seg[1].attrs = 0xc09b; // CS: execute/read code
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0x10, 1), 8, false)), "ok");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0x10, 1), 8, true)), "#GP");
  v.seg[1].attrs = 0xc099; // execute-only
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0x10, 1), 8, false)), "#GP");
  v.seg[0].attrs = 0xc091; // read-only data
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0x10, 0), 8, false)), "ok");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0x10, 0), 8, true)), "#GP");
});

Deno.test("64-bit mode: canonical checks only (#SS through SS)", () => {
  const v = new FakeVcpu(new HarnessMemory(1 << 16));
  v.seg[3].limit = 0; // ignored in 64-bit mode
  assert.equal(outcome(() => checkMemAccess(v, memOperand(0x10, 3), 8, true)), "ok");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(2 ** 47 - 8, 3), 8, true)), "ok");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(2 ** 47 - 7, 3), 8, true)), "#GP");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(-(2 ** 47), 3), 8, true)), "ok");
  assert.equal(outcome(() => checkMemAccess(v, memOperand(-(2 ** 47) - 8, 2), 8, true)), "#SS");
});

Deno.test("readMem/writeMem and register operand sizes", () => {
  const v = new FakeVcpu(new HarnessMemory(1 << 16));
  writeMem(v, memOperand(0x100), 8, 0x11223344, 0x55667788);
  const out = { lo: 0, hi: 9 };
  readMem(v, memOperand(0x100), 8, out);
  assert.deepEqual(out, { lo: 0x11223344, hi: 0x55667788 });
  readMem(v, memOperand(0x100), 4, out);
  assert.deepEqual(out, { lo: 0x11223344, hi: 0 });
  v.setReg(5, 0x1_0000_0002);
  readReg(v, 5, out);
  assert.deepEqual(out, { lo: 2, hi: 1 });
  v.mode = "protected32";
  readReg(v, 5, out);
  assert.deepEqual(out, { lo: 2, hi: 0 });
  writeReg(v, 6, 0xffffffff, 0xffffffff);
  assert.equal(v.reg(6), 0xffffffff);
  v.mode = "long64";
  writeReg(v, 6, 0xffffffff, 0x1);
  assert.equal(v.reg(6), 0x1_ffffffff);
});
