/**
 * Handler selection for the legacy-encoded MMX/SSE instructions (decoded as
 * `Op.SSE`): maps (opcode map, opcode, mandatory prefix, operand form) to
 * a handler and its `x`/`y` parameters once, when the instruction enters
 * the decoded-instruction cache. Encodings not implemented here return
 * `null` (the caller keeps its #UD/#NM handler).
 *
 * @module
 */
import type { Handler, Insn } from "../icache.ts";
import { IOp } from "./intops.ts";
import { fpArith, fpCmp, fpComi, fpHoriz, FpOp } from "./exec_fp.ts";
import { Cvt, cvt } from "./exec_cvt.ts";
import { intOp, palignr, pshuf, shiftImm, shufp } from "./exec_int.ts";
import {
  emms,
  insertps,
  ldmxcsr,
  maskmov,
  movd,
  movFull,
  movHalf,
  movmsk,
  movnti,
  movq,
  movScalar,
  pextr,
  pinsr,
  stmxcsr,
} from "./exec_move.ts";
import { blend, crc32, dpp, mpsadbw, pmovx, ptest, roundFp } from "./exec_sse4.ts";
import { pcmpstr } from "./exec_pcmpstr.ts";
import { mandatory } from "./operands.ts";
import { rcpRsqrt } from "./rcp.ts";

function set(i: Insn, h: Handler, x: number, y: number): Handler {
  i.x = x;
  i.y = y;
  return h;
}

/** Integer op: MMX with no prefix, XMM with 66. */
function io(i: Insn, mp: number, op: number): Handler {
  return set(i, intOp, op, mp === 0 ? 1 : 0);
}

/** 0F 60-6F, D0-FF integer rows by opcode (NP = MMX, 66 = XMM). */
const INT0F = new Int16Array(256).fill(-1);
[
  [0x60, IOp.PUNPCKLBW],
  [0x61, IOp.PUNPCKLWD],
  [0x62, IOp.PUNPCKLDQ],
  [0x63, IOp.PACKSSWB],
  [0x64, IOp.PCMPGTB],
  [0x65, IOp.PCMPGTW],
  [0x66, IOp.PCMPGTD],
  [0x67, IOp.PACKUSWB],
  [0x68, IOp.PUNPCKHBW],
  [0x69, IOp.PUNPCKHWD],
  [0x6a, IOp.PUNPCKHDQ],
  [0x6b, IOp.PACKSSDW],
  [0x6c, IOp.PUNPCKLQDQ],
  [0x6d, IOp.PUNPCKHQDQ],
  [0x74, IOp.PCMPEQB],
  [0x75, IOp.PCMPEQW],
  [0x76, IOp.PCMPEQD],
  [0xd1, IOp.PSRLW],
  [0xd2, IOp.PSRLD],
  [0xd3, IOp.PSRLQ],
  [0xd4, IOp.PADDQ],
  [0xd5, IOp.PMULLW],
  [0xd8, IOp.PSUBUSB],
  [0xd9, IOp.PSUBUSW],
  [0xda, IOp.PMINUB],
  [0xdb, IOp.PAND],
  [0xdc, IOp.PADDUSB],
  [0xdd, IOp.PADDUSW],
  [0xde, IOp.PMAXUB],
  [0xdf, IOp.PANDN],
  [0xe0, IOp.PAVGB],
  [0xe1, IOp.PSRAW],
  [0xe2, IOp.PSRAD],
  [0xe3, IOp.PAVGW],
  [0xe4, IOp.PMULHUW],
  [0xe5, IOp.PMULHW],
  [0xe8, IOp.PSUBSB],
  [0xe9, IOp.PSUBSW],
  [0xea, IOp.PMINSW],
  [0xeb, IOp.POR],
  [0xec, IOp.PADDSB],
  [0xed, IOp.PADDSW],
  [0xee, IOp.PMAXSW],
  [0xef, IOp.PXOR],
  [0xf1, IOp.PSLLW],
  [0xf2, IOp.PSLLD],
  [0xf3, IOp.PSLLQ],
  [0xf4, IOp.PMULUDQ],
  [0xf5, IOp.PMADDWD],
  [0xf6, IOp.PSADBW],
  [0xf8, IOp.PSUBB],
  [0xf9, IOp.PSUBW],
  [0xfa, IOp.PSUBD],
  [0xfb, IOp.PSUBQ],
  [0xfc, IOp.PADDB],
  [0xfd, IOp.PADDW],
  [0xfe, IOp.PADDD],
].forEach(([o, v]) => INT0F[o] = v);

