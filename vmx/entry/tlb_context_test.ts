/**
 * Tests: what VM entries, VM exits, INVVPID and INVEPT ask of the vCPU's
 * TLB (SDM Vol. 3C 29.4.3.1, 31.3): with "enable VPID" = 1 L2 runs under
 * vmcs12's VPID and neither transition invalidates; with "enable VPID" = 0
 * both invalidate VPID 0's translations; INVVPID passes its type, VPID and
 * address on; INVEPT drops combined mappings. (The fake vCPU records the
 * requests; `mm/tlb_contexts_test.ts` tests what the TLB does with them,
 * `real_cpu_tlb_test.ts` the whole path on the CPU engine.)
 */

import assert from "node:assert/strict";
import { type EntryFixture, entryFixture } from "./testing.ts";
import { CAPS } from "./check_controls.ts";
import { PROC, PROC2 } from "../controls.ts";
import { l2Cpuid, memOperand } from "../testing.ts";

/** An L2 CPUID: always a VM exit to L1. */
function exitToL1(f: EntryFixture): void {
  const exit = l2Cpuid();
  assert.equal(f.h.host.dispatch(exit), "reflected");
  assert.equal(f.get("VM_EXIT_REASON"), 10);
}

function secondary(f: EntryFixture, proc2: number): void {
  f.set("CPU_BASED_VM_EXEC_CONTROL", CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS);
  f.set("SECONDARY_VM_EXEC_CONTROL", proc2);
}

Deno.test("VM entry and exit without VPID: L2 shares VPID 0, and both transitions invalidate it", () => {
  const f = entryFixture();
  f.set("VIRTUAL_PROCESSOR_ID", 7); // ignored while "enable VPID" is 0
  assert.deepEqual(f.launch(), { kind: "reflected" });
  exitToL1(f);
  assert.deepEqual(f.h.vcpu.tlbOps, [
    "transition vpid=0 eptp=-1 apic=-1 inv=true",
    "transition vpid=0 eptp=-1 apic=-1 inv=true",
  ]);
});

Deno.test("VM entry and exit with VPID: L2 runs under vmcs12's VPID and nothing is invalidated", () => {
  const f = entryFixture();
  secondary(f, PROC2.ENABLE_VPID);
  f.set("VIRTUAL_PROCESSOR_ID", 7);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  exitToL1(f);
  assert.deepEqual(f.launch(true), { kind: "reflected" });
  exitToL1(f);
  assert.deepEqual(f.h.vcpu.tlbOps, [
    "transition vpid=7 eptp=-1 apic=-1 inv=false",
    "transition vpid=0 eptp=-1 apic=-1 inv=false",
    "transition vpid=7 eptp=-1 apic=-1 inv=false",
    "transition vpid=0 eptp=-1 apic=-1 inv=false",
  ]);
});

Deno.test("VM entry with EPT names the EPTP its combined mappings belong to", () => {
  const f = entryFixture();
  secondary(f, PROC2.ENABLE_VPID | PROC2.ENABLE_EPT);
  f.set("VIRTUAL_PROCESSOR_ID", 3);
  f.set("EPT_POINTER", 0x80000 | (3 << 3) | 6);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.deepEqual(f.h.vcpu.tlbOps, [`transition vpid=3 eptp=${0x8001e} apic=-1 inv=false`]);
});

Deno.test("a VM entry failing on guest state goes back to VPID 0 with an invalidation", () => {
  const f = entryFixture();
  secondary(f, PROC2.ENABLE_VPID);
  f.set("VIRTUAL_PROCESSOR_ID", 7);
  f.set("GUEST_ACTIVITY_STATE", 9); // invalid activity state: exit 33
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(f.get("VM_EXIT_REASON"), 0x80000021);
  assert.deepEqual(f.h.vcpu.tlbOps, ["transition vpid=0 eptp=-1 apic=-1 inv=true"]);
});

Deno.test("INVVPID passes each type with its VPID and (canonical, signed) address; INVEPT drops combined mappings", () => {
  const f = entryFixture();
  const h = f.h;
  h.poke64(0xd00, 0x1234); // VPID
  h.poke64(0xd08, 0);
  h.memory.write(0xd08, 4, 0x5000);
  h.memory.write(0xd0c, 4, 0xffff8000); // address 0xffff800000005000
  for (const type of [0, 1, 2, 3]) {
    h.vcpu.setReg(2, type);
    assert.equal(h.exec("invvpid", { regReg: 2, mem: memOperand(0xd00) }).kind, "succeed");
  }
  // A failing INVVPID (VPID 0 with type 1) invalidates nothing.
  h.poke64(0xd00, 0);
  h.vcpu.setReg(2, 1);
  assert.equal(h.exec("invvpid", { regReg: 2, mem: memOperand(0xd00) }).kind, "failValid");
  h.poke64(0xe00, 0x80000 | (3 << 3) | 6);
  h.poke64(0xe08, 0);
  h.vcpu.setReg(1, 1);
  assert.equal(h.exec("invept", { regReg: 1, mem: memOperand(0xe00) }).kind, "succeed");
  const lin = -(2 ** 47) + 0x5000;
  assert.deepEqual(h.vcpu.tlbOps, [
    `invvpid type=0 vpid=4660 linear=${lin}`,
    `invvpid type=1 vpid=4660 linear=${lin}`,
    `invvpid type=2 vpid=4660 linear=${lin}`,
    `invvpid type=3 vpid=4660 linear=${lin}`,
    "invept",
  ]);
});
