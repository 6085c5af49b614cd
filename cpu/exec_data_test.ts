import assert from "node:assert/strict";
import {
  aflags,
  enter64,
  exec32,
  exec64,
  hex,
  installIdt,
  load,
  makeCpu,
  r64,
  runToHlt,
} from "./testing.ts";
import { defaultModel } from "./model.ts";

Deno.test("mov forms, movzx/movsx/movsxd, lea, 32-bit zero extension", () => {
  const t = exec64(
    "48 b8 88 77 66 55 44 33 22 11 48 89 04 25 00 00 20 00 0f b6 1c 25 07 00 20 00 48 0f bf 0c 25 06 00 20 00 ba fe ff ff ff 48 63 d2 48 8d 74 98 08 48 c7 c7 ff ff ff ff bf 01 00 00 00 4c 8b 05 10 00 00 00 f4", /* mov rax, 0x1122334455667788; mov [0x200000], rax; movzx ebx, byte ptr [0x200007]; movsx rcx, word ptr [0x200006]; mov edx, -2; movsxd rdx, edx; lea rsi, [rax + rbx*4 + 8]; mov rdi, -1; mov edi, 1; mov r8, [rip + 0x10]; hlt */
  );
  assert.equal(t.mem.read32(0x200004), 0x11223344);
  assert.equal(t.cpu.gpr[6], 0x11);
  assert.equal(r64(t, 1), 0x1122n);
  assert.equal(r64(t, 2), 0xfffffffffffffffen);
  assert.equal(r64(t, 6), 0x1122334455667788n + 0x44n + 8n);
  assert.equal(r64(t, 7), 1n);
});

Deno.test("xchg, xadd, cmpxchg, cmpxchg8b/16b", () => {
  const t = exec64(
    "b8 01 00 00 00 bb 02 00 00 00 93 b9 0a 00 00 00 ba 05 00 00 00 0f c1 d1 c7 04 25 00 00 20 00 07 00 00 00 b8 07 00 00 00 be 09 00 00 00 f0 0f b1 34 25 00 00 20 00 41 b8 01 00 00 00 b8 00 00 00 00 41 0f b1 f0 f4", /* mov eax, 1; mov ebx, 2; xchg eax, ebx; mov ecx, 10; mov edx, 5; xadd ecx, edx; mov dword ptr [0x200000], 7; mov eax, 7; mov esi, 9; lock cmpxchg [0x200000], esi; mov r8d, 1; mov eax, 0; cmpxchg r8d, esi; hlt */
  );
  assert.equal(t.cpu.gpr[0], 1); // failed cmpxchg loaded r8d into eax
  assert.equal(t.cpu.gpr[6], 1);
  assert.equal(t.cpu.gpr[2], 15);
  assert.equal(t.cpu.gpr[4], 10);
  assert.equal(t.mem.read32(0x200000), 9);
  const u = exec64(
    "48 c7 04 25 00 00 20 00 05 00 00 00 b8 05 00 00 00 31 d2 bb aa 00 00 00 b9 bb 00 00 00 0f c7 0c 25 00 00 20 00 f4", /* mov qword ptr [0x200000], 5; mov eax, 5; xor edx, edx; mov ebx, 0xaa; mov ecx, 0xbb; cmpxchg8b [0x200000]; hlt */
  );
  assert.equal(u.mem.read32(0x200000), 0xaa);
  assert.equal(u.mem.read32(0x200004), 0xbb);
  assert.equal(aflags(u) & 0x40, 0x40);
  const w = exec64(
    "48 c7 04 25 00 00 20 00 01 00 00 00 48 c7 04 25 08 00 20 00 02 00 00 00 b8 03 00 00 00 31 d2 48 0f c7 0c 25 00 00 20 00 f4", /* mov qword ptr [0x200000], 1; mov qword ptr [0x200008], 2; mov eax, 3; xor edx, edx; cmpxchg16b [0x200000]; hlt */
  );
  assert.equal(w.cpu.gpr[0], 1);
  assert.equal(w.cpu.gpr[4], 2);
  assert.equal(aflags(w) & 0x40, 0);
});

