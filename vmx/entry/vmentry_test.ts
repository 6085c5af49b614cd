import assert from "node:assert/strict";
import { entryFixture, GUEST_RIP, GUEST_RSP, HOST_RIP, HOST_RSP, VMCS_GPA } from "./testing.ts";
import { l2Cpuid, offerL2 } from "../testing.ts";
import type { FieldName } from "../vmcs12/fields.ts";
import { CAPS } from "./check_controls.ts";
import { lastEntryFailure } from "./vmentry.ts";
import { lastGuestFailure } from "./check_guest.ts";
import { ENTRY, EXIT, PIN, PROC, PROC2 } from "../controls.ts";

type Mut = [string, Partial<Record<FieldName, number | [number, number]>>];

const LOAD_DBG = (CAPS.entry.must1 | ENTRY.IA32E_MODE_GUEST | ENTRY.LOAD_DEBUG_CONTROLS) >>> 0;
const PROC_SEC = (CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS) >>> 0;

Deno.test("VMLAUNCH with a valid vmcs12 enters L2 with the guest state loaded", () => {
  const f = entryFixture();
  const o = f.launch();
  assert.deepEqual(o, { kind: "reflected" });
  const v = f.h.vcpu;
  assert.equal(v.nonRoot, true);
  assert.equal(v.guestPhysical, null, "no EPT: identity guest-physical addresses");
  assert.equal(v.rip, GUEST_RIP);
  assert.equal(v.reg(4), GUEST_RSP);
  assert.equal(v.seg[1].selector, 0x08);
  assert.equal(v.seg[1].attrs, 0xa09b);
  assert.equal(v.seg[7].limit, 0x67);
  assert.equal(v.cr3, 0x40000);
  assert.equal(v.rflags & 0x8d5, 0, "VMsucceed flags");
  assert.equal(f.vmcs.launched, true);
  assert.equal(f.n.stats.entries, 1);
});

Deno.test("launch-state rules: VMLAUNCH of a launched VMCS (4), VMRESUME of a clear one (5)", () => {
  const f = entryFixture();
  assert.deepEqual(f.launch(true), { kind: "failValid", error: 5 });
  assert.deepEqual(f.launch(), { kind: "reflected" });
  // Back to L1 through a CPUID exit.
  const v = f.h.vcpu;
  const d = offerL2(f.h, l2Cpuid());
  assert.equal(d, "reflected");
  assert.equal(v.nonRoot, false);
  assert.equal(v.rip, HOST_RIP);
  assert.equal(v.reg(4), HOST_RSP);
  assert.deepEqual(f.launch(), { kind: "failValid", error: 4 });
  assert.deepEqual(f.launch(true), { kind: "reflected" });
});

Deno.test("VM entry with blocking by MOV SS fails with error 26", () => {
  const f = entryFixture();
  f.h.vcpu.interruptibility = 2;
  assert.deepEqual(f.launch(), { kind: "failValid", error: 26 });
  assert.equal(f.h.vcpu.nonRoot, false);
});

Deno.test("VMLAUNCH without a current VMCS: VMfailInvalid", () => {
  const f = entryFixture();
  f.n.state.releaseCurrent(f.h.memory);
  assert.deepEqual(f.launch(), { kind: "failInvalid" });
});

