/**
 * XSAVE/XSAVEOPT/XRSTOR in the standard (non-compacted) format for the
 * state components this CPU has: 0 (x87) and 1 (SSE) in the 512-byte
 * legacy area, the 64-byte XSAVE header (SDM Vol. 1 ch. 13), and with PKU
 * component 9 (PKRU, 8 bytes) right after the header, at the offset
 * CPUID.(0DH,9):EBX gives (`XSAVE_PKRU_OFFSET` in cpu/model.ts).
 *
 * XSAVEC/XSAVES write, and XRSTOR/XRSTORS read, the compacted format (SDM
 * 13.4.3, 13.10-13.12): XCOMP_BV[63] = 1 and XCOMP_BV[62:0] = RFBM. Components
 * 0 and 1 live in the legacy region, and PKRU, the only extended component,
 * is the first after the header: the compacted image has the standard
 * layout.
 *
 * XINUSE is tracked as "always in use" for every component, which the SDM
 * allows (13.6: a processor may report a component in use at any time), so
 * XSAVE/XSAVEOPT/XSAVEC/XSAVES set XSTATE_BV[i] for every requested
 * component i, and XGETBV(1) returns XCR0 (XINUSE AND XCR0).
 *
 * IA32_XSS (MSR 0DA0H) has no supervisor component to enable: it reads 0 and
 * accepts only 0 ({@link XSS_SUPPORTED}).
 *
 * VMX: XSAVES/XRSTORS in VMX non-root operation are offered as "xsaves" /
 * "xrstors" exits (the nested-VMX plugin raises #UD without "enable
 * XSAVES/XRSTORS", or exits by the XSS-exiting bitmap, SDM 26.1.3). VM entry
 * and VM exit load neither XCR0 nor IA32_XSS (this VMX version has no
 * control for them), and the x87/SSE registers are not in the VMCS: L1 and
 * L2 share them (tests/vmx/vmx_xsave_fpu.c checks all three).
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
import { offerExit } from "../exits.ts";
import { xcr0Supported, XSAVE_PKRU, XSAVE_PKRU_OFFSET, xsaveAreaSize } from "../model.ts";
import { vmxOperands } from "../exec_system.ts";
import type { XsavesExit } from "../../core/vmexit.ts";

/** XCR0 bits every model supports (x87, SSE); PKU adds PKRU: see `xcr0Supported` (cpu/model.ts). */
export const XCR0_SUPPORTED = 3;
/** Size of the standard-format XSAVE area for x87 and SSE (legacy area and header). */
export const XSAVE_SIZE = 576;
/** IA32_XSS bits this CPU supports: CPUID.(EAX=0DH,ECX=1):ECX (none). */
export const XSS_SUPPORTED = 0;
/** The IA32_XSS value (always 0: no supervisor state component exists). */
export const XSS_VALUE = 0;
/** XCOMP_BV[63]: the image is in the compacted format (high dword bit 31). */
const COMPACTED = 0x80000000;
/** RFBM/XSTATE_BV bit of the PKRU component. */
const PKRU_BIT = 1 << XSAVE_PKRU;

/**
 * #UD/#NM/alignment checks shared by the XSAVE family, for an area holding
 * the components of `rf`; returns the linear address.
 */
function check(c: Cpu, i: Insn, need: number, rf: number): number {
  if ((c.cr4 & 0x40000) === 0) ud();
  if ((c.cr0 & 8) !== 0) throw new CpuFault(Vec.NM, -1);
  const lin = eaLin(c, i, xsaveAreaSize(rf), need);
  if (lin % 64 !== 0) gp(0);
  return lin;
}

/** Requested-feature bitmap: XCR0 AND EDX:EAX (only the low bits exist here). */
function rfbm(c: Cpu): number {
  return c.xcr0 & c.gpr[0] & xcr0Supported(c.model);
}

