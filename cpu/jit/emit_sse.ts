/**
 * Block compiler: SSE data movement, logic, comparisons, conversions and
 * floating-point arithmetic inline.
 *
 * - MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU, MOVSS/MOVSD, MOVQ and
 *   MOVD/MOVQ with a general register copy XMM words between registers, or
 *   through the inline TLB for a memory operand inside one page (4-byte
 *   aligned; 16-byte aligned for the aligned forms).
 * - PAND/PANDN/POR/PXOR (and ANDPS/ANDNPS/ORPS/XORPS and their PD forms),
 *   PUNPCKLDQ/HDQ/LQDQ/HQDQ (and UNPCKLPS/HPS/LPD/HPD) on XMM registers
 *   combine words.
 * - UCOMISD/COMISD of normal or zero operands set the flags eagerly.
 * - CVTSI2SD from a 32-bit integer (always exact) or a 64-bit one (exact
 *   below 2^53, else under the rounding rule above), and CVTTSD2SI of a
 *   normal or zero operand whose truncation fits (inexact only with PM
 *   masked: PE is then set here).
 * - ADD/SUB/MUL/DIV/SQRT SS, PS, SD and PD take a fast path only where the result
 *   cannot depend on anything the JavaScript operation ignores: MXCSR
 *   rounds to nearest with PE already set and masked (PE is sticky, so
 *   whether this result is inexact changes nothing), every operand lane is
 *   a normal number and every result lane lands in [2^-959, 2^960] (binary32:
 *   in the normal range; no overflow, underflow, denormal, infinity or NaN,
 *   so no other flag, and DAZ/FTZ do not apply). Then the IEEE result is
 *   JavaScript's (binary32: see {@link emitArith}).
 *
 * Whatever the inline code does not cover (a TLB miss the fill refuses, a
 * misaligned or page-crossing operand, special values, another MXCSR)
 * calls the interpreter's handler from the compiled code
 * (`Gen.lightHelper`), which does the whole instruction, faults included.
 *
 * Every form first checks `SX`, the region's snapshot of CR0.EM = 0,
 * CR0.TS = 0 and CR4.OSFXSR = 1 (nothing in a region can change them);
 * without it the instruction is left to the interpreter, which raises
 * #UD or #NM.
 *
 * Binary64 operand values are built from the register's int32 words (as
 * `softfp.f64` does) rather than read through the file's Float64Array
 * view: a 64-bit load of words just stored one at a time defeats the
 * processor's store forwarding. Results are stored through the
 * Float64Array (binary32: Float32Array) view.
 *
 * @module
 */

import type { Insn } from "../icache.ts";
import { IOp } from "../sse/intops.ts";
import { Cvt } from "../sse/exec_cvt.ts";
import { FL_ALU, type Gen } from "./gen.ts";
import { eaSupported, emitEa, tlbProbe } from "./emit_mem.ts";

/** Results inside [2^-959, 2^960] (softfp's fast range) take the fast path. */
const FAST_LO = "1.0321972e-289", FAST_HI = "9.7453140e288";

/** Arithmetic done inline: ADD, SUB, MUL, DIV, SQRT (softfp's FOp numbering). */
const ARITH_OPS = ["+", "-", "*", "/", "sqrt"];

/** Whether {@link emitMovFull} covers `i` (register form, or a memory form the inline EA covers). */
export function movFullInline(bits: number, i: Insn): boolean {
  return i.isMem === 0 || eaSupported(bits, i);
}

/** Whether {@link emitMovScalar} covers `i`. */
export function movScalarInline(bits: number, i: Insn): boolean {
  return (i.y === 4 || i.y === 8) && (i.isMem === 0 || eaSupported(bits, i));
}

/** Whether {@link emitArith} covers `i` (fpArith with i.x = op, i.y = form: PS, PD, SS, SD). */
export function arithInline(bits: number, i: Insn): boolean {
  return i.x < ARITH_OPS.length && (i.isMem === 0 || eaSupported(bits, i));
}

