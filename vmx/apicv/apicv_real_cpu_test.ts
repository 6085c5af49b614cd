/**
 * APIC virtualization on the real CPU engine inside a Machine, driven by
 * the mini L1 hypervisor of `entry/testing_cpu.ts` (it logs every VM exit
 * and resumes L2 past exiting instructions). L2 snippets were assembled
 * with GNU as (`as --64`, Intel syntax; source in each comment).
 */
import assert from "node:assert/strict";
import { EXIT, PIN, PROC, PROC2 } from "../controls.ts";
import { CAPS } from "../entry/check_controls.ts";
import { MINI, runMini } from "../entry/testing_cpu.ts";
import { fieldOffset } from "../vmcs12/layout.ts";
import { F } from "../vmcs12/fields.ts";
import type { PcMachine } from "../../plugins/pc_machine.ts";
import { APIC_ACCESS_WINDOW_TOP } from "./state.ts";

const VMCALL = 18;
const VAPIC = 0x180000;
const ACCESS = 0x190000;
const MSR_BITMAP = 0x1a0000;
const PI_DESC = 0x1b0000;
const VMCS = 0x121000;

/** Main code, then a handler at L2 code + 0x100. */
function withHandler(main: string, handler: string): string {
  return main.padEnd(0x200, "0") + handler;
}

/** A 64-bit interrupt gate for `vector` to L2 code + 0x100. */
function gate(m: PcMachine, vector: number): void {
  const target = MINI.l2Code + 0x100;
  const at = MINI.l2Idt + 16 * vector;
  m.memory.write(at, 4, (target & 0xffff) | (0x08 << 16));
  m.memory.write(at + 4, 4, ((target & 0xffff0000) | 0x8e00) >>> 0);
  m.memory.write(at + 8, 4, 0);
  m.memory.write(at + 12, 4, 0);
}

function field(m: PcMachine, name: keyof typeof F, size: 1 | 2 | 4 = 4): number {
  // The VMCS may still be current (cached): saving plugin state writes it back, as for a snapshot.
  m.savePluginStates();
  return m.memory.read(VMCS + fieldOffset(F[name]), size);
}