/** Requested-feature bitmap for XSAVES/XRSTORS: (XCR0 OR IA32_XSS) AND EDX:EAX. */
function rfbmS(c: Cpu): number {
  return (c.xcr0 | XSS_VALUE) & c.gpr[0] & xcr0Supported(c.model);
}

/** Save the components of `rf` into their places (the layout is the same in both formats). */
function saveParts(c: Cpu, i: Insn, lin: number, rf: number): void {
  if ((rf & 1) !== 0) saveX87Area(c, lin, c.is64 && i.opSize === 64);
  if ((rf & 2) !== 0) {
    saveMxcsr(c, lin);
    saveXmm(c, lin);
  }
  if ((rf & PKRU_BIT) !== 0) {
    memWrite(c, lin + XSAVE_PKRU_OFFSET, 4, c.pctx.pkru, 0);
    memWrite(c, lin + XSAVE_PKRU_OFFSET + 4, 4, 0, 0);
  }
}

/** XSAVE / XSAVEOPT mem (standard format). */
export function xsave(c: Cpu, i: Insn): void {
  const rf = rfbm(c);
  const lin = check(c, i, 2, rf);
  probeWrite(c, lin);
  probeWrite(c, lin + xsaveAreaSize(rf) - 1);
  saveParts(c, i, lin, rf);
  // XSTATE_BV: bits of RFBM take XINUSE (1); the others keep their value.
  const bv = memRead(c, lin + 512, 4);
  memWrite(c, lin + 512, 4, (bv | rf) >>> 0, 0);
}

/**
 * XSAVEC / XSAVES mem (compacted format, SDM 13.10/13.11): XSTATE_BV =
 * RFBM AND XINUSE, XCOMP_BV = 8000_0000_0000_0000H OR RFBM; the rest of the
 * header is not written. XSAVES is CPL 0 only and adds IA32_XSS to RFBM.
 */
function xsaveCompacted(c: Cpu, i: Insn, supervisor: boolean): void {
  if (supervisor) supervisorChecks(c, i, "xsaves");
  const rf = supervisor ? rfbmS(c) : rfbm(c);
  const lin = check(c, i, 2, rf);
  probeWrite(c, lin);
  probeWrite(c, lin + xsaveAreaSize(rf) - 1);
  saveParts(c, i, lin, rf);
  memWrite(c, lin + 512, 4, rf, 0);
  memWrite(c, lin + 516, 4, 0, 0);
  memWrite(c, lin + 520, 4, rf, 0);
  memWrite(c, lin + 524, 4, COMPACTED, 0);
}

/**
 * XSAVES/XRSTORS before their memory operand: #UD without CR4.OSXSAVE; in
 * VMX non-root operation the exit check (#UD without "enable
 * XSAVES/XRSTORS", a VM exit by the XSS-exiting bitmap); #GP(0) unless CPL 0.
 * Invalid-opcode and privilege faults take priority over the VM exit (SDM
 * 26.1.1), so at CPL > 0 the exit is offered with nothing requested: it can
 * only raise #UD, then the #GP follows.
 */
function supervisorChecks(c: Cpu, i: Insn, kind: "xsaves" | "xrstors"): void {
  if ((c.cr4 & 0x40000) === 0) ud();
  if (c.nonRoot) {
    const user = c.cpl !== 0;
    const e: XsavesExit = {
      kind,
      level: 2,
      instructionLength: i.len,
      requestedLo: user ? 0 : (c.gpr[0] & XSS_VALUE) >>> 0,
      requestedHi: 0, // IA32_XSS has no bit above 31 set
      operands: vmxOperands(c, i),
    };
    // No handler completes XSAVES/XRSTORS for the guest: on "pass" it runs here.
    offerExit(c, e);
  }
  if (c.cpl !== 0) gp(0);
}

/** XSAVEC mem (0F C7 /4). */
export function xsavec(c: Cpu, i: Insn): void {
  if (!c.model.features.has("xsavec")) ud();
  xsaveCompacted(c, i, false);
}

