import assert from "node:assert/strict";
import { entryFixture, GUEST_RIP, HOST_RIP } from "../entry/testing.ts";
import { CAPS } from "../entry/check_controls.ts";
import { PROC, PROC2 } from "../controls.ts";
import { memOperand, type VmxHarness } from "../testing.ts";

/**
 * Translate an L2 guest-physical address as the CPU does while L2 runs:
 * through the vCPU's translator, and on failure raise the EPT exit on the
 * (fake) exit bus, where the VMX plugin's interceptor reflects it to L1.
 */
function xlate(h: VmxHarness, gpa: number, access: number, linear: number, walk: boolean): number {
  const t = h.vcpu.guestPhysical;
  assert.ok(t !== null, "a translator is installed while L2 runs with EPT");
  const r = t.translateGpa(gpa, access, linear, walk);
  if (r === -1) {
    const f = t.fault;
    assert.equal(
      h.host.dispatch({ ...f, level: 2, instructionLength: 0 }),
      "reflected",
      "the EPT exit is L1's",
    );
  }
  return r;
}

const EPT_ROOT = 0x80000;
const EPTP = EPT_ROOT | (3 << 3) | 6; // WB, 4-level

/** Map L2 GPA page `gpa` to `hpa` with permissions `rwx` in the fixture's EPT. */
function map(
  mem: { write(a: number, s: 4, v: number): void; read(a: number, s: 4): number },
  gpa: number,
  hpa: number,
  rwx: number,
): void {
  // Tables at fixed addresses: PDPT 0x81000, PD 0x82000, PT 0x83000 (gpa < 2 MiB).
  mem.write(EPT_ROOT, 4, 0x81000 | 7);
  mem.write(0x81000, 4, 0x82000 | 7);
  mem.write(0x82000, 4, 0x83000 | 7);
  const idx = (gpa >>> 12) & 511;
  mem.write(0x83000 + idx * 8, 4, (hpa & ~0xfff) | (6 << 3) | rwx);
}

function eptFixture() {
  const f = entryFixture();
  f.set("CPU_BASED_VM_EXEC_CONTROL", CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS);
  f.set("SECONDARY_VM_EXEC_CONTROL", PROC2.ENABLE_EPT);
  f.set("EPT_POINTER", EPTP);
  return f;
}

Deno.test("EPT guest: a violation goes to L1, which maps the page and resumes", () => {
  const f = eptFixture();
  const mem = f.h.memory;
  assert.deepEqual(f.launch(), { kind: "reflected" });
  const v = f.h.vcpu;
  // Read of an unmapped page, with a guest-linear address (translation of it).
  v.rip = GUEST_RIP + 3;
  v.ip0 = GUEST_RIP; // as cpu/Cpu: start of the current instruction
  assert.equal(xlate(f.h, 0x5123, 1, 0x7fff5123, false), -1);
  assert.equal(v.nonRoot, false);
  assert.equal(v.rip, HOST_RIP);
  assert.equal(f.get("VM_EXIT_REASON"), 48);
  // Bits: 0 read, 7 linear valid, 8 translation of the linear address; permissions 0.
  assert.equal(f.get64("EXIT_QUALIFICATION"), 0x1 | 0x80 | 0x100);
  assert.equal(f.get64("GUEST_PHYSICAL_ADDRESS"), 0x5123);
  assert.equal(f.get64("GUEST_LINEAR_ADDRESS"), 0x7fff5123);
  assert.equal(f.get64("GUEST_RIP"), GUEST_RIP, "fault-like: RIP of the faulting instruction");
  // L1 maps the page read-only and resumes; a read works, a write violates.
  map(mem, 0x5000, 0x9000, 1);
  assert.deepEqual(f.launch(true), { kind: "reflected" });
  assert.equal(xlate(f.h, 0x5123, 1, NaN, false), 0x9123);
  assert.equal(xlate(f.h, 0x5123, 2, NaN, true), -1);
  assert.equal(f.get("VM_EXIT_REASON"), 48);
  // Write access, read permission in bits 5:3; no linear address (page walk).
  assert.equal(f.get64("EXIT_QUALIFICATION"), 0x2 | 0x8);
  // L1 grants write and must INVEPT the stale cached translation.
  map(mem, 0x5000, 0x9000, 3);
  f.h.vcpu.setReg(1, 1); // single-context
  f.h.poke64(0xc00, EPTP);
  f.h.poke64(0xc08, 0);
  f.h.vcpu.rip = HOST_RIP;
  assert.equal(f.h.exec("invept", { regReg: 1, mem: memOperand(0xc00) }).kind, "succeed");
  assert.deepEqual(f.launch(true), { kind: "reflected" });
  assert.equal(xlate(f.h, 0x5ff0, 2, NaN, false), 0x9ff0);
  assert.equal(f.n.stats.l2ToL1[48], 2);
});

