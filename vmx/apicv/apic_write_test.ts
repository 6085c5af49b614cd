/**
 * APIC-write emulation on the real CPU engine (SDM Vol. 3C 29.4.3.2): it
 * follows the operation that wrote (an instruction, one iteration of a
 * REP string instruction), before everything else due at that boundary —
 * the monitor trap flag, a single-step trap, an external interrupt — and
 * whatever L1 set for the monitor trap flag; an APIC-write VM exit is
 * trap-like (29.4.3.3). L2 runs under the mini L1 of
 * `entry/testing_cpu.ts` (it resumes L2 after an instruction's length, 0
 * for trap-like exits); snippets assembled with GNU as (source in each
 * comment).
 */
import assert from "node:assert/strict";
import { PIN, PROC, PROC2 } from "../controls.ts";
import { CAPS } from "../entry/check_controls.ts";
import { MINI, runMini } from "../entry/testing_cpu.ts";
import { fieldOffset } from "../vmcs12/layout.ts";
import { F } from "../vmcs12/fields.ts";
import type { PcMachine } from "../../plugins/pc_machine.ts";

const VAPIC = 0x180000;
const ACCESS = 0x190000;
const VMCS = 0x121000;
const APIC_WRITE = 56;
const MTF = 37;

function field(m: PcMachine, name: keyof typeof F, size: 1 | 2 | 4 = 4): number {
  m.savePluginStates();
  return m.memory.read(VMCS + fieldOffset(F[name]), size);
}

function fields(proc: number, proc2: number, extra: Record<string, number> = {}) {
  return {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_TPR_SHADOW |
      PROC.ACTIVATE_SECONDARY_CONTROLS | proc,
    SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_APIC_ACCESSES | proc2,
    VIRTUAL_APIC_PAGE_ADDR: VAPIC,
    APIC_ACCESS_ADDR: ACCESS,
    GUEST_IDTR_BASE: MINI.l2Idt,
    GUEST_IDTR_LIMIT: 0xfff,
    ...extra,
  };
}

const at = (rip: number) => rip - MINI.l2Code;
const ARV = PROC2.APIC_REGISTER_VIRTUALIZATION;

// mov dword ptr [0x190320], 0x10055 (11 bytes); nop; vmcall
const LVT_WRITE = "c704252003190055000100900f01c1";
// mov dword ptr [0x190080], 0x1234567 (11 bytes); nop; vmcall
const TPR_WRITE = "c704258000190067452301900f01c1";

Deno.test("APIC-write emulation: each iteration of REP STOSD is an operation of its own (29.4)", () => {
  // 0: mov edi, 0x190300; 5: mov eax, 0x10045; 10: mov ecx, 2; 15: rep stosd; 17: vmcall
  // (The mini L1 does not keep L2's registers across an exit: stop at the first.)
  const r = runMini({
    l2: "bf00031900b845000100b902000000f3ab0f01c1",
    fields: fields(0, ARV),
    maxExits: 1,
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  // The first iteration's write to ICR low is virtualized, and its
  // emulation (an IPI that is no self-IPI without virtual-interrupt
  // delivery) exits after that iteration: RIP still on REP STOSD, ECX one less.
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual, at(e.rip)]), [[APIC_WRITE, 0x300, 15]]);
  assert.equal(r.m.cpu.gpr[2], 1, "ECX after one iteration");
  assert.equal(r.m.memory.read(VAPIC + 0x300, 4), 0x10045);
  assert.equal(r.m.memory.read(VAPIC + 0x304, 4), 0, "the second iteration did not run");
  r.m.dispose();
  // 0: mov edi, 0x190080; ...: the first iteration writes the TPR (emulated,
  // no exit), the second 84H (an APIC access, after that emulation).
  const t = runMini({
    l2: "bf80001900b845000100b902000000f3ab0f01c1",
    fields: fields(0, 0),
    maxExits: 1,
  });
  assert.equal(t.status, 1, `status ${t.status} error ${t.error}`);
  assert.deepEqual(t.exits.map((e) => [e.reason, e.qual, at(e.rip)]), [[44, 0x1084, 15]]);
  assert.equal(t.m.cpu.gpr[2], 1, "ECX after one iteration");
  assert.equal(t.m.memory.read(VAPIC + 0x80, 4), 0x45, "VTPR: bytes 3:1 cleared by its emulation");
  t.m.dispose();
});

