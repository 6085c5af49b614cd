/**
 * The x86 instruction decoder. {@link decode} and {@link decodeBytes} fill a
 * reusable {@link DecodedInsn}; the work is table-driven (see `tables.ts`)
 * with hand-written cases for the irregular opcodes (`special.ts`).
 *
 * Decoding outcomes are values: `Op.INVALID` (#UD), `Op.TOO_LONG` (#GP(0),
 * SDM Vol. 2 2.3.11: an instruction may not exceed 15 bytes) and
 * `Op.TRUNCATED` (the caller's bytes ended). A fetch callback may throw a
 * guest fault (#PF on a code fetch); the decoder itself never throws.
 *
 * @module
 */
import {
  F_ACC,
  F_D64,
  F_F64,
  F_FIXED,
  F_GROUP,
  F_I64,
  F_IMM,
  F_MEMONLY,
  F_MODRM,
  F_NO66,
  F_REGOP,
  F_SPECIAL,
  F_VALID,
  FLAGS,
  GROUP_FLAGS,
  GROUP_OPS,
  I_AP,
  I_IBS,
  I_IBU,
  I_IV,
  I_IWIB,
  I_IWU,
  I_IZ,
  I_JB,
  I_JZ,
  I_MOFFS,
  I_ONE,
  LOCKABLE,
  OPS,
  PREFIX,
  PREFIX_SEG,
  SEG2,
} from "./tables.ts";
import { type CodeFetch, type DecodedInsn, type DecodeMode, Op } from "./types.ts";
import { decodeSpecial } from "./special.ts";
import { sseDefined } from "./sse.ts";
import { x87Defined } from "./x87.ts";

const EMPTY = new Uint8Array(0);

// ---- byte-source state (module level: no allocation per decode) ----
let srcBytes: Uint8Array = EMPTY;
let srcBase = 0;
let srcAvail = 0;
let srcMore: CodeFetch | null = null;
/** Offset of the next byte to read, relative to the instruction start. */
let pos = 0;
/** Error bits: 1 = past 15 bytes, 2 = truncated. */
let err = 0;

/** Read the next code byte (0 after the 15-byte limit or when truncated). */
export function rd(): number {
  const i = pos++;
  if (i < srcAvail) return srcBytes[srcBase + i];
  return rdSlow(i);
}

function rdSlow(i: number): number {
  if (i >= 15) {
    err |= 1;
    return 0;
  }
  if (srcMore === null) {
    err |= 2;
    return 0;
  }
  return srcMore(i) & 0xff;
}

/**
 * Decode one instruction whose bytes come from `fetch` (offset from the
 * instruction start), for the given mode, into `out` (every field is
 * overwritten). Returns `out.len`.
 */
export function decode(fetch: CodeFetch, mode: DecodeMode, out: DecodedInsn): number {
  srcBytes = EMPTY;
  srcBase = 0;
  srcAvail = 0;
  srcMore = fetch;
  return decodeCore(mode, out);
}

/**
 * Decode one instruction from `bytes` at `offset`. Bytes beyond the end of
 * `bytes` come from `more(i)` (i = offset from the instruction start) if
 * given, else the result is {@link Op.TRUNCATED}. Returns `out.len`.
 */
export function decodeBytes(
  bytes: Uint8Array,
  offset: number,
  mode: DecodeMode,
  out: DecodedInsn,
  more?: CodeFetch,
): number {
  // Pointer stores into module state cost a write barrier: skip them when unchanged.
  if (srcBytes !== bytes) srcBytes = bytes;
  srcBase = offset;
  const n = bytes.length - offset;
  srcAvail = n < 0 ? 0 : n > 15 ? 15 : n;
  const m = more ?? null;
  if (srcMore !== m) srcMore = m;
  return decodeCore(mode, out);
}

