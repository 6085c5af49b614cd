import assert from "node:assert/strict";
import { enter64, exec64, installIdt, load, makeCpu, runToHlt, type TestCpu } from "./testing.ts";

// Guest code below is 64-bit code at 0x100000 (assembled with GNU as; the
// source is the comment after each string). The IDT stubs of testing.ts put
// the vector in R15D and halt, with the exception frame on the stack.

const frameRip = (t: TestCpu): number => t.mem.read32(t.cpu.gpr[8]);
const NONE = (t: TestCpu) => {
  t.cpu.gpr[30] = 0xff;
};

Deno.test("debug: an instruction breakpoint is a #DB fault at the instruction, DR6.B0 set", () => {
  const t = exec64(
    "48 c7 c0 13 00 10 00 0f 23 c0 b8 01 04 00 00 0f 23 f8 90 90 f4", /* mov rax, offset tgt; mov dr0, rax; mov eax, 0x401; mov dr7, rax; nop; tgt: nop; hlt */
    NONE,
  );
  assert.equal(t.cpu.gpr[30], 1);
  assert.equal(frameRip(t), 0x100013);
  assert.equal(t.cpu.dr[6], 0xffff0ff1);
  assert.equal(t.mem.read32(t.cpu.gpr[8] + 16) & 0x10000, 0, "no RF in a breakpoint #DB frame");
});

Deno.test("debug: RFLAGS.RF (loaded by IRETQ) lets the instruction at a breakpoint run once", () => {
  const t = exec64(
    "48 c7 c0 32 00 10 00 0f 23 c0 b8 01 04 00 00 0f 23 f8 66 8c d0 50 54 48 83 04 24 08 9c 81 0c 24 00 00 01 00 66 8c c8 50 48 c7 c0 32 00 10 00 50 48 cf bb 34 12 00 00 f4", /* mov rax, offset tgt; mov dr0, rax; mov eax, 0x401; mov dr7, rax; mov ax, ss; push rax; push rsp; add qword ptr [rsp], 8; pushfq; or dword ptr [rsp], 0x10000; mov ax, cs; push rax; mov rax, offset tgt; push rax; iretq; tgt: mov ebx, 0x1234; hlt */
    NONE,
  );
  assert.equal(t.cpu.gpr[30], 0xff, "no #DB");
  assert.equal(t.cpu.gpr[6], 0x1234);
  assert.equal(t.cpu.rflags & 0x10000, 0, "RF cleared once the instruction completed");
});

Deno.test("debug: a data write breakpoint is a #DB trap after the instruction, DR6.B1 set", () => {
  const t = exec64(
    "48 c7 c0 00 00 20 00 0f 23 c8 b8 0a 04 d0 00 0f 23 f8 c7 04 25 00 00 20 00 07 00 00 00 f4", /* mov rax, 0x200000; mov dr1, rax; mov eax, 0x00d0040a; mov dr7, rax; mov dword ptr [0x200000], 7; after: hlt */
    NONE,
  );
  assert.equal(t.cpu.gpr[30], 1);
  assert.equal(frameRip(t), 0x10001d);
  assert.equal(t.mem.read32(0x200000), 7, "the write happened");
  assert.equal(t.cpu.dr[6], 0xffff0ff2);
});

Deno.test("debug: reads hit RW=11 breakpoints (overlapping range) but not RW=01 ones", () => {
  const t = exec64(
    "48 c7 c0 00 00 20 00 0f 23 c8 b8 0a 04 d0 00 0f 23 f8 8b 1c 25 00 00 20 00 b8 0a 04 f0 00 0f 23 f8 8b 0c 25 02 00 20 00 f4", /* mov rax, 0x200000; mov dr1, rax; mov eax, 0x00d0040a; mov dr7, rax; mov ebx, dword ptr [0x200000]; mov eax, 0x00f0040a; mov dr7, rax; mov ecx, dword ptr [0x200002]; after: hlt */
    NONE,
  );
  assert.equal(t.cpu.gpr[30], 1);
  assert.equal(frameRip(t), 0x100028, "the #DB follows the second read, not the first");
});

