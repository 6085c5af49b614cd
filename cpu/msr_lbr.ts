/**
 * The last-branch-record stack registers of nestvm's Intel model (family 6
 * model 3AH, Ivy Bridge; SDM Vol. 4, the MSRs of processors based on Sandy
 * Bridge microarchitecture, and Vol. 3B "Last Branch Records"): 16
 * entries MSR_LASTBRANCH_n_FROM_IP (0x680 + n) and _TO_IP (0x6C0 + n),
 * MSR_LASTBRANCH_TOS (0x1C9) and MSR_LBR_SELECT (0x1C8). They are not
 * enumerated by CPUID: software that knows the model (Linux's Ivy Bridge
 * PMU driver) uses them once the model reports a PMU, so they exist with
 * one (`pmu.ts`). nestvm records no branches (IA32_DEBUGCTL.LBR is stored
 * and changes nothing): the registers hold what software writes, as AMD's
 * legacy counters do (`msr_perf_amd.ts`).
 *
 * @module
 */

/** Entries of the stack. */
export const LBR_ENTRIES = 16;

const LBR_SELECT = 0x1c8;
const LBR_TOS = 0x1c9;
const FROM0 = 0x680;
const TO0 = 0x6c0;
/** MSR_LBR_SELECT's filter bits (9:0). */
const SELECT_BITS = 0x3ffn;

/** The stack's registers (cold path: bigints). */
export class LbrState {
  /** MSR_LBR_SELECT. */
  select = 0n;
  /** MSR_LASTBRANCH_TOS (bits 3:0). */
  tos = 0n;
  /** FROM_IP then TO_IP of each entry (index n, then LBR_ENTRIES + n). */
  readonly ips: bigint[] = new Array(2 * LBR_ENTRIES).fill(0n);

  /** Power-on values (all zero). */
  reset(): void {
    this.select = 0n;
    this.tos = 0n;
    this.ips.fill(0n);
  }
}

/** True for the stack's MSR numbers. */
export function isLbrMsr(index: number): boolean {
  return index === LBR_SELECT || index === LBR_TOS ||
    (index >= FROM0 && index < FROM0 + LBR_ENTRIES) || (index >= TO0 && index < TO0 + LBR_ENTRIES);
}

/** Read one of the registers (`index` satisfies {@link isLbrMsr}). */
export function readLbr(s: LbrState, index: number): bigint {
  if (index === LBR_SELECT) return s.select;
  if (index === LBR_TOS) return s.tos;
  return s.ips[index >= TO0 ? LBR_ENTRIES + index - TO0 : index - FROM0];
}

/**
 * Write one of the registers: LBR_SELECT keeps its filter bits, TOS its
 * index bits; an entry takes the 64-bit value.
 */
export function writeLbr(s: LbrState, index: number, v: bigint): void {
  if (index === LBR_SELECT) s.select = v & SELECT_BITS;
  else if (index === LBR_TOS) s.tos = v & BigInt(LBR_ENTRIES - 1);
  else s.ips[index >= TO0 ? LBR_ENTRIES + index - TO0 : index - FROM0] = v;
}
