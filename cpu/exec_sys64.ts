/**
 * Handlers: CPUID, RDTSC/RDTSCP/RDPMC, RDMSR/WRMSR, SYSCALL/SYSRET,
 * SYSENTER/SYSEXIT, SWAPGS, RDFSBASE & co, XGETBV/XSETBV, MONITOR/MWAIT,
 * RDRAND/RDSEED, the VMX instructions (as "vmx" exits), RSM, ARPL, BOUND.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import type {
  CpuidExit,
  MsrReadExit,
  MsrWriteExit,
  VmExit,
  VmxInstruction,
} from "../core/vmexit.ts";
import { ABANDON, CpuFault, gp, ud, Vec } from "./fault.ts";
import { cpuidLeaf, type CpuidRegs } from "./model.ts";
import { ownsMsr, readMsrCore, writeMsrCore } from "./msr.ts";
import { eaLin, memRead, reg64, rmwRead, rmwWrite, setReg, setReg64n } from "./regs.ts";
import { canonical } from "./memory.ts";
import { setSeg } from "./segment.ts";
import { refreshSeg } from "./state.ts";
import { writeFlags } from "./exec_data.ts";
import { nr, offerNonRoot, vmxOperands } from "./exec_system.ts";

const TWO32 = 4294967296;
const regs: CpuidRegs = { eax: 0, ebx: 0, ecx: 0, edx: 0 };

/** CPUID: the model's answer, offered to the bus (plugins may override). */
export function cpuid(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const leaf = g[0];
  const sub = g[2];
  cpuidLeaf(c.model, leaf, sub, regs);
  if (leaf === 1) {
    if ((c.cr4 & 0x40000) !== 0) regs.ecx |= 1 << 27; // OSXSAVE
    if ((c.apicBase & 0x800) === 0) regs.edx &= ~(1 << 9);
    regs.ecx >>>= 0;
  }
  const e: CpuidExit = {
    kind: "cpuid",
    level: c.nonRoot ? 2 : 1,
    instructionLength: i.len,
    leaf,
    subleaf: sub,
    eax: regs.eax,
    ebx: regs.ebx,
    ecx: regs.ecx,
    edx: regs.edx,
  };
  if (c.exits(e) === "reflected") throw ABANDON;
  setReg(c, 0, 4, e.eax >>> 0, 0);
  setReg(c, 3, 4, e.ebx >>> 0, 0);
  setReg(c, 1, 4, e.ecx >>> 0, 0);
  setReg(c, 2, 4, e.edx >>> 0, 0);
}

function simpleExit(
  c: Cpu,
  i: Insn,
  kind:
    | "rdtsc"
    | "rdtscp"
    | "rdpmc"
    | "xsetbv"
    | "monitor"
    | "mwait"
    | "rdrand"
    | "rdseed"
    | "rsm"
    | "getsec",
): boolean {
  if (!nr(c)) return false;
  return offerNonRoot(c, { kind, level: 2, instructionLength: i.len } as VmExit);
}

/** RDTSC / RDTSCP (i.x = 1). */
export function rdtsc(c: Cpu, i: Insn): void {
  if (i.x === 1 && !c.model.features.has("rdtscp")) ud();
  if ((c.cr4 & 4) !== 0 && c.cpl !== 0 && (c.cr0 & 1) !== 0) gp(0);
  if (simpleExit(c, i, i.x === 1 ? "rdtscp" : "rdtsc")) return;
  const t = Math.max(0, Math.floor(c.now() + c.tscOffset));
  setReg(c, 0, 4, t % TWO32, 0);
  setReg(c, 2, 4, Math.floor(t / TWO32) >>> 0, 0);
  if (i.x === 1) setReg(c, 1, 4, c.tscAux >>> 0, 0);
}

/** RDPMC: no counters are implemented (#GP(0)). */
export function rdpmc(c: Cpu, i: Insn): void {
  if ((c.cr4 & 0x100) === 0 && c.cpl !== 0) gp(0);
  if (simpleExit(c, i, "rdpmc")) return;
  gp(0);
}

/** RDMSR. */
export function rdmsr(c: Cpu, i: Insn): void {
  if (c.cpl !== 0 && (c.cr0 & 1) !== 0) gp(0);
  const idx = c.gpr[2];
  let lo = 0;
  let hi = 0;
  let done = false;
  const own = ownsMsr(idx);
  // IA32_APIC_BASE is offered to the bus first: the LAPIC plugin owns it
  // when loaded (mode transitions, MMIO placement); else the CPU answers.
  if (c.nonRoot || !own || idx === 0x1b) {
    const e: MsrReadExit = {
      kind: "rdmsr",
      level: c.nonRoot ? 2 : 1,
      instructionLength: i.len,
      msr: idx,
      lo: 0,
      hi: 0,
    };
    const r = c.exits(e);
    if (r === "reflected") throw ABANDON;
    if (r === "handled") {
      lo = e.lo >>> 0;
      hi = e.hi >>> 0;
      done = true;
    }
  }
  if (!done) {
    const v = own ? readMsrCore(c, idx) : undefined;
    if (v === undefined) gp(0);
    lo = Number(v & 0xffffffffn);
    hi = Number((v >> 32n) & 0xffffffffn);
  }
  setReg(c, 0, 4, lo, 0);
  setReg(c, 2, 4, hi, 0);
}

