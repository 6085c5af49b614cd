/**
 * EPT-violation #VE on the real CPU engine, driven by the mini L1 of
 * `entry/testing_cpu.ts`: L2 reads a page its EPT does not map, and with
 * "EPT-violation #VE" the violation becomes a #VE that L2's own handler
 * takes (reading the virtualization-exception information area), unless
 * the SDM says it stays a VM exit. L2 code assembled with GNU as (source
 * in the comments).
 */
import assert from "node:assert/strict";
import { MINI, type MiniOptions, runMini } from "../entry/testing_cpu.ts";
import { CAPS } from "../entry/check_controls.ts";
import { PROC, PROC2 } from "../controls.ts";
import { fieldOffset } from "../vmcs12/layout.ts";
import { F } from "../vmcs12/fields.ts";
import { VE_AREA } from "./virtualization_exception.ts";

const VMCALL = 18;
const EPT_VIOLATION = 48;
const EPT_MISCONFIG = 49;

/** EPT tables: PML4, PDPT, PD (2 MiB page above 2 MiB), PT (4 KiB pages below). */
const PML4 = 0x300000, PDPT = 0x301000, PD = 0x302000, PT = 0x303000, LIST = 0x304000;
const EPTP = PML4 | 0x1e; // WB, 4-level walk, no A/D
const WB_RWX = 0x37;
/** The page L2 touches (GPA 0x180000) and the address it reads there. */
const PAGE = 0x180000, TOUCHED = 0x180010;
/** The virtualization-exception information area (L1 physical). */
const VE = 0x190000;
/** VMCS region of the mini L1. */
const VMCS = 0x121000;
/** Offset of L2's #VE (and #NP) handler in its code. */
const HANDLER = 0x40;

// The handler, at l2Code + 0x40 (GNU as, .intel_syntax noprefix, .code64):
//   mov rax, [rsp]            /* the RIP the #VE pushed (no error code under it) */
//   mov [0x170000], rax
//   mov rax, [rsp + 16]       /* the RFLAGS it pushed */
//   mov [0x170008], rax
//   mov rsi, 0x190000         /* copy the VE information area (40 bytes) */
//   mov rdi, 0x170010
//   mov ecx, 5
//   rep movsq
//   vmcall
const HANDLER_CODE = "488b04244889042500001700488b442410488904250800170048c7c600001900" +
  "48c7c710001700b905000000f348a50f01c1";

/** `code` (hex) padded to the handler, then the handler. */
function withHandler(code: string): string {
  return code.padEnd(HANDLER * 2, "0") + HANDLER_CODE;
}

// mov eax, dword ptr [0x180010]; ud2
const TOUCH = withHandler("8b042510001800" + "0f0b");

function put64(m: { memory: { write(a: number, n: 4, v: number): void } }, a: number, v: number) {
  m.memory.write(a, 4, v >>> 0);
  m.memory.write(a + 4, 4, Math.floor(v / 0x100000000) >>> 0);
}

/** EPT at PML4 mapping the first 4 MiB one to one: 4 KiB pages below 2 MiB, one 2 MiB page above. */
function identityEpt(m: { memory: { write(a: number, n: 4, v: number): void } }) {
  put64(m, PML4, PDPT | 7);
  put64(m, PDPT, PD | 7);
  put64(m, PD, PT | 7);
  put64(m, PD + 8, 0x200000 | WB_RWX | 0x80);
  for (let i = 0; i < 512; i++) put64(m, PT + 8 * i, (i * 0x1000) | WB_RWX);
}

/** An interrupt gate for vector `vec` of L2's IDT to the handler (`present` false: P = 0). */
function gate(
  m: { memory: { write(a: number, n: 4, v: number): void } },
  vec: number,
  present = true,
) {
  const target = MINI.l2Code + HANDLER;
  const a = MINI.l2Idt + vec * 16;
  m.memory.write(a, 4, (target & 0xffff) | (0x08 << 16));
  m.memory.write(a + 4, 4, ((target & 0xffff0000) | (present ? 0x8e00 : 0x0e00)) >>> 0);
  m.memory.write(a + 8, 4, 0);
  m.memory.write(a + 12, 4, 0);
}

