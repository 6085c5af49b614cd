/**
 * The machine-check MSRs (SDM Vol. 3B 16.3): IA32_MCG_CAP (0x179,
 * read-only), IA32_MCG_STATUS (0x17A) and the error-reporting banks
 * IA32_MCi_CTL/STATUS/ADDR/MISC at 0x400 + 4i. The CPU has
 * {@link MCE_BANKS} banks and no IA32_MCG_CTL (MCG_CAP.MCG_CTL_P = 0);
 * they exist when the model advertises MCA. Nothing ever logs an error, so
 * the registers only hold what software writes.
 *
 * @module
 */

import { gp } from "./fault.ts";

/** Number of error-reporting banks (MCG_CAP[7:0]). */
export const MCE_BANKS = 10;

const MCG_CAP = 0x179;
const MCG_STATUS = 0x17a;
const MC_BASE = 0x400;
const ALL_ONES = 0xffffffffffffffffn;

/** Machine-check register state (cold path: bigints). */
export class MachineCheckState {
  /** IA32_MCG_STATUS. */
  status = 0n;
  /** Banks: [CTL, STATUS, ADDR, MISC] per bank, flattened (index 4 * bank + register). */
  readonly banks: bigint[] = new Array(4 * MCE_BANKS).fill(0n);

  /** Power-on values. */
  reset(): void {
    this.status = 0n;
    this.banks.fill(0n);
  }
}

/** True when `index` is one of the machine-check MSRs this CPU has. */
export function isMachineCheckMsr(index: number): boolean {
  return index === MCG_CAP || index === MCG_STATUS ||
    (index >= MC_BASE && index < MC_BASE + 4 * MCE_BANKS);
}

/** Read a machine-check MSR (`index` must satisfy {@link isMachineCheckMsr}). */
export function readMachineCheck(s: MachineCheckState, index: number): bigint {
  if (index === MCG_CAP) return BigInt(MCE_BANKS);
  if (index === MCG_STATUS) return s.status;
  return s.banks[index - MC_BASE];
}

/**
 * Write a machine-check MSR; #GP(0) where the SDM forbids the value:
 * MCG_CAP is read-only, MCi_CTL takes all 0s or all 1s (SDM 16.3.2.1: P6
 * family processors allow only these), MCi_STATUS only 0 (16.3.2.2: writing
 * 1s to it raises #GP). ADDR and MISC take any 64-bit value.
 */
export function writeMachineCheck(s: MachineCheckState, index: number, v: bigint): void {
  if (index === MCG_CAP) gp(0);
  if (index === MCG_STATUS) {
    s.status = v;
    return;
  }
  const k = index - MC_BASE;
  const reg = k & 3;
  if (reg === 0 && v !== 0n && v !== ALL_ONES) gp(0);
  if (reg === 1 && v !== 0n) gp(0);
  s.banks[k] = v;
}
