/**
 * Differential test of the decoder (cpu/decode) against iced-x86, a
 * reference x86 decoder, over random and structured byte sequences in 16-,
 * 32- and 64-bit mode. Compared: length, validity, mnemonic, and the
 * operands (registers, memory base/index/scale/displacement/segment,
 * immediates, branch targets, far pointers).
 *
 * Deliberate disagreements are listed in {@link EXCLUSIONS} with the reason;
 * every sample that falls under one is counted and reported, never dropped
 * silently.
 *
 * Real code too: the executable sections of our committed guest images
 * (guests/build/*.elf) are swept in all three modes; with NESTVM_FUZZ=long
 * also host binaries (NESTVM_DECODER_ELF, colon-separated; default bash,
 * ls, perl, as from /usr/bin when present).
 *
 * `deno test -A tests/decoder_diff_test.ts` runs a fixed-seed share (50k
 * samples per mode); `NESTVM_FUZZ=long` (`deno task fuzz:decoder`) runs 1M
 * samples per mode (NESTVM_FUZZ_N to change), seed from NESTVM_FUZZ_SEED.
 */
import assert from "node:assert/strict";
import {
  Code,
  CpuidFeature,
  Decoder,
  DecoderOptions,
  Instruction,
  Mnemonic,
  OpKind,
  Register,
} from "iced-x86";
import { decodeBytes, DecodedInsn, mnemonic, Op, OP_NAMES } from "../cpu/decode/mod.ts";
import { selectSse } from "../cpu/sse/select.ts";
import type { Insn } from "../cpu/icache.ts";

const LONG = Deno.env.get("NESTVM_FUZZ") === "long";
/** Samples per op id that both decoders accepted (all modes). */
const SEEN = new Uint32Array(Op.COUNT);
const N = Number(Deno.env.get("NESTVM_FUZZ_N") ?? (LONG ? 1_000_000 : 50_000));
const SEED = Number(Deno.env.get("NESTVM_FUZZ_SEED") ?? 0x5eed1234);

// ---------------------------------------------------------------- generator

/** xorshift32: deterministic, seedable. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const LEGACY = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3];
/** Interesting 0F opcodes for the integer/system ISA (weighted up). */
const SYS0F = [
  0x00,
  0x01,
  0x02,
  0x03,
  0x05,
  0x06,
  0x07,
  0x08,
  0x09,
  0x0b,
  0x0d,
  0x1e,
  0x1f,
  0x20,
  0x21,
  0x22,
  0x23,
  0x30,
  0x31,
  0x32,
  0x33,
  0x34,
  0x35,
  0x40,
  0x4f,
  0x78,
  0x79,
  0x80,
  0x8f,
  0x90,
  0x9f,
  0xa0,
  0xa1,
  0xa2,
  0xa3,
  0xa4,
  0xa5,
  0xa8,
  0xa9,
  0xab,
  0xac,
  0xad,
  0xae,
  0xaf,
  0xb0,
  0xb1,
  0xb2,
  0xb3,
  0xb4,
  0xb5,
  0xb6,
  0xb7,
  0xb8,
  0xba,
  0xbb,
  0xbc,
  0xbd,
  0xbe,
  0xbf,
  0xc0,
  0xc1,
  0xc7,
  0xc8,
  0xcf,
];

/** Exact encodings worth hitting directly (the ModRM register field is randomised). */
const CURATED = [
  [0xf3, 0x0f, 0x1e, 0xfa],
  [0xf3, 0x0f, 0x1e, 0xfb],
  [0xf3, 0x0f, 0xae, 0xc0],
  [0xf3, 0x0f, 0xae, 0xc8],
  [0xf3, 0x0f, 0xae, 0xd0],
  [0xf3, 0x0f, 0xae, 0xd8],
  [0xf3, 0x48, 0x0f, 0xae, 0xc0],
  [0xf3, 0x90],
  [0x0f, 0x01, 0xf8],
];

/** Fill `buf` (16 bytes) with one sample; most are plausible instructions. */
function gen(r: () => number, buf: Uint8Array, mode: number): void {
  for (let i = 0; i < 16; i++) buf[i] = r() & 0xff;
  const kind = r() % 100;
  if (kind < 8) return; // pure noise
  let p = 0;
  // prefixes: usually none or one or two, sometimes a long run (15-byte limit)
  const np = kind < 12 ? 8 + (r() % 8) : [0, 0, 0, 1, 1, 2, 3][r() % 7];
  for (let i = 0; i < np; i++) buf[p++] = LEGACY[r() % LEGACY.length];
  if (mode === 64 && r() % 3 === 0) {
    buf[p++] = 0x40 | (r() & 15);
    if (r() % 8 === 0) buf[p++] = LEGACY[r() % LEGACY.length]; // REX not last
  }
  const k = r() % 100;
  if (k < 55) {
    buf[p++] = r() & 0xff;
  } else if (k < 80) {
    buf[p++] = 0x0f;
    buf[p++] = SYS0F[r() % SYS0F.length];
  } else if (k < 90) {
    buf[p++] = 0x0f;
    buf[p++] = r() & 0xff;
  } else if (k < 94) {
    buf[p++] = 0x0f;
    buf[p++] = 0x01;
    buf[p++] = 0xc0 | (r() & 0x3f); // group 7 register forms (VMX, SWAPGS, ...)
  } else if (k < 97) {
    buf[p++] = 0x0f;
    buf[p++] = r() & 1 ? 0x38 : 0x3a;
    buf[p++] = r() & 1 ? 0x80 + (r() % 3) : r() & 0xff;
  } else if (k < 98) {
    buf[p++] = 0x0f;
    buf[p++] = 0xc7; // group 9 (VMPTRLD/VMCLEAR/VMXON/RDRAND/CMPXCHG8B)
  } else {
    // exact encodings that random bytes rarely hit (ENDBR, RDFSBASE & co, PAUSE)
    const pick = CURATED[r() % CURATED.length];
    for (const b of pick) if (p < 16) buf[p++] = b;
    if (p < 16 && (pick[pick.length - 1] & 0xc0) === 0xc0) buf[p - 1] |= r() & 7;
  }
  if (p >= 16) return;
  // ModRM: bias toward memory forms with SIB and displacements
  if (r() % 4 === 0) buf[p] = (buf[p] & 0xf8) | 4;
}