function decodeCore(mode: DecodeMode, o: DecodedInsn): number {
  pos = 0;
  err = 0;
  // ---- prefixes ----
  let seg = -1, lock = 0, rep = 0, p66 = 0, p67 = 0, rex = 0;
  let b = rd();
  for (;;) {
    const k = PREFIX[b];
    if (k === 0 || (k === 7 && mode !== 64)) break;
    if (k === 7) rex = b;
    else {
      rex = 0; // REX counts only immediately before the opcode
      if (k === 1) {
        // 64-bit mode ignores ES/CS/SS/DS overrides: they do not displace an FS/GS one
        const s = PREFIX_SEG[b];
        if (mode !== 64 || s >= 4 || seg < 4) seg = s;
      } else if (k === 2) p66 = 1;
      else if (k === 3) p67 = 1;
      else if (k === 4) lock = 1;
      else rep = k === 6 ? 1 : 2;
    }
    b = rd();
    if (err !== 0) break;
  }
  o.mode = mode;
  o.segOverride = seg;
  o.lock = lock;
  o.rep = rep;
  o.p66 = p66;
  o.p67 = p67;
  o.rex = rex;
  o.addrSize = mode === 64 ? (p67 ? 32 : 64) : mode === 32 ? (p67 ? 16 : 32) : (p67 ? 32 : 16);
  o.hasModrm = 0;
  o.mod = 3;
  o.reg = 0;
  o.rm = 0;
  o.isMem = 0;
  o.base = -1;
  o.index = -1;
  o.scale = 0;
  o.disp = 0;
  o.dispHi = 0;
  o.ripRel = 0;
  o.defaultSeg = 3;
  o.imm = 0;
  o.immHi = 0;
  o.imm2 = 0;
  o.rel = 0;
  o.map = 0;

  // ---- opcode ----
  let idx = b;
  if (b === 0x0f) {
    b = rd();
    idx = 0x100 | b;
    o.map = 1;
  }
  o.opcode = b;
  o.cc = b & 15;
  o.seg2 = SEG2[idx];
  let fl = FLAGS[idx];
  let op = OPS[idx];
  if (err !== 0) return finishErr(o);
  if ((fl & F_VALID) === 0 || ((fl & F_I64) !== 0 && mode === 64)) return invalid(o);
  if ((fl & F_SPECIAL) !== 0) {
    const r = decodeSpecial(o, idx, mode);
    if (r < 0) return invalid(o);
    fl = r;
    op = o.op;
  } else if ((fl & F_MODRM) !== 0) {
    modrm(o, mode);
    // MMX/SSE rows (op ids, not group numbers): is this prefix/operand combination defined?
    if (
      op === Op.SSE && (fl & F_GROUP) === 0 && !sseDefined(o, rep === 1 ? 2 : rep === 2 ? 3 : p66)
    ) {
      return invalid(o);
    }
    if (op === Op.X87 && (fl & F_GROUP) === 0 && !x87Defined(o)) return invalid(o);
  } else if (op === Op.SSE && (rep !== 0 || p66 !== 0)) {
    return invalid(o); // EMMS (0F 77, no ModRM) is defined without 66/F2/F3 only
  }
  if ((fl & F_GROUP) !== 0) {
    const g = op * 8 + (o.reg & 7);
    op = GROUP_OPS[g];
    fl |= GROUP_FLAGS[g];
    if (op === Op.INVALID) return invalid(o);
  }
  if ((fl & F_MEMONLY) !== 0 && o.isMem === 0) return invalid(o);
  if ((fl & F_REGOP) !== 0) {
    o.rm = (b & 7) | ((rex & 1) << 3);
  }
  if ((fl & F_ACC) !== 0) o.rm = 0;

  // ---- operand size ----
  let os: number;
  if ((fl & F_FIXED) !== 0) os = mode === 64 ? 64 : 32;
  else if ((fl & F_NO66) !== 0) os = (rex & 8) !== 0 ? 64 : 32;
  else if (mode === 64) {
    os = (fl & F_F64) !== 0 || (rex & 8) !== 0 ? 64 : p66 ? 16 : (fl & F_D64) !== 0 ? 64 : 32;
  } else os = p66 ? 48 - mode : mode;
  o.opSize = os;

  // ---- immediates ----
  const ik = fl & F_IMM;
  if (ik !== 0) immediate(o, ik, os);
  if (err !== 0) return finishErr(o);

  // ---- LOCK (SDM Vol. 2 "LOCK": #UD unless a lockable op with a memory destination) ----
  if (lock !== 0 && (LOCKABLE[op] === 0 || o.isMem === 0)) return invalid(o);

  o.op = op;
  // derived fields (inline: locals instead of reloading from `o`)
  const reg = o.reg, rm = o.rm;
  o.reg8 = rex !== 0 || reg < 4 || reg > 7 ? reg : reg + 12;
  o.rm8 = rex !== 0 || rm < 4 || rm > 7 ? rm : rm + 12;
  o.seg = seg < 0 || (mode === 64 && seg < 4) ? o.defaultSeg : seg;
  return (o.len = pos);
}

function finishErr(o: DecodedInsn): number {
  if ((err & 1) !== 0) {
    o.op = Op.TOO_LONG;
    o.len = 15;
  } else {
    o.op = Op.TRUNCATED;
    o.len = pos;
  }
  finish2(o);
  return o.len;
}

function finish2(o: DecodedInsn): void {
  o.reg8 = o.reg;
  o.rm8 = o.rm;
  o.seg = 3;
}

/**
 * Mark the instruction #UD. The bytes of an undefined instruction are not
 * architecturally delimited; if the 15-byte limit was hit first, #GP wins.
 */
function invalid(o: DecodedInsn): number {
  if (err !== 0) return finishErr(o);
  o.op = Op.INVALID;
  o.len = pos;
  finish2(o);
  return o.len;
}

