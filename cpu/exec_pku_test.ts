import assert from "node:assert/strict";
import { exec64, LAYOUT, makeCpu } from "./testing.ts";
import { cr4Writable, defaultModel } from "./model.ts";
import { initReset } from "./init_sipi.ts";

const SET_PKE = "0f 20 e0 0d 00 00 40 00 0f 22 e0"; // mov rax, cr4; or eax, 0x400000; mov cr4, rax

Deno.test("RDPKRU/WRPKRU: #UD without CR4.PKE, #GP(0) for ECX (and EDX on WRPKRU) not 0", () => {
  assert.equal(exec64("0f 01 ee f4").cpu.gpr[30], 6); // rdpkru; hlt -> #UD
  assert.equal(exec64("31 c9 31 d2 0f 01 ef f4").cpu.gpr[30], 6); // wrpkru -> #UD
  // mov ecx, 1; rdpkru
  assert.equal(exec64(SET_PKE + " b9 01 00 00 00 0f 01 ee f4").cpu.gpr[30], 13);
  // xor ecx, ecx; mov edx, 1; wrpkru
  assert.equal(exec64(SET_PKE + " 31 c9 ba 01 00 00 00 0f 01 ef f4").cpu.gpr[30], 13);
  // xor ecx, ecx; xor edx, edx; mov eax, 0x1234; wrpkru; mov edx, -1; rdpkru; hlt
  const t = exec64(
    SET_PKE + " 31 c9 31 d2 b8 34 12 00 00 0f 01 ef ba ff ff ff ff 0f 01 ee f4",
  );
  assert.equal(t.cpu.gpr[30], 0, "no exception");
  assert.equal(t.cpu.gpr[0], 0x1234);
  assert.equal(t.cpu.gpr[4], 0, "RDPKRU clears EDX");
});

Deno.test("PKRU restricts supervisor data accesses to user pages; XSAVE/XRSTOR carry PKRU (component 9)", () => {
  const t = exec64(
    // mov rax, cr4; or eax, 0x440000 (OSXSAVE | PKE); mov cr4, rax; xor ecx, ecx; xor edx, edx;
    // mov eax, 0x203; xsetbv; mov eax, 0x20 (WD2); wrpkru; mov byte [0x400000], 7 (WP = 0: allowed);
    // mov eax, -1; mov edx, eax; xsave [0x200000]; xor ecx, ecx; xor edx, edx; xor eax, eax;
    // wrpkru; mov eax, -1; mov edx, eax; xrstor [0x200000]; xor ecx, ecx; rdpkru; mov ebx, eax;
    // mov eax, 0x10 (AD2); wrpkru; mov al, [0x400000] (#PF); hlt
    "0f 20 e0 0d 00 00 44 00 0f 22 e0 31 c9 31 d2 b8 03 02 00 00 0f 01 d1 b8 20 00 00 00 0f 01 ef " +
      "c6 04 25 00 00 40 00 07 b8 ff ff ff ff 89 c2 0f ae 24 25 00 00 20 00 31 c9 31 d2 31 c0 " +
      "0f 01 ef b8 ff ff ff ff 89 c2 0f ae 2c 25 00 00 20 00 31 c9 0f 01 ee 89 c3 b8 10 00 00 00 " +
      "0f 01 ef 8a 04 25 00 00 40 00 f4",
    (x) => x.mem.write32(LAYOUT.pd + 2 * 8 + 4, 2 << 27), // the 2 MiB page at 4 MiB: key 2
  );
  const { cpu, mem } = t;
  assert.equal(mem.read8(0x400000), 7, "WD does not stop supervisor writes with CR0.WP = 0");
  assert.equal(mem.read32(0x200000 + 576), 0x20, "PKRU saved at CPUID.(0DH,9):EBX");
  assert.equal(mem.read32(0x200000 + 512) & 0x203, 0x203, "XSTATE_BV has x87, SSE and PKRU");
  assert.equal(cpu.gpr[6], 0x20, "XRSTOR loaded PKRU back");
  assert.equal(cpu.gpr[30], 14, "AD2: the read faults");
  assert.equal(cpu.cr2, 0x400000);
  assert.equal(mem.read32(cpu.gpr[8]), 0x21, "error code P | PK");
});

