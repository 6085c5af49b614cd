/**
 * Handlers: CPUID, RDTSC/RDTSCP/RDPMC, RDMSR/WRMSR, XGETBV/XSETBV, the
 * unadvertised MONITOR/MWAIT/RDRAND/RDSEED/RSM/GETSEC (#UD), and VMMCALL
 * (#UD unless a plugin takes it). CPUID, MSRs, the TSC reads and VMMCALL
 * are offered to the exit bus.
 *
 * @module
 */

import { XSS_VALUE } from "./fpu/xsave.ts";
import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import type { CpuidExit, ExitDisposition, MsrReadExit, MsrWriteExit } from "../core/vmexit.ts";
import { ABANDON, gp, ud } from "./fault.ts";
import {
  cpuidEffectiveLeaf,
  cpuidLeaf,
  type CpuidRegs,
  xcr0Supported,
  xsaveAreaSize,
} from "./model.ts";
import { Msr, ownsMsr, readMsrCore, writeMsrCore } from "./msr.ts";
import { setReg } from "./regs.ts";
import { offerSimple } from "./exits.ts";
import { SERIALIZING_NS } from "../core/stall.ts";
import { rdpmcValue } from "./pmu.ts";

const TWO32 = 4294967296;
const regs: CpuidRegs = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
/** The one CPUID exit record (an exit is valid only while it is dispatched). */
const cpuidExit: { -readonly [K in keyof CpuidExit]: CpuidExit[K] } = {
  kind: "cpuid",
  level: 1,
  instructionLength: 0,
  leaf: 0,
  subleaf: 0,
  eax: 0,
  ebx: 0,
  ecx: 0,
  edx: 0,
};

/** Bits needed to number `n` items (ceil(log2 n)). */
function bitsFor(n: number): number {
  return n <= 1 ? 0 : 32 - Math.clz32(n - 1);
}

/**
 * Leaf 1 topology: EBX[31:24] the initial APIC id, EBX[23:16] addressable
 * logical processors per package, EDX[28] HTT when that is more than one.
 */
function cpuidTopology1(c: Cpu, r: CpuidRegs): void {
  const perPackage = 1 << (bitsFor(c.threadsPerCore) + bitsFor(c.coresPerSocket));
  r.ebx = ((r.ebx & 0xffff) | ((Math.min(perPackage, 255) & 0xff) << 16) |
    ((c.apicId & 0xff) << 24)) >>> 0;
  if (perPackage > 1) r.edx = (r.edx | (1 << 28)) >>> 0;
}

/**
 * Leaves 0xB (extended topology) and 0x1F (V2 extended topology), SDM Vol.
 * 2A CPUID: subleaf 0 the SMT level, 1 the core level, others invalid; EAX
 * the x2APIC id shift to the next level, EBX the logical processors at this
 * level, ECX level number and type, EDX the x2APIC id. The machine has no
 * module, tile or die level, so 0x1F enumerates the same levels as 0xB
 * (the SDM's V2 leaf is a superset of 0xB's level types).
 */
function cpuidTopologyB(c: Cpu, sub: number, r: CpuidRegs): void {
  const smtBits = bitsFor(c.threadsPerCore);
  const coreBits = bitsFor(c.coresPerSocket);
  r.edx = c.apicId >>> 0;
  if (sub === 0) {
    r.eax = smtBits;
    r.ebx = c.threadsPerCore;
    r.ecx = (1 << 8) | 0;
  } else if (sub === 1) {
    r.eax = smtBits + coreBits;
    r.ebx = c.threadsPerCore * c.coresPerSocket;
    r.ecx = (2 << 8) | 1;
  } else {
    r.eax = 0;
    r.ebx = 0;
    r.ecx = sub & 0xff;
  }
}

/**
 * CPUID: the model's answer, offered to the bus (plugins may override);
 * it takes {@link SERIALIZING_NS} of virtual time (a serializing instruction).
 */
