/**
 * Self-contained handlers for hot register and simple memory forms:
 * shifts/rotates by an immediate, IMUL with a register or immediate
 * source, MOV to/from memory through the TLB fast path, 64-bit LEA and
 * MOVZX from a byte register.
 *
 * Each handler does its work inline (lazy flags written directly into the
 * ALU's fields) and calls out only on slow paths, and only with small
 * integers: a value of 2^31 or more passed to or returned from a call that
 * V8 does not inline is boxed as a heap number, an allocation per
 * instruction. The results must match the general handlers exactly
 * (checked by the hardware ALU vectors replayed through the engine).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import { K_EAGER, K_LOGIC, K_SUB } from "./alu/alu.ts";
import { imul64Over, MUL_LO } from "./alu/muldiv.ts";
import { lr32, lr64, lw32, lw64, TLB_SIZE } from "./memory.ts";
import { eaLin } from "./regs.ts";
import { lea, movGM, movMG, movx } from "./exec_data.ts";
import { jcc } from "./exec_control.ts";

const TMASK = TLB_SIZE - 1;
/** Shift AF (undefined in the SDM; set on the recording CPU, see alu/shift.ts). */
const AF = 0x10;
const OF = 0x800;
const CF_OF = 0x801;

/**
 * ROL/ROR/SHL/SHR/SAR r32, imm (i.x: 0 rol, 1 ror, 4 shl, 5 shr, 6 sar),
 * for the profiles that set AF and compute OF for every count (the AMD
 * recording; vendor_flags.ts). {@link shiftR32IKeep} is the Intel family 6
 * form.
 */
export function shiftR32I(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const n = i.imm & 0x1f;
  const a = g[d];
  g[d + 1] = 0;
  if (n === 0) return;
  const u = c.alu;
  const k = i.x;
  if (k >= 4) {
    let r: number;
    let f: number;
    if (k === 4) {
      r = (a << n) >>> 0;
      const cf = (a >>> (32 - n)) & 1;
      f = cf | AF | (((r >>> 31) ^ cf) !== 0 ? 0x800 : 0);
    } else if (k === 5) {
      r = a >>> n;
      f = ((a >>> (n - 1)) & 1) | AF | (n === 1 && (a >>> 31) !== 0 ? 0x800 : 0);
    } else {
      r = ((a | 0) >> n) >>> 0;
      f = (((a | 0) >> (n - 1)) & 1) | AF;
    }
    u.kind = K_LOGIC;
    u.size = 4;
    u.res = r;
    u.resH = 0;
    u.fx = f;
    g[d] = r;
    return;
  }
  let r: number;
  let cf: number;
  let of: number;
  if (k === 0) {
    r = ((a << n) | (a >>> (32 - n))) >>> 0;
    cf = r & 1;
    of = (r >>> 31) ^ cf;
  } else {
    r = ((a >>> n) | (a << (32 - n))) >>> 0;
    cf = r >>> 31;
    of = cf ^ ((r >>> 30) & 1);
  }
  g[d] = r;
  u.overlayFlags(CF_OF, cf | (of !== 0 ? 0x800 : 0));
}

/** ROL/ROR/SHL/SHR/SAR r64, imm (i.x as in {@link shiftR32I}; its profiles). */
export function shiftR64I(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const n = i.imm & 0x3f;
  if (n === 0) return;
  const lo = g[d];
  const hi = g[d + 1];
  const u = c.alu;
  const k = i.x;
  let r: number;
  let rh: number;
  if (k >= 4) {
    let f: number;
    if (k === 4) {
      const cf = n > 32 ? (lo >>> (64 - n)) & 1 : (hi >>> (32 - n)) & 1;
      if (n < 32) {
        rh = ((hi << n) | (lo >>> (32 - n))) >>> 0;
        r = (lo << n) >>> 0;
      } else {
        rh = (lo << (n - 32)) >>> 0;
        r = 0;
      }
      f = cf | AF | (((rh >>> 31) ^ cf) !== 0 ? 0x800 : 0);
    } else {
      const cf = n <= 32 ? (lo >>> (n - 1)) & 1 : (hi >>> (n - 33)) & 1;
      if (k === 5) {
        if (n < 32) {
          rh = hi >>> n;
          r = ((lo >>> n) | (hi << (32 - n))) >>> 0;
        } else {
          rh = 0;
          r = hi >>> (n - 32);
        }
        f = cf | AF | (n === 1 && (hi >>> 31) !== 0 ? 0x800 : 0);
      } else {
        if (n < 32) {
          rh = ((hi | 0) >> n) >>> 0;
          r = ((lo >>> n) | (hi << (32 - n))) >>> 0;
        } else {
          rh = ((hi | 0) >> 31) >>> 0;
          r = ((hi | 0) >> (n - 32)) >>> 0;
        }
        f = cf | AF;
      }
    }
    u.kind = K_LOGIC;
    u.size = 8;
    u.res = r;
    u.resH = rh;
    u.fx = f;
    g[d] = r;
    g[d + 1] = rh;
    return;
  }
  let cf: number;
  let of: number;
  if (n === 32) {
    r = hi;
    rh = lo;
  } else {
    const m = n & 31;
    const x = n < 32 ? lo : hi;
    const y = n < 32 ? hi : lo;
    if (k === 0) {
      rh = ((y << m) | (x >>> (32 - m))) >>> 0;
      r = ((x << m) | (y >>> (32 - m))) >>> 0;
    } else {
      r = ((x >>> m) | (y << (32 - m))) >>> 0;
      rh = ((y >>> m) | (x << (32 - m))) >>> 0;
    }
  }
  if (k === 0) {
    cf = r & 1;
    of = (rh >>> 31) ^ cf;
  } else {
    cf = rh >>> 31;
    of = cf ^ ((rh >>> 30) & 1);
  }
  g[d] = r;
  g[d + 1] = rh;
  u.overlayFlags(CF_OF, cf | (of !== 0 ? 0x800 : 0));
}