interface Case {
  /** The EPT PTE of the touched page, low and high halves. */
  readonly pte: readonly [number, number];
  /** Secondary controls beyond EPT (default: EPT-violation #VE). */
  readonly proc2?: number;
  /** Extra fields. */
  readonly fields?: MiniOptions["fields"];
  /** L2 code (default {@link TOUCH}). */
  readonly l2?: string;
  /** The semaphore's initial value. */
  readonly semaphore?: number;
  /** Extra setup. */
  readonly setup?: MiniOptions["setup"];
  /** Stop after this many exits. */
  readonly maxExits?: number;
}

/**
 * Run L2 under an identity EPT over the 4 MiB of RAM (4 KiB pages below
 * 2 MiB), the touched page's PTE as the case says, #VE gate 20 in L2's IDT.
 */
function run(c: Case) {
  return runMini({
    l2: c.l2 ?? TOUCH,
    maxExits: c.maxExits ?? 4,
    fields: {
      CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS,
      SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_EPT | (c.proc2 ?? PROC2.EPT_VIOLATION_VE),
      EPT_POINTER: EPTP,
      VE_INFO_ADDRESS: VE,
      EPTP_INDEX: 7,
      GUEST_IDTR_BASE: MINI.l2Idt,
      GUEST_IDTR_LIMIT: 0xfff,
      ...c.fields,
    },
    setup: (m) => {
      identityEpt(m);
      m.memory.write(PT + 8 * (PAGE >>> 12), 4, c.pte[0]);
      m.memory.write(PT + 8 * (PAGE >>> 12) + 4, 4, c.pte[1]);
      gate(m, 20);
      m.memory.write(VE + VE_AREA.SEMAPHORE, 4, c.semaphore ?? 0);
      c.setup?.(m);
    },
  });
}

type Run = ReturnType<typeof run>;

/** A 64-bit value of L1 memory. */
function q(r: Run, a: number): number {
  return r.m.memory.read(a, 4) + r.m.memory.read(a + 4, 4) * 0x100000000;
}

/** The VE information area as L1 memory holds it. */
function area(r: Run) {
  return {
    reason: r.m.memory.read(VE + VE_AREA.REASON, 4),
    semaphore: r.m.memory.read(VE + VE_AREA.SEMAPHORE, 4),
    qualification: q(r, VE + VE_AREA.QUALIFICATION),
    linear: q(r, VE + VE_AREA.LINEAR),
    gpa: q(r, VE + VE_AREA.GPA),
    eptpIndex: r.m.memory.read(VE + VE_AREA.EPTP_INDEX, 2),
  };
}

/** Read, linear address valid, translation of it; no permission (not present). */
const READ_QUAL = 0x181;

/** The area a #VE for L2's read of TOUCHED writes (EPTP index 7, as the cases set it). */
const READ_AREA = Object.freeze({
  reason: EPT_VIOLATION,
  semaphore: 0xffffffff,
  qualification: READ_QUAL,
  linear: TOUCHED,
  gpa: TOUCHED,
  eptpIndex: 7,
});

Deno.test("real CPU #VE: a convertible EPT violation is a #VE that L2's handler takes; the area holds the exit's information", () => {
  const r = run({ pte: [0, 0] });
  assert.equal(r.status, 1);
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL], "no VM exit for the violation");
  // What L2's handler saw: the faulting instruction's RIP right under the
  // RIP slot (no error code), RF set in the pushed RFLAGS (a fault).
  assert.equal(q(r, MINI.l2Data), MINI.l2Code, "pushed RIP: the faulting MOV");
  assert.equal(q(r, MINI.l2Data + 8), 0x10002, "pushed RFLAGS: RF | bit 1");
  // The area, as L2 read it (copied by its handler) and as L1 memory holds it.
  const seen = {
    reason: r.m.memory.read(MINI.l2Data + 16, 4),
    semaphore: r.m.memory.read(MINI.l2Data + 20, 4),
    qualification: q(r, MINI.l2Data + 24),
    linear: q(r, MINI.l2Data + 32),
    gpa: q(r, MINI.l2Data + 40),
    eptpIndex: r.m.memory.read(MINI.l2Data + 48, 2),
  };
  assert.deepEqual(seen, READ_AREA);
  assert.deepEqual(area(r), READ_AREA);
  r.m.dispose();
});

/** The demand-paging #VE handler of the next tests (source there), for l2Code + 0x40. */
const DEMAND_HANDLER =
  "488b042518001900482500f0ffff4883c8374889c348c1e80c48891cc500303000c704250400190000000000" +
  "48ff04250800170048cf";

