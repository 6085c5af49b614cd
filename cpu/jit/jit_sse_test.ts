/**
 * x87, MMX and SSE instructions inside compiled regions (MMX/SSE mostly as
 * `Gen.lightHelper`): a fault in one leaves exactly the interpreter's state
 * (registers the region had in locals, flags an earlier instruction left,
 * XMM and x87 registers, the exception frame and the retired count); a
 * store by one into the region's own code is seen; and such loops do run
 * compiled.
 */
import assert from "node:assert/strict";
import { enter64, installIdt, LAYOUT, load, makeCpu, type TestCpu } from "../testing.ts";
import { JitEngine } from "./mod.ts";

function run(code: string, jit: boolean): TestCpu {
  const t = makeCpu(8);
  enter64(t);
  installIdt(t, true);
  // SSE on: CR4.OSFXSR and OSXMMEXCPT, CR0.EM clear, CR0.MP set; CR0.NE: x87 errors as #MF.
  t.cpu.cr4 |= 0x600;
  t.cpu.cr0 = (t.cpu.cr0 & ~4) | 0x22;
  t.cpu.stateChanged();
  load(t, code);
  if (jit) t.cpu.jit = new JitEngine(2);
  t.cpu.run(t.cpu.retired + 2_000_000);
  return t;
}

function state(t: TestCpu): unknown {
  const c = t.cpu;
  const stack: number[] = [];
  for (let k = 0; k < 64; k++) stack.push(t.mem.read8(LAYOUT.stack - 64 + k));
  return {
    gpr: [...c.gpr],
    xmm: [...c.fpu.xmm32.subarray(0, 12)],
    mxcsr: c.fpu.mxcsr,
    fsw: c.fpu.fsw,
    ftw: c.fpu.ftw,
    rflags: c.rflags,
    rip: c.rip,
    retired: c.retired,
    cr2: c.cr2,
    stack,
  };
}

Deno.test("jit: a #PF in an SSE load of a compiled loop leaves the interpreter's state", () => {
  // mov rbx, 0x3fff0000; mov ecx, 100000
  // 1: add rax, rcx; movsd xmm0, [rbx]; addsd xmm1, xmm0; add rbx, 0x1000; dec ecx; jnz 1b; hlt
  // The load reaches 0x40000000, past the identity-mapped 1 GiB: #PF, with RAX, RBX and
  // the flags of ADD RAX, RCX still in the region's locals.
  const code = "48c7c30000ff3f b9a0860100 4801c8 f20f1003 f20f58c8 4881c300100000 ffc9 75ea f4";
  const a = run(code, false);
  const b = run(code, true);
  assert.equal(a.cpu.gpr[30], 14, "the interpreter took #PF");
  assert.equal(a.cpu.cr2, 0x40000000);
  assert.deepEqual(state(b), state(a));
  // The region faulted (so its instructions are not in compiledRetired): nearly all of the
  // 101 instructions ran in it, few interpreted.
  assert.ok(b.cpu.jit!.calls > 0 && b.cpu.jit!.steps < 20, `interpreted ${b.cpu.jit!.steps}`);
});

Deno.test("jit: a MOVD store into a compiled loop's own code is seen by the loop", () => {
  // lea rsi, [rip + 0x11] (the immediate of the MOV EAX below); mov ecx, 200; xor edx, edx
  // mov eax, 0x22222222; movd xmm2, eax
  // 1: mov eax, 0x11111111; add edx, eax; cmp ecx, 100; jne 2f; movd [rsi], xmm2
  // 2: dec ecx; jnz 1b; hlt
  const code = "488d3511000000 b9c8000000 31d2 b822222222 660f6ed0 b811111111 01c2 83f964 7504 " +
    "660f7e16 ffc9 75ec f4";
  const a = run(code, false);
  const b = run(code, true);
  // 101 iterations add 0x11111111 (the store comes after the add of the 101st), 99 the new value.
  assert.equal(a.cpu.gpr[4], (101 * 0x11111111 + 99 * 0x22222222) % 2 ** 32);
  assert.deepEqual(state(b), state(a));
});

Deno.test("jit: an SSE loop with memory operands runs compiled and ends as interpreted", () => {
  // An array sum: mov rbx, 0x200000; mov ecx, 50000; pxor xmm1, xmm1
  // 1: cvtsi2sd xmm0, ecx; movsd [rbx + rcx*8], xmm0; addsd xmm1, [rbx + rcx*8];
  //    mulsd xmm1, xmm1 (squares keep PE and a varying value); sqrtsd xmm1, xmm1; dec ecx; jnz 1b; hlt
  const code = "48c7c300002000 b950c30000 660fefc9 f20f2ac1 f20f1104cb f20f580ccb " +
    "f20f59c9 f20f51c9 ffc9 75e6 f4";
  const a = run(code, false);
  const b = run(code, true);
  assert.equal(a.cpu.rip & 0xfff, (code.replace(/ /g, "").length / 2) & 0xfff, "ran to HLT");
  assert.deepEqual(state(b), state(a));
  assert.ok(
    b.cpu.jit!.compiledRetired > 0,
    `the loop ran compiled (${b.cpu.jit!.compiledRetired})`,
  );
});

Deno.test("jit: an unmasked x87 exception in a compiled loop is taken as #MF where interpreted", () => {
  // fninit; fldcw 0x037b (ZM clear); mov ecx, 1000
  // 1: fld1; fld1; faddp; add rax, rcx; cmp ecx, 500; jne 2f; fldz; fdivp (1 / 0: ZE pending)
  // 2: fstp st(0) (#MF); dec ecx; jnz 1b; hlt
  const code = "dbe3 66c74424f87b03 d96c24f8 b9e8030000 d9e8 d9e8 dec1 4801c8 81f9f4010000 7504 " +
    "d9ee def9 ddd8 ffc9 75e5 f4";
  const a = run(code, false);
  const b = run(code, true);
  assert.equal(a.cpu.gpr[30], 16, "the interpreter took #MF");
  assert.equal(a.cpu.gpr[2], 500, "at the 501st iteration");
  assert.deepEqual(state(b), state(a));
  assert.ok(b.cpu.jit!.compiledRetired > 1000, `compiled ${b.cpu.jit!.compiledRetired}`);
});
