/**
 * The integer ALU of one vCPU with lazy arithmetic flags.
 *
 * Value conventions (the same for every method):
 * - `size` is the operand size in bytes: 1, 2, 4 or 8.
 * - Operands of 1, 2 and 4 bytes are plain unsigned numbers already
 *   truncated to their size (`0 <= v <= 0xff / 0xffff / 0xffffffff`); the
 *   `...Hi` arguments are then ignored (pass 0).
 * - 64-bit operands are given as unsigned 32-bit halves `lo`, `hi`.
 * - A method returns the low 32 bits of its result (the whole result below
 *   64 bits); for 64-bit operations the high half is left in {@link Alu.hi}.
 *   Extra outputs (the rDX half of MUL, quotient/remainder of DIV) go into
 *   other documented fields.
 * - No method allocates or uses BigInt.
 *
 * Flags are lazy: a flag-producing operation records its kind, size,
 * operands and result; {@link Alu.getFlags}, {@link Alu.cf} and
 * {@link Alu.cond} compute only what is asked for. Where the SDM leaves a
 * flag undefined, the ALU follows its vendor profile ({@link Alu.vendor},
 * `vendor_flags.ts`): by default the AMD CPU the hardware vectors were
 * recorded on (see `tools/alu-vectors/README.md`; the recording CPU is
 * named in the header of `tests/data/alu_vectors.txt`); a vCPU sets the
 * profile of its CPU model once, when it is created.
 *
 * @module
 */

import { AF, ARITH_FLAGS, CF, evalCond, MASK, OF, PARITY, SF, ZF } from "./flags.ts";
import * as shifts from "./shift.ts";
import * as muldiv from "./muldiv.ts";
import * as bits from "./bits.ts";
import * as decimal from "./decimal.ts";
import { AMD_ZEN, type VendorFlags } from "./vendor_flags.ts";

/** Lazy-state kind: all six flags are in `fx`. */
export const K_EAGER = 0;
/** Lazy-state kind: ADD/ADC, res = a + b (+ carry), unmasked. */
export const K_ADD = 1;
/** Lazy-state kind: SUB/CMP/NEG without borrow-in, res = a - b, unmasked. */
export const K_SUB = 2;
/** Lazy-state kind: SBB with borrow-in 1, res = a - b - 1. */
const K_SBB = 3;
/** Lazy-state kind: like K_ADD with b = 1, CF kept in fx. */
export const K_INC = 4;
/** Lazy-state kind: like K_SUB with b = 1, CF kept in fx. */
export const K_DEC = 5;
/** Lazy-state kind: ZF/SF/PF from res (masked); CF/AF/OF in fx. */
export const K_LOGIC = 6;

/** Bit index of the sign bit, by size (8 uses the high half, bit 31). */
const SIGN_BIT = new Int32Array([0, 7, 15, 0, 31, 0, 0, 0, 31]);
/** Left shift that moves a size-bit value's sign bit to bit 31 (for signed compares). */
const SIGN_SHL = new Int32Array([0, 24, 16, 0, 0, 0, 0, 0, 0]);

/**
 * The AF value AND/OR/XOR/TEST leave: undefined by the SDM, 0 on the
 * recording CPU and on every Intel core sandpile.org lists (so in every
 * profile, see vendor_flags.ts).
 */
const LOGIC_AF = 0;

/**
 * The ALU of one vCPU: arithmetic, logic, shifts, multiply/divide, bit
 * operations and BCD adjustment, with lazily evaluated status flags.
 */
export class Alu {
  /** High 32 bits of the last 64-bit result (set by every method that returns a 64-bit value). */
  hi = 0;
  /** One-operand MUL/IMUL: upper half of the product (AH, DX, EDX, or low 32 bits of RDX). */
  dx = 0;
  /** One-operand 64-bit MUL/IMUL: high 32 bits of RDX. */
  dxHi = 0;
  /** DIV/IDIV: quotient (low 32 bits for 64-bit). */
  quot = 0;
  /** DIV/IDIV 64-bit: high 32 bits of the quotient. */
  quotHi = 0;
  /** DIV/IDIV: remainder (low 32 bits for 64-bit). */
  rem = 0;
  /** DIV/IDIV 64-bit: high 32 bits of the remainder. */
  remHi = 0;