Deno.test("cbw/cwde/cdqe/cwd/cdq/cqo", () => {
  const t = exec64(
    "b8 80 00 00 00 66 98 89 c3 b8 00 80 00 00 98 89 c1 b8 00 00 00 80 48 98 48 89 c6 48 99 f4", /* mov eax, 0x80; cbw; mov ebx, eax; mov eax, 0x8000; cwde; mov ecx, eax; mov eax, 0x80000000; cdqe; mov rsi, rax; cqo; hlt */
  );
  assert.equal(t.cpu.gpr[6], 0xff80);
  assert.equal(t.cpu.gpr[2], 0xffff8000);
  assert.equal(r64(t, 6), 0xffffffff80000000n);
  assert.equal(r64(t, 2), 0xffffffffffffffffn);
});

Deno.test("cmovcc, setcc, lahf/sahf", () => {
  const t = exec64(
    "b8 01 00 00 00 bb 02 00 00 00 39 d8 0f 4c cb 0f 4f d3 40 0f 92 c6 40 0f 94 c7 b4 d5 9e 9f f4", /* mov eax, 1; mov ebx, 2; cmp eax, ebx; cmovl ecx, ebx; cmovg edx, ebx; setb sil; setz dil; mov ah, 0xd5; sahf; lahf; hlt */
    (x) => {
      x.cpu.gpr[4] = 0x55;
    },
  );
  assert.equal(t.cpu.gpr[2], 2);
  assert.equal(t.cpu.gpr[4], 0x55);
  assert.equal(t.cpu.gpr[12] & 0xff, 1);
  assert.equal(t.cpu.gpr[14] & 0xff, 0);
  assert.equal((t.cpu.gpr[0] >> 8) & 0xff, 0xd7);
});

Deno.test("salc sets AL from CF and leaves the flags and the rest of EAX alone (32-bit)", () => {
  const t = exec32(
    "b8 78 56 34 12 f8 d6 89 c3 f9 d6 f4", /* mov eax, 0x12345678; clc; salc; mov ebx, eax; stc; salc; hlt */
  );
  assert.equal(t.cpu.gpr[6], 0x12345600);
  assert.equal(t.cpu.gpr[0], 0x123456ff);
  assert.equal(aflags(t) & 1, 1); // CF still set after the second salc
});

Deno.test("push/pop all forms, pushf/popf, enter/leave (64-bit)", () => {
  const t = exec64(
    "48 b8 89 67 45 23 01 00 00 00 50 6a 12 ff 34 25 00 00 20 00 5b 59 5a 9c 5e f9 9c 9d c8 10 00 00 48 89 e7 c9 f4", /* mov rax, 0x123456789; push rax; push 0x12; push qword ptr [0x200000]; pop rbx; pop rcx; pop rdx; pushfq; pop rsi; stc; pushfq; popfq; enter 16, 0; mov rdi, rsp; leave; hlt */
    (x) => {
      x.mem.write32(0x200000, 0xabc);
    },
  );
  assert.equal(t.cpu.gpr[6], 0xabc);
  assert.equal(t.cpu.gpr[2], 0x12);
  assert.equal(r64(t, 2), 0x123456789n);
  assert.equal(t.cpu.gpr[12] & 2, 2);
  assert.equal(t.cpu.gpr[8], 0x80000);
  assert.equal(t.cpu.gpr[14], 0x80000 - 8 - 16);
  assert.equal(aflags(t) & 1, 1);
});

Deno.test("pusha/popa, push/pop segment registers (32-bit)", () => {
  const t = exec32(
    "b8 01 00 00 00 b9 02 00 00 00 ba 03 00 00 00 bb 04 00 00 00 bd 06 00 00 00 be 07 00 00 00 bf 08 00 00 00 60 31 c0 31 db 61 1e 07 89 e5 f4", /* mov eax, 1; mov ecx, 2; mov edx, 3; mov ebx, 4; mov ebp, 6; mov esi, 7; mov edi, 8; pushad; xor eax, eax; xor ebx, ebx; popad; push ds; pop es; mov ebp, esp; hlt */
  );
  assert.equal(t.cpu.gpr[0], 1);
  assert.equal(t.cpu.gpr[6], 4);
  assert.equal(t.cpu.seg[0].selector, 0x10);
  assert.equal(t.cpu.gpr[10], 0x80000);
});