// ---------------------------------------------------------------- our operands

const R64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"];
const R8L = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"];

/** GPR name in iced's spelling. */
function gpr(r: number, size: number): string {
  if (size === 8) {
    if (r >= 16) return ["ah", "ch", "dh", "bh"][r - 16];
    return r < 8 ? R8L[r] : `r${r}l`;
  }
  if (r >= 8) return `r${r}` + (size === 64 ? "" : size === 32 ? "d" : "w");
  if (size === 64) return R64[r];
  return (size === 32 ? "e" : "") + R64[r].slice(1);
}

function memOperand(o: DecodedInsn): string {
  const as = o.addrSize;
  const segs = ["es", "cs", "ss", "ds", "fs", "gs"];
  const base = o.ripRel ? (as === 64 ? "rip" : "eip") : o.base < 0 ? "none" : gpr(o.base, as);
  const index = o.index < 0 ? "none" : gpr(o.index, as);
  let d = (BigInt(o.dispHi) << 32n) | BigInt(o.disp >>> 0);
  d &= as === 64 ? 0xffffffffffffffffn : as === 32 ? 0xffffffffn : 0xffffn;
  if (o.ripRel) d &= as === 64 ? 0xffffffffffffffffn : 0xffffffffn;
  // iced reports the override even where 64-bit mode ignores it (ES/CS/SS/DS); ours is in `seg`
  const seg = o.segOverride >= 0 ? o.segOverride : o.seg;
  return `mem(${segs[seg]},${base},${index},${1 << o.scale},${d.toString(16)})`;
}

/** Render one operand spec of ours. */
function operand(o: DecodedInsn, spec: string): string {
  const os = o.opSize;
  switch (spec) {
    case "Eb":
      return o.isMem ? memOperand(o) : gpr(o.rm8, 8);
    case "Ev":
      return o.isMem ? memOperand(o) : gpr(o.rm, os);
    case "Ew":
      return o.isMem ? memOperand(o) : gpr(o.rm, 16);
    case "Ed":
      return o.isMem ? memOperand(o) : gpr(o.rm, os === 64 ? 32 : os);
    case "M":
      return memOperand(o);
    case "Gb":
      return gpr(o.reg8, 8);
    case "Gv":
      return gpr(o.reg, os);
    case "Gw":
      return gpr(o.reg, 16);
    case "Rv":
      return gpr(o.rm, os);
    case "Sw":
      return ["es", "cs", "ss", "ds", "fs", "gs"][o.reg];
    case "S2":
      return ["es", "cs", "ss", "ds", "fs", "gs"][o.seg2];
    case "Cd":
      return "cr" + o.reg;
    case "Dd":
      return "dr" + o.reg;
    case "al":
    case "cl":
    case "dx":
      return spec;
    case "acc":
      return gpr(0, os === 64 ? 32 : os);
    case "accv":
      return gpr(0, os);
    case "I8":
      return "imm8:" + (o.imm & 0xff).toString(16);
    case "I16":
      return "imm16:" + (o.imm & 0xffff).toString(16);
    case "I2":
      return "imm8:" + o.imm2.toString(16);
    case "Iv": {
      const w = os === 64 ? 64 : os;
      const v = ((BigInt(o.immHi) << 32n) | BigInt(o.imm)) & ((1n << BigInt(w)) - 1n);
      return `imm${w}:${v.toString(16)}`;
    }
    case "J": {
      const t = BigInt(o.len + o.rel);
      const w = os === 64 ? 64n : BigInt(os);
      return "j" + (t & ((1n << w) - 1n)).toString(16);
    }
    case "A":
      return "far" + o.imm2.toString(16) + ":" + o.imm.toString(16);
  }
  throw new Error("bad spec " + spec);
}