/**
 * {@link shiftR32I} for the profiles that keep AF, and OF for a count
 * above 1, unchanged (Intel family 6; vendor_flags.ts).
 */
export function shiftR32IKeep(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const n = i.imm & 0x1f;
  const a = g[d];
  g[d + 1] = 0;
  if (n === 0) return;
  const u = c.alu;
  const k = i.x;
  if (k >= 4) {
    let r: number;
    let f: number;
    if (k === 4) {
      r = (a << n) >>> 0;
      f = (a >>> (32 - n)) & 1;
      if (n === 1 && ((r >>> 31) ^ f) !== 0) f |= OF;
    } else if (k === 5) {
      r = a >>> n;
      f = ((a >>> (n - 1)) & 1) | (n === 1 && (a >>> 31) !== 0 ? OF : 0);
    } else {
      r = ((a | 0) >> n) >>> 0;
      f = ((a | 0) >> (n - 1)) & 1;
    }
    f |= u.kept(n === 1 ? AF : AF | OF);
    u.kind = K_LOGIC;
    u.size = 4;
    u.res = r;
    u.resH = 0;
    u.fx = f;
    g[d] = r;
    return;
  }
  let r: number;
  let cf: number;
  let of: number;
  if (k === 0) {
    r = ((a << n) | (a >>> (32 - n))) >>> 0;
    cf = r & 1;
    of = (r >>> 31) ^ cf;
  } else {
    r = ((a >>> n) | (a << (32 - n))) >>> 0;
    cf = r >>> 31;
    of = cf ^ ((r >>> 30) & 1);
  }
  g[d] = r;
  if (n === 1) u.overlayFlags(CF_OF, cf | (of !== 0 ? OF : 0));
  else u.overlayFlags(1, cf);
}

/** {@link shiftR64I} for the profiles of {@link shiftR32IKeep}. */
export function shiftR64IKeep(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const d = i.rm << 1;
  const n = i.imm & 0x3f;
  if (n === 0) return;
  const lo = g[d];
  const hi = g[d + 1];
  const u = c.alu;
  const k = i.x;
  let r: number;
  let rh: number;
  if (k >= 4) {
    let f: number;
    if (k === 4) {
      f = n > 32 ? (lo >>> (64 - n)) & 1 : (hi >>> (32 - n)) & 1;
      if (n < 32) {
        rh = ((hi << n) | (lo >>> (32 - n))) >>> 0;
        r = (lo << n) >>> 0;
      } else {
        rh = (lo << (n - 32)) >>> 0;
        r = 0;
      }
      if (n === 1 && ((rh >>> 31) ^ f) !== 0) f |= OF;
    } else {
      f = n <= 32 ? (lo >>> (n - 1)) & 1 : (hi >>> (n - 33)) & 1;
      if (k === 5) {
        if (n < 32) {
          rh = hi >>> n;
          r = ((lo >>> n) | (hi << (32 - n))) >>> 0;
        } else {
          rh = 0;
          r = hi >>> (n - 32);
        }
        if (n === 1 && (hi >>> 31) !== 0) f |= OF;
      } else if (n < 32) {
        rh = ((hi | 0) >> n) >>> 0;
        r = ((lo >>> n) | (hi << (32 - n))) >>> 0;
      } else {
        rh = ((hi | 0) >> 31) >>> 0;
        r = ((hi | 0) >> (n - 32)) >>> 0;
      }
    }
    f |= u.kept(n === 1 ? AF : AF | OF);
    u.kind = K_LOGIC;
    u.size = 8;
    u.res = r;
    u.resH = rh;
    u.fx = f;
    g[d] = r;
    g[d + 1] = rh;
    return;
  }
  if (n === 32) {
    r = hi;
    rh = lo;
  } else {
    const m = n & 31;
    const x = n < 32 ? lo : hi;
    const y = n < 32 ? hi : lo;
    if (k === 0) {
      rh = ((y << m) | (x >>> (32 - m))) >>> 0;
      r = ((x << m) | (y >>> (32 - m))) >>> 0;
    } else {
      r = ((x >>> m) | (y << (32 - m))) >>> 0;
      rh = ((y >>> m) | (x << (32 - m))) >>> 0;
    }
  }
  g[d] = r;
  g[d + 1] = rh;
  const cf = k === 0 ? r & 1 : rh >>> 31;
  if (n > 1) u.overlayFlags(1, cf);
  else {
    const of = k === 0 ? (rh >>> 31) ^ cf : cf ^ ((rh >>> 30) & 1);
    u.overlayFlags(CF_OF, cf | (of !== 0 ? OF : 0));
  }
}

