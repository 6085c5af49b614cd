/**
 * VM entry/exit on the real CPU engine inside a Machine, driven by the
 * mini L1 hypervisor of `testing_cpu.ts`. L2 snippets were assembled with
 * GNU as (source in each comment).
 */
import assert from "node:assert/strict";
import { l2Qword, MINI, runMini, tscOffsetFields } from "./testing_cpu.ts";
import { CAPS } from "./check_controls.ts";
import { EXIT, PIN, PROC, PROC2 } from "../controls.ts";
import type { Plugin } from "../../core/plugin.ts";
import { VMX_STATS } from "../stats.ts";
import { fieldOffset } from "../vmcs12/layout.ts";
import { F } from "../vmcs12/fields.ts";
import { CACHE_FLUSH_NS, SERIALIZING_NS } from "../../core/stall.ts";
import { VM_EXIT_NS } from "../exit/vmexit.ts";

const VMCALL = 18;

Deno.test("real CPU: L2 CPUID exits to L1 with length 2, L2 resumes past it, VMCALL ends", () => {
  // mov eax,0; mov ebx,0x1234; cpuid; mov r8,rbx; vmcall
  const r = runMini({ l2: "b800000000bb341200000fa24989d80f01c1" });
  assert.equal(r.status, 1);
  assert.deepEqual(r.exits.map((e) => e.reason), [10, VMCALL]);
  assert.equal(r.exits[0].len, 2);
  assert.equal(r.exits[0].rip, MINI.l2Code + 10);
  assert.equal(r.exits[1].rip, MINI.l2Code + 15);
  assert.equal(r.exits[1].len, 3);
  // VM exits do not switch GPRs: L1 clobbered RBX (with the instruction length, 2)
  // before resuming, and L2 copied it to R8.
  assert.equal(r.m.cpu.gpr[16], 2, "R8 = RBX as L1 left it");
  const stats = r.m.services.find(VMX_STATS)!;
  assert.equal(stats.l2ToL1[10], 1);
  assert.equal(stats.l2ToL1[VMCALL], 1);
  assert.equal(stats.entries, 2);
  r.m.dispose();
});

function portSpy(log: number[]): Plugin {
  return {
    name: "port-spy",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.ports.register(0xe9, 1, { read: () => 0, write: (_o, _s, v) => log.push(0xe900 | v) });
      ctx.ports.register(0x80, 1, { read: () => 0, write: (_o, _s, v) => log.push(0x8000 | v) });
    },
  };
}

Deno.test("real CPU: L2 port I/O goes to L0's devices unless L1 asks for I/O exits", () => {
  // mov dx,0xe9; mov al,0x41; out dx,al; out 0x80,al; vmcall
  const l2 = "66bae900b041eee6800f01c1";
  const seen: number[] = [];
  const r = runMini({ l2, plugins: [portSpy(seen)] });
  assert.equal(r.status, 1);
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL]);
  assert.deepEqual(seen, [0xe941, 0x8041]);
  assert.equal(r.m.services.find(VMX_STATS)!.l2ToL0[30], 2);
  r.m.dispose();
  const seen2: number[] = [];
  const x = runMini({
    l2,
    plugins: [portSpy(seen2)],
    fields: { CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.UNCONDITIONAL_IO_EXITING },
  });
  assert.deepEqual(x.exits.map((e) => e.reason), [30, 30, VMCALL]);
  assert.equal(x.exits[0].qual, 0xe90000 | 0 /* size 1 */ | 0 /* out */);
  assert.equal(x.exits[0].len, 1);
  assert.equal(x.exits[1].qual, 0x800000 | 0x40 /* immediate */);
  assert.equal(x.exits[1].len, 2);
  assert.deepEqual(seen2, [], "L1 skipped the instructions; nothing reached L0's devices");
  x.m.dispose();
});

