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
  runToHlt,
} from "./testing.ts";
import type { CpuidExit, IoExit, MsrReadExit, VmExit } from "../core/vmexit.ts";
import { SERIALIZING_NS } from "../core/stall.ts";

Deno.test("CPUID: vendor, x87/FXSR and MMX/SSE-SSE4.2 advertised, plugin override", () => {
  let t = exec64(
    "31 c0 0f a2 89 de b8 01 00 00 00 0f a2 f4", /* xor eax, eax; cpuid; mov esi, ebx; mov eax, 1; cpuid; hlt */
  );
  assert.equal(t.cpu.gpr[12], 0x756e6547); // "Genu"
  assert.equal(t.cpu.gpr[4] & ((1 << 0) | (1 << 24)), (1 << 0) | (1 << 24)); // FPU FXSR
  const sseEdx = (1 << 23) | (1 << 25) | (1 << 26); // MMX SSE SSE2
  assert.equal(t.cpu.gpr[4] & sseEdx, sseEdx);
  const sseEcx = (1 << 0) | (1 << 9) | (1 << 19) | (1 << 20); // SSE3 SSSE3 SSE4.1 SSE4.2
  assert.equal(t.cpu.gpr[2] & sseEcx, sseEcx);
  assert.equal((t.cpu.gpr[2] >>> 5) & 1, 1); // VMX
  t = exec64("b8 00 00 00 40 0f a2 f4", /* mov eax, 0x40000000; cpuid; hlt */ (x) => {
    x.onExit = (e: VmExit) => {
      if (e.kind === "cpuid" && e.leaf === 0x40000000) {
        (e as CpuidExit).ebx = 0x4e455354;
        return "handled";
      }
      return "pass";
    };
  });
  assert.equal(t.cpu.gpr[6], 0x4e455354);
});

Deno.test("RDMSR/WRMSR: core MSRs, unknown MSRs go to the bus, #GP when nobody answers", () => {
  let t = exec64(
    "b9 82 00 00 c0 b8 44 33 22 11 ba ff ff ff ff 0f 30 31 c0 31 d2 0f 32 f4", /* mov ecx, 0xc0000082; mov eax, 0x11223344; mov edx, 0xffffffff; wrmsr; xor eax, eax; xor edx, edx; rdmsr; hlt */
  );
  assert.equal(t.cpu.gpr[0], 0x11223344);
  assert.equal(t.cpu.gpr[4], 0xffffffff);
  assert.equal(t.cpu.readMsr(0xc0000082), 0xffffffff11223344n);
  t = exec64("b9 45 23 01 00 0f 32 f4", /* mov ecx, 0x12345; rdmsr; hlt */ (x) => {
    x.cpu.gpr[30] = 0xff;
  });
  assert.equal(t.cpu.gpr[30], 13);
  t = exec64("b9 fe 00 00 00 0f 32 f4", /* mov ecx, 0xfe; rdmsr; hlt */ (x) => {
    x.onExit = (e) => {
      if (e.kind !== "rdmsr") return "pass";
      (e as MsrReadExit).lo = 0x508;
      return "handled";
    };
  });
  assert.equal(t.cpu.gpr[0], 0x508);
  // Non-canonical LSTAR is #GP(0).
  t = exec64(
    "b9 82 00 00 c0 31 c0 ba 00 00 00 80 0f 30 f4", /* mov ecx, 0xc0000082; xor eax, eax; mov edx, 0x80000000; wrmsr; hlt */
  );
  assert.equal(t.cpu.gpr[30], 13);
});

