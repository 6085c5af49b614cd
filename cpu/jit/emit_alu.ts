/**
 * Block compiler: integer ALU emitters (ADD/OR/AND/SUB/XOR/CMP, TEST,
 * INC/DEC, shifts and rotates by an immediate, IMUL, LEA, MOV/MOVZX
 * between registers). Each mirrors the interpreter's hot handler for the
 * same form (`hot_alu.ts`, `hot_mov_shift_jcc.ts`, `exec_data.ts`): the
 * same results and the same lazy-flag record, written to JS locals.
 *
 * @module
 */

import type { Insn } from "../icache.ts";
import { K_ADD, K_DEC, K_EAGER, K_INC, K_LOGIC, K_SUB } from "../alu/alu.ts";
import { FL_ALU, FL_UNKNOWN, type Gen } from "./gen.ts";
import { emitEa, tlbRead } from "./emit_mem.ts";

const TWO32 = 4294967296;

/**
 * Emit ALU operation `k` (0 ADD, 1 OR, 4 AND, 5 SUB, 6 XOR, 7 CMP) at size
 * 4 or 8 on destination register `d` with source halves `b`/`bh` (int32
 * expressions).
 */
export function emitAlu(g: Gen, k: number, s: number, d: number, b: string, bh: string): void {
  if (s === 4) {
    g.emit(`{ const a = ${g.lo(d)}, b = ${b};`);
    if (k === 0 || k === 5 || k === 7) {
      g.emit(`const s = (a ${k === 0 ? "+" : "-"} b) | 0;`);
      g.setFlags(k === 0 ? K_ADD : K_SUB, 4, { fa: "a", fb: "b", fr: "s" });
      if (k !== 7) g.set32(d, "s");
    } else {
      const op = k === 1 ? "|" : k === 4 ? "&" : "^";
      g.emit(`const r = a ${op} b;`);
      g.setFlags(K_LOGIC, 4, { fx: "0", fr: "r" });
      g.set32(d, "r");
    }
    g.emit(`}`);
    return;
  }
  g.emit(`{ const a = ${g.lo(d)}, b = ${b}, ah = ${g.hi(d)}, bh = ${bh};`);
  if (k === 0 || k === 5 || k === 7) {
    if (k === 0) {
      g.emit(`const s = (a + b) | 0; const h = (ah + bh + ((s >>> 0) < (a >>> 0) ? 1 : 0)) | 0;`);
    } else {g.emit(
        `const s = (a - b) | 0; const h = (ah - bh - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0;`,
      );}
    g.setFlags(k === 0 ? K_ADD : K_SUB, 8, {
      fa: "a",
      fb: "b",
      fr: "s",
      fah: "ah",
      fbh: "bh",
      frh: "h",
    });
    if (k !== 7) g.set64(d, "s", "h");
  } else {
    const op = k === 1 ? "|" : k === 4 ? "&" : "^";
    g.emit(`const r = a ${op} b; const h = ah ${op} bh;`);
    g.setFlags(K_LOGIC, 8, { fx: "0", fr: "r", frh: "h" });
    g.set64(d, "r", "h");
  }
  g.emit(`}`);
}

/** Whether ALU operation `k` at size `s` has an inline emitter. */
export function aluInline(k: number, s: number): boolean {
  return (s === 4 || s === 8) && k !== 2 && k !== 3;
}

/** ALU Ev, Gv / Ev, Iz with a register destination (`i.y` 0: G source, 1: immediate). */
export function emitAluRegDst(g: Gen, i: Insn): void {
  const s = i.osz;
  if (i.y === 0) emitAlu(g, i.x, s, i.rm, g.lo(i.reg), s === 8 ? g.hi(i.reg) : "0");
  else emitAlu(g, i.x, s, i.rm, `${i.imm | 0}`, `${i.immHi | 0}`);
}

/** ALU Gv, Ev (register or memory source). */
export function emitAluGdst(g: Gen, i: Insn): void {
  const s = i.osz;
  if (i.isMem === 0) {
    emitAlu(g, i.x, s, i.reg, g.lo(i.rm), s === 8 ? g.hi(i.rm) : "0");
    return;
  }
  g.emit(`{ let v = 0, vh = 0;`);
  emitEa(g, i, "lin", 1);
  tlbRead(g, "lin", s, "v", "vh");
  emitAlu(g, i.x, s, i.reg, "v", s === 8 ? "vh" : "0");
  g.emit(`}`);
}

