/**
 * SSE/SSE2/SSE3 floating-point instruction handlers: ADD SUB MUL DIV SQRT
 * MIN MAX (packed and scalar, both widths), CMPxx, (U)COMISx, ADDSUB,
 * HADD/HSUB. Every lane is computed into T first; unmasked exceptions
 * leave the destination untouched (SDM Vol. 1 11.5.2).
 *
 * `i.x` = operation, `i.y` = form (0 PS, 1 PD, 2 SS, 3 SD).
 *
 * @module
 */
import type { Cpu } from "../cpu.ts";
import type { Insn } from "../icache.ts";
import { arith32, arith64, beginFp, env, res } from "./softfp.ts";
import { cmp32, cmp64, comi32, comi64, minmax32, minmax64 } from "./fpconv.ts";
import { loadS, S, simdFault, sseCheck, T } from "./operands.ts";

/** Operations of {@link fpArith}: 0-4 as softfp FOp, then MIN and MAX. */
export const enum FpOp {
  ADD = 0,
  SUB = 1,
  MUL = 2,
  DIV = 3,
  SQRT = 4,
  MIN = 5,
  MAX = 6,
}

/**
 * Merge this instruction's exception flags into MXCSR; with an unmasked
 * one, raise #XM/#UD instead (pre-computation exceptions IE/DE/ZE take
 * priority: then only they are recorded).
 */
export function commitFlags(c: Cpu): void {
  const fl = env.flags;
  if (fl === 0) return;
  const f = c.fpu;
  const mask = (f.mxcsr >> 7) & 0x3f;
  if ((fl & ~mask) !== 0) {
    const pre = fl & 7;
    f.mxcsr |= (pre & ~mask) !== 0 ? pre : fl;
    simdFault(c);
  }
  f.mxcsr |= fl;
}

/** Source size in bytes of form y (PS/PD 16, SS 4, SD 8). */
function srcSize(y: number): number {
  return y < 2 ? 16 : y === 2 ? 4 : 8;
}

/** With DAZ, MIN/MAX return a denormal operand as the zero it was read as. */
function daz32(b: number): number {
  return env.daz && (b & 0x7f800000) === 0 ? b & 0x80000000 : b;
}

function lane32(op: number, a: number, b: number): number {
  if (op < 5) {
    arith32(op, a, b);
    return res[0];
  }
  return daz32(minmax32(op === FpOp.MAX, a, b) ? a : b);
}

function lane64(op: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if (op < 5) return arith64(op, alo, ahi, blo, bhi);
  if (minmax64(op === FpOp.MAX, alo, ahi, blo, bhi)) {
    res[0] = alo;
    res[1] = ahi;
  } else {
    res[0] = blo;
    res[1] = bhi;
  }
  if (env.daz && (res[1] & 0x7ff00000) === 0) {
    res[0] = 0;
    res[1] = res[1] & 0x80000000;
  }
}

/** Write lanes of T into XMM `r`: `words` 32-bit words from the bottom. */
function writeBack(c: Cpu, r: number, words: number): void {
  const x = c.fpu.xmmI32, t = T.i32, o = r << 2;
  for (let k = 0; k < words; k++) x[o + k] = t[k];
}

/** ADD/SUB/MUL/DIV/SQRT/MIN/MAX PS/PD/SS/SD. */
export function fpArith(c: Cpu, i: Insn): void {
  sseCheck(c);
  const y = i.y, op = i.x;
  const f = c.fpu;
  const x = f.xmmI32, o = i.reg << 2;
  if (y === 3 && i.isMem === 0) {
    // Scalar double between registers: no copies.
    beginFp(f.mxcsr);
    const r = i.rm << 2;
    lane64(op, x[o], x[o + 1], x[r], x[r + 1]);
    commitFlags(c);
    x[o] = res[0];
    x[o + 1] = res[1];
    return;
  }
  loadS(c, i, srcSize(y), false, y < 2);
  beginFp(f.mxcsr);
  const s = S.i32, t = T.i32;
  if (y === 0 || y === 2) {
    const n = y === 0 ? 4 : 1;
    for (let k = 0; k < n; k++) t[k] = lane32(op, x[o + k], s[k]);
    commitFlags(c);
    writeBack(c, i.reg, n);
  } else {
    const n = y === 1 ? 4 : 2;
    for (let k = 0; k < n; k += 2) {
      lane64(op, x[o + k], x[o + k + 1], s[k], s[k + 1]);
      t[k] = res[0];
      t[k + 1] = res[1];
    }
    commitFlags(c);
    writeBack(c, i.reg, n);
  }
}

