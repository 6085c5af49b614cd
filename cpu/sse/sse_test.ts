/**
 * MMX/SSE execution tests at the architectural level: availability faults
 * (CR0.EM/TS, CR4.OSFXSR), 16-byte alignment #GP for the aligned forms,
 * unmasked SIMD exceptions (#XM, or #UD with OSXMMEXCPT clear) leaving the
 * destination unchanged, LDMXCSR reserved bits, the MMX/x87 aliasing rules,
 * moves with their zero-extension and merge rules, MMX forms and CRC32.
 * (Register-form arithmetic against real hardware: tests/sse_vectors_test.ts.)
 */
import assert from "node:assert/strict";
import { exec32, exec64, type TestCpu } from "../testing.ts";

const ON = "0f 20 e0 0d 00 06 00 00 0f 22 e0 " /* mov rax, cr4; or eax, 0x600; mov cr4, rax */;

/** r15d is the vector of the exception the test IDT caught (0 = none). */
const vec = (t: TestCpu): number => t.cpu.gpr[30];

/** Put bytes at 0x200000. */
function data(bytes: number[]): (t: TestCpu) => void {
  return (t) => t.mem.writeBytes(0x200000, new Uint8Array(bytes));
}

const x32 = (t: TestCpu, r: number, k: number): number => t.cpu.fpu.xmm32[4 * r + k];

Deno.test("SSE needs CR4.OSFXSR and CR0.EM clear (#UD), CR0.TS gives #NM; MMX ignores OSFXSR", () => {
  assert.equal(vec(exec64("0f 58 c1 f4 " /* addps xmm0, xmm1; hlt */)), 6);
  assert.equal(
    vec(
      exec64(
        ON +
          "0f 20 c0 83 c8 08 0f 22 c0 0f 58 c1 f4 ", /* mov rax, cr0; or eax, 8; mov cr0, rax; addps xmm0, xmm1; hlt */
      ),
    ),
    7,
  );
  assert.equal(
    vec(
      exec64(
        ON +
          "0f 20 c0 83 c8 04 0f 22 c0 66 0f 6f c1 f4 ", /* mov rax, cr0; or eax, 4; mov cr0, rax; movdqa xmm0, xmm1; hlt */
      ),
    ),
    6,
  );
  const m = exec64(
    "b8 05 00 00 00 0f 6e c8 0f fc c9 0f 7e cb f4 ", /* mov eax, 5; movd mm1, eax; paddb mm1, mm1; movd ebx, mm1; hlt */
  );
  assert.equal(vec(m), 0);
  assert.equal(m.cpu.gpr[6], 10);
  assert.equal(
    vec(
      exec64(
        "0f 20 c0 83 c8 08 0f 22 c0 0f fc c1 f4 ", /* mov rax, cr0; or eax, 8; mov cr0, rax; paddb mm0, mm1; hlt */
      ),
    ),
    7,
  );
  assert.equal(
    vec(
      exec64(
        "0f 20 c0 83 c8 04 0f 22 c0 0f 77 f4 ", /* mov rax, cr0; or eax, 4; mov cr0, rax; emms; hlt */
      ),
    ),
    6,
  );
});

Deno.test("aligned forms #GP(0) on a misaligned operand; unaligned forms do not", () => {
  const base = "bb 08 00 20 00 " /* mov ebx, 0x200008 */;
  for (
    const insn of [
      "0f 28 03 ", /* movaps xmm0, [rbx] */
      "66 0f 7f 03 ", /* movdqa [rbx], xmm0 */
      "0f 58 03 ", /* addps xmm0, [rbx] */
      "66 0f ef 03 ", /* pxor xmm0, [rbx] */
      "66 0f e7 0b ", /* movntdq [rbx], xmm1 */
    ]
  ) {
    const t = exec64(ON + base + insn + " f4");
    assert.equal(vec(t), 13, insn);
  }
  const ok = exec64(
    ON + base +
      "0f 10 03 f3 0f 58 43 01 f2 0f f0 4b 03 66 0f 3a 63 43 05 00 f3 0f 7e 53 01 be 01 00 00 00 f4 ", /* movups xmm0, [rbx]; addss xmm0, [rbx+1]; lddqu xmm1, [rbx+3]; pcmpistri xmm0, [rbx+5], 0; movq xmm2, [rbx+1]; mov esi, 1; hlt */
  );
  assert.equal(vec(ok), 0);
  assert.equal(ok.cpu.gpr[12], 1);
});

