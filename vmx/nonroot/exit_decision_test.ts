import assert from "node:assert/strict";
import type { VmExit, VmxOperands } from "../../core/vmexit.ts";
import { type EntryFixture, entryFixture, GUEST_RIP, HOST_RIP } from "../entry/testing.ts";
import { CAPS } from "../entry/check_controls.ts";
import { EXIT, PIN, PROC, PROC2 } from "../controls.ts";
import type { FieldName } from "../vmcs12/fields.ts";
import type { PluginState } from "../../core/plugin.ts";
import { l2Cpuid, offerL2 } from "../testing.ts";

const PROC0 = CAPS.proc.must1;
const SEC = (PROC0 | PROC.ACTIVATE_SECONDARY_CONTROLS) >>> 0;

/** Launch with `fields`, then offer `exit` (after advancing RIP by its length, as the CPU does). */
function run(
  fields: Partial<Record<FieldName, number | [number, number]>>,
  exit: VmExit,
): { f: EntryFixture; d: string } {
  const f = entryFixture();
  for (const [k, v] of Object.entries(fields)) f.set(k as FieldName, v!);
  assert.deepEqual(f.launch(), { kind: "reflected" });
  const v = f.h.vcpu;
  v.rip = GUEST_RIP + exit.instructionLength;
  if (exit.kind === "monitor-trap") v.retired++; // an L2 instruction completed
  const d = offerL2(f.h, exit);
  return { f, d };
}

function expectExit(
  f: EntryFixture,
  d: string,
  reason: number,
  qual: number,
  len: number,
  extra: Partial<Record<FieldName, number>> = {},
): void {
  assert.equal(d, "reflected");
  assert.equal(f.get("VM_EXIT_REASON"), reason, "exit reason");
  assert.equal(f.get64("EXIT_QUALIFICATION"), qual, "exit qualification");
  assert.equal(f.get("VM_EXIT_INSTRUCTION_LEN"), len, "instruction length");
  for (const [k, v] of Object.entries(extra)) assert.equal(f.get(k as FieldName), v, k);
  assert.equal(f.h.vcpu.nonRoot, false);
  assert.equal(f.h.vcpu.rip, HOST_RIP);
  assert.equal(f.get64("GUEST_RIP"), GUEST_RIP, "guest RIP of the exiting instruction");
}

const base = { level: 2 as const };
const noOps: VmxOperands = { rmReg: -1, regReg: -1, operandSize: 64 };

Deno.test("CPUID, GETSEC, INVD, XSETBV always exit", () => {
  for (
    const [kind, reason] of [["getsec", 11], ["invd", 13], ["xsetbv", 55]] as [
      "getsec" | "invd" | "xsetbv",
      number,
    ][]
  ) {
    const { f, d } = run({}, { ...base, kind, instructionLength: 3 });
    expectExit(f, d, reason, 0, 3);
  }
  const { f, d } = run({}, {
    ...base,
    kind: "cpuid",
    instructionLength: 2,
    leaf: 1,
    subleaf: 0,
    eax: 0,
    ebx: 0,
    ecx: 0,
    edx: 0,
  });
  expectExit(f, d, 10, 0, 2);
  assert.equal(f.n.stats.l2ToL1[10], 1);
});

Deno.test("HLT, RDTSC, RDPMC, PAUSE, MONITOR, MWAIT exit only with their controls", () => {
  const cases: [VmExit["kind"], number, number][] = [
    ["hlt", PROC.HLT_EXITING, 12],
    ["rdtsc", PROC.RDTSC_EXITING, 16],
    ["rdpmc", PROC.RDPMC_EXITING, 15],
    ["pause", PROC.PAUSE_EXITING, 40],
    ["monitor", PROC.MONITOR_EXITING, 39],
    ["mwait", PROC.MWAIT_EXITING, 36],
  ];
  for (const [kind, bit, reason] of cases) {
    const e = { ...base, kind, instructionLength: 1 } as VmExit;
    const off = run({}, e);
    assert.equal(off.d, "pass", `${kind} without its control`);
    assert.equal(off.f.h.vcpu.nonRoot, true);
    assert.equal(off.f.n.stats.l2ToL0[reason], 1);
    const on = run({ CPU_BASED_VM_EXEC_CONTROL: PROC0 | bit }, e);
    expectExit(on.f, on.d, reason, 0, 1);
  }
});

Deno.test("WBINVD and RDTSCP by secondary controls; RDTSCP #UD when not enabled", () => {
  const w = run(
    { CPU_BASED_VM_EXEC_CONTROL: SEC, SECONDARY_VM_EXEC_CONTROL: PROC2.WBINVD_EXITING },
    {
      ...base,
      kind: "wbinvd",
      instructionLength: 2,
    },
  );
  expectExit(w.f, w.d, 54, 0, 2);
  assert.throws(
    () => run({}, { ...base, kind: "rdtscp", instructionLength: 3 }),
    (e) => (e as { vector: number }).vector === 6,
  );
  const r = run({
    CPU_BASED_VM_EXEC_CONTROL: SEC | PROC.RDTSC_EXITING,
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_RDTSCP,
  }, { ...base, kind: "rdtscp", instructionLength: 3 });
  expectExit(r.f, r.d, 51, 0, 3);
});

