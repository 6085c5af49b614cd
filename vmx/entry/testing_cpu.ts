/**
 * Test fixture on the real CPU engine: a Machine running a small 64-bit L1
 * hypervisor (assembled with GNU as; listing at the end) that VMWRITEs a
 * table of (encoding, value) pairs prepared by the test, launches L2 code
 * placed by the test, logs every VM exit and resumes L2 past exiting
 * instructions. Not public API.
 *
 * @module
 */

import { newPcMachine, type PcMachine } from "../../plugins/pc_machine.ts";
import type { Plugin } from "../../core/plugin.ts";
import { loadFlat } from "../../boot/flat.ts";
import { applyEntryState } from "../../boot/entry_state.ts";
import { createVmxPlugin } from "../plugin.ts";
import { createNestedOps } from "./ops.ts";
import type { VmxFeatures } from "../features.ts";
import { F, type FieldName } from "../vmcs12/fields.ts";
import { CAPS } from "./check_controls.ts";
import { ENTRY, EXIT, PROC } from "../controls.ts";

const L1_CODE =
  "48c7c40000130048c7c70000110048c7070000000048b8ffff0000009aaf004889470848b8ffff00000092cf00488947" +
  "1048b867000001118900004889471848c747200000000066c74730270048c74732000011000f0157306a08488d050300" +
  "00005048cb66b810008ed88ec08ed08ee08ee866b818000f00d80f20e0480d002000000f22e00f20c04883c8200f22c0" +
  "b93a0000000f32a9010000007509b80500000031d20f30b9800400000f32890425000012008904250010120048c70425" +
  "280211000000120048c704253002110000101200f30fc73425280211000f8608020000660fc73425300211000fc73425" +
  "300211000f86f10100000f20c3b8006c00000f79c30f20dbb8026c00000f79c30f20e3b8046c00000f79c3b8000c0000" +
  "48c7c3100000000f79c3b8020c000048c7c3080000000f79c3b8040c000048c7c3100000000f79c3b8060c000048c7c3" +
  "100000000f79c3b8080c000048c7c3100000000f79c3b80a0c000048c7c3100000000f79c3b80c0c000048c7c3180000" +
  "000f79c3b80a6c000048c7c3000111000f79c3b80c6c000048c7c3000011000f79c3b80e6c000048c7c3000000000f79" +
  "c3488d1d61000000b8166c00000f79c34889e3b8146c00000f79c30f20dbb8026800000f79c348c7c600101100488b06" +
  "4883f8ff7413488b5e080f79c30f86f80000004883c610ebe40f01c248c704250802110003000000b8004400000f78c3" +
  "48891c2510021100f4488b3c2518021100486bff304881c700201100b8024400000f78c348891fb8006400000f78c348" +
  "895f08b80c4400000f78c348895f10b8044400000f78c348895f18b81e6800000f78c348895f20b8002400000f78c348" +
  "895f2848ff042518021100488b0783f812745ba9000000807554488b042518021100483b0425200211007342b80c4400" +
  "000f78c3b8024400000f78c183f900741d83f901741883f907741383f934740eb81e6800000f78c14801d90f79c10f01" +
  "c348c704250802110004000000f448c704250802110001000000f448c704250802110002000000f4";

/** Where things are in guest memory. */
export const MINI = {
  load: 0x100000,
  gdt: 0x110000,
  tss: 0x110100,
  params: 0x110200,
  table: 0x111000,
  log: 0x112000,
  l2Code: 0x150000,
  l2Stack: 0x160000,
  l2Data: 0x170000,
  l2Idt: 0x171000,
} as const;

/** One logged VM exit. */
export interface LoggedExit {
  /** Exit reason. */
  readonly reason: number;
  /** Exit qualification. */
  readonly qual: number;
  /** VM-exit instruction length. */
  readonly len: number;
  /** VM-exit interruption information. */
  readonly intrInfo: number;
  /** Guest RIP saved at the exit. */
  readonly rip: number;
  /** Guest-physical address field. */
  readonly gpa: number;
}

