import assert from "node:assert/strict";
import { aflags, exec32, exec64, r64, type TestCpu } from "./testing.ts";

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;

Deno.test("add/sub/cmp flags at 32 and 64 bits", () => {
  let t = exec64("b8 ff ff ff ff 83 c0 01 f4" /* mov eax, 0xffffffff; add eax, 1; hlt */);
  assert.equal(t.cpu.gpr[0], 0);
  assert.equal(aflags(t), CF | PF | AF | ZF);
  t = exec64(
    "48 b8 ff ff ff ff ff ff ff 7f 48 83 c0 01 f4", /* mov rax, 0x7fffffffffffffff; add rax, 1; hlt */
  );
  assert.equal(r64(t, 0), 0x8000000000000000n);
  assert.equal(aflags(t), OF | SF | PF | AF);
  t = exec64("b8 03 00 00 00 83 e8 05 f4" /* mov eax, 3; sub eax, 5; hlt */);
  assert.equal(t.cpu.gpr[0], 0xfffffffe);
  assert.equal(aflags(t) & (CF | ZF | SF | OF), CF | SF);
  t = exec64(
    "48 c7 c0 05 00 00 00 48 c7 c3 ff ff ff ff 48 39 d8 f4", /* mov rax, 5; mov rbx, -1; cmp rax, rbx; hlt */
  );
  assert.equal(aflags(t) & (CF | ZF | SF | OF), CF);
  assert.equal(r64(t, 0), 5n);
});

Deno.test("adc/sbb chains carry through 128-bit add and subtract", () => {
  const t = exec64(
    "48 c7 c0 ff ff ff ff 48 c7 c2 01 00 00 00 48 c7 c3 01 00 00 00 31 c9 48 01 d8 48 11 ca 48 c7 c6 00 00 00 00 48 c7 c7 01 00 00 00 48 83 ee 01 48 83 df 00 f4", /* mov rax, -1; mov rdx, 1; mov rbx, 1; xor ecx, ecx; add rax, rbx; adc rdx, rcx; mov rsi, 0; mov rdi, 1; sub rsi, 1; sbb rdi, 0; hlt */
  );
  assert.equal(r64(t, 0), 0n);
  assert.equal(r64(t, 2), 2n);
  assert.equal(r64(t, 6), 0xffffffffffffffffn);
  assert.equal(r64(t, 7), 0n);
});

Deno.test("logic ops clear CF/OF and 32-bit results zero-extend", () => {
  const t = exec64(
    "48 c7 c0 ff ff ff ff f9 25 f0 f0 00 00 48 c7 c3 ff ff ff ff 83 cb 00 48 c7 c1 ff ff ff ff 66 31 c9 f4", /* mov rax, -1; stc; and eax, 0xf0f0; mov rbx, -1; or ebx, 0; mov rcx, -1; xor cx, cx; hlt */
  );
  assert.equal(r64(t, 0), 0xf0f0n);
  assert.equal(r64(t, 3), 0xffffffffn);
  assert.equal(r64(t, 1), 0xffffffffffff0000n);
  assert.equal(aflags(t) & (CF | OF | ZF), ZF);
});

Deno.test("byte registers including AH..BH and REX low bytes", () => {
  const t = exec64(
    "b8 34 12 00 00 80 c4 f0 40 b6 80 40 80 c6 80 bb 00 00 00 00 b7 07 f4", /* mov eax, 0x1234; add ah, 0xf0; mov sil, 0x80; add sil, 0x80; mov ebx, 0; mov bh, 7; hlt */
  );
  assert.equal(t.cpu.gpr[0], 0x0234);
  assert.equal(t.cpu.gpr[12] & 0xff, 0);
  assert.equal(t.cpu.gpr[6], 0x0700);
  assert.equal(aflags(t) & (CF | ZF | OF), CF | ZF | OF);
});

Deno.test("inc/dec keep CF; neg/not", () => {
  const t = exec64(
    "f9 b8 ff ff ff 7f ff c0 bb 00 00 00 00 f7 db b9 05 00 00 00 f7 d1 ba 01 00 00 00 ff ca f4", /* stc; mov eax, 0x7fffffff; inc eax; mov ebx, 0; neg ebx; mov ecx, 5; not ecx; mov edx, 1; dec edx; hlt */
  );
  assert.equal(t.cpu.gpr[0], 0x80000000);
  assert.equal(t.cpu.gpr[2], 0xfffffffa);
  assert.equal(aflags(t) & (CF | ZF), ZF); // NEG 0 cleared CF, DEC keeps it
});