  // ---- lazy flag state: written directly only by the engine's fast handlers (hot_alu.ts) ----
  /** Lazy-state kind (K_EAGER, K_ADD, ...). */
  kind: number = K_EAGER;
  /** Operand size in bytes of the recorded operation. */
  size = 4;
  /** First operand (low half for 64-bit). */
  a = 0;
  /** Second operand (low half for 64-bit). */
  b = 0;
  /** Unmasked result (low half for 64-bit). */
  res = 0;
  /** First operand, high half (64-bit). */
  aH = 0;
  /** Second operand, high half (64-bit). */
  bH = 0;
  /** Unmasked result, high half (64-bit). */
  resH = 0;
  /** Eager flags (K_EAGER), CF (K_INC/K_DEC) or CF|AF|OF (K_LOGIC). */
  fx = 0;

  // ---- undefined-flag profile (vendor_flags.ts), fixed per vCPU ----
  /** The vendor profile of the flags the SDM leaves undefined. */
  vendor: VendorFlags = AMD_ZEN;
  /** AF a shift with a nonzero count sets (AF or 0; 0 also when it keeps AF). */
  shiftSetAf: number = AF;
  /** AF if shifts keep it, else 0. */
  shiftKeepAf = 0;
  /** OF if shifts and rotates by more than 1 keep it, else 0. */
  keepMultiOf = 0;

  /** Create an ALU following `vendor` where the SDM says undefined (default: the AMD recording). */
  constructor(vendor: VendorFlags = AMD_ZEN) {
    this.useVendorFlags(vendor);
  }

  /** Follow `vendor` from now on (a vCPU calls this once, from its CPU model). */
  useVendorFlags(vendor: VendorFlags): void {
    this.vendor = vendor;
    this.shiftSetAf = vendor.shiftAf === "set" ? AF : 0;
    this.shiftKeepAf = vendor.shiftAf === "keep" ? AF : 0;
    this.keepMultiOf = vendor.multiBitOf === "keep" ? OF : 0;
  }

  // =====================================================================
  // Flag access
  // =====================================================================

  /**
   * The six arithmetic flags as RFLAGS bits (CF 0, PF 2, AF 4, ZF 6, SF 7,
   * OF 11); all other bits are 0.
   */
  getFlags(): number {
    const k = this.kind;
    if (k === K_EAGER) return this.fx;
    const size = this.size;
    const res = this.res;
    let f = PARITY[res & 0xff];
    let hr: number;
    if (size !== 8) {
      hr = res;
      if ((res & MASK[size]) === 0) f |= ZF;
    } else {
      hr = this.resH;
      if (((res | 0) | (hr | 0)) === 0) f |= ZF;
    }
    const sb = SIGN_BIT[size];
    if (((hr >>> sb) & 1) !== 0) f |= SF;
    if (k === K_LOGIC) return f | this.fx;
    const a = this.a;
    const b = this.b;
    f |= (a ^ b ^ res) & AF;
    const ha = size === 8 ? this.aH : a;
    const hb = size === 8 ? this.bH : b;
    if (k === K_ADD || k === K_INC) {
      if ((((ha ^ hr) & (hb ^ hr)) >>> sb & 1) !== 0) f |= OF;
      if (k === K_INC) f |= this.fx & CF;
      else if (hr > MASK[size]) f |= CF;
    } else {
      if ((((ha ^ hb) & (ha ^ hr)) >>> sb & 1) !== 0) f |= OF;
      if (k === K_DEC) f |= this.fx & CF;
      else if (hr < 0) f |= CF;
    }
    return f;
  }

  /**
   * Replace the six arithmetic flags (POPF, SAHF, IRET, RSM, VM entry...).
   * Bits outside {@link ARITH_FLAGS} are ignored.
   */
  setFlags(bits: number): void {
    this.kind = K_EAGER;
    this.fx = bits & ARITH_FLAGS;
  }

  /** The carry flag as 0 or 1, computed cheaply from the lazy state. */
  cf(): number {
    switch (this.kind) {
      case K_ADD:
        return (this.size === 8 ? this.resH > 0xffffffff : this.res > MASK[this.size]) ? 1 : 0;
      case K_SUB:
      case K_SBB:
        return (this.size === 8 ? this.resH : this.res) < 0 ? 1 : 0;
      default:
        return this.fx & CF;
    }
  }

