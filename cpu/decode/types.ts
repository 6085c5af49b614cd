/**
 * The decoded-instruction format shared by the decoder and the execution
 * engine: {@link DecodedInsn} (a reusable object with numeric fields), the
 * dense operation ids {@link Op}, and small enums for prefixes and maps.
 *
 * Conventions the engine can rely on:
 * - One op id per operation *and form* (`ADD_EbGb`, `ADD_EvIz`, ...). Short
 *   forms are folded into their ModRM equivalents: `04 ib` (ADD AL,imm8) is
 *   `ADD_EbIb` with a register operand `rm = 0`; `B8+r` is `MOV_EvIv` with
 *   `rm = r`; `50+r` is `PUSH_Ev`; `40+r` is `INC_Ev`; `91+r` is `XCHG_EvGv`;
 *   `A0-A3` (moffs) are `MOV_GbEb`/`MOV_GvEv`/`MOV_EbGb`/`MOV_EvGv` with a
 *   memory operand that has no base and no index (`disp`/`dispHi` = offset).
 *   So an opcode-embedded register is always in `rm` (`isMem = 0`).
 * - `D0`/`D1` shifts by one are the `..._EbI`/`..._EvI` forms with `imm = 1`.
 * - Jcc/SETcc/CMOVcc are one op each with the condition in `cc`.
 * - The eight ALU operations are laid out ADD OR ADC SBB AND SUB XOR CMP,
 *   six forms each, so `(op - Op.ADD_EbGb) / 6 | 0` is the ModRM /digit and
 *   `(op - Op.ADD_EbGb) % 6` the form. Shifts: ROL ROR RCL RCR SHL SHR SAR,
 *   four forms each (EbI, EvI, EbCL, EvCL); `/6` (SAL) decodes as SHL.
 * - Operand sizes the engine must derive: IN/OUT/INS/OUTS move 1 byte in
 *   the byte forms, else min(`opSize`, 32) (REX.W has no effect); MOVSXD
 *   reads min(`opSize`, 32) bits; CMPXCHG8B is CMPXCHG16B iff `opSize` is
 *   64; MOV CR/DR, VMREAD/VMWRITE, INVEPT/INVVPID/INVPCID have `opSize` 64
 *   in 64-bit mode and 32 otherwise (66 ignored); RDFSBASE & co are 32 or 64
 *   (REX.W, 66 ignored); near branches, near RET and LOOP/JrCXZ are 64 in
 *   64-bit mode (66 ignored, as on Intel); PUSH/POP/ENTER/LEAVE/PUSHF/POPF
 *   default to 64 there (66 selects 16).
 * - Mode checks left to the engine: SYSCALL/SYSRET decode in every mode
 *   (Intel raises #UD outside 64-bit mode; AMD allows them), as do
 *   SYSENTER/SYSEXIT, the VMX instructions and all privileged ones. The
 *   decoder itself rejects what is undefined by encoding: SWAPGS and
 *   RDFSBASE & co outside 64-bit mode, the I64 opcodes inside it.
 * - `mod` is 3 when there is no ModRM byte; moffs forms set `isMem` with
 *   `mod` 0. MOV Sreg forms put the segment number in `reg` and `seg2`.
 * - Classes decoded for length only: `X87` (all of D8-DF), `SSE` (legacy
 *   MMX/SSE encodings, exact per mandatory prefix and operand form, see
 *   `sse.ts`; also FXSAVE/FXRSTOR/LDMXCSR/STMXCSR/EMMS), `VEX` (C4/C5/62
 *   VEX/EVEX), `UNSUPPORTED` (defined by the SDM, not implemented here:
 *   RTM XEND/XTEST, RDPID, GETSEC, MOVBE, CRC32, ADCX/ADOX). All of them
 *   are #UD (or #NM for x87/SSE per CR0) in an engine that does not
 *   advertise the extension.
 *
 * @module
 */

/** Decoding mode: default operand/address size of the code segment (64 = 64-bit long mode). */
export type DecodeMode = 16 | 32 | 64;

