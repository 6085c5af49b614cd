/**
 * Block compiler: the general E-operand forms at every operand size — ALU
 * with a memory or byte-register destination (`aluEdst`), ALU/TEST/MOV of
 * bytes and words, MOVZX/MOVSX from registers or memory. Each mirrors its
 * interpreter handler (`exec_alu.ts`, `exec_data.ts`) with the same lazy
 * flag record; memory accesses are inline TLB hits or a bail to the
 * interpreter before the instruction.
 *
 * @module
 */

import type { Insn } from "../icache.ts";
import { K_ADD, K_LOGIC, K_SUB } from "../alu/alu.ts";
import type { Gen } from "./gen.ts";
import { eaSupported, emitEa, tlbRead, tlbWrite } from "./emit_mem.ts";
import { TLB_SIZE } from "../memory.ts";

const MASK = [0, "0xff", "0xffff", "", "-1"];

/** An int32 expression for the low `s` bytes (1, 2, 4) of register `r` (byte registers by rm8/reg8 number). */
function regRead(g: Gen, r: number, s: number): string {
  if (s === 1) return g.r8(r);
  if (s === 2) return `(${g.lo(r)} & 0xffff)`;
  return g.lo(r);
}

/** Emit a write of int32 `v` to the low `s` bytes (1, 2, 4) of register `r` (byte registers by number). */
function regWrite(g: Gen, r: number, s: number, v: string): void {
  if (s === 4) {
    g.set32(r, v);
    return;
  }
  if (s === 2) {
    g.wrote(r);
    g.emit(`l${r} = (l${r} & ~0xffff) | (${v} & 0xffff);`);
    return;
  }
  const x = r < 16 ? r : r - 16;
  g.wrote(x);
  if (r < 16) g.emit(`l${x} = (l${x} & ~0xff) | (${v} & 0xff);`);
  else g.emit(`l${x} = (l${x} & ~0xff00) | ((${v} & 0xff) << 8);`);
}

/**
 * Emit ALU operation `k` (0 ADD, 1 OR, 4 AND, 5 SUB, 6 XOR, 7 CMP) at size
 * `s` on int32 operands `a`, `b` (masked to the size below 4 bytes) and
 * high halves `ah`, `bh` (size 8): declares `r` (and `h`) with the result.
 */
function aluCore(g: Gen, k: number, s: number, a: string, b: string, ah: string, bh: string): void {
  g.emit(`const a = ${a}, b = ${b};`);
  if (s === 8) g.emit(`const ah = ${ah}, bh = ${bh};`);
  const arith = k === 0 || k === 5 || k === 7;
  const m = MASK[s];
  if (!arith) {
    const op = k === 1 ? "|" : k === 4 ? "&" : "^";
    g.emit(`const r = a ${op} b;`);
    if (s === 8) g.emit(`const h = ah ${op} bh;`);
    g.setFlags(K_LOGIC, s, s === 8 ? { fx: "0", fr: "r", frh: "h" } : { fx: "0", fr: "r" });
    return;
  }
  const add = k === 0;
  if (s === 8) {
    if (add) {
      g.emit(`const r = (a + b) | 0; const h = (ah + bh + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0;`);
    } else {g.emit(
        `const r = (a - b) | 0; const h = (ah - bh - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0;`,
      );}
    g.setFlags(add ? K_ADD : K_SUB, 8, {
      fa: "a",
      fb: "b",
      fr: "r",
      fah: "ah",
      fbh: "bh",
      frh: "h",
    });
    return;
  }
  g.emit(`const r = (a ${add ? "+" : "-"} b)${s === 4 ? " | 0" : ` & ${m}`};`);
  g.setFlags(add ? K_ADD : K_SUB, s, { fa: "a", fb: "b", fr: "r" });
}

/** Operand size of an `aluEdst`/`test` form. */
function eSize(i: Insn, byteBit: number): number {
  return (i.y & byteBit) !== 0 ? 1 : i.osz;
}

/** The G or immediate source of an E-destination form (`imm` selects the immediate). */
function source(g: Gen, i: Insn, s: number, imm: boolean): [string, string] {
  if (imm) {
    if (s === 8) return [`${i.imm | 0}`, `${i.immHi | 0}`];
    return [`${s === 4 ? i.imm | 0 : i.imm & (s === 1 ? 0xff : 0xffff)}`, "0"];
  }
  const r = s === 1 ? i.reg8 : i.reg;
  return [regRead(g, r, s), s === 8 ? g.hi(r) : "0"];
}

/** Whether {@link emitAluE} covers `i` (an `aluEdst` instruction). */
export function aluEInline(bits: number, i: Insn): boolean {
  const k = i.x;
  if (k === 2 || k === 3) return false;
  return i.isMem === 0 || eaSupported(bits, i);
}

