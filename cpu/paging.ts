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
import { ABANDON, CpuFault, Vec } from "./fault.ts";
import { loadPdptes, walk } from "../mm/walk.ts";
import {
  ACCESS_AC,
  ACCESS_EXEC,
  ACCESS_USER,
  ACCESS_WRITE,
  FAULT_NESTED,
  MODE_PAE,
  type PagingContext,
  type WalkResult,
} from "../mm/paging_types.ts";

const ACC_FLAGS = [0, ACCESS_WRITE, ACCESS_EXEC];

/**
 * Translate `lin` for access kind `acc` (0 read, 1 write, 2 fetch) as a
 * user (CPL 3) or supervisor access. Returns the physical address.
 */
export function translate(cpu: Cpu, lin: number, acc: number, user: boolean): number {
  const ctx: PagingContext = cpu.pctx;
  const xl = cpu.nonRoot ? cpu.guestPhysical : null;
  if (ctx.mode === 0 && xl === null) return lin >>> 0;
  let access = ACC_FLAGS[acc];
  if (user) access |= ACCESS_USER;
  else if ((cpu.fl & 0x40000) !== 0) access |= ACCESS_AC;
  const res: WalkResult = cpu.walkRes;
  if (!walk(cpu.memory, ctx, lin, access, res, xl)) {
    if (res.fault === FAULT_NESTED) guestPhysicalExit(cpu);
    cpu.pfLinear = lin;
    throw new CpuFault(Vec.PF, res.errorCode);
  }
  return res.phys;
}

/**
 * Rebuild the paging context after CR0/CR3/CR4/EFER changes; loads the PAE
 * PDPTEs when needed. Returns false if a PDPTE has reserved bits set (the
 * caller raises #GP(0)).
 */
export function reloadPaging(cpu: Cpu, loadPdpte: boolean): boolean {
  const ctx = cpu.pctx;
  const cr3 = cpu.cr3 % 0x8000000000000000;
  ctx.load(cpu.cr0, cr3, cpu.cr4, cpu.efer);
  if (ctx.mode === MODE_PAE && loadPdpte) {
    const xl = cpu.nonRoot ? cpu.guestPhysical : null;
    const r = loadPdptes(cpu.memory, cr3, ctx.pdpte, ctx.maxPhysAddr, xl);
    if (r === -1) guestPhysicalExit(cpu);
    if (r !== 0) return false;
  }
  cpu.flushTlb();
  return true;
}

/**
 * The guest-physical translator failed (EPT violation or misconfiguration):
 * raise the exit on the bus (the VMX plugin turns it into a VM exit to L1;
 * with nobody to take it the bus stops the machine), then abandon the
 * instruction or event delivery.
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
  cpu.exits(exit);
  throw ABANDON;
}
