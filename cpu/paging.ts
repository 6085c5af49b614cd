/**
 * Linear → physical translation for the CPU: mm's page walker
 * (`mm/walk.ts`) under the paging context built from CR0/CR3/CR4/EFER,
 * with the EPT hook in non-root operation. Faults become #PF (CR2 set) or
 * ABANDON (an EPT VM exit already happened).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
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
  const hook = cpu.nonRoot ? cpu.nonRootHook : null;
  const xl = hook !== null && hook.translateGpa !== undefined ? hook : null;
  if (ctx.mode === 0 && xl === null) return lin >>> 0;
  let access = ACC_FLAGS[acc];
  if (user) access |= ACCESS_USER;
  else if ((cpu.fl & 0x40000) !== 0) access |= ACCESS_AC;
  const res: WalkResult = cpu.walkRes;
  if (!walk(cpu.memory, ctx, lin, access, res, xl as never)) {
    if (res.fault === FAULT_NESTED) throw ABANDON;
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
    const hook = cpu.nonRoot ? cpu.nonRootHook : null;
    const xl = hook !== null && hook.translateGpa !== undefined ? hook : null;
    const r = loadPdptes(cpu.memory, cr3, ctx.pdpte, ctx.maxPhysAddr, xl as never);
    if (r === -1) throw ABANDON;
    if (r !== 0) return false;
  }
  cpu.flushTlb();
  return true;
}