/** CMPPS/PD/SS/SD xmm, xmm/m, imm8 (predicate imm[2:0]). */
export function fpCmp(c: Cpu, i: Insn): void {
  sseCheck(c);
  const y = i.y, pred = i.imm & 7;
  loadS(c, i, srcSize(y), false, y < 2);
  const f = c.fpu;
  beginFp(f.mxcsr);
  const x = f.xmmI32, o = i.reg << 2, s = S.i32, t = T.i32;
  let n: number;
  if (y === 0 || y === 2) {
    n = y === 0 ? 4 : 1;
    for (let k = 0; k < n; k++) t[k] = cmp32(pred, x[o + k], s[k]) ? -1 : 0;
  } else {
    n = y === 1 ? 4 : 2;
    for (let k = 0; k < n; k += 2) {
      t[k] = t[k + 1] = cmp64(pred, x[o + k], x[o + k + 1], s[k], s[k + 1]) ? -1 : 0;
    }
  }
  commitFlags(c);
  writeBack(c, i.reg, n);
}

/** COMISS/COMISD (i.x = 1) and UCOMISS/UCOMISD (i.x = 0); i.y: 0 single, 1 double. */
export function fpComi(c: Cpu, i: Insn): void {
  sseCheck(c);
  loadS(c, i, i.y === 0 ? 4 : 8, false, false);
  const f = c.fpu;
  beginFp(f.mxcsr);
  const x = f.xmmI32, o = i.reg << 2, s = S.i32;
  const z = i.y === 0
    ? comi32(i.x === 1, x[o], s[0])
    : comi64(i.x === 1, x[o], x[o + 1], s[0], s[1]);
  commitFlags(c);
  c.alu.setFlags(z);
}

/**
 * ADDSUBPS/PD (i.x = 0), HADDPS/PD (1), HSUBPS/PD (2); i.y: 0 single,
 * 1 double (SSE3).
 */
export function fpHoriz(c: Cpu, i: Insn): void {
  sseCheck(c);
  loadS(c, i, 16, false, true);
  const f = c.fpu;
  beginFp(f.mxcsr);
  const x = f.xmmI32, o = i.reg << 2, s = S.i32, t = T.i32, kind = i.x;
  if (i.y === 0) {
    if (kind === 0) {
      for (let k = 0; k < 4; k++) t[k] = lane32((k & 1) === 0 ? 1 : 0, x[o + k], s[k]);
    } else {
      const op = kind === 1 ? 0 : 1;
      const d0 = x[o], d1 = x[o + 1], d2 = x[o + 2], d3 = x[o + 3];
      t[0] = lane32(op, d0, d1);
      t[1] = lane32(op, d2, d3);
      t[2] = lane32(op, s[0], s[1]);
      t[3] = lane32(op, s[2], s[3]);
    }
  } else {
    if (kind === 0) {
      lane64(1, x[o], x[o + 1], s[0], s[1]);
      t[0] = res[0];
      t[1] = res[1];
      lane64(0, x[o + 2], x[o + 3], s[2], s[3]);
    } else {
      const op = kind === 1 ? 0 : 1;
      const d2 = x[o + 2], d3 = x[o + 3];
      lane64(op, x[o], x[o + 1], d2, d3);
      t[0] = res[0];
      t[1] = res[1];
      lane64(op, s[0], s[1], s[2], s[3]);
    }
    t[2] = res[0];
    t[3] = res[1];
  }
  commitFlags(c);
  writeBack(c, i.reg, 4);
}