Deno.test("INVLPG exit carries the linear address; INVPCID its instruction information", () => {
  const { f, d } = run({ CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.INVLPG_EXITING }, {
    ...base,
    kind: "invlpg",
    instructionLength: 3,
    linear: -0x1000,
    invpcidType: 0,
    operands: noOps,
  });
  expectExit(f, d, 14, -0x1000 + 2 ** 64, 3);
  const ops: VmxOperands = {
    mem: {
      offset: 0x10,
      linear: 0x10,
      segment: 3,
      addressSize: 64,
      base: 1,
      index: 2,
      scale: 3,
      displacement: 0x10,
    },
    rmReg: -1,
    regReg: 5,
    operandSize: 64,
  };
  const p = run({
    CPU_BASED_VM_EXEC_CONTROL: SEC | PROC.INVLPG_EXITING,
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_INVPCID,
  }, {
    ...base,
    kind: "invpcid",
    instructionLength: 5,
    linear: 0x10,
    invpcidType: 1,
    operands: ops,
  });
  const info = 3 | (2 << 7) | (3 << 15) | (2 << 18) | (1 << 23) | (5 << 28);
  expectExit(p.f, p.d, 58, 0x10, 5, { VMX_INSTRUCTION_INFO: info >>> 0 });
});

Deno.test("I/O: unconditional exiting, bitmaps (incl. wrap), qualification; L0 gets it otherwise", () => {
  const io = (port: number, size: 1 | 2 | 4, direction: "in" | "out", dxForm: boolean): VmExit => ({
    ...base,
    kind: "io",
    instructionLength: 1,
    port,
    size,
    direction,
    value: 0,
    dxForm,
  });
  const pass = run({}, io(0x3f8, 1, "out", true));
  assert.equal(pass.d, "pass");
  const u = run(
    { CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.UNCONDITIONAL_IO_EXITING },
    io(0x3f8, 1, "out", true),
  );
  expectExit(u.f, u.d, 30, 0x3f80000, 1);
  const i = run(
    { CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.UNCONDITIONAL_IO_EXITING },
    io(0x60, 4, "in", false),
  );
  expectExit(i.f, i.d, 30, 0x600000 | 3 | 8 | 64, 1);
  // Bitmap: only port 0x81 (in A) and 0x8001 (in B) intercepted.
  const bm = {
    CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.USE_IO_BITMAPS,
    IO_BITMAP_A: 0x8000,
    IO_BITMAP_B: 0x9000,
  };
  const setBits = (f: EntryFixture): void => {
    f.h.memory.write(0x8000 + (0x81 >> 3), 1, 1 << (0x81 & 7));
    f.h.memory.write(0x9000, 1, 2);
  };
  for (
    const [port, size, exits] of [
      [0x80, 1, false],
      [0x80, 2, true],
      [0x81, 1, true],
      [0x8001, 1, true],
      [0x8002, 1, false],
      [0xffff, 2, true],
    ] as [number, 1 | 2, boolean][]
  ) {
    const f = entryFixture();
    for (const [k, v] of Object.entries(bm)) f.set(k as FieldName, v);
    setBits(f);
    f.launch();
    f.h.vcpu.rip = GUEST_RIP + 1;
    const d = offerL2(f.h, io(port, size, "out", true));
    assert.equal(d, exits ? "reflected" : "pass", `port ${port.toString(16)} size ${size}`);
  }
});

Deno.test("string I/O reports the guest-linear address and INS/OUTS information", () => {
  const { f, d } = run({ CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.UNCONDITIONAL_IO_EXITING }, {
    ...base,
    kind: "io",
    instructionLength: 2,
    port: 0x3f8,
    size: 1,
    direction: "out",
    value: 0,
    dxForm: true,
    string: { rep: true, linear: 0x7000 },
  });
  expectExit(f, d, 30, 0x3f80000 | 16 | 32, 2, { VMX_INSTRUCTION_INFO: (2 << 7) | (3 << 15) });
  assert.equal(f.get64("GUEST_LINEAR_ADDRESS"), 0x7000);
});

