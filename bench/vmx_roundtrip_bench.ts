/**
 * Nested round trip: L2 executes CPUID in a loop; each CPUID exits to L1,
 * which reads the VM-exit instruction length, advances the guest RIP and
 * executes VMRESUME. Runs on the real CPU engine and the VMX plugin inside
 * a Machine; the 64-bit L1 below was assembled with GNU as (listing at
 * the end of this file).
 *
 * - `deno run -A bench/vmx_roundtrip_bench.ts [N]` prints round trips per
 *   second (median of 5 runs of N, default 200000);
 * - `deno bench -A bench/vmx_roundtrip_bench.ts` times 20000 round trips.
 *
 * @module
 */

import process from "node:process";
import { newPcMachine, type PcMachineOptions } from "../plugins/pc_machine.ts";
import { loadFlat } from "../boot/flat.ts";
import { applyEntryState } from "../boot/entry_state.ts";
import { createVmxPlugin } from "../vmx/plugin.ts";
import { VMX_STATS } from "../vmx/stats.ts";

const L1_CODE =
  "48c7c40000130048c7c70000110048c7070000000048b8ffff0000009aaf004889470848b8ffff00000092cf00488947" +
  "1048b867000001118900004889471848c747200000000066c74730270048c74732000011000f0157306a08488d050300" +
  "00005048cb66b810008ed88ec08ed08ee08ee866b818000f00d80f20e0480d002000000f22e00f20c04883c8200f22c0" +
  "b93a0000000f32a9010000007509b80500000031d20f30b9800400000f32890425000012008904250010120048c70425" +
  "100211000000120048c704251802110000101200f30fc73425100211000f86a4030000660fc73425180211000fc73425" +
  "180211000f868d030000b98d0400000f3289c3b8004000000f79c3b98e0400000f3289c3b8024000000f79c3b98f0400" +
  "000f3289c381cb00020000b80c4000000f79c3b9900400000f3289c381cb00020000b8124000000f79c30f20c3b8006c" +
  "00000f79c30f20dbb8026c00000f79c30f20e3b8046c00000f79c3b8000c000048c7c3100000000f79c3b8020c000048" +
  "c7c3080000000f79c3b8040c000048c7c3100000000f79c3b8060c000048c7c3100000000f79c3b8080c000048c7c310" +
  "0000000f79c3b80a0c000048c7c3100000000f79c3b80c0c000048c7c3180000000f79c3b80a6c000048c7c300011100" +
  "0f79c3b80c6c000048c7c3000011000f79c3b80e6c000048c7c3000000000f79c3488d1d42020000b8166c00000f79c3" +
  "4889e3b8146c00000f79c30f20c3b8006800000f79c30f20dbb8026800000f79c30f20e3b8046800000f79c3b8000800" +
  "0048c7c3100000000f79c3b80208000048c7c3080000000f79c3b80408000048c7c3100000000f79c3b80608000048c7" +
  "c3100000000f79c3b80808000048c7c3100000000f79c3b80a08000048c7c3100000000f79c3b80c08000048c7c30000" +
  "00000f79c3b80e08000048c7c3180000000f79c3b80048000048bbffffffff000000000f79c3b80248000048bbffffff" +
  "ff000000000f79c3b80448000048bbffffffff000000000f79c3b80648000048bbffffffff000000000f79c3b8084800" +
  "0048bbffffffff000000000f79c3b80a48000048bbffffffff000000000f79c3b80c48000048c7c3000000000f79c3b8" +
  "0e48000048c7c3670000000f79c3b81048000048c7c3270000000f79c3b81248000048c7c3000000000f79c3b8144800" +
  "0048c7c393c000000f79c3b81648000048c7c39ba000000f79c3b81848000048c7c393c000000f79c3b81a48000048c7" +
  "c393c000000f79c3b81c48000048c7c393c000000f79c3b81e48000048c7c393c000000f79c3b82048000048c7c30000" +
  "01000f79c3b82248000048c7c38b0000000f79c3b81468000048c7c3000111000f79c3b81668000048c7c3000011000f" +
  "79c3b81a68000048c7c3000400000f79c3b81c68000048c7c3000014000f79c3488d1d7d000000b81e6800000f79c3b8" +
  "2068000048c7c3020000000f79c3b80028000048c7c3ffffffff0f79c34c8b3c25000211000f01c2eb3d49ffcf741bb8" +
  "0c4400000f78c3b81e6800000f78c14801d90f79c10f01c3eb1db8024400000f78c348891c252002110048c704250802" +
  "110001000000f448c704250802110002000000f431c00fa2ebfa";

