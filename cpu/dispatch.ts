/**
 * Handler selection: maps a decoded instruction (op id and operand form)
 * to its handler once, when it enters the decoded-instruction cache, and
 * fills the handler-specific `x`/`y` fields. Register and memory forms of
 * hot instructions get separate handlers so the hot path has no
 * reg/mem branch. Where the hot forms' undefined flags depend on the
 * vendor profile (vendor_flags.ts), the profile picks the handler: the
 * choice is made once per decoded instruction, so no handler tests the
 * vendor when it runs.
 *
 * @module
 */

import { Op } from "./decode/mod.ts";
import type { Handler, Insn } from "./icache.ts";
import * as A from "./exec_alu.ts";
import * as D from "./exec_data.ts";
import * as C from "./exec_control.ts";
import * as S from "./exec_string.ts";
import * as P from "./exec_io.ts";
import * as Y from "./exec_system.ts";
import * as Z from "./exec_cpuid_msr.ts";
import * as Q from "./exec_syscall.ts";
import * as K from "./exec_pku.ts";
import * as V from "./exec_vmx_decode.ts";
import * as F from "./hot_alu.ts";
import * as H from "./hot_mov_shift_jcc.ts";
import { selectSse } from "./sse/select.ts";
import * as X87 from "./fpu/mod.ts";
import type { VendorFlags } from "./alu/vendor_flags.ts";

/**
 * The hot shift-by-immediate handlers for profile `v`: the AMD recording's
 * (AF set, OF computed), Intel family 6's (AF and multi-bit OF kept), or
 * none (another profile: the general handler, through the ALU).
 */
function hotShifts(v: VendorFlags): readonly [Handler, Handler] | null {
  if (v.shiftAf === "set" && v.multiBitOf === "formula") return [H.shiftR32I, H.shiftR64I];
  if (v.shiftAf === "keep" && v.multiBitOf === "keep") return [H.shiftR32IKeep, H.shiftR64IKeep];
  return null;
}

