/**
 * Block compiler: condition codes from the lazy flags (specialised when the
 * producer is known at compile time) and the near branches that end basic
 * blocks (Jcc, JMP rel, CALL rel, RET).
 *
 * @module
 */

import { K_ADD, K_DEC, K_INC, K_LOGIC, K_SUB } from "../alu/alu.ts";
import type { Gen } from "./gen.ts";

/**
 * A boolean expression for condition `cc` (the low nibble of Jcc/SETcc),
 * computed from the flag locals when their producer is known, else by
 * moving them into the ALU and asking `Alu.cond`.
 */
export function condExpr(g: Gen, cc: number): string {
  const k = g.fl;
  const s = g.fsz;
  const neg = (cc & 1) !== 0;
  const base = cc & 0xe;
  let e: string | null = null;
  if (k === K_SUB && (s === 4 || s === 8)) {
    if (s === 4) {
      switch (cc) {
        case 2:
          return "(fa < fb)";
        case 3:
          return "(fa >= fb)";
        case 4:
          return "(fa === fb)";
        case 5:
          return "(fa !== fb)";
        case 6:
          return "(fa <= fb)";
        case 7:
          return "(fa > fb)";
        case 12:
          return "((fa | 0) < (fb | 0))";
        case 13:
          return "((fa | 0) >= (fb | 0))";
        case 14:
          return "((fa | 0) <= (fb | 0))";
        case 15:
          return "((fa | 0) > (fb | 0))";
      }
    } else {
      switch (cc) {
        case 2:
          return "(fah < fbh || (fah === fbh && fa < fb))";
        case 3:
          return "(fah > fbh || (fah === fbh && fa >= fb))";
        case 4:
          return "(fa === fb && fah === fbh)";
        case 5:
          return "(fa !== fb || fah !== fbh)";
        case 6:
          return "(fah < fbh || (fah === fbh && fa <= fb))";
        case 7:
          return "(fah > fbh || (fah === fbh && fa > fb))";
        case 12:
          return "((fah | 0) < (fbh | 0) || (fah === fbh && fa < fb))";
        case 13:
          return "((fah | 0) > (fbh | 0) || (fah === fbh && fa >= fb))";
        case 14:
          return "((fah | 0) < (fbh | 0) || (fah === fbh && fa <= fb))";
        case 15:
          return "((fah | 0) > (fbh | 0) || (fah === fbh && fa > fb))";
      }
    }
  } else if (k === K_LOGIC || k === K_ADD || k === K_INC || k === K_DEC) {
    const mask = s === 1 ? "0xff" : s === 2 ? "0xffff" : "";
    const zf = s === 8
      ? "(((fr | 0) | (frh | 0)) === 0)"
      : mask !== ""
      ? `((fr & ${mask}) === 0)`
      : "((fr | 0) === 0)";
    const sf = s === 8
      ? "((frh | 0) < 0)"
      : s === 4
      ? "((fr | 0) < 0)"
      : `(((fr >>> ${s * 8 - 1}) & 1) !== 0)`;
    if (base === 4) e = zf;
    else if (base === 8) e = sf;
    else if (k === K_LOGIC) {
      if (base === 2) e = "((fx & 1) !== 0)";
      else if (base === 0) e = "((fx & 0x800) !== 0)";
      else if (base === 6) e = `((fx & 1) !== 0 || ${zf})`;
      else if (base === 12) e = `(${sf} !== ((fx & 0x800) !== 0))`;
      else if (base === 14) e = `(${zf} || ${sf} !== ((fx & 0x800) !== 0))`;
    } else if (base === 2) {
      e = k === K_ADD
        ? (s === 8 ? "(frh > 0xffffffff)" : s === 4 ? "(fr > 0xffffffff)" : null)
        : "((fx & 1) !== 0)";
    }
    if (e !== null) return neg ? `!${e}` : e;
  }
  g.syncFlags();
  return `u.cond(${cc})`;
}

/**
 * The code that continues at a direct target: the region's head (the
 * loop), a later block (a forward jump), or an exit (anything else).
 */
export function goTo(g: Gen, target: number, label: number | undefined): string {
  if (label === 0) return `{ R += ${g.n}; continue X; }`;
  if (label !== undefined && label > g.cur) return `{ R += ${g.n}; break B${label}; }`;
  return `{ e = ${g.n}; nip = ${target}; break X; }`;
}

/**
 * Whether a near-branch target passes the checks of `check()` in
 * `exec_control.ts` for sure at compile time (canonical in 64-bit code;
 * inside the current page, which the CS limit covers, otherwise).
 */
export function targetStaticallyOk(g: Gen, t: number, pageIp: number): boolean {
  if (g.bits === 64) return t < 0x800000000000 && t >= -0x800000000000;
  return t >= pageIp && t < pageIp + 4096;
}

/** Code that bails before the branch when a 32-bit target is beyond the CS limit (the interpreter faults). */
export function targetCheck(g: Gen, t: number, pageIp: number): string {
  if (targetStaticallyOk(g, t, pageIp)) return "";
  if (g.bits === 64) return g.bail();
  return `if (${t} > sm[1]) ${g.bail()}`;
}
