import assert from "node:assert/strict";
import { exec32, exec64 } from "./testing.ts";

Deno.test("jcc both ways, call/ret, indirect jmp/call", () => {
  const t = exec64(
    "31 c0 83 f8 01 7c 05 b8 63 00 00 00 e8 1b 00 00 00 83 c0 0a 48 8d 1d 07 00 00 00 ff e3 b8 4d 00 00 00 48 8d 0d 07 00 00 00 ff d1 f4 83 c0 01 c3 83 c0 64 c3", /* xor eax, eax; cmp eax, 1; jl 1f; mov eax, 99; 1: call 2f; add eax, 10; lea rbx, [rip + 3f]; jmp rbx; mov eax, 77; 3: lea rcx, [rip + 4f]; call rcx; hlt; 2: add eax, 1; ret; 4: add eax, 100; ret */
  );
  assert.equal(t.cpu.gpr[0], 111);
});

Deno.test("loop/loope/loopne/jrcxz", () => {
  const t = exec64(
    "b9 05 00 00 00 31 c0 ff c0 e2 fc b9 00 00 00 00 e3 05 b8 00 00 00 00 b9 0a 00 00 00 bb 00 00 00 00 ff c3 83 fb 03 e0 f9 f4", /* mov ecx, 5; xor eax, eax; 1: inc eax; loop 1b; mov ecx, 0; jrcxz 2f; mov eax, 0; 2: mov ecx, 10; mov ebx, 0; 3: inc ebx; cmp ebx, 3; loopne 3b; hlt */
  );
  assert.equal(t.cpu.gpr[0], 5);
  assert.equal(t.cpu.gpr[6], 3);
  assert.equal(t.cpu.gpr[2], 7);
});

Deno.test("LOOP with a 32-bit count register clears RCX's high half; JECXZ and a 16-bit count keep it", () => {
  // Recorded on an x86-64 host (AMD Zen 5): addr32 LOOP with RCX = 0x1234567800000005 leaves
  // RCX = 4, with 0x1234567800000001 leaves 0 (not taken), with 0xabcdef0000000000 leaves
  // 0x00000000ffffffff.
  for (
    const [hi, lo, want] of [[0x12345678, 5, 4], [0x12345678, 1, 0], [0xabcdef00, 0, 0xffffffff]]
  ) {
    // mov rcx, imm64; addr32 loop +0; hlt
    const imm = [lo, hi].map((v) =>
      v.toString(16).padStart(8, "0").match(/../g)!.reverse().join(" ")
    );
    const t = exec64(`48 b9 ${imm[0]} ${imm[1]} 67 e2 00 f4`);
    assert.deepEqual([t.cpu.gpr[2], t.cpu.gpr[3]], [want, 0], `RCX ${hi.toString(16)}:${lo}`);
  }
  // addr32 jrcxz writes nothing; addr16 loop writes CX only.
  const j = exec64("48 b9 00 00 00 00 01 00 00 00 67 e3 00 f4");
  assert.deepEqual([j.cpu.gpr[2], j.cpu.gpr[3]], [0, 1]);
  const w = exec32("b9 05 00 01 00 67 e2 00 f4"); // mov ecx, 0x10005; addr16 loop +0
  assert.equal(w.cpu.gpr[2], 0x10004);
});

Deno.test("ret imm16 releases stack bytes", () => {
  const t = exec32(
    "6a 01 6a 02 e8 01 00 00 00 f4 c2 08 00", /* push 1; push 2; call 1f; hlt; 1: ret 8 */
  );
  assert.equal(t.cpu.gpr[8], 0x80000);
});

Deno.test("INT n through a 64-bit interrupt gate and IRETQ back", () => {
  // The gate for vector 0x40 points at a handler that sets ebx and returns with iretq.
  const t = exec64(
    "b8 01 00 00 00 cd 40 83 c0 01 f4", /* mov eax, 1; int 0x40; add eax, 1; hlt */
    (x) => {
      const h = 0x6000;
      x.mem.writeBytes(h, new Uint8Array([0xbb, 0x2a, 0, 0, 0, 0x48, 0xcf])); // mov ebx, 42; iretq
      const e = 0x2000 + 0x40 * 16;
      x.mem.write32(e, (h & 0xffff) | (0x18 << 16));
      x.mem.write32(e + 4, (h & 0xffff0000) | 0xee00);
    },
  );
  assert.equal(t.cpu.gpr[6], 42);
  assert.equal(t.cpu.gpr[0], 2);
  assert.equal(t.cpu.gpr[8], 0x80000);
});