Deno.test("EPT misconfiguration (write without read) → exit 49 with the guest-physical address", () => {
  const f = eptFixture();
  map(f.h.memory, 0x6000, 0xa000, 2);
  f.launch();
  assert.equal(xlate(f.h, 0x6010, 1, 0x6010, false), -1);
  assert.equal(f.get("VM_EXIT_REASON"), 49);
  assert.equal(f.get64("GUEST_PHYSICAL_ADDRESS"), 0x6010);
  assert.equal(f.get64("EXIT_QUALIFICATION"), 0);
});

Deno.test("INVEPT/INVVPID operand checks: VMfail(28) for bad types, bad EPTP, VPID 0", () => {
  const f = eptFixture();
  const h = f.h;
  h.poke64(0xc00, EPTP);
  h.poke64(0xc08, 0);
  h.vcpu.setReg(1, 3);
  assert.deepEqual(h.exec("invept", { regReg: 1, mem: memOperand(0xc00) }), {
    kind: "failValid",
    error: 28,
  });
  h.vcpu.setReg(1, 1);
  h.poke64(0xc00, 0x80001); // memory type 1
  assert.deepEqual(h.exec("invept", { regReg: 1, mem: memOperand(0xc00) }), {
    kind: "failValid",
    error: 28,
  });
  h.vcpu.setReg(1, 2);
  assert.equal(h.exec("invept", { regReg: 1, mem: memOperand(0xc00) }).kind, "succeed");
  // INVVPID: single-context with VPID 0 fails; all-context succeeds; type 0 needs a canonical address.
  h.poke64(0xd00, 0);
  h.poke64(0xd08, 0);
  h.vcpu.setReg(2, 1);
  assert.deepEqual(h.exec("invvpid", { regReg: 2, mem: memOperand(0xd00) }), {
    kind: "failValid",
    error: 28,
  });
  h.vcpu.setReg(2, 2);
  assert.equal(h.exec("invvpid", { regReg: 2, mem: memOperand(0xd00) }).kind, "succeed");
  h.poke64(0xd00, 5);
  h.vcpu.setReg(2, 0);
  h.memory.write(0xd0c, 4, 0x00010000); // address bits 63:32 = 0x10000: not canonical
  assert.deepEqual(h.exec("invvpid", { regReg: 2, mem: memOperand(0xd00) }), {
    kind: "failValid",
    error: 28,
  });
  h.memory.write(0xd0c, 4, 0);
  assert.equal(h.exec("invvpid", { regReg: 2, mem: memOperand(0xd00) }).kind, "succeed");
  h.memory.write(0xd02, 2, 1); // reserved descriptor bits
  assert.deepEqual(h.exec("invvpid", { regReg: 2, mem: memOperand(0xd00) }), {
    kind: "failValid",
    error: 28,
  });
  h.vcpu.setReg(2, 4);
  assert.deepEqual(h.exec("invvpid", { regReg: 2, mem: memOperand(0xd00) }), {
    kind: "failValid",
    error: 28,
  });
});

Deno.test("EPT violation during event delivery reports IDT-vectoring information", () => {
  const f = eptFixture();
  f.launch();
  const v = f.h.vcpu;
  v.delivering = 14;
  v.deliveringType = 3;
  v.deliveringError = 2;
  assert.equal(xlate(f.h, 0x7008, 2, NaN, false), -1);
  assert.equal(f.get("VM_EXIT_REASON"), 48);
  assert.equal(f.get("IDT_VECTORING_INFO"), 0x80000b0e);
  assert.equal(f.get("IDT_VECTORING_ERROR_CODE"), 2);
});

