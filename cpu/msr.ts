/**
 * The MSRs the CPU implements itself: EFER, STAR/LSTAR/CSTAR/FMASK, FS/GS
 * base, KERNEL_GS_BASE, TSC, (with TSC_ADJUST) IA32_TSC_ADJUST, TSC_AUX,
 * APIC_BASE, PAT, MISC_ENABLE, PLATFORM_ID, BIOS_SIGN_ID, DEBUGCTL, the
 * SYSENTER MSRs, (with PKS) IA32_PKRS, (with MCA) the machine-check MSRs, (with
 * a PMU) the architectural performance-monitoring MSRs (`pmu.ts`) and the
 * model's last-branch-record stack (`msr_lbr.ts`), and (AMD
 * vendor) the legacy performance counters. Every other MSR goes to the
 * plugin bus as an exit.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { gp } from "./fault.ts";
import { reloadPaging } from "./paging.ts";
import { recomputeMode, refreshSeg } from "./state.ts";
import { isMachineCheckMsr, readMachineCheck, writeMachineCheck } from "./msr_mce.ts";
import { XSS_SUPPORTED, XSS_VALUE } from "./fpu/xsave.ts";
import { isAmdPerfMsr, readAmdPerf, writeAmdPerf } from "./msr_perf_amd.ts";
import type { CpuModel } from "./model.ts";
import { DEBUGCTL_FREEZE_BITS, isPmuMsr, pmuVersion, readPmuMsr, writePmuMsr } from "./pmu.ts";
import { isLbrMsr, readLbr, writeLbr } from "./msr_lbr.ts";

/** MSR numbers. */
export const enum Msr {
  TSC = 0x10,
  PLATFORM_ID = 0x17,
  APIC_BASE = 0x1b,
  /** IA32_TSC_ADJUST: what WRMSRs added to the TSC (SDM Vol. 3B 18.17.3). */
  TSC_ADJUST = 0x3b,
  BIOS_SIGN_ID = 0x8b,
  SYSENTER_CS = 0x174,
  SYSENTER_ESP = 0x175,
  SYSENTER_EIP = 0x176,
  MISC_ENABLE = 0x1a0,
  DEBUGCTL = 0x1d9,
  PAT = 0x277,
  /** IA32_PKRS: protection-key rights for supervisor-mode pages. */
  PKRS = 0x6e1,
  /** IA32_XSS: supervisor state components for XSAVES/XRSTORS. */
  XSS = 0xda0,
  EFER = 0xc0000080,
  STAR = 0xc0000081,
  LSTAR = 0xc0000082,
  CSTAR = 0xc0000083,
  FMASK = 0xc0000084,
  FS_BASE = 0xc0000100,
  GS_BASE = 0xc0000101,
  KERNEL_GS_BASE = 0xc0000102,
  TSC_AUX = 0xc0000103,
}

const TWO32 = 4294967296;

/**
 * The microcode update revision IA32_BIOS_SIGN_ID reports in bits 63:32.
 * SDM Vol. 3A 10.11.7: software writes 0 to the MSR, executes CPUID leaf 1,
 * which loads the signature of the loaded update, then reads it. This CPU's
 * CPUID always loads the same signature, so reads return it (the write is
 * accepted; a read without CPUID in between is the one case that differs).
 */
export const MICROCODE_REVISION = 1;

function n2b(v: number): bigint {
  return BigInt.asUintN(64, BigInt(v));
}

function b2canon(v: bigint): number {
  const s = BigInt.asIntN(64, v);
  if (s >= 0x800000000000n || s < -0x800000000000n) gp(0);
  return Number(s);
}

/**
 * IA32_MISC_ENABLE (SDM Vol. 4 Table 2-2): software may change fast
 * strings (0), automatic thermal control (3), enhanced SpeedStep (16),
 * MONITOR/MWAIT (18), limit CPUID maxval (22), xTPR disable (23) and XD
 * disable (34); bits 7 (performance monitoring available), 11 (BTS
 * unavailable) and 12 (PEBS unavailable) are read-only; the rest are
 * reserved (#GP). The bits are stored; they do not change CPUID here.
 */
export const MISC_ENABLE_WRITABLE: number = (0x1 | 0x8 | 0x10000 | 0x40000 | 0x400000 | 0x800000) +
  2 ** 34;
/** Read-only MISC_ENABLE bits (7, 11, 12). */
export const MISC_ENABLE_READ_ONLY = 0x80 | 0x800 | 0x1000;
/** MISC_ENABLE at power-on: fast strings on; no BTS, no PEBS. */
export const MISC_ENABLE_RESET = 0x1 | 0x800 | 0x1000;

/**
 * IA32_DEBUGCTL bits a guest may set without a PMU: LBR (0) and BTF (1).
 * TR/BTS/BTINT need the debug store, never advertised, so setting them (or
 * reserved bits 2-5) raises #GP (SDM Vol. 3B 18.4.1).
 */