/** TEST r, r / r, imm at 32/64 bits and TEST r8, imm8. */
export function emitTest(g: Gen, i: Insn, imm: boolean, s: number): void {
  if (s === 1) {
    g.setFlags(K_LOGIC, 1, { fx: "0", fr: `${g.r8(i.rm8)} & ${i.imm & 0xff}` });
    return;
  }
  const b = imm ? `${i.imm | 0}` : g.lo(i.reg);
  if (s === 4) {
    g.setFlags(K_LOGIC, 4, { fx: "0", fr: `${g.lo(i.rm)} & ${b}` });
    return;
  }
  g.setFlags(K_LOGIC, 8, {
    fx: "0",
    fr: `${g.lo(i.rm)} & ${b}`,
    frh: `${g.hi(i.rm)} & ${g.hi(i.reg)}`,
  });
}

/** Unsigned 64-bit `x < y` of int32 halves (lo, hi) as an expression. */
export function below64(xl: string, xh: string, yl: string, yh: string): string {
  return `((${xh} >>> 0) < (${yh} >>> 0) || (${xh} === ${yh} && (${xl} >>> 0) < (${yl} >>> 0)))`;
}

/** An expression for CF (0/1) from the compile-time flag state; syncs to the ALU when unknown. */
export function cfExpr(g: Gen): string {
  const k = g.fl;
  const s8 = g.fsz === 8;
  if (k === K_ADD) {
    return `(${s8 ? below64("fr", "frh", "fa", "fah") : "(fr >>> 0) < (fa >>> 0)"} ? 1 : 0)`;
  }
  if (k === K_SUB) {
    return `(${s8 ? below64("fa", "fah", "fb", "fbh") : "(fa >>> 0) < (fb >>> 0)"} ? 1 : 0)`;
  }
  if (k === K_LOGIC || k === K_INC || k === K_DEC || k === K_EAGER) return "(fx & 1)";
  g.syncFlags();
  return "u.cf()";
}

/** INC/DEC r32/r64 (CF kept). */
export function emitIncDec(g: Gen, i: Insn, dec: boolean, s: number): void {
  const d = i.rm;
  const live = g.flagsLive();
  g.emit(`{ const a = ${g.lo(d)};`);
  if (live) g.emit(`const cf = ${cfExpr(g)};`);
  g.emit(`const s = (a ${dec ? "-" : "+"} 1) | 0;`);
  if (s === 4) {
    g.setFlags(dec ? K_DEC : K_INC, 4, { fx: "cf", fa: "a", fb: "1", fr: "s" });
    g.set32(d, "s");
  } else {
    g.emit(`const ah = ${g.hi(d)};`);
    g.emit(`const h = ${dec ? "(ah - (a === 0 ? 1 : 0)) | 0" : "(ah + (s === 0 ? 1 : 0)) | 0"};`);
    g.setFlags(dec ? K_DEC : K_INC, 8, {
      fx: "cf",
      fa: "a",
      fb: "1",
      fr: "s",
      fah: "ah",
      fbh: "0",
      frh: "h",
    });
    g.set64(d, "s", "h");
  }
  g.emit(`}`);
}

/**
 * Overlay CF/OF (`bits`, an expression of 0x801 bits) on the current
 * flags, as `Alu.overlayFlags(CF | OF, bits)` does.
 */
export function overlayCfOf(g: Gen, bits: string): void {
  if (!g.flagsLive()) {
    g.fl = FL_UNKNOWN;
    return;
  }
  const k = g.fl;
  if (k === K_LOGIC || k === K_EAGER) {
    g.emit(`fx = (fx & ~0x801) | ${bits};`);
    return;
  }
  if (k === K_ADD || k === K_SUB || k === K_INC || k === K_DEC) {
    g.emit(`fx = ((fa ^ fb ^ fr) & 0x10) | ${bits}; fk = ${K_LOGIC};`);
    g.fl = K_LOGIC;
    return;
  }
  // Unknown at compile time.
  g.emit(`if (fk < 0) u.overlayFlags(0x801, ${bits});`);
  g.emit(`else if (fk === ${K_EAGER} || fk === ${K_LOGIC}) fx = (fx & ~0x801) | ${bits};`);
  g.emit(`else { fx = ((fa ^ fb ^ fr) & 0x10) | ${bits}; fk = ${K_LOGIC}; }`);
  g.fl = k === FL_ALU ? FL_ALU : FL_UNKNOWN;
}

