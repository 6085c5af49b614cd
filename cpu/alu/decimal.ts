/**
 * BCD adjustment instructions (DAA DAS AAA AAS AAM AAD) for {@link Alu}.
 * They exist only outside 64-bit mode (the engine raises #UD there); their
 * behaviour is the same in 16- and 32-bit code. SDM Vol. 2A "DAA", "DAS",
 * "AAA", "AAS", "AAM", "AAD".
 *
 * Flags the SDM leaves undefined are set as the recording CPU (AMD family
 * 19h, run in 32-bit compatibility mode) does; see each function.
 *
 * @module
 */
import type { Alu } from "./alu.ts";
import { AF, CF, OF, PARITY, ZF } from "./flags.ts";

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
  const of = (~al & r & 0x80) !== 0 ? OF : 0;
  alu.setFlags(szp8(r) | cf | af | of);
  return r;
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
  const of = (al & ~r & 0x80) !== 0 ? OF : 0;
  alu.setFlags(szp8(r) | cf | af | of);
  return r;
}

/**
 * AAA: ASCII adjust after addition; takes and returns AX. CF = AF = adjust.
 * The undefined OF/SF/ZF/PF are, on the recording CPU, those of the 16-bit
 * ADD AX + (adjust ? 0x106 : 0) before AL is masked to its low nibble.
 */
export function aaa(alu: Alu, ax: number): number {
  const adjust = (ax & 0xf) > 9 || (alu.getFlags() & AF) !== 0;
  const r = alu.add(2, ax, 0, adjust ? 0x106 : 0, 0);
  alu.setFlags((alu.getFlags() & ~(CF | AF)) | (adjust ? CF | AF : 0));
  return r & 0xff0f;
}

/**
 * AAS: ASCII adjust after subtraction; takes and returns AX (AX = AX - 6,
 * AH = AH - 1 when adjusting, i.e. AX - 0x106). CF = AF = adjust; OF/SF/ZF/PF
 * as the 16-bit SUB AX - (adjust ? 0x106 : 0) on the recording CPU.
 */
export function aas(alu: Alu, ax: number): number {
  const adjust = (ax & 0xf) > 9 || (alu.getFlags() & AF) !== 0;
  const r = alu.sub(2, ax, 0, adjust ? 0x106 : 0, 0);
  alu.setFlags((alu.getFlags() & ~(CF | AF)) | (adjust ? CF | AF : 0));
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
