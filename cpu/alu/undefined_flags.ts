/**
 * The table of what the Intel SDM (Vol. 2, each instruction's "Flags
 * Affected") leaves architecturally undefined for the ALU instructions.
 *
 * In these cases the ALU follows its vendor profile (vendor_flags.ts: the
 * AMD CPU the vectors were recorded on, or Intel as published; see also
 * the module docs of shift.ts, muldiv.ts, bits.ts, decimal.ts), but a
 * program may not rely on them and another CPU may differ. The hardware
 * vector test uses this table to separate the architectural check (always
 * run, these flags excluded, in every profile) from the same-CPU check (all
 * flags compared).
 *
 * | instruction | undefined flags | undefined result |
 * |---|---|---|
 * | ADD ADC SUB SBB CMP NEG INC DEC XADD CMPXCHG | none | - |
 * | AND OR XOR TEST | AF | - |
 * | MUL, IMUL (all forms) | SF ZF AF PF | - |
 * | DIV IDIV | CF OF SF ZF AF PF | - |
 * | SHL SHR SAR (masked count != 0) | AF; OF unless count = 1; CF of SHL/SHR if count >= width | - |
 * | ROL ROR RCL RCR | OF unless masked count = 1 | - |
 * | SHLD SHRD (masked count != 0) | AF; OF unless count = 1; all if count > width | value if count > width |
 * | BT BTS BTR BTC | OF SF AF PF | - |
 * | BSF BSR | CF OF SF AF PF | destination when the source is 0 |
 * | TZCNT LZCNT | OF SF AF PF | - |
 * | POPCNT | none | - |
 * | BSWAP | none | value for a 16-bit operand |
 * | DAA DAS | OF | - |
 * | AAA AAS | OF SF ZF PF | - |
 * | AAM AAD | OF AF CF | - |
 *
 * @module
 */
import { AF, CF, OF, PF, SF, ZF } from "./flags.ts";

/** Mnemonics covered by the table (lower case; `imul1` is one-operand IMUL). */
export type AluMnemonic =
  | "add"
  | "xadd"
  | "cmpxchg"
  | "adc"
  | "sub"
  | "sbb"
  | "cmp"
  | "neg"
  | "inc"
  | "dec"
  | "not"
  | "and"
  | "or"
  | "xor"
  | "test"
  | "mul"
  | "imul1"
  | "imul"
  | "div"
  | "idiv"
  | "shl"
  | "shr"
  | "sar"
  | "rol"
  | "ror"
  | "rcl"
  | "rcr"
  | "shld"
  | "shrd"
  | "bt"
  | "bts"
  | "btr"
  | "btc"
  | "bsf"
  | "bsr"
  | "tzcnt"
  | "lzcnt"
  | "popcnt"
  | "bswap"
  | "daa"
  | "das"
  | "aaa"
  | "aas"
  | "aam"
  | "aad";

/**
 * Flags (RFLAGS bit mask) the SDM leaves undefined for `op` at operand
 * `size` (bytes) with raw shift/rotate `count` (ignored for other ops).
 */
export function undefinedFlags(op: AluMnemonic, size: number, count = 0): number {
  const width = size * 8;
  const n = count & (size === 8 ? 63 : 31);
  switch (op) {
    case "and":
    case "or":
    case "xor":
    case "test":
      return AF;
    case "mul":
    case "imul1":
    case "imul":
      return SF | ZF | AF | PF;
    case "div":
    case "idiv":
      return CF | OF | SF | ZF | AF | PF;
    case "shl":
    case "shr":
    case "sar":
      if (n === 0) return 0;
      return AF | (n !== 1 ? OF : 0) | (op !== "sar" && n >= width ? CF : 0);
    case "rol":
    case "ror":
    case "rcl":
    case "rcr":
      return n !== 1 ? OF : 0;
    case "shld":
    case "shrd":
      if (n === 0) return 0;
      if (n > width) return CF | OF | SF | ZF | AF | PF;
      return AF | (n !== 1 ? OF : 0);
    case "bt":
    case "bts":
    case "btr":
    case "btc":
      return OF | SF | AF | PF;
    case "bsf":
    case "bsr":
      return CF | OF | SF | AF | PF;
    case "tzcnt":
    case "lzcnt":
      return OF | SF | AF | PF;
    case "daa":
    case "das":
      return OF;
    case "aaa":
    case "aas":
      return OF | SF | ZF | PF;
    case "aam":
    case "aad":
      return OF | AF | CF;
    default:
      return 0;
  }
}

/**
 * True if the SDM leaves the result value itself undefined: SHLD/SHRD with a
 * count above the operand width, BSWAP of a 16-bit operand, BSF/BSR of 0.
 */
export function undefinedResult(op: AluMnemonic, size: number, count = 0, source = 1): boolean {
  const n = count & (size === 8 ? 63 : 31);
  switch (op) {
    case "shld":
    case "shrd":
      return n > size * 8;
    case "bswap":
      return size === 2;
    case "bsf":
    case "bsr":
      return source === 0;
    default:
      return false;
  }
}
