/**
 * LOOP, LOOPE, LOOPNE and JrCXZ in compiled regions: the same state as the
 * interpreter's, and a loop closed by LOOP runs as one region call per
 * limit instead of stopping the region at every iteration.
 */
import assert from "node:assert/strict";
import { enter32, enter64, installIdt, load, makeCpu, type TestCpu } from "../testing.ts";
import { JitEngine } from "./mod.ts";

function run(code: string, bits: 32 | 64, jit: boolean, rcxHigh = 0): TestCpu {
  const t = makeCpu(8);
  if (bits === 64) enter64(t);
  else enter32(t, false);
  installIdt(t, bits === 64);
  load(t, code);
  t.cpu.gpr[3] = rcxHigh; // RCX bits 63:32 (32-bit code leaves them alone)
  if (jit) t.cpu.jit = new JitEngine(2);
  t.cpu.run(t.cpu.retired + 20_000);
  return t;
}

function same(code: string, bits: 32 | 64, rcxHigh = 0): TestCpu {
  const a = run(code, bits, false, rcxHigh);
  const b = run(code, bits, true, rcxHigh);
  const s = (t: TestCpu) => ({
    gpr: [...t.cpu.gpr],
    rflags: t.cpu.rflags,
    rip: t.cpu.rip,
    retired: t.cpu.retired,
  });
  assert.deepEqual(s(b), s(a));
  assert.equal(b.cpu.jit!.stats.errors, 0);
  return b;
}

// mov ecx, 1000; xor edx, edx; 1: add edx, 1; loop 1b; hlt
const LOOP_BACK = "b9e803000031d283c201e2fbf4";

Deno.test("jit: a loop closed by LOOP runs compiled, with the interpreter's state", () => {
  for (const bits of [64, 32] as const) {
    const b = same(LOOP_BACK, bits, bits === 32 ? 0x1234 : 0);
    assert.equal(b.cpu.gpr[4], 1000, `${bits}-bit: EDX`);
    assert.ok(b.cpu.jit!.compiledRetired > 1900, `${bits}-bit: ${b.cpu.jit!.compiledRetired}`);
    assert.ok(b.cpu.jit!.calls < 20, `${bits}-bit: ${b.cpu.jit!.calls} region calls`);
  }
  // RCX = 2^32 + 2 in 64-bit code: after three iterations the count borrows from bits 63:32.
  const t = same("48b90200000001000000" + "31d2" + "83c201e2fb" + "f4", 64);
  const rcx = t.cpu.gpr[3] * 2 ** 32 + t.cpu.gpr[2];
  assert.equal(rcx, 2 ** 32 + 2 - t.cpu.gpr[4], "RCX counted down by EDX's iterations");
  assert.equal(t.cpu.gpr[3], 0, "past the borrow");
});

Deno.test("jit: LOOPE, LOOPNE and JrCXZ skips agree with the interpreter", () => {
  // mov ecx, 1000; xor edx, edx; 1: test ecx, 1; LOOPcc/JrCXZ +3; add edx, 1; dec ecx; jnz 1b; hlt
  for (const op of ["e0", "e1", "e3"]) {
    for (const bits of [64, 32] as const) {
      same(`b9e803000031d2 f7c101000000 ${op}03 83c201 ffc9 75f0 f4`.replace(/ /g, ""), bits);
    }
  }
});