Deno.test("unmasked SIMD exceptions: #XM (or #UD without OSXMMEXCPT), destination unchanged, flag set", () => {
  // 0/0 with IM clear.
  const code =
    "c7 04 25 00 00 20 00 00 1f 00 00 0f ae 14 25 00 00 20 00 0f 57 c9 b8 00 00 80 3f 66 0f 6e c0 f3 0f 5e c9 f4 " /* mov dword ptr [0x200000], 0x1f00; ldmxcsr [0x200000]; xorps xmm1, xmm1; mov eax, 0x3f800000; movd xmm0, eax; divss xmm1, xmm1; hlt */;
  const t = exec64(ON + code);
  assert.equal(vec(t), 19);
  assert.equal(x32(t, 1, 0), 0); // xmm1 kept
  assert.equal(t.cpu.fpu.mxcsr & 0x3f, 1); // IE
  const u = exec64(
    "0f 20 e0 0d 00 02 00 00 0f 22 e0 " /* mov rax, cr4; or eax, 0x200; mov cr4, rax */ + code,
  );
  assert.equal(vec(u), 6);
  // Masked: the default QNaN and IE; precision unmasked: 1/3 raises #XM with PE.
  const m = exec64(
    ON +
      "0f 57 c9 f3 0f 5e c9 0f ae 1c 25 00 00 20 00 f4 ", /* xorps xmm1, xmm1; divss xmm1, xmm1; stmxcsr [0x200000]; hlt */
  );
  assert.equal(x32(m, 1, 0), 0xffc00000);
  assert.equal(m.mem.read32(0x200000), 0x1f81);
  const p = exec64(
    ON +
      "c7 04 25 00 00 20 00 80 0f 00 00 0f ae 14 25 00 00 20 00 b8 00 00 80 3f 66 0f 6e c0 b8 00 00 40 40 66 0f 6e c8 f3 0f 5e c1 f4 ", /* mov dword ptr [0x200000], 0x0f80; ldmxcsr [0x200000]; mov eax, 0x3f800000; movd xmm0, eax; mov eax, 0x40400000; movd xmm1, eax; divss xmm0, xmm1; hlt */
  );
  assert.equal(vec(p), 19);
  assert.equal(x32(p, 0, 0), 0x3f800000);
  assert.equal(p.cpu.fpu.mxcsr & 0x3f, 0x20);
});

Deno.test("LDMXCSR: reserved bits #GP(0); STMXCSR round trip", () => {
  const t = exec64(
    ON +
      "c7 04 25 00 00 20 00 00 00 01 00 0f ae 14 25 00 00 20 00 f4 ", /* mov dword ptr [0x200000], 0x10000; ldmxcsr [0x200000]; hlt */
  );
  assert.equal(vec(t), 13);
  assert.equal(t.cpu.fpu.mxcsr, 0x1f80);
  const u = exec64(
    ON +
      "c7 04 25 00 00 20 00 bf ff 00 00 0f ae 14 25 00 00 20 00 0f ae 1c 25 04 00 20 00 f4 ", /* mov dword ptr [0x200000], 0xffbf; ldmxcsr [0x200000]; stmxcsr [0x200004]; hlt */
  );
  assert.equal(vec(u), 0);
  assert.equal(u.mem.read32(0x200004), 0xffbf);
});

Deno.test("MMX aliases the x87 significands: exponent all ones, TOP 0, tags valid; EMMS empties", () => {
  const t = exec64(
    "48 b8 88 77 66 55 44 33 22 11 48 0f 6e d8 f4 ", /* mov rax, 0x1122334455667788; movq mm3, rax; hlt */
    (x) => {
      x.cpu.fpu.fsw = 0x3800; // TOP = 7
    },
  );
  const f = t.cpu.fpu;
  assert.equal(f.mant[6], 0x55667788);
  assert.equal(f.mant[7], 0x11223344);
  assert.equal(f.sexp[3], 0xffff);
  assert.equal(f.ftw, 0);
  assert.equal(f.fsw & 0x3800, 0);
  const e = exec64("0f 6f db 0f 77 f4 " /* movq mm3, mm3; emms; hlt */);
  assert.equal(e.cpu.fpu.ftw, 0xffff);
});

