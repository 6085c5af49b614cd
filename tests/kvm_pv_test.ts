/**
 * The `kvm-pv` plugin on a whole machine (two vCPUs, the PC board, the VMX
 * plugin): flat 64-bit code reads the KVM CPUID leaves, sends IPIs with
 * KVM_HC_SEND_IPI through VMCALL and VMMCALL (to itself in xAPIC and in
 * x2APIC mode, and INIT + SIPI to start vCPU 1), and makes an unknown
 * hypercall; without the plugin the same VMCALL is #UD and no KVM leaf is
 * there.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Plugin } from "../core/plugin.ts";
import { bootFlat, createMachine } from "../plugins/machine_builder.ts";
import type { PcMachine } from "../plugins/pc_machine.ts";
import { AP_MARK_AND_HALT, bytesOf, type Listing } from "./listing.ts";

const BASE = 0x100000;
const AP_PAGE = 0x8000; // SIPI vector 8
const OUT = 0x7100; // results

/** vCPU 0, 64-bit: the KVM leaves, then hypercalls; ends with isa-debug-exit status 1. */
const BSP: Listing = [
  ["b8 00 00 00 40", "mov eax,0x40000000"],
  ["0f a2", "cpuid"],
  ["89 04 25 00 71 00 00", "mov DWORD PTR ds:0x7100,eax"],
  ["89 1c 25 04 71 00 00", "mov DWORD PTR ds:0x7104,ebx"],
  ["89 0c 25 08 71 00 00", "mov DWORD PTR ds:0x7108,ecx"],
  ["89 14 25 0c 71 00 00", "mov DWORD PTR ds:0x710c,edx"],
  ["b8 01 00 00 40", "mov eax,0x40000001"],
  ["0f a2", "cpuid"],
  ["89 04 25 10 71 00 00", "mov DWORD PTR ds:0x7110,eax"],
  ["b8 01 00 00 00", "mov eax,0x1"],
  ["0f a2", "cpuid"],
  ["89 0c 25 14 71 00 00", "mov DWORD PTR ds:0x7114,ecx"],
  ["bf f0 00 e0 fe", "mov edi,0xfee000f0"],
  ["c7 07 ff 01 00 00", "mov DWORD PTR [rdi],0x1ff"],
  ["b8 0a 00 00 00", "mov eax,0xa"],
  ["bb 01 00 00 00", "mov ebx,0x1"],
  ["31 c9", "xor ecx,ecx"],
  ["31 d2", "xor edx,edx"],
  ["be 40 00 00 00", "mov esi,0x40"],
  ["0f 01 c1", "vmcall"],
  ["48 89 04 25 18 71 00 00", "mov QWORD PTR ds:0x7118,rax"],
  ["bf 20 02 e0 fe", "mov edi,0xfee00220"],
  ["8b 07", "mov eax,DWORD PTR [rdi]"],
  ["89 04 25 20 71 00 00", "mov DWORD PTR ds:0x7120,eax"],
  ["b8 0a 00 00 00", "mov eax,0xa"],
  ["bb 02 00 00 00", "mov ebx,0x2"],
  ["31 c9", "xor ecx,ecx"],
  ["31 d2", "xor edx,edx"],
  ["be 00 45 00 00", "mov esi,0x4500"],
  ["0f 01 c1", "vmcall"],
  ["48 89 04 25 28 71 00 00", "mov QWORD PTR ds:0x7128,rax"],
  ["b8 0a 00 00 00", "mov eax,0xa"],
  ["bb 01 00 00 00", "mov ebx,0x1"],
  ["31 c9", "xor ecx,ecx"],
  ["ba 01 00 00 00", "mov edx,0x1"],
  ["be 08 46 00 00", "mov esi,0x4608"],
  ["0f 01 d9", "vmmcall"],
  ["48 89 04 25 30 71 00 00", "mov QWORD PTR ds:0x7130,rax"],
  ["f3 90", "pause"],
  ["80 3c 25 00 70 00 00 42", "cmp BYTE PTR ds:0x7000,0x42"],
  ["75 f4", "jne 0xb5"],
  ["b8 45 23 01 00", "mov eax,0x12345"],
  ["0f 01 d9", "vmmcall"],
  ["48 89 04 25 38 71 00 00", "mov QWORD PTR ds:0x7138,rax"],
  ["b9 1b 00 00 00", "mov ecx,0x1b"],
  ["0f 32", "rdmsr"],
  ["0d 00 0c 00 00", "or eax,0xc00"],
  ["0f 30", "wrmsr"],
  ["b8 0a 00 00 00", "mov eax,0xa"],
  ["bb 01 00 00 00", "mov ebx,0x1"],
  ["31 c9", "xor ecx,ecx"],
  ["31 d2", "xor edx,edx"],
  ["be 41 00 00 00", "mov esi,0x41"],
  ["0f 01 c1", "vmcall"],
  ["48 89 04 25 40 71 00 00", "mov QWORD PTR ds:0x7140,rax"],
  ["b9 22 08 00 00", "mov ecx,0x822"],
  ["0f 32", "rdmsr"],
  ["89 04 25 48 71 00 00", "mov DWORD PTR ds:0x7148,eax"],
  ["b0 00", "mov al,0x0"],
  ["e6 f4", "out 0xf4,al"],
  ["f4", "hlt"],
];

