/**
 * Block compiler: effective addresses, inline TLB hits for loads and
 * stores, and the stack. Every access the inline code cannot finish (TLB
 * miss, unaligned, page-crossing, non-flat segment, non-canonical address)
 * leaves the region *before* the instruction, so the interpreter executes
 * it with its own checks and faults: the compiled code itself never faults.
 *
 * The TLB shape used here (`rTag`/`rMem32`/`rMem`, `wTag`/`wMem32`/`wMem`,
 * direct-mapped by linear page) is that of `cpu/memory.ts`; it is used only
 * through {@link tlbRead} and {@link tlbWrite}, so a change of the TLB's
 * inline-hit shape is local to those two functions.
 *
 * @module
 */

import type { Insn } from "../icache.ts";
import { TLB_SIZE } from "../memory.ts";
import type { Gen } from "./gen.ts";

const TMASK = TLB_SIZE - 1;
const TWO32 = 4294967296;

/** Whether the inline address computation covers `i`'s memory operand. */
export function eaSupported(bits: number, i: Insn): boolean {
  if (i.isMem === 0) return false;
  if (i.addrSize === 64) return bits === 64;
  return i.addrSize === 32 && i.ripRel === 0;
}

/**
 * Emit `const <name> = linear address` of `i`'s memory operand for an
 * access needing `need` (1 read, 2 write, 3 both), with a bail to the
 * interpreter when the fast computation does not apply. Mirrors
 * `eaLin`/`ea`/`la` in `regs.ts`/`memory.ts` (same arithmetic, same order).
 */
export function emitEa(g: Gen, i: Insn, name: string, need: number): void {
  const s = i.seg;
  if (i.addrSize === 64) {
    let e: string;
    if (i.ripRel !== 0) e = `${g.next + i.d64}`;
    else {
      e = `${i.d64}`;
      if (i.base >= 0) e = `(${e} + (${g.hi(i.base)} * ${TWO32} + (${g.lo(i.base)} >>> 0)))`;
      if (i.index >= 0) {
        e = `(${e} + (${g.hi(i.index)} * ${TWO32} + (${g.lo(i.index)} >>> 0)) * ${1 << i.scale})`;
      }
    }
    // FS/GS add their base (ES/CS/SS/DS have base 0 in 64-bit mode). The
    // canonical check is on the TLB miss path ({@link tlbRead}): a hit
    // implies a canonical address.
    if (s >= 4) g.emit(`const ${name} = ${e} + sb[${s}];`);
    else g.emit(`const ${name} = ${e};`);
    return;
  }
  // 32-bit addressing.
  let e = i.base >= 0 ? `${g.lo(i.base)} + ${i.disp}` : `${i.disp}`;
  if (i.index >= 0) e = `(${e}) + (${g.lo(i.index)} << ${i.scale})`;
  g.emit(`const ${name} = (${e}) >>> 0;`);
  if (!(g.bits === 64 && s < 4)) g.emit(`if ((sf[${s}] & ${need}) !== ${need}) ${g.bail()}`);
}

/**
 * Emit a TLB-hit read of `size` bytes at linear `lin` into `v` (and `vh`
 * for 8), declared by the caller with `let`; bails on a miss.
 */
export function tlbRead(g: Gen, lin: string, size: number, v: string, vh: string): void {
  g.emit(`{ const o = ${lin} & 0xfff; const x = (${lin} >>> 12) & ${TMASK};`);
  const align = size === 4
    ? "(o & 3) !== 0"
    : size === 8
    ? "(o & 7) !== 0"
    : size === 2
    ? "o >= 0xfff"
    : "";
  if (align !== "") g.emit(`if (${align}) ${g.bail()}`);
  g.emit(`if (rT[x] !== ${lin} - o && ${refill(g, lin, "rT", false)}) ${g.bail()}`);
  if (size === 4) g.emit(`${v} = rM[x][o >> 2] | 0; }`);
  else if (size === 8) {
    g.emit(`const m = rM[x]; ${v} = m[o >> 2] | 0; ${vh} = m[(o >> 2) + 1] | 0; }`);
  } else if (size === 1) g.emit(`${v} = rB[x][o]; }`);
  else g.emit(`const m = rB[x]; ${v} = m[o] | (m[o + 1] << 8); }`);
}