/** Operand templates per op (Intel operand order); null entries are not compared. */
const TEMPLATES: (string[] | null)[] = [];
function tpl(ops: readonly number[], specs: string[] | null): void {
  for (const op of ops) TEMPLATES[op] = specs;
}
for (let a = 0; a < 8; a++) {
  const b = Op.ADD_EbGb + a * 6;
  tpl([b], ["Eb", "Gb"]);
  tpl([b + 1], ["Ev", "Gv"]);
  tpl([b + 2], ["Gb", "Eb"]);
  tpl([b + 3], ["Gv", "Ev"]);
  tpl([b + 4], ["Eb", "I8"]);
  tpl([b + 5], ["Ev", "Iv"]);
}
for (let s = 0; s < 7; s++) {
  const b = Op.ROL_EbI + s * 4;
  tpl([b], ["Eb", "I8"]);
  tpl([b + 1], ["Ev", "I8"]);
  tpl([b + 2], ["Eb", "cl"]);
  tpl([b + 3], ["Ev", "cl"]);
}
tpl([Op.TEST_EbGb, Op.XCHG_EbGb, Op.MOV_EbGb, Op.XADD_EbGb, Op.CMPXCHG_EbGb], ["Eb", "Gb"]);
tpl([Op.TEST_EvGv, Op.XCHG_EvGv, Op.MOV_EvGv, Op.XADD_EvGv, Op.CMPXCHG_EvGv], ["Ev", "Gv"]);
tpl([Op.BT_EvGv, Op.BTS_EvGv, Op.BTR_EvGv, Op.BTC_EvGv], ["Ev", "Gv"]);
tpl([Op.TEST_EbIb, Op.MOV_EbIb], ["Eb", "I8"]);
tpl([Op.TEST_EvIz, Op.MOV_EvIv], ["Ev", "Iv"]);
const EB = ["Eb"], EV = ["Ev"];
tpl([Op.NOT_Eb, Op.NEG_Eb, Op.MUL_Eb, Op.IMUL_Eb, Op.DIV_Eb, Op.IDIV_Eb, Op.INC_Eb, Op.DEC_Eb], EB);
tpl([Op.NOT_Ev, Op.NEG_Ev, Op.MUL_Ev, Op.IMUL_Ev, Op.DIV_Ev, Op.IDIV_Ev, Op.INC_Ev, Op.DEC_Ev], EV);
tpl([Op.PUSH_Ev, Op.POP_Ev, Op.JMP_Ev, Op.CALL_Ev, Op.SLDT, Op.STR, Op.SMSW], ["Ev"]);
tpl([Op.RDFSBASE, Op.RDGSBASE, Op.WRFSBASE, Op.WRGSBASE, Op.RDRAND, Op.RDSEED], ["Ev"]);
tpl([Op.IMUL_GvEvI], ["Gv", "Ev", "Iv"]);
tpl([Op.IMUL_GvEv, Op.BSF, Op.BSR, Op.TZCNT, Op.LZCNT, Op.POPCNT, Op.CMOVCC], ["Gv", "Ev"]);
tpl([Op.MOV_GbEb], ["Gb", "Eb"]);
tpl([Op.MOV_GvEv], ["Gv", "Ev"]);
tpl([Op.MOV_EvSw], ["Ev", "Sw"]);
tpl([Op.MOV_SwEw], ["Sw", "Ev"]);
tpl([Op.LEA, Op.BOUND, Op.LOAD_FAR], ["Gv", "M"]);
tpl([Op.MOVZX_GvEb, Op.MOVSX_GvEb], ["Gv", "Eb"]);
tpl([Op.MOVZX_GvEw, Op.MOVSX_GvEw], ["Gv", "Ew"]);
tpl([Op.MOVSXD], ["Gv", "Ed"]);
tpl([Op.CMPXCHG8B, Op.JMPF_M, Op.CALLF_M, Op.SGDT, Op.SIDT, Op.LGDT, Op.LIDT, Op.INVLPG], ["M"]);
tpl([Op.VMPTRLD, Op.VMCLEAR, Op.VMXON, Op.VMPTRST, Op.CLFLUSH], ["M"]);
tpl([Op.BSWAP], ["Rv"]);
tpl([Op.SETCC], ["Eb"]);
tpl([Op.PUSH_I], ["Iv"]);
tpl([Op.INT, Op.AAM, Op.AAD], ["I8"]);
tpl([Op.PUSH_SEG, Op.POP_SEG], ["S2"]);
tpl([Op.ENTER], ["I16", "I2"]);
tpl([Op.JCC, Op.JMP_REL, Op.CALL_REL, Op.LOOP, Op.LOOPE, Op.LOOPNE, Op.JRCXZ], ["J"]);
tpl([Op.JMPF_A, Op.CALLF_A], ["A"]);
tpl([Op.INSB, Op.INS, Op.OUTSB, Op.OUTS], ["dx"]);
tpl([Op.LODSB, Op.STOSB, Op.SCASB], ["al"]);
tpl([Op.LODS, Op.STOS, Op.SCAS], ["accv"]);
tpl([Op.INB_I], ["al", "I8"]);
tpl([Op.IN_I], ["acc", "I8"]);
tpl([Op.OUTB_I], ["I8", "al"]);
tpl([Op.OUT_I], ["I8", "acc"]);
tpl([Op.INB_DX], ["al", "dx"]);
tpl([Op.IN_DX], ["acc", "dx"]);
tpl([Op.OUTB_DX], ["dx", "al"]);
tpl([Op.OUT_DX], ["dx", "acc"]);
tpl([Op.ARPL], ["Ev", "Gv"]);
tpl([Op.BT_EvIb, Op.BTS_EvIb, Op.BTR_EvIb, Op.BTC_EvIb], ["Ev", "I8"]);
tpl([Op.SHLD_Ib, Op.SHRD_Ib], ["Ev", "Gv", "I8"]);
tpl([Op.SHLD_CL, Op.SHRD_CL], ["Ev", "Gv", "cl"]);
tpl([Op.MOV_RdCd], ["Rv", "Cd"]);
tpl([Op.MOV_CdRd], ["Cd", "Rv"]);
tpl([Op.MOV_RdDd], ["Rv", "Dd"]);
tpl([Op.MOV_DdRd], ["Dd", "Rv"]);
tpl([Op.LLDT, Op.LTR, Op.VERR, Op.VERW, Op.LMSW], ["Ev"]); // iced names r/m16 registers by size
tpl([Op.LAR, Op.LSL], ["Gv", "Ev"]);
tpl([Op.INVPCID, Op.INVEPT, Op.INVVPID], ["Gv", "M"]);
tpl([Op.VMREAD], ["Ev", "Gv"]);
tpl([Op.VMWRITE], ["Gv", "Ev"]);
tpl([Op.NOP, Op.XLAT, Op.MONITOR], null); // hint forms / implicit memory operands