Deno.test("RDMSR/WRMSR: all exit without bitmaps; bitmap quarters decide otherwise", () => {
  const rd = (msr: number): VmExit => ({
    ...base,
    kind: "rdmsr",
    instructionLength: 2,
    msr,
    lo: 0,
    hi: 0,
  });
  const wr = (msr: number): VmExit => ({
    ...base,
    kind: "wrmsr",
    instructionLength: 2,
    msr,
    lo: 0,
    hi: 0,
  });
  const all = run({}, rd(0x10));
  expectExit(all.f, all.d, 31, 0, 2);
  const bm = { CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.USE_MSR_BITMAPS, MSR_BITMAP: 0xa000 };
  const cases: [VmExit, boolean][] = [
    [rd(0x10), true], // read-low bit set
    [rd(0x11), false],
    [rd(0xc0000080), false],
    [rd(0xc0000082), true], // read-high bit set
    [wr(0x11), false], // (IA32_TSC, 0x10, is set for L1 instead: real_cpu_test.ts)
    [wr(0xc0000080), true], // write-high
    [rd(0x40000000), true], // outside both ranges
  ];
  for (const [e, exits] of cases) {
    const f = entryFixture();
    for (const [k, v] of Object.entries(bm)) f.set(k as FieldName, v);
    f.h.memory.write(0xa000 + 2, 1, 1); // read-low 0x10
    f.h.memory.write(0xa000 + 1024 + 16, 1, 4); // read-high 0x82
    f.h.memory.write(0xa000 + 3072 + 16, 1, 1); // write-high 0x80
    f.launch();
    f.h.vcpu.rip = GUEST_RIP + 2;
    const d = offerL2(f.h, e);
    assert.equal(d, exits ? "reflected" : "pass", JSON.stringify(e));
    if (exits) assert.equal(f.get("VM_EXIT_REASON"), e.kind === "rdmsr" ? 31 : 32);
  }
});

Deno.test("MOV CR0/CR4 with masks and shadows; CLTS; LMSW; reads return the shadow", () => {
  const cr = (
    c: 0 | 3 | 4 | 8,
    access: "mov-to" | "mov-from" | "clts" | "lmsw",
    value = 0,
    gpr = 3,
  ): VmExit => ({
    ...base,
    kind: "cr",
    instructionLength: 3,
    cr: c,
    access,
    gpr,
    valueLo: value,
    valueHi: 0,
    lmswLinear: -1,
  });
  const masks = {
    CR0_GUEST_HOST_MASK: 0x80000021 | 8,
    CR0_READ_SHADOW: 0x80000031,
    CR4_GUEST_HOST_MASK: 0x2000,
    CR4_READ_SHADOW: 0,
  };
  // Writing a masked bit with a value different from the shadow exits.
  const a = run(masks, cr(0, "mov-to", 0x80000011, 5));
  expectExit(a.f, a.d, 28, 0 | (5 << 8), 3);
  // Same masked bits as the shadow: no exit; the real masked bits are kept.
  const b = run(masks, cr(4, "mov-to", 0x20));
  assert.equal(b.d, "handled");
  assert.equal(b.f.h.vcpu.cr4, 0x2020, "VMXE kept while L2 thinks it is clear");
  const c = run(masks, cr(4, "mov-to", 0x2020, 1));
  expectExit(c.f, c.d, 28, 4 | (1 << 8), 3);
  // MOV from CR4 reads the shadow for owned bits.
  const r = run(masks, cr(4, "mov-from", 0, 2));
  assert.equal(r.d, "handled");
  assert.equal(r.f.h.vcpu.reg(2), 0x20);
  // CLTS: exits when TS is owned and the shadow has TS set.
  const t = run({ ...masks, CR0_READ_SHADOW: 0x80000039 }, cr(0, "clts"));
  expectExit(t.f, t.d, 28, 2 << 4, 3);
  const t2 = run(masks, cr(0, "clts"));
  assert.equal(t2.d, "handled");
  // LMSW setting PE while the shadow has PE clear exits, with the source data.
  const l = run({ ...masks, CR0_READ_SHADOW: 0x30 }, cr(0, "lmsw", 0x1));
  expectExit(l.f, l.d, 28, (3 << 4) | (1 << 16), 3);
});

Deno.test("MOV CR3 with the CR3-target list; CR3 store; CR8 load/store", () => {
  const cr = (c: 3 | 8, access: "mov-to" | "mov-from", value: number, gpr = 7): VmExit => ({
    ...base,
    kind: "cr",
    instructionLength: 3,
    cr: c,
    access,
    gpr,
    valueLo: value,
    valueHi: 0,
    lmswLinear: -1,
  });
  const load = {
    CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.CR3_LOAD_EXITING,
    CR3_TARGET_COUNT: 2,
    CR3_TARGET_VALUE0: 0x1000,
    CR3_TARGET_VALUE1: 0x2000,
    CR3_TARGET_VALUE2: 0x3000,
  };
  assert.equal(run(load, cr(3, "mov-to", 0x2000)).d, "pass");
  const x = run(load, cr(3, "mov-to", 0x3000));
  expectExit(x.f, x.d, 28, 3 | (7 << 8), 3);
  const s = run(
    { CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.CR3_STORE_EXITING },
    cr(3, "mov-from", 0, 1),
  );
  expectExit(s.f, s.d, 28, 3 | 16 | (1 << 8), 3);
  assert.equal(run({}, cr(3, "mov-from", 0)).d, "pass");
  const l8 = run(
    { CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.CR8_LOAD_EXITING },
    cr(8, "mov-to", 2, 0),
  );
  expectExit(l8.f, l8.d, 28, 8, 3);
  const s8 = run(
    { CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.CR8_STORE_EXITING },
    cr(8, "mov-from", 0, 9),
  );
  expectExit(s8.f, s8.d, 28, 8 | 16 | (9 << 8), 3);
});

