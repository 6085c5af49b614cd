import assert from "node:assert/strict";
import { exec64, LAYOUT, type TestCpu } from "../testing.ts";

const D = LAYOUT.data;
const NONE = 0xff;
// mov ebx, 0x200000; mov eax, 3; xor edx, edx
const SETUP = "bb 00 00 20 00 b8 03 00 00 00 31 d2";
const FLD1 = "d9 e8";
const FNINIT = "db e3";
const XSAVEC = "0f c7 23"; // xsavec [rbx]
const XSAVES = "0f c7 2b"; // xsaves [rbx]
const XRSTORS = "0f c7 1b"; // xrstors [rbx]
const XRSTOR = "0f ae 2b"; // xrstor [rbx]

function osx(x: TestCpu): void {
  x.cpu.gpr[30] = NONE; // r15: the IDT stubs write the vector here
  x.cpu.cr4 |= 0x40000;
  x.cpu.xcr0 = 3;
}

function run(code: string, init?: (x: TestCpu) => void): TestCpu {
  return exec64(code + " f4", (x) => {
    osx(x);
    init?.(x);
  });
}

Deno.test("XSAVEC: compacted header (XSTATE_BV = RFBM, XCOMP_BV = bit 63 | RFBM), rest of header untouched", () => {
  const t = run(`${SETUP} ${FLD1} ${XSAVEC}`, (x) => {
    x.mem.write32(D + 512, 0xffffffff);
    x.mem.write32(D + 516, 0xffffffff);
    x.mem.write32(D + 528, 0x11);
  });
  assert.equal(t.cpu.gpr[30], NONE);
  assert.equal(t.mem.read32(D + 512), 3);
  assert.equal(t.mem.read32(D + 516), 0);
  assert.equal(t.mem.read32(D + 520), 3);
  assert.equal(t.mem.read32(D + 524), 0x80000000);
  assert.equal(t.mem.read32(D + 528), 0x11);
  assert.equal(t.mem.read8(D + 4), 0x80); // abridged tag: R7 valid
  // RFBM = 1 (EAX = 1): only x87, XCOMP_BV follows RFBM.
  const u = run("bb 00 00 20 00 b8 01 00 00 00 31 d2 " + XSAVEC);
  assert.equal(u.mem.read32(D + 520), 1);
  assert.equal(u.mem.read32(D + 512), 1);
  assert.equal(u.mem.read32(D + 24), 0); // MXCSR not written (component 1 not saved)
});

Deno.test("XSAVEC/XSAVES then XRSTOR/XRSTORS of the compacted image restore the state", () => {
  for (const [save, rstor] of [[XSAVEC, XRSTOR], [XSAVES, XRSTORS], [XSAVES, XRSTOR]]) {
    const t = run(`${SETUP} ${FLD1} ${save} ${FNINIT} ${rstor}`);
    assert.equal(t.cpu.gpr[30], NONE, `${save} / ${rstor}`);
    assert.equal((t.cpu.fpu.fsw >>> 11) & 7, 7);
    assert.equal(t.cpu.fpu.sexp[7], 0x3fff);
  }
});

Deno.test("compacted XRSTOR: #GP for XCOMP_BV outside XCR0, XSTATE_BV outside XCOMP_BV, header bytes 63:16; XRSTORS of a standard image", () => {
  const cases: [string, number, number, number, number][] = [
    // [instruction, XSTATE_BV, XCOMP_BV lo, XCOMP_BV hi, header offset made non-zero (0: none)]
    [XRSTOR, 0, 4, 0x80000000, 0],
    [XRSTOR, 2, 1, 0x80000000, 0],
    [XRSTOR, 0, 3, 0x80000000, 540],
    [XRSTOR, 0, 3, 0x80000000 | 1, 0],
    [XRSTORS, 0, 0, 0, 0],
  ];
  for (const [ins, bv, lo, hi, off] of cases) {
    const t = run(`${SETUP} ${ins}`, (x) => {
      x.mem.write32(D + 512, bv);
      x.mem.write32(D + 520, lo);
      x.mem.write32(D + 524, hi);
      if (off !== 0) x.mem.write32(D + off, 1);
    });
    assert.equal(t.cpu.gpr[30], 13, `${ins} bv ${bv} xcomp ${hi.toString(16)}:${lo}`);
  }
  // The same image with valid fields restores (the checks above can pass).
  const ok = run(`${SETUP} ${XRSTOR}`, (x) => {
    x.mem.write32(D + 520, 3);
    x.mem.write32(D + 524, 0x80000000);
  });
  assert.equal(ok.cpu.gpr[30], NONE);
});

