/**
 * Handlers: RDPKRU and WRPKRU (SDM Vol. 2B), the instructions that read and
 * write the protection-key rights register of IA-32e paging (SDM Vol. 3A
 * 4.6.2). PKRU itself lives in the paging context the walker reads
 * (`cpu.pctx.pkru`); writes go through the MMU so that the TLB forgets the
 * rights it was filled under.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { gp, ud } from "./fault.ts";
import { setReg } from "./regs.ts";
import { CR4_PKE } from "../mm/paging_types.ts";

/** RDPKRU: EAX = PKRU, EDX = 0. #UD when CR4.PKE = 0; #GP(0) when ECX is not 0. */
export function rdpkru(c: Cpu): void {
  if ((c.cr4 & CR4_PKE) === 0) ud();
  if (c.gpr[2] !== 0) gp(0);
  setReg(c, 0, 4, c.pctx.pkru, 0);
  setReg(c, 2, 4, 0, 0);
}

/** WRPKRU: PKRU = EAX. #UD when CR4.PKE = 0; #GP(0) when ECX or EDX is not 0. */
export function wrpkru(c: Cpu): void {
  if ((c.cr4 & CR4_PKE) === 0) ud();
  if (c.gpr[2] !== 0 || c.gpr[4] !== 0) gp(0);
  c.mmu.setPkru(c.gpr[0]);
}