Deno.test("real CPU #VE: L2's handler maps the page the area names, re-arms the semaphore and IRETs: demand paging without VM exits", () => {
  // mov eax, [0x180010]; mov [0x170000], eax; mov eax, [0x181010];
  // mov [0x170004], eax; vmcall
  // .org 0x40 (the #VE handler)
  // mov rax, [0x190018]           /* the guest-physical address */
  // and rax, -4096; or rax, 0x37  /* identity PTE: RWX, WB */
  // mov rbx, rax; shr rax, 12
  // mov qword ptr [0x303000 + rax * 8], rbx   /* L1's EPT PT, mapped in L2 */
  // mov dword ptr [0x190004], 0   /* the semaphore: another #VE may come */
  // inc qword ptr [0x170008]
  // iretq
  const l2 = "8b042510001800890425000017008b042510101800890425040017000f01c1".padEnd(0x80, "0") +
    DEMAND_HANDLER;
  const r = run({
    pte: [0, 0],
    l2,
    setup: (m) => {
      put64(m, PT + 8 * 0x181, 0);
      m.memory.write(TOUCHED, 4, 0xaaaa5555);
      m.memory.write(TOUCHED + 0x1000, 4, 0x12345678);
    },
  });
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL]);
  assert.equal(r.m.memory.read(MINI.l2Data, 4), 0xaaaa5555);
  assert.equal(r.m.memory.read(MINI.l2Data + 4, 4), 0x12345678);
  assert.equal(q(r, MINI.l2Data + 8), 2, "two #VEs");
  assert.equal(area(r).gpa, TOUCHED + 0x1000, "the second one's address");
  assert.equal(area(r).semaphore, 0, "re-armed by the handler");
  r.m.dispose();
});

Deno.test("real CPU #VE: #VEs raised from compiled blocks (hot loop, block compiler) match the interpreter's", () => {
  // mov rsi, 0x180010; xor edx, edx
  // 1: add edx, dword ptr [rsi]; add rsi, 0x100; cmp rsi, 0x190010; jb 1b
  // (16 reads a page: the first of each is a #VE from inside the hot loop)
  // mov dword ptr [0x170000], edx; vmcall
  // and the demand-paging handler of the test above at 0x40.
  const loop = "48c7c61000180031d203164881c6000100004881fe10001900" + "72ee891425000017000f01c1";
  const l2 = loop.padEnd(0x80, "0") + DEMAND_HANDLER;
  const pages = 16; // 0x180000-0x18f000, below the VE area
  const outcome = (jitHot: number) => {
    const r = runMini({
      l2,
      jitHot,
      maxExits: 4,
      fields: {
        CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS,
        SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_EPT | PROC2.EPT_VIOLATION_VE,
        EPT_POINTER: EPTP,
        VE_INFO_ADDRESS: VE,
        GUEST_IDTR_BASE: MINI.l2Idt,
        GUEST_IDTR_LIMIT: 0xfff,
      },
      setup: (m) => {
        identityEpt(m);
        for (let i = 0; i < pages; i++) {
          put64(m, PT + 8 * (0x180 + i), 0);
          for (let j = 0; j < 16; j++) m.memory.write(TOUCHED + i * 0x1000 + j * 0x100, 4, i + j);
        }
        gate(m, 20);
      },
    });
    const out = {
      exits: r.exits.map((e) => e.reason),
      sum: r.m.memory.read(MINI.l2Data, 4),
      ves: q(r, MINI.l2Data + 8),
      gpa: area(r).gpa,
      rsi: r.m.cpu.gpr[12] + r.m.cpu.gpr[13] * 0x100000000,
      retired: r.m.retired,
    };
    const inBlocks = r.m.cpu.jit?.compiledRetired ?? 0;
    r.m.dispose();
    return { out, inBlocks };
  };
  const { out: compiled, inBlocks } = outcome(1);
  const { out: interpreted, inBlocks: none } = outcome(1e9);
  assert.ok(inBlocks > 100, `${inBlocks} instructions retired in compiled blocks`);
  assert.equal(none, 0);
  let sum = 0;
  for (let i = 0; i < pages; i++) for (let j = 0; j < 16; j++) sum += i + j;
  assert.deepEqual(compiled.exits, [VMCALL]);
  assert.equal(compiled.sum, sum);
  assert.equal(compiled.ves, pages);
  assert.equal(
    compiled.gpa,
    TOUCHED + (pages - 1) * 0x1000,
    "the last #VE: first read of the last page",
  );
  assert.deepEqual(compiled, interpreted);
});

