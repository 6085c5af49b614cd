/**
 * APIC-access VM exits on the real CPU engine, one test per access type of
 * the exit qualification (SDM Vol. 3C 28.2.1, Table "Exit Qualification
 * for APIC-Access VM Exits": 0 linear read, 1 linear write, 2 linear
 * instruction fetch, 3 linear access during event delivery, 10
 * guest-physical access during event delivery, 15 guest-physical access
 * for an instruction fetch or during instruction execution), their
 * priority (29.4.1, 29.4.6.1), the accesses that are not virtualized
 * (29.4.2, 29.4.3.1) and NMI blocking across an IRET they interrupt
 * (28.1, 28.2.3). L2 runs under the mini L1 of `entry/testing_cpu.ts`;
 * snippets assembled with GNU as (Intel syntax; source in each comment).
 */
import assert from "node:assert/strict";
import { PIN, PROC, PROC2 } from "../controls.ts";
import { CAPS } from "../entry/check_controls.ts";
import { MINI, runMini } from "../entry/testing_cpu.ts";
import { fieldOffset } from "../vmcs12/layout.ts";
import { F } from "../vmcs12/fields.ts";
import { VMX_STATS } from "../stats.ts";
import type { PcMachine } from "../../plugins/pc_machine.ts";

const VAPIC = 0x180000;
const ACCESS = 0x190000;
const VMCS = 0x121000;
const VMCALL = 18;
/** EPT tables: PML4, PDPT, PD, and a PT for the first 2 MiB (4-KiB pages). */
const EPT = 0x1a0000;
/** L2's own paging: PML4 (entry 0 = the loader's identity map), and for REGION a PDPT, PD, PT. */
const L2_PML4 = 0x1c0000;
const L2_PT = 0x1c3000;
/** Linear 512 GiB: translated through L2_PT. */
const REGION = 0x8000000000;
/** A page EPT leaves unmapped. */
const HOLE = 0x1b0000;

function field(m: PcMachine, name: keyof typeof F, size: 1 | 2 | 4 = 4): number {
  m.savePluginStates();
  return m.memory.read(VMCS + fieldOffset(F[name]), size);
}

/** A 64-bit interrupt gate for `vector` in L2's IDT to L2 code + 0x100. */
function gate(m: PcMachine, vector: number): void {
  const target = MINI.l2Code + 0x100;
  const at = MINI.l2Idt + 16 * vector;
  m.memory.write(at, 4, (target & 0xffff) | (0x08 << 16));
  m.memory.write(at + 4, 4, ((target & 0xffff0000) | 0x8e00) >>> 0);
  m.memory.write(at + 8, 4, 0);
  m.memory.write(at + 12, 4, 0);
}

/**
 * L2's paging: linear 0-4 GiB as the loader maps it (2-MiB pages), and
 * REGION + 0x1000 * i through PT entry i (`ptes`, low 32 bits).
 */
function l2Paging(m: PcMachine, ptes: number[]): void {
  const w = (a: number, v: number) => {
    m.memory.write(a, 4, v >>> 0);
    m.memory.write(a + 4, 4, 0);
  };
  w(L2_PML4, 0x3000 | 3); // the loader's PDPT (boot/flat.ts: PML4 at 0x2000)
  w(L2_PML4 + 8, (L2_PML4 + 0x1000) | 3);
  w(L2_PML4 + 0x1000, (L2_PML4 + 0x2000) | 3);
  w(L2_PML4 + 0x2000, L2_PT | 3);
  ptes.forEach((pte, i) => w(L2_PT + 8 * i, pte));
}

/**
 * Identity EPT over the 4 MiB of RAM (WB, read/write/execute) with
 * `pages` overriding single 4-KiB pages of the first 2 MiB (gpa -> entry
 * low 32 bits; 0 = not present).
 */
