/**
 * AMD's legacy performance-counter MSRs, which every AMD64 processor has
 * (AMD APM Vol. 2 13.2.1): PerfEvtSel0-3 at 0xC0010000-3 and PerfCtr0-3 at
 * 0xC0010004-7. They exist when the model reports the AMD vendor, since
 * software written for AMD programs them without checking CPUID. nestvm
 * models no performance events, so the counters hold what software writes
 * (48 bits) and never advance.
 *
 * @module
 */

const EVTSEL0 = 0xc0010000;
const CTR0 = 0xc0010004;
const CTR_MASK = (1n << 48n) - 1n;

/** True for the eight legacy AMD performance MSRs. */
export function isAmdPerfMsr(index: number): boolean {
  return index >= EVTSEL0 && index <= CTR0 + 3;
}

/** The registers: four event selects then four counters. */
export class AmdPerfState {
  /** PerfEvtSel0-3 then PerfCtr0-3. */
  readonly regs: bigint[] = new Array(8).fill(0n);

  /** Power-on values (all zero). */
  reset(): void {
    this.regs.fill(0n);
  }
}

/** Read one of the registers (`index` must satisfy {@link isAmdPerfMsr}). */
export function readAmdPerf(s: AmdPerfState, index: number): bigint {
  return s.regs[index - EVTSEL0];
}

/** Write one of the registers; a counter keeps its low 48 bits. */
export function writeAmdPerf(s: AmdPerfState, index: number, v: bigint): void {
  s.regs[index - EVTSEL0] = index >= CTR0 ? v & CTR_MASK : v;
}
