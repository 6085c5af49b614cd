/**
 * VM-exit statistics: exits counted by basic exit reason and by level —
 * L2->L1 (reflected to the guest hypervisor), L2->L0 (handled by nestvm
 * while L2 ran), L1->L0 (exits of L1 itself, by the basic reason they would
 * have on hardware). L2 events that APIC virtualization completes without a
 * VM exit (TPR-shadow CR8 moves, virtualized x2APIC MSR and APIC-page
 * accesses, virtual-interrupt delivery, posted interrupts) are not exits on
 * hardware: they are counted apart, as "virtualized", by the basic reason
 * the event would otherwise have had. Offered to other plugins and the API as the
 * {@link VMX_STATS} service, and printed by `--stats`.
 *
 * @module
 */

import { type ServiceToken, serviceToken } from "../core/plugin.ts";
import type { VmExit } from "../core/vmexit.ts";
import { Reason, REASON_COUNT } from "./exit/reasons.ts";

/**
 * The counted paths: three kinds of exit, and "l2-virtualized" for L2
 * events APIC virtualization completes with no VM exit.
 */
export type ExitPath = "l2-l1" | "l2-l0" | "l1-l0" | "l2-virtualized";

/** A plain copy of the counters: reason number -> count, only non-zero entries. */
export interface VmxStatsSnapshot {
  /** Exits reflected from L2 to L1. */
  readonly l2ToL1: Readonly<Record<number, number>>;
  /** Exits of L2 handled by nestvm (L0). */
  readonly l2ToL0: Readonly<Record<number, number>>;
  /** Exits of L1 handled by nestvm (L0). */
  readonly l1ToL0: Readonly<Record<number, number>>;
  /** L2 events APIC virtualization completed without a VM exit. */
  readonly l2Virtualized: Readonly<Record<number, number>>;
  /** Successful VM entries. */
  readonly entries: number;
  /** VM entries that failed with VMfail or an entry-failure exit. */
  readonly failedEntries: number;
}

/** Exit counters. */
export class VmxStats {
  /** L2->L1 counts by basic reason. */
  readonly l2ToL1: Float64Array = new Float64Array(REASON_COUNT);
  /** L2->L0 counts by basic reason. */
  readonly l2ToL0: Float64Array = new Float64Array(REASON_COUNT);
  /** L1->L0 counts by basic reason. */
  readonly l1ToL0: Float64Array = new Float64Array(REASON_COUNT);
  /** L2 events virtualized without an exit, by the basic reason they would have had. */
  readonly l2Virtualized: Float64Array = new Float64Array(REASON_COUNT);
  /** Successful VM entries. */
  entries = 0;
  /** Failed VM entries (VMfail or entry-failure exit). */
  failedEntries = 0;

  /** Count one exit on a path (reasons outside the table are ignored). */
  count(path: ExitPath, reason: number): void {
    const r = reason & 0xffff;
    if (r >= REASON_COUNT) return;
    if (path === "l2-l1") this.l2ToL1[r]++;
    else if (path === "l2-l0") this.l2ToL0[r]++;
    else if (path === "l1-l0") this.l1ToL0[r]++;
    else this.l2Virtualized[r]++;
  }

  /** Count an exit of L1 (for the plugin's level-1 interceptor). */
  countL1(exit: VmExit): void {
    this.count("l1-l0", basicReasonOf(exit));
  }

  /** Zero every counter. */
  reset(): void {
    this.l2ToL1.fill(0);
    this.l2ToL0.fill(0);
    this.l1ToL0.fill(0);
    this.l2Virtualized.fill(0);
    this.entries = 0;
    this.failedEntries = 0;
  }

  /** Copy of the non-zero counters. */
  snapshot(): VmxStatsSnapshot {
    const pick = (a: Float64Array): Record<number, number> => {
      const o: Record<number, number> = {};
      for (let i = 0; i < a.length; i++) if (a[i] !== 0) o[i] = a[i];
      return o;
    };
    return {
      l2ToL1: pick(this.l2ToL1),
      l2ToL0: pick(this.l2ToL0),
      l1ToL0: pick(this.l1ToL0),
      l2Virtualized: pick(this.l2Virtualized),
      entries: this.entries,
      failedEntries: this.failedEntries,
    };
  }

  /**
   * Human-readable table for `--stats`; a "virtualized" column follows when
   * APIC virtualization completed any L2 event without an exit.
   */
  format(): string {
    const lines = [`VM entries: ${this.entries} (failed: ${this.failedEntries})`];
    const cols = [this.l2ToL1, this.l2ToL0, this.l1ToL0];
    const heads = ["L2->L1", "L2->L0", "L1->L0"];
    if (this.l2Virtualized.some((n) => n !== 0)) {
      cols.push(this.l2Virtualized);
      heads.push("virtualized");
    }
    const cell = (v: string | number, i: number) => String(v).padStart(i < 3 ? 10 : 12);
    lines.push(`${"reason".padEnd(26)} ${heads.map(cell).join(" ")}`);
    for (let i = 0; i < REASON_COUNT; i++) {
      if (cols.every((c) => c[i] === 0)) continue;
      const name = `${i} ${REASON_NAMES[i] ?? ""}`.padEnd(26);
      lines.push(`${name} ${cols.map((c, k) => cell(c[i], k)).join(" ")}`);
    }
    return lines.join("\n");
  }
}