export function cpuid(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const leaf = g[0];
  const sub = g[2];
  cpuidLeaf(c.model, leaf, sub, regs);
  const eff = cpuidEffectiveLeaf(c.model, leaf); // the leaf whose data that is
  if (eff === 1) {
    if ((c.cr4 & 0x40000) !== 0) regs.ecx |= 1 << 27; // OSXSAVE
    if ((c.apicBase & 0x800) === 0) regs.edx &= ~(1 << 9);
    regs.ecx >>>= 0;
    cpuidTopology1(c, regs);
  } else if (eff === 0xb || eff === 0x1f) cpuidTopologyB(c, sub, regs);
  else if (eff === 7) {
    if (sub === 0 && (c.cr4 & 0x400000) !== 0) regs.ecx = (regs.ecx | (1 << 4)) >>> 0; // OSPKE
  } else if (eff === 0xd && c.model.features.has("xsave")) {
    // The XSAVE area sizes for the components enabled now (SDM Vol. 2A CPUID leaf 0DH).
    if (sub === 0) regs.ebx = xsaveAreaSize(c.xcr0);
    else if (sub === 1 && regs.ebx !== 0) regs.ebx = xsaveAreaSize(c.xcr0 | XSS_VALUE);
  }
  const e = cpuidExit;
  e.level = c.nonRoot ? 2 : 1;
  e.instructionLength = i.len;
  e.leaf = leaf;
  e.subleaf = sub;
  e.eax = regs.eax;
  e.ebx = regs.ebx;
  e.ecx = regs.ecx;
  e.edx = regs.edx;
  if (c.exits(e) === "reflected") {
    // Not a region helper (see cpu/jit/plan.ts): only the interpreter runs it.
    c.abandonForExit();
    return;
  }
  setReg(c, 0, 4, e.eax >>> 0, 0);
  setReg(c, 3, 4, e.ebx >>> 0, 0);
  setReg(c, 1, 4, e.ecx >>> 0, 0);
  setReg(c, 2, 4, e.edx >>> 0, 0);
  c.stall(SERIALIZING_NS);
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
  return offerSimple(c, kind, i.len);
}

/**
 * The TSC as RDTSC, RDTSCP and RDMSR of IA32_TSC read it: the processor's;
 * in L2 with "use TSC offsetting" scaled by the TSC multiplier when "use
 * TSC scaling" is 1 (the product shifted right 48 bits), then plus the TSC
 * offset (SDM Vol. 3C 26.3). Below zero reads 0.
 */
export function tscAsRead(c: Cpu): number {
  const m = c.nonRootTscMultiplier;
  if (m === null) return Math.max(0, Math.floor(c.now() + c.tscOffset + c.nonRootTscOffset));
  const tsc = BigInt(Math.max(0, Math.floor(c.now() + c.tscOffset)));
  return Math.max(0, Number((tsc * m) >> 48n) + c.nonRootTscOffset);
}

/** RDTSC / RDTSCP (i.x = 1). */
export function rdtsc(c: Cpu, i: Insn): void {
  if (i.x === 1 && !c.model.features.has("rdtscp")) ud();
  if ((c.cr4 & 4) !== 0 && c.cpl !== 0 && (c.cr0 & 1) !== 0) gp(0);
  if (simpleExit(c, i, i.x === 1 ? "rdtscp" : "rdtsc")) return;
  const t = tscAsRead(c);
  setReg(c, 0, 4, t % TWO32, 0);
  setReg(c, 2, 4, Math.floor(t / TWO32) >>> 0, 0);
  if (i.x === 1) setReg(c, 1, 4, c.tscAux >>> 0, 0);
}

/**
 * RDPMC (SDM Vol. 2B): #GP(0) at CPL > 0 without CR4.PCE (in protected
 * mode; CPL is 0 in real mode), which comes before the VM exit of "RDPMC
 * exiting" (SDM Vol. 3C 26.1.1); then the counter ECX names (`pmu.ts`
 * {@link rdpmcValue}: ECX[30] the fixed counters) in EDX:EAX, or #GP(0)
 * when there is none (no PMU, a bad index, ECX[31]).
 */
