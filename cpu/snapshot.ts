/**
 * CPU snapshots: the complete architectural state as JSON-compatible data
 * (lazy flags materialized, pending events, interrupt shadow, MSRs, the
 * VMX non-root flag). 64-bit MSR values are decimal strings.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { ActivityState, PendingEvent, SegmentRegister } from "../core/vcpu.ts";
import { reloadPaging } from "./paging.ts";
import { loadPmu, type PmuSnapshot, savePmu } from "./pmu.ts";

/** Version of the snapshot layout. */
export const CPU_SNAPSHOT_VERSION = 1;

/** Saved CPU state. */
export interface CpuSnapshot {
  /** version. */
  version: number;
  /** gpr. */
  gpr: number[];
  /** rip. */
  rip: number;
  /** rflags. */
  rflags: number;
  /** cr. */
  cr: {
    /** cr0. */
    cr0: number;
    /** cr2. */
    cr2: number;
    /** cr3. */
    cr3: number;
    /** cr4. */
    cr4: number;
    /** cr8. */
    cr8: number;
    /** efer. */
    efer: number;
    /** xcr0. */
    xcr0: number;
    /** PKRU (absent in older snapshots: 0). */
    pkru?: number;
  };
  /** dr. */
  dr: number[];
  /** seg. */
  seg: SegmentRegister[];
  /** gdtr. */
  gdtr: { base: number; limit: number };
  /** idtr. */
  idtr: { base: number; limit: number };
  /** cpl. */
  cpl: number;
  /** activity. */
  activity: ActivityState;
  /** interruptibility. */
  interruptibility: number;
  /** Instructions left in the STI/MOV SS shadow (0 or 1). */
  shadowLeft: number;
  /** retired. */
  retired: number;
  /** nonRoot. */
  nonRoot: boolean;
  /** injected. */
  injected: PendingEvent[];
  /** nmiPending. */
  nmiPending: boolean;
  /** Single-step trap armed: instructions to retire before the #DB (absent = not armed). */
  singleStep?: number;
  /** windowRequests. */
  windowRequests: number;
  /** watchedExceptions. */
  watchedExceptions: number;
  /** msr. */
  msr: {
    /** star. */
    star: string;
    /** lstar. */
    lstar: number;
    /** cstar. */
    cstar: number;
    /** sfmask. */
    sfmask: number;
    /** kernelGsBase. */
    kernelGsBase: number;
    /** sysenterCs. */
    sysenterCs: number;
    /** sysenterEsp. */
    sysenterEsp: number;
    /** sysenterEip. */
    sysenterEip: number;
    /** apicBase. */
    apicBase: number;
    /** pat. */
    pat: string;
    /** miscEnable. */
    miscEnable: number;
    /** tscAux. */
    tscAux: number;
    /** tscOffset. */
    tscOffset: number;
    /** IA32_TSC_ADJUST (absent in older snapshots: 0). */
    tscAdjust?: number;
    /** IA32_DEBUGCTL (absent in older snapshots: 0). */
    debugCtl?: number;
    /** IA32_MCG_STATUS then the machine-check banks, as decimal strings (absent: zeros). */
    machineCheck?: string[];
    /** AMD PerfEvtSel0-3 and PerfCtr0-3, as decimal strings (absent: zeros). */
    amdPerf?: string[];
    /** IA32_PKRS (absent in older snapshots: 0). */
    pkrs?: number;
    /** LBR_SELECT, LASTBRANCH_TOS, then the FROM and TO entries, as decimal strings (absent: zeros). */
    lbr?: string[];
  };
  /** pdpte. */
  pdpte: number[];
  /** x87/MMX/SSE registers as a hex image of `FpuState.save()` (absent in older snapshots: reset state). */
  fpu?: string;
  /** FERR# as the CPU drives it (absent: deasserted). */
  ferr?: boolean;
  /** The architectural PMU's registers (absent in older snapshots: power-on state). */
  pmu?: PmuSnapshot;
}