export const DEBUGCTL_WRITABLE = 0x3;

/**
 * IA32_DEBUGCTL bits a guest may set on a model: {@link DEBUGCTL_WRITABLE},
 * and with a PMU Freeze_LBRs_On_PMI (11) and Freeze_PerfMon_On_PMI (12).
 */
export function debugctlWritable(m: CpuModel): number {
  return DEBUGCTL_WRITABLE | (pmuVersion(m) !== 0 ? DEBUGCTL_FREEZE_BITS : 0);
}

/** True if `index` is an MSR the CPU owns. */
export function ownsMsr(index: number): boolean {
  switch (index) {
    case Msr.TSC:
    case Msr.TSC_ADJUST:
    case Msr.PLATFORM_ID:
    case Msr.APIC_BASE:
    case Msr.BIOS_SIGN_ID:
    case Msr.SYSENTER_CS:
    case Msr.SYSENTER_ESP:
    case Msr.SYSENTER_EIP:
    case Msr.MISC_ENABLE:
    case Msr.PAT:
    case Msr.EFER:
    case Msr.STAR:
    case Msr.LSTAR:
    case Msr.CSTAR:
    case Msr.FMASK:
    case Msr.FS_BASE:
    case Msr.GS_BASE:
    case Msr.KERNEL_GS_BASE:
    case Msr.TSC_AUX:
    case Msr.DEBUGCTL:
    case Msr.XSS:
    case Msr.PKRS:
      return true;
  }
  return isMachineCheckMsr(index) || isAmdPerfMsr(index) || isPmuMsr(index) || isLbrMsr(index);
}

function isAmd(c: Cpu): boolean {
  return c.model.vendor === "AuthenticAMD";
}

/** Read a CPU-owned MSR (undefined if not owned). */
export function readMsrCore(c: Cpu, index: number): bigint | undefined {
  switch (index) {
    case Msr.TSC:
      return c.readTsc();
    case Msr.TSC_ADJUST:
      return c.model.features.has("tsc-adjust")
        ? BigInt.asUintN(64, BigInt(c.tscAdjust))
        : undefined;
    case Msr.APIC_BASE:
      return n2b(c.apicBase);
    case Msr.BIOS_SIGN_ID:
      return BigInt(MICROCODE_REVISION) << 32n;
    case Msr.PLATFORM_ID:
      return 0n; // bits 52:50 platform ID 0 (a microcode loader computes pf = 1 << 0)
    case Msr.SYSENTER_CS:
      return n2b(c.sysenterCs);
    case Msr.SYSENTER_ESP:
      return n2b(c.sysenterEsp);
    case Msr.SYSENTER_EIP:
      return n2b(c.sysenterEip);
    case Msr.MISC_ENABLE:
      return n2b(c.miscEnable);
    case Msr.PAT:
      return c.pat;
    case Msr.EFER:
      return n2b(c.efer);
    case Msr.STAR:
      return c.star;
    case Msr.LSTAR:
      return n2b(c.lstar);
    case Msr.CSTAR:
      return n2b(c.cstar);
    case Msr.FMASK:
      return n2b(c.sfmask);
    case Msr.FS_BASE:
      return n2b(c.seg[4].base);
    case Msr.GS_BASE:
      return n2b(c.seg[5].base);
    case Msr.KERNEL_GS_BASE:
      return n2b(c.kernelGsBase);
    case Msr.TSC_AUX:
      return n2b(c.tscAux);
    case Msr.DEBUGCTL:
      return n2b(c.debugCtl);
    case Msr.XSS:
      return c.model.features.has("xsaves") ? n2b(XSS_VALUE) : undefined;
    case Msr.PKRS:
      return c.model.features.has("pks") ? n2b(c.pctx.pkrs) : undefined;
  }
  if (isMachineCheckMsr(index) && c.model.features.has("mca")) {
    return readMachineCheck(c.machineCheck, index);
  }
  if (isAmdPerfMsr(index) && isAmd(c)) return readAmdPerf(c.amdPerf, index);
  if (isPmuMsr(index)) return readPmuMsr(c, index);
  if (isLbrMsr(index) && pmuVersion(c.model) !== 0) return readLbr(c.lbr, index);
  return undefined;
}

/**
 * Write a CPU-owned MSR. Returns false if not owned; throws #GP(0) for
 * invalid values (reserved bits, non-canonical addresses).
 */