Deno.test("MOV DR exiting", () => {
  const e: VmExit = { ...base, kind: "dr", instructionLength: 3, dr: 7, direction: "from", gpr: 4 };
  assert.equal(run({}, e).d, "pass");
  const x = run({ CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.MOV_DR_EXITING }, e);
  expectExit(x.f, x.d, 29, 7 | 16 | (4 << 8), 3);
});

Deno.test("descriptor-table exiting with instruction information", () => {
  const ops: VmxOperands = {
    mem: {
      offset: 0x20,
      linear: 0x20,
      segment: 2,
      addressSize: 32,
      base: 4,
      index: -1,
      scale: 0,
      displacement: 0x20,
    },
    rmReg: -1,
    regReg: -1,
    operandSize: 32,
  };
  const e: VmExit = {
    ...base,
    kind: "gdtr-idtr",
    instructionLength: 4,
    instruction: "lidt",
    operands: ops,
  };
  assert.equal(run({}, e).d, "pass");
  const x = run({
    CPU_BASED_VM_EXEC_CONTROL: SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.DESCRIPTOR_TABLE_EXITING,
  }, e);
  const info = (1 << 7) | (2 << 15) | (1 << 22) | (4 << 23) | (1 << 11) | (3 << 28);
  expectExit(x.f, x.d, 46, 0x20, 4, { VMX_INSTRUCTION_INFO: info >>> 0 });
  const reg: VmExit = {
    ...base,
    kind: "ldtr-tr",
    instructionLength: 3,
    instruction: "str",
    operands: { rmReg: 6, regReg: -1, operandSize: 32 },
  };
  const y = run({
    CPU_BASED_VM_EXEC_CONTROL: SEC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.DESCRIPTOR_TABLE_EXITING,
  }, reg);
  expectExit(y.f, y.d, 47, 0, 3, {
    VMX_INSTRUCTION_INFO: ((1 << 10) | (6 << 3) | (1 << 11) | (1 << 28)) >>> 0,
  });
});

Deno.test("VMX instructions in L2 always exit with qualification and instruction information", () => {
  const ops: VmxOperands = {
    mem: {
      offset: 0x40,
      linear: 0x40,
      segment: 3,
      addressSize: 64,
      base: 0,
      index: -1,
      scale: 0,
      displacement: -8,
    },
    rmReg: -1,
    regReg: -1,
    operandSize: 64,
  };
  const p = run({}, {
    ...base,
    kind: "vmx",
    instructionLength: 4,
    instruction: "vmptrld",
    operands: ops,
  });
  expectExit(p.f, p.d, 21, 2 ** 64 - 8, 4, {
    VMX_INSTRUCTION_INFO: ((2 << 7) | (3 << 15) | (1 << 22)) >>> 0,
  });
  const r = run({}, {
    ...base,
    kind: "vmx",
    instructionLength: 3,
    instruction: "vmread",
    operands: { rmReg: 1, regReg: 2, operandSize: 64 },
  });
  expectExit(r.f, r.d, 23, 0, 3, {
    VMX_INSTRUCTION_INFO: ((1 << 10) | (1 << 3) | (2 << 28)) >>> 0,
  });
  const c = run({}, {
    ...base,
    kind: "vmx",
    instructionLength: 3,
    instruction: "vmcall",
    operands: noOps,
  });
  expectExit(c.f, c.d, 18, 0, 3);
  for (const [insn, reason] of [["vmlaunch", 20], ["vmresume", 24], ["vmxoff", 26]] as const) {
    const x = run({}, {
      ...base,
      kind: "vmx",
      instructionLength: 3,
      instruction: insn,
      operands: noOps,
    });
    expectExit(x.f, x.d, reason, 0, 3);
  }
  assert.throws(
    () =>
      run({}, {
        ...base,
        kind: "vmx",
        instructionLength: 3,
        instruction: "vmfunc",
        operands: noOps,
      }),
    (e) => (e as { vector: number }).vector === 6,
  );
});

const exc = (
  vector: number,
  errorCode: number,
  type: "hardware" | "software-exception" | "software-interrupt" | "nmi" = "hardware",
  len = 0,
  fault = 0,
): VmExit => ({
  ...base,
  kind: "exception",
  instructionLength: len,
  vector,
  errorCode,
  type,
  faultAddress: fault,
});

