import assert from "node:assert/strict";
import { entryFixture, HOST_RIP } from "../entry/testing.ts";
import { CAPS } from "../entry/check_controls.ts";
import { PROC } from "../controls.ts";

Deno.test("VM exit sets DR7 to 0x400 and clears IA32_DEBUGCTL even when entry did not load them (SDM 28.5.1)", () => {
  const f = entryFixture();
  const v = f.h.vcpu;
  v.msrs.set(0x1d9, 3n); // DEBUGCTL as L1 left it (LBR, BTF)
  v.dr[7] = 0x408;
  // An MTF injection makes the entry exit at once (reason 37), without
  // "load debug controls", so L2 runs with L1's DEBUGCTL.
  f.set("CPU_BASED_VM_EXEC_CONTROL", CAPS.proc.must1 | PROC.MONITOR_TRAP_FLAG);
  f.set("VM_ENTRY_INTR_INFO", 0x80000700);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(f.get("VM_EXIT_REASON"), 37);
  assert.equal(v.rip, HOST_RIP);
  assert.equal(v.dr[7], 0x400);
  assert.equal(v.msrs.get(0x1d9), 0n);
});