/** Opcode map of a decoded instruction. */
export const enum OpMap {
  /** One-byte map. */
  ONE = 0,
  /** Two-byte map (0F xx). */
  M0F = 1,
  /** Three-byte map 0F 38 xx. */
  M0F38 = 2,
  /** Three-byte map 0F 3A xx. */
  M0F3A = 3,
  /** VEX/EVEX/XOP encoded (opcode byte after the VEX payload). */
  VEX = 4,
}

/** REP prefix state of an instruction (the last of F2/F3 wins). */
export const enum Rep {
  NONE = 0,
  /** F3: REP / REPE / REPZ. */
  REPE = 1,
  /** F2: REPNE / REPNZ. */
  REPNE = 2,
}

/**
 * Byte-register numbering used in `reg8`/`rm8`: 0-15 are the low bytes of
 * registers 0-15 (AL, CL, ..., SPL..DIL, R8B..R15B); 16-19 are AH, CH, DH, BH
 * (bits 15:8 of registers 0-3), used when no REX prefix is present.
 */
export const BYTE_REG_HIGH = 16;

/**
 * Operation ids, dense from 0 to {@link Op.COUNT} - 1. `E` = ModRM r/m,
 * `G` = ModRM reg, `b` = byte, `v` = operand size (`opSize`), `I` = immediate.
 * The first ids are the "no execution" outcomes: #UD / #GP / fetch problems
 * and opcode classes we decode only for length.
 */