/** Outcome of a mini-L1 run. */
export interface MiniRun {
  /** The machine (disposed by the caller when done). */
  readonly m: PcMachine;
  /** 1 done, 2 VMX setup failed, 3 VMLAUNCH VMfail, 4 VMRESUME VMfail, 0 did not finish. */
  readonly status: number;
  /** VM-instruction error after a VMfail. */
  readonly error: number;
  /** The exits L1 saw. */
  readonly exits: readonly LoggedExit[];
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Options of {@link runMini}. */
export interface MiniOptions {
  /** L2 code (hex). */
  readonly l2: string;
  /** vmcs12 fields to override (defaults: a 64-bit guest like L1). */
  readonly fields?: Partial<Record<FieldName, number>>;
  /** Stop after this many exits (default 16). */
  readonly maxExits?: number;
  /** Extra plugins. */
  readonly plugins?: readonly Plugin[];
  /** Called before running (set up memory, interrupt sources...). */
  readonly setup?: (m: PcMachine) => void;
  /** Instruction budget (default 200000). */
  readonly budget?: number;
  /** The VMX feature set (default: nestvm's, `VMX_FEATURES`). */
  readonly features?: VmxFeatures;
  /** The block compiler's hotness threshold (default: the machine's). */
  readonly jitHot?: number;
}

/** Boot the mini L1 with `opts` and run it to completion. */
export function runMini(opts: MiniOptions): MiniRun {
  const m = newPcMachine({
    memoryMiB: 4,
    plugins: [
      createVmxPlugin({ featureControl: "locked" }, createNestedOps, opts.features),
      ...(opts.plugins ?? []),
    ],
    jitHot: opts.jitHot,
  });
  const r = loadFlat([{ addr: MINI.load, data: hexBytes(L1_CODE) }], m.memory, {
    entry: MINI.load,
    mode: "long64",
    stack: 0x130000,
  });
  if (!r.ok) throw new Error(`load failed: ${JSON.stringify(r.error)}`);
  applyEntryState(m.cpu, r.entry);
  m.cpu.cr0 = m.cpu.cr0 >>> 0;
  m.memory.writeBytes(MINI.l2Code, hexBytes(opts.l2));
  const fields: Record<string, number> = {
    PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1,
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1,
    VM_EXIT_CONTROLS: CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE,
    VM_ENTRY_CONTROLS: CAPS.entry.must1 | ENTRY.IA32E_MODE_GUEST,
    GUEST_CR0: (m.cpu.cr0 | 0x20) >>> 0,
    GUEST_CR4: (m.cpu.cr4 | 0x2000) >>> 0,
    GUEST_ES_SELECTOR: 0x10,
    GUEST_CS_SELECTOR: 0x08,
    GUEST_SS_SELECTOR: 0x10,
    GUEST_DS_SELECTOR: 0x10,
    GUEST_FS_SELECTOR: 0x10,
    GUEST_GS_SELECTOR: 0x10,
    GUEST_TR_SELECTOR: 0x18,
    GUEST_ES_LIMIT: 0xffffffff,
    GUEST_CS_LIMIT: 0xffffffff,
    GUEST_SS_LIMIT: 0xffffffff,
    GUEST_DS_LIMIT: 0xffffffff,
    GUEST_FS_LIMIT: 0xffffffff,
    GUEST_GS_LIMIT: 0xffffffff,
    GUEST_TR_LIMIT: 0x67,
    GUEST_GDTR_LIMIT: 39,
    GUEST_ES_AR_BYTES: 0xc093,
    GUEST_CS_AR_BYTES: 0xa09b,
    GUEST_SS_AR_BYTES: 0xc093,
    GUEST_DS_AR_BYTES: 0xc093,
    GUEST_FS_AR_BYTES: 0xc093,
    GUEST_GS_AR_BYTES: 0xc093,
    GUEST_LDTR_AR_BYTES: 0x10000,
    GUEST_TR_AR_BYTES: 0x8b,
    GUEST_TR_BASE: MINI.tss,
    GUEST_GDTR_BASE: MINI.gdt,
    GUEST_DR7: 0x400,
    GUEST_RSP: MINI.l2Stack,
    GUEST_RIP: MINI.l2Code,
    GUEST_RFLAGS: 2,
    VMCS_LINK_POINTER: -1,
    ...opts.fields,
  };
  let a = MINI.table;
  for (const [name, value] of Object.entries(fields)) {
    const enc = F[name as FieldName];
    m.memory.write(a, 4, enc);
    m.memory.write(a + 4, 4, 0);
    m.memory.write(a + 8, 4, value >>> 0);
    m.memory.write(a + 12, 4, value < 0 ? 0xffffffff : Math.floor(value / 0x100000000) >>> 0);
    a += 16;
  }
  m.memory.write(a, 4, 0xffffffff);
  m.memory.write(a + 4, 4, 0xffffffff);
  m.memory.write(MINI.params + 32, 4, opts.maxExits ?? 16);
  opts.setup?.(m);
  m.run({ maxInstructions: opts.budget ?? 200000 });
  const rd = (x: number): number => m.memory.read(x, 4) + m.memory.read(x + 4, 4) * 0x100000000;
  const n = m.memory.read(MINI.params + 24, 4);
  const exits: LoggedExit[] = [];
  for (let i = 0; i < n && i < 64; i++) {
    const e = MINI.log + 48 * i;
    exits.push({
      reason: rd(e),
      qual: rd(e + 8),
      len: rd(e + 16),
      intrInfo: rd(e + 24),
      rip: rd(e + 32),
      gpa: rd(e + 40),
    });
  }
  return {
    m,
    status: m.memory.read(MINI.params + 8, 4),
    error: m.memory.read(MINI.params + 16, 4),
    exits,
  };
}

// ---- L1 listing (GNU as, .intel_syntax noprefix; `as --64` + `objcopy -O binary`) ----
// .intel_syntax noprefix
// .code64
// /* A table-driven L1 for tests: VMXON, VMPTRLD, VMWRITE every (encoding,
//  * value) pair of TABLE (ended by encoding -1), host state = this
//  * environment, VMLAUNCH; each VM exit is logged (reason, qualification,
//  * instruction length, interruption info, guest RIP, guest-physical
//  * address) and L2 resumes past the exiting instruction (if it has a
//  * length); VMCALL or MAX exits end the run. */
// .set GDT, 0x110000
// .set TSS, 0x110100
// .set PARAMS, 0x110200      /* +8 status, +16 VM-instruction error, +24 exits, +32 max exits, +40/+48 ptrs */
// .set TABLE, 0x111000
// .set LOG, 0x112000
// .set VMXON_REGION, 0x120000
// .set VMCS_REGION, 0x121000
// .set L1_STACK, 0x130000
//
// .macro VMWI enc, val
//   mov eax, \enc
//   mov rbx, \val
//   vmwrite rax, rbx
// .endm
// .macro LOGF enc, off
//   mov eax, \enc
//   vmread rbx, rax
//   mov [rdi + \off], rbx
// .endm
//
// .globl _start
// _start:
//   mov rsp, L1_STACK
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
//   mov qword ptr [PARAMS + 40], VMXON_REGION
//   mov qword ptr [PARAMS + 48], VMCS_REGION
//   vmxon [PARAMS + 40]
//   jbe fail
//   vmclear [PARAMS + 48]
//   vmptrld [PARAMS + 48]
//   jbe fail
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
//   mov rbx, cr3
//   mov eax, 0x6802
//   vmwrite rax, rbx
//   /* Everything else from the table. */
//   mov rsi, TABLE
// 3:
//   mov rax, [rsi]
//   cmp rax, -1
//   je 4f
//   mov rbx, [rsi + 8]
//   vmwrite rax, rbx
//   jbe fail
//   add rsi, 16
//   jmp 3b
// 4:
//   vmlaunch
//   /* VMfail: status 3, error field. */
//   mov qword ptr [PARAMS + 8], 3
//   mov eax, 0x4400
//   vmread rbx, rax
//   mov [PARAMS + 16], rbx
//   hlt
//
// exit_handler:
//   mov rdi, [PARAMS + 24]
//   imul rdi, rdi, 48
//   add rdi, LOG
//   LOGF 0x4402, 0
//   LOGF 0x6400, 8
//   LOGF 0x440c, 16
//   LOGF 0x4404, 24
//   LOGF 0x681e, 32
//   LOGF 0x2400, 40
//   inc qword ptr [PARAMS + 24]
//   mov rax, [rdi]
//   cmp eax, 18
//   je done
//   test eax, 0x80000000
//   jnz done
//   mov rax, [PARAMS + 24]
//   cmp rax, [PARAMS + 32]
//   jae done
//   mov eax, 0x440c
//   vmread rbx, rax
//   mov eax, 0x4402
//   vmread rcx, rax
//   /* Instruction exits: skip the instruction (exceptions/events: resume as is). */
//   cmp ecx, 0
//   je 5f
//   cmp ecx, 1
//   je 5f
//   cmp ecx, 7
//   je 5f
//   cmp ecx, 52
//   je 5f
//   mov eax, 0x681e
//   vmread rcx, rax
//   add rcx, rbx
//   vmwrite rax, rcx
// 5:
//   vmresume
//   mov qword ptr [PARAMS + 8], 4
//   hlt
// done:
//   mov qword ptr [PARAMS + 8], 1
//   hlt
// fail:
//   mov qword ptr [PARAMS + 8], 2
//   hlt

/** An all-zero MSR bitmap (RAM the mini L1 never writes): no RDMSR/WRMSR exits. */
export const NO_MSR_EXITS_BITMAP = 0x180000;

/**
 * vmcs12 fields for an L2 that runs with TSC offsetting by `offset` and
 * without RDMSR/WRMSR exits (`extra` adds primary controls).
 */
export function tscOffsetFields(offset: number, extra = 0): Partial<Record<FieldName, number>> {
  return {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_TSC_OFFSETTING | PROC.USE_MSR_BITMAPS |
      extra,
    MSR_BITMAP: NO_MSR_EXITS_BITMAP,
    TSC_OFFSET: offset,
  };
}

/** The unsigned 64-bit value L2 stored at `MINI.l2Data + offset`. */
export function l2Qword(r: MiniRun, offset = 0): bigint {
  const at = MINI.l2Data + offset;
  return BigInt(r.m.memory.read(at, 4) >>> 0) + (BigInt(r.m.memory.read(at + 4, 4) >>> 0) << 32n);
}
