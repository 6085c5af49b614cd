/**
 * Opcode tables for the decoder: per-opcode flags and op ids for the
 * one-byte and 0F maps, group (ModRM /digit) tables, and per-op properties
 * (LOCK legality). Built once at module load; the decoder only indexes
 * typed arrays. Encodings follow the Intel SDM Vol. 2, Appendix A.
 *
 * @module
 */
import { Op } from "./types.ts";

// ---- immediate kinds (low 4 bits of a flags word) ----
/** No immediate. */
export const I_NONE = 0;
/** imm8, sign-extended. */
export const I_IBS = 1;
/** imm8, zero-extended (ports, vectors, counts). */
export const I_IBU = 2;
/** imm16, zero-extended (RET, ENTER size). */
export const I_IWU = 3;
/** imm16/imm32 by operand size, sign-extended to 64. */
export const I_IZ = 4;
/** imm16/32/64 by operand size (MOV r, imm). */
export const I_IV = 5;
/** Far pointer: offset (16/32 by operand size) then selector. */
export const I_AP = 6;
/** Memory offset of address size (MOV A0-A3). */
export const I_MOFFS = 7;
/** rel8. */
export const I_JB = 8;
/** rel16/rel32 by operand size. */
export const I_JZ = 9;
/** imm16 then imm8 (ENTER). */
export const I_IWIB = 10;
/** Implicit 1 (shift by one), no bytes. */
export const I_ONE = 11;

/** Mask of the immediate kind. */
export const F_IMM = 0xf;
/** Has a ModRM byte. */
export const F_MODRM = 1 << 4;
/** Default operand size 64 in 64-bit mode (66 selects 16). */
export const F_D64 = 1 << 5;
/** Operand size forced to 64 in 64-bit mode (66 ignored, Intel behaviour). */
export const F_F64 = 1 << 6;
/** Invalid in 64-bit mode. */
export const F_I64 = 1 << 7;
/** The op table holds a group number: the op comes from the group table by ModRM.reg. */
export const F_GROUP = 1 << 8;
/** Decoded by hand in the decoder's special-case switch. */
export const F_SPECIAL = 1 << 9;
/** Register encoded in the low 3 bits of the opcode (goes to `rm`, extended by REX.B). */
export const F_REGOP = 1 << 10;
/** ModRM must address memory (mod = 3 is #UD). */
export const F_MEMONLY = 1 << 11;
/** Accumulator short form: the E operand is register 0 (AL/AX/EAX/RAX). */
export const F_ACC = 1 << 12;
/** Instruction is a row we only length-decode; no further checks. */
export const F_VALID = 1 << 13;

/** Operand size fixed: 64 in 64-bit mode, else 32 (MOV CR/DR, VMREAD/VMWRITE, INVEPT). */
export const F_FIXED = 1 << 15;

/** Only returned by special cases (not in FLAGS): 66 is ignored, size is 32 or 64 by REX.W. */
export const F_NO66 = 1 << 16;

/** Flags per opcode: [0..255] one-byte map, [256..511] 0F map. */
export const FLAGS: Uint16Array = new Uint16Array(512);
/** Op id (or group number when F_GROUP) per opcode, same indexing as FLAGS. */
export const OPS: Uint16Array = new Uint16Array(512);
/** Segment register operand (seg2) per opcode, same indexing as FLAGS. */
export const SEG2: Uint8Array = new Uint8Array(512);

/** Group tables: [group * 8 + reg] op id (INVALID = undefined). */
export const GROUP_OPS: Uint16Array = new Uint16Array(16 * 8);
/** Group tables: extra flags OR-ed into the opcode's flags. */
export const GROUP_FLAGS: Uint16Array = new Uint16Array(16 * 8);

/** Group numbers. */
export const enum Grp {
  G1B = 0,
  G1V,
  G2B_I,
  G2V_I,
  G2B_CL,
  G2V_CL,
  G3B,
  G3V,
  G4,
  G5,
  G11B,
  G11V,
  G1A,
  G8,
}

