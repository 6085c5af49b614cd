import assert from "node:assert/strict";
import {
  enter64,
  exec32,
  exec64,
  installIdt,
  LAYOUT,
  load,
  makeCpu,
  r64,
  writeGdt,
} from "./testing.ts";

const BOOT =
  "fa 31 c0 8e d8 8e d0 bc 00 70 0f 01 16 80 7c 0f 20 c0 66 83 c8 01 0f 22 c0 ea 1e 7c 08 00 66 b8 10 00 8e d8 8e c0 8e d0 bc 00 00 08 00 0f 20 e0 83 c8 20 0f 22 e0 b8 00 00 01 00 0f 22 d8 b9 80 00 00 c0 0f 32 0d 00 01 00 00 0f 30 0f 20 c0 0d 00 00 00 80 0f 22 c0 ea 5e 7c 00 00 18 00 48 b8 89 67 45 23 01 00 00 00 b9 80 00 00 c0 0f 32 48 89 c3 48 b8 89 67 45 23 01 00 00 00 f4 0f 1f 00 7f 00 00 10 00 00";

Deno.test("boot: real mode -> protected mode -> long mode as an OS does it", () => {
  const t = makeCpu();
  assert.equal(t.cpu.mode, "real");
  assert.equal(t.cpu.seg[1].base, 0xffff0000);
  assert.equal(t.cpu.rip, 0xfff0);
  writeGdt(t.mem, true);
  t.mem.write32(LAYOUT.pml4, LAYOUT.pdpt | 7);
  t.mem.write32(LAYOUT.pdpt, LAYOUT.pd | 7);
  for (let k = 0; k < 512; k++) t.mem.write32(LAYOUT.pd + k * 8, ((k << 21) | 0x87) >>> 0);
  Object.assign(t.cpu.seg[1], { selector: 0, base: 0 });
  t.cpu.stateChanged();
  load(t, BOOT, 0x7c00);
  assert.equal(t.cpu.run(10000), "halted");
  assert.equal(t.cpu.mode, "long64");
  assert.equal(r64(t, 0), 0x123456789n);
  assert.equal(t.cpu.gpr[6] & 0x501, 0x500); // EFER.LME | LMA read back by rdmsr in 64-bit mode
  assert.equal(t.cpu.seg[1].selector, 0x18);
  assert.equal(t.cpu.seg[2].selector, 0x10);
});

Deno.test("#GP with a selector error code, #UD without one (64-bit frames)", () => {
  let t = exec64("66 b8 48 00 8e d8 f4" /* mov ax, 0x48; mov ds, ax; hlt */);
  assert.equal(t.cpu.gpr[30], 13);
  let sp = t.cpu.gpr[8];
  assert.equal(t.mem.read32(sp), 0x48); // error code
  assert.equal(t.mem.read32(sp + 8), 0x100004); // RIP of the faulting MOV
  t = exec64("90 0f 0b f4" /* nop; ud2; hlt */);
  assert.equal(t.cpu.gpr[30], 6);
  sp = t.cpu.gpr[8];
  assert.equal(t.mem.read32(sp), 0x100001); // no error code: RIP on top
  assert.equal(sp, 0x80000 - 40);
});

Deno.test("#PF sets CR2 and the error code; IST switches the stack", () => {
  const t = exec64(
    "c7 04 25 34 12 00 40 01 00 00 00 f4", /* mov dword ptr [0x40001234], 1; hlt */
    (x) => {
      installIdt(x, true, { 14: 1 });
      x.mem.write32(LAYOUT.tss + 0x24, 0x90000);
    },
  );
  assert.equal(t.cpu.gpr[30], 14);
  assert.equal(t.cpu.cr2, 0x40001234);
  const sp = t.cpu.gpr[8];
  assert.equal(sp, 0x90000 - 48);
  assert.equal(t.mem.read32(sp), 2); // write, not present, supervisor
});

Deno.test("32-bit #GP frame: error code, EIP, CS, EFLAGS", () => {
  const t = exec32("66 b8 4b 00 8e c0 f4" /* mov ax, 0x4b; mov es, ax; hlt */);
  assert.equal(t.cpu.gpr[14], 13);
  const sp = t.cpu.gpr[8];
  assert.equal(sp, 0x80000 - 16);
  assert.equal(t.mem.read32(sp), 0x48);
  assert.equal(t.mem.read32(sp + 4), 0x100004);
  assert.equal(t.mem.read32(sp + 8), 0x08);
});