Deno.test("moves: MOVSS/MOVSD zero-extend from memory and merge between registers; MOVQ/MOVD/PEXTR/PINSR", () => {
  const t = exec64(
    ON +
      "66 0f 76 c0 66 0f 76 c9 f3 0f 10 04 25 00 00 20 00 f3 0f 10 c8 f2 0f 10 14 25 00 00 20 00 f3 0f 7e 1c 25 08 00 20 00 0f 16 1c 25 00 00 20 00 66 48 0f 7e d8 66 0f c5 db 05 48 c7 c1 fe ff ff ff 66 48 0f 3a 22 e1 01 66 0f 3a 16 e2 03 0f 50 f4 66 0f 6e e9 f4 ", /* pcmpeqd xmm0, xmm0; pcmpeqd xmm1, xmm1; movss xmm0, [0x200000]; movss xmm1, xmm0; movsd xmm2, [0x200000]; movq xmm3, [0x200008]; movhps xmm3, [0x200000]; movq rax, xmm3; pextrw ebx, xmm3, 5; mov rcx, -2; pinsrq xmm4, rcx, 1; pextrd edx, xmm4, 3; movmskps esi, xmm4; movd xmm5, ecx; hlt */
    data([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
  );
  assert.deepEqual([0, 1, 2, 3].map((k) => x32(t, 0, k)), [0x04030201, 0, 0, 0]);
  assert.deepEqual([0, 1, 2, 3].map((k) => x32(t, 1, k)), [
    0x04030201,
    0xffffffff,
    0xffffffff,
    0xffffffff,
  ]);
  assert.deepEqual([0, 1, 2, 3].map((k) => x32(t, 2, k)), [0x04030201, 0x08070605, 0, 0]);
  assert.deepEqual([0, 1, 2, 3].map((k) => x32(t, 3, k)), [
    0x0c0b0a09,
    0x100f0e0d,
    0x04030201,
    0x08070605,
  ]);
  assert.equal(t.cpu.gpr[0], 0x0c0b0a09);
  assert.equal(t.cpu.gpr[1], 0x100f0e0d);
  assert.equal(t.cpu.gpr[6], 0x0403); // pextrw word 5
  assert.equal(t.cpu.gpr[4], 0xffffffff); // pextrd dword 3
  assert.equal(t.cpu.gpr[12], 0b1100); // movmskps: signs of dwords 2 and 3 (-2 as a qword)
  assert.deepEqual([0, 1, 2, 3].map((k) => x32(t, 5, k)), [0xfffffffe, 0, 0, 0]);
});

Deno.test("MASKMOVDQU stores the selected bytes at DS:RDI", () => {
  const t = exec64(
    ON +
      "bf 10 00 20 00 f3 0f 6f 04 25 00 00 20 00 b8 00 80 00 80 66 0f 6e c8 66 0f f7 c1 f4 ", /* mov edi, 0x200010; movdqu xmm0, [0x200000]; mov eax, 0x80008000; movd xmm1, eax; maskmovdqu xmm0, xmm1; hlt */
    data([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0xaa, 0xaa, 0xaa, 0xaa]),
  );
  assert.equal(t.mem.read32(0x200010), 0x04aa02aa); // mask bytes 1 and 3 select source bytes 2 and 4
});

Deno.test("MMX forms: PMULHRSW, PSHUFB, PALIGNR, PSADBW, CVTPI2PS/CVTTPS2PI", () => {
  const t = exec64(
    ON +
      "0f 6f 04 25 00 00 20 00 0f 6f 0c 25 08 00 20 00 0f 6f d0 0f 38 0b d1 0f 6f d8 0f 38 00 d9 0f 6f e0 0f 3a 0f e1 03 0f 6f e8 0f f6 e9 0f 2a c1 0f 2c f0 f4 ", /* movq mm0, [0x200000]; movq mm1, [0x200008]; movq mm2, mm0; pmulhrsw mm2, mm1; movq mm3, mm0; pshufb mm3, mm1; movq mm4, mm0; palignr mm4, mm1, 3; movq mm5, mm0; psadbw mm5, mm1; cvtpi2ps xmm0, mm1; cvttps2pi mm6, xmm0; hlt */
    data([
      0x00,
      0x40,
      0x00,
      0xc0,
      0xff,
      0x7f,
      0x01,
      0x00,
      0x07,
      0x00,
      0x81,
      0x03,
      0x00,
      0x40,
      0x00,
      0x40,
    ]),
  );
  const mm = (k: number): number[] => [t.cpu.fpu.mant[2 * k], t.cpu.fpu.mant[2 * k + 1]];
  const a = [0x00, 0x40, 0x00, 0xc0, 0xff, 0x7f, 0x01, 0x00], b = [7, 0, 0x81, 3, 0, 0x40, 0, 0x40];
  // words a = [0x4000, 0xc000, 0x7fff, 0x0001], b = [0x0007, 0x0381, 0x4000, 0x4000]
  // pmulhrsw: (a*b*2 + 0x8000) >> 16 per word
  const hr = (a: number, b: number) =>
    (((((a << 16) >> 16) * ((b << 16) >> 16)) >> 14) + 1) >> 1 & 0xffff;
  const w = [hr(0x4000, 7), hr(0xc000, 0x381), hr(0x7fff, 0x4000), hr(1, 0x4000)];
  assert.deepEqual(mm(2), [(w[0] | (w[1] << 16)) >>> 0, (w[2] | (w[3] << 16)) >>> 0]);
  // pshufb with indexes b bytes [7,0,0x81,3,0,0x40,0,0x40] (& 7, bit 7 zeroes)
  const shuf = b.map((i) => (i & 0x80) !== 0 ? 0 : a[i & 7]);
  const pack = (
    x: number[],
  ) => [
    (x[0] | x[1] << 8 | x[2] << 16 | x[3] << 24) >>> 0,
    (x[4] | x[5] << 8 | x[6] << 16 | x[7] << 24) >>> 0,
  ];
  assert.deepEqual(mm(3), pack(shuf));
  // palignr: (mm4:mm1) >> 3 bytes = b bytes 3..7 then a bytes 0..2
  assert.deepEqual(mm(4), pack([...b.slice(3), ...a.slice(0, 3)]));
  // psadbw: sum |a_i - b_i|
  assert.deepEqual(mm(5), [a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0), 0]);
  // cvtpi2ps of dwords [0x03810007, 0x40004000] and back (exact below 2^24? not: rounding)
  assert.equal(mm(6)[0], Math.fround(0x03810007));
  assert.equal(mm(6)[1], Math.fround(0x40004000));
});

Deno.test('CRC32 computes CRC-32C (check value of "123456789" is E3069283)', () => {
  const t = exec64(
    "b8 ff ff ff ff 48 bb 31 32 33 34 35 36 37 38 f2 48 0f 38 f1 c3 b2 39 f2 0f 38 f0 c2 f7 d0 89 c1 31 c0 66 bb 31 32 66 f2 0f 38 f1 c3 f4 ", /* mov eax, -1; mov rbx, 0x3837363534333231; crc32 rax, rbx; mov dl, 0x39; crc32 eax, dl; not eax; mov ecx, eax; xor eax, eax; mov bx, 0x3231; crc32 eax, bx; hlt */
  );
  assert.equal(t.cpu.gpr[2], 0xe3069283);
});

Deno.test("32-bit protected mode: SSE2 double arithmetic, conversions and MMX", () => {
  const t = exec32(
    "0f 20 e0 0d 00 06 00 00 0f 22 e0 f2 0f 10 05 00 00 20 00 f2 0f 58 05 08 00 20 00 f2 0f 2c d8 f3 0f 2a cb 66 0f 7e c9 0f 6f 05 00 00 20 00 0f fe c0 0f 73 d0 20 0f 7e c2 f4 ", /* mov eax, cr4; or eax, 0x600; mov cr4, eax; movsd xmm0, [0x200000]; addsd xmm0, [0x200008]; cvttsd2si ebx, xmm0; cvtsi2ss xmm1, ebx; movd ecx, xmm1; movq mm0, [0x200000]; paddd mm0, mm0; psrlq mm0, 32; movd edx, mm0; hlt */
    (x) => {
      const b = new Float64Array([2.75, 40.5]);
      x.mem.writeBytes(0x200000, new Uint8Array(b.buffer));
    },
  );
  assert.equal(t.cpu.gpr[6], 43); // trunc(43.25)
  assert.equal(t.cpu.gpr[2], 0x422c0000); // 43.0f
  assert.equal(t.cpu.gpr[4], 0x800c0000); // high dword of 2.75 (0x40060000) doubled
});