/**
 * IMUL Gv, Ev / IMUL Gv, Ev, imm with a register E operand at 32 or 64
 * bits (i.y = 1: immediate source). CF = OF = the product was truncated.
 */
export function imulR(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const e = i.rm << 1;
  const dst = i.reg << 1;
  const imm = i.y === 1;
  if (i.osz === 4) {
    const a = g[e] | 0;
    const b = imm ? i.imm | 0 : g[i.reg << 1] | 0;
    const lo = Math.imul(a, b);
    g[dst] = lo;
    g[dst + 1] = 0;
    c.alu.overlayFlags(CF_OF, a * b !== lo ? CF_OF : 0);
    return;
  }
  const aL = g[e] | 0;
  const aH = g[e + 1] | 0;
  const bL = imm ? i.imm | 0 : g[i.reg << 1] | 0;
  const bH = imm ? i.immHi | 0 : g[(i.reg << 1) + 1] | 0;
  let over: boolean;
  if (aH === aL >> 31 && bH === bL >> 31) {
    // Both sign-extended 32-bit values: the product fits in 64 bits.
    const lo = Math.imul(aL, bL);
    g[dst + 1] = Math.round((aL * bL - (lo >>> 0)) / 0x100000000);
    g[dst] = lo;
    over = false;
  } else if (bH === bL >> 31) {
    // 64 x sign-extended 32 (the immediate forms). Low 64 bits exactly from
    // 32-bit pieces; overflow from the double product where it is clear
    // (relative error below 2^-50), exactly otherwise.
    const aLu = aL >>> 0;
    const bLu = bL >>> 0;
    const lo = Math.imul(aL, bL);
    const mh = Math.round((aLu * bLu - (lo >>> 0)) / 0x100000000);
    g[dst] = lo;
    g[dst + 1] = mh + Math.imul(aL, bH) + Math.imul(aH, bL);
    const pd = Math.abs((aH * 0x100000000 + aLu) * bL);
    if (pd < 0x4000000000000000) over = false;
    else if (pd >= 0x10000000000000000) over = true;
    else {
      over = imul64Over(aL, aH, bL, bH);
      g[dst] = MUL_LO[0];
      g[dst + 1] = MUL_LO[1];
    }
  } else {
    over = imul64Over(aL, aH, bL, bH);
    g[dst] = MUL_LO[0];
    g[dst + 1] = MUL_LO[1];
  }
  c.alu.overlayFlags(CF_OF, over ? CF_OF : 0);
}

/** MOV Gv, Ev with a memory source: 32/64-bit TLB hits inline. */
export function movGMf(c: Cpu, i: Insn): void {
  const s = i.osz;
  if (s >= 4) {
    const lin = eaLin(c, i, s, 1);
    const o = lin & 0xfff;
    const x = (lin >>> 12) & TMASK;
    if (c.rTag[x] === lin - o) {
      const g = c.gpr;
      const r = i.reg << 1;
      if (s === 4) {
        if ((o & 3) === 0) {
          g[r] = c.rMem32[x][o >> 2];
          g[r + 1] = 0;
          return;
        }
      } else if ((o & 7) === 0) {
        const m = c.rMem32[x];
        g[r] = m[o >> 2];
        g[r + 1] = m[(o >> 2) + 1];
        return;
      }
    }
    const g = c.gpr;
    const r = i.reg << 1;
    if (s === 8) {
      g[r] = lr64(c, lin);
      g[r + 1] = c.hi;
    } else {
      g[r] = lr32(c, lin);
      g[r + 1] = 0;
    }
    return;
  }
  movGM(c, i);
}