/** 1 for ops that accept LOCK (with a memory destination), SDM Vol. 2 "LOCK". */
export const LOCKABLE: Uint8Array = new Uint8Array(Op.COUNT);

/** Prefix kind per byte: 0 none, 1 segment, 2 66, 3 67, 4 F0, 5 F2, 6 F3, 7 REX (64-bit only). */
export const PREFIX: Uint8Array = new Uint8Array(256);
/** Segment register number for segment-override prefix bytes. */
export const PREFIX_SEG: Int8Array = new Int8Array(256);

function set(i: number, op: number, flags: number): void {
  OPS[i] = op;
  FLAGS[i] = flags | F_VALID;
}

function group(g: number, ops: readonly number[], flags: readonly number[] = []): void {
  for (let r = 0; r < 8; r++) {
    GROUP_OPS[g * 8 + r] = ops[r] ?? Op.INVALID;
    GROUP_FLAGS[g * 8 + r] = flags[r] ?? 0;
  }
}

const M = F_MODRM;

function buildOneByte(): void {
  // ALU rows 00-3F: eight operations, six forms each.
  for (let a = 0; a < 8; a++) {
    const o = a * 8;
    const op = Op.ADD_EbGb + a * 6;
    set(o + 0, op + 0, M);
    set(o + 1, op + 1, M);
    set(o + 2, op + 2, M);
    set(o + 3, op + 3, M);
    set(o + 4, op + 4, F_ACC | I_IBS);
    set(o + 5, op + 5, F_ACC | I_IZ);
  }
  // PUSH/POP segment registers and the BCD adjusts (06/07/0E/16/17/1E/1F, 27/2F/37/3F).
  const segs = [0x06, 0x0e, 0x16, 0x1e];
  for (let s = 0; s < 4; s++) {
    set(segs[s], Op.PUSH_SEG, F_I64);
    SEG2[segs[s]] = s;
    if (s !== 1) {
      set(segs[s] + 1, Op.POP_SEG, F_I64);
      SEG2[segs[s] + 1] = s;
    }
  }
  FLAGS[0x0f] = F_SPECIAL | F_VALID;
  set(0x27, Op.DAA, F_I64);
  set(0x2f, Op.DAS, F_I64);
  set(0x37, Op.AAA, F_I64);
  set(0x3f, Op.AAS, F_I64);
  for (let r = 0; r < 8; r++) {
    set(0x40 + r, Op.INC_Ev, F_REGOP); // REX in 64-bit mode (never reaches here)
    set(0x48 + r, Op.DEC_Ev, F_REGOP);
    set(0x50 + r, Op.PUSH_Ev, F_REGOP | F_D64);
    set(0x58 + r, Op.POP_Ev, F_REGOP | F_D64);
    if (r > 0) set(0x90 + r, Op.XCHG_EvGv, F_REGOP); // 90 itself is special (NOP/PAUSE/XCHG r8)
    set(0xb0 + r, Op.MOV_EbIb, F_REGOP | I_IBS);
    set(0xb8 + r, Op.MOV_EvIv, F_REGOP | I_IV);
    set(0xc8 + r + 0x100, Op.BSWAP, F_REGOP); // 0F C8+r
  }
  FLAGS[0x90] = F_SPECIAL | F_VALID;
  set(0x60, Op.PUSHA, F_I64);
  set(0x61, Op.POPA, F_I64);
  set(0x62, Op.BOUND, F_SPECIAL | M | F_MEMONLY);
  set(0x63, Op.ARPL, F_SPECIAL | M);
  set(0x68, Op.PUSH_I, F_D64 | I_IZ);
  set(0x69, Op.IMUL_GvEvI, M | I_IZ);
  set(0x6a, Op.PUSH_I, F_D64 | I_IBS);
  set(0x6b, Op.IMUL_GvEvI, M | I_IBS);
  set(0x6c, Op.INSB, 0);
  set(0x6d, Op.INS, 0);
  set(0x6e, Op.OUTSB, 0);
  set(0x6f, Op.OUTS, 0);
  for (let c = 0; c < 16; c++) set(0x70 + c, Op.JCC, F_F64 | I_JB);
  set(0x80, Grp.G1B, F_GROUP | M | I_IBS);
  set(0x81, Grp.G1V, F_GROUP | M | I_IZ);
  set(0x82, Grp.G1B, F_GROUP | M | I_IBS | F_I64);
  set(0x83, Grp.G1V, F_GROUP | M | I_IBS);
  set(0x84, Op.TEST_EbGb, M);
  set(0x85, Op.TEST_EvGv, M);
  set(0x86, Op.XCHG_EbGb, M);
  set(0x87, Op.XCHG_EvGv, M);
  set(0x88, Op.MOV_EbGb, M);
  set(0x89, Op.MOV_EvGv, M);
  set(0x8a, Op.MOV_GbEb, M);
  set(0x8b, Op.MOV_GvEv, M);
  set(0x8c, Op.MOV_EvSw, F_SPECIAL | M);
  set(0x8d, Op.LEA, M | F_MEMONLY);
  set(0x8e, Op.MOV_SwEw, F_SPECIAL | M);
  set(0x8f, Grp.G1A, F_GROUP | M);
  set(0x98, Op.CBW, 0);
  set(0x99, Op.CWD, 0);
  set(0x9a, Op.CALLF_A, F_I64 | I_AP);
  set(0x9b, Op.FWAIT, 0);
  set(0x9c, Op.PUSHF, F_D64);
  set(0x9d, Op.POPF, F_D64);
  set(0x9e, Op.SAHF, 0);
  set(0x9f, Op.LAHF, 0);
  set(0xa0, Op.MOV_GbEb, I_MOFFS);
  set(0xa1, Op.MOV_GvEv, I_MOFFS);
  set(0xa2, Op.MOV_EbGb, I_MOFFS);
  set(0xa3, Op.MOV_EvGv, I_MOFFS);
  set(0xa4, Op.MOVSB, 0);
  set(0xa5, Op.MOVS, 0);
  set(0xa6, Op.CMPSB, 0);
  set(0xa7, Op.CMPS, 0);
  set(0xa8, Op.TEST_EbIb, F_ACC | I_IBS);
  set(0xa9, Op.TEST_EvIz, F_ACC | I_IZ);
  set(0xaa, Op.STOSB, 0);
  set(0xab, Op.STOS, 0);
  set(0xac, Op.LODSB, 0);
  set(0xad, Op.LODS, 0);
  set(0xae, Op.SCASB, 0);
  set(0xaf, Op.SCAS, 0);
  set(0xc0, Grp.G2B_I, F_GROUP | M | I_IBU);
  set(0xc1, Grp.G2V_I, F_GROUP | M | I_IBU);
  set(0xc2, Op.RET_NEAR, F_F64 | I_IWU);
  set(0xc3, Op.RET_NEAR, F_F64);
  set(0xc4, Op.LOAD_FAR, F_SPECIAL | M);
  SEG2[0xc4] = 0;
  set(0xc5, Op.LOAD_FAR, F_SPECIAL | M);
  SEG2[0xc5] = 3;
  set(0xc6, Grp.G11B, F_GROUP | M | I_IBS);
  set(0xc7, Grp.G11V, F_GROUP | M | I_IZ);
  set(0xc8, Op.ENTER, F_D64 | I_IWIB);
  set(0xc9, Op.LEAVE, F_D64);
  set(0xca, Op.RET_FAR, I_IWU);
  set(0xcb, Op.RET_FAR, 0);
  set(0xcc, Op.INT3, 0);
  set(0xcd, Op.INT, I_IBU);
  set(0xce, Op.INTO, F_I64);
  set(0xcf, Op.IRET, 0);
  set(0xd0, Grp.G2B_I, F_GROUP | M | I_ONE);
  set(0xd1, Grp.G2V_I, F_GROUP | M | I_ONE);
  set(0xd2, Grp.G2B_CL, F_GROUP | M);
  set(0xd3, Grp.G2V_CL, F_GROUP | M);
  set(0xd4, Op.AAM, F_I64 | I_IBU);
  set(0xd5, Op.AAD, F_I64 | I_IBU);
  // D6 SALC: absent from the SDM opcode map but executed by Intel and AMD processors outside
  // 64-bit mode (AL = CF ? FFh : 0, flags unchanged); #UD in 64-bit mode.
  set(0xd6, Op.SALC, F_I64);
  set(0xd7, Op.XLAT, 0);
  for (let i = 0xd8; i <= 0xdf; i++) set(i, Op.X87, M);
  set(0xe0, Op.LOOPNE, F_F64 | I_JB);
  set(0xe1, Op.LOOPE, F_F64 | I_JB);
  set(0xe2, Op.LOOP, F_F64 | I_JB);
  set(0xe3, Op.JRCXZ, F_F64 | I_JB);
  set(0xe4, Op.INB_I, I_IBU);
  set(0xe5, Op.IN_I, I_IBU);
  set(0xe6, Op.OUTB_I, I_IBU);
  set(0xe7, Op.OUT_I, I_IBU);
  set(0xe8, Op.CALL_REL, F_F64 | I_JZ);
  set(0xe9, Op.JMP_REL, F_F64 | I_JZ);
  set(0xea, Op.JMPF_A, F_I64 | I_AP);
  set(0xeb, Op.JMP_REL, F_F64 | I_JB);
  set(0xec, Op.INB_DX, 0);
  set(0xed, Op.IN_DX, 0);
  set(0xee, Op.OUTB_DX, 0);
  set(0xef, Op.OUT_DX, 0);
  set(0xf1, Op.INT1, 0);
  set(0xf4, Op.HLT, 0);
  set(0xf5, Op.CMC, 0);
  set(0xf6, Grp.G3B, F_GROUP | M);
  set(0xf7, Grp.G3V, F_GROUP | M);
  set(0xf8, Op.CLC, 0);
  set(0xf9, Op.STC, 0);
  set(0xfa, Op.CLI, 0);
  set(0xfb, Op.STI, 0);
  set(0xfc, Op.CLD, 0);
  set(0xfd, Op.STD, 0);
  set(0xfe, Grp.G4, F_GROUP | M);
  set(0xff, Grp.G5, F_GROUP | M);
}