Deno.test("real CPU: TSC offsetting — L2's RDTSC = L1's TSC + offset", () => {
  // rdtsc; shl rdx,32; or rax,rdx; mov [0x170000],rax; vmcall
  const offset = 0x10000000000;
  const r = runMini({
    l2: "0f3148c1e2204809d048890425000017000f01c1",
    fields: {
      CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_TSC_OFFSETTING,
      TSC_OFFSET: offset,
    },
  });
  assert.equal(r.status, 1);
  const tsc = Number(l2Qword(r));
  const l1Now = r.m.virtualNs;
  assert.ok(tsc > offset && tsc < offset + l1Now, `tsc 0x${tsc.toString(16)}`);
  // After the exit, L1 sees its own TSC again: the processor's TSC was
  // never offset, and L2's offset is gone.
  assert.equal(r.m.cpu.tscOffset, 0);
  assert.equal(r.m.cpu.nonRootTscOffset, 0);
  r.m.dispose();
  const x = runMini({
    l2: "0f3148c1e2204809d048890425000017000f01c1",
    fields: { CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.RDTSC_EXITING },
  });
  assert.deepEqual(x.exits.map((e) => [e.reason, e.len]), [[16, 2], [VMCALL, 3]]);
  x.m.dispose();
});

Deno.test("real CPU: an L2 WRMSR to IA32_TSC that L1 lets through sets L1's TSC", () => {
  // mov ecx,0x10; mov eax,0x5000; mov edx,1; wrmsr; rdtsc; shl rdx,32; or rax,rdx;
  // mov [0x170000],rax; vmcall
  const l2 = "b910000000b800500000ba010000000f300f3148c1e2204809d048890425000017000f01c1";
  const offset = 0x10000000000;
  const written = 0x100005000;
  const r = runMini({ l2, fields: tscOffsetFields(offset) });
  assert.equal(r.status, 1);
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL], "the WRMSR did not exit");
  const seen = Number(l2Qword(r));
  // L2 reads L1's new TSC plus its offset, a few instructions and the
  // WRMSR's serializing stall later.
  assert.ok(
    seen >= written + offset && seen < written + offset + SERIALIZING_NS + 100,
    `L2 read 0x${seen.toString(16)}`,
  );
  // After the exit L1 reads its own TSC: the written value, advanced.
  const l1 = Number(r.m.cpu.readTsc());
  assert.ok(l1 >= written && l1 < written + 100_000, `L1 reads 0x${l1.toString(16)}`);
  // IA32_TSC_ADJUST holds what the write added to L1's TSC.
  const adjust = Number(BigInt.asIntN(64, r.m.cpu.readMsr(0x3b)!));
  assert.equal(adjust, l1 - Math.floor(r.m.virtualNs), "TSC = virtual time + adjustment");
  r.m.dispose();
});

Deno.test("real CPU: TSC scaling — L2's RDTSC and RDMSR read (L1's TSC x multiplier) >> 48 + offset", () => {
  // rdtsc; shl rdx,32; or rax,rdx; mov [0x170000],rax;
  // mov ecx,0x10; rdmsr; shl rdx,32; or rax,rdx; mov [0x170008],rax; vmcall
  const l2 = "0f3148c1e2204809d04889042500001700b9100000000f3248c1e2204809d048890425080017000f01c1";
  const read = (offsetting: boolean, proc2: number, multiplier: number, offset: number) => {
    const fields = tscOffsetFields(offset, PROC.ACTIVATE_SECONDARY_CONTROLS);
    if (!offsetting) fields.CPU_BASED_VM_EXEC_CONTROL! &= ~PROC.USE_TSC_OFFSETTING;
    const r = runMini({
      l2,
      fields: { ...fields, SECONDARY_VM_EXEC_CONTROL: proc2, TSC_MULTIPLIER: multiplier },
    });
    assert.equal(r.status, 1);
    assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL]);
    const out = {
      rdtsc: l2Qword(r),
      rdmsr: l2Qword(r, 8),
      after: r.m.cpu.nonRootTscMultiplier,
    };
    r.m.dispose();
    return out;
  };
  // Virtual time is deterministic: the same program reads the same
  // processor TSC at each instruction in every run, so each scaled run is
  // checked exactly against the plain one.
  const plain = read(true, 0, 0, 0);
  assert.ok(plain.rdtsc > 0n && plain.rdmsr > plain.rdtsc);
  const scaled = (mult: bigint, offset: number) => {
    return read(true, PROC2.USE_TSC_SCALING, Number(mult), offset);
  };
  const expect = (tsc: bigint, mult: bigint, offset: number) =>
    ((tsc * mult) >> 48n) + BigInt(offset);
  for (
    const [mult, offset] of [[1n << 47n, 1000], [3n << 46n, 0], [5n << 48n, -7], [
      (1n << 48n) + 12345n,
      1 << 30,
    ]] as const
  ) {
    const s = scaled(mult, offset);
    assert.equal(
      s.rdtsc,
      expect(plain.rdtsc, mult, offset),
      `RDTSC, multiplier 0x${mult.toString(16)}`,
    );
    assert.equal(
      s.rdmsr,
      expect(plain.rdmsr, mult, offset),
      `RDMSR, multiplier 0x${mult.toString(16)}`,
    );
    assert.equal(s.after, null, "the VM exit ends the scaling");
  }
  // Without "use TSC offsetting" there is neither offset nor scaling.
  const off = read(false, PROC2.USE_TSC_SCALING, 2 ** 49, 5000);
  assert.deepEqual([off.rdtsc, off.rdmsr], [plain.rdtsc, plain.rdmsr]);
});

