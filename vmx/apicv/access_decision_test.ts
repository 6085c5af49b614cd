/**
 * The decisions on accesses to the APIC-access page, on the fake vCPU: an
 * L2 run is entered with "virtualize APIC accesses", then accesses reach
 * the plugin as the CPU makes them (translations through the installed
 * translator, data accesses as level-2 "mmio" exits at the vCPU's window
 * page) and held APIC-access exits are raised as the CPU raises them once
 * the instruction or delivery has unwound. SDM Vol. 3C 29.4 ("operation":
 * an instruction, an iteration of a REP string instruction, or an event
 * delivery), 28.2.1 (qualification), 28.2.4 (IDT-vectoring information).
 */
import assert from "node:assert/strict";
import { ABANDON } from "../../core/fault.ts";
import { WindowRequest } from "../../core/vcpu_vmx.ts";
import type { EptExit, MmioExit } from "../../core/vmexit.ts";
import { PROC, PROC2 } from "../controls.ts";
import { CAPS } from "../entry/check_controls.ts";
import { type EntryFixture, entryFixture, GUEST_RIP } from "../entry/testing.ts";
import { lastEntryFailure } from "../entry/vmentry.ts";
import type { FieldName } from "../vmcs12/fields.ts";

const VAPIC = 0x60000;
const ACCESS = 0x61000;
const ARV = PROC2.APIC_REGISTER_VIRTUALIZATION;
const VID = PROC2.VIRTUAL_INTERRUPT_DELIVERY;

/** Enter L2 with "virtualize APIC accesses" and `proc2`. */
function enter(proc2 = 0, extra: Partial<Record<FieldName, number>> = {}): EntryFixture {
  const f = entryFixture();
  f.set(
    "CPU_BASED_VM_EXEC_CONTROL",
    CAPS.proc.must1 | PROC.USE_TPR_SHADOW | PROC.ACTIVATE_SECONDARY_CONTROLS,
  );
  f.set("SECONDARY_VM_EXEC_CONTROL", PROC2.VIRTUALIZE_APIC_ACCESSES | proc2);
  f.set("VIRTUAL_APIC_PAGE_ADDR", VAPIC);
  f.set("APIC_ACCESS_ADDR", ACCESS);
  for (const [k, v] of Object.entries(extra)) f.set(k as FieldName, v);
  assert.deepEqual(f.launch(), { kind: "reflected" }, lastEntryFailure);
  assert.equal(f.h.vcpu.nonRoot, true);
  const v = f.h.vcpu;
  v.rip = GUEST_RIP + 7;
  v.ip0 = GUEST_RIP;
  return f;
}

type Result = { readonly value: number } | { readonly held: EptExit };

/** A data access of L2 reaching the window page at `off`. */
function access(f: EntryFixture, off: number, size: 1 | 2 | 4, write: boolean, value = 0): Result {
  const exit: MmioExit = {
    kind: "mmio",
    level: 2,
    instructionLength: 0,
    gpa: f.n.apicv.windowBase + off,
    size,
    direction: write ? "out" : "in",
    value,
    valueHi: 0,
  };
  try {
    assert.equal(f.h.host.dispatch(exit), "handled");
    return { value: exit.value };
  } catch (e) {
    if (e !== ABANDON) throw e;
    const held = f.h.vcpu.heldExit;
    assert.ok(held !== null, "abandoned with an exit held");
    f.h.vcpu.heldExit = null;
    return { held };
  }
}

/** Raise a held exit on the bus, as the CPU does once the operation has unwound. */
function raise(f: EntryFixture, held: EptExit): void {
  assert.equal(f.h.host.dispatch(held), "reflected");
  assert.equal(f.h.vcpu.nonRoot, false);
}

function qualOf(r: Result): number {
  assert.ok("held" in r, "an APIC-access exit");
  return r.held.qualification;
}