/** Our operands rendered like {@link icedOperands}, or null if not compared. */
function expectedOperands(o: DecodedInsn): string[] | null {
  if (o.op === Op.RET_NEAR || o.op === Op.RET_FAR) {
    return (o.opcode & 1) === 0 ? ["imm16:" + o.imm.toString(16)] : [];
  }
  // x87: the one memory operand is compared; register forms are checked by mnemonic and length.
  if (o.op === Op.X87) return o.isMem ? [memOperand(o)] : null;
  const t = TEMPLATES[o.op];
  if (t === undefined) return [];
  if (t === null) return null;
  return t.map((s) => operand(o, s));
}

// ---------------------------------------------------------------- exclusions

/** A documented, deliberate difference between iced and our decoder. */
interface Exclusion {
  readonly name: string;
  readonly reason: string;
  readonly match: (ins: Instruction, o: DecodedInsn, icedValid: boolean) => boolean;
}

const feat = (ins: Instruction): string[] => [...ins.cpuidFeatures()].map((f) => CpuidFeature[f]);
const isClass = (o: DecodedInsn): boolean =>
  o.op === Op.SSE || o.op === Op.VEX || o.op === Op.UNSUPPORTED;

/** The MMX/SSE extensions the engine executes (cpu/sse/). */
const SSE_FEATURES_TEXT = "MMX SSE SSE2 SSE3 SSSE3 SSE4_1 SSE4_2";
const SSE_FEATURES = new Set(SSE_FEATURES_TEXT.split(" "));

/**
 * CPUID features (iced's names) of the instructions this decoder implements.
 * An instruction iced accepts but we reject is excluded only if none of its
 * features is in this set (i.e. it belongs to an extension we do not
 * implement, such as SSE, AVX, 3DNow!, XOP, SGX, SVM, CET shadow stacks, RTM).
 */
const OUR_FEATURES = new Set(
  (
    "INTEL8086 INTEL8086_ONLY INTEL186 INTEL286 INTEL286_ONLY INTEL386 INTEL386_ONLY " +
    "INTEL486 INTEL486_A_ONLY X64 CPUID TSC MSR CX8 CMPXCHG16B CMOV SEP SYSCALL RDTSCP VMX " +
    "INVEPT INVVPID INVPCID FSGSBASE RDRAND RDSEED XSAVE MONITOR POPCNT LZCNT BMI1 PAUSE " +
    "MULTIBYTENOP CET_IBT SMM CLFSH CLFLUSHOPT CLWB PKU " + SSE_FEATURES_TEXT
  ).split(" "),
);

/** The documented exclusions; each counts its hits. */
const EXCLUSIONS: Exclusion[] = [
  {
    name: "extension-not-ours",
    reason: "iced decodes an instruction of an extension we do not implement (SSE/AVX/3DNow!/" +
      "XOP/SGX/SVM/CET-SS/RTM/...): #UD in our engine",
    match: (ins, o, v) =>
      v && (o.op === Op.INVALID || o.op === Op.UD) &&
      !feat(ins).some((f) => OUR_FEATURES.has(f)),
  },
  {
    name: "class-validity",
    reason: "AVX/VEX space and unimplemented extensions: we decode length only and never " +
      "execute (#UD/#NM); which prefix/opcode/ModRM combinations are defined is not modelled " +
      "(legacy MMX/SSE and x87 are modelled exactly: not excluded)",
    match: (_ins, o, v) => !v && isClass(o) && o.op !== Op.SSE,
  },
  {
    name: "overlong-invalid",
    reason: "an undefined encoding that also runs past 15 bytes: iced stops at the undefined " +
      "opcode (#UD), we report the length limit (#GP(0)); both fault, the order is not defined " +
      "for bytes that form no instruction (counted in compare(), never matched here)",
    match: () => false,
  },
  {
    name: "ud0-ud1-forms",
    reason: "UD0/UD1 are #UD by definition; how many ModRM bytes they consume does not matter",
    match: (ins, o) =>
      (o.op === Op.UD && o.opcode !== 0x0b) || ins.mnemonic === Mnemonic.Ud0 ||
      ins.mnemonic === Mnemonic.Ud1,
  },
];

// ---------------------------------------------------------------- comparison