Deno.test("real CPU: CR0/CR4 read shadows and guest/host masks", () => {
  // mov rax,cr0; mov [0x170008],rax; mov rax,cr4; mov [0x170010],rax;
  // mov cr4,rax; or rax,0x2000; mov cr4,rax; vmcall
  const r = runMini({
    l2: "0f20c048890425080017000f20e048890425100017000f22e0480d002000000f22e00f01c1",
    fields: {
      CR0_GUEST_HOST_MASK: 0x20,
      CR0_READ_SHADOW: 0,
      CR4_GUEST_HOST_MASK: 0x2000,
      CR4_READ_SHADOW: 0,
    },
  });
  assert.equal(r.status, 1);
  const cr0 = r.m.memory.read(MINI.l2Data + 8, 4);
  const cr4 = r.m.memory.read(MINI.l2Data + 16, 4);
  assert.equal(cr0 & 0x20, 0, "CR0.NE reads from the shadow");
  assert.equal((cr0 & 0x80000001) >>> 0, 0x80000001);
  assert.equal(cr4 & 0x2000, 0, "CR4.VMXE reads from the shadow");
  assert.ok((cr4 & 0x20) !== 0);
  // The first MOV to CR4 matched the shadow: no exit. The second set VMXE: exit 28.
  assert.deepEqual(r.exits.map((e) => e.reason), [28, VMCALL]);
  assert.equal(r.exits[0].qual, 4 /* CR4, MOV to, RAX */);
  assert.equal(r.exits[0].len, 3);
  r.m.dispose();
});

Deno.test("real CPU: #UD by exception bitmap; without it an L2 with no IDT triple-faults (exit 2)", () => {
  const r = runMini({ l2: "0f0b0f01c1", fields: { EXCEPTION_BITMAP: 1 << 6 }, maxExits: 1 });
  assert.equal(r.exits[0].reason, 0);
  assert.equal(r.exits[0].intrInfo, 0x80000306);
  assert.equal(r.exits[0].rip, MINI.l2Code);
  assert.equal(r.exits[0].len, 0);
  r.m.dispose();
  const t = runMini({ l2: "0f0b0f01c1", maxExits: 1 });
  assert.equal(t.exits[0].reason, 2);
  t.m.dispose();
});