Deno.test("real CPU: MOV CR8 with the TPR shadow uses VTPR; a class below the threshold exits trap-like", () => {
  // mov rax,cr8; mov [0x170000],rax; mov eax,5; mov cr8,rax; mov rbx,cr8;
  // mov [0x170008],rbx; mov eax,2; mov cr8,rax; after: vmcall
  const r = runMini({
    l2:
      "440f20c04889042500001700b805000000440f22c0440f20c348891c2508001700b802000000440f22c00f01c1",
    fields: {
      CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_TPR_SHADOW,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
      TPR_THRESHOLD: 3,
    },
    // The exit leaves VTPR below the threshold: resuming as is would fail the
    // VM-entry check (threshold above VTPR[7:4]), so the run ends here.
    maxExits: 1,
    setup(m) {
      m.memory.write(VAPIC + 0x80, 4, 0x4f);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => e.reason), [43]);
  assert.equal(r.exits[0].rip, MINI.l2Code + 0x2a, "after the MOV to CR8 (trap-like)");
  assert.equal(r.m.memory.read(MINI.l2Data, 4), 4, "MOV from CR8 = VTPR[7:4]");
  assert.equal(r.m.memory.read(MINI.l2Data + 8, 4), 5, "MOV to CR8 then from CR8");
  assert.equal(r.m.memory.read(VAPIC + 0x80, 4), 0x20, "VTPR[7:4] = 2, its other bits cleared");
  assert.equal(r.m.cpu.cr8, 0, "L1's own TPR is untouched");
  r.m.dispose();
});

Deno.test("real CPU: APIC-access page with APIC-register virtualization: virtualized reads and writes, APIC-access and APIC-write exits", () => {
  // mov eax,[0x190080]; mov [0x170000],eax; mov dword ptr [0x190080],0x1234567
  // mov eax,[0x1900a0]; mov dword ptr [0x190320],0x10055; after: vmcall
  const r = runMini({
    l2:
      "8b04258000190089042500001700c7042580001900674523018b0425a0001900c7042520031900550001000f01c1",
    fields: {
      CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_TPR_SHADOW |
        PROC.ACTIVATE_SECONDARY_CONTROLS,
      SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_APIC_ACCESSES |
        PROC2.APIC_REGISTER_VIRTUALIZATION,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
      APIC_ACCESS_ADDR: ACCESS,
    },
    setup(m) {
      m.memory.write(VAPIC + 0x80, 4, 0x30);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual]), [[44, 0x0a0], [56, 0x320], [
    VMCALL,
    0,
  ]]);
  assert.equal(r.exits[0].len, 7, "APIC-access exits report the instruction length");
  assert.equal(r.exits[0].rip, MINI.l2Code + 0x19, "fault-like: RIP of the read of PPR");
  assert.equal(r.exits[1].rip, MINI.l2Code + 0x2b, "trap-like: RIP after the LVT write");
  const mem = r.m.memory;
  assert.equal(mem.read(MINI.l2Data, 4), 0x30, "TPR read from the virtual-APIC page");
  assert.equal(mem.read(VAPIC + 0x80, 4), 0x67, "TPR write: bytes 3:1 cleared by emulation");
  assert.equal(mem.read(VAPIC + 0x320, 4), 0x10055, "LVT timer write lands on the virtual page");
  assert.equal(mem.read(ACCESS + 0x80, 4), 0, "the APIC-access page itself is not written");
  assert.equal(mem.read(ACCESS + 0x320, 4), 0);
  r.m.dispose();
});

function vidFields(extra: Record<string, number> = {}): Record<string, number> {
  return {
    PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING,
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_TPR_SHADOW | PROC.USE_MSR_BITMAPS |
      PROC.ACTIVATE_SECONDARY_CONTROLS,
    SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_X2APIC_MODE | PROC2.APIC_REGISTER_VIRTUALIZATION |
      PROC2.VIRTUAL_INTERRUPT_DELIVERY,
    VIRTUAL_APIC_PAGE_ADDR: VAPIC,
    MSR_BITMAP,
    GUEST_RFLAGS: 0x202,
    GUEST_IDTR_BASE: MINI.l2Idt,
    GUEST_IDTR_LIMIT: 0xfff,
    ...extra,
  };
}

// mov ecx,0x83f; mov eax,0x41; xor edx,edx; wrmsr; nop; mov ecx,0x808; rdmsr;
// mov [0x170008],eax; vmcall
const SELF_IPI_MAIN = "b93f080000b84100000031d20f3090b9080800000f32890425080017000f01c1";
// at +0x100: mov dword ptr [0x170000],0x41; mov r8d,[0x180120]; mov [0x170010],r8d;
// mov ecx,0x80b; xor eax,eax; xor edx,edx; wrmsr; iretq
const EOI_HANDLER =
  "c704250000170041000000448b0425200118004489042510001700b90b08000031c031d20f3048cf";

Deno.test("real CPU: x2APIC self-IPI, virtual-interrupt delivery through L2's IDT, EOI virtualization", () => {
  const r = runMini({
    l2: withHandler(SELF_IPI_MAIN, EOI_HANDLER),
    fields: vidFields(),
    setup(m) {
      gate(m, 0x41);
      m.memory.write(VAPIC + 0x80, 4, 0x20);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL]);
  const mem = r.m.memory;
  assert.equal(mem.read(MINI.l2Data, 4), 0x41, "the handler of vector 0x41 ran");
  assert.equal(mem.read(MINI.l2Data + 0x10, 4), 2, "in service while it ran (VISR bit 0x41)");
  assert.equal(mem.read(MINI.l2Data + 8, 4), 0x20, "RDMSR 808H reads VTPR");
  assert.equal(mem.read(VAPIC + 0x120, 4), 0, "EOI virtualization cleared VISR");
  assert.equal(mem.read(VAPIC + 0x220, 4), 0, "VIRR cleared at delivery");
  assert.equal(field(r.m, "GUEST_INTR_STATUS", 2), 0, "RVI and SVI back to 0");
  assert.equal(mem.read(VAPIC + 0xa0, 4), 0x20, "VPPR = VTPR again");
  r.m.dispose();
});

Deno.test("real CPU: an EOI-exit bitmap bit makes EOI virtualization a virtualized-EOI VM exit", () => {
  const r = runMini({
    l2: withHandler(SELF_IPI_MAIN, EOI_HANDLER),
    // Vector 0x41 is bit 1 of EOI-exit bitmap 1 (vectors 64-127).
    fields: vidFields({ EOI_EXIT_BITMAP1: 2 }),
    setup(m) {
      gate(m, 0x41);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual]), [[45, 0x41], [VMCALL, 0]]);
  assert.equal(r.exits[0].rip, MINI.l2Code + 0x126, "trap-like: at the IRETQ after the WRMSR");
  r.m.dispose();
});

function postedSource(vector: number, log: string[]) {
  return (m: PcMachine) => {
    let pending = true;
    m.cpu.setInterruptSource({
      hasInterrupt: () => pending && m.cpu.nonRoot,
      acknowledge: () => {
        pending = false;
        log.push(`ack ${vector.toString(16)}`);
        return vector;
      },
      endOfInterrupt: () => void log.push("eoi"),
    });
  };
}

function postedFields(): Record<string, number> {
  return vidFields({
    PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING |
      PIN.POSTED_INTERRUPTS,
    VM_EXIT_CONTROLS: CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE |
      EXIT.ACKNOWLEDGE_INTERRUPT_ON_EXIT,
    POSTED_INTR_NOTIFICATION_VECTOR: 0xf2,
    POSTED_INTR_DESC_ADDR: PI_DESC,
  });
}

// nop; nop; nop; vmcall; at +0x100: mov dword ptr [0x170000],0x52; iretq
const POSTED_L2 = withHandler("9090900f01c1", "c70425000017005200000048cf");

Deno.test("real CPU: the notification vector is processed as posted interrupts, no VM exit", () => {
  const log: string[] = [];
  const setSource = postedSource(0xf2, log);
  const r = runMini({
    l2: POSTED_L2,
    fields: postedFields(),
    setup(m) {
      gate(m, 0x52);
      m.memory.write(PI_DESC + 8, 4, 1 << 18); // PIR bit 0x52
      m.memory.write(PI_DESC + 32, 4, 1); // outstanding notification
      setSource(m);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL]);
  assert.deepEqual(log, ["ack f2", "eoi"], "acknowledged, then EOI to the local APIC");
  const mem = r.m.memory;
  assert.equal(mem.read(MINI.l2Data, 4), 0x52, "the posted vector was delivered");
  assert.equal(mem.read(PI_DESC + 8, 4), 0, "PIR cleared");
  assert.equal(mem.read(PI_DESC + 32, 4), 0, "ON cleared");
  assert.equal(field(r.m, "GUEST_INTR_STATUS", 2), 0x5200, "in service, nothing requested");
  r.m.dispose();
});

Deno.test("real CPU: another vector with posted interrupts is an external-interrupt exit with it", () => {
  const log: string[] = [];
  const setSource = postedSource(0x33, log);
  const r = runMini({
    l2: POSTED_L2,
    fields: postedFields(),
    maxExits: 1,
    setup(m) {
      gate(m, 0x52);
      m.memory.write(PI_DESC + 8, 4, 1 << 18);
      setSource(m);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.intrInfo]), [[1, 0x80000033]]);
  assert.deepEqual(log, ["ack 33"]);
  assert.equal(r.m.memory.read(PI_DESC + 8, 4), 1 << 18, "PIR untouched");
  r.m.dispose();
});

Deno.test("real CPU: a snapshot taken while L2 runs keeps the APIC-access page virtualized after restore", () => {
  // mov ecx,3000; 1: dec ecx; jnz 1b; mov eax,[0x190080]; mov [0x170000],eax; vmcall
  const r = runMini({
    l2: "b9b80b0000ffc975fc8b042580001900890425000017000f01c1",
    fields: {
      CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_TPR_SHADOW |
        PROC.ACTIVATE_SECONDARY_CONTROLS,
      SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_APIC_ACCESSES,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
      APIC_ACCESS_ADDR: ACCESS,
    },
    budget: 3000,
    setup(m) {
      m.memory.write(VAPIC + 0x80, 4, 0x60);
      m.memory.write(ACCESS + 0x80, 4, 0x11);
    },
  });
  assert.equal(r.status, 0, "stopped inside L2's loop");
  const m = r.m;
  assert.equal(m.cpu.nonRoot, true);
  const vmx = m.plugins.find((p) => p.name === "vmx")!;
  const saved = JSON.parse(JSON.stringify(vmx.saveState!()));
  m.cpu.guestPhysical = null; // as a fresh machine would have it
  vmx.loadState!(saved);
  m.run({ maxInstructions: 20000 });
  assert.equal(m.memory.read(MINI.params + 8, 4), 1, "finished");
  assert.equal(m.memory.read(MINI.l2Data, 4), 0x60, "read from the virtual-APIC page");
  m.dispose();
});

function x2Fields(extra: Record<string, number> = {}): Record<string, number> {
  return {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_TPR_SHADOW | PROC.USE_MSR_BITMAPS |
      PROC.ACTIVATE_SECONDARY_CONTROLS,
    SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_X2APIC_MODE,
    VIRTUAL_APIC_PAGE_ADDR: VAPIC,
    MSR_BITMAP,
    EXCEPTION_BITMAP: 1 << 13,
    ...extra,
  };
}

Deno.test("real CPU: virtualize x2APIC mode without APIC-register virtualization: only 808H is virtual", () => {
  // mov ecx,0x808; rdmsr; mov [0x170000],eax; mov ecx,0x802; gp1: rdmsr; vmcall
  const r = runMini({
    l2: "b9080800000f3289042500001700b9020800000f320f01c1",
    fields: x2Fields(),
    maxExits: 1,
    setup(m) {
      m.memory.write(VAPIC + 0x80, 4, 0x5a);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.equal(r.m.memory.read(MINI.l2Data, 4), 0x5a, "RDMSR 808H reads VTPR in xAPIC mode");
  // 802H goes to L1's local APIC, which is in xAPIC mode: #GP(0).
  assert.deepEqual(r.exits.map((e) => [e.reason, e.intrInfo, e.rip - MINI.l2Code]), [[
    0,
    0x80000b0d,
    0x13,
  ]]);
  r.m.dispose();
});

Deno.test("real CPU: WRMSR 808H with bits 63:8 set is #GP, VTPR unchanged", () => {
  // mov ecx,0x808; mov eax,0x100; xor edx,edx; gp2: wrmsr; vmcall
  const r = runMini({
    l2: "b908080000b80001000031d20f300f01c1",
    fields: x2Fields(),
    maxExits: 1,
    setup(m) {
      m.memory.write(VAPIC + 0x80, 4, 0x30);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.intrInfo, e.rip - MINI.l2Code]), [[
    0,
    0x80000b0d,
    0x0c,
  ]]);
  assert.equal(r.m.memory.read(VAPIC + 0x80, 4), 0x30);
  r.m.dispose();
});

Deno.test("real CPU: xAPIC ICR-low self-IPI virtualization; other IPIs and ICR high", () => {
  // mov dword ptr [0x190300],0x40045; mov eax,[0x170000]; mov [0x170020],eax;
  // mov dword ptr [0x190310],0x12345678; mov dword ptr [0x190300],0x45; after: vmcall
  // at +0x100: mov dword ptr [0x170000],0x45; mov r8d,[0x190120]; mov [0x170010],r8d;
  // mov dword ptr [0x1900b0],0; iretq
  const r = runMini({
    l2: withHandler(
      "c7042500031900450004008b04250000170089042520001700c704251003190078563412c7042500031900450000000f01c1",
      "c704250000170045000000448b0425200119004489042510001700c70425b00019000000000048cf",
    ),
    fields: {
      PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING,
      CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_TPR_SHADOW |
        PROC.ACTIVATE_SECONDARY_CONTROLS,
      SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_APIC_ACCESSES |
        PROC2.APIC_REGISTER_VIRTUALIZATION | PROC2.VIRTUAL_INTERRUPT_DELIVERY,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
      APIC_ACCESS_ADDR: ACCESS,
      GUEST_RFLAGS: 0x202,
      GUEST_IDTR_BASE: MINI.l2Idt,
      GUEST_IDTR_LIMIT: 0xfff,
    },
    setup(m) {
      gate(m, 0x45);
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  // The fixed self-IPI (shorthand 01) is virtualized; a fixed IPI with no
  // shorthand is an APIC-write exit after the write.
  assert.deepEqual(r.exits.map((e) => [e.reason, e.qual]), [[56, 0x300], [VMCALL, 0]]);
  assert.equal(r.exits[0].rip, MINI.l2Code + 0x2f);
  const mem = r.m.memory;
  assert.equal(mem.read(MINI.l2Data, 4), 0x45, "vector 0x45 delivered through L2's IDT");
  assert.equal(
    mem.read(MINI.l2Data + 0x20, 4),
    0x45,
    "delivered at the boundary right after the write, before the next instruction",
  );
  assert.equal(
    mem.read(MINI.l2Data + 0x10, 4),
    1 << 5,
    "in service (VISR bit 0x45) in the handler",
  );
  assert.equal(mem.read(VAPIC + 0x310, 4), 0x12000000, "ICR high: bytes 2:0 cleared");
  assert.equal(mem.read(VAPIC + 0x120, 4), 0, "EOI through the APIC-access page cleared VISR");
  r.m.dispose();
});

Deno.test("real CPU: an APIC-access address naming nestvm's own window page is harmless", () => {
  const window = APIC_ACCESS_WINDOW_TOP - 0x1000; // vCPU 0's window
  const r = runMini({
    l2: "0f01c1", // vmcall
    fields: {
      CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_TPR_SHADOW |
        PROC.ACTIVATE_SECONDARY_CONTROLS,
      SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_APIC_ACCESSES,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
      APIC_ACCESS_ADDR: window,
    },
  });
  assert.equal(r.status, 1, `status ${r.status} error ${r.error}`);
  // L1 (or the host) reading the window: no page behind it, reads as a hole.
  assert.equal(r.m.memory.read(window + 0x80, 4), 0xffffffff);
  r.m.memory.write(window + 0x80, 4, 1);
  r.m.dispose();
});
