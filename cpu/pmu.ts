/**
 * Intel architectural performance monitoring, version 2 (SDM Vol. 3B,
 * "Performance Monitoring": "Architectural Performance Monitoring" versions
 * 1 and 2; CPUID leaf 0AH and RDPMC in Vol. 2): {@link PMU_GP_COUNTERS} general-purpose counters IA32_PMCx with
 * their IA32_PERFEVTSELx, {@link PMU_FIXED_COUNTERS} fixed-function
 * counters IA32_FIXED_CTR0..2 (instructions retired, unhalted core cycles,
 * unhalted reference cycles) with IA32_FIXED_CTR_CTRL, and
 * IA32_PERF_GLOBAL_CTRL / STATUS / OVF_CTRL. Counters are
 * {@link PMU_COUNTER_WIDTH} bits wide.
 *
 * What is counted: instructions retired (event C0H umask 00H on a
 * general-purpose counter, and fixed counter 0), exactly: the CPU's
 * retired count is the instruction count the virtual clock uses (an
 * instruction that faults, or that causes a VM exit, does not retire; a
 * REP string instruction retires once; event delivery retires nothing).
 * nestvm's virtual processor runs one instruction per cycle of its core
 * clock, which is also its reference clock (no frequency scaling), and
 * stops both while halted: so unhalted core cycles (event 3CH umask 00H,
 * fixed counter 1) and unhalted reference cycles (3CH umask 01H, fixed
 * counter 2) count what instructions retired counts. With the default
 * virtual clock (one instruction per nanosecond) and one vCPU they tick
 * with the 1 GHz TSC; with several vCPUs, whose instructions share the
 * virtual time, a vCPU's cycles run slower than its TSC. An instruction
 * is counted when the counting condition holds as it retires: the OS/USR
 * filters look at the CPL it leaves behind (SYSCALL counts as OS, SYSRET
 * as USR), and the WRMSR that enables a counter is counted while the one
 * that disables it is not. Every other event selection (other event or
 * umask, a non-zero CMASK, or edge detect) leaves the counter unchanged:
 * CPUID.0AH:EBX marks every other architectural event unavailable. INV
 * without CMASK has no effect (it inverts the CMASK comparison only); PC
 * (pin control) is stored and changes nothing.
 *
 * Counting is lazy: each counter's value is kept at an anchor (a retired
 * count) and the counters that count at the current CPL advance by the
 * instructions retired since. The state is folded (values brought up to
 * date, the set of counting counters and the overflow deadline recomputed)
 * only where the counting condition can change: a CPL change (every one
 * goes through `recomputeMode`), a write of a PMU MSR (WRMSR, the VMX
 * "load IA32_PERF_GLOBAL_CTRL" controls), a snapshot, and the overflow
 * deadline itself. Nothing is added to the per-instruction path: the run
 * loop stops at the deadline, the retired count at which the first
 * counting counter wraps, through its existing instruction limit.
 *
 * Overflow: a counter that wraps sets its bit in
 * IA32_PERF_GLOBAL_STATUS; when its INT (or fixed PMI) bit is set the
 * processor signals a PMI, at the boundary right after the instruction
 * that wrapped it, to the local APIC (its LVT performance-counter entry
 * decides the delivery). IA32_DEBUGCTL.Freeze_PerfMon_On_PMI (bit 12)
 * clears IA32_PERF_GLOBAL_CTRL and Freeze_LBRs_On_PMI (bit 11) clears
 * DEBUGCTL.LBR when a PMI is signalled.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { CpuidRegs, CpuModel } from "./model.ts";
import { gp } from "./fault.ts";

/** General-purpose counters (CPUID.0AH:EAX[15:8]). */
export const PMU_GP_COUNTERS = 4;
/**
 * Fixed-function counters (CPUID.0AH:EDX[4:0]): instructions retired,
 * unhalted core cycles and unhalted reference cycles.
 */
export const PMU_FIXED_COUNTERS = 3;
/** Bit width of every counter (CPUID.0AH:EAX[23:16] and EDX[12:5]). */
export const PMU_COUNTER_WIDTH = 48;
/** Architectural performance-monitoring version (CPUID.0AH:EAX[7:0]). */
export const PMU_VERSION = 2;
/** Length of the CPUID.0AH:EBX architectural-event vector (the seven events of version 2). */
const EVENT_VECTOR_LENGTH = 7;
/**
 * CPUID.0AH:EBX: a set bit marks an architectural event NOT available.
 * Core cycles (0), instructions retired (1) and reference cycles (2) are
 * counted; LLC references (3) and misses (4), branch instructions retired
 * (5) and branch mispredicts (6) are not.
 */
