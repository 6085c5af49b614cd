import assert from "node:assert/strict";
import { entryFixture, GUEST_RIP } from "../entry/testing.ts";
import { CAPS } from "../entry/check_controls.ts";
import { PROC, PROC2 } from "../controls.ts";
import { FakeGuestFault, type VmxHarness } from "../testing.ts";
import { VE_AREA, veRefusal } from "./virtualization_exception.ts";

const EPT_ROOT = 0x80000;
const EPTP = EPT_ROOT | (3 << 3) | 6; // WB, 4-level
const VE = 0x60000;

/** Map L2 page `gpa` (< 2 MiB) with PTE halves `lo`/`hi` (tables at 0x81000-0x83000). */
function pte(h: VmxHarness, gpa: number, lo: number, hi = 0): void {
  const mem = h.memory;
  mem.write(EPT_ROOT, 4, 0x81000 | 7);
  mem.write(0x81000, 4, 0x82000 | 7);
  mem.write(0x82000, 4, 0x83000 | 7);
  const e = 0x83000 + ((gpa >>> 12) & 511) * 8;
  mem.write(e, 4, lo);
  mem.write(e + 4, 4, hi);
}

function veFixture(proc2 = PROC2.ENABLE_EPT | PROC2.EPT_VIOLATION_VE) {
  const f = entryFixture();
  f.set("CPU_BASED_VM_EXEC_CONTROL", CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS);
  f.set("SECONDARY_VM_EXEC_CONTROL", proc2);
  f.set("EPT_POINTER", EPTP);
  f.set("VE_INFO_ADDRESS", VE);
  f.set("EPTP_INDEX", 3);
  return f;
}

type Outcome = "exit" | { vector: number; errorCode: number } | number;

/**
 * Translate as the CPU does while L2 runs; on failure raise the EPT exit on
 * the (fake) bus: the VM exit ("exit") or the guest exception the
 * interceptor raised instead.
 */
function touch(h: VmxHarness, gpa: number, access: number, linear: number, walk = false): Outcome {
  const t = h.vcpu.guestPhysical;
  assert.ok(t !== null);
  const r = t.translateGpa(gpa, access, linear, walk);
  if (r !== -1) return r;
  try {
    assert.equal(h.host.dispatch({ ...t.fault, level: 2, instructionLength: 0 }), "reflected");
    return "exit";
  } catch (e) {
    if (e instanceof FakeGuestFault) return { vector: e.vector, errorCode: e.errorCode };
    throw e;
  }
}

function q(h: VmxHarness, a: number): number {
  return h.memory.read(a, 4) + h.memory.read(a + 4, 4) * 0x100000000;
}

Deno.test("#VE: a convertible violation raises #VE (20, no error code) in L2 and fills the area; no VM exit", () => {
  const f = veFixture();
  pte(f.h, 0x5000, 0);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  const v = f.h.vcpu;
  v.ip0 = GUEST_RIP;
  assert.deepEqual(touch(f.h, 0x5123, 2, 0x7fff5123), { vector: 20, errorCode: -1 });
  assert.equal(v.nonRoot, true, "still in L2");
  assert.equal(f.n.stats.l2ToL1[48] ?? 0, 0);
  const m = f.h.memory;
  assert.equal(m.read(VE + VE_AREA.REASON, 4), 48);
  assert.equal(m.read(VE + VE_AREA.SEMAPHORE, 4), 0xffffffff);
  assert.equal(q(f.h, VE + VE_AREA.QUALIFICATION), 0x2 | 0x80 | 0x100);
  assert.equal(q(f.h, VE + VE_AREA.LINEAR), 0x7fff5123);
  assert.equal(q(f.h, VE + VE_AREA.GPA), 0x5123);
  assert.equal(m.read(VE + VE_AREA.EPTP_INDEX, 2), 3);
  // The semaphore is now set: the next violation is a VM exit.
  assert.equal(touch(f.h, 0x5123, 2, 0x7fff5123), "exit");
  assert.equal(f.get("VM_EXIT_REASON"), 48);
  assert.equal(v.nonRoot, false);
});

