/**
 * Regions that follow a CALL into another code page (and the RET back):
 * the loop runs compiled, and a write to the callee's code, or a remap of
 * its page by INVLPG or a CR3 reload, is seen as by the interpreter.
 */
import assert from "node:assert/strict";
import { enter64, installIdt, LAYOUT, load, makeCpu, type TestCpu } from "../testing.ts";
import { JitEngine } from "./mod.ts";

/** A page table for the first 2 MiB (4 KiB pages, identity), so one page can be remapped. */
const PT = 0x13000;

// mov ecx, 1000; xor edx, edx
// 1: call 0x101000; add edx, eax; cmp ecx, 500; jne 2f; ACTION
// 2: dec ecx; jnz 1b; hlt
// The callee (0x101000): mov eax, 1; ret. A copy at 0x102000 returns 7.
const LOOPS = {
  none: "b9e803000031d2e8f40f000001c281f9f4010000750190ffc975ecf4",
  /** ACTION: mov dword [0x101001], 7 (rewrites the callee's immediate). */
  codeWrite: "b9e803000031d2e8f40f000001c281f9f4010000750bc704250110100007000000ffc975e2f4",
  /** ACTION: mov qword [PT + 0x101 * 8], 0x102007; invlpg [0x101000]. */
  invlpg:
    "b9e803000031d2e8f40f000001c281f9f4010000751448c7042508380100072010000f013c2500101000ffc975d9f4",
  /** ACTION: the same PTE write; mov rax, cr3; mov cr3, rax. */
  cr3: "b9e803000031d2e8f40f000001c281f9f4010000751248c7042508380100072010000f20d80f22d8ffc975dbf4",
};

/** A 64-bit CPU whose first 2 MiB are mapped by 4 KiB pages through PT (identity). */
function pagedCpu(): TestCpu {
  const t = makeCpu(8);
  enter64(t);
  installIdt(t, true);
  t.mem.write32(LAYOUT.pd, PT | 7);
  for (let k = 0; k < 512; k++) t.mem.write32(PT + k * 8, k * 0x1000 + 7);
  t.cpu.flushTlb();
  return t;
}

function run(code: string, jit: boolean): TestCpu {
  const t = pagedCpu();
  load(t, "b801000000c3", 0x101000);
  load(t, "b807000000c3", 0x102000);
  load(t, code);
  if (jit) t.cpu.jit = new JitEngine(2);
  t.cpu.run(t.cpu.retired + 200_000);
  return t;
}

function state(t: TestCpu): unknown {
  const c = t.cpu;
  return { gpr: [...c.gpr], rflags: c.rflags, rip: c.rip, retired: c.retired, cr2: c.cr2 };
}

function compare(code: string, sum: number): void {
  const a = run(code, false);
  const b = run(code, true);
  assert.equal(a.cpu.gpr[4], sum, "the interpreter's sum");
  assert.equal(a.cpu.gpr[30], 0, "no exception");
  assert.deepEqual(state(b), state(a));
  const jit = b.cpu.jit!;
  assert.equal(jit.stats.errors, 0);
  // The loop only loops through the callee: compiled, it crossed pages.
  assert.ok(jit.compiledRetired > 4_000, `${jit.compiledRetired} ran compiled`);
}

Deno.test("jit: a loop calling a function on another page runs compiled", () => {
  compare(LOOPS.none, 1000);
  const b = run(LOOPS.none, true);
  // One region call per limit (not one per iteration).
  assert.ok(b.cpu.jit!.calls < 100, `${b.cpu.jit!.calls} region calls`);
});

Deno.test("jit: a write to the callee's page is seen by the compiled loop", () => {
  compare(LOOPS.codeWrite, 501 + 499 * 7);
});

Deno.test("jit: INVLPG remapping the callee's page is seen by the compiled loop", () => {
  compare(LOOPS.invlpg, 501 + 499 * 7);
});

Deno.test("jit: a CR3 reload remapping the callee's page is seen by the compiled loop", () => {
  compare(LOOPS.cr3, 501 + 499 * 7);
});

Deno.test("jit: a loop whose head is on the page below the hot instruction runs as the interpreter runs it", () => {
  // 0x100000: mov ecx, 1000; xor edx, edx; jmp 0x100ffc
  // 0x100ffc: add edx, 1; nop   (the loop head, on the lower page)
  // 0x101000: dec ecx; jnz 0x100ffc; hlt
  const go = (jit: boolean): TestCpu => {
    const t = makeCpu(8);
    enter64(t);
    installIdt(t, true);
    load(t, "83c20190", 0x100ffc);
    load(t, "ffc975f8f4", 0x101000);
    load(t, "b9e803000031d2e9f00f0000"); // last: load() points RIP at it
    if (jit) t.cpu.jit = new JitEngine(2);
    t.cpu.run(t.cpu.retired + 100_000);
    return t;
  };
  const a = go(false);
  const b = go(true);
  assert.equal(a.cpu.gpr[4], 1000, "the interpreter's sum");
  assert.deepEqual(state(b), state(a));
  assert.equal(b.cpu.jit!.stats.errors, 0);
});