/** XSAVES mem (0F C7 /5): #GP(0) unless CPL 0. */
export function xsaves(c: Cpu, i: Insn): void {
  if (!c.model.features.has("xsaves")) ud();
  xsaveCompacted(c, i, true);
}

/** XRSTOR mem (standard or compacted format by XCOMP_BV[63]). */
export function xrstor(c: Cpu, i: Insn): void {
  restore(c, i, false);
}

/** XRSTORS mem (0F C7 /3; compacted format only, CPL 0 only). */
export function xrstors(c: Cpu, i: Insn): void {
  if (!c.model.features.has("xsaves")) ud();
  restore(c, i, true);
}

/**
 * The XRSTOR/XRSTORS body. #GP(0) (SDM 13.8, 13.12) for: standard form with
 * XSTATE_BV outside XCR0 or header bytes 23:8 not 0; compacted form with
 * XCOMP_BV[62:0] outside XCR0 (XRSTORS: XCR0 OR IA32_XSS), XSTATE_BV outside
 * XCOMP_BV, or header bytes 63:16 not 0; XRSTORS of a standard image; MXCSR
 * reserved bits when MXCSR is loaded.
 */
function restore(c: Cpu, i: Insn, supervisor: boolean): void {
  if (supervisor) supervisorChecks(c, i, "xrstors");
  const rf = supervisor ? rfbmS(c) : rfbm(c);
  const lin = check(c, i, 1, rf);
  const bvLo = memRead(c, lin + 512, 4), bvHi = memRead(c, lin + 516, 4);
  const cbLo = memRead(c, lin + 520, 4), cbHi = memRead(c, lin + 524, 4);
  // Without XSAVEC/XSAVES, a set XCOMP_BV[63] is just a non-zero reserved field.
  const compacted = (cbHi & COMPACTED) !== 0 &&
    (c.model.features.has("xsavec") || c.model.features.has("xsaves"));
  if (compacted) {
    const allowed = supervisor ? c.xcr0 | XSS_VALUE : c.xcr0;
    if ((cbHi & ~COMPACTED) !== 0 || (cbLo & ~allowed) !== 0) gp(0);
    if (bvHi !== 0 || (bvLo & ~cbLo) !== 0) gp(0);
    for (let off = 528; off < 576; off += 4) if (memRead(c, lin + off, 4) !== 0) gp(0);
  } else {
    if (supervisor) gp(0);
    // XCOMP_BV and the next 8 header bytes must be 0; XSTATE_BV within XCR0.
    if (cbLo !== 0 || cbHi !== 0) gp(0);
    for (let off = 528; off < 536; off += 4) if (memRead(c, lin + off, 4) !== 0) gp(0);
    if (bvHi !== 0 || (bvLo & ~c.xcr0) !== 0) gp(0);
  }
  // MXCSR: the standard form loads it whenever RFBM[1]; the compacted form
  // treats it as part of component 1 (loaded if XSTATE_BV[1], else 1F80H).
  let mx = c.fpu.mxcsr;
  if ((rf & 2) !== 0) {
    if (!compacted || (bvLo & 2) !== 0) {
      mx = memRead(c, lin + 24, 4);
      if ((mx & ~MXCSR_MASK) !== 0) gp(0);
    } else mx = 0x1f80;
  }
  const x87 = (rf & 1) !== 0 && (bvLo & 1) !== 0 ? readX87Area(c, lin) : null;
  const xmm = (rf & 2) !== 0 && (bvLo & 2) !== 0 ? readXmm(c, lin) : null;
  // PKRU: loaded when XSTATE_BV[9], else its initial value 0 (SDM 13.8.1).
  const pkru = (rf & PKRU_BIT) !== 0 && (bvLo & PKRU_BIT) !== 0
    ? memRead(c, lin + XSAVE_PKRU_OFFSET, 4)
    : 0;
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
  if ((rf & PKRU_BIT) !== 0) c.mmu.setPkru(pkru);
}
