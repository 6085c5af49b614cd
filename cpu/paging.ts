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
import {
  ACCESS_AC,
  ACCESS_EXEC,
  ACCESS_USER,
  ACCESS_WRITE,
  FAULT_NESTED,
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
  const pa = cpu.mmu.walk(lin, access, xl as never);
  if (pa < 0) {
    const res: WalkResult = cpu.walkRes;
    if (res.fault === FAULT_NESTED) throw ABANDON;
    cpu.pfLinear = lin;
    throw new CpuFault(Vec.PF, res.errorCode);
  }
  return pa;
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
  const hook = cpu.nonRoot ? cpu.nonRootHook : null;
  const xl = hook !== null && hook.translateGpa !== undefined ? hook : null;
  const cr3 = cpu.cr3 % 0x8000000000000000;
  const r = cpu.mmu.load(
    cpu.cr0,
    cr3,
    cpu.cr4,
    cpu.efer,
    loadPdpte ? "load" : "keep",
    cr3Write,
    noFlush,
    xl as never,
  );
  if (r === -1) throw ABANDON;
  if (r !== 0) return false;
  cpu.dropCodePage();
  return true;
}