const controlBreaks: Mut[] = [
  ["pin reserved bit", { PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | (1 << 8) }],
  ["pin default1 bit clear", { PIN_BASED_VM_EXEC_CONTROL: 0 }],
  ["proc reserved bit (tertiary controls)", {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.ACTIVATE_TERTIARY_CONTROLS,
  }],
  ["proc default1 bit clear", { CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 & ~0x2 }],
  ["secondary reserved (unrestricted guest)", {
    CPU_BASED_VM_EXEC_CONTROL: PROC_SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.UNRESTRICTED_GUEST,
  }],
  ["CR3-target count 5", { CR3_TARGET_COUNT: 5 }],
  ["I/O bitmap A unaligned", {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_IO_BITMAPS,
    IO_BITMAP_A: 0x1010,
    IO_BITMAP_B: 0x2000,
  }],
  ["I/O bitmap B beyond physical width", {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_IO_BITMAPS,
    IO_BITMAP_A: 0x1000,
    IO_BITMAP_B: [0x2000, 0x100],
  }],
  ["MSR bitmap unaligned", {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_MSR_BITMAPS,
    MSR_BITMAP: 0x3008,
  }],
  ["virtual NMIs without NMI exiting", {
    PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.VIRTUAL_NMIS,
  }],
  ["NMI-window exiting without virtual NMIs", {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.NMI_WINDOW_EXITING,
  }],
  ["VPID 0", { CPU_BASED_VM_EXEC_CONTROL: PROC_SEC, SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_VPID }],
  ["EPTP memory type 1", {
    CPU_BASED_VM_EXEC_CONTROL: PROC_SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_EPT,
    EPT_POINTER: 0x8000 | 0x18 | 1,
  }],
  ["EPTP walk length 5", {
    CPU_BASED_VM_EXEC_CONTROL: PROC_SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_EPT,
    EPT_POINTER: 0x8000 | 0x20 | 6,
  }],
  ["EPTP bits 11:7 reserved", {
    CPU_BASED_VM_EXEC_CONTROL: PROC_SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_EPT,
    EPT_POINTER: 0x8000 | 0x80 | 0x18 | 6,
  }],
  ["PML without EPT", {
    CPU_BASED_VM_EXEC_CONTROL: PROC_SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_PML,
    PML_ADDRESS: 0x9000,
  }],
  ["mode-based execute control without EPT", {
    CPU_BASED_VM_EXEC_CONTROL: PROC_SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.MODE_BASED_EPT_EXECUTE,
  }],
  ["VM-function controls reserved bit", {
    CPU_BASED_VM_EXEC_CONTROL: PROC_SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_VM_FUNCTIONS,
    VM_FUNCTION_CONTROL: 2,
  }],
  ["EPTP switching without EPT", {
    CPU_BASED_VM_EXEC_CONTROL: PROC_SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_VM_FUNCTIONS,
    VM_FUNCTION_CONTROL: 1,
    EPTP_LIST_ADDRESS: 0x9000,
  }],
  ["EPTP-list address not page-aligned", {
    CPU_BASED_VM_EXEC_CONTROL: PROC_SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_EPT | PROC2.ENABLE_VM_FUNCTIONS,
    EPT_POINTER: 0x8000 | 0x18 | 6,
    VM_FUNCTION_CONTROL: 1,
    EPTP_LIST_ADDRESS: 0x9008,
  }],
  ["PML address not page-aligned", {
    CPU_BASED_VM_EXEC_CONTROL: PROC_SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_EPT | PROC2.ENABLE_PML,
    EPT_POINTER: 0x8000 | 0x40 | 0x18 | 6,
    PML_ADDRESS: 0x9008,
  }],
  ["exit controls reserved bit", {
    VM_EXIT_CONTROLS: CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE | EXIT.CLEAR_IA32_BNDCFGS,
  }],
  ["save preemption timer without the timer", {
    VM_EXIT_CONTROLS: CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE | EXIT.SAVE_PREEMPTION_TIMER,
  }],
  ["MSR-store list unaligned", { VM_EXIT_MSR_STORE_COUNT: 1, VM_EXIT_MSR_STORE_ADDR: 0x5004 }],
  ["MSR-load (exit) list beyond width", {
    VM_EXIT_MSR_LOAD_COUNT: 2,
    VM_EXIT_MSR_LOAD_ADDR: [0xfffffff0, 0xff],
  }],
  ["entry controls reserved bit", {
    VM_ENTRY_CONTROLS: CAPS.entry.must1 | ENTRY.IA32E_MODE_GUEST | ENTRY.LOAD_IA32_BNDCFGS,
  }],
  ["entry to SMM", {
    VM_ENTRY_CONTROLS: CAPS.entry.must1 | ENTRY.IA32E_MODE_GUEST | ENTRY.ENTRY_TO_SMM,
  }],
  ["MSR-load (entry) list unaligned", {
    VM_ENTRY_MSR_LOAD_COUNT: 2,
    VM_ENTRY_MSR_LOAD_ADDR: 0x5001,
  }],
  ["injection type 1", { VM_ENTRY_INTR_INFO: 0x80000100 | 32 }],
  ["NMI injection vector 3", { VM_ENTRY_INTR_INFO: 0x80000200 | 3 }],
  ["hardware exception vector 32", { VM_ENTRY_INTR_INFO: 0x80000300 | 32 }],
  ["#GP without deliver-error-code", { VM_ENTRY_INTR_INFO: 0x80000300 | 13 }],
  ["#UD with deliver-error-code", { VM_ENTRY_INTR_INFO: 0x80000b00 | 6 }],
  ["interruption info reserved bit", { VM_ENTRY_INTR_INFO: 0x80010000 | 32 }],
  ["error code bits 31:16", {
    VM_ENTRY_INTR_INFO: 0x80000b00 | 13,
    VM_ENTRY_EXCEPTION_ERROR_CODE: 0x10000,
  }],
  ["software interrupt length 0", {
    VM_ENTRY_INTR_INFO: 0x80000400 | 0x80,
    VM_ENTRY_INSTRUCTION_LEN: 0,
  }],
  ["software exception length 16", {
    VM_ENTRY_INTR_INFO: 0x80000600 | 3,
    VM_ENTRY_INSTRUCTION_LEN: 16,
  }],
  ["other event vector 1", {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.MONITOR_TRAP_FLAG,
    VM_ENTRY_INTR_INFO: 0x80000700 | 1,
  }],
];

