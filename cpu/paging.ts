/**
 * Linear → physical translation for the CPU: mm's page walker
 * (`mm/walk.ts`) under the paging context built from CR0/CR3/CR4/EFER,
 * with the vCPU's guest-physical translator (nested EPT) in non-root
 * operation. Faults become #PF (CR2 set), or an "ept-violation" /
 * "ept-misconfig" exit on the bus followed by ABANDON.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { EptExit } from "../core/vmexit.ts";
import { CpuFault, Vec } from "./fault.ts";
import {
  ACCESS_AC,
  ACCESS_EXEC,
  ACCESS_USER,
  ACCESS_WRITE,
  FAULT_NESTED,
  type PagingContext,
  permNeeded,
  type WalkResult,
} from "../mm/paging_types.ts";

const ACC_FLAGS = [0, ACCESS_WRITE, ACCESS_EXEC];

/**
 * Translate `lin` for access kind `acc` (0 read, 1 write, 2 fetch) as a
 * user (CPL 3) or supervisor access (explicit: EFLAGS.AC overrides SMAP).
 * Returns the physical address.
 */
export function translate(cpu: Cpu, lin: number, acc: number, user: boolean): number {
  let access = ACC_FLAGS[acc];
  if (user) access |= ACCESS_USER;
  else if ((cpu.fl & 0x40000) !== 0) access |= ACCESS_AC;
  return translateAccess(cpu, lin, access);
}

/**
 * Translate `lin` for `access` (ACCESS_* flags): from a TLB slot that
 * grants the access (`cpu.walked` false), else by a walk (`cpu.walked`
 * true; the caller may then fill the TLB). Returns the physical address,
 * or throws #PF (CR2 set; the TLB's entries for the page go, SDM 4.10.4.1)
 * or ABANDON after an EPT exit.
 */
export function translateAccess(cpu: Cpu, lin: number, access: number): number {
  const ctx: PagingContext = cpu.pctx;
  const xl = cpu.nonRoot ? cpu.guestPhysical : null;
  if (ctx.mode === 0 && xl === null) {
    cpu.walkRes.perm = 0xff;
    cpu.walked = true;
    return lin >>> 0;
  }
  const t = cpu.tlb;
  const o = lin & 0xfff;
  const i = (lin >>> 12) & t.mask;
  if (t.tag[i] === lin - o && (t.perm[i] & permNeeded(access)) !== 0) {
    cpu.walked = false;
    return t.frame[i] * 4096 + o;
  }
  cpu.walked = true;
  const pa = cpu.mmu.walk(lin, access, xl);
  if (pa < 0) {
    const res: WalkResult = cpu.walkRes;
    if (res.fault === FAULT_NESTED) guestPhysicalExit(cpu);
    // A page fault drops the TLB's entries for the faulting page, so that
    // it does not recur from stale entries once the tables are fixed.
    t.flushPage(lin, true);
    cpu.pfLinear = lin;
    throw new CpuFault(Vec.PF, res.errorCode);
  }
  return pa;
}

/**
 * The physical address an instruction fetch from `lin` would use now, or
 * -1 when it would fault or the vCPU is in VMX non-root operation;
 * unlike {@link translate} a failure has no effect (no #PF, no VM exit),
 * so the caller lets the interpreter fetch. A success walks the tables as
 * a fetch does (accessed flags).
 */
export function probeFetch(cpu: Cpu, lin: number): number {
  // Under EPT a failed walk produces its VM exit: not probed.
  if (cpu.nonRoot) return -1;
  const xl = null;
  if (cpu.pctx.mode === 0) return lin >>> 0;
  let access = ACC_FLAGS[2];
  if (cpu.cpl === 3) access |= ACCESS_USER;
  else if ((cpu.fl & 0x40000) !== 0) access |= ACCESS_AC;
  const pa = cpu.mmu.walk(lin, access, xl);
  return pa < 0 ? -1 : pa;
}

/**
 * Rebuild the paging context after CR0/CR3/CR4/EFER changes; loads the PAE
 * PDPTEs when asked. Returns false if a PDPTE has reserved bits set (the
 * caller raises #GP(0); nothing changed). The TLB follows the MMU's rules
 * (SDM 4.10.4.1): everything goes when a paging-mode bit changed; for a
 * MOV to CR3 (`cr3Write`) the non-global entries, unless `noFlush` (CR3
 * bit 63 under CR4.PCIDE) for the same PCID.
 */
export function reloadPaging(
  cpu: Cpu,
  loadPdpte: boolean,
  cr3Write = false,
  noFlush = false,
): boolean {
  const xl = cpu.nonRoot ? cpu.guestPhysical : null;
  const cr3 = cpu.cr3 % 0x8000000000000000;
  const r = cpu.mmu.load(
    cpu.cr0,
    cr3,
    cpu.cr4,
    cpu.efer,
    loadPdpte ? "load" : "keep",
    cr3Write,
    noFlush,
    xl,
  );
  if (r === -1) guestPhysicalExit(cpu);
  if (r !== 0) return false;
  cpu.dropCodePage();
  return true;
}

/**
 * The guest-physical translator failed (EPT violation or misconfiguration,
 * or an APIC access that is never virtualized):
 * abandon the instruction or event delivery and hold the exit; the CPU
 * raises it on the bus (the VMX plugin turns it into a VM exit to L1; with
 * nobody to take it the bus stops the machine) once the instruction has
 * unwound to its boundary state (`Cpu.finishPendingExit`, SDM 27.1).
 */
function guestPhysicalExit(cpu: Cpu): never {
  const f = cpu.guestPhysical!.fault;
  const exit: EptExit = {
    kind: f.kind,
    level: 2,
    instructionLength: 0,
    gpa: f.gpa,
    linear: f.linear,
    qualification: f.qualification,
  };
  cpu.holdExit(exit);
}
