/**
 * Short, human-readable rendering of decoded instructions for traces:
 * {@link mnemonic} gives the mnemonic (size- and condition-aware) and
 * {@link describe} a one-line disassembly-ish text. Cold path only.
 *
 * @module
 */
import { x87Mnemonic } from "./x87.ts";
import { type DecodedInsn, Op } from "./types.ts";

/** Base mnemonic per op id (index = {@link Op}). Generated from the enum order in types.ts. */
export const OP_NAMES: readonly string[] = [
  "(bad)",
  "(too long)",
  "(truncated)",
  "(x87)",
  "(sse)",
  "(vex)",
  "(unsupported)",
  "ud",
  "add",
  "add",
  "add",
  "add",
  "add",
  "add",
  "or",
  "or",
  "or",
  "or",
  "or",
  "or",
  "adc",
  "adc",
  "adc",
  "adc",
  "adc",
  "adc",
  "sbb",
  "sbb",
  "sbb",
  "sbb",
  "sbb",
  "sbb",
  "and",
  "and",
  "and",
  "and",
  "and",
  "and",
  "sub",
  "sub",
  "sub",
  "sub",
  "sub",
  "sub",
  "xor",
  "xor",
  "xor",
  "xor",
  "xor",
  "xor",
  "cmp",
  "cmp",
  "cmp",
  "cmp",
  "cmp",
  "cmp",
  "rol",
  "rol",
  "rol",
  "rol",
  "ror",
  "ror",
  "ror",
  "ror",
  "rcl",
  "rcl",
  "rcl",
  "rcl",
  "rcr",
  "rcr",
  "rcr",
  "rcr",
  "shl",
  "shl",
  "shl",
  "shl",
  "shr",
  "shr",
  "shr",
  "shr",
  "sar",
  "sar",
  "sar",
  "sar",
  "test",
  "test",
  "test",
  "test",
  "not",
  "not",
  "neg",
  "neg",
  "mul",
  "mul",
  "imul",
  "imul",
  "div",
  "div",
  "idiv",
  "idiv",
  "inc",
  "inc",
  "dec",
  "dec",
  "imul",
  "imul",
  "mov",
  "mov",
  "mov",
  "mov",
  "mov",
  "mov",
  "mov",
  "mov",
  "lea",
  "xchg",
  "xchg",
  "movzx",
  "movzx",
  "movsx",
  "movsx",
  "movsxd",
  "xadd",
  "xadd",
  "cmpxchg",
  "cmpxchg",
  "cmpxchg8b",
  "bswap",
  "cbw",
  "cwd",
  "xlatb",
  "cmov",
  "set",
  "lahf",
  "sahf",
  "salc",
  "lds",
  "push",
  "pop",
  "push",
  "push",
  "pop",
  "pusha",
  "popa",
  "pushf",
  "popf",
  "enter",
  "leave",
  "j",
  "jmp",
  "call",
  "jmp",
  "call",
  "jmp",
  "call",
  "jmp",
  "call",
  "ret",
  "retf",
  "loopne",
  "loope",
  "loop",
  "jrcxz",
  "int",
  "int3",
  "into",
  "int1",
  "iret",
  "movsb",
  "movs",
  "cmpsb",
  "cmps",
  "stosb",
  "stos",
  "lodsb",
  "lods",
  "scasb",
  "scas",
  "insb",
  "ins",
  "outsb",
  "outs",
  "inb",
  "in",
  "outb",
  "out",
  "inb",
  "in",
  "outb",
  "out",
  "cmc",
  "clc",
  "stc",
  "cli",
  "sti",
  "cld",
  "std",
  "hlt",
  "nop",
  "pause",
  "endbr64",
  "endbr32",
  "wait",
  "daa",
  "das",
  "aaa",
  "aas",
  "aam",
  "aad",
  "bound",
  "arpl",
  "bt",
  "bts",
  "btr",
  "btc",
  "bt",
  "bts",
  "btr",
  "btc",
  "bsf",
  "bsr",
  "tzcnt",
  "lzcnt",
  "popcnt",
  "shld",
  "shld",
  "shrd",
  "shrd",
  "cpuid",
  "rdtsc",
  "rdtscp",
  "rdmsr",
  "wrmsr",
  "rdpmc",
  "syscall",
  "sysret",
  "sysenter",
  "sysexit",
  "mov",
  "mov",
  "mov",
  "mov",
  "clts",
  "sgdt",
  "sidt",
  "lgdt",
  "lidt",
  "sldt",
  "str",
  "lldt",
  "ltr",
  "smsw",
  "lmsw",
  "invlpg",
  "verr",
  "verw",
  "lar",
  "lsl",
  "swapgs",
  "wbinvd",
  "invd",
  "invpcid",
  "rsm",
  "xgetbv",
  "xsetbv",
  "monitor",
  "mwait",
  "rdfsbase",
  "rdgsbase",
  "wrfsbase",
  "wrgsbase",
  "rdrand",
  "rdseed",
  "fence",
  "clflush",
  "vmcall",
  "vmlaunch",
  "vmresume",
  "vmxoff",
  "vmfunc",
  "vmptrld",
  "vmclear",
  "vmxon",
  "vmptrst",
  "vmread",
  "vmwrite",
  "invept",
  "invvpid",
  "clac",
  "stac",
  "rdpkru",
  "wrpkru",
  "vmmcall",
];

const CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
const SZ: Record<number, string> = { 16: "w", 32: "d", 64: "q" };
const GPR64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"];
const SEGS = ["es", "cs", "ss", "ds", "fs", "gs"];

/** The mnemonic of a decoded instruction, with the size/condition suffix the SDM uses. */
export function mnemonic(o: DecodedInsn): string {
  const op = o.op;
  const base = OP_NAMES[op] ?? "(?)";
  const os = o.opSize;
  switch (op) {
    case Op.X87:
      return x87Mnemonic(o);
    case Op.JCC:
    case Op.SETCC:
    case Op.CMOVCC:
      return base + CC[o.cc];
    case Op.CBW:
      return os === 16 ? "cbw" : os === 32 ? "cwde" : "cdqe";
    case Op.CWD:
      return os === 16 ? "cwd" : os === 32 ? "cdq" : "cqo";
    case Op.IRET:
      return os === 16 ? "iret" : "iret" + SZ[os];
    case Op.PUSHF:
    case Op.POPF:
      return os === 16 ? base : base + SZ[os];
    case Op.PUSHA:
    case Op.POPA:
      return os === 16 ? base : base + "d";
    case Op.MOVS:
    case Op.CMPS:
    case Op.STOS:
    case Op.LODS:
    case Op.SCAS:
      return base + SZ[os];
    case Op.INS:
    case Op.OUTS:
      return base + (os === 16 ? "w" : "d");
    case Op.JRCXZ:
      return o.addrSize === 16 ? "jcxz" : o.addrSize === 32 ? "jecxz" : "jrcxz";
    case Op.CMPXCHG8B:
      return os === 64 ? "cmpxchg16b" : "cmpxchg8b";
    case Op.LOAD_FAR:
      return "l" + SEGS[o.seg2];
    case Op.FENCE:
      return ["lfence", "mfence", "sfence"][(o.reg & 7) - 5];
    case Op.CLFLUSH:
      return o.p66 === 0 ? "clflush" : (o.reg & 7) === 7 ? "clflushopt" : "clwb";
    case Op.XCHG_EvGv:
      return "xchg";
    case Op.INB_I:
    case Op.INB_DX:
      return "in";
    case Op.OUTB_I:
    case Op.OUTB_DX:
      return "out";
    case Op.SYSRET:
    case Op.SYSEXIT:
      return os === 64 ? base + "q" : base;
  }
  return base;
}

function gpr(r: number, size: number): string {
  if (size === 64) return r < 8 ? GPR64[r] : "r" + r;
  if (size === 32) return r < 8 ? "e" + GPR64[r].slice(1) : "r" + r + "d";
  if (size === 16) return r < 8 ? GPR64[r].slice(1) : "r" + r + "w";
  if (r >= 16) return ["ah", "ch", "dh", "bh"][r - 16];
  return r < 4 ? ["al", "cl", "dl", "bl"][r] : r < 8 ? GPR64[r].slice(1, 3) + "l" : "r" + r + "b";
}

function hex(n: number): string {
  return (n < 0 ? "-0x" + (-n).toString(16) : "0x" + n.toString(16));
}

/** The memory operand as text, e.g. `fs:[rbx+rsi*4+0x10]`. */
function memText(o: DecodedInsn): string {
  const as = o.addrSize;
  const parts: string[] = [];
  if (o.ripRel) parts.push(as === 64 ? "rip" : "eip");
  if (o.base >= 0) parts.push(gpr(o.base, as));
  if (o.index >= 0) parts.push(gpr(o.index, as) + (o.scale ? "*" + (1 << o.scale) : ""));
  const d = o.dispHi !== 0 && o.dispHi !== 0xffffffff
    ? "0x" + o.dispHi.toString(16) + (o.disp >>> 0).toString(16).padStart(8, "0")
    : hex(o.disp);
  if (o.disp !== 0 || parts.length === 0) parts.push(d);
  const seg = o.segOverride >= 0 ? SEGS[o.segOverride] + ":" : "";
  return seg + "[" + parts.join("+").replace("+-", "-") + "]";
}

/**
 * One line for traces: mnemonic, then the ModRM operands (r/m or memory, then reg),
 * immediate and branch displacement when present, and the length.
 */
export function describe(o: DecodedInsn): string {
  const ops: string[] = [];
  // Operand order is r/m then reg, registers named at the operand size (byte forms
  // included): enough to follow a trace, not an assembler-exact rendering.
  if (o.hasModrm) ops.push(o.isMem ? memText(o) : gpr(o.rm, o.opSize), gpr(o.reg, o.opSize));
  else if (o.isMem) ops.push(memText(o));
  if (o.imm !== 0 || o.immHi !== 0) {
    ops.push(
      o.immHi !== 0 && o.immHi !== 0xffffffff
        ? "0x" + o.immHi.toString(16) + o.imm.toString(16).padStart(8, "0")
        : hex(o.imm | 0),
    );
  }
  if (o.rel !== 0) ops.push("$" + (o.rel >= 0 ? "+" : "") + (o.rel + o.len));
  const pfx = (o.lock ? "lock " : "") + (o.rep === 1 ? "rep " : o.rep === 2 ? "repne " : "");
  return pfx + mnemonic(o) + (ops.length ? " " + ops.join(", ") : "") + " (" + o.len + " bytes)";
}