  /**
   * Evaluate condition code `cc` (0..15: O NO B AE E NE BE A S NS P NP L GE
   * LE G, the low nibble of Jcc/SETcc/CMOVcc), computing only what it needs.
   */
  cond(cc: number): boolean {
    const k = this.kind;
    if (k === K_SUB) return this.size !== 8 ? this.condCmp(cc) : this.condCmp64(cc);
    if (k !== K_EAGER) {
      switch (cc) {
        case 2:
          return this.cf() !== 0;
        case 3:
          return this.cf() === 0;
        case 4:
          return this.isZero();
        case 5:
          return !this.isZero();
        case 8:
          return this.isNeg();
        case 9:
          return !this.isNeg();
      }
    }
    return evalCond(this.getFlags(), cc);
  }

  /** Conditions after CMP/SUB/NEG (no borrow-in) below 64 bits: compare the operands directly. */
  private condCmp(cc: number): boolean {
    const a = this.a;
    const b = this.b;
    switch (cc) {
      case 2:
        return a < b;
      case 3:
        return a >= b;
      case 4:
        return a === b;
      case 5:
        return a !== b;
      case 6:
        return a <= b;
      case 7:
        return a > b;
      case 12:
        return (a << SIGN_SHL[this.size]) < (b << SIGN_SHL[this.size]);
      case 13:
        return (a << SIGN_SHL[this.size]) >= (b << SIGN_SHL[this.size]);
      case 14:
        return (a << SIGN_SHL[this.size]) <= (b << SIGN_SHL[this.size]);
      case 15:
        return (a << SIGN_SHL[this.size]) > (b << SIGN_SHL[this.size]);
    }
    return evalCond(this.getFlags(), cc);
  }

  /** Conditions after a 64-bit CMP/SUB/NEG without borrow-in. */
  private condCmp64(cc: number): boolean {
    const a = this.a;
    const b = this.b;
    const ah = this.aH;
    const bh = this.bH;
    switch (cc) {
      case 2:
        return ah < bh || (ah === bh && a < b);
      case 3:
        return ah > bh || (ah === bh && a >= b);
      case 4:
        return a === b && ah === bh;
      case 5:
        return a !== b || ah !== bh;
      case 6:
        return ah < bh || (ah === bh && a <= b);
      case 7:
        return ah > bh || (ah === bh && a > b);
      case 12:
        return (ah | 0) < (bh | 0) || (ah === bh && a < b);
      case 13:
        return (ah | 0) > (bh | 0) || (ah === bh && a >= b);
      case 14:
        return (ah | 0) < (bh | 0) || (ah === bh && a <= b);
      case 15:
        return (ah | 0) > (bh | 0) || (ah === bh && a > b);
    }
    return evalCond(this.getFlags(), cc);
  }

  /** ZF of the lazy result (kind != K_EAGER). */
  private isZero(): boolean {
    const res = this.res;
    return this.size !== 8 ? (res & MASK[this.size]) === 0 : ((res | 0) | (this.resH | 0)) === 0;
  }

  /** SF of the lazy result (kind != K_EAGER). */
  private isNeg(): boolean {
    const size = this.size;
    return (((size === 8 ? this.resH : this.res) >>> SIGN_BIT[size]) & 1) !== 0;
  }

  /**
   * The current flags ANDed with `mask`, computed from the lazy state
   * without materializing the others when `mask` is AF alone.
   */
  kept(mask: number): number {
    const k = this.kind;
    if (k === K_EAGER || k === K_LOGIC) return this.fx & mask;
    if (mask === AF) return (this.a ^ this.b ^ this.res) & AF;
    return this.getFlags() & mask;
  }

  /**
   * CF|AF|OF of a shift (SHL SHR SAR SHLD SHRD) by the nonzero masked
   * count `n`, given its CF and the OF of the count-1 formula: AF and, for
   * n > 1, OF as the vendor profile says (set, clear, or kept from the
   * current flags). Call it before recording the shift's result.
   */
  shiftFlags(cf: number, of: number, n: number): number {
    const keep = this.shiftKeepAf | (n > 1 ? this.keepMultiOf : 0);
    const f = cf | this.shiftSetAf | (of & ~keep);
    return keep === 0 ? f : f | this.kept(keep);
  }

  // =====================================================================
  // Recording helpers for the other ALU modules (not for the engine)
  // =====================================================================