Deno.test("APIC-write emulation comes before the monitor trap flag L1 set: the APIC-write exit, then MTF after the next instruction", () => {
  const r = runMini({
    l2: LVT_WRITE,
    fields: fields(PROC.MONITOR_TRAP_FLAG, ARV),
    maxExits: 2,
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual, at(e.rip)]), [
    [APIC_WRITE, 0x320, 11],
    [MTF, 0, 12],
  ]);
  r.m.dispose();
});

Deno.test("APIC-write emulation without a VM exit, then the MTF exit at the same boundary", () => {
  const r = runMini({
    l2: TPR_WRITE,
    fields: fields(PROC.MONITOR_TRAP_FLAG, 0),
    maxExits: 1,
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, at(e.rip)]), [[MTF, 11]]);
  assert.equal(
    r.m.memory.read(VAPIC + 0x80, 4),
    0x67,
    "VTPR bytes 3:1 cleared before the MTF exit",
  );
  r.m.dispose();
});

Deno.test("APIC-write emulation with MTF: a self-IPI made pending waits for the MTF exit (MTF before virtual interrupts)", () => {
  // mov dword ptr [0x190300], 0x40045; nop; vmcall -- handler at +0x100 records and IRETs
  const r = runMini({
    l2: "c704250003190045000400900f01c1".padEnd(0x200, "0") +
      "c70425000017004500000048cf",
    fields: fields(PROC.MONITOR_TRAP_FLAG, ARV | PROC2.VIRTUAL_INTERRUPT_DELIVERY, {
      PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING,
      GUEST_RFLAGS: 0x202,
    }),
    maxExits: 1,
    setup(m) {
      const target = MINI.l2Code + 0x100;
      m.memory.write(MINI.l2Idt + 16 * 0x45, 4, (target & 0xffff) | (0x08 << 16));
      m.memory.write(MINI.l2Idt + 16 * 0x45 + 4, 4, ((target & 0xffff0000) | 0x8e00) >>> 0);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, at(e.rip)]), [[MTF, 11]]);
  assert.equal(field(r.m, "GUEST_INTR_STATUS", 2), 0x0045, "RVI = 45H: requested, not delivered");
  assert.equal(r.m.memory.read(MINI.l2Data, 4), 0, "the handler has not run");
  r.m.dispose();
});

/** An interrupt source that raises a line once L2 wrote `offset` of the virtual-APIC page. */
function afterWrite(offset: number) {
  return (m: PcMachine) => {
    m.cpu.setInterruptSource({
      hasInterrupt: () => m.cpu.nonRoot && m.memory.read(VAPIC + offset, 4) !== 0,
      acknowledge: () => 0x30,
      endOfInterrupt: () => {},
    });
  };
}

Deno.test("APIC-write emulation comes before an external interrupt that arrived with the write", () => {
  const extExit = {
    PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING,
    GUEST_RFLAGS: 0x202,
  };
  const r = runMini({
    l2: LVT_WRITE,
    fields: fields(0, ARV, extExit),
    maxExits: 2,
    setup: afterWrite(0x320),
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual, at(e.rip)]), [
    [APIC_WRITE, 0x320, 11],
    [1, 0, 11],
  ]);
  r.m.dispose();
  // Emulation without an exit: the external-interrupt exit at that same
  // boundary (not one instruction later), VTPR already emulated.
  const t = runMini({
    l2: TPR_WRITE,
    fields: fields(0, 0, extExit),
    maxExits: 1,
    setup: afterWrite(0x80),
  });
  assert.equal(t.status, 1, `status ${t.status} error ${t.error}`);
  assert.deepEqual(t.exits.map((e) => [e.reason, at(e.rip)]), [[1, 11]]);
  assert.equal(t.m.memory.read(VAPIC + 0x80, 4), 0x67);
  t.m.dispose();
});

