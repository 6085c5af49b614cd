/**
 * The block compiler leaves exactly the interpreter's state at a fault in
 * the middle of a compiled loop (#PF with CR2, the exception frame and the
 * retired count) and after a loop that rewrites its own code; and it does
 * compile those loops (else the comparison says nothing).
 */
import assert from "node:assert/strict";
import { boundaryState, enter64, installIdt, load, makeCpu, type TestCpu } from "../testing.ts";
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

const state = boundaryState;

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
  // Every store is to a RAM page the TLB has not seen yet (1200 new pages).
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

/**
 * Run both engines in the same run-limit slices (after a first one of
 * `first` instructions), comparing the state after each.
 */
function lockstep(code: string, slices: number[], first = 0, maxSteps = 400): TestCpu {
  const a = run(code, false, first);
  const b = run(code, true, first);
  for (let k = 0; k < maxSteps; k++) {
    const n = slices[k % slices.length];
    const sa = a.cpu.run(a.cpu.retired + n);
    const sb = b.cpu.run(b.cpu.retired + n);
    assert.equal(sb, sa, `slice ${k}`);
    assert.deepEqual(state(b), state(a), `after slice ${k} (${n} instructions)`);
    if (sa !== "limit") break;
  }
  return b;
}

Deno.test("jit: limits falling anywhere inside a multi-block compiled loop stop exactly there", () => {
  // xor eax, eax; mov ecx, 3000
  // 1: add eax, ecx; test cl, 3; jz 2f; add eax, 7; imul eax, eax, 3; jmp 3f
  // 2: sub eax, 5
  // 3: add edx, eax; dec ecx; jnz 1b; hlt
  // The region checks the limit once per pass (its longest path, 9
  // instructions); a limit inside the pass must still stop at that
  // instruction, with the interpreter running the rest of the way.
  const code = "31c0 b9b80b0000 01c8 f6c103 7408 83c007 6bc003 eb03 83e805 01c2 ffc9 75e8 f4";
  const b = lockstep(code, [1, 2, 3, 5, 7, 11, 13, 17, 40, 97, 4, 6]);
  assert.ok(b.cpu.jit!.compiledRetired > 2_000, `${b.cpu.jit!.compiledRetired} ran compiled`);
  assert.equal(b.cpu.jit!.stats.errors, 0);
});

Deno.test("jit: flags a later block may expose at a fault are kept (cross-block liveness)", () => {
  // mov rbx, 0x3fff0000; mov ecx, 100000
  // 1: sub rax, rcx; jmp 2f
  // 2: mov rdx, [rbx]; add rbx, 0x1000; dec ecx; jnz 1b; hlt
  // The load faults (#PF at 1 GiB) in the block after the SUB: the
  // exception frame holds the SUB's flags (SF set, unlike after the
  // DEC), which the JMP does not change.
  const code = "48c7c30000ff3f b9a0860100 4829c8 eb00 488b13 4881c300100000 ffc9 75ed f4";
  const a = run(code, false);
  const b = run(code, true);
  assert.equal(a.cpu.cr2, 0x40000000, "the interpreter took #PF");
  assert.equal(a.cpu.rflags & 0x80, 0x80, "SF from the SUB");
  assert.deepEqual(state(b), state(a));
  assert.ok(b.cpu.jit!.compiledRetired > 0, "the loop ran compiled");
});

Deno.test("jit: a non-canonical address in a compiled loop raises #GP as interpreted", () => {
  // mov rbx, 0x100000; mov r8, 0x4000000000000000; mov ecx, 100
  // 1: mov rax, [rbx]; add rax, rcx; dec ecx; cmp ecx, 50; jne 2f; add rbx, r8
  // 2: test ecx, ecx; jnz 1b; hlt
  // Halfway RBX becomes non-canonical (bits 47:0 unchanged): the load must
  // take #GP(0), not reach the page of its low 48 bits.
  const code =
    "48c7c300001000 49b80000000000000040 b964000000 488b03 4801c8 ffc9 83f932 7503 4c01c3 85c9 75ec f4";
  const a = run(code, false);
  const b = run(code, true);
  assert.equal(a.cpu.gpr[30], 13, "the interpreter took #GP");
  assert.deepEqual(state(b), state(a));
  assert.ok(b.cpu.jit!.compiledRetired > 0, "the loop ran compiled");
});

// mov ecx, 200; xor eax, eax
// 1: mov edx, ecx; and edx, 63; add edx, 3
// 2: add eax, edx; dec edx; jnz 2b      (an inner loop of one block)
//    dec ecx; jnz 1b; hlt
const NESTED = "b9c8000000 31c0 89ca 83e23f 83c203 01d0 ffca 75fa ffc9 75ee f4";

Deno.test("jit: an inner loop of one block runs inside its outer loop's region", () => {
  const a = run(NESTED, false);
  const b = run(NESTED, true);
  assert.deepEqual(state(b), state(a));
  const jit = b.cpu.jit!;
  assert.ok(jit.compiledRetired > 15_000, `${jit.compiledRetired} ran compiled`);
  // Leaving the region at every inner-loop entry and exit would take 400 calls.
  assert.ok(jit.calls < 60, `${jit.calls} region calls`);
});

Deno.test("jit: limits inside a compiled inner loop stop exactly there", () => {
  // The first slice compiles the region at the outer loop's head, as above.
  const b = lockstep(NESTED, [1, 2, 3, 5, 7, 11, 13, 17, 40, 97, 4, 6], 2_000);
  assert.ok(b.cpu.jit!.compiledRetired > 1_000, `${b.cpu.jit!.compiledRetired} ran compiled`);
});

Deno.test("jit: a block that falls into a branch target ends there (no second copy of it)", () => {
  // The loop of the multi-block test above has 10 instructions; the SUB
  // falls through into the ADD EDX that the JMP also targets.
  const code = "31c0 b9b80b0000 01c8 f6c103 7408 83c007 6bc003 eb03 83e805 01c2 ffc9 75e8 f4";
  const a = run(code, false);
  const b = run(code, true);
  assert.deepEqual(state(b), state(a));
  const s = b.cpu.jit!.stats;
  assert.equal(s.regions, 1);
  assert.equal(s.insns, 10);
});