Deno.test("real CPU #VE: a present entry that forbids the access converts too, with its permissions in the qualification", () => {
  // Execute-only PTE: the read violates at the leaf (bit 63 clear).
  const r = run({ pte: [PAGE | 0x34, 0] });
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL]);
  assert.equal(area(r).qualification, 0x181 | 0x20, "bit 5: executable");
  r.m.dispose();
});

Deno.test("real CPU #VE: suppress #VE (bit 63) in the not-present entry or in the leaf keeps the VM exit", () => {
  for (const pte of [[0, 0x80000000], [PAGE | 0x34, 0x80000000]] as const) {
    const r = run({ pte, maxExits: 1 });
    assert.deepEqual(r.exits.map((e) => e.reason), [EPT_VIOLATION]);
    assert.equal(r.exits[0].gpa, TOUCHED);
    assert.equal(r.exits[0].rip, MINI.l2Code);
    assert.equal(area(r).semaphore, 0, "nothing written");
    assert.equal(area(r).reason, 0);
    r.m.dispose();
  }
});

Deno.test("real CPU #VE: bit 63 of a non-leaf entry does not suppress", () => {
  const r = run({
    pte: [0, 0],
    setup: (m) => m.memory.write(PD + 4, 4, 0x80000000), // the PDE over the page
  });
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL]);
  r.m.dispose();
});

Deno.test("real CPU #VE: a semaphore already FFFFFFFFH keeps the VM exit (and the area unchanged)", () => {
  const r = run({ pte: [0, 0], semaphore: 0xffffffff, maxExits: 1 });
  assert.deepEqual(r.exits.map((e) => e.reason), [EPT_VIOLATION]);
  assert.equal(r.exits[0].qual, READ_QUAL);
  assert.equal(area(r).reason, 0, "not written");
  r.m.dispose();
});

Deno.test("real CPU #VE: without the control the violation is a VM exit", () => {
  const r = run({ pte: [0, 0], proc2: 0, maxExits: 1 });
  assert.deepEqual(r.exits.map((e) => e.reason), [EPT_VIOLATION]);
  assert.equal(area(r).semaphore, 0);
  r.m.dispose();
});

Deno.test("real CPU #VE: exception-bitmap bit 20 makes the #VE a VM exit (reason 0, vector 20); the area is written first", () => {
  // L1 resumes L2 at the MOV: the semaphore is now set, so the next
  // violation is an EPT-violation VM exit.
  const r = run({ pte: [0, 0], fields: { EXCEPTION_BITMAP: 1 << 20 }, maxExits: 2 });
  assert.deepEqual(r.exits.map((e) => e.reason), [0, EPT_VIOLATION]);
  assert.equal(
    r.exits[0].intrInfo,
    0x80000314,
    "valid, hardware exception, no error code, vector 20",
  );
  assert.equal(r.exits[0].rip, MINI.l2Code);
  assert.equal(r.exits[0].qual, 0);
  assert.equal(r.exits[1].qual, READ_QUAL);
  assert.equal(area(r).semaphore, 0xffffffff);
  assert.equal(area(r).qualification, READ_QUAL);
  r.m.dispose();
});

Deno.test("real CPU #VE: an EPT misconfiguration is never converted", () => {
  // Write-only (bits 2:0 = 010b) is a misconfiguration.
  const r = run({ pte: [PAGE | 0x32, 0], maxExits: 1 });
  assert.deepEqual(r.exits.map((e) => e.reason), [EPT_MISCONFIG]);
  assert.equal(r.exits[0].gpa, TOUCHED);
  assert.equal(area(r).semaphore, 0);
  r.m.dispose();
});

Deno.test("real CPU #VE: a violation during event delivery is a VM exit with IDT-vectoring information", () => {
  // ud2, with L2's IDT in the not-present page: delivering the #UD reads
  // its gate there.
  const r = run({
    pte: [0, 0],
    l2: withHandler("0f0b"),
    fields: { GUEST_IDTR_BASE: PAGE },
    maxExits: 1,
  });
  assert.deepEqual(r.exits.map((e) => e.reason), [EPT_VIOLATION]);
  assert.equal(r.exits[0].gpa, PAGE + 6 * 16);
  r.m.savePluginStates(); // write the cached VMCS back
  assert.equal(r.m.memory.read(VMCS + fieldOffset(F.IDT_VECTORING_INFO), 4), 0x80000306);
  assert.equal(area(r).semaphore, 0);
  r.m.dispose();
});