/** 0F 38 integer rows (00-0B and 1C-1E: NP = MMX, 66 = XMM; the rest 66 only). */
const INT38 = new Int16Array(256).fill(-1);
[
  [0x00, IOp.PSHUFB],
  [0x01, IOp.PHADDW],
  [0x02, IOp.PHADDD],
  [0x03, IOp.PHADDSW],
  [0x04, IOp.PMADDUBSW],
  [0x05, IOp.PHSUBW],
  [0x06, IOp.PHSUBD],
  [0x07, IOp.PHSUBSW],
  [0x08, IOp.PSIGNB],
  [0x09, IOp.PSIGNW],
  [0x0a, IOp.PSIGND],
  [0x0b, IOp.PMULHRSW],
  [0x1c, IOp.PABSB],
  [0x1d, IOp.PABSW],
  [0x1e, IOp.PABSD],
  [0x28, IOp.PMULDQ],
  [0x29, IOp.PCMPEQQ],
  [0x2b, IOp.PACKUSDW],
  [0x37, IOp.PCMPGTQ],
  [0x38, IOp.PMINSB],
  [0x39, IOp.PMINSD],
  [0x3a, IOp.PMINUW],
  [0x3b, IOp.PMINUD],
  [0x3c, IOp.PMAXSB],
  [0x3d, IOp.PMAXSD],
  [0x3e, IOp.PMAXUW],
  [0x3f, IOp.PMAXUD],
  [0x40, IOp.PMULLD],
  [0x41, IOp.PHMINPOSUW],
].forEach(([o, v]) => INT38[o] = v);

/** FP form by mandatory prefix: NP PS, 66 PD, F3 SS, F2 SD. */
const FORM = [0, 1, 2, 3];

/**
 * Handler for an `Op.SSE` instruction, or null when this encoding is not
 * implemented (the caller then raises #UD/#NM as before).
 */
export function selectSse(i: Insn): Handler | null {
  const mp = mandatory(i);
  const op = i.opcode;
  const mem = i.isMem !== 0;
  if (i.map === 2) return select38(i, mp, op);
  if (i.map === 3) return select3A(i, mp, op);
  if (INT0F[op] >= 0) return io(i, mp, INT0F[op]);
  switch (op) {
    case 0x10:
    case 0x11:
      if (mp >= 2) return set(i, movScalar, op - 0x10, mp === 2 ? 4 : 8);
      return set(i, movFull, op - 0x10, 0);
    case 0x12:
      if (mp === 2) return set(i, movHalf, 7, 0);
      if (mp === 3) return set(i, movHalf, 6, 0);
      return set(i, movHalf, mem ? 0 : 4, 0);
    case 0x13:
      return set(i, movHalf, 2, 0);
    case 0x14:
      return set(i, intOp, mp === 0 ? IOp.PUNPCKLDQ : IOp.PUNPCKLQDQ, 0);
    case 0x15:
      return set(i, intOp, mp === 0 ? IOp.PUNPCKHDQ : IOp.PUNPCKHQDQ, 0);
    case 0x16:
      if (mp === 2) return set(i, movHalf, 8, 0);
      return set(i, movHalf, mem ? 1 : 5, 0);
    case 0x17:
      return set(i, movHalf, 3, 0);
    case 0x28:
    case 0x29:
      return set(i, movFull, op - 0x28, 1);
    case 0x2a:
      return set(i, cvt, [Cvt.PI2PS, Cvt.PI2PD, Cvt.SI2SS, Cvt.SI2SD][mp], 0);
    case 0x2b:
      return set(i, movFull, 1, 1);
    case 0x2c:
      return set(i, cvt, [Cvt.TPS2PI, Cvt.TPD2PI, Cvt.TSS2SI, Cvt.TSD2SI][mp], 0);
    case 0x2d:
      return set(i, cvt, [Cvt.PS2PI, Cvt.PD2PI, Cvt.SS2SI, Cvt.SD2SI][mp], 0);
    case 0x2e:
    case 0x2f:
      return set(i, fpComi, op - 0x2e, mp);
    case 0x50:
      return set(i, movmsk, mp, 1);
    case 0x51:
      return set(i, fpArith, FpOp.SQRT, FORM[mp]);
    case 0x52:
      return set(i, rcpRsqrt, mp === 0 ? 2 : 3, 0);
    case 0x53:
      return set(i, rcpRsqrt, mp === 0 ? 0 : 1, 0);
    case 0x54:
      return set(i, intOp, IOp.PAND, 0);
    case 0x55:
      return set(i, intOp, IOp.PANDN, 0);
    case 0x56:
      return set(i, intOp, IOp.POR, 0);
    case 0x57:
      return set(i, intOp, IOp.PXOR, 0);
    case 0x58:
      return set(i, fpArith, FpOp.ADD, FORM[mp]);
    case 0x59:
      return set(i, fpArith, FpOp.MUL, FORM[mp]);
    case 0x5a:
      return set(i, cvt, [Cvt.PS2PD, Cvt.PD2PS, Cvt.SS2SD, Cvt.SD2SS][mp], 0);
    case 0x5b:
      return set(i, cvt, [Cvt.DQ2PS, Cvt.PS2DQ, Cvt.TPS2DQ][mp], 0);
    case 0x5c:
      return set(i, fpArith, FpOp.SUB, FORM[mp]);
    case 0x5d:
      return set(i, fpArith, FpOp.MIN, FORM[mp]);
    case 0x5e:
      return set(i, fpArith, FpOp.DIV, FORM[mp]);
    case 0x5f:
      return set(i, fpArith, FpOp.MAX, FORM[mp]);
    case 0x6e:
      return set(i, movd, 0, mp);
    case 0x7e:
      if (mp === 2) return set(i, movq, 2, 0);
      return set(i, movd, 1, mp);
    case 0x6f:
      if (mp === 0) return set(i, movq, 0, 0);
      return set(i, movFull, 0, mp === 1 ? 1 : 0);
    case 0x7f:
      if (mp === 0) return set(i, movq, 1, 0);
      return set(i, movFull, 1, mp === 1 ? 1 : 0);
    case 0x70:
      return set(i, pshuf, [0, 1, 2, 3][mp], 0);
    case 0x71:
    case 0x72:
    case 0x73: {
      const r = i.reg & 7;
      const y = mp === 0 ? 1 : 0;
      if (op === 0x73 && r === 3) return set(i, shiftImm, -1, 0);
      if (op === 0x73 && r === 7) return set(i, shiftImm, -2, 0);
      const base = r === 2 ? IOp.PSRLW : r === 4 ? IOp.PSRAW : IOp.PSLLW;
      const w = op - 0x71; // 0 word, 1 dword, 2 qword
      const sh = r === 4 ? (w === 0 ? IOp.PSRAW : IOp.PSRAD) : base + w;
      return set(i, shiftImm, sh, y);
    }
    case 0x77:
      return set(i, emms, 0, 0);
    case 0x7c:
    case 0x7d:
      return set(i, fpHoriz, op - 0x7b, mp === 1 ? 1 : 0);
    case 0xae:
      if ((i.reg & 7) === 2) return set(i, ldmxcsr, 0, 0);
      if ((i.reg & 7) === 3) return set(i, stmxcsr, 0, 0);
      return null;
    case 0xc2:
      return set(i, fpCmp, 0, FORM[mp]);
    case 0xc3:
      return set(i, movnti, 0, 0);
    case 0xc4:
      return set(i, pinsr, 1, mp);
    case 0xc5:
      return set(i, pextr, 1, mp);
    case 0xc6:
      return set(i, shufp, mp, 0);
    case 0xd0:
      return set(i, fpHoriz, 0, mp === 1 ? 1 : 0);
    case 0xd6:
      return set(i, movq, mp === 1 ? 3 : mp === 2 ? 4 : 5, 0);
    case 0xd7:
      return set(i, movmsk, 2, mp);
    case 0xe6:
      return set(i, cvt, mp === 1 ? Cvt.TPD2DQ : mp === 2 ? Cvt.DQ2PD : Cvt.PD2DQ, 0);
    case 0xe7:
      if (mp === 0) return set(i, movq, 1, 0);
      return set(i, movFull, 1, 1);
    case 0xf0:
      return set(i, movFull, 0, 0);
    case 0xf7:
      return set(i, maskmov, 0, mp);
  }
  return null;
}