/** Capture the state. */
export function saveSnapshot(c: Cpu): CpuSnapshot {
  return {
    version: CPU_SNAPSHOT_VERSION,
    gpr: Array.from(c.gpr),
    rip: c.rip,
    rflags: c.rflags,
    cr: {
      cr0: c.cr0,
      cr2: c.cr2,
      cr3: c.cr3,
      cr4: c.cr4,
      cr8: c.cr8,
      efer: c.efer,
      xcr0: c.xcr0,
      pkru: c.pctx.pkru,
    },
    dr: Array.from(c.dr),
    seg: c.seg.map((s) => ({ ...s })),
    gdtr: { ...c.gdtr },
    idtr: { ...c.idtr },
    cpl: c.cpl,
    activity: c.activity,
    interruptibility: c.interruptibility,
    shadowLeft: (c.interruptibility & 3) !== 0 ? Math.max(0, c.shadowUntil - c.retired) : 0,
    retired: c.retired,
    nonRoot: c.nonRoot,
    injected: c.injected.map((e) => ({ ...e })),
    nmiPending: c.nmiPending,
    ...(c.tfArmed ? { singleStep: Math.max(0, c.tfAt - c.retired) } : {}),
    windowRequests: c.windowRequests,
    watchedExceptions: c.watchedExceptions,
    msr: {
      star: c.star.toString(),
      lstar: c.lstar,
      cstar: c.cstar,
      sfmask: c.sfmask,
      kernelGsBase: c.kernelGsBase,
      sysenterCs: c.sysenterCs,
      sysenterEsp: c.sysenterEsp,
      sysenterEip: c.sysenterEip,
      apicBase: c.apicBase,
      pat: c.pat.toString(),
      miscEnable: c.miscEnable,
      tscAux: c.tscAux,
      tscOffset: c.tscOffset,
      tscAdjust: c.tscAdjust,
      debugCtl: c.debugCtl,
      machineCheck: [c.machineCheck.status, ...c.machineCheck.banks].map((b) => b.toString()),
      amdPerf: c.amdPerf.regs.map((b) => b.toString()),
      pkrs: c.pctx.pkrs,
      lbr: [c.lbr.select, c.lbr.tos, ...c.lbr.ips].map((b) => b.toString()),
    },
    pdpte: Array.from(c.pctx.pdpte),
    fpu: c.fpu.save().toHex(),
    ferr: c.ferrOut,
    pmu: savePmu(c),
  };
}

/** Restore a snapshot (throws a RangeError on a wrong version). */
export function loadSnapshot(c: Cpu, s: CpuSnapshot): void {
  if (s.version !== CPU_SNAPSHOT_VERSION) {
    throw new RangeError(`CPU snapshot version ${s.version} is not supported`);
  }
  c.gpr.set(s.gpr);
  c.rip = s.rip;
  c.cr0 = s.cr.cr0;
  c.cr2 = s.cr.cr2;
  c.cr3 = s.cr.cr3;
  c.cr4 = s.cr.cr4;
  c.cr8 = s.cr.cr8;
  c.efer = s.cr.efer;
  c.xcr0 = s.cr.xcr0;
  c.mmu.setPkru(s.cr.pkru ?? 0);
  c.dr.set(s.dr);
  s.seg.forEach((x, k) => Object.assign(c.seg[k], x));
  Object.assign(c.gdtr, s.gdtr);
  Object.assign(c.idtr, s.idtr);
  c.rflags = s.rflags;
  c.activity = s.activity;
  c.interruptibility = s.interruptibility;
  c.retired = s.retired;
  // Cleared first: the CPL changes below must not fold the old counters into the new count.
  c.pmu.reset(s.retired);
  c.shadowUntil = s.retired + s.shadowLeft;
  c.nonRoot = s.nonRoot;
  c.injected = s.injected.map((e) => ({ ...e }));
  c.nmiPending = s.nmiPending;
  c.tfArmed = s.singleStep !== undefined;
  c.tfAt = s.retired + (s.singleStep ?? 0);
  c.windowRequests = s.windowRequests;
  c.watchedExceptions = s.watchedExceptions;
  const m = s.msr;
  c.star = BigInt(m.star);
  c.lstar = m.lstar;
  c.cstar = m.cstar;
  c.sfmask = m.sfmask;
  c.kernelGsBase = m.kernelGsBase;
  c.sysenterCs = m.sysenterCs;
  c.sysenterEsp = m.sysenterEsp;
  c.sysenterEip = m.sysenterEip;
  c.apicBase = m.apicBase;
  c.pat = BigInt(m.pat);
  c.miscEnable = m.miscEnable;
  c.tscAux = m.tscAux;
  c.tscOffset = m.tscOffset;
  c.tscAdjust = m.tscAdjust ?? 0;
  c.debugCtl = m.debugCtl ?? 0;
  c.machineCheck.reset();
  if (m.machineCheck !== undefined) {
    const [status, ...banks] = m.machineCheck.map((t) => BigInt(t));
    c.machineCheck.status = status ?? 0n;
    banks.slice(0, c.machineCheck.banks.length).forEach((b, k) => (c.machineCheck.banks[k] = b));
  }
  c.amdPerf.reset();
  m.amdPerf?.slice(0, 8).forEach((t, k) => (c.amdPerf.regs[k] = BigInt(t)));
  c.mmu.setPkrs(m.pkrs ?? 0);
  c.lbr.reset();
  if (m.lbr !== undefined) {
    const [select, tos, ...ips] = m.lbr.map((t) => BigInt(t));
    c.lbr.select = select ?? 0n;
    c.lbr.tos = tos ?? 0n;
    ips.slice(0, c.lbr.ips.length).forEach((b, k) => (c.lbr.ips[k] = b));
  }
  if (s.fpu === undefined) c.fpu.reset();
  else c.fpu.load(Uint8Array.fromHex(s.fpu));
  c.ferrOut = s.ferr === true;
  c.pages.clear();
  c.codeFrames.clear();
  c.crossFrames.clear();
  // No TLB context survives a restore; the VMX plugin's restore selects L2's.
  c.mmu.resetContexts();
  c.syncTlb();
  reloadPaging(c, false);
  c.pctx.pdpte.set(s.pdpte);
  c.stateChanged();
  c.cpl = s.cpl;
  loadPmu(c, s.pmu);
}
