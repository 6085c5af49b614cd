/** The shared strict TAP reader (tests/tap.ts): what it accepts and each rule it enforces. */
import assert from "node:assert/strict";
import { assertTap, countTap, parseTap } from "./tap.ts";

Deno.test("tap: parses plan, directives, descriptions and bail-out", () => {
  const s = parseTap(
    "noise\n1..5\nok 1 - a\nnot ok 2 - b # TODO gap\nok 3 - # SKIP x y\nok 4 # skip z\n" +
      "not ok 5 - c\n# diag\nBail out! broken\n",
  );
  assert.deepEqual(s.plans, [5]);
  assert.equal(s.skipAll, null);
  assert.equal(s.bailOut, "broken");
  assert.deepEqual(s.tests.map((t) => [t.ok, t.n, t.description, t.directive, t.reason]), [
    [true, 1, "a", null, ""],
    [false, 2, "b", "todo", "gap"],
    [true, 3, "", "skip", "x y"],
    [true, 4, "", "skip", "z"],
    [false, 5, "c", null, ""],
  ]);
  assert.deepEqual(countTap(s), { plan: 5, pass: 1, skip: 2, todo: 1 });
});

Deno.test("tap: a clean stream passes and returns its counts", () => {
  assert.deepEqual(assertTap("1..2\nok 1 - a\nok 2 - b\n"), { plan: 2, pass: 2, skip: 0, todo: 0 });
  assert.deepEqual(assertTap("1..2\r\nok 1 - a\r\nok 2 - b\r\n", { plan: 2 }).pass, 2);
});

Deno.test("tap: each strict rule rejects its violation", () => {
  const bad: [string, string][] = [
    ["no plan", "ok 1 - a\n"],
    ["two plans", "1..1\nok 1 - a\n1..1\n"],
    ["a failure", "1..2\nok 1 - a\nnot ok 2 - b\n"],
    ["a gap", "1..3\nok 1 - a\nok 3 - c\n"],
    ["out of order", "1..2\nok 2 - b\nok 1 - a\n"],
    ["fewer than planned", "1..3\nok 1 - a\nok 2 - b\n"],
    ["more than planned", "1..1\nok 1 - a\nok 2 - b\n"],
    ["a bail-out", "1..1\nok 1 - a\nBail out! no memory\n"],
    ["an unexpected skip", "1..2\nok 1 - a\nok 2 - # SKIP no feature\n"],
    ["an unexpected todo", "1..2\nok 1 - a\nnot ok 2 - b # TODO later\n"],
    ["a failing skip", "1..1\nnot ok 1 - # SKIP x\n"],
    ["a skipped guest", "1..0 # SKIP no VMX\n"],
    ["an empty plan", "1..0\n"],
  ];
  for (const [what, text] of bad) {
    assert.throws(() => assertTap(text), assert.AssertionError, what);
  }
});

Deno.test("tap: expected skips, TODOs, plan and whole-guest skip are honoured exactly", () => {
  const skip = "1..2\nok 1 - a\nok 2 - # SKIP x\n";
  assert.deepEqual(assertTap(skip, { skips: 1 }), { plan: 2, pass: 1, skip: 1, todo: 0 });
  assert.throws(() => assertTap(skip, { skips: 2 }), assert.AssertionError);
  const todo = "1..2\nok 1 - a\nnot ok 2 - b # TODO later\n";
  assert.equal(assertTap(todo, { todos: 1 }).todo, 1);
  assert.throws(() => assertTap("1..1\nok 1 - a\n", { plan: 2 }), assert.AssertionError);
  assert.throws(() => assertTap("1..1\nok 1 - a\n", { minPlan: 2 }), assert.AssertionError);
  assert.equal(assertTap("1..0 # SKIP CPUID.1:ECX.VMX is clear\n", { skipAll: /VMX/ }).plan, 0);
  assert.throws(() => assertTap("1..1\nok 1 - a\n", { skipAll: /VMX/ }), assert.AssertionError);
  assert.throws(
    () => assertTap("1..0 # SKIP other\n", { skipAll: /VMX/ }),
    assert.AssertionError,
  );
});
