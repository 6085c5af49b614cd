import assert from "node:assert/strict";

import {
  checkSnapshotRuns,
  chooseSnapshotPoint,
  type RunOutput,
  snapshotLine,
  totalInstructions,
} from "./snapshot_check.ts";
import createL2Probe, { parseProbe } from "./l2_probe.ts";

const probeLine = (v: number, n: number) =>
  `[l2-probe] info: L2 out value 0x${v.toString(16)} at instruction ${n}`;

const A: RunOutput = {
  transcript: "boot...\n[kvm-client] exit 1\n[kvm-client] exit 2\npower off\n",
  stderr: [
    probeLine(0x48, 1000),
    probeLine(0x69, 2000),
    "instructions retired: 5,000",
  ].join("\n"),
  status: 0,
};
const B: RunOutput = {
  transcript: "boot...\n[kvm-client] exit 1\n",
  stderr: [
    probeLine(0x48, 1000),
    "nestvm: snapshot at instruction 1998 written to s.bin (99 bytes); a vCPU was running L2 (VMX non-root)",
  ].join("\n"),
  status: 0,
};
const C: RunOutput = {
  transcript: "[kvm-client] exit 2\npower off\n",
  stderr: [probeLine(0x69, 2000), "instructions retired: 3,002 (total since boot: 5,000)"].join(
    "\n",
  ),
  status: 0,
};

Deno.test("parsers read the stats, snapshot and probe lines", () => {
  assert.deepStrictEqual(totalInstructions(A.stderr), 5000);
  assert.deepStrictEqual(totalInstructions(C.stderr), 5000);
  assert.deepStrictEqual(totalInstructions("nothing"), undefined);
  assert.deepStrictEqual(snapshotLine(B.stderr), { at: 1998, inL2: true });
  assert.deepStrictEqual(snapshotLine("nestvm: snapshot at instruction 7 written to x (1 bytes)"), {
    at: 7,
    inL2: false,
  });
  assert.deepStrictEqual(parseProbe(A.stderr), [{ value: 0x48, retired: 1000 }, {
    value: 0x69,
    retired: 2000,
  }]);
  assert.deepStrictEqual(chooseSnapshotPoint(parseProbe(A.stderr)), 1998);
  assert.deepStrictEqual(chooseSnapshotPoint([{ value: 1, retired: 5 }]), undefined);
});

Deno.test("matching runs pass", () => {
  const r = checkSnapshotRuns(A, B, C, parseProbe);
  assert(r.ok, JSON.stringify(r));
  assert.deepStrictEqual(r.at, 1998);
  assert.deepStrictEqual(r.total, 5000);
  assert.deepStrictEqual(r.before + r.after, A.transcript.length);
});

Deno.test("a diverging transcript, count, status or probe fails, naming the difference", () => {
  const bad = (b: RunOutput, c: RunOutput, what: RegExp) => {
    const r = checkSnapshotRuns(A, b, c, parseProbe);
    assert(!r.ok);
    assert(r.problems.some((p) => what.test(p)), r.problems.join("\n"));
  };
  bad({ ...B, transcript: "boot!!!\n" }, C, /not a prefix/);
  bad(B, { ...C, transcript: "[kvm-client] exit 3\npower off\n" }, /B \+ C differs from A/);
  bad(B, { ...C, stderr: C.stderr.replace("5,000", "5,001") }, /A 5000, restored C 5001/);
  bad(B, { ...C, status: 3 }, /exit status: A 0, restored C 3/);
  bad(B, { ...C, stderr: C.stderr.replace("0x69", "0x70") }, /L2 probe/);
  bad({ ...B, stderr: B.stderr.replace(/; a vCPU[^\n]*/, "") }, C, /no vCPU was running L2/);
  bad({ ...B, stderr: "" }, C, /no snapshot/);
});

Deno.test("the probe logs only level-2 OUTs to its port, with the instruction count", () => {
  const lines: string[] = [];
  const plugin = createL2Probe({ port: 0xe9 });
  let observer: ((e: unknown) => void) | undefined;
  const ctx = {
    vcpu: { retired: 42 },
    log: { info: (m: string) => lines.push(`[l2-probe] info: ${m}`) },
    exits: { observe: (o: (e: unknown) => void) => (observer = o) },
  };
  plugin.setup(ctx as never);
  const io = (level: number, port: number, direction: string, value: number) => ({
    kind: "io",
    level,
    port,
    direction,
    value,
    size: 1,
    instructionLength: 1,
  });
  observer!(io(2, 0xe9, "out", 0x48));
  observer!(io(1, 0xe9, "out", 0x49)); // L1's own write: not L2
  observer!(io(2, 0x80, "out", 0x4a)); // another port
  observer!(io(2, 0xe9, "in", 0x4b)); // a read
  assert.deepStrictEqual(lines, [probeLine(0x48, 42)]);
  assert.deepStrictEqual(parseProbe(lines.join("\n")), [{ value: 0x48, retired: 42 }]);
});