Deno.test("one operation: a read after its virtualized write, or a write to another offset or width, exits; the same write again does not (29.4.2, 29.4.3.1)", () => {
  const f = enter(ARV);
  const v = f.h.vcpu;
  const a = f.n.apicv;
  f.h.memory.write(VAPIC + 0x80, 4, 0x40);
  v.retired = 10;
  assert.deepEqual(access(f, 0x80, 4, true, 0x51), { value: 0x51 });
  assert.deepEqual(a.pendingWrites, [0x80]);
  assert.equal(v.windowRequests & WindowRequest.APIC_WRITE, WindowRequest.APIC_WRITE);
  assert.equal(v.stringBreaks, 1, "a REP string instruction ends after this iteration");
  assert.deepEqual(access(f, 0x80, 4, true, 0x52), { value: 0x52 }, "same offset and width");
  assert.deepEqual(a.pendingWrites, [0x80], "one emulation for the operation");
  assert.equal(qualOf(access(f, 0x80, 4, false)), 0x0080, "a read of the operation: type 0");
  assert.equal(qualOf(access(f, 0x80, 2, true, 1)), 0x1080, "another width: type 1");
  assert.equal(qualOf(access(f, 0x320, 4, true, 1)), 0x1320, "another offset");
  // The next operation (the instruction retired) reads what was written.
  v.retired = 11;
  assert.deepEqual(access(f, 0x80, 4, false), { value: 0x52 });
  assert.equal(f.h.memory.read(ACCESS + 0x80, 4), 0, "the APIC-access page is not touched");
});

Deno.test("an APIC-access exit drops the APIC-write emulation of its operation (29.4.3.2)", () => {
  const f = enter(ARV);
  assert.deepEqual(access(f, 0x320, 4, true, 0x10055), { value: 0x10055 });
  const r = access(f, 0x324, 4, true, 1);
  assert.ok("held" in r);
  raise(f, r.held);
  assert.equal(f.get("VM_EXIT_REASON"), 44);
  assert.equal(f.get64("EXIT_QUALIFICATION"), 0x1324);
  assert.equal(f.get64("GUEST_RIP"), GUEST_RIP, "fault-like");
  assert.equal(f.get("VM_EXIT_INSTRUCTION_LEN"), 7);
  assert.deepEqual(f.n.apicv.pendingWrites, []);
  assert.equal(f.h.memory.read(VAPIC + 0x320, 4), 0x10055, "the virtualized write stays");
});

Deno.test("event delivery is an operation: a push the rules allow is virtualized; another is a type-3 exit with IDT-vectoring information (28.2.4)", () => {
  const f = enter(0);
  const v = f.h.vcpu;
  v.delivering = 0x20;
  v.deliveringType = 0; // external interrupt
  v.deliveringError = -1;
  // A 32-bit stack: EFLAGS lands on the TPR (virtualized), CS below it does not.
  assert.deepEqual(access(f, 0x80, 4, true, 0x202), { value: 0x202 });
  assert.deepEqual(f.n.apicv.pendingWrites, [0x80]);
  const r = access(f, 0x7c, 4, true, 0x08);
  assert.equal(qualOf(r), 0x307c, "linear access during event delivery");
  raise(f, (r as { held: EptExit }).held);
  assert.equal(f.get("VM_EXIT_REASON"), 44);
  assert.equal(f.get("IDT_VECTORING_INFO"), 0x80000020, "valid, external interrupt 20H");
  assert.equal(f.get64("GUEST_RIP"), GUEST_RIP + 7, "the boundary where the interrupt was taken");
  assert.equal(f.get("VM_EXIT_INSTRUCTION_LEN"), 0);
  assert.equal(f.h.memory.read(VAPIC + 0x80, 4), 0x202, "the virtualized push stays");
});

Deno.test("a piece of a wider access is not virtualized; an access split into bytes is one access (29.4.2)", () => {
  const f = enter(ARV);
  const v = f.h.vcpu;
  f.h.memory.write(VAPIC + 0x80, 4, 0x44332211);
  v.accessWidth = 8; // the first half of an 8-byte read
  assert.equal(qualOf(access(f, 0x80, 4, false)), 0x0080);
  v.retired++;
  v.accessWidth = 4; // a 4-byte read at 81H, split into bytes by the MMIO layer
  assert.equal(qualOf(access(f, 0x81, 1, false)), 0x0081, "bytes 81H-84H leave the TPR");
  v.retired++;
  v.accessWidth = 2; // a 2-byte write at 81H, split into bytes
  assert.deepEqual(access(f, 0x81, 1, true, 0xaa), { value: 0xaa });
  assert.deepEqual(access(f, 0x82, 1, true, 0xbb), { value: 0xbb }, "its second byte");
  assert.deepEqual(f.n.apicv.pendingWrites, [0x81]);
  assert.equal(f.h.memory.read(VAPIC + 0x80, 4), 0x44bbaa11);
  v.retired++;
  v.accessWidth = 0;
  assert.deepEqual(access(f, 0x82, 1, false), { value: 0xbb }, "a byte within the TPR");
});