Deno.test("exceptions by bitmap: #GP with error code, INT3 with length, INT n never", () => {
  const f1 = run({ EXCEPTION_BITMAP: 1 << 13 }, exc(13, 0x18));
  assert.equal(f1.d, "reflected");
  assert.equal(f1.f.get("VM_EXIT_REASON"), 0);
  assert.equal(f1.f.get("VM_EXIT_INTR_INFO"), (0x80000000 | 0x800 | (3 << 8) | 13) >>> 0);
  assert.equal(f1.f.get("VM_EXIT_INTR_ERROR_CODE"), 0x18);
  assert.equal(run({ EXCEPTION_BITMAP: 1 << 6 }, exc(13, 0)).d, "pass");
  const bp = run({ EXCEPTION_BITMAP: 1 << 3 }, exc(3, -1, "software-exception", 1));
  expectExit(bp.f, bp.d, 0, 0, 1, { VM_EXIT_INTR_INFO: (0x80000000 | (6 << 8) | 3) >>> 0 });
  assert.equal(
    run({ EXCEPTION_BITMAP: 0xffffffff }, exc(0x80, -1, "software-interrupt", 2)).d,
    "pass",
  );
});

Deno.test("#PF: bitmap bit with error-code mask/match, CR2 in the qualification", () => {
  const pf = exc(14, 0x3, "hardware", 0, 0x123456);
  // Bit 14 set: exit iff (ec & mask) == match.
  const a = run({
    EXCEPTION_BITMAP: 1 << 14,
    PAGE_FAULT_ERROR_CODE_MASK: 1,
    PAGE_FAULT_ERROR_CODE_MATCH: 1,
  }, pf);
  assert.equal(a.d, "reflected");
  assert.equal(a.f.get64("EXIT_QUALIFICATION"), 0x123456);
  assert.equal(
    run({
      EXCEPTION_BITMAP: 1 << 14,
      PAGE_FAULT_ERROR_CODE_MASK: 1,
      PAGE_FAULT_ERROR_CODE_MATCH: 0,
    }, pf).d,
    "pass",
  );
  // Bit 14 clear: exit iff they differ.
  assert.equal(
    run({ PAGE_FAULT_ERROR_CODE_MASK: 1, PAGE_FAULT_ERROR_CODE_MATCH: 0 }, pf).d,
    "reflected",
  );
  assert.equal(
    run({ PAGE_FAULT_ERROR_CODE_MASK: 0, PAGE_FAULT_ERROR_CODE_MATCH: 0 }, pf).d,
    "pass",
  );
});

Deno.test("NMI exiting; external-interrupt exiting with acknowledge-on-exit", () => {
  const nmiPin = { PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.NMI_EXITING };
  assert.equal(run({}, { ...base, kind: "nmi", instructionLength: 0 }).d, "pass");
  const n = run(nmiPin, { ...base, kind: "nmi", instructionLength: 0 });
  expectExit(n.f, n.d, 0, 0, 0, { VM_EXIT_INTR_INFO: (0x80000000 | (2 << 8) | 2) >>> 0 });
  assert.equal(n.f.h.vcpu.interruptibility & 8, 8, "NMI blocked after an NMI exit");
  const ext: VmExit = { ...base, kind: "external-interrupt", instructionLength: 0 };
  assert.equal(run({}, ext).d, "pass");
  const x = run(
    { PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING },
    ext,
  );
  expectExit(x.f, x.d, 1, 0, 0, { VM_EXIT_INTR_INFO: 0 });
  // Acknowledge on exit stores the vector.
  const f = entryFixture();
  f.set("PIN_BASED_VM_EXEC_CONTROL", CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING);
  f.set(
    "VM_EXIT_CONTROLS",
    CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE | EXIT.ACKNOWLEDGE_INTERRUPT_ON_EXIT,
  );
  f.launch();
  let acked = 0;
  f.h.vcpu.intSource = {
    hasInterrupt: () => true,
    acknowledge: () => {
      acked++;
      return 0x31;
    },
  };
  f.h.vcpu.rip = GUEST_RIP;
  assert.equal(offerL2(f.h, ext), "reflected");
  assert.equal(acked, 1);
  assert.equal(f.get("VM_EXIT_INTR_INFO"), (0x80000000 | 0x31) >>> 0);
});