Deno.test("far jmp to a 32-bit code segment in compatibility mode and far ret back", () => {
  // jmp far [m16:32] to compat code (selector 0x08, 32-bit), which does retf to 64-bit code.
  const t = exec64(
    "c7 04 25 00 00 20 00 00 01 10 00 66 c7 04 25 04 00 20 00 08 00 48 8d 05 16 00 00 00 48 83 ec 08 89 04 24 c7 44 24 04 18 00 00 00 ff 2c 25 00 00 20 00 bb 05 00 00 00 f4", /* mov dword ptr [0x200000], 0x100100; mov word ptr [0x200004], 0x08; lea rax, [rip + 1f]; sub rsp, 8; mov [rsp], eax; mov dword ptr [rsp + 4], 0x18; jmp fword ptr [0x200000]; 1: mov ebx, 5; hlt */
    (x) => {
      x.mem.writeBytes(0x100100, new Uint8Array([0xb9, 0x07, 0, 0, 0, 0xcb])); // mov ecx, 7; retf (32-bit)
    },
  );
  assert.equal(t.cpu.gpr[2], 7);
  assert.equal(t.cpu.gpr[6], 5);
  assert.equal(t.cpu.mode, "long64");
});

Deno.test("near branch beyond the CS limit or to a non-canonical address is #GP(0) at the branch", () => {
  const t = exec32("b8 00 20 10 00 ff e0 f4", /* mov eax, 0x102000; jmp eax; hlt */ (x) => {
    x.cpu.seg[1].limit = 0x101fff;
    x.cpu.stateChanged();
  });
  assert.equal(t.cpu.gpr[14], 13);
  assert.equal(t.mem.read32(t.cpu.gpr[8] + 4), 0x100005); // EIP of the JMP
  const u = exec64(
    "48 b8 00 00 00 00 00 80 00 00 ff d0 f4", /* mov rax, 0x800000000000; call rax; hlt */
  );
  assert.equal(u.cpu.gpr[30], 13);
  assert.equal(u.mem.read32(u.cpu.gpr[8] + 8), 0x10000a); // RIP of the CALL
  assert.equal(u.cpu.gpr[8], 0x80000 - 48); // nothing was pushed by the CALL
});

Deno.test("32-bit call gate from CPL 3 to CPL 0 copies parameters; RETF n returns to the outer level", () => {
  const t = exec32(
    "6a 2b 68 00 00 07 00 6a 02 6a 23 68 00 08 10 00 cf", /* push 0x2b; push 0x70000; push 2; push 0x23; push 0x100800; iretd */
    (x) => {
      x.mem.write32(0x3000 + 4, 0x88000); // TSS ESP0
      x.mem.write32(0x3000 + 8, 0x10); // TSS SS0
      x.mem.write32(0x1000 + 9 * 8, 0x00080900); // call gate 0x4b -> 0x08:0x100900
      x.mem.write32(0x1000 + 9 * 8 + 4, 0x0010ec01); // P, DPL 3, 32-bit call gate, 1 parameter
      // user: push 0x1234; call far 0x4b:0; hlt
      x.mem.writeBytes(
        0x100800,
        new Uint8Array([0x68, 0x34, 0x12, 0, 0, 0x9a, 0, 0, 0, 0, 0x4b, 0, 0xf4]),
      );
      // kernel: mov eax, [esp+8]; mov ebx, cs; mov ecx, esp; retf 4
      x.mem.writeBytes(
        0x100900,
        new Uint8Array([0x8b, 0x44, 0x24, 0x08, 0x8c, 0xcb, 0x89, 0xe1, 0xca, 0x04, 0x00]),
      );
    },
  );
  assert.equal(t.cpu.gpr[0], 0x1234); // parameter copied to the inner stack
  assert.equal(t.cpu.gpr[6] & 0xffff, 0x08); // ran at CPL 0
  assert.equal(t.cpu.gpr[2], 0x88000 - 20); // inner stack: SS, ESP, param, CS, EIP
  assert.equal(t.cpu.gpr[14], 13); // then HLT at CPL 3 -> #GP
  const sp = t.cpu.gpr[8];
  assert.equal(t.mem.read32(sp + 8), 0x23); // faulting CS: back at CPL 3
  assert.equal(t.mem.read32(sp + 16), 0x70000); // user ESP after RETF 4 released the parameter
});

Deno.test("LLDT and a data segment loaded from the LDT", () => {
  const t = exec32(
    "66 b8 50 00 0f 00 d0 66 b8 07 00 8e e0 64 a1 10 00 00 00 f4", /* mov ax, 0x50; lldt ax; mov ax, 0x07; mov fs, ax; mov eax, fs:[0x10]; hlt */
    (x) => {
      // GDT 10 (0x50): LDT at 0x4000, limit 0x17; LDT entry 0: data base 0x200000, limit 0xfff, DPL 3.
      x.mem.write32(0x1000 + 10 * 8, 0x40000017);
      x.mem.write32(0x1000 + 10 * 8 + 4, 0x00008200);
      x.mem.write32(0x4000, 0x00000fff);
      x.mem.write32(0x4004, 0x0040f320);
      x.mem.write32(0x200010, 0xcafe);
    },
  );
  assert.equal(t.cpu.seg[6].selector, 0x50);
  assert.equal(t.cpu.seg[4].base, 0x200000);
  assert.equal(t.cpu.gpr[0], 0xcafe);
});