Deno.test("a fault while delivering #PF becomes #DF; a fault during #DF shuts down", () => {
  const t = exec64("8b 04 25 00 00 00 40 f4", /* mov eax, [0x40000000]; hlt */ (x) => {
    x.mem.write32(LAYOUT.idt + 14 * 16 + 4, 0); // #PF gate not present -> #NP -> #DF
  });
  assert.equal(t.cpu.gpr[30], 8);
  assert.equal(t.mem.read32(t.cpu.gpr[8]), 0); // #DF error code 0
  const u = makeCpu();
  enter64(u);
  u.cpu.idtr.limit = 0;
  load(u, "0f 0b" /* ud2 */);
  assert.equal(u.cpu.run(100), "shutdown");
  assert.equal(u.cpu.activity, "shutdown");
});

Deno.test("INT from CPL 3 switches to the TSS RSP0 stack; HLT at CPL 3 is #GP(0)", () => {
  // iretq to user code at 0x100800 (CS 0x33, SS 0x2b, RSP 0x70000): int 0x80; hlt
  const t = exec64(
    "6a 2b 68 00 00 07 00 6a 02 6a 33 68 00 08 10 00 48 cf", /* push 0x2b; push 0x70000; push 2; push 0x33; push 0x100800; iretq */
    (x) => {
      x.mem.write32(LAYOUT.tss + 4, 0x88000);
      x.mem.writeBytes(0x100800, new Uint8Array([0xcd, 0x80, 0xf4]));
    },
  );
  assert.equal(t.cpu.gpr[30], 0x80);
  assert.equal(t.cpu.cpl, 0);
  const sp = t.cpu.gpr[8];
  assert.equal(sp, 0x88000 - 40);
  assert.equal(t.mem.read32(sp), 0x100802); // return RIP after INT
  assert.equal(t.mem.read32(sp + 8), 0x33);
  assert.equal(t.mem.read32(sp + 24), 0x70000);
  assert.equal(t.mem.read32(sp + 32), 0x2b);
  // Resume: iretq back to user mode, which then executes HLT -> #GP(0).
  t.mem.writeBytes(0x6000, new Uint8Array([0x48, 0xcf]));
  t.cpu.rip = 0x6000;
  t.cpu.activity = "active";
  t.cpu.gpr[30] = 0;
  assert.equal(t.cpu.run(t.cpu.retired + 100), "halted");
  assert.equal(t.cpu.gpr[30], 13);
  assert.equal(t.mem.read32(t.cpu.gpr[8]), 0);
});

Deno.test("external interrupts: IF, the STI shadow, HLT wake-up, NMI", () => {
  const pending: number[] = [];
  const src = { hasInterrupt: () => pending.length > 0, acknowledge: () => pending.shift()! };
  // sti; mov eax, 1; mov ebx, 2; hlt  — the interrupt must arrive after `mov eax, 1`.
  const t = exec64(
    "fa b9 03 00 00 00 fb b8 01 00 00 00 bb 02 00 00 00 f4", /* cli; mov ecx, 3; sti; mov eax, 1; mov ebx, 2; hlt */
    (x) => {
      pending.push(0x30);
      x.cpu.setInterruptSource(src);
    },
  );
  assert.equal(t.cpu.gpr[30], 0x30);
  assert.equal(t.cpu.gpr[2], 3);
  assert.equal(t.cpu.gpr[0], 1);
  assert.equal(t.cpu.gpr[6], 0);
  // HLT with nothing pending stops the run; an interrupt wakes it.
  const u = makeCpu();
  enter64(u);
  installIdt(u, true);
  u.cpu.setInterruptSource(src);
  load(u, "fb f4 b8 05 00 00 00 f4" /* sti; hlt; mov eax, 5; hlt */);
  assert.equal(u.cpu.run(100), "halted");
  assert.equal(u.cpu.activity, "hlt");
  pending.push(0x31);
  u.cpu.interruptStateChanged();
  assert.equal(u.cpu.run(u.cpu.retired + 100), "halted");
  assert.equal(u.cpu.gpr[30], 0x31);
  assert.equal(u.mem.read32(u.cpu.gpr[8]), 0x100002); // return to the instruction after HLT
  // NMI is taken with IF = 0.
  const w = makeCpu();
  enter64(w);
  installIdt(w, true);
  load(w, "fa 90 90 f4" /* cli; nop; nop; hlt */);
  w.cpu.nmi();
  assert.equal(w.cpu.run(100), "halted");
  assert.equal(w.cpu.gpr[30], 2);
});