Deno.test("interrupt window, NMI window, MTF, preemption-timer and triple-fault exits", () => {
  const w = run({ CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.INTERRUPT_WINDOW_EXITING }, {
    ...base,
    kind: "interrupt-window",
    instructionLength: 0,
  });
  expectExit(w.f, w.d, 7, 0, 0);
  const nw = run({
    PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.NMI_EXITING | PIN.VIRTUAL_NMIS,
    CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.NMI_WINDOW_EXITING,
  }, { ...base, kind: "nmi-window", instructionLength: 0 });
  expectExit(nw.f, nw.d, 8, 0, 0);
  const m = run({ CPU_BASED_VM_EXEC_CONTROL: PROC0 | PROC.MONITOR_TRAP_FLAG }, {
    ...base,
    kind: "monitor-trap",
    instructionLength: 0,
  });
  expectExit(m.f, m.d, 37, 0, 0);
  const t = run({}, { ...base, kind: "triple-fault", instructionLength: 0 });
  expectExit(t.f, t.d, 2, 0, 0);
  assert.equal(run({}, { ...base, kind: "interrupt-window", instructionLength: 0 }).d, "pass");
});

Deno.test("preemption timer on the virtual clock: exit 52 and the saved value", () => {
  const f = entryFixture();
  f.set("PIN_BASED_VM_EXEC_CONTROL", CAPS.pin.must1 | PIN.PREEMPTION_TIMER);
  f.set(
    "VM_EXIT_CONTROLS",
    CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE | EXIT.SAVE_PREEMPTION_TIMER,
  );
  f.set("VMX_PREEMPTION_TIMER_VALUE", 100);
  f.launch();
  const clock = f.n.clock!;
  const start = clock.now;
  clock.advanceTo(start + 100 * 32 - 1);
  assert.equal(f.h.vcpu.nonRoot, true);
  clock.advanceTo(start + 100 * 32);
  assert.equal(f.h.vcpu.nonRoot, false);
  assert.equal(f.get("VM_EXIT_REASON"), 52);
  assert.equal(f.get("VMX_PREEMPTION_TIMER_VALUE"), 0);
  // An earlier exit saves the remaining value.
  f.set("VMX_PREEMPTION_TIMER_VALUE", 100);
  f.launch(true);
  clock.advanceTo(clock.now + 32 * 40);
  f.h.vcpu.rip = GUEST_RIP + 2;
  offerL2(f.h, l2Cpuid());
  assert.equal(f.get("VMX_PREEMPTION_TIMER_VALUE"), 60);
  assert.equal(clock.pending, 0, "timer cancelled at exit");
});

Deno.test("guest state saved at exit and restored by VMRESUME (registers, segments, CRs)", () => {
  const f = entryFixture();
  f.launch();
  const v = f.h.vcpu;
  v.setReg(4, 0x777000);
  v.rflags = 0x246;
  v.cr3 = 0x99000;
  v.seg[4].base = 0x12340000;
  v.rip = 0x600002;
  offerL2(f.h, l2Cpuid());
  assert.equal(f.get64("GUEST_RSP"), 0x777000);
  assert.equal(f.get64("GUEST_RFLAGS"), 0x246);
  assert.equal(f.get64("GUEST_CR3"), 0x99000);
  assert.equal(f.get64("GUEST_FS_BASE"), 0x12340000);
  assert.equal(f.get64("GUEST_RIP"), 0x600000);
  assert.equal(v.cr3, 0x30000, "host CR3");
  assert.equal(v.seg[6].attrs & 0x10000, 0x10000, "LDTR unusable after exit");
  // L1 advances the guest RIP and resumes.
  f.set("GUEST_RIP", 0x600002);
  assert.deepEqual(f.launch(true), { kind: "reflected" });
  assert.equal(v.rip, 0x600002);
  assert.equal(v.reg(4), 0x777000);
  assert.equal(v.rflags, 0x246);
  assert.equal(v.seg[4].base, 0x12340000);
});

Deno.test("IDT-vectoring information when an exit interrupts delivery of the injected event", () => {
  const f = entryFixture();
  f.set("EXCEPTION_BITMAP", 1 << 14);
  f.set("VM_ENTRY_INTR_INFO", 0x80000b0d); // #GP with error code
  f.set("VM_ENTRY_EXCEPTION_ERROR_CODE", 0);
  f.launch();
  offerL2(f.h, exc(14, 0, "hardware", 0, 0x5000));
  assert.equal(f.get("IDT_VECTORING_INFO"), 0x80000b0d);
  assert.equal(f.get("IDT_VECTORING_ERROR_CODE"), 0);
});

Deno.test("snapshot of part 2 while L2 runs: restored session keeps hook, TSC offset and timer", () => {
  const f = entryFixture();
  f.set("PIN_BASED_VM_EXEC_CONTROL", CAPS.pin.must1 | PIN.PREEMPTION_TIMER);
  f.set("VMX_PREEMPTION_TIMER_VALUE", 10);
  f.launch();
  const saved = f.h.plugin.saveState!();
  const g = entryFixture();
  // Same RAM contents (vmcs12 lives there) and the same current VMCS.
  g.h.memory.writeBytes(0, f.h.memory.readBytes(0, 0x30000));
  g.h.plugin.loadState!(saved);
  assert.equal(g.h.vcpu.nonRoot, true);
  assert.equal(g.n.inL2, true);
  assert.equal(g.n.clock!.pending, 1, "preemption timer re-armed");
  g.n.clock!.advanceTo(g.n.clock!.now + 10 * 32);
  assert.equal(g.h.vcpu.nonRoot, false);
  assert.equal(g.get("VM_EXIT_REASON"), 52);
});

