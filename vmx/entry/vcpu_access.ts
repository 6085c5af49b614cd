/**
 * Helpers over the vCPU contract for VM entry and exit: the PAE PDPTE
 * registers, the SYSENTER MSRs (as numbers, so that the round trip needs
 * no BigInt MSR calls), MSR numbers and bigint conversions for the cold
 * MSR paths.
 *
 * @module
 */

import type { Vcpu } from "../../core/vcpu.ts";

/**
 * Load the four PAE PDPTE registers (values as numbers, lo + hi * 2^32),
 * then flush the TLB. Called after `stateChanged()` for a PAE guest or
 * host outside IA-32e mode (SDM 27.3.2.4, 28.5.4).
 */
export function loadPdpteRegisters(v: Vcpu, read: (i: number) => number): void {
  const p = v.pdpte;
  for (let i = 0; i < 4; i++) p[i] = read(i);
  v.flushTlb();
}

/** IA32_SYSENTER_CS / ESP / EIP, PAT, PERF_GLOBAL_CTRL, EFER, DEBUGCTL MSR numbers. */
export const enum Msr {
  SYSENTER_CS = 0x174,
  SYSENTER_ESP = 0x175,
  SYSENTER_EIP = 0x176,
  DEBUGCTL = 0x1d9,
  PAT = 0x277,
  PERF_GLOBAL_CTRL = 0x38f,
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

/** Write the SYSENTER MSRs. */
export function setSysenter(v: Vcpu, cs: number, espLin: number, eipLin: number): void {
  v.sysenterCs = cs;
  v.sysenterEsp = espLin;
  v.sysenterEip = eipLin;
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

/** Read the SYSENTER MSRs into `out`. */
export function getSysenter(v: Vcpu, out: SysenterOut): void {
  out.cs = v.sysenterCs;
  out.esp = v.sysenterEsp;
  out.eip = v.sysenterEip;
}