interface Stats {
  samples: number;
  bothValid: number;
  bothInvalid: number;
  operandChecked: number;
  /** Implicit string operands compared (address size, segment). */
  stringChecked: number;
  excluded: Map<string, number>;
  /** iced CPUID features of the samples excluded as "extension-not-ours". */
  features: Map<string, number>;
  mismatches: string[];
  mismatchCount: number;
}

const hexb = (b: Uint8Array, n: number): string =>
  [...b.subarray(0, n)].map((x) => x.toString(16).padStart(2, "0")).join(" ");

/** Render iced's explicit operands in our canonical text form. */
function icedOperands(ins: Instruction): string[] {
  const out: string[] = [];
  for (let i = 0; i < ins.opCount; i++) {
    const k = ins.opKind(i);
    if (STRING_KIND_SIZE.has(k)) continue; // implicit string operands: checked separately
    switch (k) {
      case OpKind.Register:
        out.push(Register[ins.opRegister(i)].toLowerCase());
        break;
      case OpKind.Memory: {
        const base = ins.memoryBase;
        const index = ins.memoryIndex;
        let disp = ins.memoryDisplacementU64;
        if (base === Register.RIP || base === Register.EIP) {
          disp = (disp - ins.nextIP) & (base === Register.RIP ? 0xffffffffffffffffn : 0xffffffffn);
        }
        const seg = Register[ins.memorySegment].toLowerCase();
        out.push(
          `mem(${seg},${Register[base].toLowerCase()},${Register[index].toLowerCase()},` +
            `${index === Register.None ? 1 : ins.memoryIndexScale},${disp.toString(16)})`,
        );
        break;
      }
      case OpKind.NearBranch16:
        out.push("j" + ins.nearBranch16.toString(16));
        break;
      case OpKind.NearBranch32:
        out.push("j" + ins.nearBranch32.toString(16));
        break;
      case OpKind.NearBranch64:
        out.push("j" + ins.nearBranch64.toString(16));
        break;
      case OpKind.FarBranch16:
      case OpKind.FarBranch32:
        out.push(
          "far" + ins.farBranchSelector.toString(16) + ":" +
            (k === OpKind.FarBranch16 ? ins.farBranch16 : ins.farBranch32).toString(16),
        );
        break;
      default: {
        // immediates: compare at the width iced gives them
        const w = IMM_WIDTH.get(k) ?? 64;
        const v = ins.immediate(i) & ((1n << BigInt(w)) - 1n);
        out.push(`imm${w}:${v.toString(16)}`);
      }
    }
  }
  return out;
}

const SEG_NAMES = ["es", "cs", "ss", "ds", "fs", "gs"];
/** Address size implied by iced's implicit string-operand kinds. */
const STRING_KIND_SIZE = new Map<number, number>([
  [OpKind.MemorySegSI, 16],
  [OpKind.MemorySegESI, 32],
  [OpKind.MemorySegRSI, 64],
  [OpKind.MemorySegDI, 16],
  [OpKind.MemorySegEDI, 32],
  [OpKind.MemorySegRDI, 64],
  [OpKind.MemoryESDI, 16],
  [OpKind.MemoryESEDI, 32],
  [OpKind.MemoryESRDI, 64],
]);

const IMM_WIDTH = new Map<number, number>([
  [OpKind.Immediate8, 8],
  [OpKind.Immediate8_2nd, 8],
  [OpKind.Immediate16, 16],
  [OpKind.Immediate32, 32],
  [OpKind.Immediate64, 64],
  [OpKind.Immediate8to16, 16],
  [OpKind.Immediate8to32, 32],
  [OpKind.Immediate8to64, 64],
  [OpKind.Immediate32to64, 64],
]);

/** iced mnemonics that are the same operation under another name. */
const ALIASES: Record<string, string> = {
  sal: "shl",
  nopw: "nop",
  nopd: "nop",
  nopq: "nop",
  ud2: "ud",
  xlatb: "xlatb",
  jmpe: "(bad)",
};

function icedMnemonic(ins: Instruction): string {
  const m = Mnemonic[ins.mnemonic].toLowerCase();
  return ALIASES[m] ?? m;
}

/** Mismatch recorder: counts all, keeps the first 30 messages. */
function failer(st: Stats): (msg: string) => void {
  return (msg) => {
    st.mismatchCount++;
    if (st.mismatches.length < 30) st.mismatches.push(msg);
  };
}

function newStats(): Stats {
  return {
    samples: 0,
    bothValid: 0,
    bothInvalid: 0,
    operandChecked: 0,
    stringChecked: 0,
    excluded: new Map(),
    features: new Map(),
    mismatches: [],
    mismatchCount: 0,
  };
}

/** Opcode bytes of the legacy MMX/SSE space (maps 0F, 0F 38, 0F 3A). */
const SSE_0F = [
  ...Array.from({ length: 8 }, (_, k) => 0x10 + k),
  ...Array.from({ length: 8 }, (_, k) => 0x28 + k),
  ...Array.from({ length: 48 }, (_, k) => 0x50 + k),
  0xae,
  ...Array.from({ length: 5 }, (_, k) => 0xc2 + k),
  ...Array.from({ length: 48 }, (_, k) => 0xd0 + k),
];

