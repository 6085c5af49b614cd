/**
 * Derived state: execution mode, code/stack sizes and the segmentation
 * caches the memory fast path uses; and the power-on state.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { selectView } from "./memory.ts";
import { MISC_ENABLE_RESET } from "./msr.ts";
import { pmuCplChanged, pmuVersion } from "./pmu.ts";

/** The mode bits a segment cache depends on: CR0.PE, RFLAGS.VM, 64-bit mode. */
function segModeKey(cpu: Cpu): number {
  return (cpu.cr0 & 1) | ((cpu.fl >>> 16) & 2) | (cpu.is64 ? 4 : 0);
}

/** Recompute the segment cache of segment register `s` (0-7). */
export function refreshSeg(cpu: Cpu, s: number): void {
  const r = cpu.seg[s];
  const a = r.attrs;
  // What this cache is computed from (see recomputeMode).
  const from = cpu.segFrom;
  from[4 * s] = r.base;
  from[4 * s + 1] = r.limit;
  from[4 * s + 2] = a;
  from[4 * s + 3] = segModeKey(cpu);
  cpu.sbase[s] = r.base;
  if ((cpu.cr0 & 1) === 0 || (cpu.fl & 0x20000) !== 0) {
    // Real / virtual-8086 mode: any type is readable and writable.
    cpu.smin[s] = 0;
    cpu.smax[s] = r.limit >>> 0;
    cpu.sok[s] = 7;
  } else if ((a & 0x10000) !== 0 || (a & 0x80) === 0) {
    cpu.smin[s] = 0;
    cpu.smax[s] = -1;
    cpu.sok[s] = 0;
  } else if ((a & 0x8) !== 0) {
    // Code segment: readable if type bit 1; never writable.
    cpu.smin[s] = 0;
    cpu.smax[s] = r.limit >>> 0;
    cpu.sok[s] = 4 | ((a & 2) !== 0 ? 1 : 0);
  } else if ((a & 0x4) !== 0) {
    // Expand-down data segment: valid offsets are limit+1 .. 0xffff/0xffffffff.
    cpu.smin[s] = (r.limit >>> 0) + 1;
    cpu.smax[s] = (a & 0x4000) !== 0 ? 0xffffffff : 0xffff;
    cpu.sok[s] = 5 | ((a & 2) !== 0 ? 2 : 0);
  } else {
    cpu.smin[s] = 0;
    cpu.smax[s] = r.limit >>> 0;
    cpu.sok[s] = 5 | ((a & 2) !== 0 ? 2 : 0);
  }
  if (cpu.is64 && s < 4) cpu.sbase[s] = 0;
  // Flat: no base, no limit to check (64-bit mode ignores limits; FS/GS only with base 0).
  let flat = 0;
  if (cpu.is64) flat = cpu.sbase[s] === 0 ? 3 : 0;
  else if (
    cpu.mode !== "real" && cpu.mode !== "v86" && cpu.sbase[s] === 0 && cpu.smin[s] === 0 &&
    cpu.smax[s] === 0xffffffff
  ) {
    flat = cpu.sok[s] & 3;
  }
  cpu.sflat[s] = flat;
}

/**
 * Recompute mode, code/stack size and the segment caches. The caches of all
 * eight segment registers depend on CR0.PE, RFLAGS.VM and 64-bit mode
 * besides their own register: when those did not change since the last
 * full refresh and the caller names the register it changed (`changed`: 1
 * = CS, which also refreshes SS for callers that set SS directly around a
 * CS load; 2 = SS), only that cache is rebuilt; otherwise every cache
 * whose register or mode bits differ from what it was computed from.
 */
