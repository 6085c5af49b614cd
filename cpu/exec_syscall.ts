/**
 * Handlers: the fast system calls (SYSCALL/SYSRET, SYSENTER/SYSEXIT),
 * SWAPGS, CLAC/STAC and RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import { gp, ud } from "./fault.ts";
import { reg64, setReg, setReg64n } from "./regs.ts";
import { canonical } from "./memory.ts";
import { setSeg } from "./segment.ts";
import { refreshSeg } from "./state.ts";
import { writeFlags } from "./exec_data.ts";

/**
 * SYSCALL (EFER.SCE). Intel processors have it in 64-bit mode only (#UD
 * elsewhere); AMD processors also in compatibility mode (target CSTAR) and
 * legacy protected mode (target STAR[31:0], ECX = return EIP, IF/VM/RF
 * cleared). The model's vendor decides (AMD APM Vol. 3 SYSCALL).
 */
export function syscall(c: Cpu): void {
  if ((c.efer & 1) === 0) ud();
  const long = (c.efer & 0x400) !== 0;
  if (!c.is64 && (c.model.vendor !== "AuthenticAMD" || (c.cr0 & 1) === 0)) ud();
  const g = c.gpr;
  const star = c.star;
  const sel = Number((star >> 32n) & 0xfffcn);
  const f = c.rflags;
  if (!long) {
    g[2] = c.rip >>> 0; // ECX
    c.rflags = (f & ~(0x20000 | 0x200 | 0x10000)) | 2;
    c.cpl = 0;
    setSeg(c, 1, sel, 0, 0xffffffff, 0xc09b);
    setSeg(c, 2, sel + 8, 0, 0xffffffff, 0xc093);
    c.rip = Number(star & 0xffffffffn);
    singleStepAtEnd(c);
    return;
  }
  setReg64n(c, 1, c.rip);
  g[22] = f >>> 0;
  g[23] = 0;
  c.rflags = (f & ~c.sfmask & ~0x10000) | 2;
  c.cpl = 0;
  const compat = !c.is64;
  setSeg(c, 1, sel, 0, 0xffffffff, 0xa09b);
  setSeg(c, 2, sel + 8, 0, 0xffffffff, 0xc093);
  c.rip = compat ? c.cstar : c.lstar;
  singleStepAtEnd(c);
}

/**
 * SYSCALL and SYSRET replace RFLAGS: a single-step trap follows them when
 * TF is set at their end, not at their start (a SYSCALL whose FMASK clears
 * TF does not trap; a SYSRET that sets TF traps before the next instruction).
 */
function singleStepAtEnd(c: Cpu): void {
  c.tfArmed = (c.fl & 0x100) !== 0;
  c.tfAt = c.retired;
  c.poke();
}

/** SYSRET (to 64-bit code with REX.W, else to compatibility mode). */
export function sysret(c: Cpu, i: Insn): void {
  if (!c.is64 || (c.efer & 1) === 0) ud();
  if (c.cpl !== 0) gp(0);
  const g = c.gpr;
  const base = Number((c.star >> 48n) & 0xffffn);
  const to64 = i.opSize === 64;
  let rip: number;
  if (to64) {
    rip = reg64(c, 1);
    if (!canonical(rip)) gp(0);
  } else rip = g[2];
  c.rflags = (g[22] & 0x3c7fd7) | 2;
  c.cpl = 3;
  if (to64) setSeg(c, 1, (base + 16) | 3, 0, 0xffffffff, 0xa0fb);
  else setSeg(c, 1, base | 3, 0, 0xffffffff, 0xc0fb);
  // SS selector from STAR; its cache is fixed (SDM SYSRET).
  setSeg(c, 2, (base + 8) | 3, 0, 0xffffffff, 0xc0f3);
  c.rip = rip;
  singleStepAtEnd(c);
}

/** SYSENTER. */
export function sysenter(c: Cpu): void {
  if ((c.cr0 & 1) === 0) gp(0);
  const cs = c.sysenterCs & 0xfffc;
  if (cs === 0) gp(0);
  const long = (c.efer & 0x400) !== 0;
  c.fl &= ~(0x20000 | 0x200 | 0x10000);
  c.cpl = 0;
  setSeg(c, 1, cs, 0, 0xffffffff, long ? 0xa09b : 0xc09b);
  setSeg(c, 2, cs + 8, 0, 0xffffffff, 0xc093);
  if (long) {
    setReg64n(c, 4, c.sysenterEsp);
    c.rip = c.sysenterEip;
  } else {
    c.gpr[8] = c.sysenterEsp >>> 0;
    c.rip = c.sysenterEip >>> 0;
  }
}

/** SYSEXIT (REX.W returns to 64-bit code). */
export function sysexit(c: Cpu, i: Insn): void {
  if ((c.cr0 & 1) === 0 || c.cpl !== 0) gp(0);
  const cs0 = c.sysenterCs & 0xfffc;
  if (cs0 === 0) gp(0);
  const to64 = i.opSize === 64;
  c.cpl = 3;
  if (to64) {
    const rip = reg64(c, 2);
    const rsp = reg64(c, 1);
    if (!canonical(rip) || !canonical(rsp)) gp(0);
    setSeg(c, 1, (cs0 + 32) | 3, 0, 0xffffffff, 0xa0fb);
    setSeg(c, 2, (cs0 + 40) | 3, 0, 0xffffffff, 0xc0f3);
    setReg64n(c, 4, rsp);
    c.rip = rip;
  } else {
    setSeg(c, 1, (cs0 + 16) | 3, 0, 0xffffffff, 0xc0fb);
    setSeg(c, 2, (cs0 + 24) | 3, 0, 0xffffffff, 0xc0f3);
    c.gpr[8] = c.gpr[2];
    if (c.is64 || (c.efer & 0x400) !== 0) c.gpr[9] = 0;
    c.rip = c.gpr[4];
  }
}

/** CLAC: clear RFLAGS.AC; #UD without SMAP in the model or at CPL > 0 (SDM Vol. 2). */
export function clac(c: Cpu): void {
  if (!c.model.features.has("smap") || c.cpl !== 0) ud();
  writeFlags(c, 0, 0x40000);
}

/** STAC: set RFLAGS.AC; #UD without SMAP in the model or at CPL > 0 (SDM Vol. 2). */
export function stac(c: Cpu): void {
  if (!c.model.features.has("smap") || c.cpl !== 0) ud();
  writeFlags(c, 0x40000, 0x40000);
}

/** SWAPGS. */
export function swapgs(c: Cpu): void {
  if (!c.is64) ud();
  if (c.cpl !== 0) gp(0);
  const t = c.seg[5].base;
  c.seg[5].base = c.kernelGsBase;
  c.kernelGsBase = t;
  refreshSeg(c, 5);
}

/** RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (i.x: 0 rdfs, 1 rdgs, 2 wrfs, 3 wrgs). */
export function fsgsbase(c: Cpu, i: Insn): void {
  if (!c.is64 || (c.cr4 & 0x10000) === 0) ud();
  const s = i.x & 1 ? 5 : 4;
  if (i.x < 2) {
    const b = c.seg[s].base;
    if (i.opSize === 64) setReg64n(c, i.rm, b);
    else setReg(c, i.rm, 4, b >>> 0, 0);
    return;
  }
  const v = i.opSize === 64 ? reg64(c, i.rm) : c.gpr[i.rm << 1];
  if (!canonical(v)) gp(0);
  c.seg[s].base = v;
  refreshSeg(c, s);
}