for (const [name, fields] of controlBreaks) {
  Deno.test(`control check → VMfailValid(7): ${name}`, () => {
    const f = entryFixture();
    for (const [k, v] of Object.entries(fields)) f.set(k as FieldName, v!);
    assert.deepEqual(f.launch(), { kind: "failValid", error: 7 }, lastEntryFailure);
    assert.equal(f.h.vcpu.nonRoot, false);
    assert.equal(f.vmcs.launched, false);
  });
}

const hostBreaks: Mut[] = [
  ["CR0.PE clear", { HOST_CR0: 0x80000030 }],
  ["CR0 bits 63:32", { HOST_CR0: [0x80000031, 1] }],
  ["CR4.VMXE clear", { HOST_CR4: 0x20 }],
  ["CR4 unsupported bit (LA57)", { HOST_CR4: 0x2020 | (1 << 12) }],
  ["CR3 beyond physical width", { HOST_CR3: [0x30000, 0x100] }],
  ["SYSENTER_ESP not canonical", { HOST_IA32_SYSENTER_ESP: [0, 0x8000] }],
  ["SYSENTER_EIP not canonical", { HOST_IA32_SYSENTER_EIP: [0, 0x7fff8000] }],
  ["PAT memory type 2", {
    VM_EXIT_CONTROLS: CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE | EXIT.LOAD_IA32_PAT,
    HOST_IA32_PAT: [0x00070402, 0],
  }],
  ["EFER reserved bit", {
    VM_EXIT_CONTROLS: CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE | EXIT.LOAD_IA32_EFER,
    HOST_IA32_EFER: 0x502,
  }],
  ["EFER.LMA != address-space size", {
    VM_EXIT_CONTROLS: CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE | EXIT.LOAD_IA32_EFER,
    HOST_IA32_EFER: 0x100,
  }],
  ["CS selector RPL", { HOST_CS_SELECTOR: 0x0b }],
  ["DS selector TI", { HOST_DS_SELECTOR: 0x14 }],
  ["CS selector 0", { HOST_CS_SELECTOR: 0 }],
  ["TR selector 0", { HOST_TR_SELECTOR: 0 }],
  ["FS base not canonical", { HOST_FS_BASE: [0, 0x10000] }],
  ["GDTR base not canonical", { HOST_GDTR_BASE: [0, 0xffff0000] }],
  ["TR base not canonical", { HOST_TR_BASE: [0, 0x8000] }],
  ["address-space size 0 in IA-32e mode", { VM_EXIT_CONTROLS: CAPS.exit.must1 }],
  ["RIP not canonical", { HOST_RIP: [0x1000, 0x00800000] }],
  ["CR4.PAE clear with 64-bit host", { HOST_CR4: 0x2000 }],
];