Deno.test("SYSCALL/SYSRET round trip between CPL 3 and CPL 0", () => {
  // Kernel entry at 0x101000: mov ebx, 0x5a; sysretq.  User code at 0x100800: syscall; hlt (-> #GP at CPL 3).
  const t = exec64(
    "b9 81 00 00 c0 31 c0 ba 08 00 10 00 0f 30 b9 82 00 00 c0 b8 00 10 10 00 31 d2 0f 30 b9 84 00 00 c0 b8 00 02 00 00 0f 30 6a 2b 68 00 00 07 00 68 02 02 00 00 6a 33 68 00 08 10 00 48 cf", /* mov ecx, 0xc0000081; xor eax, eax; mov edx, 0x00100008; wrmsr; mov ecx, 0xc0000082; mov eax, 0x101000; xor edx, edx; wrmsr; mov ecx, 0xc0000084; mov eax, 0x200; wrmsr; push 0x2b; push 0x70000; push 0x202; push 0x33; push 0x100800; iretq */
    (x) => {
      x.mem.write32(LAYOUT.tss + 4, 0x88000);
      x.mem.writeBytes(0x101000, new Uint8Array([0xbb, 0x5a, 0, 0, 0, 0x48, 0x0f, 0x07]));
      x.mem.writeBytes(0x100800, new Uint8Array([0x0f, 0x05, 0xf4]));
    },
  );
  // STAR[63:48] = 0x0010: SYSRET to 64-bit code loads CS = 0x10 + 16 = 0x20 | 3.
  assert.equal(t.cpu.gpr[6], 0x5a);
  assert.equal(r64(t, 1), 0x100802n); // RCX = return RIP
  assert.equal(t.cpu.gpr[22] & 0x200, 0x200); // R11 = old RFLAGS (IF set)
  assert.equal(t.cpu.gpr[30], 13); // HLT at CPL 3 after sysret
  assert.equal(t.mem.read32(t.cpu.gpr[8] + 16), 0x23); // faulting CS pushed: 0x20 | 3
});

Deno.test("SWAPGS and RDFSBASE/WRGSBASE", () => {
  const t = exec64(
    "b9 02 01 00 c0 b8 00 50 00 00 31 d2 0f 30 0f 01 f8 0f 20 e0 0d 00 00 01 00 0f 22 e0 48 c7 c3 00 70 00 00 f3 48 0f ae d3 f3 48 0f ae ce 64 48 8b 14 25 10 00 00 00 f4", /* mov ecx, 0xc0000102; mov eax, 0x5000; xor edx, edx; wrmsr; swapgs; mov rax, cr4; or eax, 0x10000; mov cr4, rax; mov rbx, 0x7000; wrfsbase rbx; rdgsbase rsi; mov rdx, fs:[0x10]; hlt */
    (x) => {
      x.mem.write32(0x7010, 0xfeed);
    },
  );
  assert.equal(t.cpu.gpr[12], 0x5000);
  assert.equal(t.cpu.gpr[4], 0xfeed);
  assert.equal(t.cpu.seg[4].base, 0x7000);
});

Deno.test("string instructions with REP in both directions", () => {
  const t = exec64(
    "48 8d 35 4d 00 00 00 bf 00 00 20 00 b9 05 00 00 00 f3 a4 bf 00 01 20 00 b8 ab ab ab ab b9 04 00 00 00 f3 ab be 00 00 20 00 48 8d 3d 24 00 00 00 b9 05 00 00 00 f3 a6 49 89 c8 bf 00 00 20 00 b0 6c b9 05 00 00 00 f2 ae 49 89 c9 fd be 04 00 20 00 ac fc f4 68 65 6c 6c 6f", /* lea rsi, [rip + 1f]; mov edi, 0x200000; mov ecx, 5; rep movsb; mov edi, 0x200100; mov eax, 0xabababab; mov ecx, 4; rep stosd; mov esi, 0x200000; lea rdi, [rip + 1f]; mov ecx, 5; repe cmpsb; mov r8, rcx; mov edi, 0x200000; mov al, 0x6c; mov ecx, 5; repne scasb; mov r9, rcx; std; mov esi, 0x200004; lodsb; cld; hlt; 1: .ascii "hello" */
  );
  assert.equal(new TextDecoder().decode(t.mem.readBytes(0x200000, 5)), "hello");
  assert.equal(t.mem.read32(0x20010c), 0xabababab);
  assert.equal(t.cpu.gpr[16], 0); // all equal
  assert.equal(t.cpu.gpr[18], 2); // found 'l' at index 2
  assert.equal(t.cpu.gpr[0] & 0xff, 0x6f);
  assert.equal(t.cpu.gpr[12], 0x200003);
});

