/**
 * Arithmetic flag bits of RFLAGS, the parity table, and the condition-code
 * evaluator over materialized flags.
 *
 * @module
 */

/** Carry flag (RFLAGS bit 0). */
export const CF = 0x001;
/** Parity flag (bit 2): set if the low byte of the result has an even number of 1 bits. */
export const PF = 0x004;
/** Auxiliary carry flag (bit 4): carry/borrow out of bit 3. */
export const AF = 0x010;
/** Zero flag (bit 6). */
export const ZF = 0x040;
/** Sign flag (bit 7). */
export const SF = 0x080;
/** Overflow flag (bit 11). */
export const OF = 0x800;
/** All six arithmetic status flags that the ALU owns. */
export const ARITH_FLAGS = 0x8d5;

/** `PARITY[b]` is `PF` (4) if byte `b` has an even number of set bits, else 0. */
export const PARITY: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let n = 0;
    for (let v = i; v !== 0; v >>= 1) n += v & 1;
    t[i] = (n & 1) === 0 ? PF : 0;
  }
  return t;
})();

/** Unsigned mask of an operand of `size` bytes (index 1, 2, 4; 8 gives the low-half mask). */
export const MASK: Float64Array = (() => {
  const m = new Float64Array(9);
  m[1] = 0xff;
  m[2] = 0xffff;
  m[4] = 0xffffffff;
  m[8] = 0xffffffff;
  return m;
})();

/**
 * Evaluate condition code `cc` (0..15, the low nibble of Jcc/SETcc/CMOVcc
 * opcodes: O NO B AE E NE BE A S NS P NP L GE LE G) over materialized flags.
 */
export function evalCond(flags: number, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0:
      r = (flags & OF) !== 0;
      break;
    case 1:
      r = (flags & CF) !== 0;
      break;
    case 2:
      r = (flags & ZF) !== 0;
      break;
    case 3:
      r = (flags & (CF | ZF)) !== 0;
      break;
    case 4:
      r = (flags & SF) !== 0;
      break;
    case 5:
      r = (flags & PF) !== 0;
      break;
    case 6:
      r = ((flags >> 7) & 1) !== ((flags >> 11) & 1);
      break;
    default:
      r = (flags & ZF) !== 0 || ((flags >> 7) & 1) !== ((flags >> 11) & 1);
      break;
  }
  return (cc & 1) === 0 ? r : !r;
}