/** Decode ModRM (and SIB/displacement) into `o`. */
export function modrm(o: DecodedInsn, mode: number): void {
  modrmByte(o, mode, rd());
}

/** Decode an already-fetched ModRM byte `m` (and its SIB/displacement) into `o`. */
export function modrmByte(o: DecodedInsn, mode: number, m: number): void {
  const mod = m >> 6;
  const rex = o.rex;
  o.hasModrm = 1;
  o.mod = mod;
  o.reg = ((m >> 3) & 7) | ((rex & 4) << 1);
  const rm = m & 7;
  if (mod === 3) {
    o.rm = rm | ((rex & 1) << 3);
    return;
  }
  o.isMem = 1;
  if (o.addrSize === 16) {
    modrm16(o, mod, rm);
    return;
  }
  let base: number;
  if (rm === 4) {
    const sib = rd();
    const ix = ((sib >> 3) & 7) | ((rex & 2) << 2);
    if (ix === 4) o.index = -1; // no index: the scale is meaningless, report 0
    else {
      o.index = ix;
      o.scale = sib >> 6;
    }
    const bs = sib & 7;
    base = bs === 5 && mod === 0 ? -1 : bs | ((rex & 1) << 3);
    if (base < 0) {
      dispN(o, 4);
      o.base = -1;
      return;
    }
  } else if (rm === 5 && mod === 0) {
    dispN(o, 4);
    o.base = -1;
    if (mode === 64) o.ripRel = 1;
    return;
  } else base = rm | ((rex & 1) << 3);
  o.base = base;
  if (base === 4 || base === 5) o.defaultSeg = 2;
  if (mod === 1) dispN(o, 1);
  else if (mod === 2) dispN(o, 4);
}

// 16-bit addressing (SDM Vol. 2 Table 2-1): base, index per rm ([SI], [DI] count as bases).
const RM16_BASE = new Int8Array([3, 3, 5, 5, 6, 7, 5, 3]);
const RM16_INDEX = new Int8Array([6, 7, 6, 7, -1, -1, -1, -1]);

function modrm16(o: DecodedInsn, mod: number, rm: number): void {
  if (mod === 0 && rm === 6) {
    dispN(o, 2);
    return;
  }
  const base = RM16_BASE[rm];
  o.base = base;
  o.index = RM16_INDEX[rm];
  if (base === 5) o.defaultSeg = 2;
  if (mod === 1) dispN(o, 1);
  else if (mod === 2) dispN(o, 2);
}

function dispN(o: DecodedInsn, n: number): void {
  let d: number;
  if (n === 1) d = (rd() << 24) >> 24;
  else if (n === 2) {
    const lo = rd();
    d = ((rd() << 24) >> 16) | lo;
  } else d = rd32() | 0;
  o.disp = d;
  o.dispHi = d < 0 ? 0xffffffff : 0;
}

function rd32(): number {
  const a = rd();
  const b = rd();
  const c = rd();
  return (a | (b << 8) | (c << 16) | (rd() << 24)) >>> 0;
}

function rd16(): number {
  const a = rd();
  return a | (rd() << 8);
}

function immediate(o: DecodedInsn, ik: number, os: number): void {
  let v: number;
  switch (ik) {
    case I_IBS:
      v = (rd() << 24) >> 24;
      o.imm = v >>> 0;
      o.immHi = v < 0 ? 0xffffffff : 0;
      return;
    case I_IBU:
      o.imm = rd();
      return;
    case I_IWU:
      o.imm = rd16();
      return;
    case I_IZ:
      v = os === 16 ? (rd16() << 16) >> 16 : rd32() | 0;
      o.imm = v >>> 0;
      o.immHi = v < 0 ? 0xffffffff : 0;
      return;
    case I_IV:
      if (os === 16) o.imm = rd16();
      else {
        o.imm = rd32();
        if (os === 64) o.immHi = rd32();
      }
      return;
    case I_AP:
      o.imm = os === 16 ? rd16() : rd32();
      o.imm2 = rd16();
      return;
    case I_MOFFS: {
      o.isMem = 1;
      o.mod = 0;
      const as = o.addrSize;
      if (as === 16) o.disp = rd16();
      else {
        o.disp = rd32() | 0;
        o.dispHi = as === 64 ? rd32() : o.disp < 0 ? 0xffffffff : 0;
      }
      return;
    }
    case I_JB:
      o.rel = (rd() << 24) >> 24;
      return;
    case I_JZ:
      o.rel = os === 16 ? (rd16() << 16) >> 16 : rd32() | 0;
      return;
    case I_IWIB:
      o.imm = rd16();
      o.imm2 = rd();
      return;
    case I_ONE:
      o.imm = 1;
      return;
  }
}