Deno.test("popf at CPL 0 may set IOPL and IF", () => {
  const t = exec64(
    "48 c7 c0 02 32 00 00 50 9d 9c 5b f4", /* mov rax, 0x3202; push rax; popfq; pushfq; pop rbx; hlt */
  );
  assert.equal(t.cpu.gpr[6] & 0x3200, 0x3200);
});

Deno.test("an instruction crossing a page boundary is cached, and a write to its tail is seen", () => {
  const t = makeCpu();
  enter64(t);
  installIdt(t, true);
  // 0xffff0: mov ecx, 100; xor ebx, ebx; top: 6 x nop; 0xffffd: mov eax, 0x44332211 (crosses
  // into the next page); add ebx, eax; dec ecx; jnz top; hlt
  t.mem.writeBytes(
    0xffff0,
    hex("b9 64 00 00 00 31 db 90 90 90 90 90 90 b8 11 22 33 44 01 c3 ff c9 75 ef f4"),
  );
  t.cpu.rip = 0xffff0;
  assert.equal(t.cpu.run(10000), "halted");
  assert.equal(t.cpu.gpr[6], Math.imul(0x44332211, 100) >>> 0);
  const page = t.cpu.pages.get(0xff * 4 + 2);
  assert.equal(page?.[0xffd]?.frame2, 0x100); // cached once, with the frame of its tail
  t.mem.write8(0x100000, 0x00); // imm byte 0x33 -> 0x00, in the second page
  t.cpu.rip = 0xffff0;
  t.cpu.activity = "active";
  assert.equal(t.cpu.run(t.cpu.retired + 10000), "halted");
  assert.equal(t.cpu.gpr[6], Math.imul(0x44002211, 100) >>> 0);
});

Deno.test("leave: RSP and RBP in different halves of the address space (signed 64-bit distance)", () => {
  const t = exec64(
    "48 bc 00 10 00 00 00 80 ff ff 48 c7 c5 00 00 20 00 48 c7 04 25 00 00 20 00 34 12 00 00 c9 f4", /* mov rsp, 0xffff800000001000; mov rbp, 0x200000; mov qword ptr [0x200000], 0x1234; leave; hlt */
  );
  assert.equal(r64(t, 5), 0x1234n, "RBP popped from [old RBP]");
  assert.equal(r64(t, 4), 0x200008n, "RSP = old RBP + 8");
});

Deno.test("CMPXCHG r32 that fails: Intel writes the destination back (zero-extended), AMD leaves it", () => {
  // cmpxchg ebx, esi with EAX != EBX; recorded on an x86-64 host (AMD Zen 5): RAX =
  // 0x0000000000000000 (EBX's value, zero-extended), RBX unchanged 0xbbbb000000000000.
  for (const vendor of ["GenuineIntel", "AuthenticAMD"]) {
    const t = makeCpu(8, { ...defaultModel(), vendor });
    enter64(t);
    installIdt(t, true);
    load(t, "0fb1f3f4");
    t.cpu.gpr.set([5, 0xaaaa0000], 0);
    t.cpu.gpr.set([0, 0xbbbb0000], 6);
    t.cpu.gpr.set([0x11, 0x55550000], 12);
    assert.equal(runToHlt(t), "halted");
    assert.deepEqual([t.cpu.gpr[0], t.cpu.gpr[1]], [0, 0], `${vendor}: RAX`);
    const rbxHigh = vendor === "GenuineIntel" ? 0 : 0xbbbb0000;
    assert.deepEqual([t.cpu.gpr[6], t.cpu.gpr[7]], [0, rbxHigh], `${vendor}: RBX`);
  }
});
