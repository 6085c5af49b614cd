/**
 * Block compiler: what to do with one decoded instruction — an inline
 * emitter, a call of the interpreter's handler from the compiled code
 * (a "helper"), a branch that ends the basic block, or nothing (the region
 * ends before it and the interpreter runs it).
 *
 * The choice is made from the handler the interpreter's dispatch table
 * picked for the instruction (`dispatch.ts`), so the compiler and the
 * interpreter agree on which form an instruction has. Helpers are limited
 * to handlers that change no mode, segment, paging, interrupt or debug
 * state (those end the region: system instructions, I/O, far branches,
 * POPF, MOV SS, FXSAVE/XSAVE and their restores, ...). x87, MMX and SSE
 * instructions are helpers; those that touch no general register but their
 * memory operand's base and index, nor the flags, are light helpers
 * (`Gen.lightHelper`), which write back and reload no other register.
 *
 * @module
 */

import type { Handler, Insn } from "../icache.ts";
import * as A from "../exec_alu.ts";
import * as C from "../exec_control.ts";
import * as D from "../exec_data.ts";
import * as S from "../exec_string.ts";
import * as Y from "../exec_system.ts";
import * as F from "../hot_alu.ts";
import * as H from "../hot_mov_shift_jcc.ts";
import * as X87 from "../fpu/mod.ts";
import * as SC from "../sse/exec_cvt.ts";
import * as SF from "../sse/exec_fp.ts";
import * as SI from "../sse/exec_int.ts";
import * as SM from "../sse/exec_move.ts";
import * as SP from "../sse/exec_pcmpstr.ts";
import * as S4 from "../sse/exec_sse4.ts";
import * as SR from "../sse/rcp.ts";
import type { FlagUse, Gen } from "./gen.ts";
import {
  aluInline,
  emitAluGdst,
  emitAluRegDst,
  emitImul,
  emitIncDec,
  emitLea,
  emitShift32,
  emitShift64,
  emitTest,
  leaInline,
} from "./emit_alu.ts";
import { eaSupported, emitLoad, emitPopR, emitPushR, emitStore, emitStoreImm } from "./emit_mem.ts";
import {
  arithInline,
  comi64Inline,
  cvtInline,
  emitArith,
  emitComi64,
  emitCvt,
  emitIntOp,
  emitMovd,
  emitMovFull,
  emitMovq,
  emitMovScalar,
  intOpInline,
  movdInline,
  movFullInline,
  movqInline,
  movScalarInline,
} from "./emit_sse.ts";
import {
  aluEInline,
  emitAluE,
  emitAluGSmall,
  emitMovB,
  emitMovx,
  emitTestE,
  memOk,
} from "./emit_eop.ts";

/** How a basic block ends at this instruction. */
export const enum Term {
  /** Not a terminator. */
  NONE = 0,
  /** Jcc rel, or LOOP/LOOPcc/JrCXZ rel (`Insn.h` tells them apart). */
  JCC = 1,
  /** JMP rel. */
  JMP = 2,
  /** CALL rel. */
  CALL = 3,
  /** RET near. */
  RET = 4,
}

/** The plan for one instruction. */
export interface Plan {
  /** Inline emitter, or null for a helper call (or a terminator). */
  readonly emit: ((g: Gen, i: Insn) => void) | null;
  /** Terminator kind. */
  readonly term: Term;
  /** Flag facts for dead-flag elimination. */
  readonly use: FlagUse;
}

const PURE: FlagUse = { reads: false, writesAll: false, mayExit: false };
const MEM: FlagUse = { reads: false, writesAll: false, mayExit: true };
const WRITES: FlagUse = { reads: false, writesAll: true, mayExit: false };
const WRITES_MEM: FlagUse = { reads: false, writesAll: true, mayExit: true };
/**
 * Partial writers (INC/DEC keep CF; rotates and IMUL overlay CF/OF on the
 * other flags): the flags before them are observable only through the
 * flags after them, so for liveness they are transparent. Their emitters
 * ask `flagsLive()` themselves and then read the earlier producer, which
 * is kept exactly when they are live.
 */
const PARTIAL: FlagUse = { reads: false, writesAll: false, mayExit: false };
const OPAQUE: FlagUse = { reads: true, writesAll: false, mayExit: true };

const HELPER: Plan = { emit: null, term: Term.NONE, use: OPAQUE };

/**
 * Handlers the compiled code may call: they touch only GPRs, flags,
 * memory through the TLB and RIP (near branches), never mode, segment,
 * paging, interrupt-flag or debug state.
 */