Deno.test("port I/O: exits, unowned ports read all ones, OUTS per element, IOPL/bitmap #GP", () => {
  const t = exec64(
    "b0 41 e6 e9 66 ba f8 03 ec 89 c3 66 ba 80 00 ed 48 8d 35 0c 00 00 00 b9 02 00 00 00 66 ba e9 00 f3 6e f4 6f 6b", /* mov al, 0x41; out 0xe9, al; mov dx, 0x3f8; in al, dx; mov ebx, eax; mov dx, 0x80; in eax, dx; lea rsi, [rip + 1f]; mov ecx, 2; mov dx, 0xe9; rep outsb; hlt; 1: .ascii "ok" */
    (x) => {
      x.onExit = (
        e,
      ) => (e.kind === "io" && e.port === 0x3f8 ? ((e as IoExit).value = 0x55, "handled") : "pass");
    },
  );
  const outs = t.exits.filter((e): e is IoExit => e.kind === "io" && e.direction === "out");
  assert.deepEqual(outs.map((e) => e.value), [0x41, 0x6f, 0x6b]);
  assert.equal(outs[1].string?.rep, true);
  assert.equal(outs[0].dxForm, false);
  assert.equal(t.cpu.gpr[6] & 0xff, 0x55);
  assert.equal(t.cpu.gpr[0], 0xffffffff);
  // CPL 3 with IOPL 0 and no I/O bitmap in the TSS: #GP(0).
  const u = exec64(
    "6a 2b 68 00 00 07 00 6a 02 6a 33 68 00 08 10 00 48 cf", /* push 0x2b; push 0x70000; push 2; push 0x33; push 0x100800; iretq */
    (x) => {
      x.mem.write32(LAYOUT.tss + 4, 0x88000);
      x.mem.write16(LAYOUT.tss + 0x66, 0x68); // bitmap offset = limit + 1 (no bitmap)
      x.mem.writeBytes(0x100800, new Uint8Array([0xe6, 0xe9]));
    },
  );
  assert.equal(u.cpu.gpr[30], 13);
  assert.equal(u.exits.filter((e) => e.kind === "io").length, 0);
});

Deno.test("RDTSC follows virtual time; TSC writes offset it", () => {
  const t = exec64(
    "0f 31 89 c3 90 90 0f 31 89 c6 b9 10 00 00 00 31 c0 ba 01 00 00 00 0f 30 0f 31 f4", /* rdtsc; mov ebx, eax; nop; nop; rdtsc; mov esi, eax; mov ecx, 0x10; xor eax, eax; mov edx, 1; wrmsr; rdtsc; hlt */
  );
  assert.equal(t.cpu.gpr[12] - t.cpu.gpr[6], 4); // one ns per retired instruction
  assert.equal(t.cpu.gpr[4], 1);
  // The write sets the TSC; WRMSR's serializing stall passes after it.
  const since = t.cpu.gpr[0];
  assert.ok(since >= SERIALIZING_NS && since < SERIALIZING_NS + 10, `${since}`);
});

Deno.test("control registers: reserved CR4 bits #GP, CR0.PG without PE #GP, CR3 reload, CR8", () => {
  let t = exec64(
    "0f 20 e0 0d 00 00 80 00 0f 22 e0 f4", /* mov rax, cr4; or eax, 0x800000; mov cr4, rax; hlt */
  );
  assert.equal(t.cpu.gpr[30], 13); // CET not allowed (no control-flow enforcement)
  t = exec64(
    "0f 20 d8 0f 22 d8 b8 05 00 00 00 44 0f 22 c0 44 0f 20 c3 0f 20 c1 f4", /* mov rax, cr3; mov cr3, rax; mov eax, 5; mov cr8, rax; mov rbx, cr8; mov rcx, cr0; hlt */
  );
  assert.equal(t.cpu.gpr[6], 5);
  assert.equal(t.cpu.gpr[2] >>> 31, 1);
  t = exec32("b8 00 00 00 80 0f 22 c0 f4" /* mov eax, 0x80000000; mov cr0, eax; hlt */);
  assert.equal(t.cpu.gpr[14], 13);
});