function select38(i: Insn, mp: number, op: number): Handler | null {
  if (INT38[op] >= 0) {
    const v = INT38[op];
    return set(i, intOp, v, mp === 0 ? 1 : 0);
  }
  switch (op) {
    case 0x10:
      return set(i, blend, 5, 0);
    case 0x14:
      return set(i, blend, 3, 0);
    case 0x15:
      return set(i, blend, 4, 0);
    case 0x17:
      return set(i, ptest, 0, 0);
    case 0x2a:
      return set(i, movFull, 0, 1);
    case 0xf0:
    case 0xf1:
      return set(i, crc32, op === 0xf0 ? 1 : 0, 0);
  }
  if (op >= 0x20 && op <= 0x25) return set(i, pmovx, op - 0x20, 0);
  if (op >= 0x30 && op <= 0x35) return set(i, pmovx, op - 0x30, 1);
  return null;
}

function select3A(i: Insn, mp: number, op: number): Handler | null {
  switch (op) {
    case 0x08:
    case 0x09:
    case 0x0a:
    case 0x0b:
      return set(i, roundFp, op - 0x08, 0);
    case 0x0c:
      return set(i, blend, 0, 0);
    case 0x0d:
      return set(i, blend, 1, 0);
    case 0x0e:
      return set(i, blend, 2, 0);
    case 0x0f:
      return set(i, palignr, 0, mp === 0 ? 1 : 0);
    case 0x14:
      return set(i, pextr, 0, 1);
    case 0x15:
      return set(i, pextr, 1, 1);
    case 0x16:
      return set(i, pextr, i.opSize === 64 ? 3 : 2, 1);
    case 0x17:
      return set(i, pextr, 2, 1);
    case 0x20:
      return set(i, pinsr, 0, 1);
    case 0x21:
      return set(i, insertps, 0, 0);
    case 0x22:
      return set(i, pinsr, i.opSize === 64 ? 3 : 2, 1);
    case 0x40:
    case 0x41:
      return set(i, dpp, op - 0x40, 0);
    case 0x42:
      return set(i, mpsadbw, 0, 0);
    case 0x60:
    case 0x61:
    case 0x62:
    case 0x63:
      return set(i, pcmpstr, op - 0x60, 0);
  }
  return null;
}