/**
 * An expression for the current flags ANDed with `mask` (AF and/or OF),
 * from the compile-time flag state where it is cheap, else from the ALU
 * (the flag locals are moved there first), as `Alu.kept` does.
 */
export function keptExpr(g: Gen, mask: number): string {
  const k = g.fl;
  if (k === K_LOGIC || k === K_EAGER) return `(fx & ${mask})`;
  if (mask === 0x10 && (k === K_ADD || k === K_SUB || k === K_INC || k === K_DEC)) {
    return "((fa ^ fb ^ fr) & 0x10)";
  }
  g.syncFlags();
  return `u.kept(${mask})`;
}

/** Overlay CF alone (`bit`, an expression of 0 or 1), as `Alu.overlayFlags(CF, bit)` does. */
export function overlayCf(g: Gen, bit: string): void {
  if (!g.flagsLive()) {
    g.fl = FL_UNKNOWN;
    return;
  }
  const k = g.fl;
  if (k === K_LOGIC || k === K_EAGER) {
    g.emit(`fx = (fx & ~1) | ${bit};`);
    return;
  }
  g.syncFlags();
  g.emit(`u.overlayFlags(1, ${bit});`);
}

/**
 * The lazy-flag record of SHL/SHR/SAR by `n` whose result is in `r`/`rh`
 * (`rh` null at 32 bits) and whose CF and count-1 OF (0x800 or 0; only
 * meaningful for n = 1) are in the expressions `cf`, `of`: the AMD
 * recording's (AF = 1, OF computed) or, with `keep`, Intel family 6's (AF
 * and, for n > 1, OF unchanged).
 */
function shiftFlags(
  g: Gen,
  s: number,
  n: number,
  keep: boolean,
  cf: string,
  of: string,
  rh: string | null,
): void {
  const res = rh === null ? { fr: "r", frh: "0" } : { fr: "r", frh: rh };
  if (!keep) {
    g.emit(`const f = ${cf} | 0x10 | ${of};`);
    g.setFlags(K_LOGIC, s, { ...res, fx: "f" });
    return;
  }
  if (!g.flagsLive()) {
    g.fl = FL_UNKNOWN;
    return;
  }
  const kp = keptExpr(g, n === 1 ? 0x10 : 0x810);
  g.emit(`const f = ${cf} | ${n === 1 ? `${of} | ` : ""}${kp};`);
  g.setFlags(K_LOGIC, s, { ...res, fx: "f" });
}

/**
 * ROL/ROR/SHL/SHR/SAR r32, imm (i.x: 0 rol, 1 ror, 4 shl, 5 shr, 6 sar), as
 * `shiftR32I` or, with `keep`, `shiftR32IKeep`.
 */
export function emitShift32(g: Gen, i: Insn, keep = false): void {
  const d = i.rm;
  const n = i.imm & 0x1f;
  if (n === 0) {
    g.zeroHi(d);
    return;
  }
  const k = i.x;
  g.emit(`{ const a = ${g.lo(d)};`);
  if (k >= 4) {
    if (k === 4) {
      g.emit(`const r = a << ${n}; const cf = (a >>> ${32 - n}) & 1;`);
      shiftFlags(g, 4, n, keep, "cf", "(((r >>> 31) ^ cf) !== 0 ? 0x800 : 0)", null);
    } else if (k === 5) {
      g.emit(`const r = a >>> ${n};`);
      const of = n === 1 ? "((a >>> 31) !== 0 ? 0x800 : 0)" : "0";
      shiftFlags(g, 4, n, keep, `((a >>> ${n - 1}) & 1)`, of, null);
    } else {
      g.emit(`const r = a >> ${n};`);
      shiftFlags(g, 4, n, keep, `((a >> ${n - 1}) & 1)`, "0", null);
    }
    g.set32(d, "r");
  } else {
    if (k === 0) {
      g.emit(`const r = (a << ${n}) | (a >>> ${32 - n});`);
      g.emit(`const cf = r & 1; const of = (r >>> 31) ^ cf;`);
    } else {
      g.emit(`const r = (a >>> ${n}) | (a << ${32 - n});`);
      g.emit(`const cf = r >>> 31; const of = cf ^ ((r >>> 30) & 1);`);
    }
    g.set32(d, "r");
    if (keep && n > 1) overlayCf(g, "cf");
    else overlayCfOf(g, "(cf | (of !== 0 ? 0x800 : 0))");
  }
  g.emit(`}`);
}