Deno.test("real CPU: injected software interrupt is delivered through L2's IDT", () => {
  // nop; nop; vmcall; handler: vmcall  (handler at +5)
  const r = runMini({
    l2: "90900f01c10f01c1",
    fields: {
      GUEST_IDTR_BASE: MINI.l2Idt,
      GUEST_IDTR_LIMIT: 0xfff,
      VM_ENTRY_INTR_INFO: 0x80000480,
      VM_ENTRY_INSTRUCTION_LEN: 2,
    },
    setup(m) {
      const h = MINI.l2Code + 5;
      const g = MINI.l2Idt + 0x80 * 16;
      m.memory.write(g, 4, (h & 0xffff) | (0x08 << 16));
      m.memory.write(g + 4, 4, ((h & 0xffff0000) | 0x8e00) >>> 0);
      m.memory.write(g + 8, 4, 0);
      m.memory.write(g + 12, 4, 0);
    },
  });
  assert.equal(r.status, 1);
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL]);
  assert.equal(r.exits[0].rip, MINI.l2Code + 5, "VMCALL in the handler");
  // The interrupt frame's return RIP is past the 2-byte "instruction".
  const sp = MINI.l2Stack - 40;
  assert.equal(r.m.memory.read(sp, 4), MINI.l2Code + 2);
  r.m.dispose();
});

Deno.test("real CPU: interrupt-window exiting after STI's shadow", () => {
  // sti; nop; nop; vmcall
  const r = runMini({
    l2: "fb90900f01c1",
    fields: { CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.INTERRUPT_WINDOW_EXITING },
    maxExits: 1,
  });
  assert.equal(r.exits[0].reason, 7);
  assert.equal(r.exits[0].rip, MINI.l2Code + 2);
  r.m.dispose();
});

Deno.test("real CPU: VMX-preemption timer exit from an L2 busy loop", () => {
  const r = runMini({
    l2: "ebfe",
    fields: {
      PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.PREEMPTION_TIMER,
      VMX_PREEMPTION_TIMER_VALUE: 20,
      VM_EXIT_CONTROLS: CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE | EXIT.SAVE_PREEMPTION_TIMER,
    },
    maxExits: 1,
  });
  assert.equal(r.status, 1);
  assert.equal(r.exits[0].reason, 52);
  assert.equal(r.exits[0].rip, MINI.l2Code);
  r.m.dispose();
});

Deno.test("real CPU: external interrupt with exiting and acknowledge-on-exit reaches L1 with its vector", () => {
  let pending = true;
  const r = runMini({
    l2: "ebfe",
    fields: {
      PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING,
      VM_EXIT_CONTROLS: CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE |
        EXIT.ACKNOWLEDGE_INTERRUPT_ON_EXIT,
      GUEST_RFLAGS: 0x202,
    },
    maxExits: 1,
    setup(m) {
      m.cpu.setInterruptSource({
        hasInterrupt: () => pending && m.cpu.nonRoot,
        acknowledge: () => {
          pending = false;
          return 0x42;
        },
      });
    },
  });
  assert.equal(r.status, 1);
  assert.equal(r.exits[0].reason, 1);
  assert.equal(r.exits[0].intrInfo, 0x80000042);
  assert.equal(pending, false, "acknowledged by the VM exit");
  r.m.dispose();
});

Deno.test("real CPU: VMLAUNCH failures seen by L1: VMfailValid(7) and the entry-failure exit 33", () => {
  const f = runMini({ l2: "ebfe", fields: { PIN_BASED_VM_EXEC_CONTROL: 0 } });
  assert.equal(f.status, 3);
  assert.equal(f.error, 7);
  f.m.dispose();
  const g = runMini({ l2: "ebfe", fields: { GUEST_RFLAGS: 0 } });
  assert.equal(g.status, 1);
  assert.equal(g.exits[0].reason, (0x80000000 | 33) >>> 0);
  g.m.dispose();
});

