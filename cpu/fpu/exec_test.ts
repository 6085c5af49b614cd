import assert from "node:assert/strict";
import { exec32, exec64, LAYOUT } from "../testing.ts";

const D = LAYOUT.data;
const MOV_EAX_DATA = "b8 00 00 20 00"; // mov eax, 0x200000
const NONE = 0xff;

function mark(x: { cpu: { gpr: Uint32Array } }): void {
  x.cpu.gpr[30] = NONE; // r15: the IDT stubs write the vector here
}

Deno.test("#NM: CR0.EM or CR0.TS for x87 instructions; WAIT only with MP and TS", () => {
  const cases: [number, string, number][] = [
    [0x4, "d9 e8 f4", 7], // EM: fld1 -> #NM
    [0x8, "d9 e8 f4", 7], // TS: fld1 -> #NM
    [0x2, "d9 e8 f4", NONE], // MP alone: runs
    [0x8, "9b f4", NONE], // TS without MP: WAIT runs
    [0xa, "9b f4", 7], // MP and TS: WAIT -> #NM
    [0x4, "9b f4", NONE], // EM: WAIT runs
    [0x8, "0f ae 00 f4", 7], // TS: FXSAVE -> #NM
  ];
  for (const [bits, code, want] of cases) {
    const t = exec64(MOV_EAX_DATA + " " + code, (x) => {
      mark(x);
      x.cpu.cr0 = (x.cpu.cr0 & ~0xe) | bits;
    });
    assert.equal(t.cpu.gpr[30], want, `CR0 bits ${bits} code ${code}`);
  }
});

Deno.test("unmasked exception: no result, ES/B set, #MF at the next waiting instruction when CR0.NE", () => {
  // fldcw [rax] (ZE unmasked); fld1; fldz; fdivr st0, st1 (1/0); fwait; hlt
  const code = MOV_EAX_DATA + " d9 28 d9 e8 d9 ee d8 f9 9b f4";
  const init = (ne: boolean) => (x: Parameters<NonNullable<Parameters<typeof exec64>[1]>>[0]) => {
    mark(x);
    x.mem.write16(D, 0x37b);
    if (ne) x.cpu.cr0 |= 0x20;
  };
  let t = exec64(code, init(true));
  assert.equal(t.cpu.gpr[30], 16);
  const f = t.cpu.fpu;
  assert.equal(f.fsw & 0x80ff, 0x8084); // B, ES, ZE
  assert.equal((f.fsw >>> 11) & 7, 6);
  const k = 6; // ST(0): still the zero
  assert.equal(f.sexp[k], 0);
  t = exec64(code, init(false)); // CR0.NE = 0: no #MF (no FERR# line; IGNNE behaviour)
  assert.equal(t.cpu.gpr[30], NONE);
  // FNSTSW AX and FNCLEX are non-waiting: no #MF, then FWAIT passes.
  t = exec64(MOV_EAX_DATA + " d9 28 d9 e8 d9 ee d8 f9 df e0 db e2 9b f4", init(true));
  assert.equal(t.cpu.gpr[30], NONE);
  assert.equal(t.cpu.gpr[0] & 0xffff, 0x3084 | 0x8000);
  assert.equal(t.cpu.fpu.fsw & 0x80ff, 0);
});

Deno.test("FNSTENV (32-bit layout in 64-bit mode): control, status, tag, FIP, FOP; then masks all", () => {
  // fldcw [rax]; fld1; fnstenv [rax+0x40]; hlt
  const t = exec64(MOV_EAX_DATA + " d9 28 d9 e8 d9 70 40 f4", (x) => {
    x.mem.write16(D, 0x27e);
  });
  const m = t.mem;
  assert.equal(m.read16(D + 0x40), 0x27e);
  assert.equal(m.read16(D + 0x44) & 0x3800, 0x3800); // TOP 7
  assert.equal(m.read16(D + 0x48), 0x3fff); // R7 valid, the rest empty
  assert.equal(m.read32(D + 0x4c), LAYOUT.code + 7); // FIP: the fld1
  assert.equal(m.read32(D + 0x50) >>> 16, 0x1e8); // FOP of fld1 (D9 E8)
  assert.equal(t.cpu.fpu.fcw, 0x27f);
});

Deno.test("FNSAVE/FRSTOR round trip; FNSAVE reinitializes", () => {
  // fld1; fldpi; fnsave [rax]; fnstsw [rax+0x300]; frstor [rax]; fstp qword [rax+0x200]; hlt
  const t = exec64(
    MOV_EAX_DATA + " d9 e8 d9 eb dd 30 dd b8 00 03 00 00 dd 20 dd 98 00 02 00 00 f4",
  );
  assert.equal(t.mem.read16(D + 0x300), 0); // after FNSAVE: FNINIT state
  assert.equal(t.mem.read32(D + 0x200), 0x54442d18);
  assert.equal(t.mem.read32(D + 0x204), 0x400921fb); // pi as binary64
  assert.equal((t.cpu.fpu.fsw >>> 11) & 7, 7); // one value left (the 1.0)
});