Deno.test("compacted XRSTOR with XSTATE_BV[1] = 0 initializes MXCSR (1F80H); the standard form loads it", () => {
  const init = (compacted: boolean) => (x: TestCpu): void => {
    x.cpu.fpu.mxcsr = 0x3f80;
    x.mem.write32(D + 24, 0xffff0000); // reserved MXCSR bits
    x.mem.write32(D + 512, 1);
    if (compacted) {
      x.mem.write32(D + 520, 3);
      x.mem.write32(D + 524, 0x80000000);
    }
  };
  const c = run(`${SETUP} ${XRSTOR}`, init(true));
  assert.equal(c.cpu.gpr[30], NONE);
  assert.equal(c.cpu.fpu.mxcsr, 0x1f80);
  const s = run(`${SETUP} ${XRSTOR}`, init(false));
  assert.equal(s.cpu.gpr[30], 13); // reserved MXCSR bits loaded
});

Deno.test("XSAVEC/XSAVES/XRSTORS #UD without their CPUID feature or CR4.OSXSAVE", () => {
  for (const [ins, feat] of [[XSAVEC, "xsavec"], [XSAVES, "xsaves"], [XRSTORS, "xsaves"]]) {
    const t = run(`${SETUP} ${ins}`, (x) => x.cpu.model.features.delete(feat));
    assert.equal(t.cpu.gpr[30], 6, ins);
    const u = run(`${SETUP} ${ins}`, (x) => x.cpu.cr4 &= ~0x40000);
    assert.equal(u.cpu.gpr[30], 6, ins);
  }
});

Deno.test("XGETBV(1) returns XCR0 AND XINUSE (all in use); #GP without the feature", () => {
  // mov ecx, 1; xgetbv
  const code = "b9 01 00 00 00 ba 55 00 00 00 0f 01 d0";
  let t = run(code);
  assert.equal(t.cpu.gpr[30], NONE);
  assert.equal(t.cpu.gpr[0], 3);
  assert.equal(t.cpu.gpr[4], 0);
  t = run(code, (x) => x.cpu.xcr0 = 1);
  assert.equal(t.cpu.gpr[0], 1);
  t = run(code, (x) => x.cpu.model.features.delete("xgetbv1"));
  assert.equal(t.cpu.gpr[30], 13);
});

Deno.test("CPUID.(EAX=0DH,ECX=1): XSAVEOPT|XSAVEC|XGETBV1|XSAVES, compacted size 576, no IA32_XSS bits", () => {
  // mov eax, 0xd; mov ecx, 1; cpuid
  const t = run("b8 0d 00 00 00 b9 01 00 00 00 0f a2");
  assert.deepEqual([t.cpu.gpr[0], t.cpu.gpr[6], t.cpu.gpr[2], t.cpu.gpr[4]], [0xf, 576, 0, 0]);
  const u = run("b8 0d 00 00 00 b9 01 00 00 00 0f a2", (x) => {
    x.cpu.model.features.delete("xsavec");
    x.cpu.model.features.delete("xsaves");
  });
  assert.deepEqual([u.cpu.gpr[0], u.cpu.gpr[6]], [0x5, 0]);
});

Deno.test("IA32_XSS (0DA0H): reads 0, accepts only 0", () => {
  // mov ecx, 0xda0; xor eax, eax; xor edx, edx; wrmsr; mov eax, 0x55; rdmsr
  const t = run("b9 a0 0d 00 00 31 c0 31 d2 0f 30 b8 55 00 00 00 0f 32");
  assert.equal(t.cpu.gpr[30], NONE);
  assert.equal(t.cpu.gpr[0], 0);
  // mov ecx, 0xda0; mov eax, 1; xor edx, edx; wrmsr
  const u = run("b9 a0 0d 00 00 b8 01 00 00 00 31 d2 0f 30");
  assert.equal(u.cpu.gpr[30], 13);
});