Deno.test("debug: DR7.GD makes MOV DR a #DB fault with DR6.BD and is cleared for the handler", () => {
  const t = exec64(
    "b8 00 24 00 00 0f 23 f8 0f 21 c0 f4", /* mov eax, 0x2400; mov dr7, rax; gd: mov rax, dr0; hlt */
    NONE,
  );
  assert.equal(t.cpu.gpr[30], 1);
  assert.equal(frameRip(t), 0x100008);
  assert.equal(t.cpu.dr[6] & 0x2000, 0x2000);
  assert.equal(t.cpu.dr[7], 0x400);
});

Deno.test("debug: DR6 and DR7 read back with their fixed bits", () => {
  const t = exec64(
    "31 c0 0f 23 f0 0f 23 f8 0f 21 f3 0f 21 f9 f4", /* xor eax, eax; mov dr6, rax; mov dr7, rax; mov rbx, dr6; mov rcx, dr7; hlt */
  );
  assert.equal(t.cpu.gpr[6], 0xffff0ff0);
  assert.equal(t.cpu.gpr[2], 0x400);
});

Deno.test("debug: an I/O breakpoint (CR4.DE, RW=10) traps after OUT", () => {
  const t = exec64(
    "0f 20 e0 83 c8 08 0f 22 e0 b8 80 00 00 00 0f 23 d0 b8 20 04 00 02 0f 23 f8 e6 80 f4", /* mov rax, cr4; or eax, 8; mov cr4, rax; mov eax, 0x80; mov dr2, rax; mov eax, 0x02000420; mov dr7, rax; out 0x80, al; after: hlt */
    NONE,
  );
  assert.equal(t.cpu.gpr[30], 1);
  assert.equal(frameRip(t), 0x10001b);
  assert.equal(t.cpu.dr[6], 0xffff0ff4);
});

Deno.test("debug: MOV SS blocking holds the single-step #DB until the next instruction has run", () => {
  const t = exec64(
    "9c 81 0c 24 00 01 00 00 66 8c d0 9d 8e d0 90 f4", /* pushfq; or dword ptr [rsp], 0x100; mov ax, ss; popfq; mov ss, ax; tgt: nop; after: hlt */
    NONE,
  );
  assert.equal(t.cpu.gpr[30], 1);
  assert.equal(frameRip(t), 0x10000f, "one #DB, after the NOP (not at it)");
  assert.equal(t.cpu.dr[6] & 0x4000, 0x4000, "DR6.BS");
});

Deno.test("debug: VMX pending debug exceptions (BS, B0 + enabled bit) become one #DB after MOV SS blocking", () => {
  const t = makeCpu();
  enter64(t);
  installIdt(t, true);
  load(t, "90 90 f4" /* nop; nop; hlt */);
  t.cpu.gpr[30] = 0xff;
  t.cpu.interruptibility = 2; // blocking by MOV SS, as loaded by VM entry
  t.cpu.shadowUntil = t.cpu.retired + 1;
  t.cpu.setPendingDebugExceptions(0x5001);
  assert.equal(runToHlt(t), "halted");
  assert.equal(t.cpu.gpr[30], 1);
  assert.equal(frameRip(t), 0x100001, "after the first instruction");
  assert.equal(t.cpu.dr[6] & 0x600f, 0x4001);
});

Deno.test("debug: DEBUGCTL.BTF turns single-step into single-step on branches", () => {
  // mov ecx, 0x1d9; mov eax, BTF; xor edx, edx; wrmsr; pushfq; or dword ptr [rsp], 0x100; popfq;
  // nop; nop; jmp tgt; nop; tgt: nop; hlt
  const code = (btf: number) =>
    `b9 d9 01 00 00 b8 0${btf} 00 00 00 31 d2 0f 30 9c 81 0c 24 00 01 00 00 9d 90 90 eb 01 90 90 f4`;
  const plain = exec64(code(0), NONE);
  assert.equal(plain.cpu.gpr[30], 1);
  assert.equal(frameRip(plain), 0x100018, "without BTF: after the first NOP");
  const btf = exec64(code(2), NONE);
  assert.equal(btf.cpu.gpr[30], 1);
  assert.equal(frameRip(btf), 0x10001c, "with BTF: at the JMP's target");
  assert.equal(btf.cpu.dr[6] & 0x4000, 0x4000);
});