const LOAD = 0x100000;
const PARAMS = 0x110200;

function bytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Result of one run. */
export interface RoundTripResult {
  /** Round trips completed (= CPUID exits reflected to L1). */
  readonly roundTrips: number;
  /** Wall time in ms. */
  readonly ms: number;
  /** Process CPU time (user + system) in ms: less sensitive to a loaded host. */
  readonly cpuMs: number;
  /** Last basic exit reason seen by L1 (10 = CPUID). */
  readonly lastReason: number;
  /** Instructions retired by the vCPU (L1 and L2). */
  readonly retired: number;
}

/** A machine with the L1 hypervisor loaded, ready to run `n` round trips. */
export interface PreparedRun {
  /** Run to completion and measure. */
  run(): RoundTripResult;
  /** Release the machine. */
  dispose(): void;
}

/** Options of the round-trip machine (the engine from NESTVM_ENGINE); also what a snapshot restore rebuilds. */
export function roundTripMachineOptions(): PcMachineOptions {
  const engine = Deno.env.get("NESTVM_ENGINE");
  return {
    memoryMiB: 16,
    engine: engine === "jit" || engine === "interp" ? engine : undefined,
    plugins: [createVmxPlugin({ featureControl: "locked" })],
  };
}

/** A machine with the L1 hypervisor loaded, set to run `n` round trips (then HLT). */
export function roundTripMachine(n: number): ReturnType<typeof newPcMachine> {
  const m = newPcMachine(roundTripMachineOptions());
  const r = loadFlat([{ addr: LOAD, data: bytes(L1_CODE) }], m.memory, {
    entry: LOAD,
    mode: "long64",
    stack: 0x130000,
  });
  if (!r.ok) throw new Error(`load failed: ${JSON.stringify(r.error)}`);
  applyEntryState(m.cpu, r.entry);
  // The loader may leave CR0 as a negative int32; MOV from CR0 would then sign-extend it.
  m.cpu.cr0 = m.cpu.cr0 >>> 0;
  m.memory.write(PARAMS, 4, n);
  return m;
}

/** Build the machine and load L1 (not timed). */
export function prepare(n: number): PreparedRun {
  const m = roundTripMachine(n);
  return {
    run(): RoundTripResult {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const res = m.run({ maxInstructions: 100 * n + 100000 });
      const ms = performance.now() - t0;
      const c1 = process.cpuUsage(c0);
      const cpuMs = (c1.user + c1.system) / 1000;
      const status = m.memory.read(PARAMS + 8, 4);
      if (status !== 1) {
        throw new Error(
          `L1 did not finish (status ${status}, run ${JSON.stringify(res)}, rip 0x${
            m.cpu.rip.toString(16)
          })`,
        );
      }
      const stats = m.services.find(VMX_STATS);
      const trips = stats ? stats.l2ToL1[10] : n;
      const lastReason = m.memory.read(PARAMS + 32, 4);
      return { roundTrips: trips, ms, cpuMs, lastReason, retired: m.cpu.retired };
    },
    dispose(): void {
      m.dispose();
    },
  };
}

/** Boot the L1 hypervisor and run `n` CPUID round trips. */
export function roundTrips(n: number): RoundTripResult {
  const p = prepare(n);
  try {
    return p.run();
  } finally {
    p.dispose();
  }
}