/** A sample from the MMX/SSE opcode space: mandatory prefixes, REX, random ModRM. */
function genSse(r: () => number, buf: Uint8Array, mode: number): void {
  let p = 0;
  const pre = [0x66, 0xf2, 0xf3];
  const np = [0, 1, 1, 1, 2][r() % 5];
  for (let i = 0; i < np; i++) buf[p++] = pre[r() % 3];
  if (r() % 5 === 0) buf[p++] = [0x67, 0x2e, 0x64][r() % 3];
  if (mode === 64 && r() % 2 === 0) buf[p++] = 0x40 | (r() & 15);
  buf[p++] = 0x0f;
  const m = r() % 3;
  if (m === 0) buf[p++] = SSE_0F[r() % SSE_0F.length];
  else {
    buf[p++] = m === 1 ? 0x38 : 0x3a;
    buf[p++] = m === 1 ? (r() % 3 === 0 ? 0xf0 + (r() & 1) : r() % 0x42) : 0x08 + (r() % 0x5c);
  }
  for (; p < 16; p++) buf[p] = r() & 0xff;
}

function runMode(
  mode: 16 | 32 | 64,
  n: number,
  seed: number,
  generate: (r: () => number, buf: Uint8Array, mode: number) => void = gen,
): Stats {
  const st = newStats();
  const r = rng(seed ^ mode);
  const BATCH = 4096;
  const data = new Uint8Array(BATCH * 16);
  const o = new DecodedInsn();
  const ins = new Instruction();
  const fail = failer(st);
  try {
    for (let done = 0; done < n; done += BATCH) {
      const cnt = Math.min(BATCH, n - done);
      for (let i = 0; i < cnt; i++) generate(r, data.subarray(i * 16, i * 16 + 16), mode);
      const dec = new Decoder(mode, data, DecoderOptions.None);
      try {
        for (let i = 0; i < cnt; i++) {
          const bytes = data.subarray(i * 16, i * 16 + 16);
          dec.position = i * 16;
          dec.ip = 0n;
          dec.decodeOut(ins);
          decodeBytes(data, i * 16, mode, o);
          st.samples++;
          compare(st, mode, bytes, ins, o, fail);
        }
      } finally {
        dec.free();
      }
    }
  } finally {
    ins.free();
  }
  return st;
}

function compare(
  st: Stats,
  mode: 16 | 32 | 64,
  bytes: Uint8Array,
  ins: Instruction,
  o: DecodedInsn,
  fail: (m: string) => void,
): void {
  const icedValid = ins.code !== Code.INVALID;
  const ours = o.op !== Op.INVALID && o.op !== Op.TOO_LONG;
  const where = () =>
    `[${mode}] ${hexb(bytes, Math.max(o.len, ins.length))}: iced ${
      Code[ins.code]
    } len ${ins.length}, ours ${mnemonic(o)} (op ${o.op}) len ${o.len}`;
  for (const ex of EXCLUSIONS) {
    if (ex.match(ins, o, icedValid)) {
      st.excluded.set(ex.name, (st.excluded.get(ex.name) ?? 0) + 1);
      if (ex.name === "extension-not-ours") {
        const f = feat(ins).join("+") + ":" + Mnemonic[ins.mnemonic];
        st.features.set(f, (st.features.get(f) ?? 0) + 1);
      }
      return;
    }
  }
  if (o.op === Op.TOO_LONG) {
    if (icedValid) fail("too-long " + where());
    else if (ins.length === 15) st.bothInvalid++;
    else st.excluded.set("overlong-invalid", (st.excluded.get("overlong-invalid") ?? 0) + 1);
    return;
  }
  if (!icedValid && !ours) {
    st.bothInvalid++;
    return;
  }
  if (icedValid !== ours) {
    fail("validity " + where());
    return;
  }
  st.bothValid++;
  SEEN[o.op]++;
  if (ins.length !== o.len) {
    fail("length " + where());
    return;
  }
  if (o.op === Op.SSE) return compareSse(st, ins, o, fail, where);
  if (isClass(o)) return; // length-only classes
  const m = mnemonic(o);
  const im = icedMnemonic(ins);
  // Reserved-NOP/prefetch hints are NOPs for us, as are CLDEMOTE (0F 1C /0) and RDSSP
  // (F3 0F 1E /1), which sit in the hint-NOP space and execute as NOPs on a CPU without
  // CLDEMOTE / with CET disabled; F3 0F 09 is WBNOINVD where enumerated and executes as
  // WBINVD on a CPU without it (SDM Vol. 2 WBNOINVD).
  const alias = (m === "nop" && /^(reservednop|prefetch|cldemote|rdssp)/.test(im)) ||
    (m === "wbinvd" && im === "wbnoinvd");
  if (m !== im && !alias) {
    fail(`mnemonic ${m} vs ${im} ` + where());
    return;
  }
  const lock = ins.hasLockPrefix ? 1 : 0;
  const rep = ins.hasRepePrefix ? 1 : ins.hasRepnePrefix ? 2 : 0;
  if (lock !== o.lock || (ins.isStringInstruction && rep !== o.rep)) {
    fail(`prefix lock ${o.lock}/${lock} rep ${o.rep}/${rep} ` + where());
    return;
  }
  // Implicit string operands: address size (SI/ESI/RSI...) and the source segment.
  for (let k = 0; k < ins.opCount; k++) {
    const as = STRING_KIND_SIZE.get(ins.opKind(k));
    if (as === undefined) continue;
    const srcSeg = ins.opKind(k) <= OpKind.MemorySegRDI ? ins.memorySegment : Register.ES;
    const ourSeg = ins.opKind(k) <= OpKind.MemorySegRDI
      ? (o.segOverride >= 0 ? o.segOverride : o.seg)
      : 0;
    if (as !== o.addrSize || Register[srcSeg].toLowerCase() !== SEG_NAMES[ourSeg]) {
      fail(`string operand a${as} ${Register[srcSeg]} vs a${o.addrSize} seg ${ourSeg} ` + where());
      return;
    }
    st.stringChecked++;
  }
  const exp = expectedOperands(o);
  if (exp === null) return;
  const got = icedOperands(ins);
  st.operandChecked++;
  if (exp.join(" ") !== got.join(" ")) {
    fail(`operands ours [${exp.join(" ")}] iced [${got.join(" ")}] ` + where());
  }
}

