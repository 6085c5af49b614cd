/**
 * x87, MMX and SSE instructions inside compiled regions (emit_sse.ts inline,
 * the rest as `Gen.lightHelper` or helper calls): a fault in one leaves
 * exactly the interpreter's state (registers the region had in locals, flags
 * an earlier instruction left, XMM and x87 registers, the exception frame and
 * the retired count); a store by one into the region's own code is seen;
 * the inline forms agree with the interpreter at their edges and in a
 * differential fuzz of random SSE and x87 code (64- and 32-bit); and such
 * loops do run compiled.
 */
import assert from "node:assert/strict";
import {
  boundaryState,
  enter32,
  enter64,
  installIdt,
  LAYOUT,
  load,
  makeCpu,
  type TestCpu,
} from "../testing.ts";
import { JitEngine } from "./mod.ts";
import { fuzzRuns } from "../../tests/fuzz_scale.ts";

/**
 * Run `code` in 64-bit mode (or flat 32-bit protected mode) with SSE on (CR4.OSFXSR and OSXMMEXCPT, CR0.EM clear, CR0.MP set)
 * and CR0.NE (x87 errors as #MF), after `init`, for at most `limit` instructions; with `jit`,
 * a block compiler that compiles at the second visit.
 */
function run(
  code: string,
  jit: boolean,
  init?: (t: TestCpu) => void,
  bits = 64,
  limit = 2_000_000,
): TestCpu {
  const t = makeCpu(8);
  if (bits === 64) enter64(t);
  else enter32(t);
  installIdt(t, bits === 64);
  t.cpu.cr4 |= 0x600;
  t.cpu.cr0 = (t.cpu.cr0 & ~4) | 0x22;
  t.cpu.stateChanged();
  init?.(t);
  load(t, code);
  if (jit) t.cpu.jit = new JitEngine(2);
  t.cpu.run(t.cpu.retired + limit);
  return t;
}

/** {@link boundaryState} with the whole FPU/SSE state (x87 registers, FIP/FDP/FOP included). */
function state(t: TestCpu): unknown {
  return { ...boundaryState(t), fpu: [...t.cpu.fpu.save()] };
}

