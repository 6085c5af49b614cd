/**
 * The hot-handler code is what `tools/hot_ops/gen.ts` writes from
 * `tools/hot_ops/spec.ts`: regenerating changes nothing, a hand edit is
 * undone, the spec's checks reject a broken table, and the generated
 * switch and table agree at run time (each case calls the handler that
 * `hotId` gives its id).
 */
import assert from "node:assert/strict";
import {
  beginMarker,
  checkSpec,
  cpuFile,
  END_MARKER,
  generatedHandlers,
  hotAluFile,
  outputs,
  withSection,
} from "./gen.ts";
import {
  BINARY_FORMS,
  BINARY_OPS,
  binaryName,
  HOT,
  type HotEntry,
  TEST_FORMS,
  testName,
  UNARY_INDEX,
  UNARY_OPS,
  unaryName,
} from "./spec.ts";
import { hotId } from "../../cpu/hot_table.ts";
import type { Handler } from "../../cpu/icache.ts";
import * as A from "../../cpu/exec_alu.ts";
import * as C from "../../cpu/exec_control.ts";
import * as D from "../../cpu/exec_data.ts";
import * as F from "../../cpu/hot_alu.ts";
import * as H from "../../cpu/hot_mov_shift_jcc.ts";
import * as Y from "../../cpu/exec_system.ts";

const root = new URL("../../", import.meta.url);
const read = (p: string) => Deno.readTextFileSync(new URL(p, root));
const MODULES: Record<string, Record<string, unknown>> = { A, C, D, F, H, Y };

Deno.test("hot_ops: regenerating hot_alu.ts, hot_table.ts and cpu.ts changes nothing", () => {
  const outs = outputs(read);
  assert.deepEqual(outs.map((o) => o.path), ["cpu/hot_alu.ts", "cpu/hot_table.ts", "cpu/cpu.ts"]);
  for (const { path, text } of outs) assert.equal(read(path), text, `${path} is stale: run gen.ts`);
});

Deno.test("hot_ops: a hand edit inside cpu.ts's generated switch is undone by regenerating", () => {
  const text = read("cpu/cpu.ts");
  const edited = text.replace("A.aluRegDst(this, i);", "A.aluEdst(this, i);");
  assert.notEqual(edited, text);
  assert.equal(cpuFile(edited), text);
  // Hand code outside the sections is kept.
  const outside = text.replace("this.retired++;", "this.retired += 1;");
  assert.notEqual(outside, text);
  assert.equal(cpuFile(outside), outside);
});

Deno.test("hot_ops: a section without its markers is an error, not a silent append", () => {
  assert.throws(() => withSection("no markers here\n", "hot switch", "x"), /begin marker/);
  assert.throws(
    () => withSection(beginMarker("hot switch") + "\n", "hot switch", "x"),
    /end marker/,
  );
  const two = `${beginMarker("s")}\n${END_MARKER}\n${beginMarker("s")}\n${END_MARKER}\n`;
  assert.throws(() => withSection(two, "s", "x"), /one begin marker/);
  assert.equal(
    withSection(`a\n  ${beginMarker("s")}\n  old\n  ${END_MARKER}\nb\n`, "s", "  new"),
    `a\n  ${beginMarker("s")}\n  new\n  ${END_MARKER}\nb\n`,
  );
});

Deno.test("hot_ops: the run loop's switch calls, for each id, the handler hotId gives that id", () => {
  const source = read("cpu/cpu.ts");
  const a = source.indexOf(beginMarker("hot switch"));
  const section = source.slice(a, source.indexOf(END_MARKER, a));
  const calls = [...section.matchAll(/case (\d+):\s*\n\s*([A-Z])\.(\w+)\(this, i\);/g)];
  const empty = [...section.matchAll(/case (\d+):\s*\n\s*\/\/[^\n]*\n\s*break;/g)];
  const ids = new Set<number>();
  for (const [, id, mod, name] of calls) {
    const h = MODULES[mod]?.[name] as Handler | undefined;
    assert.ok(typeof h === "function", `${mod}.${name} is not a handler`);
    assert.equal(hotId(h), Number(id), `case ${id} calls ${mod}.${name}`);
    ids.add(Number(id));
  }
  for (const [, id] of empty) {
    const e = HOT[Number(id)];
    assert.equal(e.loop, "empty", `case ${id} does nothing`);
    assert.equal(hotId(MODULES[e.mod][e.name] as Handler), Number(id));
    ids.add(Number(id));
  }
  assert.equal(ids.size, HOT.length - 1, "a case for every id but 0");
  for (let id = 1; id < HOT.length; id++) assert.ok(ids.has(id), `no case for id ${id}`);
  assert.equal(hotId(Y.undef), 0);
  assert.equal(hotId(A.muldiv), 0, "a handler not in the table is not hot");
});

Deno.test("hot_ops: every generated handler is exported, hot, and fastAlu finds the ALU ones", () => {
  const text = hotAluFile();
  for (const n of generatedHandlers()) {
    assert.ok(text.includes(`export function ${n}(c: Cpu, i: Insn): void {`), n);
    const h = (F as Record<string, unknown>)[n] as Handler;
    assert.equal(typeof h, "function", n);
    assert.ok(hotId(h) > 0, `${n} has a dispatch id`);
  }
  for (const o of BINARY_OPS) {
    for (const [imm, size] of BINARY_FORMS) {
      assert.equal(F.fastAlu(o.k, imm, size)?.name, binaryName(o, imm, size));
    }
  }
  assert.equal(F.fastAlu(2, false, 4), null, "ADC has no specialised handler");
  assert.equal(F.FAST_ALU_HANDLERS.length, BINARY_OPS.length * BINARY_FORMS.length);
  for (const o of UNARY_OPS) {
    assert.equal(F.fastIncDec(UNARY_INDEX[o.name], o.size)?.name, unaryName(o));
  }
  assert.equal(F.fastIncDec(0, 2), null, "INC r16 has no specialised handler");
  assert.equal(F.fastIncDec(2, 4), null, "NOT has no specialised handler");
  for (const t of TEST_FORMS) assert.equal(F.fastTest(t.src === "imm", t.size)?.name, testName(t));
  assert.equal(F.fastTest(true, 8), null, "TEST r64, imm has no specialised handler");
  assert.equal(F.fastTest(false, 1), null, "TEST r8, r8 has no specialised handler");
  assert.deepEqual(F.GENERATED_HANDLERS.map((h) => h.name), generatedHandlers());
});

Deno.test("hot_ops: the spec's checks pass the table as written and reject broken ones", () => {
  checkSpec();
  const nop = HOT.findIndex((e) => e.name === "nop");
  const broken: [string, HotEntry[], RegExp][] = [
    ["a handler twice", [...HOT, HOT[3]], /listed twice/],
    [
      "a generated handler missing",
      HOT.filter((e) => e.name !== "decR64"),
      /F\.decR64 is not in HOT/,
    ],
    ["an unknown F handler", [...HOT, { mod: "F", name: "adcRR32" }], /does not define/],
    ["no placeholder at id 0", HOT.slice(1), /id 0, and only id 0/],
    ["a second case-less id", [...HOT, { mod: "Y", name: "hlt", loop: "none" }], /id 0, and only/],
    ["an empty case without a note", HOT.map((e, k) => k === nop ? { ...e, note: "" } : e), /note/],
  ];
  for (const [what, hot, err] of broken) assert.throws(() => checkSpec(hot), err, what);
});