const HELPERS: ReadonlySet<Handler> = new Set<Handler>([
  A.aluRegDst,
  A.aluEdst,
  A.aluGdst,
  A.unary,
  A.test,
  A.muldiv,
  A.imul2,
  A.shift,
  A.shxd,
  A.bitop,
  A.bitscan,
  A.bswap,
  A.bcd,
  D.movRR,
  D.movB,
  D.movEI,
  D.lea,
  D.movx,
  D.xchg,
  D.xadd,
  D.cmpxchg,
  D.cmpxchg8b,
  D.cbw,
  D.cwd,
  D.xlat,
  D.cmov,
  D.setcc,
  D.lahf,
  D.sahf,
  D.pushR,
  D.popR,
  D.pushM,
  D.popM,
  D.pushI,
  D.pusha,
  D.popa,
  D.pushf,
  D.enter,
  D.leave,
  C.jmpRel,
  C.callRel,
  C.retNear,
  C.jmpE,
  C.callE,
  C.loop,
  C.jcc,
  H.movGMf,
  H.movMGf,
  H.jccF,
  H.leaF,
  H.shiftR32I,
  H.shiftR64I,
  H.shiftR32IKeep,
  H.shiftR64IKeep,
  H.imulR,
  H.movzxR8,
  ...F.GENERATED_HANDLERS,
  Y.flagOp,
  Y.nop,
  // x87 (the forms `x87Light` refuses), and the MMX/SSE instructions that read or write
  // general registers or flags.
  X87.x87,
  SC.cvt,
  SF.fpComi,
  SM.movd,
  SM.movmsk,
  SM.maskmov,
  SM.pextr,
  SM.pinsr,
  SM.movnti,
  SP.pcmpstr,
  S4.ptest,
  S4.crc32,
]);

/**
 * MMX/SSE handlers that read no general register but a memory operand's
 * base and index and write none, nor the flags: called as light helpers
 * (`Gen.lightHelper`).
 */
const LIGHT_HELPERS: ReadonlySet<Handler> = new Set<Handler>([
  SF.fpArith,
  SF.fpCmp,
  SF.fpHoriz,
  SI.intOp,
  SI.shiftImm,
  SI.pshuf,
  SI.shufp,
  SI.palignr,
  SM.movFull,
  SM.movScalar,
  SM.movHalf,
  SM.movq,
  SM.insertps,
  SM.ldmxcsr,
  SM.stmxcsr,
  SM.emms,
  S4.roundFp,
  S4.dpp,
  S4.blend,
  S4.pmovx,
  S4.mpsadbw,
  SR.rcpRsqrt,
  X87.fwait,
]);

/**
 * Whether an x87 instruction (D8-DF) touches no general register but its
 * memory operand's base and index, nor the flags: all but FNSTSW AX
 * (DF E0), FCMOVcc (DA/DB C0-DF: they read the flags) and FCOMI/FUCOMI(P)
 * (DB/DF E8-F7: they write them).
 */
function x87Light(i: Insn): boolean {
  if (i.isMem !== 0) return true;
  const esc = i.opcode & 7, r = i.reg & 7;
  if (esc === 7 && r === 4) return false;
  if ((esc === 2 || esc === 3) && r <= 3) return false;
  return !((esc === 3 || esc === 7) && (r === 5 || r === 6));
}

/** MMX/SSE handlers that touch general registers only in their register forms. */
const LIGHT_WITH_MEMORY: ReadonlySet<Handler> = new Set<Handler>([SM.movd, SM.pextr, SM.pinsr]);

function lightHelper(g: Gen, i: Insn): void {
  g.lightHelper(i);
}

/** F-table ALU handlers (register destination, 32/64 bits). */
const FAST_ALU: ReadonlySet<Handler> = new Set<Handler>(F.FAST_ALU_HANDLERS);

function inline(emit: (g: Gen, i: Insn) => void, use: FlagUse): Plan {
  return { emit, term: Term.NONE, use };
}

function movRR(g: Gen, i: Insn): void {
  const src = i.y === 0 ? i.reg : i.rm;
  const dst = i.y === 0 ? i.rm : i.reg;
  if (i.osz === 4) g.set32(dst, g.lo(src));
  else g.set64(dst, g.lo(src), g.hi(src));
}

function movRI(g: Gen, i: Insn): void {
  if (i.osz === 4) g.set32(i.rm, `${i.imm | 0}`);
  else g.set64(i.rm, `${i.imm | 0}`, `${i.immHi | 0}`);
}

function movzx8(g: Gen, i: Insn): void {
  g.set32(i.reg, g.r8(i.rm8));
}

function nothing(): void {}

/**
 * The plan for `i` in code of `bits` (32 or 64), or null when the region
 * must end before it.
 */