export function rdpmc(c: Cpu, i: Insn): void {
  if ((c.cr4 & 0x100) === 0 && c.cpl !== 0) gp(0);
  if (simpleExit(c, i, "rdpmc")) return;
  const v = rdpmcValue(c, c.gpr[2]);
  if (v === undefined) gp(0);
  setReg(c, 0, 4, v % TWO32, 0);
  setReg(c, 2, 4, Math.floor(v / TWO32), 0);
}

/**
 * Offer RDMSR of `idx` to the plugin bus at `level` (`len` 0: no
 * instruction, as for the VMX MSR lists): the value when a plugin answered,
 * else what the bus said.
 */
function offerRdmsr(c: Cpu, idx: number, level: 1 | 2, len: number): bigint | "pass" | "reflected" {
  const e: MsrReadExit = { kind: "rdmsr", level, instructionLength: len, msr: idx, lo: 0, hi: 0 };
  const r = c.exits(e);
  return r === "handled" ? (BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0) : r;
}

/** Offer WRMSR of `idx` (EDX:EAX = `hi`:`lo`) to the plugin bus, as {@link offerRdmsr}. */
function offerWrmsr(
  c: Cpu,
  idx: number,
  lo: number,
  hi: number,
  level: 1 | 2,
  len: number,
): ExitDisposition {
  const e: MsrWriteExit = { kind: "wrmsr", level, instructionLength: len, msr: idx, lo, hi };
  return c.exits(e);
}

/** RDMSR. */
export function rdmsr(c: Cpu, i: Insn): void {
  if (c.cpl !== 0 && (c.cr0 & 1) !== 0) gp(0);
  const idx = c.gpr[2];
  const own = ownsMsr(idx);
  let v: bigint | undefined;
  // IA32_APIC_BASE is offered to the bus first: the LAPIC plugin owns it
  // when loaded (mode transitions, MMIO placement); else the CPU answers.
  if (c.nonRoot || !own || idx === 0x1b) {
    const r = offerRdmsr(c, idx, c.nonRoot ? 2 : 1, i.len);
    if (r === "reflected") throw ABANDON;
    if (r !== "pass") v = r;
  }
  // L2 reads IA32_TSC offset (and scaled) as RDTSC does (SDM 26.3).
  if (v === undefined && own) {
    v = idx === Msr.TSC && c.nonRoot ? BigInt(tscAsRead(c)) : readMsrCore(c, idx);
  }
  if (v === undefined) gp(0);
  setReg(c, 0, 4, Number(v & 0xffffffffn), 0);
  setReg(c, 2, 4, Number((v >> 32n) & 0xffffffffn), 0);
}

/**
 * WRMSR: serializing (SDM Vol. 3A 10.3), so each completed write takes
 * {@link SERIALIZING_NS}, whoever owns the MSR, except the writes the SDM
 * says are not: IA32_TSC_DEADLINE (0x6E0) and the x2APIC MSRs 0x802-0x83F.
 */
export function wrmsr(c: Cpu, i: Insn): void {
  if (c.cpl !== 0 && (c.cr0 & 1) !== 0) gp(0);
  const g = c.gpr;
  const idx = g[2];
  const r = writeAsWrmsr(c, idx, g[0], g[4], c.nonRoot ? 2 : 1, i.len);
  if (r === "reflected") throw ABANDON;
  if (r === "refused") gp(0);
  if (serializingMsr(idx)) c.stall(SERIALIZING_NS);
}

/**
 * WRMSR's routing of a write of EDX:EAX = `hi`:`lo` to MSR `idx` at
 * `level`: offered to the bus first in L2, for MSRs the CPU does not own,
 * and for IA32_APIC_BASE (its owner, the LAPIC plugin, writes the CPU's
 * copy itself); otherwise, or when nobody takes it, the CPU's own write.
 * "refused" where WRMSR raises #GP.
 */
function writeAsWrmsr(
  c: Cpu,
  idx: number,
  lo: number,
  hi: number,
  level: 1 | 2,
  len: number,
): "reflected" | "handled" | "written" | "refused" {
  const own = ownsMsr(idx);
  if (level === 2 || !own || idx === Msr.APIC_BASE) {
    const r = offerWrmsr(c, idx, lo, hi, level, len);
    if (r !== "pass") return r;
  }
  return own && writeMsrCore(c, idx, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0))
    ? "written"
    : "refused";
}

