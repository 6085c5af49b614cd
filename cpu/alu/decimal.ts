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
import { AF, CF, OF, PARITY, SF, ZF } from "./flags.ts";

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

/** AAA: ASCII adjust after addition; takes and returns AX. */
export function aaa(alu: Alu, ax: number): number {
  const f = alu.getFlags();
  let r: number;
  let cfaf = 0;
  if ((ax & 0xf) > 9 || (f & AF) !== 0) {
    r = (ax + 0x106) & 0xffff;
    cfaf = CF | AF;
  } else {
    r = ax;
  }
  r &= 0xff0f;
  alu.setFlags(szp8(r & 0xff) | cfaf);
  return r;
}

/** AAS: ASCII adjust after subtraction; takes and returns AX. */
export function aas(alu: Alu, ax: number): number {
  const f = alu.getFlags();
  let r: number;
  let cfaf = 0;
  if ((ax & 0xf) > 9 || (f & AF) !== 0) {
    const al = (ax - 6) & 0xff;
    const ah = ((ax >>> 8) - 1) & 0xff;
    r = (ah << 8) | al;
    cfaf = CF | AF;
  } else {
    r = ax;
  }
  r &= 0xff0f;
  alu.setFlags(szp8(r & 0xff) | cfaf);
  return r;
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