export const enum Op {
  /** Undefined encoding, LOCK where not allowed, mode-invalid opcode: #UD. */
  INVALID = 0,
  /** Instruction longer than 15 bytes: #GP(0). `len` is 15. */
  TOO_LONG,
  /** `decodeBytes` ran out of bytes and had no fetch callback. */
  TRUNCATED,
  /** x87 escape (D8-DF, also 9B is FWAIT): engine raises #NM/#UD per CR0. */
  X87,
  /** MMX/SSE/SSE2+ legacy-encoded instruction: #UD/#NM per CR0/CR4 (not implemented). */
  SSE,
  /** VEX/EVEX/XOP encoded instruction: #UD (AVX not implemented). */
  VEX,
  /** Valid SDM encoding of an extension we do not implement (RTM, MOVBE, CRC32, ...): #UD. */
  UNSUPPORTED,
  /** UD0/UD1/UD2: #UD by definition. */
  UD,

  // ALU: ADD OR ADC SBB AND SUB XOR CMP, six forms each.
  ADD_EbGb,
  ADD_EvGv,
  ADD_GbEb,
  ADD_GvEv,
  ADD_EbIb,
  ADD_EvIz,
  OR_EbGb,
  OR_EvGv,
  OR_GbEb,
  OR_GvEv,
  OR_EbIb,
  OR_EvIz,
  ADC_EbGb,
  ADC_EvGv,
  ADC_GbEb,
  ADC_GvEv,
  ADC_EbIb,
  ADC_EvIz,
  SBB_EbGb,
  SBB_EvGv,
  SBB_GbEb,
  SBB_GvEv,
  SBB_EbIb,
  SBB_EvIz,
  AND_EbGb,
  AND_EvGv,
  AND_GbEb,
  AND_GvEv,
  AND_EbIb,
  AND_EvIz,
  SUB_EbGb,
  SUB_EvGv,
  SUB_GbEb,
  SUB_GvEv,
  SUB_EbIb,
  SUB_EvIz,
  XOR_EbGb,
  XOR_EvGv,
  XOR_GbEb,
  XOR_GvEv,
  XOR_EbIb,
  XOR_EvIz,
  CMP_EbGb,
  CMP_EvGv,
  CMP_GbEb,
  CMP_GvEv,
  CMP_EbIb,
  CMP_EvIz,

  // Shifts/rotates: ROL ROR RCL RCR SHL SHR SAR, forms EbI EvI EbCL EvCL.
  ROL_EbI,
  ROL_EvI,
  ROL_EbCL,
  ROL_EvCL,
  ROR_EbI,
  ROR_EvI,
  ROR_EbCL,
  ROR_EvCL,
  RCL_EbI,
  RCL_EvI,
  RCL_EbCL,
  RCL_EvCL,
  RCR_EbI,
  RCR_EvI,
  RCR_EbCL,
  RCR_EvCL,
  SHL_EbI,
  SHL_EvI,
  SHL_EbCL,
  SHL_EvCL,
  SHR_EbI,
  SHR_EvI,
  SHR_EbCL,
  SHR_EvCL,
  SAR_EbI,
  SAR_EvI,
  SAR_EbCL,
  SAR_EvCL,

  // Unary group 3/4/5.
  TEST_EbGb,
  TEST_EvGv,
  TEST_EbIb,
  TEST_EvIz,
  NOT_Eb,
  NOT_Ev,
  NEG_Eb,
  NEG_Ev,
  MUL_Eb,
  MUL_Ev,
  IMUL_Eb,
  IMUL_Ev,
  DIV_Eb,
  DIV_Ev,
  IDIV_Eb,
  IDIV_Ev,
  INC_Eb,
  INC_Ev,
  DEC_Eb,
  DEC_Ev,
  /** IMUL Gv, Ev, imm (69 / 6B). */
  IMUL_GvEvI,
  /** IMUL Gv, Ev (0F AF). */
  IMUL_GvEv,

  // Data movement.
  MOV_EbGb,
  MOV_EvGv,
  MOV_GbEb,
  MOV_GvEv,
  /** MOV r/m8, imm8 (C6 /0, B0+r). */
  MOV_EbIb,
  /** MOV r/m, imm (C7 /0 sign-extended imm32; B8+r incl. imm64 with REX.W). */
  MOV_EvIv,
  /** MOV r/m16, Sreg (8C): `reg` = segment register number. */
  MOV_EvSw,
  /** MOV Sreg, r/m16 (8E): `reg` = segment register number (CS is #UD already). */
  MOV_SwEw,
  LEA,
  XCHG_EbGb,
  XCHG_EvGv,
  MOVZX_GvEb,
  MOVZX_GvEw,
  MOVSX_GvEb,
  MOVSX_GvEw,
  /** MOVSXD Gv, Ed (63 in 64-bit mode). */
  MOVSXD,
  XADD_EbGb,
  XADD_EvGv,
  CMPXCHG_EbGb,
  CMPXCHG_EvGv,
  /** CMPXCHG8B m64, or CMPXCHG16B m128 when `opSize` = 64 (REX.W). */
  CMPXCHG8B,
  /** BSWAP r (register in `rm`). */
  BSWAP,
  /** CBW / CWDE / CDQE by `opSize`. */
  CBW,
  /** CWD / CDQ / CQO by `opSize`. */
  CWD,
  XLAT,
  /** CMOVcc Gv, Ev (`cc`). */
  CMOVCC,
  /** SETcc Eb (`cc`). */
  SETCC,
  LAHF,
  SAHF,
  /** SALC (D6): AL = CF ? FFh : 0; #UD in 64-bit mode. Not in the Intel SDM opcode map. */
  SALC,
  /** LDS/LES/LFS/LGS/LSS Gv, Mp: `seg2` = segment register loaded. */
  LOAD_FAR,

  // Stack.
  /** PUSH r/m (FF /6, 50+r). */
  PUSH_Ev,
  /** POP r/m (8F /0, 58+r). */
  POP_Ev,
  /** PUSH imm (68 Iz, 6A Ib sign-extended). */
  PUSH_I,
  /** PUSH Sreg: `seg2` = segment register. */
  PUSH_SEG,
  /** POP Sreg: `seg2` = segment register. */
  POP_SEG,
  PUSHA,
  POPA,
  PUSHF,
  POPF,
  /** ENTER imm16 (`imm`), imm8 (`imm2`). */
  ENTER,
  LEAVE,

  // Control flow.
  /** Jcc rel8/rel16/rel32 (`cc`, `rel`). */
  JCC,
  JMP_REL,
  CALL_REL,
  JMP_Ev,
  CALL_Ev,
  /** JMP ptr16:16/32 (EA): `imm` offset, `imm2` selector. */
  JMPF_A,
  /** CALL ptr16:16/32 (9A): `imm` offset, `imm2` selector. */
  CALLF_A,
  /** JMP m16:16/32/64 (FF /5). */
  JMPF_M,
  /** CALL m16:16/32/64 (FF /3). */
  CALLF_M,
  /** RET near; `imm` = bytes to release (0 for C3). */
  RET_NEAR,
  /** RET far; `imm` = bytes to release (0 for CB). */
  RET_FAR,
  /** LOOP/LOOPE/LOOPNE/JrCXZ: count register size is `addrSize`. */
  LOOPNE,
  LOOPE,
  LOOP,
  JRCXZ,
  /** INT imm8 (`imm`). */
  INT,
  INT3,
  INTO,
  INT1,
  IRET,

  // Strings (`rep`, `segOverride` for the source, `addrSize`).
  MOVSB,
  MOVS,
  CMPSB,
  CMPS,
  STOSB,
  STOS,
  LODSB,
  LODS,
  SCASB,
  SCAS,
  INSB,
  INS,
  OUTSB,
  OUTS,

  // Port I/O: `imm` is the port for the _I forms.
  INB_I,
  IN_I,
  OUTB_I,
  OUT_I,
  INB_DX,
  IN_DX,
  OUTB_DX,
  OUT_DX,

  // Flags and misc.
  CMC,
  CLC,
  STC,
  CLI,
  STI,
  CLD,
  STD,
  HLT,
  NOP,
  PAUSE,
  ENDBR64,
  ENDBR32,
  FWAIT,
  DAA,
  DAS,
  AAA,
  AAS,
  /** AAM imm8 / AAD imm8 (`imm`). */
  AAM,
  AAD,
  BOUND,
  ARPL,

  // Bit operations.
  BT_EvGv,
  BTS_EvGv,
  BTR_EvGv,
  BTC_EvGv,
  BT_EvIb,
  BTS_EvIb,
  BTR_EvIb,
  BTC_EvIb,
  BSF,
  BSR,
  TZCNT,
  LZCNT,
  POPCNT,
  SHLD_Ib,
  SHLD_CL,
  SHRD_Ib,
  SHRD_CL,

  // System.
  CPUID,
  RDTSC,
  RDTSCP,
  RDMSR,
  WRMSR,
  RDPMC,
  SYSCALL,
  SYSRET,
  SYSENTER,
  SYSEXIT,
  /** MOV r, CRn: `reg` = CR number (with REX.R), `rm` = GPR. */
  MOV_RdCd,
  /** MOV CRn, r. */
  MOV_CdRd,
  /** MOV r, DRn. */
  MOV_RdDd,
  /** MOV DRn, r. */
  MOV_DdRd,
  CLTS,
  SGDT,
  SIDT,
  LGDT,
  LIDT,
  SLDT,
  STR,
  LLDT,
  LTR,
  SMSW,
  LMSW,
  INVLPG,
  VERR,
  VERW,
  LAR,
  LSL,
  SWAPGS,
  WBINVD,
  INVD,
  INVPCID,
  RSM,
  XGETBV,
  XSETBV,
  MONITOR,
  MWAIT,
  RDFSBASE,
  RDGSBASE,
  WRFSBASE,
  WRGSBASE,
  RDRAND,
  RDSEED,
  /** LFENCE / MFENCE / SFENCE. */
  FENCE,
  /** CLFLUSH / CLFLUSHOPT / CLWB (memory operand). */
  CLFLUSH,

  // VMX.
  VMCALL,
  VMLAUNCH,
  VMRESUME,
  VMXOFF,
  VMFUNC,
  VMPTRLD,
  VMCLEAR,
  VMXON,
  VMPTRST,
  /** VMREAD Ey, Gy (`rm`/memory = destination, `reg` = field encoding). */
  VMREAD,
  /** VMWRITE Gy, Ey (`reg` = field encoding, `rm`/memory = source). */
  VMWRITE,
  INVEPT,
  INVVPID,
  /** CLAC (SMAP): clear RFLAGS.AC. */
  CLAC,
  /** STAC (SMAP): set RFLAGS.AC. */
  STAC,
  /** RDPKRU (NP 0F 01 EE): EAX = PKRU. */
  RDPKRU,
  /** WRPKRU (NP 0F 01 EF): PKRU = EAX. */
  WRPKRU,
  /** VMMCALL (NP 0F 01 D9): AMD's call to the hypervisor; #UD unless one takes it. */
  VMMCALL,

  /** Number of op ids. */
  COUNT,
}