  /**
   * Replace some of CF, AF, OF (`mask`, a subset of CF|AF|OF) by `bits`,
   * keeping every other flag, without materializing ZF/SF/PF: they stay
   * lazy on the previous result (MUL/IMUL, rotates, BT). Internal to the
   * ALU modules.
   */
  overlayFlags(mask: number, bits: number): void {
    const k = this.kind;
    if (k === K_EAGER || k === K_LOGIC) {
      this.fx = (this.fx & ~mask) | bits;
      return;
    }
    // Arithmetic kinds: freeze the kept CF/AF/OF, leave ZF/SF/PF on the
    // (possibly unmasked) result, which K_LOGIC reads the same way.
    const keep = mask === (CF | OF)
      ? (this.a ^ this.b ^ this.res) & AF
      : this.getFlags() & (CF | AF | OF) & ~mask;
    this.fx = keep | bits;
    this.kind = K_LOGIC;
  }

  /**
   * Flags of MUL/IMUL: CF = OF = `over`; SF, ZF, AF, PF unchanged or, if
   * the vendor profile says so, SF/ZF/PF of the low half `lo`/`hi` (the
   * destination; `hi` only for size 8) with AF = 0. Internal to the ALU
   * modules.
   */
  mulFlags(size: number, lo: number, hi: number, over: boolean): void {
    if (this.vendor.mulFlags === "keep") this.overlayFlags(CF | OF, over ? CF | OF : 0);
    else this.setResult(size, lo, size === 8 ? hi : 0, over ? CF | OF : 0);
  }

  /**
   * Record a result whose ZF/SF/PF follow from the value and whose CF, AF and
   * OF are given in `cfAfOf` (used by logic ops, shifts, bit counts).
   * Internal to the ALU modules.
   */
  setResult(size: number, lo: number, hi: number, cfAfOf: number): void {
    this.kind = K_LOGIC;
    this.size = size;
    this.res = lo;
    this.resH = hi;
    this.fx = cfAfOf;
  }

  // =====================================================================
  // ADD ADC SUB SBB CMP NEG INC DEC
  // =====================================================================

  /** ADD: returns a + b; sets all six flags. */
  add(size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
    return this.addCarry(size, aLo, aHi, bLo, bHi, 0);
  }

  /** ADC: returns a + b + CF; sets all six flags. */
  adc(size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
    return this.addCarry(size, aLo, aHi, bLo, bHi, this.cf());
  }

  /** a + b + carry (0 or 1), recorded as an ADD for the lazy flags. */
  private addCarry(
    size: number,
    aLo: number,
    aHi: number,
    bLo: number,
    bHi: number,
    carry: number,
  ): number {
    const s = aLo + bLo + carry;
    this.kind = K_ADD;
    this.size = size;
    this.a = aLo;
    this.b = bLo;
    this.res = s;
    if (size === 4) return s >>> 0;
    if (size !== 8) return s & MASK[size];
    const h = aHi + bHi + (s > 0xffffffff ? 1 : 0);
    this.aH = aHi;
    this.bH = bHi;
    this.resH = h;
    this.hi = h >>> 0;
    return s >>> 0;
  }

  /** SUB: returns a - b; sets all six flags. */
  sub(size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
    const s = aLo - bLo;
    this.kind = K_SUB;
    this.size = size;
    this.a = aLo;
    this.b = bLo;
    this.res = s;
    if (size === 4) return s >>> 0;
    if (size !== 8) return s & MASK[size];
    const h = aHi - bHi - (s < 0 ? 1 : 0);
    this.aH = aHi;
    this.bH = bHi;
    this.resH = h;
    this.hi = h >>> 0;
    return s >>> 0;
  }

  /** CMP: sets flags as SUB a - b; returns nothing (the engine writes no result). */
  cmp(size: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
    this.kind = K_SUB;
    this.size = size;
    this.a = aLo;
    this.b = bLo;
    const s = aLo - bLo;
    this.res = s;
    if (size === 8) {
      this.aH = aHi;
      this.bH = bHi;
      this.resH = aHi - bHi - (s < 0 ? 1 : 0);
    }
  }