export function recomputeMode(cpu: Cpu, changed = -1): void {
  // Every CPL change ends here: the PMU's OS/USR filters follow it.
  if ((cpu.cpl === 0 ? 0 : 1) !== cpu.pmu.ring) pmuCplChanged(cpu);
  const cs = cpu.seg[1].attrs;
  cpu.is64 = false;
  if ((cpu.cr0 & 1) === 0) {
    cpu.mode = "real";
    cpu.codeBits = (cs & 0x4000) !== 0 ? 32 : 16;
  } else if ((cpu.fl & 0x20000) !== 0) {
    cpu.mode = "v86";
    cpu.codeBits = 16;
  } else if ((cpu.efer & 0x400) !== 0 && (cs & 0x2000) !== 0) {
    cpu.mode = "long64";
    cpu.codeBits = 64;
    cpu.is64 = true;
  } else {
    const d = (cs & 0x4000) !== 0;
    cpu.codeBits = d ? 32 : 16;
    if ((cpu.efer & 0x400) !== 0) cpu.mode = d ? "compat32" : "compat16";
    else cpu.mode = d ? "protected32" : "protected16";
  }
  cpu.stackBits = cpu.is64 ? 64 : (cpu.seg[2].attrs & 0x4000) !== 0 ? 32 : 16;
  const key = segModeKey(cpu);
  if (changed >= 0 && key === cpu.segKey) {
    if (changed === 1) refreshSeg(cpu, 1);
    refreshSeg(cpu, 2);
  } else {
    // Every cache, except those computed from the same register and mode
    // (a VM entry or exit often loads registers equal to the last ones).
    const from = cpu.segFrom;
    for (let s = 0; s < 8; s++) {
      const r = cpu.seg[s];
      if (
        from[4 * s + 3] !== key || from[4 * s] !== r.base || from[4 * s + 1] !== r.limit ||
        from[4 * s + 2] !== r.attrs
      ) refreshSeg(cpu, s);
    }
    cpu.segKey = key;
  }
  if (!cpu.codeCache.sameFetchContext(cpu)) cpu.dropCodePage();
  selectView(cpu);
}

/** Power-on/RESET state (SDM Vol. 3A 10.1.1, Table 10-1). */
export function resetState(cpu: Cpu): void {
  cpu.gpr.fill(0);
  cpu.gpr[4] = 0x600 | ((cpu.model.model & 0xf) << 4) | (cpu.model.stepping & 0xf); // EDX
  cpu.rip = 0xfff0;
  cpu.rflags = 2;
  cpu.cr0 = 0x60000010;
  cpu.cr2 =
    cpu.cr3 =
    cpu.cr4 =
    cpu.cr8 =
      0;
  cpu.efer = 0;
  cpu.xcr0 = 1;
  cpu.mmu.setPkru(0);
  cpu.mmu.setPkrs(0);
  cpu.fpu.reset();
  cpu.ferrOut = false;
  cpu.dr.fill(0);
  cpu.dr[6] = 0xffff0ff0;
  cpu.dr[7] = 0x400;
  cpu.bpExec =
    cpu.bpData =
    cpu.bpIo =
    cpu.dataHits =
      0;
  cpu.watchPage.fill(NaN);
  cpu.rfAt = -1;
  for (let s = 0; s < 6; s++) {
    const r = cpu.seg[s];
    r.selector = 0;
    r.base = 0;
    r.limit = 0xffff;
    r.attrs = 0x93;
  }
  cpu.seg[1].selector = 0xf000;
  cpu.seg[1].base = 0xffff0000;
  cpu.seg[1].attrs = 0x9b;
  Object.assign(cpu.seg[6], { selector: 0, base: 0, limit: 0xffff, attrs: 0x82 });
  Object.assign(cpu.seg[7], { selector: 0, base: 0, limit: 0xffff, attrs: 0x8b });
  cpu.gdtr.base = 0;
  cpu.gdtr.limit = 0xffff;
  cpu.idtr.base = 0;
  cpu.idtr.limit = 0xffff;
  cpu.cpl = 0;
  cpu.activity = "active";
  cpu.interruptibility = 0;
  cpu.injected.length = 0;
  cpu.nmiPending = false;
  cpu.delivering = -1;
  cpu.star = 0n;
  cpu.lstar =
    cpu.cstar =
    cpu.sfmask =
    cpu.kernelGsBase =
      0;
  cpu.sysenterCs = cpu.sysenterEsp = cpu.sysenterEip = 0;
  cpu.apicBase = 0xfee00900;
  cpu.pat = 0x0007040600070406n;
  cpu.tscAux = 0;
  cpu.tscAdjust = 0; // SDM Vol. 3B 18.17.3: 0 at RESET
  // Bit 7, performance monitoring available, with a PMU (SDM Vol. 4 Table 2-2).
  cpu.miscEnable = MISC_ENABLE_RESET | (pmuVersion(cpu.model) !== 0 ? 0x80 : 0);
  cpu.debugCtl = 0;
  cpu.machineCheck.reset();
  cpu.amdPerf.reset();
  cpu.pages.clear();
  cpu.codeFrames.clear();
  cpu.crossFrames.clear();
  cpu.mmu.resetContexts();
  cpu.syncTlb();
  recomputeMode(cpu);
  cpu.mmu.setControlRegisters(cpu.cr0, cpu.cr3, cpu.cr4, cpu.efer, "keep");
  cpu.flushTlb();
  cpu.poke();
}