/** ROL/ROR/SHL/SHR/SAR r64, imm, as `shiftR64I` or, with `keep`, `shiftR64IKeep`. */
export function emitShift64(g: Gen, i: Insn, keep = false): void {
  const d = i.rm;
  const n = i.imm & 0x3f;
  if (n === 0) return;
  const k = i.x;
  g.emit(`{ const lo = ${g.lo(d)}, hi = ${g.hi(d)}; let r = 0, rh = 0;`);
  if (k >= 4) {
    if (k === 4) {
      g.emit(
        `const cf = ${n > 32 ? `(lo >>> ${64 - n}) & 1` : `(hi >>> ${(32 - n) & 31}) & 1`};`,
      );
      if (n < 32) g.emit(`rh = (hi << ${n}) | (lo >>> ${32 - n}); r = lo << ${n};`);
      else g.emit(`rh = lo << ${n - 32}; r = 0;`);
      shiftFlags(g, 8, n, keep, "cf", "(((rh >>> 31) ^ cf) !== 0 ? 0x800 : 0)", "rh");
    } else {
      g.emit(`const cf = ${n <= 32 ? `(lo >>> ${n - 1}) & 1` : `(hi >>> ${n - 33}) & 1`};`);
      if (k === 5) {
        if (n < 32) g.emit(`rh = hi >>> ${n}; r = (lo >>> ${n}) | (hi << ${32 - n});`);
        else g.emit(`rh = 0; r = (hi >>> ${n - 32}) | 0;`);
        const of = n === 1 ? "((hi >>> 31) !== 0 ? 0x800 : 0)" : "0";
        shiftFlags(g, 8, n, keep, "cf", of, "rh");
      } else {
        if (n < 32) {
          g.emit(`rh = hi >> ${n}; r = (lo >>> ${n}) | (hi << ${32 - n});`);
        } else g.emit(`rh = hi >> 31; r = hi >> ${n - 32};`);
        shiftFlags(g, 8, n, keep, "cf", "0", "rh");
      }
    }
    g.set64(d, "r", "rh");
    g.emit(`}`);
    return;
  }
  if (n === 32) g.emit(`r = hi; rh = lo;`);
  else {
    const m = n & 31;
    const x = n < 32 ? "lo" : "hi";
    const y = n < 32 ? "hi" : "lo";
    if (k === 0) {
      g.emit(`rh = (${y} << ${m}) | (${x} >>> ${32 - m});`);
      g.emit(`r = (${x} << ${m}) | (${y} >>> ${32 - m});`);
    } else {
      g.emit(`r = (${x} >>> ${m}) | (${y} << ${32 - m});`);
      g.emit(`rh = (${y} >>> ${m}) | (${x} << ${32 - m});`);
    }
  }
  if (k === 0) g.emit(`const cf = r & 1; const of = (rh >>> 31) ^ cf;`);
  else g.emit(`const cf = rh >>> 31; const of = cf ^ ((rh >>> 30) & 1);`);
  g.set64(d, "r", "rh");
  if (keep && n > 1) overlayCf(g, "cf");
  else overlayCfOf(g, "(cf | (of !== 0 ? 0x800 : 0))");
  g.emit(`}`);
}