/**
 * One decoded instruction. The decoder fills every field on every call (no
 * stale values), so one object can be reused; no allocation per decode.
 */
export class DecodedInsn {
  /** Length in bytes (1-15). For INVALID it is the length decoded so far (at least 1); TOO_LONG gives 15. */
  len: number = 0;
  /** Operation id ({@link Op}). */
  op: number = 0;
  /** Last opcode byte (e.g. 0xAF for 0F AF). */
  opcode: number = 0;
  /** Opcode map ({@link OpMap}). */
  map: number = 0;
  /** Decoding mode (16, 32, 64). */
  mode: number = 32;
  /** Effective operand size in bits (16/32/64), after 66/REX.W and default-64 rules. Byte forms still report the v size. */
  opSize: number = 32;
  /** Effective address size in bits (16/32/64), after 67. */
  addrSize: number = 32;
  /** Last segment-override prefix (0 ES .. 5 GS), or -1; raw, also in 64-bit mode. */
  segOverride: number = -1;
  /**
   * Segment to use for the memory operand (and the string source): the
   * override if any (in 64-bit mode only FS/GS overrides count), else
   * `defaultSeg`.
   */
  seg: number = 3;
  /** Default segment of the memory operand: 2 (SS) for rBP/rSP-based addressing, else 3 (DS). */
  defaultSeg: number = 3;
  /** 1 if a LOCK prefix is present (already validated: LOCK is legal here). */
  lock: number = 0;
  /** REP state ({@link Rep}): last of F3/F2. */
  rep: number = 0;
  /** 1 if an operand-size (66) prefix is present. */
  p66: number = 0;
  /** 1 if an address-size (67) prefix is present. */
  p67: number = 0;
  /** The effective REX byte (0x40-0x4F) or 0: bit 3 W, 2 R, 1 X, 0 B. */
  rex: number = 0;
  /** 1 if the instruction has a ModRM byte. */
  hasModrm: number = 0;
  /** ModRM.mod (0-3; 3 = register operand). */
  mod: number = 0;
  /**
   * ModRM.reg extended by REX.R (0-15): the G operand, or the /digit for
   * group opcodes (low 3 bits), or CR/DR number, or segment register.
   */
  reg: number = 0;
  /** ModRM.rm extended by REX.B (0-15) for register operands; also the opcode-embedded register. */
  rm: number = 0;
  /** `reg` as a byte register (see {@link BYTE_REG_HIGH}). */
  reg8: number = 0;
  /** `rm` as a byte register (see {@link BYTE_REG_HIGH}). */
  rm8: number = 0;
  /** 1 if the E operand is memory (then see base/index/scale/disp). */
  isMem: number = 0;
  /** Base register (0-15), or -1 for none. */
  base: number = -1;
  /** Index register (0-15), or -1 for none (RSP as index means none). */
  index: number = -1;
  /** log2 of the SIB scale (0-3). */
  scale: number = 0;
  /** Displacement as a signed 32-bit integer (16-bit displacements sign-extended). */
  disp: number = 0;
  /** High 32 bits (unsigned) of the displacement: the sign extension of `disp`, except 64-bit moffs. */
  dispHi: number = 0;
  /** 1 if the address is RIP-relative (64-bit mode): add the address of the next instruction. */
  ripRel: number = 0;
  /** Immediate: low 32 bits as unsigned, extended to 64 bits as the instruction defines. */
  imm: number = 0;
  /** Immediate: high 32 bits (unsigned): sign extension, or the high half of a MOV imm64. */
  immHi: number = 0;
  /** Second immediate: ENTER nesting level, far-pointer selector. */
  imm2: number = 0;
  /** Branch displacement relative to the next instruction (signed, rel8/16/32 sign-extended). */
  rel: number = 0;
  /** Condition code 0-15 for Jcc/SETcc/CMOVcc. */
  cc: number = 0;
  /** Segment register operand for PUSH/POP Sreg and LDS-family (0 ES .. 5 GS). */
  seg2: number = 0;
}

/**
 * Code-byte source: returns the byte at `offset` (0-14) from the start of
 * the instruction. It may throw a guest fault (e.g. #PF on fetch); the
 * decoder reads each byte at most once, in order, and never past the end of
 * the instruction or the 15-byte limit.
 */
export type CodeFetch = (offset: number) => number;
