import assert from "node:assert/strict";
import { countLines, judge, summaryLine } from "./outcome.ts";

Deno.test("outcome: the harness's verdicts from the exit status", () => {
  assert.equal(judge(1, "").verdict, "PASS");
  assert.equal(judge(1, "nestvm: warning: ignoring QEMU option -nographic\n").verdict, "PASS");
  assert.deepEqual(judge(1, "nestvm: something broke\n"), {
    verdict: "FAIL",
    status: 1,
    reason: "the VMM reported errors",
  });
  assert.equal(judge(77, "").verdict, "SKIP");
  assert.equal(judge(3, "").verdict, "FAIL");
  assert.equal(judge(127, "").reason, "aborted");
  assert.equal(judge(124, "").reason, "timeout");
  assert.equal(judge(0, "").reason, "exited without isa-debug-exit");
  assert.equal(judge(137, "").reason, "terminated on signal 9");
});

Deno.test("outcome: report lines and the SUMMARY line are counted", () => {
  const out =
    "PASS: a\nFAIL: b\nSKIP: c\nXPASS: d\nXFAIL: e\nPASS: f\n  PASS: indented\nSUMMARY: 6 tests\n";
  assert.deepEqual(countLines(out), { pass: 2, fail: 1, skip: 1, xpass: 1, xfail: 1 });
  assert.equal(summaryLine(out), "6 tests");
  assert.equal(summaryLine("SUMMARY: early\n1\n2\n3\n4\n5\n6\n"), "");
});