/** IMUL Gv, Ev(reg) [, imm] at 32 bits, and at 64 bits as `imulR`. */
export function emitImul(g: Gen, i: Insn): void {
  const imm = i.y === 1;
  const dst = i.reg;
  if (i.osz === 4) {
    g.emit(
      `{ const a = ${g.lo(i.rm)} | 0; const b = ${imm ? `${i.imm | 0}` : `${g.lo(i.reg)} | 0`};`,
    );
    g.emit(`const lo = Math.imul(a, b);`);
    g.set32(dst, "lo");
    overlayCfOf(g, "(a * b !== lo ? 0x801 : 0)");
    g.emit(`}`);
    return;
  }
  g.emit(`{ const aL = ${g.lo(i.rm)}, aH = ${g.hi(i.rm)};`);
  if (imm) g.emit(`const bL = ${i.imm | 0}, bH = ${i.immHi | 0};`);
  else g.emit(`const bL = ${g.lo(i.reg)}, bH = ${g.hi(i.reg)};`);
  if (!g.flagsLive()) {
    // CF/OF dead: only the low 64 bits of the product (the same for signed
    // and unsigned operands), exact from 32-bit pieces as in `imulR`.
    g.emit(`const rl = Math.imul(aL, bL);`);
    emitUmulh(g, "mh");
    g.emit(`const rh = (mh + Math.imul(aL, bH) + Math.imul(aH, bL)) | 0;`);
    g.set64(dst, "rl", "rh");
    g.fl = FL_UNKNOWN;
    g.emit(`}`);
    return;
  }
  g.emit(`let over = false, rl = 0, rh = 0;`);
  g.emit(`if (aH === aL >> 31 && bH === bL >> 31) {`);
  g.emit(`const lo = Math.imul(aL, bL); rh = Math.round((aL * bL - (lo >>> 0)) / ${TWO32}) | 0;`);
  g.emit(`rl = lo;`);
  g.emit(`} else if (bH === bL >> 31) {`);
  g.emit(`const aLu = aL >>> 0, bLu = bL >>> 0; const lo = Math.imul(aL, bL);`);
  g.emit(`const mh = Math.round((aLu * bLu - (lo >>> 0)) / ${TWO32});`);
  g.emit(`rl = lo; rh = (mh + Math.imul(aL, bH) + Math.imul(aH, bL)) | 0;`);
  g.emit(`const pd = Math.abs((aH * ${TWO32} + aLu) * bL);`);
  g.emit(`if (pd < 0x4000000000000000) over = false;`);
  g.emit(`else if (pd >= 0x10000000000000000) over = true;`);
  g.emit(
    `else { over = K.imul64Over(aL, aH, bL, bH); rl = K.MUL_LO[0] | 0; rh = K.MUL_LO[1] | 0; }`,
  );
  g.emit(
    `} else { over = K.imul64Over(aL, aH, bL, bH); rl = K.MUL_LO[0] | 0; rh = K.MUL_LO[1] | 0; }`,
  );
  g.set64(dst, "rl", "rh");
  overlayCfOf(g, "(over ? 0x801 : 0)");
  g.emit(`}`);
}

/**
 * Emit `const <name>` = the high 32 bits of the unsigned product of `aL`
 * and `bL` (int32 locals), as an int32, from 16-bit pieces: every partial
 * product and sum stays below 2^32, so it is all 32-bit integer
 * arithmetic (no doubles, no rounding).
 */
export function emitUmulh(g: Gen, name: string): void {
  g.emit(`const a0 = aL & 0xffff, a1 = aL >>> 16, b0 = bL & 0xffff, b1 = bL >>> 16;`);
  g.emit(`const t0 = (Math.imul(a1, b0) + (Math.imul(a0, b0) >>> 16)) >>> 0;`);
  g.emit(`const t1 = (Math.imul(a0, b1) + (t0 & 0xffff)) >>> 0;`);
  g.emit(`const ${name} = (Math.imul(a1, b1) + (t0 >>> 16) + (t1 >>> 16)) | 0;`);
}

/** LEA with a 32-bit result from a 32-bit address, or a 64-bit one from a 64-bit address (no RIP base), as `leaF`. */
export function emitLea(g: Gen, i: Insn): void {
  const r = i.reg;
  if (i.eaMode === 2 && i.osz === 4) {
    let e = `${g.lo(i.base)} + ${i.disp}`;
    if (i.index >= 0) e = `${e} + (${g.lo(i.index)} << ${i.scale})`;
    g.set32(r, `(${e}) | 0`);
    return;
  }
  const d = i.d64;
  g.emit(`{ let lo = ${d | 0}, hi = ${d < 0 ? -1 : 0};`);
  if (i.base >= 0) {
    g.emit(`{ const t = (lo + ${g.lo(i.base)}) | 0;`);
    g.emit(`hi = (hi + ${g.hi(i.base)} + ((t >>> 0) < (lo >>> 0) ? 1 : 0)) | 0; lo = t; }`);
  }
  if (i.index >= 0) {
    const sc = i.scale;
    const xl = g.lo(i.index);
    const xh = g.hi(i.index);
    const slo = sc === 0 ? xl : `(${xl} << ${sc})`;
    const shi = sc === 0 ? xh : `((${xh} << ${sc}) | (${xl} >>> ${32 - sc}))`;
    g.emit(`{ const t = (lo + ${slo}) | 0;`);
    g.emit(`hi = (hi + ${shi} + ((t >>> 0) < (lo >>> 0) ? 1 : 0)) | 0; lo = t; }`);
  }
  g.set64(r, "lo", "hi");
  g.emit(`}`);
}

/** Whether `leaF`'s fast forms cover `i`. */
export function leaInline(i: Insn): boolean {
  if (i.eaMode === 2 && i.osz === 4) return true;
  return i.isMem !== 0 && i.addrSize === 64 && i.osz === 8 && i.ripRel === 0;
}