for (const [name, fields] of hostBreaks) {
  Deno.test(`host-state check → VMfailValid(8): ${name}`, () => {
    const f = entryFixture();
    for (const [k, v] of Object.entries(fields)) f.set(k as FieldName, v!);
    assert.deepEqual(f.launch(), { kind: "failValid", error: 8 }, lastEntryFailure);
    assert.equal(f.h.vcpu.nonRoot, false);
  });
}

Deno.test("host checks outside IA-32e mode: 64-bit host and IA-32e guest refused, SS 0 refused", () => {
  const f = entryFixture();
  f.h.vcpu.efer = 0; // L1 in legacy protected mode
  assert.deepEqual(f.launch(), { kind: "failValid", error: 8 });
  f.set("VM_EXIT_CONTROLS", CAPS.exit.must1);
  assert.deepEqual(f.launch(), { kind: "failValid", error: 8 }, "IA-32e mode guest");
  f.set("VM_ENTRY_CONTROLS", CAPS.entry.must1);
  f.set("HOST_SS_SELECTOR", 0);
  assert.deepEqual(f.launch(), { kind: "failValid", error: 8 }, "SS selector 0");
});

/** [name, fields, qualification] for guest-state failures. */
const guestBreaks: [string, Partial<Record<FieldName, number | [number, number]>>, number][] = [
  ["CR0.NE clear", { GUEST_CR0: 0x80000011 }, 0],
  ["CR0.PG without PE under fixed bits", { GUEST_CR0: 0x80000030 }, 0],
  ["CR4.VMXE clear", { GUEST_CR4: 0x20 }, 0],
  ["IA-32e guest without PAE", { GUEST_CR4: 0x2000 }, 0],
  ["CR3 beyond physical width", { GUEST_CR3: [0, 0x1000] }, 0],
  ["DEBUGCTL reserved bit", { VM_ENTRY_CONTROLS: LOAD_DBG, GUEST_IA32_DEBUGCTL: 0x4 }, 0],
  // TR (bit 6) exists on some processors but not in this CPU model, whose WRMSR refuses it.
  ["DEBUGCTL bit the model lacks", { VM_ENTRY_CONTROLS: LOAD_DBG, GUEST_IA32_DEBUGCTL: 0x40 }, 0],
  ["DR7 bits 63:32", { VM_ENTRY_CONTROLS: LOAD_DBG, GUEST_DR7: [0x400, 1] }, 0],
  ["SYSENTER_EIP not canonical", { GUEST_SYSENTER_EIP: [0, 0x12345] }, 0],
  ["TR.TI", { GUEST_TR_SELECTOR: 0x1c }, 0],
  ["SS.RPL != CS.RPL", { GUEST_SS_SELECTOR: 0x13 }, 0],
  ["FS base not canonical", { GUEST_FS_BASE: [0, 0x8000] }, 0],
  ["CS type data", { GUEST_CS_AR_BYTES: 0xa093 }, 0],
  ["CS.S clear", { GUEST_CS_AR_BYTES: 0xa08b }, 0],
  ["CS not present", { GUEST_CS_AR_BYTES: 0xa01b }, 0],
  ["CS.L and CS.D", { GUEST_CS_AR_BYTES: 0xe09b }, 0],
  ["CS granularity (G=1, limit 11:0 not all ones)", { GUEST_CS_LIMIT: 0xffffe }, 0],
  ["SS granularity (G=0, limit above 1 MiB)", { GUEST_SS_AR_BYTES: 0x4093 }, 0],
  ["CS.DPL != SS.DPL", { GUEST_CS_AR_BYTES: 0xa0bb }, 0],
  ["SS type code", { GUEST_SS_AR_BYTES: 0xc09b }, 0],
  ["SS.DPL != RPL", { GUEST_SS_AR_BYTES: 0xc0b3 }, 0],
  ["DS not accessed", { GUEST_DS_AR_BYTES: 0xc092 }, 0],
  ["DS execute-only code", { GUEST_DS_AR_BYTES: 0xc099 }, 0],
  ["DS AR reserved bit", { GUEST_DS_AR_BYTES: 0xc193 }, 0],
  ["TR type 16-bit busy in IA-32e guest", { GUEST_TR_AR_BYTES: 0x83 }, 0],
  ["TR unusable", { GUEST_TR_AR_BYTES: 0x1008b }, 0],
  ["LDTR usable with type 3", { GUEST_LDTR_AR_BYTES: 0x83 }, 0],
  ["GDTR limit bits 31:16", { GUEST_GDTR_LIMIT: 0x10000 }, 0],
  ["IDTR base not canonical", { GUEST_IDTR_BASE: [0, 0x8000] }, 0],
  ["RIP not canonical", { GUEST_RIP: [0, 0x8000] }, 0],
  ["RFLAGS bit 1 clear", { GUEST_RFLAGS: 0 }, 0],
  ["RFLAGS reserved bit 3", { GUEST_RFLAGS: 0xa }, 0],
  ["RFLAGS.VM in IA-32e mode", { GUEST_RFLAGS: 0x20002 }, 0],
  ["external interrupt injection with IF=0", { VM_ENTRY_INTR_INFO: 0x80000020 }, 0],
  ["activity state 4", { GUEST_ACTIVITY_STATE: 4 }, 0],
  ["activity shutdown (unsupported)", { GUEST_ACTIVITY_STATE: 2 }, 0],
  ["HLT with SS.DPL 3", {
    GUEST_ACTIVITY_STATE: 1,
    GUEST_SS_AR_BYTES: 0xc0f3,
    GUEST_SS_SELECTOR: 0x13,
    GUEST_CS_SELECTOR: 0x0b,
    GUEST_CS_AR_BYTES: 0xa0fb,
  }, 0],
  ["STI blocking in HLT", {
    GUEST_ACTIVITY_STATE: 1,
    GUEST_INTERRUPTIBILITY_INFO: 1,
    GUEST_RFLAGS: 0x202,
  }, 0],
  ["#UD injection into HLT", { GUEST_ACTIVITY_STATE: 1, VM_ENTRY_INTR_INFO: 0x80000306 }, 0],
  ["interruptibility reserved bit", { GUEST_INTERRUPTIBILITY_INFO: 0x10 }, 0],
  ["STI and MOV-SS blocking", { GUEST_INTERRUPTIBILITY_INFO: 3, GUEST_RFLAGS: 0x202 }, 0],
  ["STI blocking with IF=0", { GUEST_INTERRUPTIBILITY_INFO: 1 }, 0],
  ["SMI blocking", { GUEST_INTERRUPTIBILITY_INFO: 4 }, 0],
  ["NMI injection with MOV-SS blocking", {
    GUEST_INTERRUPTIBILITY_INFO: 2,
    VM_ENTRY_INTR_INFO: 0x80000202,
  }, 0],
  ["pending debug exceptions reserved bit", { GUEST_PENDING_DBG_EXCEPTIONS: 0x10 }, 0],
  ["pending BS missing with TF under STI blocking", {
    GUEST_INTERRUPTIBILITY_INFO: 1,
    GUEST_RFLAGS: 0x302,
  }, 0],
  ["VMCS link pointer unaligned", { VMCS_LINK_POINTER: 0x3008 }, 4],
  ["VMCS link pointer with a wrong revision id", { VMCS_LINK_POINTER: 0x3000 }, 4],
  // Its header holds the right revision id, but it is the current VMCS (SDM 27.3.1.5).
  ["VMCS link pointer is the current VMCS", { VMCS_LINK_POINTER: VMCS_GPA }, 4],
  ["NMI injection with STI blocking", {
    GUEST_INTERRUPTIBILITY_INFO: 1,
    GUEST_RFLAGS: 0x202,
    VM_ENTRY_INTR_INFO: 0x80000202,
  }, 3],
];