export function planInsn(i: Insn, bits: number): Plan | null {
  const h = i.h;
  const s = i.osz;
  const wide = s === 4 || s === 8;
  const stackOk = bits === 64 ? s === 8 : s === 4;
  if (FAST_ALU.has(h)) return inline(emitAluRegDst, WRITES);
  if (h === A.aluRegDst && aluInline(i.x, s)) return inline(emitAluRegDst, WRITES);
  if (h === A.aluGdst && i.y === 0 && aluInline(i.x, s)) {
    if (i.isMem === 0) return inline(emitAluGdst, WRITES);
    if (eaSupported(bits, i)) return inline(emitAluGdst, WRITES_MEM);
  }
  const mem = i.isMem !== 0;
  if (h === A.aluEdst && aluEInline(bits, i)) return inline(emitAluE, mem ? WRITES_MEM : WRITES);
  if (h === A.aluGdst && aluInline(i.x, 4) && (i.y === 1 || s === 2) && memOk(bits, i)) {
    return inline(emitAluGSmall, mem ? WRITES_MEM : WRITES);
  }
  if (h === A.test && memOk(bits, i)) return inline(emitTestE, mem ? WRITES_MEM : WRITES);
  if (h === D.movB && memOk(bits, i)) return inline(emitMovB, mem ? MEM : PURE);
  if (h === D.movx && wide && memOk(bits, i)) return inline(emitMovx, mem ? MEM : PURE);
  if (h === F.incR32 || h === F.incR64) {
    return inline((g, x) => emitIncDec(g, x, false, x.osz), PARTIAL);
  }
  if (h === F.decR32 || h === F.decR64) {
    return inline((g, x) => emitIncDec(g, x, true, x.osz), PARTIAL);
  }
  if (h === F.testRR32 || h === F.testRR64) {
    return inline((g, x) => emitTest(g, x, false, x.osz), WRITES);
  }
  if (h === F.testRI32) return inline((g, x) => emitTest(g, x, true, 4), WRITES);
  if (h === F.testRI8) return inline((g, x) => emitTest(g, x, true, 1), WRITES);
  if (h === D.movRR && wide) return inline(movRR, PURE);
  if (h === D.movEI && wide) {
    if (i.isMem === 0) return inline(movRI, PURE);
    if (eaSupported(bits, i)) return inline(emitStoreImm, MEM);
  }
  if (h === H.movGMf && wide && eaSupported(bits, i)) return inline(emitLoad, MEM);
  if (h === H.movMGf && wide && eaSupported(bits, i)) return inline(emitStore, MEM);
  if (h === H.shiftR32I) {
    const n = i.imm & 0x1f;
    return inline(emitShift32, n === 0 ? PURE : i.x >= 4 ? WRITES : PARTIAL);
  }
  if (h === H.shiftR64I) {
    const n = i.imm & 0x3f;
    return inline(emitShift64, n === 0 ? PURE : i.x >= 4 ? WRITES : PARTIAL);
  }
  // Intel family 6's shifts keep AF (and OF by more than 1): partial writers.
  if (h === H.shiftR32IKeep) {
    return inline((g, x) => emitShift32(g, x, true), (i.imm & 0x1f) === 0 ? PURE : PARTIAL);
  }
  if (h === H.shiftR64IKeep) {
    return inline((g, x) => emitShift64(g, x, true), (i.imm & 0x3f) === 0 ? PURE : PARTIAL);
  }
  if (h === H.imulR) return inline(emitImul, PARTIAL);
  if (h === H.leaF && leaInline(i)) return inline(emitLea, PURE);
  if (h === H.movzxR8 && i.isMem === 0 && wide) return inline(movzx8, PURE);
  if (h === Y.nop) return inline(nothing, PURE);
  if (h === D.pushR && stackOk) return inline(emitPushR, MEM);
  if (h === D.popR && stackOk) return inline(emitPopR, MEM);
  const direct = bits === 64 ? i.opSize === 64 : i.opSize === 32;
  if (h === H.jccF && direct) return { emit: null, term: Term.JCC, use: OPAQUE };
  // LOOP/LOOPE/LOOPNE/JrCXZ with the code size's count register (RCX, ECX):
  // a conditional branch on it (`loopCond`).
  if (h === C.loop && direct && i.addrSize === bits) {
    return { emit: null, term: Term.JCC, use: OPAQUE };
  }
  if (h === C.jmpRel && direct) return { emit: null, term: Term.JMP, use: OPAQUE };
  if (h === C.callRel && direct && stackOk) return { emit: null, term: Term.CALL, use: OPAQUE };
  if (h === C.retNear && stackOk) return { emit: null, term: Term.RET, use: OPAQUE };
  if (h === SM.movFull && movFullInline(bits, i)) return inline(emitMovFull, MEM);
  if (h === SM.movScalar && movScalarInline(bits, i)) return inline(emitMovScalar, MEM);
  if (h === SF.fpArith && arithInline(bits, i)) return inline(emitArith, MEM);
  if (h === SI.intOp && intOpInline(bits, i)) return inline(emitIntOp, MEM);
  if (h === SF.fpComi && comi64Inline(bits, i)) return inline(emitComi64, WRITES_MEM);
  if (h === SC.cvt && cvtInline(bits, i)) return inline(emitCvt, MEM);
  if (h === SM.movd && movdInline(bits, i)) return inline(emitMovd, MEM);
  if (h === SM.movq && movqInline(bits, i)) return inline(emitMovq, MEM);
  if (
    LIGHT_HELPERS.has(h) || (i.isMem !== 0 && LIGHT_WITH_MEMORY.has(h)) ||
    (h === X87.x87 && x87Light(i))
  ) {
    return inline(lightHelper, MEM);
  }
  if (HELPERS.has(h)) return HELPER;
  if (h === S.strop && !i.isString) return HELPER;
  return null;
}