Deno.test("descriptor tables: SGDT/LGDT/LIDT, LTR marks the TSS busy, LAR/LSL/VERR/VERW", () => {
  const t = exec64(
    "0f 01 04 25 00 00 20 00 66 c7 04 25 10 00 20 00 ff 03 48 c7 04 25 12 00 20 00 00 20 00 00 0f 01 1c 25 10 00 20 00 66 b8 38 00 0f 00 d8 66 0f 00 cb 66 b9 10 00 0f 02 d1 0f 03 f1 0f 00 e1 41 0f 94 c0 66 b9 18 00 0f 00 e9 41 0f 94 c1 f4", /* sgdt [0x200000]; mov word ptr [0x200010], 0x3ff; mov qword ptr [0x200012], 0x2000; lidt [0x200010]; mov ax, 0x38; ltr ax; str bx; mov cx, 0x10; lar edx, ecx; lsl esi, ecx; verr cx; setz r8b; mov cx, 0x18; verw cx; setz r9b; hlt */
    (x) => {
      x.mem.write32(
        LAYOUT.gdt + 7 * 8 + 4,
        (x.mem.read32(LAYOUT.gdt + 7 * 8 + 4) & ~0xf00) | 0x900,
      );
    },
  );
  assert.equal(t.mem.read16(0x200000), 16 * 8 - 1);
  assert.equal(t.mem.read32(0x200002), LAYOUT.gdt);
  assert.equal(t.cpu.idtr.limit, 0x3ff);
  assert.equal(t.cpu.gpr[6] & 0xffff, 0x38);
  assert.equal((t.mem.read32(LAYOUT.gdt + 7 * 8 + 4) >> 8) & 0xf, 0xb); // busy
  assert.equal(t.cpu.gpr[4] & 0xffff00, 0xc09300);
  assert.equal(t.cpu.gpr[12], 0xffffffff);
  assert.equal(t.cpu.gpr[16] & 0xff, 1);
  assert.equal(t.cpu.gpr[18] & 0xff, 0); // code segment is not writable
});

Deno.test("x87 opcodes: execute, or #NM with CR0.TS; VMX instructions exit or #UD", () => {
  let t = exec64("d9 e8 f4", /* fld1; hlt */ (x) => {
    x.cpu.gpr[30] = 0xff;
  });
  assert.equal(t.cpu.gpr[30], 0xff); // no exception
  assert.equal(t.cpu.fpu.fsw >>> 11, 7); // one value pushed
  t = exec64(
    "0f 20 c0 83 c8 08 0f 22 c0 d9 e8 f4", /* mov rax, cr0; or eax, 8; mov cr0, rax; fld1; hlt */
  );
  assert.equal(t.cpu.gpr[30], 7);
  t = exec64("0f 01 c1 f4", /* vmcall; hlt */ (x) => {
    x.cpu.gpr[30] = 0xff;
  });
  assert.equal(t.cpu.gpr[30], 6);
  t = exec64(
    "48 c7 c0 00 00 30 00 0f c7 70 08 f4", /* mov rax, 0x300000; vmptrld [rax + 8]; hlt */
    (x) => {
      x.onExit = (e) => (e.kind === "vmx" ? "handled" : "pass");
    },
  );
  const v = t.exits.find((e) => e.kind === "vmx");
  assert.ok(v && v.kind === "vmx");
  assert.equal(v.instruction, "vmptrld");
  assert.equal(v.operands.mem?.linear, 0x300008);
  assert.equal(v.operands.mem?.base, 0);
});

Deno.test("snapshots: save, restore into a new CPU, continue identically", () => {
  const code =
    "b9 e8 03 00 00 31 c0 01 c8 c1 c0 03 e2 f9 f4" /* mov ecx, 1000; xor eax, eax; 1: add eax, ecx; rol eax, 3; loop 1b; hlt */;
  const a = makeCpu();
  enter64(a);
  installIdt(a, true);
  load(a, code);
  a.cpu.run(500);
  const snap = JSON.parse(JSON.stringify(a.cpu.saveState()));
  const b = makeCpu();
  b.mem.writeBytes(0, a.mem.readBytes(0, 4 * 1024 * 1024));
  b.cpu.loadState(snap);
  assert.equal(a.cpu.run(1e6), "halted");
  assert.equal(b.cpu.run(1e6), "halted");
  assert.equal(b.cpu.gpr[0], a.cpu.gpr[0]);
  assert.equal(b.cpu.retired, a.cpu.retired);
  assert.equal(b.cpu.rflags, a.cpu.rflags);
});