/** Scratch for handler selection (selectSse sets x/y). */
class SelInsn extends DecodedInsn {
  x = 0;
  y = 0;
}
const selScratch = new SelInsn();

const GPR16 = ["AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI"];
const GPR8 = ["AL", "CL", "DL", "BL", "AH", "CH", "DH", "BH", "SPL", "BPL", "SIL", "DIL"];

/** Register family and number of an iced register ("x" XMM, "m" MM, "g" GPR). */
function regId(r: number): [string, number] {
  const n = Register[r];
  let m = /^XMM(\d+)$/.exec(n);
  if (m) return ["x", +m[1]];
  m = /^MM(\d)$/.exec(n);
  if (m) return ["m", +m[1]];
  m = /^R(\d+)[DWL]?$/.exec(n);
  if (m) return ["g", +m[1]];
  const b = GPR8.indexOf(n);
  if (b >= 0) return ["g", b < 8 ? b : b - 4];
  const w = n.length === 3 && (n[0] === "E" || n[0] === "R") ? n.slice(1) : n;
  return ["g", GPR16.indexOf(w)];
}

/** Implicit XMM0 operands iced lists explicitly. */
const IMPLICIT_XMM0 = new Set(["blendvps", "blendvpd", "pblendvb", "sha256rnds2"]);

/**
 * Legacy MMX/SSE instructions: no mnemonic table here, so compare what the
 * engine consumes: every register operand iced reports must be our ModRM
 * reg or rm (MMX numbers without REX), a memory operand must be ours with
 * the same address, an imm8 must equal ours; and every instruction of an
 * extension we execute must get a handler from selectSse.
 */
function compareSse(
  st: Stats,
  ins: Instruction,
  o: DecodedInsn,
  fail: (m: string) => void,
  where: () => string,
): void {
  const im = icedMnemonic(ins);
  const ours = [o.reg, o.isMem ? -1 : o.rm];
  for (let k = 0; k < ins.opCount; k++) {
    const kind = ins.opKind(k);
    if (kind === OpKind.Register) {
      const [fam, n] = regId(ins.opRegister(k));
      const at = ours.findIndex((v) => v >= 0 && (fam === "m" ? (v & 7) === n : v === n));
      if (at < 0) {
        if (fam === "x" && n === 0 && IMPLICIT_XMM0.has(im)) continue;
        fail(`sse register ${Register[ins.opRegister(k)]} not reg/rm ${ours} ` + where());
        return;
      }
      ours[at] = -1;
    } else if (kind === OpKind.Memory) {
      const got = icedOperands(ins).find((x) => x.startsWith("mem("));
      if (!o.isMem || got !== memOperand(o)) {
        fail(`sse memory ${got} vs ${o.isMem ? memOperand(o) : "register"} ` + where());
        return;
      }
    } else if (kind === OpKind.Immediate8) {
      if (Number(ins.immediate(k)) !== (o.imm & 0xff)) {
        fail(`sse imm8 ${ins.immediate(k)} vs ${o.imm & 0xff} ` + where());
        return;
      }
    }
  }
  st.operandChecked++;
  const f = feat(ins);
  if (f.some((x) => SSE_FEATURES.has(x)) && !f.includes("FXSR")) {
    Object.assign(selScratch, o);
    if (selectSse(selScratch as unknown as Insn) === null) {
      fail(`sse: no handler for ${im} (${f.join("+")}) ` + where());
    }
  }
}