  /** SBB: returns a - b - CF; sets all six flags. */
  sbb(size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
    const c = this.cf();
    const s = aLo - bLo - c;
    this.kind = c !== 0 ? K_SBB : K_SUB;
    this.size = size;
    this.a = aLo;
    this.b = bLo;
    this.res = s;
    if (size === 4) return s >>> 0;
    if (size !== 8) return s & MASK[size];
    const h = aHi - bHi - (s < 0 ? 1 : 0);
    this.aH = aHi;
    this.bH = bHi;
    this.resH = h;
    this.hi = h >>> 0;
    return s >>> 0;
  }

  /** NEG: returns 0 - a; CF = (a != 0), other flags as SUB 0 - a. */
  neg(size: number, aLo: number, aHi: number): number {
    return this.sub(size, 0, 0, aLo, aHi);
  }

  /** INC: returns a + 1; CF unchanged, other flags as ADD. */
  inc(size: number, aLo: number, aHi: number): number {
    const c = this.cf();
    const s = aLo + 1;
    this.kind = K_INC;
    this.fx = c;
    this.size = size;
    this.a = aLo;
    this.b = 1;
    this.res = s;
    if (size === 4) return s >>> 0;
    if (size !== 8) return s & MASK[size];
    const h = aHi + (s > 0xffffffff ? 1 : 0);
    this.aH = aHi;
    this.bH = 0;
    this.resH = h;
    this.hi = h >>> 0;
    return s >>> 0;
  }

  /** DEC: returns a - 1; CF unchanged, other flags as SUB. */
  dec(size: number, aLo: number, aHi: number): number {
    const c = this.cf();
    const s = aLo - 1;
    this.kind = K_DEC;
    this.fx = c;
    this.size = size;
    this.a = aLo;
    this.b = 1;
    this.res = s;
    if (size === 4) return s >>> 0;
    if (size !== 8) return s & MASK[size];
    const h = aHi - (s < 0 ? 1 : 0);
    this.aH = aHi;
    this.bH = 0;
    this.resH = h;
    this.hi = h >>> 0;
    return s >>> 0;
  }

  // =====================================================================
  // AND OR XOR TEST NOT
  // =====================================================================

  /** AND: returns a & b; CF = OF = 0, AF = 0 (undefined; 0 in every profile). */
  and(size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
    const r = (aLo & bLo) >>> 0;
    this.kind = K_LOGIC;
    this.fx = LOGIC_AF;
    this.size = size;
    this.res = r;
    if (size === 8) this.hi = this.resH = (aHi & bHi) >>> 0;
    return r;
  }

  /** OR: returns a | b; CF = OF = 0, AF = 0 (undefined; 0 in every profile). */
  or(size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
    const r = (aLo | bLo) >>> 0;
    this.kind = K_LOGIC;
    this.fx = LOGIC_AF;
    this.size = size;
    this.res = r;
    if (size === 8) this.hi = this.resH = (aHi | bHi) >>> 0;
    return r;
  }

  /** XOR: returns a ^ b; CF = OF = 0, AF = 0 (undefined; 0 in every profile). */
  xor(size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
    const r = (aLo ^ bLo) >>> 0;
    this.kind = K_LOGIC;
    this.fx = LOGIC_AF;
    this.size = size;
    this.res = r;
    if (size === 8) this.hi = this.resH = (aHi ^ bHi) >>> 0;
    return r;
  }

  /** TEST: sets flags as AND; returns nothing. */
  test(size: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
    this.kind = K_LOGIC;
    this.fx = LOGIC_AF;
    this.size = size;
    this.res = (aLo & bLo) >>> 0;
    if (size === 8) this.resH = (aHi & bHi) >>> 0;
  }

  /** NOT: returns ~a; flags unchanged. */
  not(size: number, aLo: number, aHi: number): number {
    if (size === 8) {
      this.hi = ~aHi >>> 0;
      return ~aLo >>> 0;
    }
    return (~aLo & MASK[size]) >>> 0;
  }

  // =====================================================================
  // Multiply and divide (muldiv.ts)
  // =====================================================================

  /**
   * One-operand MUL: unsigned a * b (a is AL/AX/EAX/RAX). Returns the low
   * half (AL/AX/EAX/low 32 of RAX; high 32 of RAX in {@link Alu.hi}); the
   * upper half goes to {@link Alu.dx} / {@link Alu.dxHi} (AH/DX/EDX/RDX).
   * CF = OF = (upper half != 0); SF/ZF/AF/PF as the vendor profile says.
   */
  mul(size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
    return muldiv.mul(this, size, aLo, aHi, bLo, bHi, false);
  }

