/**
 * Block compiler: condition codes from the lazy flags (specialised when the
 * producer is known at compile time) and the near branches that end basic
 * blocks (Jcc, LOOP/JrCXZ, JMP rel, CALL rel, RET).
 *
 * @module
 */

import { K_ADD, K_DEC, K_INC, K_LOGIC, K_SUB } from "../alu/alu.ts";
import type { Gen } from "./gen.ts";
import { below64 } from "./emit_alu.ts";

/** RCX's register number (the count register of LOOP and JrCXZ). */
const RCX = 1;

/**
 * For LOOP/LOOPE/LOOPNE/JrCXZ (`i.x`: 0 LOOPNE, 1 LOOPE, 2 LOOP, 3 JrCXZ)
 * whose count register is the code size's (RCX in 64-bit code, ECX in
 * 32-bit code): emit the count's decrement (not for JrCXZ; the flags are
 * unchanged and ECX's write clears RCX's high half, as any 32-bit register
 * write) and return the branch condition.
 */
export function loopCond(g: Gen, i: { x: number }): string {
  const wide = !g.zmode;
  const lo = g.lo(RCX);
  const zero = wide ? `((${lo} | ${g.hi(RCX)}) === 0)` : `(${lo} === 0)`;
  if (i.x === 3) return zero;
  if (wide) {
    g.wrote(RCX);
    g.emit(`${lo} = (${lo} - 1) | 0; if (${lo} === -1) ${g.hi(RCX)} = (${g.hi(RCX)} - 1) | 0;`);
  } else g.set32(RCX, `(${lo} - 1) | 0`);
  if (i.x === 2) return `!${zero}`;
  return `(!${zero} && ${condExpr(g, i.x === 1 ? 4 : 5)})`;
}

/**
 * A boolean expression for condition `cc` (the low nibble of Jcc/SETcc),
 * computed from the flag locals when their producer is known, else by
 * moving them into the ALU and asking `Alu.cond`.
 */
export function condExpr(g: Gen, cc: number): string {
  const e = knownCond(g.fl, g.fsz, cc & 0xe);
  if (e !== null) return (cc & 1) !== 0 ? `!${e}` : e;
  g.syncFlags();
  return `u.cond(${cc})`;
}

/** The even condition `base` (O B E BE S P L LE) for a known producer, or null. */
function knownCond(k: number, s: number, base: number): string | null {
  if (k === K_SUB && (s === 4 || s === 8)) {
    const ltU = s === 4 ? "((fa >>> 0) < (fb >>> 0))" : below64("fa", "fah", "fb", "fbh");
    const eq = s === 4 ? "(fa === fb)" : "(fa === fb && fah === fbh)";
    const ltS = s === 4 ? "(fa < fb)" : "(fah < fbh || (fah === fbh && (fa >>> 0) < (fb >>> 0)))";
    switch (base) {
      case 2:
        return ltU;
      case 4:
        return eq;
      case 6:
        return `(${ltU} || ${eq})`;
      case 12:
        return ltS;
      case 14:
        return `(${ltS} || ${eq})`;
    }
    return null;
  }
  if (k === K_SUB && (s === 1 || s === 2)) {
    // Byte and word producers keep their operands masked to the size
    // (unsigned): signed order is the order of the operands shifted to the
    // top of an int32.
    const sh = s === 1 ? 24 : 16;
    const ltS = `((fa << ${sh}) < (fb << ${sh}))`;
    switch (base) {
      case 2:
        return "(fa < fb)";
      case 4:
        return "(fa === fb)";
      case 6:
        return "(fa <= fb)";
      case 12:
        return ltS;
      case 14:
        return `((fa << ${sh}) <= (fb << ${sh}))`;
    }
    return null;
  }
  if (k !== K_LOGIC && k !== K_ADD && k !== K_INC && k !== K_DEC) return null;
  if (s !== 1 && s !== 4 && s !== 8) return null;
  const zf = s === 8 ? "((fr | frh) === 0)" : s === 4 ? "(fr === 0)" : "((fr & 0xff) === 0)";
  const sf = s === 8 ? "(frh < 0)" : s === 4 ? "(fr < 0)" : "((fr & 0x80) !== 0)";
  if (base === 4) return zf;
  if (base === 8) return sf;
  if (k === K_LOGIC) {
    const of = "((fx & 0x800) !== 0)";
    const cf = "((fx & 1) !== 0)";
    if (base === 0) return of;
    if (base === 2) return cf;
    if (base === 6) return `(${cf} || ${zf})`;
    if (base === 12) return `(${sf} !== ${of})`;
    if (base === 14) return `(${zf} || ${sf} !== ${of})`;
    return null;
  }
  if (base === 2) {
    if (k !== K_ADD) return "((fx & 1) !== 0)";
    if (s === 4) return "((fr >>> 0) < (fa >>> 0))";
    if (s === 8) return below64("fr", "frh", "fa", "fah");
  }
  return null;
}

/**
 * The code that continues at a direct target: the region's head (the
 * loop), the current block again (an inner loop, see `Gen.selfSpan`), a
 * later block (a forward jump), or an exit (anything else).
 */
export function goTo(g: Gen, target: number, label: number | undefined): string {
  const z = g.zFlush();
  if (label === 0) return `{ R += ${g.n}; ${z}continue X; }`;
  if (label === g.cur && g.selfSpan > 0) {
    // An inner loop: repeat the block while its longest run onwards fits.
    return `{ R += ${g.n}; ${z}if (R + ${g.selfSpan} > LL) { nip = ${target}; break X; } continue L${g.cur}; }`;
  }
  if (label !== undefined && label > g.cur) return `{ R += ${g.n}; ${z}break B${label}; }`;
  return `{ e = ${g.n}; nip = ${target}; ${z}break X; }`;
}

/**
 * Whether a near-branch target passes the checks of `check()` in
 * `exec_control.ts` for sure at compile time (canonical in 64-bit code;
 * inside the current page, which the CS limit covers, otherwise).
 */
export function targetStaticallyOk(bits: number, t: number, pageIp: number): boolean {
  if (bits === 64) return t < 0x800000000000 && t >= -0x800000000000;
  return t >= pageIp && t < pageIp + 4096;
}

/** Code that bails before the branch when a 32-bit target is beyond the CS limit (the interpreter faults). */
export function targetCheck(g: Gen, t: number, pageIp: number): string {
  if (targetStaticallyOk(g.bits, t, pageIp)) return "";
  if (g.bits === 64) return g.bail();
  return `if (${t} > sm[1]) ${g.bail()}`;
}