function buildTwoByte(): void {
  const T = 0x100;
  const sp = (i: number): void => {
    FLAGS[T + i] = F_SPECIAL | F_VALID;
  };
  for (const i of [0x00, 0x01, 0x0f, 0x1e, 0x20, 0x21, 0x22, 0x23, 0x38, 0x3a, 0x78, 0x79]) sp(i);
  for (const i of [0xae, 0xb8, 0xbc, 0xbd, 0xc7]) sp(i);
  set(T + 0x02, Op.LAR, M);
  set(T + 0x03, Op.LSL, M);
  set(T + 0x05, Op.SYSCALL, 0);
  set(T + 0x06, Op.CLTS, 0);
  set(T + 0x07, Op.SYSRET, 0);
  set(T + 0x08, Op.INVD, 0);
  set(T + 0x09, Op.WBINVD, 0);
  set(T + 0x0b, Op.UD, 0);
  set(T + 0x0d, Op.NOP, M); // PREFETCHW / reserved NOP
  for (let i = 0x10; i <= 0x17; i++) set(T + i, Op.SSE, M);
  for (let i = 0x18; i <= 0x1f; i++) if (i !== 0x1e) set(T + i, Op.NOP, M); // hint NOPs
  for (let i = 0x28; i <= 0x2f; i++) set(T + i, Op.SSE, M);
  set(T + 0x30, Op.WRMSR, 0);
  set(T + 0x31, Op.RDTSC, 0);
  set(T + 0x32, Op.RDMSR, 0);
  set(T + 0x33, Op.RDPMC, 0);
  set(T + 0x34, Op.SYSENTER, 0);
  set(T + 0x35, Op.SYSEXIT, 0);
  set(T + 0x37, Op.UNSUPPORTED, 0); // GETSEC (SMX)
  for (let c = 0; c < 16; c++) {
    set(T + 0x40 + c, Op.CMOVCC, M);
    set(T + 0x80 + c, Op.JCC, F_F64 | I_JZ);
    set(T + 0x90 + c, Op.SETCC, M);
  }
  for (let i = 0x50; i <= 0x7f; i++) set(T + i, Op.SSE, M);
  for (let i = 0x70; i <= 0x73; i++) set(T + i, Op.SSE, M | I_IBU);
  set(T + 0x77, Op.SSE, 0); // EMMS
  FLAGS[T + 0x78] = F_SPECIAL | F_VALID;
  FLAGS[T + 0x79] = F_SPECIAL | F_VALID;
  set(T + 0x7a, Op.INVALID, 0);
  FLAGS[T + 0x7a] = 0;
  FLAGS[T + 0x7b] = 0;
  set(T + 0xa0, Op.PUSH_SEG, F_D64);
  SEG2[T + 0xa0] = 4;
  set(T + 0xa1, Op.POP_SEG, F_D64);
  SEG2[T + 0xa1] = 4;
  set(T + 0xa2, Op.CPUID, 0);
  set(T + 0xa3, Op.BT_EvGv, M);
  set(T + 0xa4, Op.SHLD_Ib, M | I_IBU);
  set(T + 0xa5, Op.SHLD_CL, M);
  set(T + 0xa8, Op.PUSH_SEG, F_D64);
  SEG2[T + 0xa8] = 5;
  set(T + 0xa9, Op.POP_SEG, F_D64);
  SEG2[T + 0xa9] = 5;
  set(T + 0xaa, Op.RSM, 0);
  set(T + 0xab, Op.BTS_EvGv, M);
  set(T + 0xac, Op.SHRD_Ib, M | I_IBU);
  set(T + 0xad, Op.SHRD_CL, M);
  set(T + 0xaf, Op.IMUL_GvEv, M);
  set(T + 0xb0, Op.CMPXCHG_EbGb, M);
  set(T + 0xb1, Op.CMPXCHG_EvGv, M);
  set(T + 0xb2, Op.LOAD_FAR, M | F_MEMONLY);
  SEG2[T + 0xb2] = 2;
  set(T + 0xb3, Op.BTR_EvGv, M);
  set(T + 0xb4, Op.LOAD_FAR, M | F_MEMONLY);
  SEG2[T + 0xb4] = 4;
  set(T + 0xb5, Op.LOAD_FAR, M | F_MEMONLY);
  SEG2[T + 0xb5] = 5;
  set(T + 0xb6, Op.MOVZX_GvEb, M);
  set(T + 0xb7, Op.MOVZX_GvEw, M);
  set(T + 0xb9, Op.UD, M); // UD1
  set(T + 0xba, Grp.G8, F_GROUP | M | I_IBU);
  set(T + 0xbb, Op.BTC_EvGv, M);
  set(T + 0xbe, Op.MOVSX_GvEb, M);
  set(T + 0xbf, Op.MOVSX_GvEw, M);
  set(T + 0xc0, Op.XADD_EbGb, M);
  set(T + 0xc1, Op.XADD_EvGv, M);
  set(T + 0xc2, Op.SSE, M | I_IBU);
  set(T + 0xc3, Op.SSE, M); // MOVNTI
  set(T + 0xc4, Op.SSE, M | I_IBU);
  set(T + 0xc5, Op.SSE, M | I_IBU);
  set(T + 0xc6, Op.SSE, M | I_IBU);
  for (let i = 0xd0; i <= 0xfe; i++) set(T + i, Op.SSE, M);
  set(T + 0xff, Op.UD, M); // UD0
}

