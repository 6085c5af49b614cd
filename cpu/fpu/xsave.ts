/**
 * XSAVE/XSAVEOPT/XRSTOR in the standard (non-compacted) format for the
 * state components this CPU has: 0 (x87) and 1 (SSE) in the 512-byte
 * legacy area, then the 64-byte XSAVE header (SDM Vol. 1 ch. 13). The
 * layout leaves room for further components at their CPUID.0xD offsets.
 *
 * XINUSE is tracked as "always in use" for both components, which the SDM
 * allows (13.6: a processor may report a component in use at any time), so
 * XSAVE and XSAVEOPT set XSTATE_BV[i] for every requested component i.
 * XSAVEC/XSAVES/XRSTORS and IA32_XSS are not implemented (not advertised).
 *
 * @module
 */

import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { CpuFault, gp, ud, Vec } from "../fault.ts";
import { eaLin, memRead, memWrite } from "../regs.ts";
import { probeWrite } from "../memory.ts";
import {
  applyX87,
  MXCSR_MASK,
  readX87Area,
  readXmm,
  saveMxcsr,
  saveX87Area,
  saveXmm,
} from "./fxsave.ts";
import { finit } from "./exec_reg.ts";

/** XCR0 bits this CPU supports (x87, SSE): CPUID.(EAX=0DH,ECX=0):EAX. */
export const XCR0_SUPPORTED = 3;
/** Size of the standard-format XSAVE area for the supported components. */
export const XSAVE_SIZE = 576;

/** #UD/#NM/alignment checks shared by the XSAVE family; returns the linear address. */
function check(c: Cpu, i: Insn, need: number): number {
  if ((c.cr4 & 0x40000) === 0) ud();
  if ((c.cr0 & 8) !== 0) throw new CpuFault(Vec.NM, -1);
  const lin = eaLin(c, i, XSAVE_SIZE, need);
  if (lin % 64 !== 0) gp(0);
  return lin;
}

/** Requested-feature bitmap: XCR0 AND EDX:EAX (only the low bits exist here). */
function rfbm(c: Cpu): number {
  return c.xcr0 & c.gpr[0] & XCR0_SUPPORTED;
}

/** XSAVE / XSAVEOPT mem (standard format). */
export function xsave(c: Cpu, i: Insn): void {
  const lin = check(c, i, 2);
  probeWrite(c, lin);
  probeWrite(c, lin + XSAVE_SIZE - 1);
  const rf = rfbm(c);
  const rexW = c.is64 && i.opSize === 64;
  if ((rf & 1) !== 0) saveX87Area(c, lin, rexW);
  if ((rf & 2) !== 0) {
    saveMxcsr(c, lin);
    saveXmm(c, lin);
  }
  // XSTATE_BV: bits of RFBM take XINUSE (1); the others keep their value.
  const bv = memRead(c, lin + 512, 4);
  memWrite(c, lin + 512, 4, (bv | rf) >>> 0, 0);
}

/** XRSTOR mem (standard format; #GP for a bad header or MXCSR reserved bits). */
export function xrstor(c: Cpu, i: Insn): void {
  const lin = check(c, i, 1);
  const rf = rfbm(c);
  const bvLo = memRead(c, lin + 512, 4), bvHi = memRead(c, lin + 516, 4);
  // XCOMP_BV and the next 8 header bytes must be 0 (no compacted form); XSTATE_BV within XCR0.
  for (let off = 520; off < 536; off += 4) if (memRead(c, lin + off, 4) !== 0) gp(0);
  if (bvHi !== 0 || (bvLo & ~c.xcr0) !== 0) gp(0);
  let mx = c.fpu.mxcsr;
  if ((rf & 2) !== 0) {
    mx = memRead(c, lin + 24, 4);
    if ((mx & ~MXCSR_MASK) !== 0) gp(0);
  }
  const x87 = (rf & 1) !== 0 && (bvLo & 1) !== 0 ? readX87Area(c, lin) : null;
  const xmm = (rf & 2) !== 0 && (bvLo & 2) !== 0 ? readXmm(c, lin) : null;
  // All reads done: commit.
  const f = c.fpu;
  if ((rf & 1) !== 0) {
    if (x87 !== null) applyX87(c, x87, c.is64 && i.opSize === 64);
    else {
      finit(f);
      f.mant.fill(0);
      f.sexp.fill(0);
    }
  }
  if ((rf & 2) !== 0) {
    f.mxcsr = mx;
    const n = c.is64 ? 64 : 32;
    for (let r = 0; r < n; r++) f.xmm32[r] = xmm !== null ? xmm[r] : 0;
  }
}