for (const [name, fields, qual] of guestBreaks) {
  Deno.test(`guest-state check → exit 33 (qualification ${qual}): ${name}`, () => {
    const f = entryFixture();
    for (const [k, v] of Object.entries(fields)) f.set(k as FieldName, v!);
    const o = f.launch();
    assert.deepEqual(o, { kind: "reflected" }, lastGuestFailure);
    assert.equal(f.get("VM_EXIT_REASON"), (0x80000000 | 33) >>> 0, lastGuestFailure);
    assert.equal(f.get64("EXIT_QUALIFICATION"), qual, lastGuestFailure);
    const v = f.h.vcpu;
    assert.equal(v.nonRoot, false);
    assert.equal(v.rip, HOST_RIP);
    assert.equal(v.rflags, 2);
    assert.equal(f.vmcs.launched, false, "launch state unchanged");
  });
}

Deno.test("PAE guest with a bad PDPTE → exit 33 qualification 2; a good one enters", () => {
  const f = entryFixture();
  // A 32-bit PAE guest: CS 32-bit code, IA-32e mode guest off.
  f.set("VM_ENTRY_CONTROLS", CAPS.entry.must1);
  f.set("GUEST_CS_AR_BYTES", 0xc09b);
  f.set("GUEST_TR_AR_BYTES", 0x8b);
  f.set("GUEST_CR3", 0x50000);
  f.set("GUEST_RIP", 0x1000);
  f.h.memory.write(0x50000, 4, 0x60001);
  f.h.memory.write(0x50008, 4, 0x61001 | 0x2); // reserved bit 1
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(f.get("VM_EXIT_REASON"), (0x80000000 | 33) >>> 0);
  assert.equal(f.get64("EXIT_QUALIFICATION"), 2);
  f.h.memory.write(0x50008, 4, 0x61001);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(f.h.vcpu.nonRoot, true);
  assert.equal(f.h.vcpu.rip, 0x1000);
  assert.equal(f.h.vcpu.efer & 0x400, 0, "EFER.LMA follows IA-32e mode guest");
});