/**
 * Open the block of an instruction without a fallback: without SSE (CR0.EM,
 * CR0.TS, no CR4.OSFXSR) the region ends before the instruction, and the
 * interpreter raises #UD or #NM.
 */
function openPlain(g: Gen): void {
  g.usesSse = true;
  g.emit(`{ if (!SX) ${g.bail()}`);
}

/**
 * Open the block of an instruction with a handler fallback (a branch): the
 * high halves this basic block cleared go to `z` first.
 */
function open(g: Gen): void {
  if (g.pending !== 0) g.emit(g.zFlush());
  g.pending = 0;
  openPlain(g);
}

/** Probe the memory operand of `i` (`size` bytes, `align`): declares `pm`, `pk` (see tlbProbe). */
function probe(g: Gen, i: Insn, size: number, align: number, write: boolean): void {
  emitEa(g, i, "lin", write ? 2 : 1);
  tlbProbe(g, "lin", size, align, write, "pm", "pk");
}

/** `if (cond) { fast } else { the handler }`, closing the instruction's block. */
function orHandler(g: Gen, i: Insn, cond: string, fast: string[]): void {
  g.emit(`if (${cond}) {`);
  for (const l of fast) g.emit(l);
  g.emit(`} else {`);
  g.lightHelper(i);
  g.emit(`} }`);
}

/** Copies of `n` words: XI[d + k] = src(k). */
function copyWords(d: number, n: number, src: (k: number) => string): string[] {
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(`XI[${d + k}] = ${src(k)};`);
  return out;
}

/**
 * A move of `n` words between XMM registers, or between an XMM register and
 * memory (`align`: the memory operand's inline alignment). `load`: the XMM
 * register G is the destination (else E is). The rest of a destination
 * register is zeroed by a register destination when `zeroReg`, and by a
 * load from memory when `zeroLoad`.
 */
function emitMove(
  g: Gen,
  i: Insn,
  n: number,
  load: boolean,
  zeroReg: boolean,
  zeroLoad: boolean,
  align: number,
): void {
  const r = i.reg << 2;
  if (i.isMem === 0) {
    openPlain(g);
    const [d, s] = load ? [r, i.rm << 2] : [i.rm << 2, r];
    for (const l of copyWords(d, zeroReg ? 4 : n, (k) => k < n ? `XI[${s + k}]` : "0")) g.emit(l);
    g.emit(`}`);
    return;
  }
  open(g);
  probe(g, i, 4 * n, align, !load);
  if (load) {
    orHandler(
      g,
      i,
      "pm !== null",
      copyWords(r, zeroLoad ? 4 : n, (k) => k < n ? `pm[pk + ${k}]` : "0"),
    );
  } else {
    const st: string[] = [];
    for (let k = 0; k < n; k++) st.push(`pm[pk + ${k}] = XI[${r + k}];`);
    orHandler(g, i, "pm !== null", st);
  }
}

/** MOVAPS & co (i.x 0: load G <- E, 1: store E <- G; i.y 1: the aligned forms). */
export function emitMovFull(g: Gen, i: Insn): void {
  emitMove(g, i, 4, i.x === 0, false, false, i.y === 1 ? 16 : 4);
}

/** MOVSS/MOVSD (i.x 0: load, 1: store; i.y = 4 or 8 bytes): a load from memory zeroes the rest. */
export function emitMovScalar(g: Gen, i: Insn): void {
  emitMove(g, i, i.y >> 2, i.x === 0, false, true, 4);
}

/** The value of a normal binary64 with int32 words `lo`/`hi` and biased exponent `e` (exact). */
function value(lo: string, hi: string, e: string): string {
  return `((${hi} & 0xfffff) * 4294967296 + (${lo} >>> 0) + 4503599627370496) * U[${e}] * ` +
    `(${hi} < 0 ? -1 : 1)`;
}

