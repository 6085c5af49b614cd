/**
 * BCD adjustment instructions (DAA DAS AAA AAS AAM AAD) for {@link Alu}.
 * They exist only outside 64-bit mode (the engine raises #UD there); their
 * behaviour is the same in 16- and 32-bit code. SDM Vol. 2A "DAA", "DAS",
 * "AAA", "AAS", "AAM", "AAD".
 *
 * Flags the SDM leaves undefined are set as the recording CPU (AMD family
 * 19h, run in 32-bit compatibility mode) does, or as the ALU's vendor
 * profile (vendor_flags.ts, which cites sandpile.org's table for Intel)
 * says; see each function. AAM and AAD are the same in every profile.
 *
 * @module
 */
import type { Alu } from "./alu.ts";
import { AF, CF, OF, PARITY, PF, SF, ZF } from "./flags.ts";

/** SF, ZF, PF of an 8-bit value. */
function szp8(v: number): number {
  return PARITY[v] | (v === 0 ? ZF : 0) | (v & 0x80);
}

/** DAA: decimal adjust AL after addition. */
export function daa(alu: Alu, al: number): number {
  const f = alu.getFlags();
  const oldCf = f & CF;
  let r = al;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || (f & AF) !== 0) {
    r = al + 6;
    af = AF;
  }
  if (al > 0x99 || oldCf !== 0) {
    r += 0x60;
    cf = CF;
  }
  r &= 0xff;
  // OF (undefined): the recording CPU reports signed overflow of AL -> result.
  alu.setFlags(szp8(r) | cf | af | daaOf(alu, f, (~al & r & 0x80) !== 0));
  return r;
}

/** OF after DAA/DAS by the vendor profile: the recorded overflow `over`, the old OF (in `f`), or 0. */
function daaOf(alu: Alu, f: number, over: boolean): number {
  const mode = alu.vendor.daaOf;
  if (mode === "overflow") return over ? OF : 0;
  return mode === "keep" ? f & OF : 0;
}

/** DAS: decimal adjust AL after subtraction. */
export function das(alu: Alu, al: number): number {
  const f = alu.getFlags();
  const oldCf = f & CF;
  let r = al;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || (f & AF) !== 0) {
    r = al - 6;
    cf = oldCf | (r < 0 ? CF : 0);
    af = AF;
  }
  if (al > 0x99 || oldCf !== 0) {
    r -= 0x60;
    cf = CF;
  }
  r &= 0xff;
  alu.setFlags(szp8(r) | cf | af | daaOf(alu, f, (al & ~r & 0x80) !== 0));
  return r;
}

/**
 * AAA: ASCII adjust after addition; takes and returns AX. CF = AF = adjust.
 * The undefined OF/SF/ZF/PF are, on the recording CPU, those of the 16-bit
 * ADD AX + (adjust ? 0x106 : 0) before AL is masked to its low nibble; the
 * vendor profile may replace them ({@link asciiAdjust}).
 */
export function aaa(alu: Alu, ax: number): number {
  return asciiAdjust(alu, ax, false);
}

/**
 * AAS: ASCII adjust after subtraction; takes and returns AX (AX = AX - 6,
 * AH = AH - 1 when adjusting, i.e. AX - 0x106). CF = AF = adjust; OF/SF/ZF/PF
 * as the 16-bit SUB AX - (adjust ? 0x106 : 0) on the recording CPU, or as
 * the vendor profile says ({@link asciiAdjust}).
 */
export function aas(alu: Alu, ax: number): number {
  return asciiAdjust(alu, ax, true);
}

/**
 * AAA (`sub` false) or AAS. The 16-bit ADD/SUB AX, 106h gives the recorded
 * flags; an Intel profile then changes OF (unchanged, 0, or Core 2's: AAA
 * 1, AAS 0), SF (0), ZF (of the low byte on family 15) and AAS's PF (of
 * AL + 6, sandpile.org note #1) as vendor_flags.ts lists.
 */
function asciiAdjust(alu: Alu, ax: number, sub: boolean): number {
  const before = alu.getFlags();
  const adjust = (ax & 0xf) > 9 || (before & AF) !== 0;
  const d = adjust ? 0x106 : 0;
  const r = sub ? alu.sub(2, ax, 0, d, 0) : alu.add(2, ax, 0, d, 0);
  let f = (alu.getFlags() & ~(CF | AF)) | (adjust ? CF | AF : 0);
  const v = alu.vendor;
  if (v.aaaOf !== "sum") {
    const of = v.aaaOf === "keep" ? before & OF : v.aaaOf === "core2" && !sub ? OF : 0;
    f = (f & ~OF) | of;
  }
  if (v.aaaSf === "clear") f &= ~SF;
  if (v.aaaZf === "sum8") f = (f & ~ZF) | ((r & 0xff) === 0 ? ZF : 0);
  if (sub && v.aasPf === "sum") f = (f & ~PF) | PARITY[(ax + (adjust ? 6 : 0)) & 0xff];
  alu.setFlags(f);
  return r & 0xff0f;
}

/** AAM imm8: AH = AL / imm, AL = AL % imm; -1 if imm is 0 (#DE). SF/ZF/PF from AL; CF/AF/OF = 0. */
export function aam(alu: Alu, al: number, imm: number): number {
  if (imm === 0) return -1;
  const q = Math.floor(al / imm);
  const r = al - q * imm;
  alu.setFlags(szp8(r));
  return (q << 8) | r;
}

/**
 * AAD imm8: AL = (AL + AH * imm) & 0xff, AH = 0. The recording CPU sets
 * all flags as an 8-bit ADD of AL and the low byte of AH * imm.
 */
export function aad(alu: Alu, ax: number, imm: number): number {
  const al = ax & 0xff;
  const p = ((ax >>> 8) * imm) & 0xff;
  return alu.add(1, al, 0, p, 0);
}