/**
 * The condition under which a TLB miss leaves the region: in 64-bit code
 * the address is not canonical (the interpreter faults; checked only here
 * because every tag is a canonical page address, so a hit implies it, and
 * the fill below must never see such an address: the walk ignores bits
 * 63:48), the fill ({@link fillForCompiled}, passed as T) refused, or it
 * changed the code page (a page-table write hit cached code), or the entry
 * is still not there (no write entry for a code frame, alignment checking).
 */
function refill(g: Gen, lin: string, tags: string, write: boolean): string {
  const canon = g.bits === 64 ? `${lin} >= 0x800000000000 || ${lin} < -0x800000000000 || ` : "";
  return `(${canon}!T(cpu, ${lin}, ${write}) || cpu.codePage !== P || ${tags}[x] !== ${lin} - o)`;
}

/** Emit a TLB-hit write of `size` bytes (values `lo`, `hi` for 8); on a miss fills or bails. */
export function tlbWrite(g: Gen, lin: string, size: number, lo: string, hi: string): void {
  g.emit(`{ const o = ${lin} & 0xfff; const x = (${lin} >>> 12) & ${TMASK};`);
  const align = size === 4
    ? "(o & 3) !== 0"
    : size === 8
    ? "(o & 7) !== 0"
    : size === 2
    ? "o >= 0xfff"
    : "";
  if (align !== "") g.emit(`if (${align}) ${g.bail()}`);
  g.emit(`if (wT[x] !== ${lin} - o && ${refill(g, lin, "wT", true)}) ${g.bail()}`);
  if (size === 4) g.emit(`wM[x][o >> 2] = ${lo}; }`);
  else if (size === 8) g.emit(`const m = wM[x]; m[o >> 2] = ${lo}; m[(o >> 2) + 1] = ${hi}; }`);
  else if (size === 1) g.emit(`wB[x][o] = ${lo}; }`);
  else g.emit(`const m = wB[x]; m[o] = ${lo}; m[o + 1] = ${lo} >>> 8; }`);
}

/**
 * Emit a TLB probe for an access of `size` bytes at linear `lin`, aligned
 * to `align` bytes (4, 8 or 16) and inside one page: declares `m` (the
 * page's int32 words, or null) and `k` (the first word's index). null when
 * the access is misaligned, crosses the page, or misses and the fill
 * refused; the caller then does the access another way (the interpreter's
 * handler), rather than leaving the region.
 */
export function tlbProbe(
  g: Gen,
  lin: string,
  size: number,
  align: number,
  write: boolean,
  m: string,
  k: string,
): void {
  const tags = write ? "wT" : "rT";
  g.emit(`let ${m} = null, ${k} = 0;`);
  g.emit(`{ const o = ${lin} & 0xfff; const x = (${lin} >>> 12) & ${TMASK};`);
  g.emit(
    `if ((o & ${align - 1}) === 0 && o <= ${4096 - size} && (${tags}[x] === ${lin} - o || !${
      refill(g, lin, tags, write)
    })) { ${m} = ${write ? "wM" : "rM"}[x]; ${k} = o >> 2; } }`,
  );
}

/** MOV Gv, Ev from memory (32/64). */
export function emitLoad(g: Gen, i: Insn): void {
  const s = i.osz;
  g.emit(`{ let v = 0, vh = 0;`);
  emitEa(g, i, "lin", 1);
  tlbRead(g, "lin", s, "v", "vh");
  if (s === 8) g.set64(i.reg, "v", "vh");
  else g.set32(i.reg, "v");
  g.emit(`}`);
}