const EVENTS_UNAVAILABLE = 0x7f & ~0x7;

/** MSR numbers of the PMU. */
export const PmuMsr = {
  /** IA32_PMC0 (legacy address; IA32_PMCx = 0xC1 + x). */
  PMC0: 0xc1,
  /** IA32_PERFEVTSEL0 (IA32_PERFEVTSELx = 0x186 + x). */
  PERFEVTSEL0: 0x186,
  /** IA32_FIXED_CTR0 (IA32_FIXED_CTRx = 0x309 + x). */
  FIXED_CTR0: 0x309,
  /** IA32_FIXED_CTR_CTRL. */
  FIXED_CTR_CTRL: 0x38d,
  /** IA32_PERF_GLOBAL_STATUS (read-only). */
  GLOBAL_STATUS: 0x38e,
  /** IA32_PERF_GLOBAL_CTRL. */
  GLOBAL_CTRL: 0x38f,
  /** IA32_PERF_GLOBAL_OVF_CTRL (write 1 to clear a status bit). */
  GLOBAL_OVF_CTRL: 0x390,
} as const;

const TWO32 = 4294967296;
const WRAP = 2 ** PMU_COUNTER_WIDTH;
const COUNTERS = PMU_GP_COUNTERS + PMU_FIXED_COUNTERS;

// IA32_PERFEVTSELx fields (SDM Vol. 3B, "Architectural Performance Monitoring Version 1").
const SEL_USR = 1 << 16;
const SEL_OS = 1 << 17;
const SEL_EDGE = 1 << 18;
const SEL_INT = 1 << 20;
const SEL_EN = 1 << 22;
/**
 * Writable IA32_PERFEVTSELx bits: 31:0 but AnyThread (bit 21), which
 * version 3 introduced; bits 63:32 are reserved.
 */
const SEL_WRITABLE = 0xffffffff & ~(1 << 21);
/** Event select C0H, unit mask 00H: instructions retired. */
const EVENT_INSTRUCTIONS = 0xc0;
/** Event select 3CH, unit mask 00H: unhalted core cycles. */
const EVENT_CORE_CYCLES = 0x3c;
/** Event select 3CH, unit mask 01H: unhalted reference cycles. */
const EVENT_REF_CYCLES = 0x13c;
/** IA32_FIXED_CTR_CTRL bits per fixed counter: OS (0), USR (1), PMI (3); AnyThread (2) is version 3's. */
const FIXED_WRITABLE = 0xb;
/** IA32_PERF_GLOBAL_OVF_CTRL bits 62 (ClrOvfBuffer) and 63 (ClrCondChgd), in the high half. */
const OVF_CTRL_HIGH_EXTRA = 0xc0000000;
/** IA32_DEBUGCTL bits 11 (Freeze_LBRs_On_PMI) and 12 (Freeze_PerfMon_On_PMI). */
export const DEBUGCTL_FREEZE_BITS = 0x1800;

/**
 * The PMU a model has: {@link PMU_VERSION} when the model asks for one
 * (`CpuModel.pmu`) and reports the GenuineIntel vendor (architectural
 * performance monitoring is Intel's; an AMD model keeps AMD's legacy
 * counters, `msr_perf_amd.ts`), else 0 (none: CPUID.0AH is all zeros and
 * the MSRs raise #GP).
 */
export function pmuVersion(m: CpuModel): number {
  return m.pmu === true && m.vendor === "GenuineIntel" ? PMU_VERSION : 0;
}

/**
 * The writable bits of IA32_PERF_GLOBAL_CTRL with the model's PMU, as
 * [bits 31:0, bits 63:32]: one enable per general-purpose counter from bit
 * 0 and per fixed counter from bit 32. [0, 0] without a PMU. VM entry
 * checks the VMCS's guest and host fields against these.
 */
export function perfGlobalCtrlBits(m: CpuModel): readonly [number, number] {
  if (pmuVersion(m) === 0) return [0, 0];
  return [(1 << PMU_GP_COUNTERS) - 1, (1 << PMU_FIXED_COUNTERS) - 1];
}

