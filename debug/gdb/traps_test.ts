import { deepStrictEqual, equal } from "node:assert/strict";
import { DebugTraps } from "./traps.ts";
import { CODE, loopMachine } from "./testing.ts";

Deno.test("traps: a breakpoint stops before its instruction, nothing retired there", () => {
  const m = loopMachine();
  const traps = new DebugTraps(m.cpu, () => m.breakRun());
  // Decode the loop once without a debugger so the trap must replace a cached entry.
  m.run({ maxInstructions: 20 });
  traps.attach();
  traps.addBreakpoint(CODE + 7);
  const r = m.run({ maxInstructions: 1000 });
  equal(r.reason.kind, "debug");
  equal(m.cpu.rip, CODE + 7);
  deepStrictEqual(traps.takeHit(), { kind: "breakpoint", addr: CODE + 7, level: 1 });
  // Removed: the loop runs on to the budget.
  traps.removeBreakpoint(CODE + 7);
  equal(m.run({ maxInstructions: 1000 }).reason.kind, "budget");
  m.dispose();
});

Deno.test("traps: the level filter ignores breakpoints in the other level", () => {
  const m = loopMachine();
  const traps = new DebugTraps(m.cpu, () => m.breakRun());
  traps.attach();
  traps.addBreakpoint(CODE + 1);
  traps.level = "l2"; // the loop runs in L1
  equal(m.run({ maxInstructions: 1000 }).reason.kind, "budget");
  equal(traps.takeHit(), null);
  traps.level = "l1";
  equal(m.run({ maxInstructions: 1000 }).reason.kind, "debug");
  equal(m.cpu.rip, CODE + 1);
  m.dispose();
});

Deno.test("traps: skipAt steps over the breakpoint at the current address once", () => {
  const m = loopMachine();
  const traps = new DebugTraps(m.cpu, () => m.breakRun());
  traps.attach();
  traps.addBreakpoint(CODE);
  equal(m.run({ maxInstructions: 100 }).reason.kind, "debug");
  equal(m.cpu.rip, CODE);
  traps.skipAt = CODE;
  const before = m.retired;
  equal(m.run({ maxInstructions: 1 }).reason.kind, "budget");
  equal(m.retired, before + 1);
  equal(m.cpu.rip, CODE + 1);
  traps.skipAt = NaN;
  m.dispose();
});

Deno.test("traps: write and read watchpoints stop after the accessing instruction", () => {
  const m = loopMachine();
  const traps = new DebugTraps(m.cpu, () => m.breakRun());
  m.run({ maxInstructions: 50 }); // the data page is in the fast TLB now
  traps.attach();
  traps.addWatchpoint({ addr: 0x20000, len: 4, kind: "write" });
  equal(m.run({ maxInstructions: 1000 }).reason.kind, "debug");
  equal(m.cpu.rip, CODE + 7); // after the store
  deepStrictEqual(traps.takeHit(), { kind: "watchpoint", watch: "write", addr: 0x20000, level: 1 });
  traps.removeWatchpoint({ addr: 0x20000, len: 4, kind: "write" });
  // A read watchpoint on the word the loop only reads; the store next to it does not trigger it.
  traps.addWatchpoint({ addr: 0x20004, len: 4, kind: "read" });
  equal(m.run({ maxInstructions: 1000 }).reason.kind, "debug");
  equal(m.cpu.rip, CODE + 0xd); // after the load
  deepStrictEqual(traps.takeHit(), { kind: "watchpoint", watch: "read", addr: 0x20004, level: 1 });
  traps.detach();
  equal(m.run({ maxInstructions: 1000 }).reason.kind, "budget");
  m.dispose();
});