Deno.test("real CPU #VE: a VM exit while delivering the #VE reports it in the IDT-vectoring information", () => {
  // L2's IDT is in the page it touches: the #VE's gate read violates too,
  // during event delivery, so that one is a VM exit.
  const r = run({ pte: [0, 0], fields: { GUEST_IDTR_BASE: PAGE }, maxExits: 1 });
  assert.deepEqual(r.exits.map((e) => e.reason), [EPT_VIOLATION]);
  assert.equal(r.exits[0].gpa, PAGE + 20 * 16, "the #VE gate");
  assert.equal(r.exits[0].rip, MINI.l2Code);
  r.m.savePluginStates();
  assert.equal(
    r.m.memory.read(VMCS + fieldOffset(F.IDT_VECTORING_INFO), 4),
    0x80000314,
    "hardware exception 20, no error code",
  );
  assert.deepEqual(area(r), READ_AREA);
  r.m.dispose();
});

Deno.test("real CPU #VE: a contributory fault delivering #VE is a double fault (#VE has #PF's severity)", () => {
  // Gate 20 not present: #NP while delivering the #VE. Gate 11 (#NP) leads to
  // the handler, so a benign #VE would end in VMCALL; #DF is intercepted.
  const r = run({
    pte: [0, 0],
    fields: { EXCEPTION_BITMAP: 1 << 8 },
    setup: (m) => {
      gate(m, 20, false);
      gate(m, 11);
    },
    maxExits: 1,
  });
  assert.deepEqual(r.exits.map((e) => [e.reason, e.intrInfo]), [[0, 0x80000b08]]);
  r.m.dispose();
});

Deno.test("real CPU #VE: VMFUNC EPTP switching sets the EPTP index (the area reports it), with the control 0 too", () => {
  // xor eax, eax; mov ecx, 1; vmfunc; mov eax, dword ptr [0x180010]; ud2
  // (EPTP list: the same EPT twice.)
  const r = run({
    pte: [0, 0],
    l2: withHandler("31c0b9010000000f01d48b0425100018000f0b"),
    proc2: PROC2.EPT_VIOLATION_VE | PROC2.ENABLE_VM_FUNCTIONS,
    fields: { VM_FUNCTION_CONTROL: 1, EPTP_LIST_ADDRESS: LIST },
    setup: (m) => {
      put64(m, LIST, EPTP);
      put64(m, LIST + 8, EPTP);
    },
  });
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL]);
  assert.equal(area(r).eptpIndex, 1);
  assert.equal(q(r, MINI.l2Data), MINI.l2Code + 10, "the MOV after the VMFUNC");
  r.m.savePluginStates();
  assert.equal(r.m.memory.read(VMCS + fieldOffset(F.EPTP_INDEX), 2), 1, "vmcs12's EPTP index");
  r.m.dispose();
  // The pseudocode of EPTP switching (SDM Vol. 3C 26.5.6.3) writes the index
  // whenever the processor supports the #VE control, whatever its setting.
  const off = run({
    pte: [0, 0],
    l2: withHandler("31c0b9010000000f01d48b0425100018000f0b"),
    proc2: PROC2.ENABLE_VM_FUNCTIONS,
    fields: { VM_FUNCTION_CONTROL: 1, EPTP_LIST_ADDRESS: LIST },
    setup: (m) => {
      put64(m, LIST, EPTP);
      put64(m, LIST + 8, EPTP);
    },
    maxExits: 1,
  });
  assert.deepEqual(off.exits.map((e) => e.reason), [EPT_VIOLATION]);
  off.m.savePluginStates();
  assert.equal(off.m.memory.read(VMCS + fieldOffset(F.EPTP_INDEX), 2), 1);
  off.m.dispose();
});

Deno.test("real CPU #VE: VM entry checks the VE-information address (page-aligned, within MAXPHYADDR): VMfail 7", () => {
  for (const addr of [VE + 8, 2 ** 51 + VE]) {
    const r = run({ pte: [0, 0], fields: { VE_INFO_ADDRESS: addr } });
    assert.equal(r.status, 3, "VMLAUNCH failed");
    assert.equal(r.error, 7, "invalid control fields");
    r.m.dispose();
  }
  // Not checked without the control.
  const r = run({ pte: [0, 0], proc2: 0, fields: { VE_INFO_ADDRESS: VE + 8 }, maxExits: 1 });
  assert.deepEqual(r.exits.map((e) => e.reason), [EPT_VIOLATION]);
  r.m.dispose();
});