const AP = AP_MARK_AND_HALT;

function read64(m: PcMachine, addr: number): bigint {
  return BigInt(m.memory.read(addr, 4)) | (BigInt(m.memory.read(addr + 4, 4)) << 32n);
}

Deno.test("kvm-pv machine: KVM leaves, SEND_IPI by VMCALL and VMMCALL (xAPIC, x2APIC, INIT+SIPI)", () => {
  const m = createMachine({ memoryMiB: 16, smp: 2, kvmPv: true });
  bootFlat(
    m,
    [{ addr: BASE, data: bytesOf(BSP) }, { addr: AP_PAGE, data: bytesOf(AP) }],
    BASE,
    "long64",
  );
  const r = m.run({ maxInstructions: 5_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: 1 });
  const w = (off: number) => m.memory.read(OUT + off, 4);
  const sig = new TextDecoder().decode(new Uint32Array([w(4), w(8), w(12)]));
  assert.equal(w(0), 0x40000001, "highest KVM leaf");
  assert.equal(sig, "KVMKVMKVM\0\0\0");
  assert.equal(
    w(0x10),
    (1 << 3) | (1 << 11) | (1 << 24),
    "KVM_FEATURE_CLOCKSOURCE2, PV_SEND_IPI and CLOCKSOURCE_STABLE_BIT only",
  );
  assert.equal(w(0x14) >>> 31, 1, "CPUID.1:ECX hypervisor bit");
  assert.equal((w(0x14) >>> 5) & 1, 1, "CPUID.1:ECX VMX still there");
  assert.equal(read64(m, OUT + 0x18), 1n, "fixed 0x40 to ID 0 (itself): delivered to 1");
  assert.equal(w(0x20) & 1, 1, "vector 0x40 pending in this APIC's IRR");
  assert.equal(read64(m, OUT + 0x28), 1n, "INIT to ID 1");
  assert.equal(read64(m, OUT + 0x30), 1n, "SIPI to ID 1 (by VMMCALL)");
  assert.equal(m.memory.read(0x7000, 1), 0x42, "vCPU 1 ran the SIPI's code");
  assert.equal(read64(m, OUT + 0x38), BigInt.asUintN(64, -1000n), "-KVM_ENOSYS");
  assert.equal(read64(m, OUT + 0x40), 1n, "fixed 0x41 to ID 0 in x2APIC mode");
  assert.equal(w(0x48) & 2, 2, "vector 0x41 pending (x2APIC IRR MSR 0x822)");
  m.dispose();
});

// mov eax,1; cpuid; mov [0x7114],ecx; mov eax,0x40000000; cpuid; mov [0x7104],ebx; vmcall; hlt
const PLAIN: Listing = [
  ["b8 01 00 00 00", "mov eax,0x1"],
  ["0f a2", "cpuid"],
  ["89 0c 25 14 71 00 00", "mov DWORD PTR ds:0x7114,ecx"],
  ["b8 00 00 00 40", "mov eax,0x40000000"],
  ["0f a2", "cpuid"],
  ["89 1c 25 04 71 00 00", "mov DWORD PTR ds:0x7104,ebx"],
  ["b8 00 00 00 00", "mov eax,0x0"],
  ["0f 01 c1", "vmcall"],
  ["f4", "hlt"],
];

/** Run PLAIN; #UD is recorded and skipped to the HLT. */
function runPlain(kvmPv: boolean, cpu?: string): { m: PcMachine; uds: number } {
  let uds = 0;
  const code = bytesOf(PLAIN);
  const watch: Plugin = {
    name: "ud-watch",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.exits.watchExceptions([6]);
      ctx.exits.on("exception", (e) => {
        if (e.vector !== 6) return "pass";
        uds++;
        ctx.vcpu.rip = BASE + code.length - 1;
        return "handled";
      });
    },
  };
  const m = createMachine({ memoryMiB: 16, kvmPv, cpu, plugins: [watch] });
  bootFlat(m, [{ addr: BASE, data: code }], BASE, "long64");
  assert.equal(m.run({ maxInstructions: 1000 }).reason.kind, "halted");
  return { m, uds };
}

Deno.test("kvm-pv machine: without the plugin VMCALL outside VMX operation is #UD, no KVM leaves", () => {
  const { m, uds } = runPlain(false);
  assert.equal(uds, 1);
  assert.equal(m.memory.read(OUT + 0x14, 4) >>> 31, 0, "no hypervisor bit");
  assert.notEqual(m.memory.read(OUT + 4, 4), 0x4b4d564b, "no KVM signature");
  m.dispose();
});

Deno.test("kvm-pv machine: with the plugin and no VMX plugin (-cpu max,-vmx) VMCALL is a hypercall", () => {
  const { m, uds } = runPlain(true, "max,-vmx");
  assert.equal(uds, 0);
  assert.equal(m.cpu.gpr[0], (-1000) >>> 0, "-KVM_ENOSYS for hypercall 0");
  assert.equal(m.memory.read(OUT + 0x14, 4) >>> 31, 1, "hypervisor bit");
  assert.equal((m.memory.read(OUT + 0x14, 4) >>> 5) & 1, 0, "no VMX");
  assert.equal(m.memory.read(OUT + 4, 4), 0x4b4d564b);
  m.dispose();
});