function buildGroups(): void {
  const alu = (base: number): number[] => [0, 1, 2, 3, 4, 5, 6, 7].map((a) => base + a * 6);
  group(Grp.G1B, alu(Op.ADD_EbIb));
  group(Grp.G1V, alu(Op.ADD_EvIz));
  // Shifts: /0 ROL /1 ROR /2 RCL /3 RCR /4 SHL /5 SHR /6 SAL(=SHL) /7 SAR.
  const sh = (form: number): number[] =>
    [0, 1, 2, 3, 4, 5, 4, 6].map((s) => Op.ROL_EbI + s * 4 + form);
  group(Grp.G2B_I, sh(0));
  group(Grp.G2V_I, sh(1));
  group(Grp.G2B_CL, sh(2));
  group(Grp.G2V_CL, sh(3));
  group(
    Grp.G3B,
    [
      Op.TEST_EbIb,
      Op.TEST_EbIb,
      Op.NOT_Eb,
      Op.NEG_Eb,
      Op.MUL_Eb,
      Op.IMUL_Eb,
      Op.DIV_Eb,
      Op.IDIV_Eb,
    ],
    [I_IBS, I_IBS],
  );
  group(
    Grp.G3V,
    [
      Op.TEST_EvIz,
      Op.TEST_EvIz,
      Op.NOT_Ev,
      Op.NEG_Ev,
      Op.MUL_Ev,
      Op.IMUL_Ev,
      Op.DIV_Ev,
      Op.IDIV_Ev,
    ],
    [I_IZ, I_IZ],
  );
  group(Grp.G4, [Op.INC_Eb, Op.DEC_Eb]);
  group(
    Grp.G5,
    [Op.INC_Ev, Op.DEC_Ev, Op.CALL_Ev, Op.CALLF_M, Op.JMP_Ev, Op.JMPF_M, Op.PUSH_Ev],
    [0, 0, F_F64, F_MEMONLY, F_F64, F_MEMONLY, F_D64],
  );
  group(Grp.G11B, [Op.MOV_EbIb]);
  group(Grp.G11V, [Op.MOV_EvIv]);
  group(Grp.G1A, [Op.POP_Ev], [F_D64]);
  group(Grp.G8, [0, 0, 0, 0, Op.BT_EvIb, Op.BTS_EvIb, Op.BTR_EvIb, Op.BTC_EvIb]);
}