Deno.test("jit: a #PF in an SSE helper of a compiled loop leaves the interpreter's state", () => {
  // mov rbx, 0x3fff0000; mov ecx, 100000
  // 1: add rax, rcx; addps xmm1, [rbx]; mulsd xmm2, xmm3; add rbx, 0x1000; dec ecx; jnz 1b; hlt
  // ADDPS reaches 0x40000000, past the identity-mapped 1 GiB: its TLB probe fails, the handler
  // runs and takes #PF, with RAX, RBX and the flags of ADD RAX, RCX still in the region's locals.
  const code = "48c7c30000ff3f b9a0860100 4801c8 0f580b f20f59d3 4881c300100000 ffc9 75eb f4";
  const a = run(code, false);
  const b = run(code, true);
  assert.equal(a.cpu.gpr[30], 14, "the interpreter took #PF");
  assert.equal(a.cpu.cr2, 0x40000000);
  assert.deepEqual(state(b), state(a));
  // The region faulted (so its instructions are not in compiledRetired): nearly all of the
  // instructions ran in it, few interpreted.
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

Deno.test("jit: an inexact ADDSD with PE set but unmasked raises #XM in the compiled loop", () => {
  // XMM0 = 2^53 - 40, XMM1 = 1.0, MXCSR = PE set, PM clear.
  // mov ecx, 1000; 1: addsd xmm0, xmm1; add rax, rcx; dec ecx; jnz 1b; hlt
  // The sums are exact until 2^53; the 41st (2^53 + 1) is inexact: #XM (vector 19).
  const code = "b9e8030000 f20f58c1 4801c8 ffc9 75f5 f4";
  const init = (t: TestCpu) => {
    t.cpu.fpu.xmmI32.set([-40, 0x433fffff, 0, 0, 0, 0x3ff00000, 0, 0]);
    t.cpu.fpu.mxcsr = 0x0fa0;
  };
  const a = run(code, false, init);
  const b = run(code, true, init);
  assert.equal(a.cpu.gpr[30], 19, "the interpreter took #XM");
  assert.equal(a.cpu.gpr[2], 1000 - 40, "at the 41st addition");
  assert.deepEqual(state(b), state(a));
  assert.ok(b.cpu.jit!.calls > 0 && b.cpu.jit!.steps < 20, `interpreted ${b.cpu.jit!.steps}`);
});

Deno.test("jit: with CR0.TS set, the first SSE instruction in a compiled loop raises #NM", () => {
  // mov rbx, 0x200000; mov ecx, 100
  // 1: add rax, rcx; cmp ecx, 50; ja 2f; movsd xmm0, [rbx]; 2: dec ecx; jnz 1b; hlt
  // The loop runs compiled for 50 iterations before it reaches MOVSD: #NM (vector 7) there.
  const code = "48c7c300002000 b964000000 4801c8 83f932 7704 f20f1003 ffc9 75f0 f4";
  const init = (t: TestCpu) => {
    t.cpu.cr0 |= 8;
    t.cpu.stateChanged();
  };
  const a = run(code, false, init);
  const b = run(code, true, init);
  assert.equal(a.cpu.gpr[30], 7, "the interpreter took #NM");
  assert.equal(a.cpu.gpr[2], 50);
  assert.deepEqual(state(b), state(a));
  assert.ok(b.cpu.jit!.compiledRetired > 100, `compiled ${b.cpu.jit!.compiledRetired}`);
});

Deno.test("jit: 32-bit code clears the high half of a register written before an inline SSE load", () => {
  // mov ebx, 0x200fc0; mov ecx, 1000
  // 1: mov edx, ecx; movaps xmm1, [ebx + 0x40]; add eax, ecx; dec ecx; jnz 1b; hlt
  // Halfway, RDX's high half is set from outside (as a 64-bit mode left it): the next
  // MOV EDX clears it, in the compiled loop as in the interpreter, on the path where the
  // load took the inline fast path.
  const code = "bbc00f2000 b9e8030000 89ca 0f284b40 01c8 ffc9 75f4 f4";
  const runSplit = (jit: boolean) => {
    const t = run(code, jit, undefined, 32, 2_000);
    t.cpu.gpr[5] = 0xdead;
    t.cpu.run(t.cpu.retired + 100_000);
    return t;
  };
  const a = runSplit(false);
  const b = runSplit(true);
  assert.equal(a.cpu.gpr[5], 0, "the interpreter cleared RDX's high half");
  assert.deepEqual(state(b), state(a));
  assert.ok(b.cpu.jit!.compiledRetired > 4_000, `compiled ${b.cpu.jit!.compiledRetired}`);
});

Deno.test("jit: the flags COMISD sets inline survive a region exit right after it", () => {
  // XMM0 = 1.0, XMM1 = 2.0 (CF = 1). mov rbx, 0x3fff0000 (no RAM: the load leaves the region);
  // mov ecx, 100; 1: add rsi, rdx (lazy flags in the region); comisd xmm0, xmm1; mov rdx, [rbx];
  // pushfq; pop rdx; dec ecx; jnz 1b; hlt
  const code = "48c7c30000ff3f b964000000 4801d6 660f2fc1 488b13 9c 5a ffc9 75f0 f4";
  const init = (t: TestCpu) => t.cpu.fpu.xmmI32.set([0, 0x3ff00000, 0, 0, 0, 0x40000000]);
  const a = run(code, false, init);
  const b = run(code, true, init);
  // DEC keeps COMISD's CF (1.0 < 2.0) to the end.
  assert.equal(a.cpu.rflags & 1, 1);
  assert.deepEqual(state(b), state(a));
  assert.ok(b.cpu.jit!.calls > 50, `region calls ${b.cpu.jit!.calls}`);
});

Deno.test("jit: CVTTSD2SI and CVTSI2SD at their edges agree with the interpreter in every MXCSR", () => {
  // Two loops over 48 elements, the first 20 unremarkable (the loop gets compiled):
  // mov rbx, 0x200000; xor ecx, ecx
  // 1: cvttsd2si edx, [rbx + rcx*8]; add esi, edx; cvttsd2si rdx, [rbx + rcx*8]; add rdi, rdx
  //    inc ecx; cmp ecx, 48; jne 1b; hlt
  // over doubles: truncations that fit only just, that do not fit (integer indefinite, IE),
  // inexact ones (PE: with PE clear only these set it), NaN, infinities (denormals are in the
  // fuzz); and
  // 1: cvtsi2sd xmm1, qword [rbx + rcx*8 + 0x400]; movsd [rbx + rcx*8 + 0x800], xmm1
  //    mov edx, [rbx + rcx*8 + 0x400]; cvtsi2sd xmm3, edx; movsd [rbx + rcx*8 + 0xc00], xmm3
  //    inc ecx; cmp ecx, 48; jne 1b; hlt
  // over 64-bit integers, some beyond 2^53 (inexact conversions).
  const codes = [
    "48c7c300002000 31c9 f20f2c14cb 01d6 f2480f2c14cb 4801d7 ffc1 83f930 75e9 f4",
    "48c7c300002000 31c9 f2480f2a8ccb00040000 f20f118ccb00080000 8b94cb00040000 f20f2ada " +
    "f20f119ccb000c0000 ffc1 83f930 75d2 f4",
  ];
  const doubles = [
    ...Array.from({ length: 20 }, (_, k) => k - 5),
    2147483647.5,
    -2147483648.5,
    2147483648,
    -2147483649,
    0.5,
    -1.75,
    1e300,
    -0,
    9223372036854774784,
    9223372036854775808,
    -9223372036854775808,
    NaN,
    Infinity,
    ...Array.from({ length: 15 }, (_, k) => (k - 7) * 1.375),
  ];
  const ints = [
    ...Array.from({ length: 20 }, (_, k) => BigInt(k * 1000 - 7000)),
    (1n << 53n) + 1n,
    -(1n << 53n) - 1n,
    (1n << 63n) - 1n,
    -(1n << 63n),
    (1n << 62n) + 1n,
    1n << 53n,
    ...Array.from({ length: 22 }, (_, k) => BigInt(k) * 0x123456789abcdn - 0x7777777777n),
  ];
  for (const mxcsr of [0x1f80, 0x1fa0, 0x1f80 & ~0x1000, 0x1fa0 | 0x4000, 0x1fa0 | 0x2000]) {
    const init = (t: TestCpu) => {
      const view = new DataView(new ArrayBuffer(8));
      doubles.forEach((v, k) => {
        view.setFloat64(0, v, true);
        t.mem.write32(LAYOUT.data + 8 * k, view.getUint32(0, true));
        t.mem.write32(LAYOUT.data + 8 * k + 4, view.getUint32(4, true));
      });
      ints.forEach((v, k) => {
        view.setBigInt64(0, v, true);
        t.mem.write32(LAYOUT.data + 0x400 + 8 * k, view.getUint32(0, true));
        t.mem.write32(LAYOUT.data + 0x400 + 8 * k + 4, view.getUint32(4, true));
      });
      t.cpu.fpu.mxcsr = mxcsr;
    };
    for (const code of codes) {
      const a = run(code, false, init);
      const b = run(code, true, init);
      const out = (t: TestCpu) =>
        [...Array(0x800).keys()].map((k) => t.mem.read8(LAYOUT.data + 0x800 + k));
      assert.deepEqual(
        { ...(state(b) as object), out: out(b) },
        { ...(state(a) as object), out: out(a) },
        `MXCSR ${mxcsr.toString(16)}: ${code}`,
      );
      // The loop ran in the region (which may have ended in a fault: #XM with PM unmasked).
      assert.ok(b.cpu.jit!.calls > 0 && b.cpu.jit!.steps < 30, `interpreted ${b.cpu.jit!.steps}`);
    }
  }
});

Deno.test("jit: FCMOVB in a compiled loop reads the flags the region keeps in locals", () => {
  // fninit; fldz; fld1; mov ecx, 100; mov rbx, 0x200000
  // 1: cmp ecx, 50; fcmovb st, st(1); fst qword [rbx + rcx*8]; fstp st(0); fld1; dec ecx; jnz 1b
  // hlt. Below 50 the CMP sets CF and FCMOVB copies 0.0 over the 1.0.
  const code = "dbe3 d9ee d9e8 b964000000 48c7c300002000 83f932 dac1 dd14cb ddd8 d9e8 ffc9 75f0 f4";
  const a = run(code, false);
  const b = run(code, true);
  const out = (t: TestCpu) =>
    [...Array(101).keys()].map((k) => t.mem.read32(LAYOUT.data + 8 * k + 4));
  assert.deepEqual(out(a).slice(1), [...Array(100).keys()].map((k) => k + 1 < 50 ? 0 : 0x3ff00000));
  assert.deepEqual({ ...(state(b) as object), out: out(b) }, {
    ...(state(a) as object),
    out: out(a),
  });
  assert.ok(b.cpu.jit!.compiledRetired > 300, `compiled ${b.cpu.jit!.compiledRetired}`);
});

// ------------------------------------------------------------------ differential fuzz

/** Operand values that reach every path: zeros, denormals, the fast range's edges, infinities, NaNs. */
const SPECIAL: readonly [number, number][] = [
  [0, 0],
  [0, 0x80000000 | 0],
  [0, 0x3ff00000],
  [0, 0xbff80000 | 0],
  [0xffffffff | 0, 0x000fffff], // largest denormal
  [1, 0x80000000 | 0], // smallest negative denormal
  [0, 0x04000000], // 2^-959: the fast range's lower edge
  [0xffffffff | 0, 0x03ffffff], // just below it
  [0, 0x7bf00000], // 2^960
  [0, 0x7ff00000], // +infinity
  [0, 0xfff00000 | 0], // -infinity
  [0x1234, 0x7ff80000], // QNaN with a payload
  [0x1, 0x7ff00000], // SNaN
  [0, 0x7fefffff], // largest finite, with the high word's low bits clear
];

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Random binary64 words: mostly moderate normals, some special values. */
function randomDouble(r: () => number): [number, number] {
  if (r() % 4 === 0) return SPECIAL[r() % SPECIAL.length];
  const exp = 1023 + (r() % 41) - 20;
  return [r() | 0, ((r() & 0x800fffff) | (exp << 20)) | 0];
}

/**
 * [prefix, opcode, kind]: "ld" G <- E, "st" E <- G, "op" G op= E; size: memory operand bytes;
 * gpr: the REG field names a general register, gprRm: the R/M field does (written: EDX, ESI
 * or EDI only, so the loop runs on); w: also with REX.W in 64-bit code.
 */
const FORMS: readonly {
  p: string;
  op: number;
  kind: "ld" | "st" | "op";
  size: number;
  gpr?: boolean;
  gprRm?: boolean;
  w?: boolean;
}[] = [
  { p: "", op: 0x28, kind: "ld", size: 16 }, // MOVAPS
  { p: "", op: 0x29, kind: "st", size: 16 },
  { p: "", op: 0x10, kind: "ld", size: 16 }, // MOVUPS
  { p: "", op: 0x11, kind: "st", size: 16 },
  { p: "66", op: 0x28, kind: "ld", size: 16 }, // MOVAPD
  { p: "66", op: 0x29, kind: "st", size: 16 },
  { p: "66", op: 0x6f, kind: "ld", size: 16 }, // MOVDQA
  { p: "66", op: 0x7f, kind: "st", size: 16 },
  { p: "f3", op: 0x6f, kind: "ld", size: 16 }, // MOVDQU
  { p: "f3", op: 0x7f, kind: "st", size: 16 },
  { p: "f3", op: 0x10, kind: "ld", size: 4 }, // MOVSS
  { p: "f3", op: 0x11, kind: "st", size: 4 },
  { p: "f3", op: 0x7e, kind: "ld", size: 8 }, // MOVQ xmm, xmm/m64
  { p: "66", op: 0xd6, kind: "st", size: 8 }, // MOVQ xmm/m64, xmm
  { p: "66", op: 0x6e, kind: "ld", size: 4, w: true }, // MOVD xmm, r/m32 (MOVQ r/m64)
  { p: "66", op: 0x7e, kind: "st", size: 4, gprRm: true, w: true }, // MOVD r/m32, xmm (MOVQ)
  { p: "f2", op: 0x10, kind: "ld", size: 8 }, // MOVSD
  { p: "f2", op: 0x11, kind: "st", size: 8 },
  { p: "f2", op: 0x58, kind: "op", size: 8 }, // ADDSD
  { p: "f2", op: 0x59, kind: "op", size: 8 }, // MULSD
  { p: "f2", op: 0x5c, kind: "op", size: 8 }, // SUBSD
  { p: "f2", op: 0x5e, kind: "op", size: 8 }, // DIVSD
  { p: "66", op: 0x58, kind: "op", size: 16 }, // ADDPD
  { p: "66", op: 0x59, kind: "op", size: 16 }, // MULPD
  { p: "66", op: 0x5c, kind: "op", size: 16 }, // SUBPD
  { p: "66", op: 0x5e, kind: "op", size: 16 }, // DIVPD
  { p: "f2", op: 0x51, kind: "op", size: 8 }, // SQRTSD
  { p: "66", op: 0x51, kind: "op", size: 16 }, // SQRTPD
  { p: "66", op: 0xdb, kind: "op", size: 16 }, // PAND
  { p: "66", op: 0xdf, kind: "op", size: 16 }, // PANDN
  { p: "66", op: 0xeb, kind: "op", size: 16 }, // POR
  { p: "66", op: 0xef, kind: "op", size: 16 }, // PXOR
  { p: "66", op: 0x54, kind: "op", size: 16 }, // ANDPD
  { p: "", op: 0x57, kind: "op", size: 16 }, // XORPS
  { p: "", op: 0x14, kind: "op", size: 16 }, // UNPCKLPS
  { p: "66", op: 0x15, kind: "op", size: 16 }, // UNPCKHPD
  { p: "66", op: 0x6c, kind: "op", size: 16 }, // PUNPCKLQDQ
  { p: "66", op: 0x6d, kind: "op", size: 16 }, // PUNPCKHQDQ
  { p: "66", op: 0x62, kind: "op", size: 16 }, // PUNPCKLDQ
  { p: "66", op: 0x6a, kind: "op", size: 16 }, // PUNPCKHDQ
  { p: "66", op: 0xfe, kind: "op", size: 16 }, // PADDD (a light helper)
  { p: "f2", op: 0x5d, kind: "op", size: 8 }, // MINSD (a light helper)
  { p: "", op: 0x58, kind: "op", size: 16 }, // ADDPS
  { p: "", op: 0x59, kind: "op", size: 16 }, // MULPS
  { p: "", op: 0x5e, kind: "op", size: 16 }, // DIVPS
  { p: "", op: 0x51, kind: "op", size: 16 }, // SQRTPS
  { p: "f3", op: 0x58, kind: "op", size: 4 }, // ADDSS
  { p: "f3", op: 0x5c, kind: "op", size: 4 }, // SUBSS
  { p: "f3", op: 0x59, kind: "op", size: 4 }, // MULSS
  { p: "f3", op: 0x5e, kind: "op", size: 4 }, // DIVSS
  { p: "f3", op: 0x51, kind: "op", size: 4 }, // SQRTSS
  { p: "", op: 0x5d, kind: "op", size: 16 }, // MINPS (a light helper)
  { p: "66", op: 0x2f, kind: "op", size: 8 }, // COMISD (writes the flags)
  { p: "66", op: 0x2e, kind: "op", size: 8 }, // UCOMISD
  { p: "", op: 0x2e, kind: "op", size: 4 }, // UCOMISS (a helper)
  { p: "f2", op: 0x2a, kind: "op", size: 4, w: true }, // CVTSI2SD xmm, r/m32 (r/m64)
  { p: "f2", op: 0x2c, kind: "op", size: 8, gpr: true, w: true }, // CVTTSD2SI r32 (r64), xmm/m64
  { p: "f2", op: 0x2d, kind: "op", size: 8, gpr: true }, // CVTSD2SI (a helper)
];

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, "0");

/**
 * x87 instructions for the fuzz (default FCW: every exception masked): loads and stores of
 * [rbx + disp8] (the disp8 is appended), arithmetic, FCOMI (writes the flags), FCMOVB (reads
 * them), FNSTSW AX (writes AX), FWAIT.
 */
const X87_FORMS: readonly string[] = [
  "dd43", // FLD qword [rbx + disp8]
  "dd5b", // FSTP qword [rbx + disp8]
  "d943", // FLD dword [rbx + disp8]
  "dc43", // FADD qword [rbx + disp8]
  "d8c1", // FADD st, st(1)
  "d8c9", // FMUL st, st(1)
  "d8f1", // FDIV st, st(1)
  "d9c9", // FXCH st(1)
  "d9fa", // FSQRT
  "d9e8", // FLD1
  "ddd9", // FSTP st(1)
  "dbf1", // FCOMI st, st(1)
  "dac1", // FCMOVB st, st(1)
  "dfe0", // FNSTSW AX
  "9b", // FWAIT
];

/** One random SSE instruction on XMM0-7 and [rbx + disp8] (disp 0..124, usually aligned), or x87. */
function randomInsn(r: () => number, bits: number): string {
  if (r() % 5 === 0) {
    const x = X87_FORMS[r() % X87_FORMS.length];
    return x.endsWith("43") || x.endsWith("5b") ? x + hex2((r() % 16) * 8) : x;
  }
  const f = FORMS[r() % FORMS.length];
  const reg = f.gpr ? [2, 6, 7][r() % 3] : r() % 8;
  const rexw = f.w === true && bits === 64 && r() % 2 === 0;
  const size = rexw && [0x2a, 0x6e, 0x7e].includes(f.op) ? 8 : f.size;
  const head = `${f.p}${rexw ? "48" : ""}0f${hex2(f.op)}`;
  const rm = f.gprRm ? [2, 6, 7][r() % 3] : r() % 8;
  if (r() % 2 === 0) return head + hex2(0xc0 | (reg << 3) | rm);
  // Mostly naturally aligned displacements; sometimes off by 4 or 8 (a bail, or #GP).
  const align = r() % 8 === 0 ? 4 : Math.max(size, 4);
  const disp = (r() % (128 / align)) * align;
  return head + hex2(0x40 | (reg << 3) | 3) + hex2(disp);
}

/** The fuzz's data: 64 bytes below a page end and 256 above, so some operands cross it. */
const FUZZ_DATA = LAYOUT.data + 0xfc0;

/**
 * The program: `mov rbx, 0x200fc0; mov ecx, 40; 1: <body>; add rax, rcx; (RBX += 8 or 16
 * once, at the 21st iteration); dec ecx; jnz 1b; hlt`, the data at 0x200000 and XMM0-7 random, MXCSR random (rounding, DAZ/FTZ, PE preset,
 * sometimes an exception unmasked: #XM, vector 19).
 */
function fuzzCase(seed: number, bits: number): { code: string; init: (t: TestCpu) => void } {
  const r = rng(seed);
  const body: string[] = [];
  const n = 4 + r() % 12;
  // mov edx, ecx first: a 32-bit write (clearing RDX's high half) before SSE code in the block.
  body.push("89ca");
  // After some instructions, the flags go into RSI: pushf; pop rdx; add rsi, rdx.
  const w = bits === 64 ? "48" : "";
  for (let k = 0; k < n; k++) {
    body.push(randomInsn(r, bits));
    if (r() % 3 === 0) body.push("9c", "5a", `${w}01d6`);
  }
  // add rax, rcx; at the 21st iteration RBX moves by 16 or, in half the cases, 8 (then the
  // 16-byte forms are misaligned in compiled code): cmp ecx, 20; jne 1f; add rbx, 8|16; 1:
  // (32-bit code: the same without REX.W).
  const step = r() % 2 === 0 ? "08" : "10";
  body.push(`${w}01c8`, "83f914", `75${hex2(w.length / 2 + 3)}`, `${w}83c3${step}`);
  const bodyLen = body.join("").length / 2 + 2 + 2; // + dec ecx, jnz
  const movRbx = bits === 64 ? "48c7c3c00f2000" : "bbc00f2000";
  const code = `${movRbx} b928000000 ${body.join(" ")} ffc9 75${hex2(-bodyLen)} f4`;
  const words: number[] = [];
  for (let k = 0; k < 40; k++) words.push(...randomDouble(r));
  const xmm: number[] = [];
  for (let k = 0; k < 16; k++) xmm.push(...randomDouble(r));
  let mxcsr = 0x1f80;
  if (r() % 2 === 0) mxcsr |= 0x20; // PE already set
  if (r() % 3 === 0) mxcsr |= (r() % 4) << 13; // rounding control
  if (r() % 5 === 0) mxcsr |= 0x40; // DAZ
  if (r() % 5 === 0) mxcsr |= 0x8000; // FTZ
  // One exception unmasked, often PE's (then every inexact result is #XM).
  if (r() % 4 === 0) mxcsr &= ~(r() % 2 === 0 ? 0x1000 : 0x80 << (r() % 6));
  return {
    code,
    init: (t) => {
      for (let k = 0; k < words.length; k++) t.mem.write32(FUZZ_DATA + 4 * k, words[k] >>> 0);
      t.cpu.fpu.xmmI32.set(xmm);
      t.cpu.fpu.mxcsr = mxcsr;
      // High halves that 32-bit writes must clear (in either mode).
      for (let g = 0; g < 16; g++) if (g !== 4) t.cpu.gpr[2 * g + 1] = 0xdead0000 + g;
    },
  };
}

for (const bits of [64, 32]) {
  Deno.test(`jit fuzz: random SSE and x87 instructions agree with the interpreter (${bits}-bit code)`, () => {
    // The IDT stubs leave the vector in R15D (64-bit) or EDI (32-bit).
    const vector = bits === 64 ? 30 : 14;
    let compiled = 0, faults = 0;
    const cases = fuzzRuns(bits === 64 ? 300 : 150);
    for (let seed = 1; seed <= cases; seed++) {
      const { code, init } = fuzzCase(seed * 0x9e3779b1 + bits, bits);
      const a = run(code, false, init, bits);
      const b = run(code, true, init, bits);
      const data = (t: TestCpu) => [...Array(320).keys()].map((k) => t.mem.read8(FUZZ_DATA + k));
      assert.deepEqual(
        { ...(state(b) as object), data: data(b) },
        { ...(state(a) as object), data: data(a) },
        `seed ${seed}: ${code}`,
      );
      compiled += b.cpu.jit!.compiledRetired;
      if (a.cpu.gpr[vector] !== 0) faults++;
    }
    // The cases must run compiled, and some must fault (#GP, #XM) inside the loops.
    assert.ok(compiled > cases * 100, `compiled ${compiled}`);
    assert.ok(faults > cases / 30 && faults < cases * 0.95, `faults ${faults}`);
    console.log(`  ${compiled} instructions compiled, ${faults} of ${cases} cases faulted`);
  });
}