Deno.test("snapshot while L2 runs with TSC offsetting and scaling: the CPU keeps the processor's TSC, older snapshots are converted", () => {
  const f = entryFixture();
  f.set(
    "CPU_BASED_VM_EXEC_CONTROL",
    f.get("CPU_BASED_VM_EXEC_CONTROL") | PROC.USE_TSC_OFFSETTING | PROC.ACTIVATE_SECONDARY_CONTROLS,
  );
  f.set("SECONDARY_VM_EXEC_CONTROL", PROC2.USE_TSC_SCALING);
  f.set("TSC_OFFSET", 7000);
  f.set("TSC_MULTIPLIER", [0x89abcdef, 0x1234]);
  f.h.vcpu.tscOffset = 300; // the processor's TSC, L1's
  f.launch();
  assert.equal(f.h.vcpu.tscOffset, 300, "VM entry leaves the processor's TSC alone");
  assert.equal(f.h.vcpu.nonRootTscOffset, 7000);
  assert.equal(f.h.vcpu.nonRootTscMultiplier, 0x123489abcdefn);
  const saved = f.h.plugin.saveState!();
  const restore = (state: PluginState, cpuTscOffset: number) => {
    const g = entryFixture();
    g.h.memory.writeBytes(0, f.h.memory.readBytes(0, 0x30000));
    g.h.vcpu.tscOffset = cpuTscOffset; // the CPU's state is restored first
    g.h.plugin.loadState!(state);
    return g.h.vcpu;
  };
  const now = restore(saved, 300);
  assert.deepEqual([now.tscOffset, now.nonRootTscOffset], [300, 7000]);
  assert.equal(now.nonRootTscMultiplier, 0x123489abcdefn);
  // Before, the CPU's saved offset had L2's folded in and the flag is absent.
  const data = saved.data as { nested: Record<string, unknown> };
  assert.equal(data.nested.tscOffsetApart, true);
  const { tscOffsetApart: _, ...olderNested } = data.nested;
  const old = restore({ ...saved, data: { ...data, nested: olderNested } }, 7300);
  assert.deepEqual([old.tscOffset, old.nonRootTscOffset], [300, 7000]);
});

Deno.test("VM-exit MSR-store list (IA32_TSC without L2's offset) and MSR-load list", () => {
  const f = entryFixture();
  const v = f.h.vcpu;
  const mem = f.h.memory;
  v.msrs.set(0x277, 0x0007040600070406n);
  mem.write(0x6000, 4, 0x10); // IA32_TSC
  mem.write(0x6010, 4, 0x277); // PAT
  mem.write(0x7000, 4, 0x277);
  mem.write(0x7008, 4, 0x06060606);
  f.set("VM_EXIT_MSR_STORE_COUNT", 2);
  f.set("VM_EXIT_MSR_STORE_ADDR", 0x6000);
  f.set("VM_EXIT_MSR_LOAD_COUNT", 1);
  f.set("VM_EXIT_MSR_LOAD_ADDR", 0x7000);
  f.set("CPU_BASED_VM_EXEC_CONTROL", f.get("CPU_BASED_VM_EXEC_CONTROL") | PROC.USE_TSC_OFFSETTING);
  f.set("TSC_OFFSET", 5000);
  f.launch();
  assert.equal(v.nonRootTscOffset, 5000, "L2 runs with its TSC offset");
  v.retired = 1234;
  offerL2(f.h, l2Cpuid());
  assert.equal(v.nonRoot, false);
  assert.equal(v.nonRootTscOffset, 0, "the exit takes it away");
  assert.equal(mem.read(0x6008, 4), 1234, "TSC stored");
  assert.equal(mem.read(0x6018, 4), 0x00070406, "PAT stored (low)");
  assert.equal(mem.read(0x601c, 4), 0x00070406, "PAT stored (high)");
  assert.equal(v.msrs.get(0x277), 0x06060606n, "host MSR-load list applied");
});

Deno.test("VMX abort: a failing VM-exit MSR-load entry writes abort indicator 4 and shuts down", () => {
  const f = entryFixture();
  const mem = f.h.memory;
  mem.write(0x7000, 4, 0xc0000100); // FS_BASE may not be loaded from a list
  f.set("VM_EXIT_MSR_LOAD_COUNT", 1);
  f.set("VM_EXIT_MSR_LOAD_ADDR", 0x7000);
  f.launch();
  const v = f.h.vcpu;
  offerL2(f.h, l2Cpuid());
  assert.equal(f.vmcs.abortIndicator, 4);
  assert.equal(v.activity, "shutdown");
  assert.equal(v.nonRoot, false);
});

