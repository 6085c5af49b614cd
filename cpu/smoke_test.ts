import assert from "node:assert/strict";
import { enter32, enter64, load, makeCpu, runToHlt } from "./testing.ts";

Deno.test("64-bit: mov/add/hlt", () => {
  const t = makeCpu();
  enter64(t);
  // mov eax, 5; add eax, 7; mov rbx, rax; hlt
  load(t, "b8 05 00 00 00 83 c0 07 48 89 c3 f4");
  const r = runToHlt(t);
  assert.equal(r, "halted");
  assert.equal(t.cpu.gpr[0], 12);
  assert.equal(t.cpu.gpr[6], 12);
});

Deno.test("32-bit: loop sums 1..10", () => {
  const t = makeCpu();
  enter32(t);
  // xor eax,eax; mov ecx,10; l: add eax,ecx; dec ecx; jnz l; hlt
  load(t, "31 c0 b9 0a 00 00 00 01 c8 49 75 fb f4");
  const r = runToHlt(t);
  assert.equal(r, "halted");
  assert.equal(t.cpu.gpr[0], 55);
});