Deno.test("VM-entry MSR-load list: failure at entry 2 → exit 34 with qualification 2", () => {
  const f = entryFixture();
  const v = f.h.vcpu;
  v.msrs.set(0x277, 0n);
  const list = 0x5000;
  const mem = f.h.memory;
  mem.write(list, 4, 0x277);
  mem.write(list + 8, 4, 0x06);
  mem.write(list + 16, 4, 0xc0000100); // FS_BASE may not be loaded this way
  f.set("VM_ENTRY_MSR_LOAD_COUNT", 2);
  f.set("VM_ENTRY_MSR_LOAD_ADDR", list);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(f.get("VM_EXIT_REASON"), (0x80000000 | 34) >>> 0);
  assert.equal(f.get64("EXIT_QUALIFICATION"), 2);
  assert.equal(v.msrs.get(0x277), 6n, "entry 1 was loaded");
  assert.equal(v.nonRoot, false);
  // Reserved bits in an entry, and an MSR the CPU refuses.
  mem.write(list + 16, 4, 0x277);
  mem.write(list + 20, 4, 1);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(f.get64("EXIT_QUALIFICATION"), 2);
  mem.write(list + 20, 4, 0);
  mem.write(list, 4, 0x12345);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(f.get64("EXIT_QUALIFICATION"), 1);
  mem.write(list, 4, 0x277);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(v.nonRoot, true);
});