Deno.test("real CPU: external-interrupt exiting ignores L2's RFLAGS.IF; without exiting L1 waits", () => {
  let pending = true;
  const src = (m: { cpu: { nonRoot: boolean } }) => ({
    hasInterrupt: () => pending && m.cpu.nonRoot,
    acknowledge: () => {
      pending = false;
      return 0x43;
    },
  });
  const r = runMini({
    l2: "ebfe",
    fields: {
      PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING,
      GUEST_RFLAGS: 2,
    },
    maxExits: 1,
    setup(m) {
      m.cpu.setInterruptSource(src(m));
    },
  });
  assert.equal(r.status, 1);
  assert.equal(r.exits[0].reason, 1);
  assert.equal(r.exits[0].intrInfo, 0, "not acknowledged without acknowledge-on-exit");
  assert.equal(pending, true);
  r.m.dispose();
  // Without external-interrupt exiting, an L2 with IF=0 keeps running (budget ends the run).
  pending = true;
  const x = runMini({
    l2: "ebfe",
    maxExits: 1,
    budget: 5000,
    setup(m) {
      m.cpu.setInterruptSource(src(m));
    },
  });
  assert.equal(x.status, 0);
  assert.equal(x.exits.length, 0);
  assert.equal(x.m.cpu.nonRoot, true);
  x.m.dispose();
});

Deno.test("real CPU: monitor trap flag exits after each L2 instruction", () => {
  // nop; nop; vmcall
  const r = runMini({
    l2: "90900f01c1",
    fields: { CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.MONITOR_TRAP_FLAG },
    maxExits: 3,
  });
  assert.equal(r.status, 1);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.rip - MINI.l2Code]), [[37, 1], [37, 2], [
    VMCALL,
    2,
  ]]);
  r.m.dispose();
});

Deno.test("real CPU: an exception raised while delivering INT n exits with IDT-vectoring information", () => {
  // int 0x80 (an all-zero gate has an invalid type: #GP(0x402)); vmcall
  const r = runMini({
    l2: "cd800f01c1",
    fields: { GUEST_IDTR_BASE: MINI.l2Idt, GUEST_IDTR_LIMIT: 0xfff, EXCEPTION_BITMAP: 1 << 13 },
    maxExits: 1,
  });
  assert.equal(r.status, 1);
  assert.equal(r.exits[0].reason, 0);
  assert.equal(r.exits[0].intrInfo, 0x80000b0d);
  const vmcs = 0x121000;
  // The VMCS is still current (cached): saving plugin state writes it back, as for a snapshot.
  r.m.savePluginStates();
  assert.equal(r.m.memory.read(vmcs + fieldOffset(F.VM_EXIT_INTR_ERROR_CODE), 4), 0x402);
  assert.equal(r.m.memory.read(vmcs + fieldOffset(F.IDT_VECTORING_INFO), 4), 0x80000480);
  r.m.dispose();
});

Deno.test("real CPU: a fault while delivering an exception meets the exception bitmap before it becomes a double fault", () => {
  // xor ecx,ecx; div ecx; vmcall: #DE, whose gate in L2's IDT (all zero)
  // is no gate: #GP(2) during its delivery, contributory twice: #DF.
  const run = (bitmap: number) => {
    const r = runMini({
      l2: "31c9f7f10f01c1",
      fields: { EXCEPTION_BITMAP: bitmap, GUEST_IDTR_BASE: MINI.l2Idt, GUEST_IDTR_LIMIT: 0xfff },
      maxExits: 1,
    });
    r.m.savePluginStates(); // write the cached VMCS back
    const vmcs = 0x121000;
    const out = {
      exit: r.exits.map((e) => [e.reason, e.intrInfo]),
      vectoring: r.m.memory.read(vmcs + fieldOffset(F.IDT_VECTORING_INFO), 4) >>> 0,
    };
    r.m.dispose();
    return out;
  };
  // #GP intercepted: the exit is for the #GP (error code 2), during
  // delivery of the #DE (hardware exception, vector 0): no #DF at all.
  const gp = { exit: [[0, 0x80000b0d]], vectoring: 0x80000300 };
  assert.deepEqual(run(1 << 13), gp);
  assert.deepEqual(run((1 << 13) | (1 << 8)), gp, "the nested #GP first, not the #DF");
  // Only #DF intercepted: the #DF exits directly, which is no exit during
  // event delivery (no IDT-vectoring information).
  assert.deepEqual(run(1 << 8), { exit: [[0, 0x80000b08]], vectoring: 0 });
  // Neither: the #DF's gate is not present either: a triple fault.
  assert.deepEqual(run(0).exit, [[2, 0]]);
});