/** The value of a normal binary32 with bits `w` (int32) and biased exponent `e` (exact). */
function value32(w: string, e: string): string {
  return `((${w} & 0x7fffff) + 0x800000) * U[${e} + 925] * (${w} < 0 ? -1 : 1)`;
}

/**
 * ADD/SUB/MUL/DIV/SQRT PS, PD, SS and SD (i.x = op, i.y = 0 PS, 1 PD,
 * 2 SS, 3 SD): the fast path described in the module notes, else the
 * interpreter's handler. Math.sqrt is IEEE's square root, correctly
 * rounded; a binary32 result is computed in binary64 and rounded once more
 * by Math.fround, which for these five operations gives binary32's
 * correctly rounded result (53 >= 2 * 24 + 2: no double-rounding error).
 */
export function emitArith(g: Gen, i: Insn): void {
  const double = (i.y & 1) === 1;
  const lanes = i.y === 0 ? 4 : i.y === 1 ? 2 : 1;
  const words = double ? 2 : 1;
  const d = i.reg << 2;
  const op = ARITH_OPS[i.x];
  open(g);
  // The source lanes' words, and the condition that they are there.
  let src: (k: number) => string;
  let cond = "(FP.mxcsr & 0x7020) === 0x1020"; // RC nearest, PE set, PM set
  if (i.isMem === 0) {
    const s = i.rm << 2;
    src = (k) => `XI[${s + k}]`;
  } else {
    // The packed forms' memory operand must be 16-byte aligned (else #GP, from the handler).
    const bytes = 4 * words * lanes;
    probe(g, i, bytes, bytes === 16 ? 16 : 4, false);
    // The page's words may be unsigned (`| 0`: the value's sign is read from the top bit).
    src = (k) => `(pm[pk + ${k}] | 0)`;
    cond = `pm !== null && ${cond}`;
  }
  g.emit(`let ok = ${cond};`);
  for (let k = 0; k < lanes; k++) g.emit(`let r${k} = 0;`);
  g.emit(`if (ok) {`);
  for (let k = 0; k < lanes; k++) {
    let a: string, b: string;
    if (double) {
      g.emit(
        `const a${k}l = XI[${d + 2 * k}], a${k}h = XI[${d + 2 * k + 1}], ` +
          `b${k}l = ${src(2 * k)}, b${k}h = ${src(2 * k + 1)};`,
      );
      g.emit(`const a${k}e = (a${k}h >>> 20) & 0x7ff, b${k}e = (b${k}h >>> 20) & 0x7ff;`);
      a = value(`a${k}l`, `a${k}h`, `a${k}e`);
      b = value(`b${k}l`, `b${k}h`, `b${k}e`);
      // Normal operands (biased exponent 1..2046): no DE, DAZ does not apply.
      g.emit(
        op === "sqrt"
          ? `ok = ok && b${k}e - 1 >>> 0 < 2046 && b${k}h >= 0;`
          : `ok = ok && a${k}e - 1 >>> 0 < 2046 && b${k}e - 1 >>> 0 < 2046;`,
      );
    } else {
      g.emit(`const a${k}h = XI[${d + k}], b${k}h = ${src(k)};`);
      g.emit(`const a${k}e = (a${k}h >>> 23) & 0xff, b${k}e = (b${k}h >>> 23) & 0xff;`);
      a = value32(`a${k}h`, `a${k}e`);
      b = value32(`b${k}h`, `b${k}e`);
      g.emit(
        op === "sqrt"
          ? `ok = ok && b${k}e - 1 >>> 0 < 254 && b${k}h >= 0;`
          : `ok = ok && a${k}e - 1 >>> 0 < 254 && b${k}e - 1 >>> 0 < 254;`,
      );
    }
    const exact = op === "sqrt" ? `Math.sqrt(${b})` : `(${a}) ${op} (${b})`;
    if (double) {
      g.emit(`r${k} = ${exact};`);
      g.emit(
        `{ const m = r${k} < 0 ? -r${k} : r${k}; ok = ok && m >= ${FAST_LO} && m <= ${FAST_HI}; }`,
      );
    } else {
      // Not tiny before rounding (so not after), and no overflow after it.
      g.emit(`{ const x = ${exact}; r${k} = Math.fround(x); const m = x < 0 ? -x : x;`);
      g.emit(
        `ok = ok && m >= 1.1754943508222875e-38 && (r${k} < 0 ? -r${k} : r${k}) <= ` +
          `3.4028234663852886e38; }`,
      );
    }
  }
  g.emit(`}`);
  const store: string[] = [];
  for (let k = 0; k < lanes; k++) {
    store.push(double ? `XF[${(d >> 1) + k}] = r${k};` : `XS[${d + k}] = r${k};`);
  }
  orHandler(g, i, "ok", store);
}