/** WRMSR. */
export function wrmsr(c: Cpu, i: Insn): void {
  if (c.cpl !== 0 && (c.cr0 & 1) !== 0) gp(0);
  const g = c.gpr;
  const idx = g[2];
  const lo = g[0];
  const hi = g[4];
  const own = ownsMsr(idx);
  if (c.nonRoot || !own || idx === 0x1b) {
    const e: MsrWriteExit = {
      kind: "wrmsr",
      level: c.nonRoot ? 2 : 1,
      instructionLength: i.len,
      msr: idx,
      lo,
      hi,
    };
    const r = c.exits(e);
    if (r === "reflected") throw ABANDON;
    if (r === "handled") return;
  }
  if (!own || !writeMsrCore(c, idx, (BigInt(hi) << 32n) | BigInt(lo))) gp(0);
}

// =====================================================================
// Fast system calls
// =====================================================================

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

/** XGETBV/XSETBV: #UD unless CR4.OSXSAVE (never set: XSAVE is not advertised). */
export function xgetbv(c: Cpu, i: Insn): void {
  if ((c.cr4 & 0x40000) === 0) ud();
  if (i.x === 1) {
    if (simpleExit(c, i, "xsetbv")) return;
    if (c.cpl !== 0) gp(0);
    if (c.gpr[2] !== 0 || (c.gpr[0] & 1) === 0 || (c.gpr[0] & ~1) !== 0 || c.gpr[4] !== 0) gp(0);
    c.xcr0 = c.gpr[0];
    return;
  }
  if (c.gpr[2] !== 0) gp(0);
  setReg(c, 0, 4, c.xcr0, 0);
  setReg(c, 2, 4, 0, 0);
}

/**
 * MONITOR/MWAIT/RDRAND/RDSEED/RSM/GETSEC: not advertised (CPUID clear, CR4.SMXE
 * cannot be set, no SMM), so #UD, also in VMX non-root operation: an
 * invalid-opcode exception has priority over the VM exit these would
 * otherwise cause (SDM Vol. 3C 26.1.1; GETSEC is #UD when CR4.SMXE = 0).
 */
export function unadvertised(_c: Cpu, _i: Insn): void {
  ud();
}

// =====================================================================
// VMX instructions
// =====================================================================

const VMX_NAMES: VmxInstruction[] = [
  "vmcall",
  "vmlaunch",
  "vmresume",
  "vmxoff",
  "vmfunc",
  "vmptrld",
  "vmclear",
  "vmxon",
  "vmptrst",
  "vmread",
  "vmwrite",
  "invept",
  "invvpid",
];

/** A VMX instruction: a "vmx" exit; "pass" means #UD (no VMX plugin). */
export function vmx(c: Cpu, i: Insn): void {
  const e: VmExit = {
    kind: "vmx",
    level: c.nonRoot ? 2 : 1,
    instructionLength: i.len,
    instruction: VMX_NAMES[i.x],
    operands: vmxOperands(c, i),
  };
  const r = c.exits(e);
  if (r === "reflected") throw ABANDON;
  if (r === "pass") ud();
}

// =====================================================================
// Legacy oddities
// =====================================================================

/** ARPL Ew, Gw (legacy modes). */
export function arpl(c: Cpu, i: Insn): void {
  if ((c.cr0 & 1) === 0 || (c.fl & 0x20000) !== 0) ud();
  const d = rmwRead(c, i, 2);
  const s = c.gpr[i.reg << 1] & 0xffff;
  const f = c.alu.getFlags();
  if ((d & 3) < (s & 3)) {
    rmwWrite(c, i, 2, (d & ~3) | (s & 3), 0);
    c.alu.setFlags(f | 0x40);
  } else c.alu.setFlags(f & ~0x40);
}

/** BOUND Gv, Ma: #BR when the index is out of bounds. */
export function bound(c: Cpu, i: Insn): void {
  if (i.isMem === 0) ud();
  const s = i.osz;
  const lin = eaLin(c, i, 2 * s, 1);
  let lo = memRead(c, lin, s);
  let hi = memRead(c, lin + s, s);
  let v = c.gpr[i.reg << 1];
  if (s === 2) {
    lo = (lo << 16) >> 16;
    hi = (hi << 16) >> 16;
    v = (v << 16) >> 16;
  } else {
    lo |= 0;
    hi |= 0;
    v |= 0;
  }
  if (v < lo || v > hi) throw new CpuFault(Vec.BR, -1);
}
