/**
 * The machine state a loader asks for at the first guest instruction, as a
 * plain value, and {@link applyEntryState} which writes it into a vCPU.
 *
 * @module
 */

import type { SegmentRegister, TableRegister, Vcpu } from "../core/vcpu.ts";

/** The execution mode the guest starts in. */
export type EntryMode = "real" | "protected32" | "long64";

/** Register numbers in {@link EntryState.gprs} (RAX=0 ... R15=15). */
export const enum Reg {
  RAX = 0,
  RCX = 1,
  RDX = 2,
  RBX = 3,
  RSP = 4,
  RBP = 5,
  RSI = 6,
  RDI = 7,
}

/**
 * Architectural state at entry. All numbers are non-negative and below
 * 2^53 (loaders only produce small values).
 */
export interface EntryState {
  /** Mode this state describes (informational; the registers define it). */
  readonly mode: EntryMode;
  /** 16 general registers, RAX=0 ... R15=15. */
  readonly gprs: readonly number[];
  /** Instruction pointer (offset in CS; linear in long mode). */
  readonly rip: number;
  /** RFLAGS. */
  readonly rflags: number;
  /** CR0. */
  readonly cr0: number;
  /** CR3. */
  readonly cr3: number;
  /** CR4. */
  readonly cr4: number;
  /** IA32_EFER. */
  readonly efer: number;
  /** ES, CS, SS, DS, FS, GS, LDTR, TR, with VMX access-rights attrs. */
  readonly segs: readonly SegmentRegister[];
  /** GDTR. */
  readonly gdtr: TableRegister;
  /** IDTR. */
  readonly idtr: TableRegister;
}

/** VMX access rights of a flat 32-bit code segment (type 0xB, S, P, D, G). */
export const AR_CODE32 = 0xc09b;
/** VMX access rights of a flat 32-bit data segment (type 3, S, P, D/B, G). */
export const AR_DATA32 = 0xc093;
/** VMX access rights of a 64-bit code segment (type 0xB, S, P, L, G). */
export const AR_CODE64 = 0xa09b;
/** VMX access rights of a real-mode code segment (type 0xB, S, P). */
export const AR_REAL_CODE = 0x9b;
/** VMX access rights of a real-mode data segment (type 3, S, P). */
export const AR_REAL_DATA = 0x93;
/** LDTR as after reset: present, type 2. */
export const AR_LDT = 0x82;
/** TR as after reset: present, busy 32-bit TSS. */
export const AR_TSS_BUSY = 0x8b;

/** CR0.PE */
export const CR0_PE = 0x1;
/** CR0.ET (hard-wired to 1 on processors with an x87) */
export const CR0_ET = 0x10;
/** CR0.PG */
export const CR0_PG = 0x80000000;
/** CR4.PAE */
export const CR4_PAE = 0x20;
/** EFER.LME */
export const EFER_LME = 0x100;
/** EFER.LMA */
export const EFER_LMA = 0x400;

/** Build a segment register value. */
export function segment(
  selector: number,
  base: number,
  limit: number,
  attrs: number,
): SegmentRegister {
  return { selector, base, limit, attrs };
}

/**
 * Flat segments for protected or long mode: code selector `cs`, data
 * selector `ds` for ES/SS/DS/FS/GS, reset-like LDTR and TR.
 */
export function flatSegments(cs: number, ds: number, codeAttrs: number): SegmentRegister[] {
  const data = (): SegmentRegister => segment(ds, 0, 0xffffffff, AR_DATA32);
  return [
    data(),
    segment(cs, 0, 0xffffffff, codeAttrs),
    data(),
    data(),
    data(),
    data(),
    segment(0, 0, 0xffff, AR_LDT),
    segment(0, 0, 0xffff, AR_TSS_BUSY),
  ];
}

/** Sixteen zeroed general registers with a few set. */
export function gprsWith(values: Partial<Record<Reg, number>>): number[] {
  const out = new Array<number>(16).fill(0);
  for (const [k, v] of Object.entries(values)) out[Number(k)] = v ?? 0;
  return out;
}

function copySeg(dst: SegmentRegister, src: SegmentRegister): void {
  dst.selector = src.selector;
  dst.base = src.base;
  dst.limit = src.limit;
  dst.attrs = src.attrs;
}

/**
 * Write an entry state into a vCPU: GPRs (as 32-bit halves), segment
 * caches, descriptor tables, control registers, EFER, RIP and RFLAGS; the
 * vCPU is made active with no interruptibility blocking, and
 * `stateChanged()` recomputes mode and CPL.
 */
export function applyEntryState(vcpu: Vcpu, state: EntryState): void {
  for (let r = 0; r < 16; r++) {
    const v = state.gprs[r] ?? 0;
    vcpu.gpr[2 * r] = v >>> 0;
    vcpu.gpr[2 * r + 1] = Math.floor(v / 0x100000000) >>> 0;
  }
  for (let i = 0; i < 8; i++) {
    const src = state.segs[i];
    const dst = vcpu.seg[i];
    if (src !== undefined && dst !== undefined) copySeg(dst, src);
  }
  vcpu.gdtr.base = state.gdtr.base;
  vcpu.gdtr.limit = state.gdtr.limit;
  vcpu.idtr.base = state.idtr.base;
  vcpu.idtr.limit = state.idtr.limit;
  vcpu.efer = state.efer;
  vcpu.cr4 = state.cr4;
  vcpu.cr3 = state.cr3;
  vcpu.cr0 = state.cr0;
  vcpu.cr2 = 0;
  vcpu.rflags = state.rflags;
  vcpu.rip = state.rip;
  vcpu.activity = "active";
  vcpu.interruptibility = 0;
  vcpu.stateChanged();
}