function ept(m: PcMachine, pages: Record<number, number> = {}): void {
  const w = (a: number, v: number) => {
    m.memory.write(a, 4, v >>> 0);
    m.memory.write(a + 4, 4, 0);
  };
  w(EPT, (EPT + 0x1000) | 7);
  w(EPT + 0x1000, (EPT + 0x2000) | 7);
  w(EPT + 0x2000, (EPT + 0x3000) | 7);
  w(EPT + 0x2008, 0x200000 | 0x80 | 0x37); // 2-4 MiB: one 2-MiB page
  for (let i = 0; i < 512; i++) w(EPT + 0x3000 + 8 * i, (i * 0x1000) | 0x37);
  for (const [gpa, entry] of Object.entries(pages)) {
    w(EPT + 0x3000 + 8 * (Number(gpa) >>> 12), entry);
  }
}

const EPTP = EPT | (3 << 3) | 6;

function fields(proc2: number, extra: Record<string, number> = {}): Record<string, number> {
  return {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_TPR_SHADOW |
      PROC.ACTIVATE_SECONDARY_CONTROLS,
    SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_APIC_ACCESSES | proc2,
    VIRTUAL_APIC_PAGE_ADDR: VAPIC,
    APIC_ACCESS_ADDR: ACCESS,
    GUEST_IDTR_BASE: MINI.l2Idt,
    GUEST_IDTR_LIMIT: 0xfff,
    ...extra,
  };
}

const at = (rip: number) => rip - MINI.l2Code;

Deno.test("APIC access type 2: an instruction fetch from the APIC-access page exits with its offset, fault-like", () => {
  // mov eax, 0x190080; jmp rax
  const r = runMini({ l2: "b880001900ffe0", fields: fields(0), maxExits: 1 });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual]), [[44, 0x2080]]);
  assert.equal(r.exits[0].rip, ACCESS + 0x80, "RIP of the instruction that could not be fetched");
  assert.equal(field(r.m, "IDT_VECTORING_INFO"), 0, "not during event delivery");
  r.m.dispose();
});

Deno.test("APIC access type 2: an instruction crossing into the APIC-access page exits at offset 0", () => {
  // mov eax, 0x18fffe; jmp rax -- at 0x18fffe: mov eax, 0x12345678 (5 bytes, 3 on the page)
  const r = runMini({
    l2: "b8feff1800ffe0",
    fields: fields(0),
    maxExits: 1,
    setup(m) {
      m.memory.writeBytes(0x18fffe, new Uint8Array([0xb8, 0x78, 0x56, 0x34, 0x12]));
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual, e.rip]), [[44, 0x2000, 0x18fffe]]);
  r.m.dispose();
});

Deno.test("APIC access type 3: a software interrupt pushing onto the APIC-access page; IDT-vectoring information and length (SDM 28.2.4)", () => {
  // mov rsp, 0x190100; int 0x40
  const r = runMini({
    l2: "48c7c400011900cd40",
    fields: fields(PROC2.APIC_REGISTER_VIRTUALIZATION),
    maxExits: 1,
    setup(m) {
      gate(m, 0x40);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  // The first push is SS at RSP - 8 (8 bytes: never virtualized).
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual]), [[44, 0x30f8]]);
  assert.equal(at(r.exits[0].rip), 7, "RIP of the INT instruction (software interrupt)");
  assert.equal(r.exits[0].len, 2, "the INT instruction's length");
  assert.equal(field(r.m, "IDT_VECTORING_INFO"), 0x80000440, "valid, software interrupt, 0x40");
  assert.equal(field(r.m, "GUEST_RSP"), 0x190100, "RSP of the boundary: nothing committed");
  assert.equal(r.m.memory.read(VAPIC + 0xf8, 4), 0, "not written through");
  r.m.dispose();
});

Deno.test("APIC access type 3: a hardware exception delivered onto the APIC-access page", () => {
  // mov rsp, 0x190100; ud2
  const r = runMini({
    l2: "48c7c4000119000f0b",
    fields: fields(0),
    maxExits: 1,
    setup(m) {
      gate(m, 6);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual, at(e.rip)]), [[44, 0x30f8, 7]]);
  assert.equal(field(r.m, "IDT_VECTORING_INFO"), 0x80000306, "valid, hardware exception, #UD");
  r.m.dispose();
});