function report(mode: number, st: Stats): void {
  const ex = [...st.excluded].map(([k, v]) => `${k}=${v}`).join(", ");
  console.log(
    `decoder diff mode ${mode}: ${st.samples} samples, ${st.bothValid} both valid ` +
      `(${st.operandChecked} operand-checked, ${st.stringChecked} string operands), ` +
      `${st.bothInvalid} both invalid, ` +
      `${st.mismatchCount} mismatches; excluded: ${ex || "none"}`,
  );
  const fs = [...st.features].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`);
  console.log("  extensions excluded: " + fs.join(", "));
  for (const m of st.mismatches) console.log("  " + m);
}

for (const mode of [16, 32, 64] as const) {
  Deno.test(`decoder matches iced-x86 in ${mode}-bit mode (${N} samples)`, () => {
    const st = runMode(mode, N, SEED);
    report(mode, st);
    assert.equal(st.samples, N);
    assert.ok(st.bothValid > N / 3, "generator must produce mostly valid instructions");
    assert.ok(st.operandChecked > N / 5, "operands must be compared for a large share");
    assert.deepEqual(st.mismatches, []);
  });
}

for (const mode of [16, 32, 64] as const) {
  Deno.test(`decoder matches iced-x86 on the MMX/SSE opcode space, ${mode}-bit (${N} samples)`, () => {
    const st = runMode(mode, N, SEED + 1, genSse);
    report(mode, st);
    assert.ok(st.bothValid > N / 4, "the SSE generator must produce many valid instructions");
    assert.ok(st.operandChecked > N / 5, "SSE operands must be compared for a large share");
    assert.deepEqual(st.mismatches, []);
  });
}

// ---------------------------------------------------------------- real code

/** Executable sections (file bytes) of an ELF32/ELF64 image; [] if it is not one. */
function elfCode(data: Uint8Array): Uint8Array[] {
  if (data.length < 0x40 || data[0] !== 0x7f || data[1] !== 0x45 || data[2] !== 0x4c) return [];
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const is64 = data[4] === 2;
  const shoff = is64 ? Number(dv.getBigUint64(0x28, true)) : dv.getUint32(0x20, true);
  const entsize = dv.getUint16(is64 ? 0x3a : 0x2e, true);
  const num = dv.getUint16(is64 ? 0x3c : 0x30, true);
  const out: Uint8Array[] = [];
  for (let i = 0; i < num; i++) {
    const sh = shoff + i * entsize;
    if (sh + entsize > data.length) break;
    const type = dv.getUint32(sh + 4, true);
    const flags = is64 ? Number(dv.getBigUint64(sh + 8, true)) : dv.getUint32(sh + 8, true);
    const off = is64 ? Number(dv.getBigUint64(sh + 0x18, true)) : dv.getUint32(sh + 0x10, true);
    const size = is64 ? Number(dv.getBigUint64(sh + 0x20, true)) : dv.getUint32(sh + 0x14, true);
    if (type === 8 || (flags & 4) === 0 || off + size > data.length) continue; // NOBITS / not exec
    out.push(data.subarray(off, off + size));
  }
  return out;
}

/**
 * Linear sweep of `code` with both decoders in lockstep (advancing by iced's
 * length, or 1 byte where iced finds no instruction). The bytes need not be
 * meant for `mode`: both decoders see the same bytes in the same mode.
 */
function sweep(st: Stats, mode: 16 | 32 | 64, code: Uint8Array): void {
  const padded = new Uint8Array(code.length + 16);
  padded.set(code);
  const o = new DecodedInsn();
  const ins = new Instruction();
  const dec = new Decoder(mode, padded, DecoderOptions.None);
  const fail = failer(st);
  try {
    let p = 0;
    while (p < code.length) {
      dec.position = p;
      dec.ip = 0n;
      dec.decodeOut(ins);
      decodeBytes(padded, p, mode, o);
      st.samples++;
      compare(st, mode, padded.subarray(p, p + 16), ins, o, fail);
      p += ins.code !== Code.INVALID ? ins.length : 1;
    }
  } finally {
    dec.free();
    ins.free();
  }
}

/** Our committed guest images, plus host binaries listed in NESTVM_DECODER_ELF (long runs). */
function realImages(): string[] {
  const files: string[] = [];
  try {
    for (const e of Deno.readDirSync(new URL("../guests/build/", import.meta.url))) {
      if (e.isFile && e.name.endsWith(".elf")) {
        files.push(new URL("../guests/build/" + e.name, import.meta.url).pathname);
      }
    }
  } catch {
    // no guest images in this checkout
  }
  const extra = Deno.env.get("NESTVM_DECODER_ELF") ??
    (LONG ? "/usr/bin/bash:/usr/bin/ls:/usr/bin/perl:/usr/bin/as" : "");
  for (const f of extra.split(":")) if (f) files.push(f);
  return files.sort();
}

Deno.test("decoder matches iced-x86 on real code (guest images; host ELF files when long)", () => {
  let sections = 0;
  for (const mode of [16, 32, 64] as const) {
    const st = newStats();
    for (const f of realImages()) {
      let data: Uint8Array;
      try {
        data = Deno.readFileSync(f);
      } catch {
        continue; // optional host binary not present
      }
      for (const code of elfCode(data)) {
        sections++;
        sweep(st, mode, code);
      }
    }
    report(mode, st);
    assert.deepEqual(st.mismatches, []);
  }
  assert.ok(sections > 0, "no executable sections found");
});

Deno.test("every op id was exercised and agreed on with iced", () => {
  // Ops that are not reachable as a valid instruction, or that iced never reports as
  // valid in these modes (TRUNCATED needs a short buffer; INVALID/TOO_LONG are errors).
  const unreachable = new Set<number>([Op.INVALID, Op.TOO_LONG, Op.TRUNCATED]);
  if (SEEN.every((n) => n === 0)) { // run alone (--filter): gather the counts here
    for (const mode of [16, 32, 64] as const) runMode(mode, N, SEED);
  }
  const missing: string[] = [];
  for (let op = 0; op < Op.COUNT; op++) {
    if (SEEN[op] === 0 && !unreachable.has(op)) missing.push(OP_NAMES[op] + "#" + op);
  }
  console.log(`op ids exercised: ${Op.COUNT - missing.length}/${Op.COUNT}`);
  assert.deepEqual(missing, []);
});

Deno.test("exclusions are documented", () => {
  for (const e of EXCLUSIONS) assert.ok(e.reason.length > 20, e.name);
});