function buildLockable(): void {
  for (let a = 0; a < 7; a++) { // not CMP
    const op = Op.ADD_EbGb + a * 6;
    LOCKABLE[op] =
      LOCKABLE[op + 1] =
      LOCKABLE[op + 4] =
      LOCKABLE[op + 5] =
        1;
  }
  for (
    const op of [
      Op.NOT_Eb,
      Op.NOT_Ev,
      Op.NEG_Eb,
      Op.NEG_Ev,
      Op.INC_Eb,
      Op.INC_Ev,
      Op.DEC_Eb,
      Op.DEC_Ev,
      Op.XCHG_EbGb,
      Op.XCHG_EvGv,
      Op.XADD_EbGb,
      Op.XADD_EvGv,
      Op.CMPXCHG_EbGb,
      Op.CMPXCHG_EvGv,
      Op.CMPXCHG8B,
      Op.BTS_EvGv,
      Op.BTR_EvGv,
      Op.BTC_EvGv,
      Op.BTS_EvIb,
      Op.BTR_EvIb,
      Op.BTC_EvIb,
    ]
  ) LOCKABLE[op] = 1;
}

function buildPrefixes(): void {
  const segs = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
  for (let s = 0; s < 6; s++) {
    PREFIX[segs[s]] = 1;
    PREFIX_SEG[segs[s]] = s;
  }
  PREFIX[0x66] = 2;
  PREFIX[0x67] = 3;
  PREFIX[0xf0] = 4;
  PREFIX[0xf2] = 5;
  PREFIX[0xf3] = 6;
  for (let i = 0x40; i < 0x50; i++) PREFIX[i] = 7;
}

buildOneByte();
buildTwoByte();
buildGroups();
buildLockable();
buildPrefixes();