Deno.test("mul/imul/div/idiv at every size", () => {
  let t = exec64(
    "48 b8 00 00 00 00 01 00 00 00 48 bb 00 00 00 00 01 00 00 00 48 f7 e3 f4", /* mov rax, 0x100000000; mov rbx, 0x100000000; mul rbx; hlt */
  );
  assert.equal(r64(t, 0), 0n);
  assert.equal(r64(t, 2), 1n);
  assert.equal(aflags(t) & (CF | OF), CF | OF);
  t = exec64("b8 f9 ff ff ff b9 03 00 00 00 f7 e9 f4" /* mov eax, -7; mov ecx, 3; imul ecx; hlt */);
  assert.equal(t.cpu.gpr[0], -21 >>> 0);
  assert.equal(t.cpu.gpr[4], 0xffffffff);
  t = exec64("b0 c8 b3 03 f6 e3 f4" /* mov al, 200; mov bl, 3; mul bl; hlt */);
  assert.equal(t.cpu.gpr[0] & 0xffff, 600);
  t = exec64("6b c3 fd f4", /* imul eax, ebx, -3; hlt */ (x) => {
    x.cpu.gpr[6] = 5;
  });
  assert.equal(t.cpu.gpr[0], -15 >>> 0);
  t = exec64(
    "48 c7 c0 43 42 0f 00 31 d2 48 c7 c1 0a 00 00 00 48 f7 f1 f4", /* mov rax, 1000003; xor edx, edx; mov rcx, 10; div rcx; hlt */
  );
  assert.equal(r64(t, 0), 100000n);
  assert.equal(r64(t, 2), 3n);
  t = exec64(
    "b8 9c ff ff ff 99 b9 07 00 00 00 f7 f9 f4", /* mov eax, -100; cdq; mov ecx, 7; idiv ecx; hlt */
  );
  assert.equal(t.cpu.gpr[0] | 0, -14);
  assert.equal(t.cpu.gpr[4] | 0, -2);
  t = exec64("66 b8 e8 03 b3 07 f6 f3 f4" /* mov ax, 1000; mov bl, 7; div bl; hlt */);
  assert.equal(t.cpu.gpr[0] & 0xff, 142);
  assert.equal((t.cpu.gpr[0] >> 8) & 0xff, 6);
});

Deno.test("divide by zero and quotient overflow raise #DE (vector 0) at the faulting RIP", () => {
  const mark = (x: TestCpu) => {
    x.cpu.gpr[30] = 0xff;
  };
  let t = exec64(
    "31 c9 b8 01 00 00 00 f7 f1 f4", /* xor ecx, ecx; mov eax, 1; div ecx; hlt */
    mark,
  );
  assert.equal(t.cpu.gpr[30], 0);
  const rsp = t.cpu.gpr[8];
  assert.equal(t.mem.read32(rsp), 0x100007); // pushed RIP = the DIV itself
  assert.equal(t.mem.read32(rsp + 8), 0x18); // CS
  t = exec64(
    "b8 00 00 00 80 99 b9 ff ff ff ff f7 f9 f4", /* mov eax, 0x80000000; cdq; mov ecx, -1; idiv ecx; hlt */
    mark,
  );
  assert.equal(t.cpu.gpr[30], 0);
  assert.equal(t.cpu.gpr[0], 0x80000000); // registers untouched
});

Deno.test("shifts and rotates with counts, masking and CF", () => {
  const t = exec64(
    "b8 01 00 00 80 d1 e0 bb 00 00 00 80 c1 fb 1f b9 21 00 00 00 ba 01 00 00 00 d3 e2 48 c7 c6 01 00 00 00 48 c1 e6 3f bf 78 56 34 12 c1 c7 08 f4", /* mov eax, 0x80000001; shl eax, 1; mov ebx, 0x80000000; sar ebx, 31; mov ecx, 33; mov edx, 1; shl edx, cl; mov rsi, 1; shl rsi, 63; mov edi, 0x12345678; rol edi, 8; hlt */
  );
  assert.equal(t.cpu.gpr[0], 2);
  assert.equal(t.cpu.gpr[6], 0xffffffff);
  assert.equal(t.cpu.gpr[4], 2); // count masked to 1
  assert.equal(r64(t, 6), 0x8000000000000000n);
  assert.equal(t.cpu.gpr[14], 0x34567812);
});