Deno.test("#VE: guest-linear address 0 when the qualification has none; a high address is sign-extended", () => {
  const f = veFixture();
  pte(f.h, 0x5000, 0);
  f.launch();
  // A guest paging-structure access with no linear address (bit 7 clear).
  assert.deepEqual(touch(f.h, 0x5008, 1, NaN, true), { vector: 20, errorCode: -1 });
  assert.equal(q(f.h, VE + VE_AREA.QUALIFICATION), 0x1);
  assert.equal(q(f.h, VE + VE_AREA.LINEAR), 0);
  f.h.memory.write(VE + VE_AREA.SEMAPHORE, 4, 0); // L2's handler re-arms it
  assert.deepEqual(touch(f.h, 0x5010, 1, -0x1000), { vector: 20, errorCode: -1 });
  assert.equal(f.h.memory.read(VE + VE_AREA.LINEAR, 4), 0xfffff000);
  assert.equal(f.h.memory.read(VE + VE_AREA.LINEAR + 4, 4), 0xffffffff);
});

Deno.test("#VE: veRefusal — control, suppress bit, CR0.PE, event delivery, semaphore", () => {
  const f = veFixture();
  f.launch();
  const n = f.n;
  const v = f.h.vcpu;
  assert.equal(veRefusal(n, false), null);
  assert.equal(veRefusal(n, true), "suppress #VE");
  v.cr0 = (v.cr0 & ~1) >>> 0;
  assert.equal(veRefusal(n, false), "CR0.PE = 0");
  v.cr0 |= 1;
  v.delivering = 14;
  assert.equal(veRefusal(n, false), "event delivery");
  v.delivering = -1;
  f.h.memory.write(VE + VE_AREA.SEMAPHORE, 4, 1);
  assert.equal(veRefusal(n, false), "semaphore set", "any nonzero value");
  f.h.memory.write(VE + VE_AREA.SEMAPHORE, 4, 0);
  f.set("SECONDARY_VM_EXEC_CONTROL", PROC2.ENABLE_EPT);
  assert.equal(veRefusal(n, false), "control off");
  // The secondary controls count only when activated.
  f.set("SECONDARY_VM_EXEC_CONTROL", PROC2.ENABLE_EPT | PROC2.EPT_VIOLATION_VE);
  f.set("CPU_BASED_VM_EXEC_CONTROL", CAPS.proc.must1);
  assert.equal(veRefusal(n, false), "control off");
});

Deno.test("#VE: suppress #VE in the leaf keeps the VM exit; misconfigurations always exit", () => {
  const f = veFixture();
  pte(f.h, 0x5000, 0x9000 | (6 << 3) | 1, 0x80000000); // read-only, suppress #VE
  pte(f.h, 0x6000, 0xa000 | (6 << 3) | 2); // write-only: misconfigured
  f.launch();
  assert.equal(touch(f.h, 0x5000, 1, NaN), 0x9000, "bit 63 is not reserved");
  assert.equal(touch(f.h, 0x5000, 2, NaN), "exit");
  assert.equal(f.get("VM_EXIT_REASON"), 48);
  f.launch(true);
  assert.equal(touch(f.h, 0x6000, 1, NaN), "exit");
  assert.equal(f.get("VM_EXIT_REASON"), 49);
  assert.equal(f.h.memory.read(VE + VE_AREA.SEMAPHORE, 4), 0, "nothing written");
});

Deno.test("#VE: VM entry checks the VE-information address only with the control (VMfail 7)", () => {
  const f = veFixture();
  f.set("VE_INFO_ADDRESS", VE | 0x800);
  assert.deepEqual(f.launch(), { kind: "failValid", error: 7 });
  f.set("VE_INFO_ADDRESS", [VE, 0x100]); // bit 40: beyond a 40-bit MAXPHYADDR
  assert.deepEqual(f.launch(), { kind: "failValid", error: 7 });
  f.set("SECONDARY_VM_EXEC_CONTROL", PROC2.ENABLE_EPT);
  assert.deepEqual(f.launch(), { kind: "reflected" });
});

Deno.test("#VE: the control is allowed without EPT (no check ties them)", () => {
  const f = veFixture(PROC2.EPT_VIOLATION_VE);
  assert.deepEqual(f.launch(), { kind: "reflected" });
});
