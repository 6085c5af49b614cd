/**
 * Optional fast fields of the CPU engine (`cpu/Cpu`) that VM entry and exit
 * use when present, so that the round trip needs no BigInt MSR calls. A
 * vCPU that lacks them is driven through the plain {@link Vcpu} API.
 *
 * @module
 */

import type { InterruptSource, Vcpu } from "../../core/vcpu.ts";

/** Fields of `cpu/Cpu` beyond the {@link Vcpu} contract that the VMX plugin may use. */
export interface CpuExtras {
  /** IA32_SYSENTER_CS. */
  sysenterCs?: number;
  /** IA32_SYSENTER_ESP (canonical number). */
  sysenterEsp?: number;
  /** IA32_SYSENTER_EIP (canonical number). */
  sysenterEip?: number;
  /** TSC = virtual time + tscOffset. */
  tscOffset?: number;
  /** Window requests: bit 0 interrupt window, bit 1 NMI window, bit 2 monitor trap flag, bit 3 external-interrupt exiting. */
  windowRequests?: number;
  /** The maskable-interrupt source (for acknowledge-on-exit). */
  intSource?: InterruptSource | null;
  /** RIP of the instruction being executed. */
  ip0?: number;
  /** The CPU's paging context: its PAE PDPTE registers are loaded by VM entry/exit (SDM 27.3.2.4, 28.5.4). */
  pctx?: { readonly pdpte: Float64Array };
  /** A debug trap (single-step) is armed: due once `retired` passes {@link tfAt}. */
  tfArmed?: boolean;
  /** Retired count when the debug trap was armed. */
  tfAt?: number;
  /** DR6 bits the armed debug trap reports (BS for single-step). */
  debugTrapBits?: number;
  /** DR6 bits of debug exceptions recognized and not yet delivered. */
  dbPending?: number;
  /** Deliver the events queued by VM-entry injection now (at an instruction boundary). */
  deliverQueuedInjection?(): void;
  /** Drop queued, undelivered injected events. */
  dropQueuedInjection?(): void;
}

/**
 * The debug exceptions pending on the vCPU, as pending-debug-exceptions
 * field bits (SDM 24.4.2: B3-B0 bits 3:0, BS bit 14): a single-step trap
 * due after an instruction that completed, and recognized, undelivered
 * #DB conditions.
 */
export function pendingDebugBits(v: VcpuX): number {
  let bits = (v.dbPending ?? 0) & 0x400f;
  if (v.tfArmed === true && v.retired > (v.tfAt ?? 0)) bits |= (v.debugTrapBits ?? 0x4000) & 0x400f;
  return bits >>> 0;
}

/**
 * Drop the vCPU's pending debug state: it belongs to the level that is
 * being left (a VM exit saves L2's into the VMCS, a VM entry drops the
 * trap of L1's VMLAUNCH/VMRESUME), never to the other level.
 */
export function clearPendingDebug(v: VcpuX): void {
  if (v.tfArmed !== undefined) v.tfArmed = false;
  if (v.dbPending !== undefined) v.dbPending = 0;
  if (v.debugTrapBits !== undefined) v.debugTrapBits = 0x4000;
}

/**
 * Arm a #DB trap before the next instruction that reports `bits` in DR6:
 * the pending debug exceptions loaded by VM entry (SDM 27.7.3).
 */
export function armDebugTrap(v: VcpuX, bits: number): void {
  if (v.tfArmed === undefined) return;
  v.tfArmed = true;
  v.tfAt = v.retired - 1;
  v.debugTrapBits = bits;
}

/**
 * Load the four PAE PDPTE registers (values as numbers, lo + hi * 2^32)
 * when the CPU exposes them, then flush its TLB. Called after
 * `stateChanged()` for a PAE guest or host outside IA-32e mode.
 */
export function loadPdpteRegisters(v: VcpuX, read: (i: number) => number): void {
  const p = v.pctx?.pdpte;
  if (p === undefined) return;
  for (let i = 0; i < 4; i++) p[i] = read(i);
  v.flushTlb();
}

/** A vCPU seen with its optional extras. */
export type VcpuX = Vcpu & CpuExtras;

/** IA32_SYSENTER_CS / ESP / EIP, PAT, EFER, DEBUGCTL MSR numbers. */
export const enum Msr {
  SYSENTER_CS = 0x174,
  SYSENTER_ESP = 0x175,
  SYSENTER_EIP = 0x176,
  DEBUGCTL = 0x1d9,
  PAT = 0x277,
  EFER = 0xc0000080,
  FS_BASE = 0xc0000100,
  GS_BASE = 0xc0000101,
  TSC = 0x10,
  SMBASE = 0x9e,
  SMM_MONITOR_CTL = 0x9b,
  MC_BASE = 0x400,
}

/** Combine halves into a bigint (cold path). */
export function big(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Low 32 bits of a bigint. */
export function loOf(v: bigint): number {
  return Number(v & 0xffffffffn);
}

/** High 32 bits of a bigint (of its 64-bit two's complement). */
export function hiOf(v: bigint): number {
  return Number((v >> 32n) & 0xffffffffn);
}

/** Write the SYSENTER MSRs (fast fields when present). */
export function setSysenter(v: VcpuX, cs: number, espLin: number, eipLin: number): void {
  if (v.sysenterCs !== undefined) {
    v.sysenterCs = cs;
    v.sysenterEsp = espLin;
    v.sysenterEip = eipLin;
    return;
  }
  v.writeMsr(Msr.SYSENTER_CS, BigInt(cs >>> 0));
  v.writeMsr(Msr.SYSENTER_ESP, BigInt.asUintN(64, BigInt(espLin)));
  v.writeMsr(Msr.SYSENTER_EIP, BigInt.asUintN(64, BigInt(eipLin)));
}

/** Out-parameter for {@link getSysenter}. */
export interface SysenterOut {
  /** IA32_SYSENTER_CS. */
  cs: number;
  /** IA32_SYSENTER_ESP. */
  esp: number;
  /** IA32_SYSENTER_EIP. */
  eip: number;
}

/** Read the SYSENTER MSRs into `out` (fast fields when present). */
export function getSysenter(v: VcpuX, out: SysenterOut): void {
  if (v.sysenterCs !== undefined) {
    out.cs = v.sysenterCs;
    out.esp = v.sysenterEsp ?? 0;
    out.eip = v.sysenterEip ?? 0;
    return;
  }
  out.cs = Number((v.readMsr(Msr.SYSENTER_CS) ?? 0n) & 0xffffffffn);
  out.esp = Number(BigInt.asIntN(64, v.readMsr(Msr.SYSENTER_ESP) ?? 0n));
  out.eip = Number(BigInt.asIntN(64, v.readMsr(Msr.SYSENTER_EIP) ?? 0n));
}