Deno.test("rcl/rcr/shld/shrd", () => {
  const t = exec64(
    "f9 b8 00 00 00 00 d1 d0 f8 bb 01 00 00 00 d1 db b9 78 56 34 12 ba f0 de bc 9a 0f a4 d1 08 be 78 56 34 12 0f ac d6 08 f4", /* stc; mov eax, 0; rcl eax, 1; clc; mov ebx, 1; rcr ebx, 1; mov ecx, 0x12345678; mov edx, 0x9abcdef0; shld ecx, edx, 8; mov esi, 0x12345678; shrd esi, edx, 8; hlt */
  );
  assert.equal(t.cpu.gpr[0], 1);
  assert.equal(t.cpu.gpr[6], 0);
  assert.equal(t.cpu.gpr[2], 0x3456789a);
  assert.equal(t.cpu.gpr[12], 0xf0123456);
});

Deno.test("bt/bts/btr/btc register and memory forms, incl. bit offsets beyond the operand", () => {
  const t = exec64(
    "b8 05 00 00 00 0f ba e0 02 0f 92 c3 0f ba e8 01 0f ba f0 00 0f ba f8 1f c7 04 25 00 00 20 00 00 00 00 00 b9 25 00 00 00 0f ab 0c 25 00 00 20 00 f4", /* mov eax, 5; bt eax, 2; setc bl; bts eax, 1; btr eax, 0; btc eax, 31; mov dword ptr [0x200000], 0; mov ecx, 37; bts dword ptr [0x200000], ecx; hlt */
  );
  assert.equal(t.cpu.gpr[6] & 0xff, 1);
  assert.equal(t.cpu.gpr[0], 0x80000006);
  assert.equal(t.mem.read32(0x200004), 0x20);
});

Deno.test("bsf/bsr/tzcnt/lzcnt/popcnt/bswap", () => {
  const t = exec64(
    "b8 f0 00 00 00 0f bc d8 0f bd c8 ba 4d 00 00 00 31 f6 0f bc d6 f3 0f bc fe f3 44 0f bd c0 f3 44 0f b8 c8 41 ba 44 33 22 11 41 0f ca f4", /* mov eax, 0x00f0; bsf ebx, eax; bsr ecx, eax; mov edx, 77; xor esi, esi; bsf edx, esi; tzcnt edi, esi; lzcnt r8d, eax; popcnt r9d, eax; mov r10d, 0x11223344; bswap r10d; hlt */
  );
  assert.equal(t.cpu.gpr[6], 4);
  assert.equal(t.cpu.gpr[2], 7);
  assert.equal(t.cpu.gpr[4], 77); // BSF of zero leaves the destination
  assert.equal(t.cpu.gpr[14], 32);
  assert.equal(t.cpu.gpr[16], 24);
  assert.equal(t.cpu.gpr[18], 4);
  assert.equal(t.cpu.gpr[20], 0x44332211);
});

Deno.test("32-bit mode arithmetic and memory read-modify-write", () => {
  const t = exec32(
    "c7 05 00 00 20 00 0a 00 00 00 83 05 00 00 20 00 05 c1 25 00 00 20 00 02 a1 00 00 20 00 f7 d8 f4", /* mov dword ptr [0x200000], 10; add dword ptr [0x200000], 5; shl dword ptr [0x200000], 2; mov eax, [0x200000]; neg eax; hlt */
  );
  assert.equal(t.mem.read32(0x200000), 60);
  assert.equal(t.cpu.gpr[0], -60 >>> 0);
});

Deno.test("the 64-bit benchmark loop reproduces the checksum recorded on real hardware", async () => {
  const { setup, runLoop } = await import("../bench/cpu_bench.ts");
  const t = setup(64, 2_000_000);
  const [, , eax] = runLoop(t);
  // Native run of the same bytes (gcc + as on x86-64): 0x445d2983.
  assert.equal(eax >>> 0, 0x445d2983);
});