/** XMM integer operations done inline (intOp's i.x), as word expressions of d(k) and s(k). */
const INT_OPS: ReadonlyMap<
  number,
  (d: (k: number) => string, s: (k: number) => string) => string[]
> = new Map([
  [IOp.PAND, (d, s) => [0, 1, 2, 3].map((k) => `${d(k)} & ${s(k)}`)],
  [IOp.PANDN, (d, s) => [0, 1, 2, 3].map((k) => `~${d(k)} & ${s(k)}`)],
  [IOp.POR, (d, s) => [0, 1, 2, 3].map((k) => `${d(k)} | ${s(k)}`)],
  [IOp.PXOR, (d, s) => [0, 1, 2, 3].map((k) => `${d(k)} ^ ${s(k)}`)],
  [IOp.PUNPCKLDQ, (d, s) => [d(0), s(0), d(1), s(1)]],
  [IOp.PUNPCKHDQ, (d, s) => [d(2), s(2), d(3), s(3)]],
  [IOp.PUNPCKLQDQ, (d, s) => [d(0), d(1), s(0), s(1)]],
  [IOp.PUNPCKHQDQ, (d, s) => [d(2), d(3), s(2), s(3)]],
]);

/** Whether {@link emitIntOp} covers `i` (intOp: i.x = IOp, i.y 0 = XMM). */
export function intOpInline(bits: number, i: Insn): boolean {
  return i.y === 0 && INT_OPS.has(i.x) && (i.isMem === 0 || eaSupported(bits, i));
}

/**
 * The XMM forms of {@link INT_OPS}: every source and destination word is
 * read before any is written (the registers may be the same); a memory
 * operand must be 16-byte aligned (else #GP, from the handler).
 */
export function emitIntOp(g: Gen, i: Insn): void {
  const d = i.reg << 2;
  const words = INT_OPS.get(i.x)!((k) => `d${k}`, (k) => `s${k}`);
  const compute = [
    `const d0 = XI[${d}], d1 = XI[${d + 1}], d2 = XI[${d + 2}], d3 = XI[${d + 3}];`,
    ...words.map((w, k) => `const w${k} = ${w};`),
    `XI[${d}] = w0; XI[${d + 1}] = w1; XI[${d + 2}] = w2; XI[${d + 3}] = w3;`,
  ];
  if (i.isMem === 0) {
    const s = i.rm << 2;
    openPlain(g);
    g.emit(`const s0 = XI[${s}], s1 = XI[${s + 1}], s2 = XI[${s + 2}], s3 = XI[${s + 3}];`);
    for (const l of compute) g.emit(l);
    g.emit(`}`);
    return;
  }
  open(g);
  probe(g, i, 16, 16, false);
  orHandler(g, i, "pm !== null", [
    `const s0 = pm[pk] | 0, s1 = pm[pk + 1] | 0, s2 = pm[pk + 2] | 0, s3 = pm[pk + 3] | 0;`,
    ...compute,
  ]);
}

/** Whether {@link emitComi64} covers `i` (fpComi: i.x 0 UCOMISD / 1 COMISD, i.y 1 = double). */
export function comi64Inline(bits: number, i: Insn): boolean {
  return i.y === 1 && (i.isMem === 0 || eaSupported(bits, i));
}