Deno.test("CPUID: PKU always, OSPKE with CR4.PKE; XSAVE sizes follow XCR0; CR4.PKE writable with PKU", () => {
  const t = exec64(
    "b8 07 00 00 00 31 c9 0f a2 89 ce 0f 20 e0 0d 00 00 44 00 0f 22 e0 b8 07 00 00 00 31 c9 0f a2 " +
      "89 cf b8 0d 00 00 00 31 c9 0f a2 41 89 d8 31 c9 31 d2 b8 03 02 00 00 0f 01 d1 b8 0d 00 00 00 " +
      "31 c9 0f a2 41 89 d9 41 89 c2 41 89 cb b8 0d 00 00 00 b9 09 00 00 00 0f a2 41 89 c4 41 89 dd f4",
  );
  const g = t.cpu.gpr;
  assert.equal(g[30], 0, "no exception");
  assert.equal(g[12] & 0x18, 0x08, "PKU without OSPKE");
  assert.equal(g[14] & 0x18, 0x18, "PKU and OSPKE");
  assert.equal(g[16], 576, "leaf 0DH EBX for XCR0 = x87");
  assert.equal(g[18], 584, "leaf 0DH EBX for XCR0 = x87 | SSE | PKRU");
  assert.equal(g[20], 0x203, "supported XCR0 bits");
  assert.equal(g[22], 584, "largest area");
  assert.deepEqual([g[24], g[26]], [8, 576], "component 9: size and offset");
  const m = defaultModel();
  assert.equal(cr4Writable(m) & 0x400000, 0x400000);
  m.features.delete("pku");
  assert.equal(cr4Writable(m) & 0x400000, 0);
});

Deno.test("PKRU survives a snapshot and an INIT; RESET clears it", () => {
  // xor ecx, ecx; xor edx, edx; mov eax, 0x5554; wrpkru; hlt
  const t = exec64(SET_PKE + " 31 c9 31 d2 b8 54 55 00 00 0f 01 ef f4");
  assert.equal(t.cpu.pctx.pkru, 0x5554);
  const snap = JSON.parse(JSON.stringify(t.cpu.saveState()));
  const b = makeCpu();
  b.cpu.loadState(snap);
  assert.equal(b.cpu.pctx.pkru, 0x5554);
  delete snap.cr.pkru; // an older snapshot
  b.cpu.loadState(snap);
  assert.equal(b.cpu.pctx.pkru, 0);
  b.cpu.loadState(JSON.parse(JSON.stringify(t.cpu.saveState())));
  initReset(b.cpu);
  assert.equal(b.cpu.pctx.pkru, 0x5554, "INIT keeps PKRU like the x87/SSE state");
  b.cpu.reset();
  assert.equal(b.cpu.pctx.pkru, 0, "RESET");
});

Deno.test("IA32_PKRS (PKS): read back, bits 63:32 reserved, CPUID.7:ECX[31], CR4.PKS writable", () => {
  const t = exec64(
    // mov ecx, 0x6e1; mov eax, 0x10; xor edx, edx; wrmsr; xor eax, eax; rdmsr; mov r8d, eax;
    // mov eax, 7; xor ecx, ecx; cpuid; mov esi, ecx; mov ecx, 0x6e1; mov edx, 1; wrmsr (#GP); hlt
    "b9 e1 06 00 00 b8 10 00 00 00 31 d2 0f 30 31 c0 0f 32 41 89 c0 b8 07 00 00 00 31 c9 0f a2 89 ce " +
      "b9 e1 06 00 00 ba 01 00 00 00 0f 30 f4",
  );
  assert.equal(t.cpu.gpr[16], 0x10);
  assert.equal(t.cpu.gpr[12] >>> 31, 1, "CPUID.7:ECX.PKS");
  assert.equal(t.cpu.gpr[30], 13, "a reserved bit set: #GP");
  assert.equal(t.cpu.pctx.pkrs, 0x10, "unchanged by the faulting WRMSR");
  const m = defaultModel();
  assert.equal(cr4Writable(m) & 0x1000000, 0x1000000);
  m.features.delete("pks");
  assert.equal(cr4Writable(m) & 0x1000000, 0);
  const snap = JSON.parse(JSON.stringify(t.cpu.saveState()));
  const b = makeCpu();
  b.cpu.loadState(snap);
  assert.equal(b.cpu.pctx.pkrs, 0x10, "snapshot");
  initReset(b.cpu);
  assert.equal(b.cpu.pctx.pkrs, 0x10, "INIT leaves the MSR");
  b.cpu.reset();
  assert.equal(b.cpu.pctx.pkrs, 0, "RESET");
});