export function writeMsrCore(c: Cpu, index: number, v: bigint): boolean {
  v = BigInt.asUintN(64, v);
  const lo = Number(v & 0xffffffffn);
  const hi = Number(v >> 32n);
  switch (index) {
    case Msr.TSC: {
      // SDM Vol. 3B 18.17.3: what the write adds to the TSC is added to IA32_TSC_ADJUST too.
      const old = c.now() + c.tscOffset;
      c.tscOffset = Number(v) - c.now();
      c.tscAdjust += Number(v) - Math.floor(old);
      return true;
    }
    case Msr.TSC_ADJUST: {
      // ... and what a write adds to IA32_TSC_ADJUST is added to the TSC.
      if (!c.model.features.has("tsc-adjust")) return false;
      const value = Number(BigInt.asIntN(64, v));
      c.tscOffset += value - c.tscAdjust;
      c.tscAdjust = value;
      return true;
    }
    case Msr.APIC_BASE:
      if ((lo & 0x2ff) !== 0 || hi > 0xff) gp(0);
      // EXTD (x2APIC mode) needs the x2APIC feature (CPUID.1:ECX[21]; SDM 11.12.1).
      if ((lo & 0x400) !== 0 && !c.model.features.has("x2apic")) gp(0);
      c.apicBase = hi * TWO32 + lo;
      return true;
    case Msr.BIOS_SIGN_ID:
      return true; // see MICROCODE_REVISION
    case Msr.PLATFORM_ID:
      return gp(0); // read-only
    case Msr.SYSENTER_CS:
      c.sysenterCs = lo & 0xffff;
      return true;
    case Msr.SYSENTER_ESP:
      c.sysenterEsp = b2canon(v);
      return true;
    case Msr.SYSENTER_EIP:
      c.sysenterEip = b2canon(v);
      return true;
    case Msr.MISC_ENABLE: {
      const loOk = (MISC_ENABLE_WRITABLE % TWO32) | MISC_ENABLE_READ_ONLY;
      const hiOk = Math.floor(MISC_ENABLE_WRITABLE / TWO32);
      if ((lo & ~loOk) !== 0 || (hi & ~hiOk) !== 0) gp(0);
      const keep = c.miscEnable % TWO32 & MISC_ENABLE_READ_ONLY; // writes leave read-only bits
      c.miscEnable = hi * TWO32 + (((lo & ~MISC_ENABLE_READ_ONLY) | keep) >>> 0);
      return true;
    }
    case Msr.DEBUGCTL:
      if (hi !== 0 || (lo & ~debugctlWritable(c.model)) !== 0) gp(0);
      c.debugCtl = lo;
      return true;
    case Msr.PAT: {
      for (let k = 0n; k < 64n; k += 8n) {
        const t = Number((v >> k) & 0xffn);
        if (t === 2 || t === 3 || t > 7) gp(0);
      }
      c.pat = v;
      return true;
    }
    case Msr.EFER: {
      const allowed = 0x1 | 0x100 | 0x400 | 0x800;
      if (hi !== 0 || (lo & ~allowed) !== 0) gp(0);
      if ((lo & 0x800) !== 0 && !c.model.features.has("nx")) gp(0);
      if ((lo & 0x100) !== 0 && !c.model.features.has("lm")) gp(0);
      const paging = (c.cr0 & 0x80000000) !== 0;
      if (paging && ((lo ^ c.efer) & 0x100) !== 0) gp(0); // LME cannot change while paging
      const lma = c.efer & 0x400; // LMA is read-only here
      c.efer = (lo & ~0x400) | lma;
      reloadPaging(c, false);
      recomputeMode(c);
      return true;
    }
    case Msr.STAR:
      c.star = v;
      return true;
    case Msr.LSTAR:
      c.lstar = b2canon(v);
      return true;
    case Msr.CSTAR:
      c.cstar = b2canon(v);
      return true;
    case Msr.FMASK:
      c.sfmask = lo;
      return true;
    case Msr.FS_BASE:
      c.seg[4].base = b2canon(v);
      refreshSeg(c, 4);
      return true;
    case Msr.GS_BASE:
      c.seg[5].base = b2canon(v);
      refreshSeg(c, 5);
      return true;
    case Msr.KERNEL_GS_BASE:
      c.kernelGsBase = b2canon(v);
      return true;
    case Msr.TSC_AUX:
      if (hi !== 0) gp(0);
      c.tscAux = lo;
      return true;
    case Msr.PKRS:
      // Bits 63:32 are reserved (SDM Vol. 4 Table 2-2); a change applies to the next access.
      if (!c.model.features.has("pks")) return false;
      if (hi !== 0) gp(0);
      c.mmu.setPkrs(lo);
      return true;
    case Msr.XSS:
      // No supervisor state component exists: only 0 is accepted (SDM 13.3).
      if (!c.model.features.has("xsaves")) return false;
      if (hi !== 0 || (lo & ~XSS_SUPPORTED) !== 0) gp(0);
      return true;
  }
  if (isMachineCheckMsr(index) && c.model.features.has("mca")) {
    writeMachineCheck(c.machineCheck, index, v);
    return true;
  }
  if (isAmdPerfMsr(index) && isAmd(c)) {
    writeAmdPerf(c.amdPerf, index, v);
    return true;
  }
  if (isPmuMsr(index)) return writePmuMsr(c, index, v);
  if (isLbrMsr(index) && pmuVersion(c.model) !== 0) {
    writeLbr(c.lbr, index, v);
    return true;
  }
  return false;
}
