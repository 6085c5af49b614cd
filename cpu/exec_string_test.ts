import assert from "node:assert/strict";
import { exec32, exec64, r64 } from "./testing.ts";

Deno.test("rep stosb across pages and REP chunks (64-bit): bytes, RCX, RDI", () => {
  const start = 0x200ffd;
  const n = 5000;
  const t = exec64(
    "48 c7 c7 fd 0f 20 00 b9 88 13 00 00 b8 ab 00 00 00 f3 aa f4", /* mov rdi, 0x200ffd; mov ecx, 5000; mov eax, 0xab; rep stosb; hlt */
    (t) => {
      for (let a = 0x200000; a < 0x204000; a += 4) t.mem.write32(a, 0x11111111);
    },
  );
  assert.equal(t.mem.read8(start - 1), 0x11);
  for (let a = start; a < start + n; a++) {
    assert.equal(t.mem.read8(a), 0xab, `byte at ${a.toString(16)}`);
  }
  assert.equal(t.mem.read8(start + n), 0x11);
  assert.equal(r64(t, 1), 0n);
  assert.equal(r64(t, 7), BigInt(start + n));
});

Deno.test("rep stosd aligned across pages and chunks, then unaligned (32-bit)", () => {
  const t = exec32(
    "bf f8 1f 20 00 b9 dc 05 00 00 b8 ef be ad de f3 ab bf 02 50 20 00 b9 03 00 00 00 f3 ab f4", /* mov edi, 0x201ff8; mov ecx, 1500; mov eax, 0xdeadbeef; rep stosd; mov edi, 0x205002; mov ecx, 3; rep stosd; hlt */
    (t) => {
      for (let a = 0x201000; a < 0x206000; a += 4) t.mem.write32(a, 0x22222222);
    },
  );
  assert.equal(t.mem.read32(0x201ff4), 0x22222222);
  for (let a = 0x201ff8; a < 0x201ff8 + 6000; a += 4) assert.equal(t.mem.read32(a), 0xdeadbeef);
  assert.equal(t.mem.read32(0x201ff8 + 6000), 0x22222222);
  assert.equal(t.mem.read16(0x205000), 0x2222);
  for (let a = 0x205002; a < 0x20500e; a += 4) assert.equal(t.mem.read32(a), 0xdeadbeef);
  assert.equal(t.mem.read16(0x20500e), 0x2222);
  assert.equal(t.cpu.gpr[2], 0);
  assert.equal(t.cpu.gpr[14], 0x20500e);
});