Deno.test("real CPU: WBINVD's stall counts toward the preemption timer, so it expires after fewer L2 instructions", () => {
  const timer = {
    PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.PREEMPTION_TIMER,
    VMX_PREEMPTION_TIMER_VALUE: 2000, // 2000 * 32 ns = 64 µs
  };
  // L: inc r9; wbinvd; jmp L   and the same with a 2-byte NOP for the flush.
  const flush = runMini({ l2: "49ffc10f09ebf9", fields: timer, maxExits: 1 });
  const nop = runMini({ l2: "49ffc16690ebf9", fields: timer, maxExits: 1 });
  assert.equal(flush.exits[0].reason, 52);
  assert.equal(nop.exits[0].reason, 52);
  const r9 = (r: typeof flush) => r.m.cpu.gpr[18];
  assert.equal(
    r9(flush),
    Math.ceil(64_000 / CACHE_FLUSH_NS),
    "three flushes in, the fourth ran past",
  );
  assert.equal(flush.exits[0].rip, MINI.l2Code + 5, "right after a WBINVD");
  assert.ok(r9(nop) > 21_000, `without flushes: ${r9(nop)} iterations of 3 ns`);
  flush.m.dispose();
  nop.m.dispose();
});

Deno.test("real CPU: a WBINVD that exits to L1 charges the VM exit's latency, not the cache flush's", () => {
  // L2: wbinvd (WBINVD exiting) against L2: cpuid (always exits); the mini L1 then stops.
  const proc2 = {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS,
    SECONDARY_VM_EXEC_CONTROL: PROC2.WBINVD_EXITING,
  };
  const wbinvd = runMini({ l2: "0f09f4", fields: proc2, maxExits: 1 });
  const cpuid = runMini({ l2: "0fa2f4", fields: proc2, maxExits: 1 });
  assert.equal(wbinvd.exits[0].reason, 54);
  assert.equal(cpuid.exits[0].reason, 10);
  const stalled = (r: typeof wbinvd) => r.m.virtualNs - r.m.retired;
  assert.equal(stalled(wbinvd), stalled(cpuid), "both: only the VM exit's stall");
  assert.ok(stalled(wbinvd) >= VM_EXIT_NS && stalled(wbinvd) < CACHE_FLUSH_NS);
  wbinvd.m.dispose();
  cpuid.m.dispose();
});

Deno.test("real CPU: a single-step trap due when the preemption timer expires is delivered first (SDM 26.5.1)", () => {
  // L: wbinvd; jmp L with RFLAGS.TF and #DB intercepted; the timer (one
  // bit-5 change away) expires during the first flush.
  const r = runMini({
    l2: "0f09ebfc",
    fields: {
      PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 | PIN.PREEMPTION_TIMER,
      VMX_PREEMPTION_TIMER_VALUE: 1,
      VM_EXIT_CONTROLS: CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE | EXIT.SAVE_PREEMPTION_TIMER,
      EXCEPTION_BITMAP: 1 << 1,
      GUEST_RFLAGS: 0x102,
    },
    maxExits: 2,
  });
  assert.equal(r.exits[0].reason, 0, "the #DB of the WBINVD first");
  assert.equal(r.exits[0].intrInfo, 0x80000301);
  assert.equal(r.exits[0].qual & 0x4000, 0x4000, "BS");
  assert.equal(r.exits[0].rip, MINI.l2Code + 2);
  assert.equal(r.exits[1].reason, 52, "then the timer (saved as 0: it exits at the next entry)");
  assert.equal(r.exits[1].rip, MINI.l2Code + 2);
  r.m.dispose();
});

/** Little-endian 32-bit words of `v` (below 2^53) as two memory writes at `a`. */
function put64(
  m: { memory: { write(a: number, n: number, v: number): void } },
  a: number,
  v: number,
) {
  m.memory.write(a, 4, v >>> 0);
  m.memory.write(a + 4, 4, Math.floor(v / 0x100000000));
}