Deno.test("real-mode INT goes through the IVT and IRET returns", () => {
  const t = makeCpu();
  Object.assign(t.cpu.seg[1], { selector: 0, base: 0 });
  t.cpu.stateChanged();
  t.cpu.gpr[8] = 0x7000;
  t.mem.write16(0x21 * 4, 0x0500);
  t.mem.write16(0x21 * 4 + 2, 0x0000);
  t.mem.writeBytes(0x500, new Uint8Array([0xbb, 0x34, 0x12, 0xcf])); // mov bx, 0x1234; iret
  load(t, "b8 07 00 cd 21 40 f4", /* mov ax, 7; int 0x21; inc ax; hlt */ 0x7c00);
  assert.equal(t.cpu.run(100), "halted");
  assert.equal(t.cpu.gpr[6] & 0xffff, 0x1234);
  assert.equal(t.cpu.gpr[0] & 0xffff, 8);
  assert.equal(t.cpu.gpr[8] & 0xffff, 0x7000);
});

Deno.test("single-step: POPF setting TF traps (#DB) after the following instruction", () => {
  const t = exec64(
    "9c 48 81 0c 24 00 01 00 00 9d 90 90 f4", /* pushfq; or qword ptr [rsp], 0x100; popfq; nop; nop; hlt */
    (x) => {
      x.cpu.gpr[30] = 0xff;
    },
  );
  assert.equal(t.cpu.gpr[30], 1);
  assert.equal(t.mem.read32(t.cpu.gpr[8]), 0x10000b); // RIP of the second NOP
  assert.equal(t.cpu.dr[6] & 0x4000, 0x4000);
  assert.equal(t.cpu.rflags & 0x100, 0); // delivery cleared TF
});

Deno.test("a supervisor-only page cached by kernel accesses still faults for user code (#PF, U=1 P=1)", () => {
  // Page directory entry 2 (4-6 MiB) becomes supervisor-only; the kernel reads it first.
  const t = exec64(
    "8b 04 25 00 00 40 00 6a 2b 68 00 00 07 00 6a 02 6a 33 68 00 08 10 00 48 cf", /* mov eax, [0x400000]; push 0x2b; push 0x70000; push 2; push 0x33; push 0x100800; iretq */
    (x) => {
      x.mem.write32(LAYOUT.pd + 2 * 8, 0x400000 | 0x83);
      x.mem.write32(LAYOUT.tss + 4, 0x88000);
      x.mem.writeBytes(0x100800, new Uint8Array([0x8b, 0x1c, 0x25, 0, 0, 0x40, 0, 0xf4])); // mov ebx, [0x400000]
    },
  );
  assert.equal(t.cpu.gpr[30], 14);
  assert.equal(t.cpu.cr2, 0x400000);
  assert.equal(t.mem.read32(t.cpu.gpr[8]), 5); // user | present
});

Deno.test("faults push RFLAGS with RF set; traps and software interrupts do not", () => {
  // 64-bit frame without error code: RIP, CS, RFLAGS at sp, sp+8, sp+16.
  let t = exec64("90 0f 0b f4" /* nop; ud2; hlt */);
  assert.equal(t.cpu.gpr[30], 6);
  assert.equal(t.mem.read32(t.cpu.gpr[8] + 16) & 0x10000, 0x10000, "#UD frame has RF");
  assert.equal(t.cpu.rflags & 0x10000, 0, "the handler runs with RF clear");
  // #GP (error code first): MOV CR4 with reserved bits.
  t = exec64("b8 ff ff ff ff 0f 22 e0 f4" /* mov eax, -1; mov cr4, rax; hlt */);
  assert.equal(t.cpu.gpr[30], 13);
  assert.equal(t.mem.read32(t.cpu.gpr[8] + 24) & 0x10000, 0x10000, "#GP frame has RF");
  // INT3 is a trap: no RF.
  t = exec64("cc f4" /* int3; hlt */);
  assert.equal(t.cpu.gpr[30], 3);
  assert.equal(t.mem.read32(t.cpu.gpr[8] + 16) & 0x10000, 0, "#BP frame has no RF");
});

Deno.test("IRETQ to CPL 3 nulls a DPL 0 GS but keeps its IA32_GS_BASE", () => {
  const t = exec64(
    "66 b8 10 00 8e e8 b9 01 01 00 c0 b8 00 50 00 00 31 d2 0f 30 6a 2b 68 00 00 07 00 68 02 02 00 00 6a 33 68 00 08 10 00 48 cf", /* mov ax, 0x10; mov gs, ax; mov ecx, 0xc0000101; mov eax, 0x5000; xor edx, edx; wrmsr; push 0x2b; push 0x70000; push 0x202; push 0x33; push 0x100800; iretq */
    (x) => {
      x.mem.write32(LAYOUT.tss + 4, 0x88000);
      x.mem.writeBytes(0x100800, new Uint8Array([0xf4])); // HLT at CPL 3: #GP back to CPL 0
    },
  );
  assert.equal(t.cpu.gpr[30], 13);
  assert.equal(t.cpu.seg[5].selector, 0, "GS nulled on the way to CPL 3");
  assert.equal(t.cpu.seg[5].base, 0x5000, "GS base kept");
});

