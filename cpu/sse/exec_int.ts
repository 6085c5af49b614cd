/**
 * Integer SIMD handlers for MMX and XMM forms: the binary operations of
 * intops.ts, shifts by immediate (0F 71-73), PSHUFW/PSHUFD/PSHUFHW/PSHUFLW,
 * SHUFPS/SHUFPD and PALIGNR. `i.y` 1 selects the MMX form.
 *
 * @module
 */
import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { byteShift, intBinary, IOp, shiftBy } from "./intops.ts";
import {
  D,
  getM,
  getX,
  loadD,
  loadS,
  mmxEnter,
  S,
  setMw,
  setX,
  sseCheck,
  storeReg,
  T,
} from "./operands.ts";

/** D ← D op S (i.x = IOp), MMX (i.y 1, 8 bytes) or XMM (16, aligned memory). */
export function intOp(c: Cpu, i: Insn): void {
  const mmx = i.y === 1;
  const op = i.x;
  if (mmx) {
    mmxEnter(c);
    // MMX PUNPCKLBW/WD/DQ read only 32 bits of memory.
    const lowUnpack = op >= IOp.PUNPCKLBW && op <= IOp.PUNPCKLDQ;
    loadS(c, i, lowUnpack ? 4 : 8, true, false);
  } else {
    sseCheck(c);
    loadS(c, i, 16, false, true);
  }
  loadD(c, i, mmx);
  intBinary(op, mmx ? 8 : 16);
  storeReg(c, i, mmx, D);
}

/**
 * Shift by immediate, register operand in `rm` (0F 71-73): i.x = IOp
 * shift, or -1 PSRLDQ / -2 PSLLDQ; i.y 1 = MMX.
 */
export function shiftImm(c: Cpu, i: Insn): void {
  const mmx = i.y === 1;
  if (mmx) {
    mmxEnter(c);
    getM(c, i.rm, D);
  } else {
    sseCheck(c);
    getX(c, i.rm, D);
  }
  const cnt = i.imm & 0xff;
  if (i.x < 0) byteShift(i.x === -2, cnt);
  else shiftBy(i.x, cnt, mmx ? 8 : 16);
  if (mmx) setMw(c, i.rm, D.u32[0], D.u32[1]);
  else setX(c, i.rm, D);
}

/** PSHUFW (i.x 0, MMX), PSHUFD (1), PSHUFHW (2), PSHUFLW (3). */
export function pshuf(c: Cpu, i: Insn): void {
  const k = i.x, imm = i.imm;
  if (k === 0) {
    mmxEnter(c);
    loadS(c, i, 8, true, false);
    for (let j = 0; j < 4; j++) T.u16[j] = S.u16[(imm >> (2 * j)) & 3];
    setMw(c, i.reg, T.u32[0], T.u32[1]);
    return;
  }
  sseCheck(c);
  loadS(c, i, 16, false, true);
  const t = T.u32, s = S.u32;
  if (k === 1) {
    for (let j = 0; j < 4; j++) t[j] = s[(imm >> (2 * j)) & 3];
  } else {
    const b = k === 2 ? 4 : 0; // the shuffled half
    for (let j = 0; j < 8; j++) T.u16[j] = S.u16[j];
    for (let j = 0; j < 4; j++) T.u16[b + j] = S.u16[b + ((imm >> (2 * j)) & 3)];
  }
  setX(c, i.reg, T);
}

/** SHUFPS (i.x 0) / SHUFPD (1). */
export function shufp(c: Cpu, i: Insn): void {
  sseCheck(c);
  loadS(c, i, 16, false, true);
  getX(c, i.reg, D);
  const d = D.u32, s = S.u32, t = T.u32, imm = i.imm;
  if (i.x === 0) {
    t[0] = d[imm & 3];
    t[1] = d[(imm >> 2) & 3];
    t[2] = s[(imm >> 4) & 3];
    t[3] = s[(imm >> 6) & 3];
  } else {
    const a = (imm & 1) * 2, b = ((imm >> 1) & 1) * 2;
    t[0] = d[a];
    t[1] = d[a + 1];
    t[2] = s[b];
    t[3] = s[b + 1];
  }
  setX(c, i.reg, T);
}

/** PALIGNR (SSSE3): (D:S) >> imm bytes; i.y 1 = MMX. */
export function palignr(c: Cpu, i: Insn): void {
  const mmx = i.y === 1;
  const n = mmx ? 8 : 16;
  if (mmx) {
    mmxEnter(c);
    loadS(c, i, 8, true, false);
  } else {
    sseCheck(c);
    loadS(c, i, 16, false, true);
  }
  loadD(c, i, mmx);
  const sh = i.imm & 0xff;
  for (let k = 0; k < n; k++) {
    const j = k + sh;
    T.u8[k] = j < n ? S.u8[j] : j < 2 * n ? D.u8[j - n] : 0;
  }
  storeReg(c, i, mmx, T);
}
