/**
 * The debugger's hook into the CPU engine. It is consulted only on paths
 * that are already slow (a decoded-cache miss, a TLB miss), and only while
 * a debugger is attached ({@link Cpu.debugHook} non-null): with no debugger
 * the hot loop pays nothing.
 *
 * - Breakpoints: when an instruction is fetched into the decoded cache, the
 *   hook may put a trap instruction in its place; the trap's handler decides
 *   (by linear address and level) whether to stop or to run the original.
 *   An engine that compiles blocks calls {@link DebugHook.fetched} for each
 *   instruction it compiles and must end a block at a trap.
 * - Watchpoints: every data access that misses the fast TLB is reported to
 *   {@link DebugHook.access}; a page the hook watches is kept out of the
 *   fast TLB, so every access to it takes the slow path.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";

/** What a debugger stub installs on the CPU. */
export interface DebugHook {
  /**
   * An instruction at linear address `lin` was fetched into (or found in)
   * the decoded page `page` at offset `off`. Return the instruction to run
   * (a trap or `insn`); the caller stores it in `page[off]`. The hook may
   * also replace other entries of `page` that belong to the same linear
   * page (breakpoints reached by straight-line fetch).
   */
  fetched(cpu: Cpu, lin: number, insn: Insn, page: (Insn | undefined)[], off: number): Insn;
  /**
   * A data access of `size` bytes at linear `lin` missed the fast TLB.
   * Returns true if the page must stay out of the fast TLB (it is watched).
   */
  access(cpu: Cpu, lin: number, size: number, write: boolean): boolean;
}