Deno.test("VMX abort: MSR-store failure (1) and host PDPTE failure (2)", () => {
  const f = entryFixture();
  f.h.memory.write(0x6000, 4, 0x12345); // not an MSR the CPU implements
  f.set("VM_EXIT_MSR_STORE_COUNT", 1);
  f.set("VM_EXIT_MSR_STORE_ADDR", 0x6000);
  f.launch();
  offerL2(f.h, l2Cpuid());
  assert.equal(f.vmcs.abortIndicator, 1);
  assert.equal(f.h.vcpu.activity, "shutdown");
  // A 32-bit PAE host whose PDPT has a reserved bit set.
  const g = entryFixture();
  g.h.vcpu.efer = 0;
  g.set("VM_EXIT_CONTROLS", CAPS.exit.must1);
  g.set("VM_ENTRY_CONTROLS", CAPS.entry.must1);
  g.set("GUEST_CS_AR_BYTES", 0xc09b);
  g.set("GUEST_RIP", 0x1000);
  g.set("GUEST_CR3", 0x50000);
  g.set("HOST_CR3", 0x51000);
  g.h.memory.write(0x51000, 4, 0x60001 | 0x4);
  assert.deepEqual(g.launch(), { kind: "reflected" });
  assert.equal(g.h.vcpu.nonRoot, true);
  offerL2(g.h, l2Cpuid());
  assert.equal(g.vmcs.abortIndicator, 2);
  assert.equal(g.h.vcpu.activity, "shutdown");
});

Deno.test("INIT and SIPI in non-root operation exit unconditionally (reasons 3 and 4, SIPI vector as qualification)", () => {
  const i = run({}, { ...base, kind: "init-signal", instructionLength: 0 });
  expectExit(i.f, i.d, 3, 0, 0);
  const s = run({}, { ...base, kind: "sipi", vector: 0x9a, instructionLength: 0 } as VmExit);
  expectExit(s.f, s.d, 4, 0x9a, 0);
});

Deno.test("XSAVES/XRSTORS: #UD without the enable control; exit 63/64 only by EDX:EAX & XSS & bitmap", () => {
  const ops: VmxOperands = {
    mem: {
      offset: 0x40,
      linear: 0x40,
      segment: 3,
      addressSize: 64,
      base: 3,
      index: -1,
      scale: 0,
      displacement: 0x40,
    },
    rmReg: -1,
    regReg: 5,
    operandSize: 64,
  };
  const xs = (kind: "xsaves" | "xrstors", lo: number, hi: number): VmExit => ({
    ...base,
    kind,
    instructionLength: 4,
    requestedLo: lo,
    requestedHi: hi,
    operands: ops,
  });
  for (const kind of ["xsaves", "xrstors"] as const) {
    assert.throws(
      () =>
        run(
          { CPU_BASED_VM_EXEC_CONTROL: SEC, XSS_EXIT_BITMAP: [-1 >>> 0, -1 >>> 0] },
          xs(kind, 1, 0),
        ),
      (e) => (e as { vector: number }).vector === 6,
    );
    const on = {
      CPU_BASED_VM_EXEC_CONTROL: SEC,
      SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_XSAVES_XRSTORS,
    };
    // Nothing requested in IA32_XSS, or no bitmap bit for it: L2 runs it.
    assert.equal(run({ ...on, XSS_EXIT_BITMAP: [-1 >>> 0, -1 >>> 0] }, xs(kind, 0, 0)).d, "pass");
    assert.equal(run({ ...on, XSS_EXIT_BITMAP: [0xfffe, 0] }, xs(kind, 1, 0)).d, "pass");
    const r = run({ ...on, XSS_EXIT_BITMAP: [0, 0x10] }, xs(kind, 0, 0x10));
    const info = (2 << 7) | (3 << 15) | (1 << 22) | (3 << 23); // no reg2 field in this format
    expectExit(r.f, r.d, kind === "xsaves" ? 63 : 64, 0x40, 4, { VMX_INSTRUCTION_INFO: info });
  }
});

Deno.test("task switches always exit (reason 9): TSS selector and source in the qualification", () => {
  for (const [source, code] of [["call", 0], ["iret", 1], ["jmp", 2]] as const) {
    const len = source === "iret" ? 1 : 7;
    const { f, d } = run({}, {
      ...base,
      kind: "task-switch",
      instructionLength: len,
      selector: 0x58,
      source,
    });
    expectExit(f, d, 9, (0x58 | (code << 30)) >>> 0, len);
    assert.equal(f.get("IDT_VECTORING_INFO"), 0, source);
  }
});