/**
 * UCOMISD/COMISD with two normal or zero operands: no exception is
 * possible (IE needs a NaN, DE a denormal) and MXCSR plays no part, so
 * the flags are the comparison's (ZF, PF, CF; OF, SF, AF clear), set
 * eagerly in `cpu.alu`. Otherwise the interpreter's handler, which writes
 * the flags too (a full helper).
 */
export function emitComi64(g: Gen, i: Insn): void {
  const d = i.reg << 2;
  open(g);
  let src: (k: number) => string;
  let cond = "";
  if (i.isMem === 0) {
    const s = i.rm << 2;
    src = (k) => `XI[${s + k}]`;
  } else {
    probe(g, i, 8, 4, false);
    src = (k) => `(pm[pk + ${k}] | 0)`;
    cond = "pm !== null && ";
  }
  const ok = (l: string, h: string, e: string) =>
    `(${e} - 1 >>> 0 < 2046 || ((${h} & 0x7fffffff) | ${l}) === 0)`;
  g.emit(`let ok = ${cond}true, a = 0, b = 0;`);
  g.emit(`if (ok) {`);
  g.emit(`const al = XI[${d}], ah = XI[${d + 1}], bl = ${src(0)}, bh = ${src(1)};`);
  g.emit(`const ae = (ah >>> 20) & 0x7ff, be = (bh >>> 20) & 0x7ff;`);
  g.emit(`ok = ${ok("al", "ah", "ae")} && ${ok("bl", "bh", "be")};`);
  g.emit(`a = ae === 0 ? 0 : ${value("al", "ah", "ae")};`);
  g.emit(`b = be === 0 ? 0 : ${value("bl", "bh", "be")};`);
  g.emit(`}`);
  g.emit(`if (ok) {`);
  // Any lazy flags of earlier instructions are replaced: they are in `cpu.alu` now.
  g.emit(`u.setFlags(a < b ? 1 : a === b ? 0x40 : 0); fk = -1;`);
  g.emit(`} else {`);
  g.helper(i);
  g.emit(`} }`);
  g.fl = FL_ALU;
}

/** Whether {@link emitCvt} covers `i` (cvt: CVTSI2SD, CVTTSD2SI). */
export function cvtInline(bits: number, i: Insn): boolean {
  return (i.x === Cvt.SI2SD || i.x === Cvt.TSD2SI) && (i.isMem === 0 || eaSupported(bits, i));
}

/**
 * CVTSI2SD and CVTTSD2SI (see the module notes); otherwise the
 * interpreter's handler, called as a full helper (it reads or writes a
 * general register). The flags go to `cpu.alu` first, so both paths leave
 * them in the same place.
 */