Deno.test("the translator: fetches fail as type 2; a read-modify-write's read reports a write; other accesses reach the window", () => {
  const f = enter(ARV);
  const t = f.h.vcpu.guestPhysical!;
  const win = f.n.apicv.windowBase;
  assert.equal(t.translateGpa(ACCESS + 0x123, 4, ACCESS + 0x123, false), -1);
  assert.deepEqual(
    { ...t.fault },
    { kind: "apic-access", gpa: ACCESS + 0x123, linear: ACCESS + 0x123, qualification: 0x2123 },
  );
  // Without EPT a paging-structure access is a physical access: the page itself.
  assert.equal(t.translateGpa(ACCESS + 8, 1, 0x1234, true), ACCESS + 8);
  assert.equal(t.translateGpa(0x5000, 2, 0x5000, false), 0x5000, "other pages unchanged");
  // ADD [APIC-access page + 0], 1: write checked first, then read (the read is not virtualized).
  assert.equal(t.translateGpa(ACCESS, 2, ACCESS, false), win);
  assert.equal(t.translateGpa(ACCESS, 1, ACCESS, false), win);
  assert.equal(qualOf(access(f, 0, 4, false)), 0x1000, "reported as a write");
  // A plain read of another instruction.
  f.h.vcpu.retired++;
  assert.equal(t.translateGpa(ACCESS, 1, ACCESS, false), win);
  assert.equal(qualOf(access(f, 0, 4, false)), 0x0000);
});

Deno.test("the apic-write step: emulations in order; the first VM exit drops the rest", () => {
  const f = enter(ARV);
  const a = f.n.apicv;
  f.h.memory.write(VAPIC + 0x310, 4, 0x12345678);
  f.h.memory.write(VAPIC + 0x80, 4, 0x0000ab31);
  a.pendingWrites = [0x310, 0x80];
  const step = { kind: "apic-write", level: 2, instructionLength: 0 } as const;
  assert.equal(f.h.host.dispatch(step), "handled");
  assert.equal(f.h.memory.read(VAPIC + 0x310, 4), 0x12000000, "ICR high: bytes 2:0 cleared");
  assert.equal(f.h.memory.read(VAPIC + 0x80, 4), 0x31, "TPR: bytes 3:1 cleared");
  assert.deepEqual(a.pendingWrites, []);
  a.pendingWrites = [0x320, 0x310];
  f.h.memory.write(VAPIC + 0x310, 4, 0x12345678);
  assert.equal(f.h.host.dispatch(step), "reflected");
  assert.equal(f.get("VM_EXIT_REASON"), 56);
  assert.equal(f.get64("EXIT_QUALIFICATION"), 0x320);
  assert.equal(f.get64("GUEST_RIP"), GUEST_RIP + 7, "trap-like: after the instruction");
  assert.equal(f.h.memory.read(VAPIC + 0x310, 4), 0x12345678, "the rest dropped");
});

Deno.test("with virtual-interrupt delivery and no APIC-register virtualization only TPR, EOI and ICR low writes are virtualized", () => {
  const f = enter(VID, { PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | 1 });
  const v = f.h.vcpu;
  for (const [off, virtualized] of [[0x80, true], [0xb0, true], [0x300, true], [0x310, false]]) {
    v.retired++;
    const r = access(f, off as number, 4, true, 0);
    assert.equal("value" in r, virtualized, `offset ${off.toString(16)}`);
    if ("held" in r) assert.equal(r.held.qualification, 0x1000 | (off as number));
  }
  v.retired++;
  assert.equal(qualOf(access(f, 0xb0, 4, false)), 0x00b0, "reads: only the TPR");
});