  /**
   * One-operand IMUL: signed a * b, outputs as {@link Alu.mul}. CF = OF =
   * (the product does not fit the low half sign-extended).
   */
  imul1(size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
    return muldiv.mul(this, size, aLo, aHi, bLo, bHi, true);
  }

  /**
   * Two/three-operand IMUL: the signed product truncated to `size` (high 32
   * bits in {@link Alu.hi} for 64-bit). CF = OF = (truncation changed the value).
   */
  imul(size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
    if (size === 4) {
      // The double product is exact whenever it fits in 53 bits, and when it
      // does not it cannot equal the 32-bit truncation: so this is OF.
      const lo = Math.imul(aLo, bLo);
      this.mulFlags(4, lo >>> 0, 0, (aLo | 0) * (bLo | 0) !== lo);
      return lo >>> 0;
    }
    if (size === 8 && (aHi | 0) === (aLo | 0) >> 31 && (bHi | 0) === (bLo | 0) >> 31) {
      // Both operands are sign-extended 32-bit values: the product fits in 64
      // bits (no overflow); its high half is recovered as in the 32-bit MUL.
      const lo = Math.imul(aLo, bLo) >>> 0;
      this.hi = Math.round(((aLo | 0) * (bLo | 0) - lo) / 0x100000000) >>> 0;
      this.mulFlags(8, lo, this.hi, false);
      return lo;
    }
    return muldiv.imul(this, size, aLo, aHi, bLo, bHi);
  }

  /**
   * DIV: unsigned (d:a) / s where `a` is AL/AX/EAX/RAX and `d` is
   * AH/DX/EDX/RDX (each `size` wide). Returns 0 on success with the quotient
   * in {@link Alu.quot}/{@link Alu.quotHi} and the remainder in
   * {@link Alu.rem}/{@link Alu.remHi}; returns 1 if the engine must raise
   * #DE (divisor 0 or quotient too large), leaving registers and flags alone.
   * Flags after a successful divide are as the vendor profile says.
   */
  div(
    size: number,
    aLo: number,
    aHi: number,
    dLo: number,
    dHi: number,
    sLo: number,
    sHi: number,
  ): number {
    return muldiv.div(this, size, aLo, aHi, dLo, dHi, sLo, sHi, false);
  }

  /** IDIV: signed version of {@link Alu.div}; same outputs, 1 = raise #DE. */
  idiv(
    size: number,
    aLo: number,
    aHi: number,
    dLo: number,
    dHi: number,
    sLo: number,
    sHi: number,
  ): number {
    return muldiv.div(this, size, aLo, aHi, dLo, dHi, sLo, sHi, true);
  }

  // =====================================================================
  // Shifts and rotates (shift.ts). `count` is the raw count (CL or imm8);
  // it is masked here (5 bits, 6 for 64-bit). A masked count of 0 leaves
  // all flags unchanged and returns the operand.
  // =====================================================================

  /** SHL/SAL. */
  shl(size: number, aLo: number, aHi: number, count: number): number {
    return shifts.shl(this, size, aLo, aHi, count);
  }

  /** SHR. */
  shr(size: number, aLo: number, aHi: number, count: number): number {
    return shifts.shr(this, size, aLo, aHi, count);
  }

  /** SAR. */
  sar(size: number, aLo: number, aHi: number, count: number): number {
    return shifts.sar(this, size, aLo, aHi, count);
  }

  /** ROL (only CF and OF change). */
  rol(size: number, aLo: number, aHi: number, count: number): number {
    return shifts.rol(this, size, aLo, aHi, count);
  }

  /** ROR (only CF and OF change). */
  ror(size: number, aLo: number, aHi: number, count: number): number {
    return shifts.ror(this, size, aLo, aHi, count);
  }

  /** RCL: rotate through CF; the masked count is taken mod 9 / 17 for 8 / 16-bit. */
  rcl(size: number, aLo: number, aHi: number, count: number): number {
    return shifts.rcl(this, size, aLo, aHi, count);
  }

  /** RCR: rotate through CF; the masked count is taken mod 9 / 17 for 8 / 16-bit. */
  rcr(size: number, aLo: number, aHi: number, count: number): number {
    return shifts.rcr(this, size, aLo, aHi, count);
  }