/** MOV Ev, Gv with a memory destination: 32/64-bit TLB hits inline. */
export function movMGf(c: Cpu, i: Insn): void {
  const s = i.osz;
  if (s >= 4) {
    const lin = eaLin(c, i, s, 2);
    const o = lin & 0xfff;
    const x = (lin >>> 12) & TMASK;
    const g = c.gpr;
    const r = i.reg << 1;
    if (c.wTag[x] === lin - o) {
      if (s === 4) {
        if ((o & 3) === 0) {
          c.wMem32[x][o >> 2] = g[r];
          return;
        }
      } else if ((o & 7) === 0) {
        const m = c.wMem32[x];
        m[o >> 2] = g[r];
        m[(o >> 2) + 1] = g[r + 1];
        return;
      }
    }
    if (s === 8) lw64(c, lin, g[r], g[r + 1]);
    else lw32(c, lin, g[r]);
    return;
  }
  movMG(c, i);
}

/** LEA with a 32-bit result from a 32-bit address, or a 64-bit one from a 64-bit address (no RIP base). */
export function leaF(c: Cpu, i: Insn): void {
  const g = c.gpr;
  const s = i.osz;
  const r = i.reg << 1;
  if (i.eaMode === 2 && s === 4) {
    let a = g[i.base << 1] + i.disp;
    if (i.index >= 0) a += g[i.index << 1] << i.scale;
    g[r] = a;
    g[r + 1] = 0;
    return;
  }
  if (i.isMem !== 0 && i.addrSize === 64 && s === 8 && i.ripRel === 0) {
    // Exact 64-bit sum in 32-bit halves.
    const d = i.d64;
    let lo = d >>> 0;
    let hi = d < 0 ? 0xffffffff : 0;
    if (i.base >= 0) {
      const b = i.base << 1;
      const t = lo + g[b];
      lo = t >>> 0;
      hi = hi + g[b + 1] + (t > 0xffffffff ? 1 : 0);
    }
    if (i.index >= 0) {
      const sc = i.scale;
      const x = i.index << 1;
      const xlo = g[x];
      const xhi = g[x + 1];
      const slo = sc === 0 ? xlo : (xlo << sc) >>> 0;
      const shi = sc === 0 ? xhi : ((xhi << sc) | (xlo >>> (32 - sc))) >>> 0;
      const t = lo + slo;
      lo = t >>> 0;
      hi = hi + shi + (t > 0xffffffff ? 1 : 0);
    }
    g[r] = lo;
    g[r + 1] = hi;
    return;
  }
  lea(c, i);
}

/** MOVZX Gv, Eb with a register source and a 32/64-bit destination (else the general form). */
export function movzxR8(c: Cpu, i: Insn): void {
  if (i.isMem !== 0 || i.osz === 2) {
    movx(c, i);
    return;
  }
  const g = c.gpr;
  const e = i.rm8;
  const v = e < 16 ? g[e << 1] & 0xff : (g[(e - 16) << 1] >>> 8) & 0xff;
  const r = i.reg << 1;
  g[r] = v;
  g[r + 1] = 0;
}

/**
 * Jcc rel: ZF conditions on any lazy result and the unsigned conditions
 * after CMP/SUB are evaluated here from the ALU's recorded operands (the
 * rest through `Alu.cond`); a taken branch whose target fails the CS
 * limit / canonical check goes through the general handler, which faults.
 */
export function jccF(c: Cpu, i: Insn): void {
  const u = c.alu;
  const cc = i.cc;
  const k = u.kind;
  let taken: boolean;
  if ((cc & 0xe) === 4 && k !== K_EAGER) {
    const sz = u.size;
    const z = sz === 8
      ? ((u.res | 0) | (u.resH | 0)) === 0
      : sz === 4
      ? (u.res | 0) === 0
      : (u.res & (sz === 1 ? 0xff : 0xffff)) === 0;
    taken = (cc & 1) === 0 ? z : !z;
  } else if ((cc & 0xe) === 2 && k === K_SUB) {
    const a = u.a;
    const b = u.b;
    let below: boolean;
    if (u.size === 8) {
      const ah = u.aH;
      const bh = u.bH;
      below = ah < bh || (ah === bh && a < b);
    } else below = a < b;
    taken = (cc & 1) === 0 ? below : !below;
  } else taken = u.cond(cc);
  if (!taken) return;
  const t = c.rip + i.rel;
  const os = i.opSize;
  if (os === 64) {
    if (t < 0x800000000000 && t >= -0x800000000000) {
      c.rip = t;
      return;
    }
  } else {
    const v = os === 32 ? t >>> 0 : t & 0xffff;
    if (!c.is64 && v <= c.smax[1]) {
      c.rip = v;
      return;
    }
  }
  jcc(c, i);
}