Deno.test("APIC access type 15: with EPT, a paging-structure read that EPT maps to the APIC-access page", () => {
  // mov rbx, 0x8000000000; mov eax, [rbx]; vmcall
  const r = runMini({
    l2: "48bb00000000800000008b030f01c1",
    fields: fields(PROC2.ENABLE_EPT, { EPT_POINTER: EPTP, GUEST_CR3: L2_PML4 }),
    maxExits: 1,
    setup(m) {
      l2Paging(m, [0x170000 | 3]);
      ept(m, { [L2_PT]: ACCESS | 0x37 });
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.equal(r.exits.length, 1);
  const e = r.exits[0];
  assert.equal(e.reason, 44);
  assert.equal(e.qual >>> 12, 15, "guest-physical access during instruction execution");
  assert.equal(at(e.rip), 10, "fault-like: RIP of the MOV");
  assert.equal(field(r.m, "IDT_VECTORING_INFO"), 0);
  r.m.dispose();
});

Deno.test("APIC access type 15: a guest-physical access for an instruction fetch (the walk of the fetch)", () => {
  // mov rax, 0x8000000000; jmp rax
  const r = runMini({
    l2: "48b80000000080000000ffe0",
    fields: fields(PROC2.ENABLE_EPT, { EPT_POINTER: EPTP, GUEST_CR3: L2_PML4 }),
    maxExits: 1,
    setup(m) {
      l2Paging(m, [MINI.l2Code | 3]);
      ept(m, { [L2_PT]: ACCESS | 0x37 });
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual >>> 12, e.rip]), [[44, 15, REGION]]);
  r.m.dispose();
});

Deno.test("APIC access type 10: with EPT, the walk for an IDT read during event delivery", () => {
  // int 0x40 (L2's IDT at linear 512 GiB, translated through a PT that EPT maps to the page)
  const r = runMini({
    l2: "cd40",
    fields: fields(PROC2.ENABLE_EPT, {
      EPT_POINTER: EPTP,
      GUEST_CR3: L2_PML4,
      GUEST_IDTR_BASE: REGION,
    }),
    maxExits: 1,
    setup(m) {
      l2Paging(m, [MINI.l2Idt | 3]);
      ept(m, { [L2_PT]: ACCESS | 0x37 });
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual >>> 12, at(e.rip), e.len]), [[
    44,
    10,
    0,
    2,
  ]]);
  assert.equal(field(r.m, "IDT_VECTORING_INFO"), 0x80000440);
  r.m.dispose();
});

Deno.test("APIC access: without EPT a paging-structure access to the page is a physical access, plain memory (29.4.6.2)", () => {
  // mov rbx, 0x8000000000; mov eax, [rbx]; mov [0x170008], eax; vmcall
  const r = runMini({
    l2: "48bb00000000800000008b03890425080017000f01c1",
    fields: fields(0, { GUEST_CR3: L2_PML4 }),
    setup(m) {
      l2Paging(m, []);
      // L2's PD entry points at a page table inside the APIC-access page.
      m.memory.write(L2_PML4 + 0x2000, 4, ACCESS | 3);
      m.memory.write(ACCESS, 4, 0x170000 | 3);
      m.memory.write(0x170000, 4, 0xc0ffee);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL]);
  assert.equal(r.m.memory.read(0x170008, 4), 0xc0ffee, "read through the page table");
  assert.equal(r.m.memory.read(ACCESS, 4) & 0x20, 0x20, "its accessed flag set in memory");
  r.m.dispose();
});

Deno.test("APIC access priority: a page fault comes first (29.4.1)", () => {
  // mov rbx, 0x8000001084; mov eax, [rbx]; mov rbx, 0x8000001080;
  // mov dword ptr [rbx], 0x10; vmcall -- the page maps the APIC-access page read-only
  const r = runMini({
    l2: "48bb84100000800000008b0348bb8010000080000000c703100000000f01c1",
    fields: fields(0, {
      GUEST_CR3: L2_PML4,
      GUEST_CR0: 0x80010033, // WP: supervisor writes obey R/W
      EXCEPTION_BITMAP: 1 << 14,
    }),
    maxExits: 2,
    setup(m) {
      l2Paging(m, [0, ACCESS | 1]);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  // The read (not virtualized: offset 84H) is an APIC access; the write
  // (virtualizable, offset 80H) is a #PF: the page is not writable.
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual, e.intrInfo]), [
    [44, 0x0084, 0],
    [0, REGION + 0x1080, 0x80000b0e],
  ]);
  assert.equal(r.m.memory.read(VAPIC + 0x80, 4), 0, "the virtual-APIC page is not written");
  r.m.dispose();
});

Deno.test("APIC access priority: the accessed and dirty flags are set before the exit (29.4.1)", () => {
  // mov rbx, 0x8000002084; mov dword ptr [rbx], 1; vmcall
  const r = runMini({
    l2: "48bb8420000080000000c703010000000f01c1",
    fields: fields(0, { GUEST_CR3: L2_PML4 }),
    maxExits: 1,
    setup(m) {
      l2Paging(m, [0, 0, ACCESS | 3]);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual]), [[44, 0x1084]]);
  assert.equal(r.m.memory.read(L2_PT + 16, 4) & 0x60, 0x60, "PTE: accessed and dirty");
  assert.equal(r.m.memory.read(L2_PML4 + 8, 4) & 0x20, 0x20, "PML4E: accessed");
  r.m.dispose();
});

Deno.test("APIC access priority: an EPT violation comes first; a read EPT allows is virtualized", () => {
  // mov eax, [0x190080]; mov [0x170000], eax; mov dword ptr [0x190080], 0x20; vmcall
  const r = runMini({
    l2: "8b04258000190089042500001700c7042580001900200000000f01c1",
    fields: fields(PROC2.ENABLE_EPT, { EPT_POINTER: EPTP }),
    maxExits: 1,
    setup(m) {
      ept(m, { [ACCESS]: ACCESS | 0x31 }); // read-only
      m.memory.write(VAPIC + 0x80, 4, 0x50);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.equal(r.m.memory.read(MINI.l2Data, 4), 0x50, "the read was virtualized");
  assert.equal(r.exits.length, 1);
  const e = r.exits[0];
  assert.equal(e.reason, 48, "EPT violation, not APIC access");
  assert.equal(e.gpa, ACCESS + 0x80);
  assert.equal(e.qual & 0xf, 0xa, "a write; the page is readable");
  assert.equal(r.m.memory.read(VAPIC + 0x80, 4), 0x50, "the virtual TPR is not written");
  // --stats: the virtualized read is no exit; the EPT violation is L1's.
  const stats = r.m.services.find(VMX_STATS)!.snapshot();
  assert.deepEqual(stats.l2Virtualized, { 48: 1 }, "the virtualized read, apart");
  assert.deepEqual(stats.l2ToL0, {}, "no exit handled by nestvm");
  assert.deepEqual(stats.l2ToL1, { 48: 1 });
  assert.match(
    r.m.services.find(VMX_STATS)!.format(),
    /virtualized\n(.*\n)*48 EPT violation +1 +0 +\d+ +1$/m,
  );
  r.m.dispose();
});

Deno.test("APIC access: accesses wider than 32 bits or leaving the low 4 bytes of their register are not virtualized", () => {
  // 0: mov rax, [0x190080]; 8: mov ax, [0x190082]; 16: mov [0x170000], ax;
  // 24: mov eax, [0x190082]; 31: mov al, [0x190084]; 38: mov word ptr [0x190081], 0x4321;
  // 48: mov eax, [0x190080]; 55: mov [0x170004], eax; 62: vmcall
  const r = runMini({
    l2:
      "488b042580001900668b04258200190066890425000017008b0425820019008a04258400190066c7042581001900" +
      "21438b042580001900890425040017000f01c1",
    fields: fields(PROC2.APIC_REGISTER_VIRTUALIZATION),
    setup(m) {
      m.memory.write(VAPIC + 0x80, 4, 0x12345678);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual, at(e.rip)]), [
    [44, 0x080, 0], // 8 bytes at 80H: reported at the access's offset, not 84H
    [44, 0x082, 24], // 4 bytes at 82H cross into 84H
    [44, 0x084, 31], // 84H: outside bits 31:0 of the TPR
    [VMCALL, 0, 62],
  ]);
  assert.equal(r.m.memory.read(MINI.l2Data, 2), 0x1234, "2 bytes at 82H are virtualized");
  // 2 bytes at 81H (split into bytes on their way) are one virtualized
  // write; APIC-write emulation of the TPR then clears bytes 3:1.
  assert.equal(r.m.memory.read(MINI.l2Data + 4, 4), 0x78, "VTPR after the write at 81H");
  r.m.dispose();
});

Deno.test("APIC access type 1: a 64-bit push onto the page; the read of a read-modify-write reports a write (28.2.1)", () => {
  // 0: mov rsp, 0x190100; 7: push rax; 8: vmcall
  const push = runMini({ l2: "48c7c400011900500f01c1", fields: fields(0), maxExits: 1 });
  assert.deepEqual(push.exits.map((e) => [e.reason, e.qual, at(e.rip)]), [[44, 0x10f8, 7]]);
  push.m.dispose();
  // 0: add dword ptr [0x190030], 1; 8: add dword ptr [0x190000], 1; 16: mov eax, [0x190000]; 23: vmcall
  const r = runMini({
    l2: "830425300019000183042500001900018b0425000019000f01c1",
    fields: fields(PROC2.APIC_REGISTER_VIRTUALIZATION),
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual, at(e.rip), e.len]), [
    [44, 0x1030, 0, 8], // version: its read is virtualized, its write is not
    [44, 0x1000, 8, 8], // offset 0: the read of the ADD exits, as a write
    [44, 0x0000, 16, 7], // a plain read
    [VMCALL, 0, 23, 3],
  ]);
  r.m.dispose();
});

Deno.test("APIC access during IRET keeps blocking by NMI; an EPT violation there clears it and sets qualification bit 12", () => {
  // mov rsp, 0x190100 (or 0x1b0100); iretq
  const run = (rsp: number, extra: Record<string, number>, pages: Record<number, number>) =>
    runMini({
      l2: rsp === ACCESS + 0x100 ? "48c7c40001190048cf" : "48c7c400011b0048cf",
      fields: fields(0, { GUEST_INTERRUPTIBILITY_INFO: 8, ...extra }),
      maxExits: 1,
      setup(m) {
        ept(m, pages);
      },
    });
  const a = run(ACCESS + 0x100, {}, {});
  assert.deepEqual(a.exits.map((e) => [e.reason, e.qual, at(e.rip)]), [[44, 0x0100, 7]]);
  assert.equal(
    field(a.m, "GUEST_INTERRUPTIBILITY_INFO") & 8,
    8,
    "blocking by NMI as before the IRET",
  );
  a.m.dispose();
  const v = run(HOLE + 0x100, {
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_EPT,
    EPT_POINTER: EPTP,
  }, { [HOLE]: 0 });
  assert.equal(v.exits.length, 1);
  assert.equal(v.exits[0].reason, 48);
  assert.equal(v.exits[0].qual & 0x1000, 0x1000, "NMI unblocking due to IRET");
  assert.equal(field(v.m, "GUEST_INTERRUPTIBILITY_INFO") & 8, 0, "blocking by NMI cleared");
  v.m.dispose();
  // With "NMI exiting" and without "virtual NMIs" bit 12 is undefined: nestvm reports 0.
  const u = run(HOLE + 0x100, {
    PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.NMI_EXITING,
    SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_EPT,
    EPT_POINTER: EPTP,
  }, { [HOLE]: 0 });
  assert.deepEqual(u.exits.map((e) => [e.reason, e.qual & 0x1000]), [[48, 0]]);
  u.m.dispose();
});

Deno.test("a fault of an IRET that unblocked NMIs sets bit 12 of the VM-exit interruption information (28.2.2)", () => {
  // mov rsp, 0x160000; iretq -- the frame names CS 33H, beyond the GDT limit: #GP(30H)
  const r = runMini({
    l2: "48c7c40000160048cf",
    fields: {
      GUEST_INTERRUPTIBILITY_INFO: 8,
      EXCEPTION_BITMAP: 1 << 13,
    },
    maxExits: 1,
    setup(m) {
      const frame = [MINI.l2Code, 0x33, 2, MINI.l2Stack, 0x10];
      frame.forEach((v, i) => m.memory.write(MINI.l2Stack + 8 * i, 4, v));
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.intrInfo, e.qual]), [[0, 0x80001b0d, 0]]);
  assert.equal(field(r.m, "VM_EXIT_INTR_ERROR_CODE"), 0x30);
  r.m.dispose();
});