/** A vCPU in non-root operation whose hook records window exits and stops the run. */
function windowCpu(requests: number, code: string) {
  const t = makeCpu();
  enter64(t);
  installIdt(t, true);
  load(t, code);
  const seen: { kind: string; rip: number }[] = [];
  t.cpu.nonRoot = true;
  t.onExit = (e) => {
    if (e.kind !== "interrupt-window" && e.kind !== "nmi-window" && e.kind !== "preemption-timer") {
      return "pass";
    }
    seen.push({ kind: e.kind, rip: t.cpu.rip });
    t.cpu.windowRequests = 0;
    t.cpu.requestStop();
    return "reflected";
  };
  t.cpu.windowRequests = requests;
  return { t, seen };
}

Deno.test("NMI window: blocking by MOV SS delays the exit by one instruction", () => {
  const { t, seen } = windowCpu(2, "90 90 f4" /* nop; nop; hlt */);
  t.cpu.interruptibility = 2;
  t.cpu.shadowUntil = t.cpu.retired + 1;
  t.cpu.run(100);
  assert.deepEqual(seen, [{ kind: "nmi-window", rip: 0x100001 }]);
});

Deno.test("window exits after VM-entry injection come before the handler's first instruction", () => {
  for (const [requests, kind] of [[1, "interrupt-window"], [2, "nmi-window"]] as const) {
    const { t, seen } = windowCpu(requests, "90 f4" /* nop; hlt */);
    t.cpu.rflags |= 0x200;
    t.cpu.injectEvent({ type: 3, vector: 1, errorCode: -1, instructionLength: 0 });
    t.cpu.run(100);
    const idt = LAYOUT.idt + 16;
    const handler = (t.mem.read32(idt) & 0xffff) | (t.mem.read32(idt + 4) & 0xffff0000);
    assert.deepEqual(seen, [{ kind, rip: handler >>> 0 }]);
  }
});

Deno.test("a preemption timer expired at VM entry exits after the injected event, before any instruction", () => {
  const { t, seen } = windowCpu(16, "90 f4" /* nop; hlt */);
  t.cpu.injectEvent({ type: 3, vector: 1, errorCode: -1, instructionLength: 0 });
  t.cpu.run(100);
  const idt = LAYOUT.idt + 16;
  const handler = (t.mem.read32(idt) & 0xffff) | (t.mem.read32(idt + 4) & 0xffff0000);
  assert.deepEqual(seen, [{ kind: "preemption-timer", rip: handler >>> 0 }]);
  const plain = windowCpu(16, "90 f4" /* nop; hlt */);
  plain.t.cpu.run(100);
  assert.deepEqual(plain.seen, [{ kind: "preemption-timer", rip: 0x100000 }], "no instruction ran");
});

Deno.test("#AC: a misaligned access at CPL 3 with CR0.AM and RFLAGS.AC; none at CPL 0", () => {
  const t = exec64(
    "0f 20 c0 0d 00 00 04 00 0f 22 c0 6a 2b 68 00 00 07 00 68 02 02 04 00 6a 33 68 00 08 10 00 48 cf", /* mov rax, cr0; or eax, 0x40000; mov cr0, rax; push 0x2b; push 0x70000; push 0x40202; push 0x33; push 0x100800; iretq */
    (x) => {
      x.mem.write32(LAYOUT.tss + 4, 0x88000);
      // At 0x100800 (CPL 3): mov eax, [0x200000]; mov ebx, [0x200001]; hlt
      x.mem.writeBytes(
        0x100800,
        new Uint8Array([0x8b, 0x04, 0x25, 0, 0, 0x20, 0, 0x8b, 0x1c, 0x25, 1, 0, 0x20, 0, 0xf4]),
      );
    },
  );
  assert.equal(t.cpu.gpr[30], 17, "#AC");
  assert.equal(t.mem.read32(t.cpu.gpr[8]), 0, "error code 0");
  assert.equal(
    t.mem.read32(t.cpu.gpr[8] + 8),
    0x100807,
    "the misaligned load faulted, the aligned one ran",
  );
  const k = exec64(
    "0f 20 c0 0d 00 00 04 00 0f 22 c0 9c 81 0c 24 00 00 04 00 9d 8b 1c 25 01 00 20 00 f4", /* mov rax, cr0; or eax, 0x40000; mov cr0, rax; pushfq; or dword ptr [rsp], 0x40000; popfq; mov ebx, dword ptr [0x200001]; hlt */
    (x) => {
      x.cpu.gpr[30] = 0xff;
    },
  );
  assert.equal(k.cpu.gpr[30], 0xff, "no #AC at CPL 0");
});