/** Whether WRMSR to `idx` serializes: all but IA32_TSC_DEADLINE and x2APIC 0x802-0x83F. */
function serializingMsr(idx: number): boolean {
  return idx !== 0x6e0 && (idx < 0x802 || idx > 0x83f);
}

/**
 * XGETBV/XSETBV: #UD unless CR4.OSXSAVE; XCR0 takes x87 (required), SSE and,
 * with PKU, PKRU (bit 9); XGETBV(1) reads XINUSE.
 */
export function xgetbv(c: Cpu, i: Insn): void {
  if ((c.cr4 & 0x40000) === 0) ud();
  if (i.x === 1) {
    if (simpleExit(c, i, "xsetbv")) return;
    if (c.cpl !== 0) gp(0);
    const v = c.gpr[0];
    if (c.gpr[2] !== 0 || (v & 1) === 0 || (v & ~xcr0Supported(c.model)) !== 0 || c.gpr[4] !== 0) {
      gp(0);
    }
    c.xcr0 = c.gpr[0];
    return;
  }
  // XGETBV(1): XCR0 AND XINUSE (SDM 13.6); every component counts as in use.
  if (c.gpr[2] === 1 && c.model.features.has("xgetbv1")) {
    setReg(c, 0, 4, (c.xcr0 | XSS_VALUE) >>> 0, 0);
    setReg(c, 2, 4, 0, 0);
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

/**
 * VMMCALL: AMD's call to the hypervisor (AMD APM Vol. 3). A VMMCALL that no
 * hypervisor intercepts raises #UD, and nestvm implements no SVM, so by
 * default it is #UD. At level 1 it is first offered as a "vmmcall" exit: a
 * plugin that plays L1's hypervisor (`pv/kvm_pv.ts`) may complete it. In
 * VMX non-root operation it is #UD without an exit, as on any Intel
 * processor (L1 sees the #UD through its exception bitmap).
 */
export function vmmcall(c: Cpu, i: Insn): void {
  if (c.nonRoot) ud();
  if (!offerSimple(c, "vmmcall", i.len)) ud();
}

/**
 * Read an MSR for the VMX MSR lists and plugins: the CPU's own MSRs from
 * the CPU (also IA32_APIC_BASE, whose plugin calls this for the CPU's
 * copy); any other goes to the plugin bus as a level-1 "rdmsr" exit
 * (instruction length 0: no instruction), as RDMSR in L1 would. Undefined
 * where RDMSR would #GP.
 */
export function readMsrRouted(c: Cpu, idx: number): bigint | undefined {
  if (ownsMsr(idx)) return readMsrCore(c, idx);
  const r = offerRdmsr(c, idx, 1, 0);
  return typeof r === "bigint" ? r : undefined;
}

/**
 * Write an MSR for plugins (`Vcpu.writeMsr`), routed as
 * {@link readMsrRouted}: the CPU's own MSRs, IA32_APIC_BASE included (its
 * plugin calls this for the CPU's copy), go to the CPU. False where WRMSR
 * would #GP.
 */
export function writeMsrRouted(c: Cpu, idx: number, value: bigint): boolean {
  if (ownsMsr(idx)) return writeMsrCore(c, idx, value);
  const v = BigInt.asUintN(64, value);
  return offerWrmsr(c, idx, Number(v & 0xffffffffn), Number(v >> 32n), 1, 0) === "handled";
}

/**
 * Write an MSR for a VMX MSR-load list (`Vcpu.loadMsr`): routed as WRMSR
 * in L1 routes it (IA32_APIC_BASE to its owner first), as a level-1 exit of
 * length 0. False where WRMSR would #GP.
 */
export function loadMsrRouted(c: Cpu, idx: number, value: bigint): boolean {
  const v = BigInt.asUintN(64, value);
  const r = writeAsWrmsr(c, idx, Number(v & 0xffffffffn), Number(v >> 32n), 1, 0);
  return r === "handled" || r === "written";
}