Deno.test("EPT A/D (EPTP bit 6): accessed on every entry used, dirty on the leaf for a write", () => {
  const f = eptFixture();
  f.set("EPT_POINTER", EPTP | 0x40);
  const mem = f.h.memory;
  map(mem, 0x5000, 0x9000, 7);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(xlate(f.h, 0x5010, 1, NaN, false), 0x9010);
  for (const e of [EPT_ROOT, 0x81000, 0x82000, 0x83000 + 5 * 8]) {
    assert.equal(mem.read(e, 4) & 0x300, 0x100, `A set, D clear at 0x${e.toString(16)}`);
  }
  assert.equal(xlate(f.h, 0x5010, 2, NaN, false), 0x9010);
  assert.equal(mem.read(0x83000 + 5 * 8, 4) & 0x300, 0x300, "leaf dirty after the write");
  assert.equal(mem.read(0x82000, 4) & 0x200, 0, "dirty only on the leaf");
});

Deno.test("PML: dirtied pages are logged at the PML index, which counts down; a full log exits (62)", () => {
  const f = eptFixture();
  const LOG = 0x70000;
  f.set("SECONDARY_VM_EXEC_CONTROL", PROC2.ENABLE_EPT | PROC2.ENABLE_PML);
  f.set("EPT_POINTER", EPTP | 0x40);
  f.set("PML_ADDRESS", LOG);
  f.set("GUEST_PML_INDEX", 1);
  const mem = f.h.memory;
  map(mem, 0x5000, 0x9000, 7);
  map(mem, 0x6000, 0xa000, 7);
  map(mem, 0x7000, 0xb000, 7);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  // A read sets only accessed flags: nothing logged.
  assert.equal(xlate(f.h, 0x5010, 1, NaN, false), 0x9010);
  assert.equal(f.get("GUEST_PML_INDEX"), 1);
  // Writes set dirty flags from 0 to 1: logged (4K-aligned) at index 1, then 0.
  assert.equal(xlate(f.h, 0x5010, 2, NaN, false), 0x9010);
  assert.equal(xlate(f.h, 0x5020, 2, NaN, false), 0x9020, "dirty already set: no entry");
  assert.equal(xlate(f.h, 0x6ff8, 2, NaN, false), 0xaff8);
  assert.equal(mem.read(LOG + 8, 4), 0x5000);
  assert.equal(mem.read(LOG, 4), 0x6000);
  assert.equal(f.get("GUEST_PML_INDEX"), 0xffff, "index 0 decrements to FFFFH");
  // L1 clears the dirty flag: the next write sets it again, and the log is full.
  mem.write(0x83000 + 5 * 8, 4, mem.read(0x83000 + 5 * 8, 4) & ~0x200);
  const v = f.h.vcpu;
  v.ip0 = GUEST_RIP;
  assert.equal(xlate(f.h, 0x5010, 2, 0x400010, false), -1);
  assert.equal(v.nonRoot, false);
  assert.equal(f.get("VM_EXIT_REASON"), 62);
  assert.equal(f.get64("EXIT_QUALIFICATION"), 0);
  assert.equal(f.get64("GUEST_RIP"), GUEST_RIP, "fault-like: the write did not happen");
  assert.equal(mem.read(0x83000 + 5 * 8, 4) & 0x200, 0, "no flag set when the log is full");
  // A page whose flags are all set needs no update: no exit even with a full log.
  assert.deepEqual(f.launch(true), { kind: "reflected" });
  assert.equal(xlate(f.h, 0x6000, 2, NaN, false), 0xa000);
  // With room in the log (index 511) the write proceeds and is logged there.
  f.set("GUEST_PML_INDEX", 511);
  assert.equal(xlate(f.h, 0x5010, 2, NaN, false), 0x9010);
  assert.equal(mem.read(LOG + 511 * 8, 4), 0x5000);
  assert.equal(f.get("GUEST_PML_INDEX"), 510);
});