/** ALU Ev,Gv / Ev,Iz / Eb,Gb / Eb,Ib with a memory or byte-register destination (`aluEdst`). */
export function emitAluE(g: Gen, i: Insn): void {
  const s = eSize(i, 2);
  const k = i.x;
  const [b, bh] = source(g, i, s, (i.y & 1) !== 0);
  g.emit(`{`);
  if (i.isMem === 0) {
    const r = s === 1 ? i.rm8 : i.rm;
    aluCore(g, k, s, regRead(g, r, s), b, s === 8 ? g.hi(r) : "0", bh);
    if (k !== 7) {
      if (s === 8) g.set64(r, "r", "h");
      else regWrite(g, r, s, "r");
    }
    g.emit(`}`);
    return;
  }
  g.emit(`let v = 0, vh = 0;`);
  if (k === 7) {
    emitEa(g, i, "lin", 1);
    tlbRead(g, "lin", s, "v", "vh");
    aluCore(g, k, s, "v", b, "vh", bh);
    g.emit(`}`);
    return;
  }
  // Read-modify-write: the page must be writable (write TLB hit) as well as readable.
  emitEa(g, i, "lin", 3);
  g.emit(`if (wT[(lin >>> 12) & ${TLB_SIZE - 1}] !== lin - (lin & 0xfff)) ${g.bail()}`);
  tlbRead(g, "lin", s, "v", "vh");
  aluCore(g, k, s, "v", b, "vh", bh);
  tlbWrite(g, "lin", s, "r", s === 8 ? "h" : "0");
  g.emit(`}`);
}

/** TEST E, G / E, imm at any size (`test`, i.y bit 0 = imm, bit 1 = byte). */
export function emitTestE(g: Gen, i: Insn): void {
  const s = eSize(i, 2);
  const [b, bh] = source(g, i, s, (i.y & 1) !== 0);
  g.emit(`{ let v = 0, vh = 0;`);
  if (i.isMem === 0) {
    const r = s === 1 ? i.rm8 : i.rm;
    g.emit(`v = ${regRead(g, r, s)};${s === 8 ? ` vh = ${g.hi(r)};` : ""}`);
  } else {
    emitEa(g, i, "lin", 1);
    tlbRead(g, "lin", s, "v", "vh");
  }
  g.setFlags(
    K_LOGIC,
    s,
    s === 8 ? { fx: "0", fr: `v & ${b}`, frh: `vh & ${bh}` } : {
      fx: "0",
      fr: `v & ${b}`,
    },
  );
  g.emit(`}`);
}

/** Whether a memory operand (if any) of `i` is covered inline. */
export function memOk(bits: number, i: Insn): boolean {
  return i.isMem === 0 || eaSupported(bits, i);
}

/** MOV Eb,Gb / Gb,Eb / Eb,Ib (`movB`, i.y 0, 1, 2). */
export function emitMovB(g: Gen, i: Insn): void {
  g.emit(`{ let v = 0, vh = 0;`);
  if (i.y === 1) {
    if (i.isMem === 0) g.emit(`v = ${g.r8(i.rm8)};`);
    else {
      emitEa(g, i, "lin", 1);
      tlbRead(g, "lin", 1, "v", "vh");
    }
    regWrite(g, i.reg8, 1, "v");
  } else {
    const src = i.y === 0 ? g.r8(i.reg8) : `${i.imm & 0xff}`;
    if (i.isMem === 0) regWrite(g, i.rm8, 1, src);
    else {
      emitEa(g, i, "lin", 2);
      tlbWrite(g, "lin", 1, src, "0");
    }
  }
  g.emit(`}`);
}

/** MOVZX/MOVSX/MOVSXD with a 32/64-bit destination (`movx`, i.x 0 zx b, 1 zx w, 2 sx b, 3 sx w, 4 sxd). */
export function emitMovx(g: Gen, i: Insn): void {
  const k = i.x;
  const ss = k === 4 ? 4 : (k & 1) === 0 ? 1 : 2;
  g.emit(`{ let v = 0, vh = 0;`);
  if (i.isMem === 0) g.emit(`v = ${regRead(g, ss === 1 ? i.rm8 : i.rm, ss)};`);
  else {
    emitEa(g, i, "lin", 1);
    tlbRead(g, "lin", ss, "v", "vh");
  }
  if (k >= 2) {
    if (ss === 1) g.emit(`v = (v << 24) >> 24;`);
    else if (ss === 2) g.emit(`v = (v << 16) >> 16;`);
  }
  if (i.osz === 8) g.set64(i.reg, "v", k >= 2 ? "v >> 31" : "0");
  else g.set32(i.reg, "v");
  g.emit(`}`);
}

/** ALU Gb,Eb / Gw,Ew (`aluGdst` at 1 or 2 bytes): G <- G op E. */
export function emitAluGSmall(g: Gen, i: Insn): void {
  const s = i.y === 1 ? 1 : i.osz;
  const k = i.x;
  const greg = s === 1 ? i.reg8 : i.reg;
  g.emit(`{ let v = 0, vh = 0;`);
  if (i.isMem === 0) g.emit(`v = ${regRead(g, s === 1 ? i.rm8 : i.rm, s)};`);
  else {
    emitEa(g, i, "lin", 1);
    tlbRead(g, "lin", s, "v", "vh");
  }
  aluCore(g, k, s, regRead(g, greg, s), "v", "0", "0");
  if (k !== 7) regWrite(g, greg, s, "r");
  g.emit(`}`);
}