/** CPUID leaf 0AH for the model (all zeros without a PMU). */
export function pmuCpuidLeaf(m: CpuModel, out: CpuidRegs): void {
  const version = pmuVersion(m);
  if (version === 0) return;
  out.eax = (version | (PMU_GP_COUNTERS << 8) | (PMU_COUNTER_WIDTH << 16) |
    (EVENT_VECTOR_LENGTH << 24)) >>> 0;
  out.ebx = EVENTS_UNAVAILABLE;
  out.ecx = 0;
  out.edx = PMU_FIXED_COUNTERS | (PMU_COUNTER_WIDTH << 5);
}

/** One vCPU's performance-monitoring state. */
export class PmuState {
  /** IA32_PERFEVTSELx (bits 31:0; the high half is reserved). */
  readonly eventSelect: Uint32Array = new Uint32Array(PMU_GP_COUNTERS);
  /**
   * Counter values at {@link anchor}: the general-purpose counters, then
   * the fixed ones (the internal counter index used by every mask here).
   */
  readonly value: Float64Array = new Float64Array(COUNTERS);
  /** IA32_FIXED_CTR_CTRL. */
  fixedCtrl = 0;
  /** IA32_PERF_GLOBAL_CTRL as an internal counter mask. */
  globalCtrl = 0;
  /** IA32_PERF_GLOBAL_STATUS overflow bits as an internal counter mask. */
  globalStatus = 0;
  /** Retired count the values were last brought up to. */
  anchor = 0;
  /** CPL class the counting set was computed for: 0 (CPL 0, OS) or 1 (CPL 1-3, USR). */
  ring = 0;
  /** Counters counting now (internal mask). */
  counting = 0;
  /** Counters that count at CPL 0 or at CPL 1-3 (a CPL change can matter only to these). */
  armed = 0;
  /**
   * Retired count at which the first counting counter wraps (Infinity:
   * none counts). The run loop stops there (`checkEvents`).
   */
  deadline: number = Infinity;

  /**
   * Power-on values: every PMU MSR is 0 but IA32_PERF_GLOBAL_CTRL, whose
   * general-purpose enables are set, so that software written for version
   * 1 (which has no global control) finds its counters enabled.
   */
  reset(retired: number): void {
    this.eventSelect.fill(0);
    this.value.fill(0);
    this.fixedCtrl = 0;
    this.globalCtrl = (1 << PMU_GP_COUNTERS) - 1;
    this.globalStatus = 0;
    this.anchor = retired;
    this.counting = 0;
    this.armed = 0;
    this.deadline = Infinity;
  }
}

/** True for the MSR numbers of the architectural PMU (whether or not the model has one). */
export function isPmuMsr(index: number): boolean {
  return (index >= PmuMsr.PMC0 && index < PmuMsr.PMC0 + PMU_GP_COUNTERS) ||
    (index >= PmuMsr.PERFEVTSEL0 && index < PmuMsr.PERFEVTSEL0 + PMU_GP_COUNTERS) ||
    (index >= PmuMsr.FIXED_CTR0 && index < PmuMsr.FIXED_CTR0 + PMU_FIXED_COUNTERS) ||
    (index >= PmuMsr.FIXED_CTR_CTRL && index <= PmuMsr.GLOBAL_OVF_CTRL);
}

/** Whether counter `k` (internal index) counts at CPL class `ring` (every counted event advances by instructions retired). */
function countsAt(p: PmuState, k: number, ring: number): boolean {
  if ((p.globalCtrl & (1 << k)) === 0) return false;
  if (k < PMU_GP_COUNTERS) {
    const s = p.eventSelect[k];
    // EN, a counted event and umask, CMASK 0, no edge detection.
    const event = s & 0xff00ffff;
    if (
      (s & SEL_EN) === 0 ||
      (event !== EVENT_INSTRUCTIONS && event !== EVENT_CORE_CYCLES && event !== EVENT_REF_CYCLES)
    ) return false;
    if ((s & SEL_EDGE) !== 0) return false;
    return (s & (ring === 0 ? SEL_OS : SEL_USR)) !== 0;
  }
  const f = (p.fixedCtrl >>> (4 * (k - PMU_GP_COUNTERS))) & 0xf;
  return (f & (ring === 0 ? 1 : 2)) !== 0;
}