/** Choose the handler for `i` (undefined flags as profile `v` says) and set `i.x`/`i.y`. */
export function selectHandler(i: Insn, v: VendorFlags): Handler {
  const op = i.op;
  i.x = 0;
  i.y = 0;
  const reg = i.isMem === 0;
  // ALU: eight operations, six forms each.
  if (op >= Op.ADD_EbGb && op <= Op.CMP_EvIz) {
    const k = op - Op.ADD_EbGb;
    i.x = (k / 6) | 0;
    const form = k % 6;
    switch (form) {
      case 1: // Ev, Gv
        if (reg) return F.fastAlu(i.x, false, i.osz) ?? A.aluRegDst;
        i.y = 0;
        return A.aluEdst;
      case 5: // Ev, Iz
        i.y = 1;
        if (reg) return F.fastAlu(i.x, true, i.osz) ?? A.aluRegDst;
        return A.aluEdst;
      case 0: // Eb, Gb
        i.y = 2;
        return A.aluEdst;
      case 4: // Eb, Ib
        i.y = 3;
        return A.aluEdst;
      case 3: // Gv, Ev
        i.y = 0;
        return A.aluGdst;
      default: // Gb, Eb
        i.y = 1;
        return A.aluGdst;
    }
  }
  if (op >= Op.ROL_EbI && op <= Op.SAR_EvCL) {
    const k = op - Op.ROL_EbI;
    i.x = k >> 2;
    const form = k & 3;
    i.y = (form & 2 ? 1 : 0) | (form & 1 ? 0 : 2);
    const hot = hotShifts(v);
    if (hot === null || form !== 1 || !reg || (i.x === 2 || i.x === 3)) return A.shift;
    if (i.opSize === 32) return hot[0];
    if (i.opSize === 64) return hot[1];
    return A.shift;
  }
  switch (op) {
    case Op.INVALID:
    case Op.UD:
    case Op.VEX:
      return Y.undef;
    case Op.UNSUPPORTED:
      // XSAVE / XRSTOR / XSAVEOPT (0F AE /4 /5 /6, memory, no mandatory prefix).
      if (i.map === 1 && i.opcode === 0xae && i.isMem !== 0 && (i.reg & 7) >= 4) {
        return (i.reg & 7) === 5 ? X87.xrstor : X87.xsave;
      }
      // XRSTORS / XSAVEC / XSAVES (0F C7 /3 /4 /5, memory, no mandatory prefix).
      if (i.map === 1 && i.opcode === 0xc7 && i.isMem !== 0) {
        const r = i.reg & 7;
        return r === 3 ? X87.xrstors : r === 4 ? X87.xsavec : r === 5 ? X87.xsaves : Y.undef;
      }
      return Y.undef;
    case Op.TOO_LONG:
    case Op.TRUNCATED:
      return Y.tooLong;
    case Op.X87:
      return X87.x87;
    case Op.SSE:
      if (i.map === 1 && i.opcode === 0xae && (i.reg & 7) < 2) {
        return (i.reg & 7) === 0 ? X87.fxsave : X87.fxrstor;
      }
      return selectSse(i) ?? Y.sse;
    // ---- unary group ----
    // Register forms with a generated handler (tools/hot_ops/spec.ts) use it.
    case Op.TEST_EbGb:
      i.y = 2;
      return (reg ? F.fastTest(false, 1) : null) ?? A.test;
    case Op.TEST_EvGv:
      return (reg ? F.fastTest(false, i.osz) : null) ?? A.test;
    case Op.TEST_EbIb:
      i.y = 3;
      return (reg ? F.fastTest(true, 1) : null) ?? A.test;
    case Op.TEST_EvIz:
      i.y = 1;
      return (reg ? F.fastTest(true, i.osz) : null) ?? A.test;
    case Op.NOT_Eb:
    case Op.NOT_Ev:
    case Op.NEG_Eb:
    case Op.NEG_Ev:
    case Op.INC_Eb:
    case Op.INC_Ev:
    case Op.DEC_Eb:
    case Op.DEC_Ev: {
      const byte = op === Op.NOT_Eb || op === Op.NEG_Eb || op === Op.INC_Eb || op === Op.DEC_Eb;
      i.y = byte ? 1 : 0;
      i.x = op === Op.INC_Eb || op === Op.INC_Ev
        ? 0
        : op === Op.DEC_Eb || op === Op.DEC_Ev
        ? 1
        : op === Op.NOT_Eb || op === Op.NOT_Ev
        ? 2
        : 3;
      return (reg && !byte ? F.fastIncDec(i.x, i.osz) : null) ?? A.unary;
    }
    case Op.MUL_Eb:
    case Op.MUL_Ev:
    case Op.IMUL_Eb:
    case Op.IMUL_Ev:
    case Op.DIV_Eb:
    case Op.DIV_Ev:
    case Op.IDIV_Eb:
    case Op.IDIV_Ev: {
      const k = op - Op.MUL_Eb;
      i.x = k >> 1;
      i.y = (k & 1) === 0 ? 1 : 0;
      return A.muldiv;
    }
    case Op.IMUL_GvEvI:
      i.y = 1;
      return reg && i.opSize >= 32 && v.mulFlags === "keep" ? H.imulR : A.imul2;
    case Op.IMUL_GvEv:
      return reg && i.opSize >= 32 && v.mulFlags === "keep" ? H.imulR : A.imul2;
    // ---- data movement ----
    case Op.MOV_EvGv:
      if (reg) return D.movRR;
      return H.movMGf;
    case Op.MOV_GvEv:
      if (reg) {
        i.y = 1;
        return D.movRR;
      }
      return H.movGMf;
    case Op.MOV_EbGb:
      return D.movB;
    case Op.MOV_GbEb:
      i.y = 1;
      return D.movB;
    case Op.MOV_EbIb:
      i.y = 2;
      return D.movB;
    case Op.MOV_EvIv:
      return D.movEI;
    case Op.MOV_EvSw:
      return D.movFromSeg;
    case Op.MOV_SwEw:
      return D.movToSeg;
    case Op.LEA:
      return H.leaF;
    case Op.XCHG_EbGb:
      i.y = 1;
      return D.xchg;
    case Op.XCHG_EvGv:
      return D.xchg;
    case Op.MOVZX_GvEb:
      return reg ? H.movzxR8 : D.movx;
    case Op.MOVZX_GvEw:
      i.x = 1;
      return D.movx;
    case Op.MOVSX_GvEb:
      i.x = 2;
      return D.movx;
    case Op.MOVSX_GvEw:
      i.x = 3;
      return D.movx;
    case Op.MOVSXD:
      i.x = 4;
      return D.movx;
    case Op.XADD_EbGb:
      i.y = 1;
      return D.xadd;
    case Op.XADD_EvGv:
      return D.xadd;
    case Op.CMPXCHG_EbGb:
      i.y = 1;
      return D.cmpxchg;
    case Op.CMPXCHG_EvGv:
      return D.cmpxchg;
    case Op.CMPXCHG8B:
      return D.cmpxchg8b;
    case Op.BSWAP:
      return A.bswap;
    case Op.CBW:
      return D.cbw;
    case Op.CWD:
      return D.cwd;
    case Op.XLAT:
      return D.xlat;
    case Op.CMOVCC:
      return D.cmov;
    case Op.SETCC:
      return D.setcc;
    case Op.LAHF:
      return D.lahf;
    case Op.SAHF:
      return D.sahf;
    case Op.SALC:
      return D.salc;
    case Op.LOAD_FAR:
      return D.loadFar;
    // ---- stack ----
    case Op.PUSH_Ev:
      return reg ? D.pushR : D.pushM;
    case Op.POP_Ev:
      return reg ? D.popR : D.popM;
    case Op.PUSH_I:
      return D.pushI;
    case Op.PUSH_SEG:
      return D.pushSeg;
    case Op.POP_SEG:
      return D.popSeg;
    case Op.PUSHA:
      return D.pusha;
    case Op.POPA:
      return D.popa;
    case Op.PUSHF:
      return D.pushf;
    case Op.POPF:
      return D.popf;
    case Op.ENTER:
      return D.enter;
    case Op.LEAVE:
      return D.leave;
    // ---- control flow ----
    case Op.JCC:
      return H.jccF;
    case Op.JMP_REL:
      return C.jmpRel;
    case Op.CALL_REL:
      return C.callRel;
    case Op.JMP_Ev:
      return C.jmpE;
    case Op.CALL_Ev:
      return C.callE;
    case Op.JMPF_A:
      return C.jmpFarA;
    case Op.CALLF_A:
      return C.callFarA;
    case Op.JMPF_M:
      return C.farM;
    case Op.CALLF_M:
      i.y = 1;
      return C.farM;
    case Op.RET_NEAR:
      return C.retNear;
    case Op.RET_FAR:
      return C.retFar;
    case Op.LOOPNE:
      return C.loop;
    case Op.LOOPE:
      i.x = 1;
      return C.loop;
    case Op.LOOP:
      i.x = 2;
      return C.loop;
    case Op.JRCXZ:
      i.x = 3;
      return C.loop;
    case Op.INT:
      return C.intN;
    case Op.INT3:
      return C.int3;
    case Op.INTO:
      return C.into;
    case Op.INT1:
      return C.int1;
    case Op.IRET:
      return C.iret;
    // ---- strings ----
    case Op.MOVSB:
    case Op.MOVS:
    case Op.CMPSB:
    case Op.CMPS:
    case Op.STOSB:
    case Op.STOS:
    case Op.LODSB:
    case Op.LODS:
    case Op.SCASB:
    case Op.SCAS:
    case Op.INSB:
    case Op.INS:
    case Op.OUTSB:
    case Op.OUTS: {
      const k = op - Op.MOVSB;
      i.x = k >> 1;
      i.y = (k & 1) === 0 ? 1 : 0;
      i.isString = i.x >= 5;
      return S.strop;
    }
    case Op.INB_I:
      i.y = 1;
      i.isImmPort = true;
      return P.inOp;
    case Op.IN_I:
      i.isImmPort = true;
      return P.inOp;
    case Op.OUTB_I:
      i.y = 1;
      i.isImmPort = true;
      return P.outOp;
    case Op.OUT_I:
      i.isImmPort = true;
      return P.outOp;
    case Op.INB_DX:
      i.y = 1;
      return P.inOp;
    case Op.IN_DX:
      return P.inOp;
    case Op.OUTB_DX:
      i.y = 1;
      return P.outOp;
    case Op.OUT_DX:
      return P.outOp;
    // ---- flags and misc ----
    case Op.CMC:
      return Y.flagOp;
    case Op.CLC:
      i.x = 1;
      return Y.flagOp;
    case Op.STC:
      i.x = 2;
      return Y.flagOp;
    case Op.CLD:
      i.x = 3;
      return Y.flagOp;
    case Op.STD:
      i.x = 4;
      return Y.flagOp;
    case Op.CLI:
      return Y.cli;
    case Op.STI:
      return Y.sti;
    case Op.HLT:
      return Y.hlt;
    case Op.NOP:
    case Op.ENDBR64:
    case Op.ENDBR32:
    case Op.FENCE:
      return Y.nop;
    case Op.PAUSE:
      return Y.pause;
    case Op.FWAIT:
      return X87.fwait;
    case Op.DAA:
    case Op.DAS:
    case Op.AAA:
    case Op.AAS:
    case Op.AAM:
    case Op.AAD:
      i.x = op - Op.DAA;
      return A.bcd;
    case Op.BOUND:
      return C.bound;
    case Op.ARPL:
      return D.arpl;
    // ---- bits ----
    case Op.BT_EvGv:
    case Op.BTS_EvGv:
    case Op.BTR_EvGv:
    case Op.BTC_EvGv:
      i.x = op - Op.BT_EvGv;
      return A.bitop;
    case Op.BT_EvIb:
    case Op.BTS_EvIb:
    case Op.BTR_EvIb:
    case Op.BTC_EvIb:
      i.x = op - Op.BT_EvIb;
      i.y = 1;
      return A.bitop;
    case Op.BSF:
    case Op.BSR:
    case Op.TZCNT:
    case Op.LZCNT:
    case Op.POPCNT:
      i.x = op - Op.BSF;
      return A.bitscan;
    case Op.SHLD_Ib:
      return A.shxd;
    case Op.SHLD_CL:
      i.y = 1;
      return A.shxd;
    case Op.SHRD_Ib:
      i.x = 1;
      return A.shxd;
    case Op.SHRD_CL:
      i.x = 1;
      i.y = 1;
      return A.shxd;
    // ---- system ----
    case Op.CPUID:
      return Z.cpuid;
    case Op.RDTSC:
      return Z.rdtsc;
    case Op.RDTSCP:
      i.x = 1;
      return Z.rdtsc;
    case Op.RDMSR:
      return Z.rdmsr;
    case Op.WRMSR:
      return Z.wrmsr;
    case Op.RDPMC:
      return Z.rdpmc;
    case Op.SYSCALL:
      return Q.syscall;
    case Op.SYSRET:
      return Q.sysret;
    case Op.SYSENTER:
      return Q.sysenter;
    case Op.SYSEXIT:
      return Q.sysexit;
    case Op.MOV_RdCd:
      return Y.movFromCr;
    case Op.MOV_CdRd:
      return Y.movToCr;
    case Op.MOV_RdDd:
      return Y.movDr;
    case Op.MOV_DdRd:
      i.y = 1;
      return Y.movDr;
    case Op.CLTS:
      return Y.clts;
    case Op.SGDT:
      return Y.sgdt;
    case Op.SIDT:
      i.x = 1;
      return Y.sgdt;
    case Op.LGDT:
      return Y.lgdt;
    case Op.LIDT:
      i.x = 1;
      return Y.lgdt;
    case Op.SLDT:
      return Y.sldt;
    case Op.STR:
      i.x = 1;
      return Y.sldt;
    case Op.LLDT:
      return Y.lldt;
    case Op.LTR:
      i.x = 1;
      return Y.lldt;
    case Op.SMSW:
      return Y.smsw;
    case Op.LMSW:
      return Y.lmsw;
    case Op.INVLPG:
      return Y.invlpg;
    case Op.VERR:
      return Y.verrw;
    case Op.VERW:
      i.x = 1;
      return Y.verrw;
    case Op.LAR:
      return Y.larLsl;
    case Op.LSL:
      i.x = 1;
      return Y.larLsl;
    case Op.CLAC:
      return Q.clac;
    case Op.STAC:
      return Q.stac;
    case Op.RDPKRU:
      return K.rdpkru;
    case Op.WRPKRU:
      return K.wrpkru;
    case Op.SWAPGS:
      return Q.swapgs;
    case Op.WBINVD:
      return Y.wbinvd;
    case Op.INVD:
      i.x = 1;
      return Y.wbinvd;
    case Op.INVPCID:
      return Y.invpcid;
    case Op.RSM:
      i.x = 4;
      return Z.unadvertised;
    case Op.XGETBV:
      return Z.xgetbv;
    case Op.XSETBV:
      i.x = 1;
      return Z.xgetbv;
    case Op.MONITOR:
      return Z.unadvertised;
    case Op.MWAIT:
      i.x = 1;
      return Z.unadvertised;
    case Op.RDRAND:
      i.x = 2;
      return Z.unadvertised;
    case Op.RDSEED:
      i.x = 3;
      return Z.unadvertised;
    case Op.VMMCALL:
      return Z.vmmcall;
    case Op.RDFSBASE:
    case Op.RDGSBASE:
    case Op.WRFSBASE:
    case Op.WRGSBASE:
      i.x = op - Op.RDFSBASE;
      return Q.fsgsbase;
    case Op.CLFLUSH:
      return Y.clflush;
    // ---- VMX ----
    case Op.VMCALL:
    case Op.VMLAUNCH:
    case Op.VMRESUME:
    case Op.VMXOFF:
    case Op.VMFUNC:
    case Op.VMPTRLD:
    case Op.VMCLEAR:
    case Op.VMXON:
    case Op.VMPTRST:
    case Op.VMREAD:
    case Op.VMWRITE:
    case Op.INVEPT:
    case Op.INVVPID:
      i.x = op - Op.VMCALL;
      return V.vmx;
  }
  return Y.undef;
}