/** The service token under which the vmx plugin offers its {@link VmxStats}. */
export const VMX_STATS: ServiceToken<VmxStats> = serviceToken<VmxStats>("vmx.stats");

/** Short names of the basic exit reasons (for `--stats`). */
export const REASON_NAMES: Readonly<Record<number, string>> = {
  0: "exception/NMI",
  1: "external interrupt",
  2: "triple fault",
  7: "interrupt window",
  8: "NMI window",
  10: "CPUID",
  11: "GETSEC",
  12: "HLT",
  13: "INVD",
  14: "INVLPG",
  15: "RDPMC",
  16: "RDTSC",
  17: "RSM",
  18: "VMCALL",
  19: "VMCLEAR",
  20: "VMLAUNCH",
  21: "VMPTRLD",
  22: "VMPTRST",
  23: "VMREAD",
  24: "VMRESUME",
  25: "VMWRITE",
  26: "VMXOFF",
  27: "VMXON",
  28: "CR access",
  29: "MOV DR",
  30: "I/O",
  31: "RDMSR",
  32: "WRMSR",
  33: "entry fail: guest state",
  34: "entry fail: MSR load",
  36: "MWAIT",
  37: "monitor trap flag",
  39: "MONITOR",
  40: "PAUSE",
  46: "GDTR/IDTR access",
  47: "LDTR/TR access",
  48: "EPT violation",
  49: "EPT misconfig",
  50: "INVEPT",
  51: "RDTSCP",
  52: "preemption timer",
  53: "INVVPID",
  54: "WBINVD",
  55: "XSETBV",
  57: "RDRAND",
  58: "INVPCID",
  59: "VMFUNC",
  61: "RDSEED",
};

/** Basic exit reason of a VMX instruction (a switch: no keyed lookups on the hot path). */
export function vmxInstructionReason(instruction: string): number {
  switch (instruction) {
    case "vmcall":
      return Reason.VMCALL;
    case "vmclear":
      return Reason.VMCLEAR;
    case "vmlaunch":
      return Reason.VMLAUNCH;
    case "vmptrld":
      return Reason.VMPTRLD;
    case "vmptrst":
      return Reason.VMPTRST;
    case "vmread":
      return Reason.VMREAD;
    case "vmresume":
      return Reason.VMRESUME;
    case "vmwrite":
      return Reason.VMWRITE;
    case "vmxoff":
      return Reason.VMXOFF;
    case "vmxon":
      return Reason.VMXON;
    case "invept":
      return Reason.INVEPT;
    case "invvpid":
      return Reason.INVVPID;
    default:
      return Reason.VMFUNC;
  }
}

const SIMPLE_REASON: Readonly<Record<string, number>> = {
  rdtsc: Reason.RDTSC,
  rdtscp: Reason.RDTSCP,
  rdpmc: Reason.RDPMC,
  invd: Reason.INVD,
  wbinvd: Reason.WBINVD,
  getsec: Reason.GETSEC,
  xsetbv: Reason.XSETBV,
  pause: Reason.PAUSE,
  monitor: Reason.MONITOR,
  mwait: Reason.MWAIT,
  rsm: Reason.RSM,
  rdrand: Reason.RDRAND,
  rdseed: Reason.RDSEED,
};

/**
 * The basic exit reason a hardware VM exit for this event would carry
 * (MMIO maps to EPT violation, as it would under EPT).
 */
export function basicReasonOf(exit: VmExit): number {
  switch (exit.kind) {
    case "io":
      return Reason.IO_INSTRUCTION;
    case "mmio":
      return Reason.EPT_VIOLATION;
    case "cpuid":
      return Reason.CPUID;
    case "rdmsr":
      return Reason.RDMSR;
    case "wrmsr":
      return Reason.WRMSR;
    case "hlt":
      return Reason.HLT;
    case "vmx":
      return vmxInstructionReason(exit.instruction);
    case "exception":
      return Reason.EXCEPTION_NMI;
    case "triple-fault":
      return Reason.TRIPLE_FAULT;
    case "cr":
      return Reason.CR_ACCESS;
    case "dr":
      return Reason.DR_ACCESS;
    case "invlpg":
      return Reason.INVLPG;
    case "invpcid":
      return Reason.INVPCID;
    case "xsaves":
      return Reason.XSAVES;
    case "xrstors":
      return Reason.XRSTORS;
    case "gdtr-idtr":
      return Reason.GDTR_IDTR;
    case "ldtr-tr":
      return Reason.LDTR_TR;
    case "external-interrupt":
      return Reason.EXTERNAL_INTERRUPT;
    case "nmi":
      return Reason.EXCEPTION_NMI;
    case "interrupt-window":
      return Reason.INTERRUPT_WINDOW;
    case "nmi-window":
      return Reason.NMI_WINDOW;
    case "monitor-trap":
      return Reason.MONITOR_TRAP_FLAG;
    case "preemption-timer":
      return Reason.PREEMPTION_TIMER;
    case "ept-violation":
      return Reason.EPT_VIOLATION;
    case "ept-misconfig":
      return Reason.EPT_MISCONFIG;
    case "pml-full":
      return Reason.PML_FULL;
    case "apic-access":
      return Reason.APIC_ACCESS;
    case "apic-write":
      return Reason.APIC_WRITE;
    case "task-switch":
      return Reason.TASK_SWITCH;
    default:
      return SIMPLE_REASON[exit.kind] ?? 0;
  }
}