Deno.test("APIC-write emulation comes before a single-step trap; the APIC-write exit saves it pending (28.3.4)", () => {
  const trap = { GUEST_RFLAGS: 0x302, EXCEPTION_BITMAP: 1 << 1 };
  const r = runMini({ l2: LVT_WRITE, fields: fields(0, ARV, trap), maxExits: 1 });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, at(e.rip)]), [[APIC_WRITE, 11]]);
  assert.equal(field(r.m, "GUEST_PENDING_DBG_EXCEPTIONS") & 0x4000, 0x4000, "BS pending");
  r.m.dispose();
  // Without an exit, the #DB follows at the same boundary, the TPR emulated.
  const t = runMini({ l2: TPR_WRITE, fields: fields(0, 0, trap), maxExits: 1 });
  assert.equal(t.status, 1, `status ${t.status} error ${t.error}`);
  assert.deepEqual(t.exits.map((e) => [e.reason, e.intrInfo, at(e.rip)]), [[0, 0x80000301, 11]]);
  assert.equal(t.m.memory.read(VAPIC + 0x80, 4), 0x67);
  t.m.dispose();
});

Deno.test("APIC-write emulation, then the single-step trap before the virtual interrupt the emulation made pending", () => {
  // mov dword ptr [0x190300], 0x40045 (a self-IPI); nop; vmcall -- handler at +0x100
  const r = runMini({
    l2: "c704250003190045000400900f01c1".padEnd(0x200, "0") +
      "c70425000017004500000048cf",
    fields: fields(0, ARV | PROC2.VIRTUAL_INTERRUPT_DELIVERY, {
      PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING,
      GUEST_RFLAGS: 0x302,
      EXCEPTION_BITMAP: 1 << 1,
    }),
    maxExits: 1,
    setup(m) {
      const target = MINI.l2Code + 0x100;
      m.memory.write(MINI.l2Idt + 16 * 0x45, 4, (target & 0xffff) | (0x08 << 16));
      m.memory.write(MINI.l2Idt + 16 * 0x45 + 4, 4, ((target & 0xffff0000) | 0x8e00) >>> 0);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  // Debug traps come before interrupts, virtual ones included (SDM 29.2.2).
  assert.deepEqual(r.exits.map((e) => [e.reason, e.intrInfo, at(e.rip)]), [[0, 0x80000301, 11]]);
  assert.equal(
    field(r.m, "GUEST_INTR_STATUS", 2),
    0x0045,
    "requested by the emulation, not delivered",
  );
  assert.equal(r.m.memory.read(MINI.l2Data, 4), 0, "the handler has not run");
  r.m.dispose();
});

Deno.test("a virtual interrupt the emulation made pending is delivered before an external interrupt that arrived with the write (29.2.2)", () => {
  // mov dword ptr [0x190300], 0x40045 (a self-IPI); nop; vmcall -- handler at +0x100
  const r = runMini({
    l2: "c704250003190045000400900f01c1".padEnd(0x200, "0") +
      "c70425000017004500000048cf",
    fields: fields(0, ARV | PROC2.VIRTUAL_INTERRUPT_DELIVERY, {
      PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING,
      GUEST_RFLAGS: 0x202,
    }),
    maxExits: 1,
    setup(m) {
      const target = MINI.l2Code + 0x100;
      m.memory.write(MINI.l2Idt + 16 * 0x45, 4, (target & 0xffff) | (0x08 << 16));
      m.memory.write(MINI.l2Idt + 16 * 0x45 + 4, 4, ((target & 0xffff0000) | 0x8e00) >>> 0);
      afterWrite(0x300)(m);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  // Delivered through L2's IDT at the boundary after the write; the
  // external interrupt exits before the handler's first instruction.
  assert.deepEqual(r.exits.map((e) => [e.reason, at(e.rip)]), [[1, 0x100]]);
  assert.equal(field(r.m, "GUEST_INTR_STATUS", 2), 0x4500, "in service: SVI = 45H, RVI = 0");
  r.m.dispose();
});