Deno.test("FXSAVE/FXRSTOR: round trip, abridged tag, alignment and MXCSR #GP", () => {
  // fld1; fxsave [rax]; fninit; fxrstor [rax]; fstp dword [rax+0x400]; hlt
  let t = exec64(MOV_EAX_DATA + " d9 e8 0f ae 00 db e3 0f ae 08 d9 98 00 04 00 00 f4");
  assert.equal(t.mem.read8(D + 4), 0x80); // abridged tag: R7 in use
  assert.equal(t.mem.read32(D + 24), 0x1f80); // MXCSR
  assert.equal(t.mem.read32(D + 0x400), 0x3f800000); // 1.0f
  // misaligned: mov eax, 0x200008; fxsave [rax]
  t = exec64("b8 08 00 20 00 0f ae 00 f4", mark);
  assert.equal(t.cpu.gpr[30], 13);
  // MXCSR reserved bits: fxrstor faults and changes nothing
  t = exec64(MOV_EAX_DATA + " 0f ae 08 f4", (x) => {
    mark(x);
    x.mem.write32(D + 24, 0x10000);
  });
  assert.equal(t.cpu.gpr[30], 13);
  assert.equal(t.cpu.fpu.mxcsr, 0x1f80);
});

Deno.test("stack overflow and underflow: IE|SF with C1, indefinite when masked", () => {
  // fst st1 from an empty stack (fstp st1: dd d9) -> underflow
  let t = exec64("dd d9 f4");
  assert.equal(t.cpu.fpu.fsw & 0x2c1, 0x41); // SF, IE, C1 = 0
  // nine pushes -> overflow on the ninth
  t = exec64("d9 e8 ".repeat(9) + "f4");
  assert.equal(t.cpu.fpu.fsw & 0x2c1, 0x241); // SF, IE, C1 = 1
  const k = (t.cpu.fpu.fsw >>> 11) & 7;
  assert.equal(t.cpu.fpu.sexp[k], 0xffff); // the real indefinite
  assert.equal(t.cpu.fpu.mant[2 * k + 1], 0xc0000000);
});

Deno.test("XSAVE/XRSTOR: #UD without CR4.OSXSAVE; XSTATE_BV; init of a component not in XSTATE_BV; header #GP", () => {
  const osx = (x: Parameters<NonNullable<Parameters<typeof exec64>[1]>>[0]): void => {
    mark(x);
    x.cpu.cr4 |= 0x40000;
    x.cpu.xcr0 = 3;
  };
  // xsave [rax] without OSXSAVE
  let t = exec64(MOV_EAX_DATA + " 31 d2 83 c8 ff 0f ae 20 f4", mark);
  assert.equal(t.cpu.gpr[30], 6);
  // mov ebx, 0x200000; mov eax, 3; xor edx, edx; fld1; xsave [rbx]; fninit; xrstor [rbx]; hlt
  t = exec64("bb 00 00 20 00 b8 03 00 00 00 31 d2 d9 e8 0f ae 23 db e3 0f ae 2b f4", osx);
  assert.equal(t.cpu.gpr[30], NONE);
  assert.equal(t.mem.read32(D + 512), 3); // XSTATE_BV: x87 | SSE
  assert.equal(t.mem.read8(D + 4), 0x80); // abridged tag in the legacy area
  assert.equal((t.cpu.fpu.fsw >>> 11) & 7, 7); // 1.0 restored
  assert.equal(t.cpu.fpu.sexp[7], 0x3fff);
  // XSTATE_BV[0] = 0: XRSTOR puts x87 in its initial state
  t = exec64("bb 00 00 20 00 b8 03 00 00 00 31 d2 d9 e8 0f ae 2b f4", (x) => {
    osx(x);
    x.mem.write32(D + 512, 2);
  });
  assert.equal(t.cpu.fpu.ftw, 0xffff);
  assert.equal(t.cpu.fpu.fsw, 0);
  // standard form: a non-zero XCOMP_BV[62:0] is #GP
  t = exec64("bb 00 00 20 00 b8 03 00 00 00 31 d2 0f ae 2b f4", (x) => {
    osx(x);
    x.mem.write32(D + 520, 1);
  });
  assert.equal(t.cpu.gpr[30], 13);
  // misaligned (64-byte rule)
  t = exec64("bb 40 00 20 00 83 c3 10 b8 03 00 00 00 31 d2 0f ae 23 f4", osx);
  assert.equal(t.cpu.gpr[30], 13);
});

Deno.test("FNSTENV 16-bit protected-mode layout (66 prefix in 32-bit code)", () => {
  // mov eax, 0x200000; fld1; fld dword [eax+0x100]; o16 fnstenv [eax+0x40]; hlt
  const t = exec32("b8 00 00 20 00 d9 e8 d9 80 00 01 00 00 66 d9 70 40 f4", (x) => {
    x.mem.write32(D + 0x100, 0x40000000); // 2.0f
  });
  const m = t.mem;
  assert.equal(m.read16(D + 0x40), 0x37f); // FCW
  assert.equal(m.read16(D + 0x42) & 0x3800, 0x3000); // TOP 6
  assert.equal(m.read16(D + 0x44), 0x0fff); // R6, R7 valid
  assert.equal(m.read16(D + 0x46), (LAYOUT.code + 7) & 0xffff); // FIP offset of the fld dword
  assert.equal(m.read16(D + 0x48), 0x08); // FCS
  assert.equal(m.read16(D + 0x4a), 0x0100); // FDP (low 16 bits of the offset)
  assert.equal(m.read16(D + 0x4c), 0x10); // FDS
});