Deno.test("event injection of each type reaches vcpu.injectEvent", () => {
  const cases: [
    number,
    number,
    number,
    { type: number; vector: number; errorCode: number; instructionLength: number },
  ][] = [
    [0x80000020, 0, 0, { type: 0, vector: 0x20, errorCode: -1, instructionLength: 0 }],
    [0x80000202, 0, 0, { type: 2, vector: 2, errorCode: -1, instructionLength: 0 }],
    [0x80000b0e, 0x6, 0, { type: 3, vector: 14, errorCode: 6, instructionLength: 0 }],
    [0x80000306, 0, 0, { type: 3, vector: 6, errorCode: -1, instructionLength: 0 }],
    [0x80000480, 0, 2, { type: 4, vector: 0x80, errorCode: -1, instructionLength: 2 }],
    [0x80000501, 0, 1, { type: 5, vector: 1, errorCode: -1, instructionLength: 1 }],
    [0x80000603, 0, 1, { type: 6, vector: 3, errorCode: -1, instructionLength: 1 }],
  ];
  for (const [info, ec, len, expected] of cases) {
    const f = entryFixture();
    f.set("GUEST_RFLAGS", 0x202);
    f.set("VM_ENTRY_INTR_INFO", info);
    f.set("VM_ENTRY_EXCEPTION_ERROR_CODE", ec);
    f.set("VM_ENTRY_INSTRUCTION_LEN", len);
    assert.deepEqual(f.launch(), { kind: "reflected" }, info.toString(16));
    assert.equal(f.h.vcpu.nonRoot, true);
    assert.deepEqual(f.h.vcpu.injected, [expected]);
  }
});

Deno.test("injection into HLT wakes the guest; HLT without injection stays halted", () => {
  const f = entryFixture();
  f.set("GUEST_ACTIVITY_STATE", 1);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(f.h.vcpu.activity, "hlt");
  const g = entryFixture();
  g.set("GUEST_ACTIVITY_STATE", 1);
  g.set("GUEST_RFLAGS", 0x202);
  g.set("VM_ENTRY_INTR_INFO", 0x80000030);
  assert.deepEqual(g.launch(), { kind: "reflected" });
  assert.equal(g.h.vcpu.activity, "active");
});

Deno.test("pending MTF injection (type 7) exits with reason 37 before any L2 instruction", () => {
  const f = entryFixture();
  f.set("CPU_BASED_VM_EXEC_CONTROL", CAPS.proc.must1 | PROC.MONITOR_TRAP_FLAG);
  f.set("VM_ENTRY_INTR_INFO", 0x80000700);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.equal(f.get("VM_EXIT_REASON"), 37);
  assert.equal(f.get64("GUEST_RIP"), GUEST_RIP);
  assert.equal(f.h.vcpu.rip, HOST_RIP);
  assert.equal(f.get("VM_ENTRY_INTR_INFO") >>> 31, 0, "valid bit cleared by the exit");
});

Deno.test("PAE guest: VM entry loads the PDPTE registers (from CR3 without EPT)", () => {
  const f = entryFixture();
  f.set("VM_ENTRY_CONTROLS", CAPS.entry.must1);
  f.set("GUEST_CS_AR_BYTES", 0xc09b);
  f.set("GUEST_CR3", 0x50000);
  f.set("GUEST_RIP", 0x1000);
  f.h.memory.write(0x50000, 4, 0x60001);
  f.h.memory.write(0x50018, 4, 0x63001);
  f.h.memory.write(0x5001c, 4, 0x12);
  const pdpte = f.h.vcpu.pdpte;
  f.h.vcpu.efer = 0x500;
  assert.deepEqual(f.launch(), { kind: "reflected" });
  assert.deepEqual([...pdpte], [0x60001, 0, 0, 0x12 * 2 ** 32 + 0x63001]);
});
