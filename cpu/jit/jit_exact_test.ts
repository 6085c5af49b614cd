/**
 * The block compiler leaves exactly the interpreter's state at a fault in
 * the middle of a compiled loop (#PF with CR2, the exception frame and the
 * retired count) and after a loop that rewrites its own code; and it does
 * compile those loops (else the comparison says nothing).
 */
import assert from "node:assert/strict";
import { enter64, installIdt, LAYOUT, load, makeCpu, type TestCpu } from "../testing.ts";
import { JitEngine } from "./mod.ts";

function run(code: string, jit: boolean, limit = 2_000_000): TestCpu {
  const t = makeCpu(8);
  enter64(t);
  installIdt(t, true);
  load(t, code);
  if (jit) t.cpu.jit = new JitEngine(2);
  t.cpu.run(t.cpu.retired + limit);
  return t;
}

function state(t: TestCpu): unknown {
  const c = t.cpu;
  const stack: number[] = [];
  for (let k = 0; k < 64; k++) stack.push(t.mem.read8(LAYOUT.stack - 64 + k));
  return {
    gpr: [...c.gpr],
    rflags: c.rflags,
    rip: c.rip,
    retired: c.retired,
    cr2: c.cr2,
    stack,
  };
}

Deno.test("jit: a #PF in a compiled loop leaves the interpreter's state", () => {
  // mov rbx, 0x3fff0000; mov ecx, 100000
  // 1: add rax, rcx; mov [rbx], rax; add rbx, 0x1000; dec ecx; jnz 1b; hlt
  // The store reaches 0x40000000, past the identity-mapped 1 GiB: #PF.
  const code = "48c7c30000ff3f b9a0860100 4801c8 488903 4881c300100000 ffc9 75ef f4";
  const a = run(code, false);
  const b = run(code, true);
  assert.equal(a.cpu.gpr[30], 14, "the interpreter took #PF");
  assert.equal(a.cpu.cr2, 0x40000000);
  assert.deepEqual(state(b), state(a));
  assert.ok(b.cpu.jit!.compiledRetired > 0, "the loop ran compiled");
});

Deno.test("jit: a compiled loop that rewrites its own immediate sees the new value", () => {
  // lea rsi, [rip + 7]; mov ecx, 200; xor edx, edx
  // 1: mov eax, 0x11111111; add edx, eax; cmp ecx, 100; jne 2f; inc dword [rsi + 1]
  // 2: dec ecx; jnz 1b; hlt
  const code = "488d3507000000 b9c8000000 31d2 b811111111 01c2 83f964 7503 ff4601 ffc9 75ed f4";
  const a = run(code, false);
  const b = run(code, true);
  // 200 iterations of 0x11111111, the last 99 after the rewrite one more (mod 2^32).
  const expect = (200 * 0x11111111 + 99) % 2 ** 32;
  assert.equal(a.cpu.gpr[4], expect);
  assert.deepEqual(state(b), state(a));
  assert.ok(b.cpu.jit!.compiledRetired > 0, "the loop ran compiled");
});

Deno.test("jit: a compiled loop striding over pages fills the TLB itself and stays compiled", () => {
  // mov rbx, 0x300000; mov ecx, 1200
  // 1: add rax, rcx; mov [rbx], rax; add rbx, 0x1000; dec ecx; jnz 1b; hlt
  // Every store is to a RAM page the TLB has not seen (1200 pages, 512 entries).
  const code = "48c7c300003000 b9b0040000 4801c8 488903 4881c300100000 ffc9 75ef f4";
  const a = run(code, false);
  const b = run(code, true);
  assert.equal(a.cpu.gpr[2], 0, "the loop ran to its end");
  const last = 0x300000 + 1199 * 0x1000;
  assert.notEqual(a.mem.read32(last), 0);
  assert.equal(b.mem.read32(last), a.mem.read32(last));
  assert.deepEqual(state(b), state(a));
  const jit = b.cpu.jit!;
  assert.ok(jit.compiledRetired > 5_000, `${jit.compiledRetired} instructions ran compiled`);
  // A miss that left the region would cost interpreted instructions per page.
  assert.ok(jit.steps < 300, `${jit.steps} interpreter dispatches`);
});