/** Whether counter `k` signals a PMI when it overflows (INT, or the fixed counter's PMI bit). */
function interruptsOnOverflow(p: PmuState, k: number): boolean {
  if (k < PMU_GP_COUNTERS) return (p.eventSelect[k] & SEL_INT) !== 0;
  return ((p.fixedCtrl >>> (4 * (k - PMU_GP_COUNTERS))) & 8) !== 0;
}

/**
 * Bring the counters up to the current retired count. Returns the
 * counters that wrapped (internal mask); their status bits are set.
 */
function fold(c: Cpu): number {
  const p = c.pmu;
  const n = c.retired - p.anchor;
  // The count never runs backwards past the anchor (an abandoned
  // instruction is taken back before the loop counts it).
  if (n <= 0) return 0;
  p.anchor = c.retired;
  let wrapped = 0;
  for (let k = 0, m = p.counting; m !== 0; k++, m >>>= 1) {
    if ((m & 1) === 0) continue;
    let v = p.value[k] + n;
    if (v >= WRAP) {
      v -= WRAP;
      wrapped |= 1 << k;
    }
    p.value[k] = v;
  }
  p.globalStatus |= wrapped;
  return wrapped;
}

/**
 * Recompute the counting set and the overflow deadline after a change of
 * the CPL or of a PMU register; the run loop looks at the deadline at the
 * next boundary.
 */
function plan(c: Cpu): void {
  const p = c.pmu;
  let counting = 0;
  let armed = 0;
  let first = Infinity;
  for (let k = 0; k < COUNTERS; k++) {
    if (countsAt(p, k, 1 - p.ring)) armed |= 1 << k;
    if (!countsAt(p, k, p.ring)) continue;
    counting |= 1 << k;
    first = Math.min(first, WRAP - p.value[k]);
  }
  const deadline = p.anchor + first;
  const moved = deadline !== p.deadline;
  p.counting = counting;
  p.armed = armed | counting;
  p.deadline = deadline;
  if (moved) c.poke();
}

/**
 * Signal a PMI for the counters in `wrapped` that ask for one (the caller
 * recomputes the counting set afterwards: a freeze clears the controls).
 */
function overflowed(c: Cpu, wrapped: number): void {
  const p = c.pmu;
  let pmi = false;
  for (let k = 0; k < COUNTERS; k++) {
    if ((wrapped & (1 << k)) !== 0 && interruptsOnOverflow(p, k)) pmi = true;
  }
  if (!pmi) return;
  // Freeze_PerfMon_On_PMI and Freeze_LBRs_On_PMI (SDM Vol. 3B, IA32_DEBUGCTL and
  // "Architectural Performance Monitoring Version 2").
  if ((c.debugCtl & 0x1000) !== 0) p.globalCtrl = 0;
  if ((c.debugCtl & 0x800) !== 0) c.debugCtl &= ~1;
  c.intSource?.performanceInterrupt?.();
}

/**
 * The CPL may have changed (called from `recomputeMode`): when it moved
 * between 0 and 1-3, fold under the old one and recount under the new.
 */
export function pmuCplChanged(c: Cpu): void {
  const p = c.pmu;
  const ring = c.cpl === 0 ? 0 : 1;
  if (ring === p.ring) return;
  // No counter counts at either CPL class: just note the ring.
  if (p.armed === 0) {
    p.ring = ring;
    return;
  }
  const wrapped = fold(c);
  p.ring = ring;
  if (wrapped !== 0) overflowed(c, wrapped);
  plan(c);
}

/**
 * The run loop reached {@link PmuState.deadline} (an instruction
 * boundary): fold, which wraps at least one counter, and signal its PMI
 * here, before the next instruction.
 */
export function pmuDeadline(c: Cpu): void {
  const wrapped = fold(c);
  if (wrapped !== 0) overflowed(c, wrapped);
  plan(c);
}

/** Fold mid-instruction (a read that must be current), handling a wrap as the deadline would. */
function catchUp(c: Cpu): void {
  const wrapped = fold(c);
  if (wrapped === 0) return;
  overflowed(c, wrapped);
  plan(c);
}

/** Counter `k`'s current value. */
function current(c: Cpu, k: number): number {
  const p = c.pmu;
  const v = p.value[k];
  if ((p.counting & (1 << k)) === 0) return v;
  const n = c.retired - p.anchor;
  return n <= 0 ? v : (v + n) % WRAP;
}

