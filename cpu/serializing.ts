/**
 * Serializing instructions (SDM Vol. 3A 10.3) whose handlers have several
 * ways to complete (IRET, LGDT/LIDT, LLDT/LTR): {@link serializing} charges
 * {@link SERIALIZING_NS} of virtual time (see `core/stall.ts`) whenever the
 * wrapped handler returns. A fault, a VM exit and an exit a plugin handled
 * all leave such a handler by a throw, so they charge nothing. Handlers with
 * one completion (CPUID, MOV to CR0/CR3/CR4, MOV to DRn, INVLPG, WRMSR)
 * charge it in place.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import { SERIALIZING_NS } from "../core/stall.ts";

/**
 * `f`, charging {@link SERIALIZING_NS} each time it returns. `f` must leave
 * by a throw whenever it does not complete the instruction itself.
 */
export function serializing(f: (c: Cpu, i: Insn) => void): (c: Cpu, i: Insn) => void {
  return (c, i) => {
    f(c, i);
    c.stall(SERIALIZING_NS);
  };
}