/** MOV Ev, Gv to memory (32/64). */
export function emitStore(g: Gen, i: Insn): void {
  const s = i.osz;
  g.emit(`{`);
  emitEa(g, i, "lin", 2);
  tlbWrite(g, "lin", s, g.lo(i.reg), s === 8 ? g.hi(i.reg) : "0");
  g.emit(`}`);
}

/** MOV Ev, imm to memory (32/64). */
export function emitStoreImm(g: Gen, i: Insn): void {
  const s = i.osz;
  g.emit(`{`);
  emitEa(g, i, "lin", 2);
  tlbWrite(g, "lin", s, `${i.imm | 0}`, `${i.immHi | 0}`);
  g.emit(`}`);
}

/**
 * Emit a push of `size` (8 on a 64-bit stack, 4 on a flat 32-bit stack)
 * of the unsigned expressions `lo`/`hi`, mirroring `push` in `regs.ts`.
 */
export function emitPush(g: Gen, size: number, lo: string, hi: string): void {
  const sp = g.lo(4);
  g.wrote(4);
  g.usesStack = true;
  if (size === 8) {
    const sph = g.hi(4);
    g.emit(`{ const nlo = (${sp} - 8) | 0; let nhi = ${sph};`);
    g.emit(`if ((${sp} >>> 0) < 8) nhi = (nhi - 1) | 0;`);
    g.emit(
      `if (((nhi + 0x8000) >>> 16) !== 0 && ((nhi + 0x8000) >>> 0) !== 0) ${g.bail()}`,
    );
    g.emit(`const sl = nhi === 0 ? nlo >>> 0 : nhi * ${TWO32} + (nlo >>> 0);`);
    tlbWrite(g, "sl", 8, lo, hi);
    g.emit(`${sp} = nlo; ${sph} = nhi; }`);
  } else {
    g.emit(`{ const nsp = (${sp} - 4) >>> 0;`);
    g.emit(`if ((sf[2] & 2) === 0) ${g.bail()}`);
    tlbWrite(g, "nsp", 4, lo, "0");
    g.emit(`${sp} = nsp | 0; }`);
  }
}

/**
 * Emit a pop of `size` bytes into `v`/`vh` (declared by the caller) and
 * the stack-pointer increment by `size + extra`, mirroring `pop`/`spAdd`.
 */
export function emitPop(g: Gen, size: number, v: string, vh: string, extra: number): void {
  const sp = g.lo(4);
  g.wrote(4);
  g.usesStack = true;
  if (size === 8) {
    const sph = g.hi(4);
    g.emit(`{ const sl = ${sph} === 0 ? ${sp} >>> 0 : ${sph} * ${TWO32} + (${sp} >>> 0);`);
    tlbRead(g, "sl", 8, v, vh);
    g.emit(`const nv = (${sp} + ${size + extra}) | 0;`);
    g.emit(`if ((nv >>> 0) < (${sp} >>> 0)) ${sph} = (${sph} + 1) | 0;`);
    g.emit(`${sp} = nv; }`);
  } else {
    g.emit(`{ if ((sf[2] & 1) === 0) ${g.bail()}`);
    g.emit(`const sl = ${sp} >>> 0;`);
    tlbRead(g, "sl", 4, v, vh);
    g.emit(`${sp} = (${sp} + ${size + extra}) | 0; }`);
  }
}

/** PUSH r (64-bit or 32-bit flat stack). */
export function emitPushR(g: Gen, i: Insn): void {
  const s = i.osz;
  emitPush(g, s, g.lo(i.rm), s === 8 ? g.hi(i.rm) : "0");
}

/** POP r (64-bit or 32-bit flat stack): the register is written after RSP moves (POP RSP). */
export function emitPopR(g: Gen, i: Insn): void {
  const s = i.osz;
  g.emit(`{ let v = 0, vh = 0;`);
  emitPop(g, s, "v", "vh", 0);
  if (s === 8) g.set64(i.rm, "v", "vh");
  else g.set32(i.rm, "v");
  g.emit(`}`);
}