function big(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** An internal counter mask as the architectural 64-bit layout (fixed counters from bit 32). */
function toArch(mask: number): bigint {
  return big(mask & ((1 << PMU_GP_COUNTERS) - 1), mask >>> PMU_GP_COUNTERS);
}

/**
 * An architectural 64-bit mask (`lo`, `hi` halves) as an internal mask;
 * undefined when it sets a bit outside the counters' and `extraHigh`.
 */
function fromArch(lo: number, hi: number, extraHigh = 0): number | undefined {
  const gpBits = (1 << PMU_GP_COUNTERS) - 1;
  const fixedBits = (1 << PMU_FIXED_COUNTERS) - 1;
  if ((lo & ~gpBits) !== 0 || (hi & ~(fixedBits | extraHigh)) !== 0) return undefined;
  return (lo & gpBits) | ((hi & fixedBits) << PMU_GP_COUNTERS);
}

/**
 * RDMSR of a PMU MSR: the value, or undefined when the model has no PMU
 * (#GP). `index` satisfies {@link isPmuMsr}.
 */
export function readPmuMsr(c: Cpu, index: number): bigint | undefined {
  if (pmuVersion(c.model) === 0) return undefined;
  const p = c.pmu;
  if (index < PmuMsr.PMC0 + PMU_GP_COUNTERS) return BigInt(current(c, index - PmuMsr.PMC0));
  if (index < PmuMsr.PERFEVTSEL0 + PMU_GP_COUNTERS && index >= PmuMsr.PERFEVTSEL0) {
    return BigInt(p.eventSelect[index - PmuMsr.PERFEVTSEL0]);
  }
  if (index < PmuMsr.FIXED_CTR0 + PMU_FIXED_COUNTERS && index >= PmuMsr.FIXED_CTR0) {
    return BigInt(current(c, PMU_GP_COUNTERS + index - PmuMsr.FIXED_CTR0));
  }
  switch (index) {
    case PmuMsr.FIXED_CTR_CTRL:
      return BigInt(p.fixedCtrl);
    case PmuMsr.GLOBAL_STATUS:
      // Up to date at this instruction: a counter that wrapped since the
      // last fold did so at the deadline, where the run loop folded.
      catchUp(c);
      return toArch(p.globalStatus);
    case PmuMsr.GLOBAL_CTRL:
      return toArch(p.globalCtrl);
    case PmuMsr.GLOBAL_OVF_CTRL:
      return 0n; // a write-1-to-clear command register: reads 0
  }
  return undefined;
}

/**
 * WRMSR of a PMU MSR: false when the model has no PMU (not owned: #GP);
 * #GP(0) for reserved bits and for IA32_PERF_GLOBAL_STATUS (read-only).
 * A write to IA32_PMCx (the legacy address) keeps bits 31:0 and extends
 * bit 31 into the upper counter bits (SDM Vol. 3B, the general-purpose
 * counters of version 1: only bits 31:0 are written); a write to a
 * fixed counter sets its full width and #GP(0)s on a bit above it.
 */
export function writePmuMsr(c: Cpu, index: number, v: bigint): boolean {
  if (pmuVersion(c.model) === 0) return false;
  const p = c.pmu;
  const lo = Number(v & 0xffffffffn);
  const hi = Number((v >> 32n) & 0xffffffffn);
  let wrapped = fold(c);
  if (index >= PmuMsr.PMC0 && index < PmuMsr.PMC0 + PMU_GP_COUNTERS) {
    // Bits 63:32 of the written value are ignored; bit 31 fills the counter's upper bits.
    const upper = (lo & 0x80000000) !== 0 ? WRAP - TWO32 : 0;
    p.value[index - PmuMsr.PMC0] = upper + lo;
  } else if (index >= PmuMsr.PERFEVTSEL0 && index < PmuMsr.PERFEVTSEL0 + PMU_GP_COUNTERS) {
    if (hi !== 0 || (lo & ~SEL_WRITABLE) !== 0) gp(0);
    p.eventSelect[index - PmuMsr.PERFEVTSEL0] = lo;
  } else if (index >= PmuMsr.FIXED_CTR0 && index < PmuMsr.FIXED_CTR0 + PMU_FIXED_COUNTERS) {
    if (hi >= WRAP / TWO32) gp(0);
    p.value[PMU_GP_COUNTERS + index - PmuMsr.FIXED_CTR0] = hi * TWO32 + lo;
  } else {
    switch (index) {
      case PmuMsr.FIXED_CTR_CTRL: {
        let ok = 0;
        for (let j = 0; j < PMU_FIXED_COUNTERS; j++) ok |= FIXED_WRITABLE << (4 * j);
        if (hi !== 0 || (lo & ~ok) !== 0) gp(0);
        p.fixedCtrl = lo;
        break;
      }
      case PmuMsr.GLOBAL_STATUS:
        return gp(0); // read-only in version 2
      case PmuMsr.GLOBAL_CTRL: {
        const m = fromArch(lo, hi);
        if (m === undefined) gp(0);
        p.globalCtrl = m;
        break;
      }
      case PmuMsr.GLOBAL_OVF_CTRL: {
        // Write 1 to clear; ClrOvfBuffer and ClrCondChgd are accepted (no
        // debug store, and the conditions never change: nothing to clear).
        const m = fromArch(lo, hi, OVF_CTRL_HIGH_EXTRA);
        if (m === undefined) gp(0);
        p.globalStatus &= ~m;
        wrapped &= ~m;
        break;
      }
      default:
        return false;
    }
  }
  if (wrapped !== 0) overflowed(c, wrapped);
  plan(c);
  return true;
}

/**
 * RDPMC's counter for ECX (SDM Vol. 2B RDPMC): ECX[30] selects the fixed
 * counters, ECX[29:0] the index; anything else (another set bit, an index
 * past the last counter, or no PMU) is undefined (#GP(0)).
 */
export function rdpmcValue(c: Cpu, ecx: number): number | undefined {
  if (pmuVersion(c.model) === 0) return undefined;
  const fixed = (ecx & 0x40000000) !== 0;
  const idx = ecx & 0xbfffffff;
  if (fixed) return idx < PMU_FIXED_COUNTERS ? current(c, PMU_GP_COUNTERS + idx) : undefined;
  return idx < PMU_GP_COUNTERS ? current(c, idx) : undefined;
}

/** The PMU registers in a snapshot (counter values folded to the saved retired count). */
export interface PmuSnapshot {
  /** IA32_PERFEVTSELx. */
  eventSelect: number[];
  /** Counter values: general-purpose, then fixed. */
  value: number[];
  /** IA32_FIXED_CTR_CTRL. */
  fixedCtrl: number;
  /** IA32_PERF_GLOBAL_CTRL, internal mask. */
  globalCtrl: number;
  /** IA32_PERF_GLOBAL_STATUS, internal mask. */
  globalStatus: number;
}

/** Capture the PMU (folding it first: the values are those at the current retired count). */
export function savePmu(c: Cpu): PmuSnapshot {
  catchUp(c);
  const p = c.pmu;
  return {
    eventSelect: Array.from(p.eventSelect),
    value: Array.from(p.value),
    fixedCtrl: p.fixedCtrl,
    globalCtrl: p.globalCtrl,
    globalStatus: p.globalStatus,
  };
}

/**
 * Restore {@link savePmu}'s data (absent: power-on state) once the retired
 * count and CPL are restored. Out-of-range values are clipped to what the
 * registers can hold.
 */
export function loadPmu(c: Cpu, s: PmuSnapshot | undefined): void {
  const p = c.pmu;
  p.reset(c.retired);
  p.ring = c.cpl === 0 ? 0 : 1;
  if (s !== undefined) {
    for (let k = 0; k < PMU_GP_COUNTERS; k++) {
      p.eventSelect[k] = (s.eventSelect[k] ?? 0) & SEL_WRITABLE;
    }
    for (let k = 0; k < COUNTERS; k++) {
      const v = s.value[k] ?? 0;
      p.value[k] = Number.isInteger(v) && v >= 0 && v < WRAP ? v : 0;
    }
    let fixedOk = 0;
    for (let j = 0; j < PMU_FIXED_COUNTERS; j++) fixedOk |= FIXED_WRITABLE << (4 * j);
    p.fixedCtrl = s.fixedCtrl & fixedOk;
    p.globalCtrl = s.globalCtrl & ((1 << COUNTERS) - 1);
    p.globalStatus = s.globalStatus & ((1 << COUNTERS) - 1);
  }
  p.deadline = NaN; // force plan() to poke the run loop
  plan(c);
}