Deno.test("SYSCALL whose FMASK clears TF takes no single-step trap (TF counts at its end)", () => {
  const t = exec64(
    "b9 81 00 00 c0 31 c0 ba 08 00 10 00 0f 30 b9 82 00 00 c0 b8 00 10 10 00 31 d2 0f 30 b9 84 00 00 c0 b8 00 01 00 00 0f 30 b9 80 00 00 c0 0f 32 83 c8 01 0f 30 9c 81 0c 24 00 01 00 00 9d 0f 05 f4", /* mov ecx, 0xc0000081; xor eax, eax; mov edx, 0x00100008; wrmsr; mov ecx, 0xc0000082; mov eax, 0x101000; xor edx, edx; wrmsr; mov ecx, 0xc0000084; mov eax, 0x100; wrmsr; mov ecx, 0xc0000080; rdmsr; or eax, 1; wrmsr; pushfq; or dword ptr [rsp], 0x100; popfq; syscall; hlt */
    (x) => {
      x.cpu.gpr[30] = 0xff;
      x.mem.writeBytes(0x101000, new Uint8Array([0xbb, 0x5a, 0, 0, 0, 0xf4])); // mov ebx, 0x5a; hlt
    },
  );
  assert.equal(t.cpu.gpr[30], 0xff, "no #DB");
  assert.equal(t.cpu.gpr[6], 0x5a);
  assert.equal(t.cpu.rflags & 0x100, 0);
});

Deno.test("SYSCALL outside 64-bit mode: #UD for an Intel model, CSTAR target for an AMD one", () => {
  for (const vendor of ["GenuineIntel", "AuthenticAMD"]) {
    const t = makeCpu();
    enter64(t);
    installIdt(t, true);
    t.cpu.model.vendor = vendor;
    t.cpu.efer |= 1; // SCE
    t.cpu.star = 0x0010000800000000n;
    t.cpu.cstar = 0x101000;
    // Compatibility mode: CS with L=0 (GDT entry 1, 32-bit code).
    Object.assign(t.cpu.seg[1], { selector: 0x08, attrs: 0xc09b });
    t.cpu.stateChanged();
    t.cpu.gpr[30] = 0xff;
    t.mem.writeBytes(0x101000, new Uint8Array([0xbb, 0x5a, 0, 0, 0, 0xf4])); // (64-bit) mov ebx, 0x5a; hlt
    load(t, "0f 05 f4" /* syscall; hlt */);
    assert.equal(runToHlt(t), "halted");
    if (vendor === "GenuineIntel") assert.equal(t.cpu.gpr[30], 6, "#UD");
    else {
      assert.equal(t.cpu.gpr[30], 0xff);
      assert.equal(t.cpu.gpr[6], 0x5a);
      assert.equal(t.cpu.gpr[2], 0x100002, "RCX = return RIP");
      assert.equal(t.cpu.mode, "long64");
    }
  }
});

Deno.test("CLAC/STAC change RFLAGS.AC with SMAP; #UD without it", () => {
  const code =
    "0f 01 cb 9c 5b 0f 01 ca 9c 59 f4"; /* stac; pushfq; pop rbx; clac; pushfq; pop rcx; hlt */
  const t = exec64(code, (x) => {
    x.cpu.gpr[30] = 0xff;
  });
  assert.equal(t.cpu.gpr[30], 0xff);
  assert.equal(t.cpu.gpr[6] & 0x40000, 0x40000, "STAC set AC");
  assert.equal(t.cpu.gpr[2] & 0x40000, 0, "CLAC cleared AC");
  const u = exec64(code, (x) => {
    x.cpu.model.features.delete("smap");
  });
  assert.equal(u.cpu.gpr[30], 6, "#UD without SMAP");
});

Deno.test("SERIALIZE and RSM are not implemented: #UD (core/stall.ts lists them as such)", () => {
  assert.equal(exec64("0f 01 e8 f4").cpu.gpr[30], 6, "SERIALIZE");
  assert.equal(exec64("0f aa f4").cpu.gpr[30], 6, "RSM");
});