export function emitCvt(g: Gen, i: Insn): void {
  const wide = i.opSize === 64;
  open(g);
  let cond = "";
  let word: (k: number) => string;
  if (i.isMem !== 0) {
    probe(g, i, i.x === Cvt.SI2SD && !wide ? 4 : 8, 4, false);
    word = (k) => `(pm[pk + ${k}] | 0)`;
    cond = "pm !== null && ";
  } else if (i.x === Cvt.SI2SD) word = (k) => k === 0 ? g.lo(i.rm) : g.hi(i.rm);
  else word = (k) => `XI[${(i.rm << 2) + k}]`;
  g.syncFlags();
  if (i.x === Cvt.SI2SD) {
    const d = i.reg << 1;
    // Exact below 2^53 in magnitude; beyond, JavaScript's rounding is MXCSR's only when it
    // rounds to nearest with PE set and masked.
    g.emit(
      wide
        ? `let ok = ${cond}(((${word(1)} + 0x200000) >>> 0) < 0x400000 || ` +
          `(FP.mxcsr & 0x7020) === 0x1020);`
        : `let ok = ${cond}true;`,
    );
    g.emit(`if (ok) {`);
    g.emit(
      wide ? `XF[${d}] = ${word(1)} * 4294967296 + (${word(0)} >>> 0);` : `XF[${d}] = ${word(0)};`,
    );
  } else {
    // In range (a double below 2^63 is at most 2^63 - 1024); inexact only with PM set.
    const range = wide
      ? "t >= -9223372036854775808 && t < 9223372036854775808"
      : "t >= -2147483648 && t <= 2147483647";
    g.emit(`let ok = ${cond}true, t = 0, inexact = false;`);
    g.emit(`if (ok) {`);
    g.emit(`const bl = ${word(0)}, bh = ${word(1)}, be = (bh >>> 20) & 0x7ff;`);
    g.emit(`const v = be === 0 ? 0 : ${value("bl", "bh", "be")};`);
    g.emit(`t = Math.trunc(v); inexact = t !== v;`);
    g.emit(
      `ok = (be - 1 >>> 0 < 2046 || ((bh & 0x7fffffff) | bl) === 0) && ${range} && ` +
        `(!inexact || (FP.mxcsr & 0x1000) !== 0);`,
    );
    g.emit(`}`);
    g.emit(`if (ok) {`);
    g.emit(`if (inexact) FP.mxcsr |= 0x20;`);
    if (wide) {
      g.emit(`const th = Math.floor(t / 4294967296);`);
      g.set64(i.reg, "(t - th * 4294967296) | 0", "th | 0");
    } else g.set32(i.reg, "t | 0");
    // The handler path below flushes the block's cleared high halves itself.
    if (g.pending !== 0) g.emit(g.zFlush());
    g.pending = 0;
  }
  g.emit(`} else {`);
  g.helper(i);
  g.emit(`} }`);
}

/** Whether {@link emitMovd} covers `i` (movd: i.x 0 into the XMM register, 1 out; i.y 1 = XMM). */
export function movdInline(bits: number, i: Insn): boolean {
  return i.y === 1 && (i.isMem === 0 || eaSupported(bits, i));
}

/** MOVD/MOVQ between a general register or memory and an XMM register (a load zeroes the rest). */
export function emitMovd(g: Gen, i: Insn): void {
  const o = i.reg << 2, wide = i.opSize === 64;
  if (i.isMem === 0) {
    openPlain(g);
    if (i.x === 0) {
      g.emit(`XI[${o}] = ${g.lo(i.rm)}; XI[${o + 1}] = ${wide ? g.hi(i.rm) : "0"};`);
      g.emit(`XI[${o + 2}] = 0; XI[${o + 3}] = 0;`);
    } else if (wide) g.set64(i.rm, `XI[${o}]`, `XI[${o + 1}]`);
    else g.set32(i.rm, `XI[${o}]`);
    g.emit(`}`);
    return;
  }
  open(g);
  probe(g, i, wide ? 8 : 4, 4, i.x === 1);
  if (i.x === 0) {
    orHandler(
      g,
      i,
      "pm !== null",
      copyWords(o, 4, (k) => k === 0 || (k === 1 && wide) ? `pm[pk + ${k}]` : "0"),
    );
  } else {
    const st = [`pm[pk] = XI[${o}];`];
    if (wide) st.push(`pm[pk + 1] = XI[${o + 1}];`);
    orHandler(g, i, "pm !== null", st);
  }
}

/** Whether {@link emitMovq} covers `i` (movq's XMM forms: i.x 2 MOVQ xmm, xmm/m64; 3 the store). */
export function movqInline(bits: number, i: Insn): boolean {
  return (i.x === 2 || i.x === 3) && (i.isMem === 0 || eaSupported(bits, i));
}

/**
 * MOVQ xmm, xmm/m64 (F3 0F 7E) and MOVQ xmm/m64, xmm (66 0F D6): a register
 * destination's upper half is zeroed, as by a load from memory.
 */
export function emitMovq(g: Gen, i: Insn): void {
  emitMove(g, i, 2, i.x === 2, true, true, 4);
}