/**
 * A loop whose head is near the end of page 0x100000 and whose body goes on
 * in page 0x101000. "crossing": `nop; nop; nop` at 0x100ffb, then `mov eax,
 * 1` at 0x100ffe with three bytes of its immediate in the upper page, then
 * `add edx, eax`; "atEnd": `mov eax, 1` at 0x100ffb ends at the page end,
 * then `add edx, 1`. Both go on with `cmp ecx, 500; jne 2f; ACTION; 2: dec
 * ecx; jnz head; hlt`. A copy of the upper page at 0x102000 differs in one
 * byte (the immediate's second byte: eax = 0x701; or `add edx, 7`), so a
 * remap of the upper page changes the sum. Returns the interpreter's run
 * and the block compiler's.
 */
function pageEndLoop(layout: "crossing" | "atEnd", action: string): [TestCpu, TestCpu] {
  const head = layout === "crossing" ? "909090b801" : "b801000000";
  const body = (first: string) => {
    const jnzAt = 0x101000 + first.length / 2 + 6 + 2 + action.length / 2 + 2 + 2;
    const back = (0x100ffb - jnzAt) & 0xff;
    return first + "81f9f4010000" + "75" + (action.length / 2).toString(16).padStart(2, "0") +
      action + "ffc9" + "75" + back.toString(16).padStart(2, "0") + "f4";
  };
  const go = (jit: boolean): TestCpu => {
    const t = pagedCpu();
    load(t, head, 0x100ffb);
    load(t, body(layout === "crossing" ? "00000001c2" : "83c201"), 0x101000);
    load(t, body(layout === "crossing" ? "07000001c2" : "83c207"), 0x102000);
    load(t, "b9e803000031d2e9ef0f0000"); // mov ecx, 1000; xor edx, edx; jmp 0x100ffb
    if (jit) t.cpu.jit = new JitEngine(2);
    t.cpu.run(t.cpu.retired + 100_000);
    return t;
  };
  return [go(false), go(true)];
}

/** ACTION: mov byte [0x101000], 7 (the crossing immediate's second byte). */
const WRITE_TAIL = "c6042500101000" + "07";
/** ACTION: mov qword [PT + 0x101 * 8], 0x102007; invlpg [0x101000]. */
const REMAP_UPPER = "48c7042508380100072010000f013c2500101000";

/** The interpreter's loop summed 1000 and the compiled loop ran as one region call per limit. */
function assertLoopRanCompiled(a: TestCpu, b: TestCpu): void {
  assert.equal(a.cpu.gpr[4], 1000, "the interpreter's sum");
  assert.equal(a.cpu.gpr[30], 0, "no exception");
  assert.deepEqual(state(b), state(a));
  const jit = b.cpu.jit!;
  assert.equal(jit.stats.errors, 0);
  assert.ok(jit.compiledRetired > 5_000, `${jit.compiledRetired} ran compiled`);
  // One region call per limit, not one or more per iteration.
  assert.ok(jit.calls < 100, `${jit.calls} region calls`);
}

Deno.test("jit: a loop with an instruction crossing the page end runs compiled", () => {
  assertLoopRanCompiled(...pageEndLoop("crossing", ""));
});

Deno.test("jit: a loop falling through the page end runs compiled", () => {
  assertLoopRanCompiled(...pageEndLoop("atEnd", ""));
});

Deno.test("jit: a write to the tail of a page-crossing instruction is seen by the compiled loop", () => {
  const [a, b] = pageEndLoop("crossing", WRITE_TAIL);
  assert.equal(a.cpu.gpr[4], 501 + 499 * 0x701, "the interpreter's sum");
  assert.deepEqual(state(b), state(a));
  assert.equal(b.cpu.jit!.stats.errors, 0);
});

Deno.test("jit: INVLPG remapping the page a crossing instruction ends in is seen by the compiled loop", () => {
  const [a, b] = pageEndLoop("crossing", REMAP_UPPER);
  assert.equal(a.cpu.gpr[4], 501 + 499 * 0x701, "the interpreter's sum");
  assert.deepEqual(state(b), state(a));
  assert.equal(b.cpu.jit!.stats.errors, 0);
});

Deno.test("jit: INVLPG remapping the page a loop falls through into is seen by the compiled loop", () => {
  const [a, b] = pageEndLoop("atEnd", REMAP_UPPER);
  assert.equal(a.cpu.gpr[4], 501 + 499 * 7, "the interpreter's sum");
  assert.deepEqual(state(b), state(a));
  assert.equal(b.cpu.jit!.stats.errors, 0);
});
