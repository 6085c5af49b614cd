/**
 * Which x87 escape encodings (D8-DF with their ModRM byte) are defined
 * (SDM Vol. 2 Appendix A.4, Tables ), so undefined ones decode
 * as `Op.INVALID` (#UD). The undocumented aliases every x86 processor
 * executes (FSTP1 D9 D8+i, FCOM2 DC D0+i, FCOMP3 DC D8+i, FXCH4 DD C8+i,
 * FCOMP5 DE D0+i, FFREEP DF C0+i, FXCH7 DF C8+i, FSTP8/9 DF D0+i/D8+i) and
 * the 8087/80287 control forms that later processors treat as no-ops
 * (FNENI, FNDISI, FNSETPM) are defined.
 *
 * @module
 */
import type { DecodedInsn } from "./types.ts";

/** True if the x87 instruction in `o` (ModRM decoded) is a defined encoding. */
export function x87Defined(o: DecodedInsn): boolean {
  const esc = o.opcode & 7;
  const r = o.reg & 7;
  if (o.isMem !== 0) {
    return !((esc === 1 && r === 1) || (esc === 3 && (r === 4 || r === 6)) ||
      (esc === 5 && r === 5));
  }
  const k = o.rm & 7;
  switch (esc) {
    case 1:
      if (r === 2) return k === 0; // FNOP
      if (r === 4) return k !== 2 && k !== 3 && k !== 6 && k !== 7;
      if (r === 5) return k !== 7;
      return true;
    case 2:
      return r < 4 || (r === 5 && k === 1); // FCMOVcc, FUCOMPP
    case 3:
      if (r === 4) return k <= 4; // FNENI FNDISI FNCLEX FNINIT FNSETPM
      return r !== 7;
    case 5:
      return r < 6;
    case 6:
      return r !== 3 || k === 1; // FCOMPP
    case 7:
      if (r === 4) return k === 0; // FNSTSW AX
      return r !== 7;
    default:
      return true;
  }
}

const ARITH = ["fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"];
const IARITH = ["fiadd", "fimul", "ficom", "ficomp", "fisub", "fisubr", "fidiv", "fidivr"];
const MEM_D9 = ["fld", "", "fst", "fstp", "fldenv", "fldcw", "fnstenv", "fnstcw"];
const MEM_DB = ["fild", "fisttp", "fist", "fistp", "", "fld", "", "fstp"];
const MEM_DD = ["fld", "fisttp", "fst", "fstp", "frstor", "", "fnsave", "fnstsw"];
const MEM_DF = ["fild", "fisttp", "fist", "fistp", "fbld", "fild", "fbstp", "fistp"];
const D9_E0 = ["fchs", "fabs", "", "", "ftst", "fxam", "", ""];
const D9_E8 = ["fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz", ""];
const D9_F0 = ["f2xm1", "fyl2x", "fptan", "fpatan", "fxtract", "fprem1", "fdecstp", "fincstp"];
const D9_F8 = ["fprem", "fyl2xp1", "fsqrt", "fsincos", "frndint", "fscale", "fsin", "fcos"];
const REG_D9 = ["fld", "fxch", "fnop", "fstpnce"];
const REG_DA = ["fcmovb", "fcmove", "fcmovbe", "fcmovu", "", "fucompp", "", ""];
const REG_DB = ["fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu", "", "fucomi", "fcomi", ""];
const DB_E0 = ["fneni", "fndisi", "fnclex", "fninit", "fnsetpm"];
const REG_DC = ["fadd", "fmul", "fcom", "fcomp", "fsubr", "fsub", "fdivr", "fdiv"];
const REG_DD = ["ffree", "fxch", "fst", "fstp", "fucom", "fucomp", "", ""];
const REG_DE = ["faddp", "fmulp", "fcomp", "fcompp", "fsubrp", "fsubp", "fdivrp", "fdivp"];
const REG_DF = ["ffreep", "fxch", "fstp", "fstp", "fnstsw", "fucomip", "fcomip", ""];

/** The SDM mnemonic of a defined x87 instruction in `o` (lowercase; aliases by their base name). */
export function x87Mnemonic(o: DecodedInsn): string {
  const esc = o.opcode & 7;
  const r = o.reg & 7;
  if (o.isMem !== 0) {
    switch (esc) {
      case 0:
      case 4:
        return ARITH[r];
      case 2:
      case 6:
        return IARITH[r];
      case 1:
        return MEM_D9[r];
      case 3:
        return MEM_DB[r];
      case 5:
        return MEM_DD[r];
      default:
        return MEM_DF[r];
    }
  }
  const k = o.rm & 7;
  switch (esc) {
    case 0:
      return ARITH[r];
    case 1:
      if (r < 4) return REG_D9[r];
      return (r === 4 ? D9_E0 : r === 5 ? D9_E8 : r === 6 ? D9_F0 : D9_F8)[k];
    case 2:
      return REG_DA[r];
    case 3:
      return r === 4 ? DB_E0[k] ?? "" : REG_DB[r];
    case 4:
      return REG_DC[r];
    case 5:
      return REG_DD[r];
    case 6:
      return REG_DE[r];
    default:
      return REG_DF[r];
  }
}
