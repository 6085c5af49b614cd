/**
 * Replays one recorded ALU vector through `cpu/alu` (the recorder's
 * operand conventions: tools/alu-vectors/README.md), and derives the vectors
 * another vendor profile gives from the recorded inputs (the expected
 * outcomes the engine must reproduce on a model of that vendor).
 *
 * @module
 */
import { Alu } from "../../cpu/alu/alu.ts";
import { evalCond } from "../../cpu/alu/flags.ts";
import type { VendorFlags } from "../../cpu/alu/vendor_flags.ts";
import type { AluVector } from "./alu_vectors.ts";

/** Result of replaying one vector, in the recorder's register terms. */
export interface Outcome {
  r1Lo: number;
  r1Hi: number;
  r2Lo: number;
  r2Hi: number;
  flags: number;
  /** cond(cc) disagreed with evalCond(getFlags(), cc) for this cc, or -1. */
  badCond: number;
}

/** Write a `size`-byte result into a 64-bit register value the way x86-64 does. */
function writeReg(
  size: number,
  oldLo: number,
  oldHi: number,
  lo: number,
  hi: number,
): [number, number] {
  if (size === 8) return [lo >>> 0, hi >>> 0];
  if (size === 4) return [lo >>> 0, 0];
  const m = size === 1 ? 0xff : 0xffff;
  return [((oldLo & ~m) | (lo & m)) >>> 0, oldHi];
}

/** Run vector `v` on `alu` (its flags set to `v.fin` first). */
export function replay(alu: Alu, v: AluVector): Outcome {
  const { size, aLo, aHi, bLo, bHi, cLo } = v;
  alu.setFlags(v.fin);
  let r1Lo = 0;
  let r1Hi = 0;
  let r2Lo = 0;
  let r2Hi = 0;
  const hiOf = (): number => (size === 8 ? alu.hi : 0);
  switch (v.op) {
    case "add":
    case "adc":
    case "sub":
    case "sbb":
    case "and":
    case "or":
    case "xor":
    case "imul": {
      r1Lo = alu[v.op](size, aLo, aHi, bLo, bHi);
      r1Hi = hiOf();
      break;
    }
    case "cmp":
    case "test":
      alu[v.op](size, aLo, aHi, bLo, bHi);
      r1Lo = aLo;
      r1Hi = aHi;
      break;
    case "inc":
    case "dec":
    case "neg":
    case "not":
      r1Lo = alu[v.op](size, aLo, aHi);
      r1Hi = hiOf();
      break;
    case "shl":
    case "shr":
    case "sar":
    case "rol":
    case "ror":
    case "rcl":
    case "rcr":
      r1Lo = alu[v.op](size, aLo, aHi, cLo);
      r1Hi = hiOf();
      break;
    case "shld":
    case "shrd":
      r1Lo = alu[v.op](size, aLo, aHi, bLo, bHi, cLo);
      r1Hi = hiOf();
      break;
    case "mul":
    case "imul1":
      r1Lo = alu[v.op](size, aLo, aHi, cLo, v.cHi);
      r1Hi = hiOf();
      r2Lo = alu.dx;
      r2Hi = size === 8 ? alu.dxHi : 0;
      break;
    case "div":
    case "idiv": {
      const st = alu[v.op](size, aLo, aHi, bLo, bHi, cLo, v.cHi);
      if (st !== 0) {
        r1Lo =
          r1Hi =
          r2Lo =
          r2Hi =
            -1;
      } else {
        r1Lo = alu.quot;
        r1Hi = size === 8 ? alu.quotHi : 0;
        r2Lo = alu.rem;
        r2Hi = size === 8 ? alu.remHi : 0;
      }
      break;
    }
    case "bt":
      alu.bt(size, aLo, aHi, bLo);
      r1Lo = aLo;
      r1Hi = aHi;
      break;
    case "bts":
    case "btr":
    case "btc":
      r1Lo = alu[v.op](size, aLo, aHi, bLo);
      r1Hi = hiOf();
      break;
    case "bsf":
    case "bsr":
    case "tzcnt":
    case "lzcnt":
    case "popcnt": {
      const r = alu[v.op](size, aLo, aHi);
      if (r === -1) {
        r1Lo = bLo;
        r1Hi = bHi;
      } else {
        [r1Lo, r1Hi] = writeReg(size, bLo, bHi, r, 0);
      }
      break;
    }
    case "bswap": {
      const r = alu.bswap(size, aLo, aHi);
      [r1Lo, r1Hi] = writeReg(size, aLo, aHi, r, hiOf());
      break;
    }
    case "xadd":
      // XADD dst, src: dst = dst + src, src = old dst (flags of the ADD)
      r1Lo = alu.add(size, aLo, aHi, bLo, bHi);
      r1Hi = hiOf();
      r2Lo = aLo;
      r2Hi = size === 8 ? aHi : 0;
      break;
    case "cmpxchg": {
      // CMPXCHG dst, src with the accumulator in c: flags of CMP acc, dst
      alu.cmp(size, cLo, v.cHi, aLo, aHi);
      const equal = alu.cond(4);
      r1Lo = equal ? bLo : aLo;
      r1Hi = size === 8 ? (equal ? bHi : aHi) : 0;
      r2Lo = aLo; // the accumulator ends up equal to dst either way
      r2Hi = size === 8 ? aHi : 0;
      break;
    }
    case "setcc":
      // SETcc: the flags are the input; compare cond() and evalCond() with the hardware
      r1Lo = alu.cond(aLo) ? 1 : 0;
      if (evalCond(v.fin, aLo) !== (r1Lo === 1)) r1Lo = 2; // force a mismatch
      break;
    case "daa":
    case "das": {
      const al = alu[v.op](aLo & 0xff);
      r1Lo = (aLo & 0xff00) | al;
      break;
    }
    case "aaa":
    case "aas":
      r1Lo = alu[v.op](aLo & 0xffff);
      break;
    case "aam":
      r1Lo = alu.aam(aLo & 0xff, bLo);
      break;
    case "aad":
      r1Lo = alu.aad(aLo & 0xffff, bLo) & 0xff;
      break;
    default:
      throw new Error(`unknown op ${v.op} at line ${v.line}`);
  }
  let badCond = -1;
  const f = alu.getFlags();
  for (let cc = 0; cc < 16; cc++) {
    if (alu.cond(cc) !== evalCond(f, cc)) {
      badCond = cc;
      break;
    }
  }
  return { r1Lo, r1Hi, r2Lo, r2Hi, flags: alu.getFlags(), badCond };
}


/**
 * The vectors with their outputs (results and flags) replaced by what the
 * ALU gives under `vendor` for the same inputs: what the engine must produce
 * on a CPU model of that vendor.
 */
export function profileVectors(list: readonly AluVector[], vendor: VendorFlags): AluVector[] {
  const alu = new Alu(vendor);
  return list.map((v) => {
    const o = replay(alu, v);
    return { ...v, r1Lo: o.r1Lo, r1Hi: o.r1Hi, r2Lo: o.r2Lo, r2Hi: o.r2Hi, fout: o.flags };
  });
}