if (import.meta.main) {
  const n = Number(process.argv[2] ?? Deno.args[0] ?? 200000);
  const rates: number[] = [];
  const perCpu: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = roundTrips(n);
    if (r.lastReason !== 10) throw new Error(`unexpected exit reason ${r.lastReason}`);
    rates.push(r.roundTrips / (r.ms / 1000));
    perCpu.push(r.roundTrips / (r.cpuMs / 1000));
  }
  rates.sort((a, b) => a - b);
  perCpu.sort((a, b) => a - b);
  const fmt = (x: number): string => Math.round(x).toLocaleString("en-US");
  console.log(
    `nested CPUID round trips: ${fmt(rates[2])}/s wall, ${fmt(perCpu[2])}/s per CPU-second ` +
      `(median of 5 x ${n}; best wall ${fmt(rates[4])}/s)`,
  );
} else {
  Deno.bench("vmx: 20000 L2 CPUID -> L1 -> VMRESUME round trips", (b) => {
    const p = prepare(20000);
    b.start();
    p.run();
    b.end();
    p.dispose();
  });
}

// ---- L1 listing (GNU as, .intel_syntax noprefix; `as --64` + `objcopy -O binary`) ----
// .intel_syntax noprefix
// .code64
// /* Addresses (identity-mapped, loaded at 0x100000). */
// .set GDT, 0x110000
// .set TSS, 0x110100
// .set PARAMS, 0x110200      /* +0: iterations, +8: result */
// .set VMXON_REGION, 0x120000
// .set VMCS_REGION, 0x121000
// .set L1_STACK, 0x130000
// .set L2_STACK, 0x140000
//
// .macro VMWI enc, val
//   mov eax, \enc
//   mov rbx, \val
//   vmwrite rax, rbx
// .endm
//
// .globl _start
// _start:
//   mov rsp, L1_STACK
//   /* GDT: null, code64 0x08, data 0x10, 64-bit TSS 0x18. */
//   mov rdi, GDT
//   mov qword ptr [rdi], 0
//   mov rax, 0x00af9a000000ffff
//   mov [rdi + 8], rax
//   mov rax, 0x00cf92000000ffff
//   mov [rdi + 16], rax
//   mov rax, 0x0000890000000067 | ((TSS & 0xffffff) << 16) | ((TSS >> 24) << 56)
//   mov [rdi + 24], rax
//   mov qword ptr [rdi + 32], 0
//   mov word ptr [rdi + 48], 39
//   mov qword ptr [rdi + 50], GDT
//   lgdt [rdi + 48]
//   push 0x08
//   lea rax, [rip + 1f]
//   push rax
//   retfq
// 1:
//   mov ax, 0x10
//   mov ds, ax
//   mov es, ax
//   mov ss, ax
//   mov fs, ax
//   mov gs, ax
//   mov ax, 0x18
//   ltr ax
//   mov rax, cr4
//   or rax, 0x2000
//   mov cr4, rax
//   mov rax, cr0
//   or rax, 0x20
//   mov cr0, rax
//   mov ecx, 0x3a
//   rdmsr
//   test eax, 1
//   jnz 2f
//   mov eax, 5
//   xor edx, edx
//   wrmsr
// 2:
//   mov ecx, 0x480
//   rdmsr
//   mov [VMXON_REGION], eax
//   mov [VMCS_REGION], eax
//   mov qword ptr [PARAMS + 16], VMXON_REGION
//   mov qword ptr [PARAMS + 24], VMCS_REGION
//   vmxon [PARAMS + 16]
//   jbe fail
//   vmclear [PARAMS + 24]
//   vmptrld [PARAMS + 24]
//   jbe fail
//   /* Controls: the TRUE_* allowed-0 settings, plus address-space size / IA-32e guest. */
//   mov ecx, 0x48d
//   rdmsr
//   mov ebx, eax
//   mov eax, 0x4000
//   vmwrite rax, rbx
//   mov ecx, 0x48e
//   rdmsr
//   mov ebx, eax
//   mov eax, 0x4002
//   vmwrite rax, rbx
//   mov ecx, 0x48f
//   rdmsr
//   mov ebx, eax
//   or ebx, 0x200
//   mov eax, 0x400c
//   vmwrite rax, rbx
//   mov ecx, 0x490
//   rdmsr
//   mov ebx, eax
//   or ebx, 0x200
//   mov eax, 0x4012
//   vmwrite rax, rbx
//   /* Host state. */
//   mov rbx, cr0
//   mov eax, 0x6c00
//   vmwrite rax, rbx
//   mov rbx, cr3
//   mov eax, 0x6c02
//   vmwrite rax, rbx
//   mov rbx, cr4
//   mov eax, 0x6c04
//   vmwrite rax, rbx
//   VMWI 0x0c00, 0x10
//   VMWI 0x0c02, 0x08
//   VMWI 0x0c04, 0x10
//   VMWI 0x0c06, 0x10
//   VMWI 0x0c08, 0x10
//   VMWI 0x0c0a, 0x10
//   VMWI 0x0c0c, 0x18
//   VMWI 0x6c0a, TSS
//   VMWI 0x6c0c, GDT
//   VMWI 0x6c0e, 0
//   lea rbx, [rip + exit_handler]
//   mov eax, 0x6c16
//   vmwrite rax, rbx
//   mov rbx, rsp
//   mov eax, 0x6c14
//   vmwrite rax, rbx
//   /* Guest state: a copy of the host's 64-bit environment. */
//   mov rbx, cr0
//   mov eax, 0x6800
//   vmwrite rax, rbx
//   mov rbx, cr3
//   mov eax, 0x6802
//   vmwrite rax, rbx
//   mov rbx, cr4
//   mov eax, 0x6804
//   vmwrite rax, rbx
//   VMWI 0x0800, 0x10
//   VMWI 0x0802, 0x08
//   VMWI 0x0804, 0x10
//   VMWI 0x0806, 0x10
//   VMWI 0x0808, 0x10
//   VMWI 0x080a, 0x10
//   VMWI 0x080c, 0
//   VMWI 0x080e, 0x18
//   VMWI 0x4800, 0xffffffff
//   VMWI 0x4802, 0xffffffff
//   VMWI 0x4804, 0xffffffff
//   VMWI 0x4806, 0xffffffff
//   VMWI 0x4808, 0xffffffff
//   VMWI 0x480a, 0xffffffff
//   VMWI 0x480c, 0
//   VMWI 0x480e, 0x67
//   VMWI 0x4810, 39
//   VMWI 0x4812, 0
//   VMWI 0x4814, 0xc093
//   VMWI 0x4816, 0xa09b
//   VMWI 0x4818, 0xc093
//   VMWI 0x481a, 0xc093
//   VMWI 0x481c, 0xc093
//   VMWI 0x481e, 0xc093
//   VMWI 0x4820, 0x10000
//   VMWI 0x4822, 0x8b
//   VMWI 0x6814, TSS
//   VMWI 0x6816, GDT
//   VMWI 0x681a, 0x400
//   VMWI 0x681c, L2_STACK
//   lea rbx, [rip + l2_code]
//   mov eax, 0x681e
//   vmwrite rax, rbx
//   VMWI 0x6820, 2
//   VMWI 0x2800, -1
//   mov r15, [PARAMS]
//   vmlaunch
//   jmp fail
//
// /* The round trip: count, skip the exiting instruction, resume. */
// exit_handler:
//   dec r15
//   jz done
//   mov eax, 0x440c
//   vmread rbx, rax
//   mov eax, 0x681e
//   vmread rcx, rax
//   add rcx, rbx
//   vmwrite rax, rcx
//   vmresume
//   jmp fail
// done:
//   mov eax, 0x4402
//   vmread rbx, rax
//   mov [PARAMS + 32], rbx
//   mov qword ptr [PARAMS + 8], 1
//   hlt
// fail:
//   mov qword ptr [PARAMS + 8], 2
//   hlt
//
// l2_code:
//   xor eax, eax
//   cpuid
//   jmp l2_code