Deno.test("real CPU: VMFUNC EPTP switching changes L2's EPT and vmcs12's EPT pointer; a bad index exits (59)", () => {
  // Two EPTs over the 4 MiB of RAM (2 MiB pages), B remapping GPA 0x170000
  // (l2Data) to 0x180000 with a page table; the EPTP list holds A and B.
  const A = 0x300000, B = 0x303000, LIST = 0x307000;
  const WB_RWX = 0x37, LARGE = 0x80;
  const eptpA = A | 0x1e, eptpB = B | 0x1e; // WB, 4-level walk
  // mov ebx,[0x170000]; xor eax,eax; mov ecx,1; vmfunc; mov edx,[0x170000];
  // mov [0x190100],ebx; mov [0x190104],edx; mov ecx,600; vmfunc; vmcall
  const l2 = "8b1c2500001700" + "31c0" + "b901000000" + "0f01d4" + "8b142500001700" +
    "891c2500011900" + "89142504011900" + "b958020000" + "0f01d4" + "0f01c1";
  const r = runMini({
    l2,
    fields: {
      CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS,
      SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_EPT | PROC2.ENABLE_VM_FUNCTIONS,
      EPT_POINTER: eptpA,
      VM_FUNCTION_CONTROL: 1,
      EPTP_LIST_ADDRESS: LIST,
    },
    setup: (m) => {
      for (const [root, pd] of [[A, 0x302000], [B, 0x305000]]) {
        put64(m, root, (root + 0x1000) | 7);
        put64(m, root + 0x1000, pd | 7);
        put64(m, pd + 8, 0x200000 | WB_RWX | LARGE);
      }
      put64(m, 0x302000, 0 | WB_RWX | LARGE);
      put64(m, 0x305000, 0x306000 | 7);
      for (let i = 0; i < 512; i++) put64(m, 0x306000 + 8 * i, (i * 0x1000) | WB_RWX);
      put64(m, 0x306000 + 8 * 0x170, 0x180000 | WB_RWX);
      put64(m, LIST, eptpA);
      put64(m, LIST + 8, eptpB);
      m.memory.write(MINI.l2Data, 4, 0x11111111);
      m.memory.write(0x180000, 4, 0x22222222);
    },
  });
  assert.equal(r.status, 1);
  assert.deepEqual(r.exits.map((e) => [e.reason, e.len]), [[59, 3], [VMCALL, 3]]);
  assert.equal(r.exits[0].rip, MINI.l2Code + 43, "the VMFUNC with ECX = 600");
  assert.equal(r.m.memory.read(0x190100, 4), 0x11111111, "read through EPT A");
  assert.equal(r.m.memory.read(0x190104, 4), 0x22222222, "read through EPT B after VMFUNC");
  r.m.savePluginStates(); // write the cached VMCS back
  const ept = r.m.memory.read(0x121000 + fieldOffset(F.EPT_POINTER), 4);
  assert.equal(ept, eptpB, "vmcs12's EPT pointer is B");
  r.m.dispose();
});

Deno.test("real CPU: VMFUNC is #UD without enable VM functions, and a VM exit for a function not enabled", () => {
  // xor eax,eax; xor ecx,ecx; vmfunc; vmcall (#UD intercepted by the exception bitmap)
  const l2 = "31c0" + "31c9" + "0f01d4" + "0f01c1";
  const ud = runMini({ l2, fields: { EXCEPTION_BITMAP: 1 << 6 } });
  // Exception or NMI (0), #UD (vector 6, hardware exception); L1 resumes at the VMFUNC again.
  assert.equal(ud.exits[0].reason, 0);
  assert.equal(ud.exits[0].intrInfo & 0x7ff, 0x306);
  assert.equal(ud.exits[0].rip, MINI.l2Code + 4);
  ud.m.dispose();
  const off = runMini({
    l2,
    fields: {
      CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS,
      SECONDARY_VM_EXEC_CONTROL: PROC2.ENABLE_VM_FUNCTIONS,
      VM_FUNCTION_CONTROL: 0,
    },
  });
  assert.deepEqual(off.exits.map((e) => e.reason), [59, VMCALL]);
  off.m.dispose();
});