  /** SHLD dst, src, count: dst shifted left, filled from the top of src (size 2, 4, 8). */
  shld(
    size: number,
    aLo: number,
    aHi: number,
    bLo: number,
    bHi: number,
    count: number,
  ): number {
    return shifts.shld(this, size, aLo, aHi, bLo, bHi, count);
  }

  /** SHRD dst, src, count: dst shifted right, filled from the bottom of src (size 2, 4, 8). */
  shrd(
    size: number,
    aLo: number,
    aHi: number,
    bLo: number,
    bHi: number,
    count: number,
  ): number {
    return shifts.shrd(this, size, aLo, aHi, bLo, bHi, count);
  }

  // =====================================================================
  // Bit operations (bits.ts)
  // =====================================================================

  /** BT (register/value form): CF = bit (`bit` mod operand width) of a. */
  bt(size: number, aLo: number, aHi: number, bit: number): void {
    bits.bt(this, size, aLo, aHi, bit);
  }

  /** BTS: CF = old bit, returns a with the bit set. */
  bts(size: number, aLo: number, aHi: number, bit: number): number {
    return bits.btx(this, size, aLo, aHi, bit, 1);
  }

  /** BTR: CF = old bit, returns a with the bit cleared. */
  btr(size: number, aLo: number, aHi: number, bit: number): number {
    return bits.btx(this, size, aLo, aHi, bit, 2);
  }

  /** BTC: CF = old bit, returns a with the bit complemented. */
  btc(size: number, aLo: number, aHi: number, bit: number): number {
    return bits.btx(this, size, aLo, aHi, bit, 3);
  }

  /**
   * BSF: index of the lowest set bit, ZF = 0. If the source is zero returns
   * -1 and sets ZF = 1: the engine must then leave the destination register
   * entirely unchanged (no zero-extension of a 32-bit destination).
   */
  bsf(size: number, aLo: number, aHi: number): number {
    return bits.bsf(this, size, aLo, aHi);
  }

  /** BSR: index of the highest set bit; -1 on zero source, as {@link Alu.bsf}. */
  bsr(size: number, aLo: number, aHi: number): number {
    return bits.bsr(this, size, aLo, aHi);
  }

  /** TZCNT: trailing zero count (operand width if zero); CF = (src == 0), ZF = (result == 0). */
  tzcnt(size: number, aLo: number, aHi: number): number {
    return bits.tzcnt(this, size, aLo, aHi);
  }

  /** LZCNT: leading zero count (operand width if zero); CF = (src == 0), ZF = (result == 0). */
  lzcnt(size: number, aLo: number, aHi: number): number {
    return bits.lzcnt(this, size, aLo, aHi);
  }

  /** POPCNT: number of set bits; ZF = (src == 0), CF/OF/SF/AF/PF = 0. */
  popcnt(size: number, aLo: number, aHi: number): number {
    return bits.popcnt(this, size, aLo, aHi);
  }

  /** BSWAP (size 4 or 8; size 2 gives what the recording CPU gives, in every profile). Flags unchanged. */
  bswap(size: number, aLo: number, aHi: number): number {
    return bits.bswap(this, size, aLo, aHi);
  }

  // =====================================================================
  // BCD adjustment (decimal.ts), legacy modes only (#UD in 64-bit mode is
  // the engine's business). They read AF/CF from the current flags.
  // =====================================================================

  /** DAA: returns the adjusted AL. */
  daa(al: number): number {
    return decimal.daa(this, al);
  }

  /** DAS: returns the adjusted AL. */
  das(al: number): number {
    return decimal.das(this, al);
  }

  /** AAA: takes AX, returns the adjusted AX. */
  aaa(ax: number): number {
    return decimal.aaa(this, ax);
  }

  /** AAS: takes AX, returns the adjusted AX. */
  aas(ax: number): number {
    return decimal.aas(this, ax);
  }

  /** AAM imm8: takes AL, returns the new AX, or -1 if imm8 is 0 (the engine raises #DE). */
  aam(al: number, imm: number): number {
    return decimal.aam(this, al, imm);
  }

  /** AAD imm8: takes AX, returns the new AX (AH = 0). */
  aad(ax: number, imm: number): number {
    return decimal.aad(this, ax, imm);
  }
}
