/**
 * Harness for replaying the hardware ALU vectors through the execution
 * engine (used by tests/alu_engine_test.ts and tests/alu_engine_forms_test.ts):
 * a Cpu in 64-bit mode (or 32-bit protected mode) set up through the public
 * Vcpu contract, iced-x86 encodings of each vector's instruction, and the
 * expected full 64-bit register images (garbage in the bits an instruction
 * must not touch, so partial-register and zero-extension rules are checked).
 *
 * @module
 */
import { Code, Encoder, Instruction, Register } from "iced-x86";
import { Cpu } from "../../cpu/cpu.ts";
import { PhysicalMemory } from "../../mm/mod.ts";
import type { SegmentRegister } from "../../core/vcpu.ts";
import { type AluVector, loadAluVectors, recordingModel } from "./alu_vectors.ts";
import type { CpuModel } from "../../cpu/model.ts";

export const ALL = Deno.env.get("NESTVM_ALU_ENGINE") === "all";
/** Replay every STRIDE-th vector of each instruction (plus the first few). */
export const STRIDE = ALL ? 1 : 6;

export const CODE = 0x200000; // code area (identity mapped)
export const PML4 = 0x1000;
export const GARBAGE_HI = 0xdeadbeef;
export const GARBAGE_LO = 0xcafe5a00;

// ---------------------------------------------------------------------------
// Machine setup through the public Vcpu contract

function segment(selector: number, attrs: number): SegmentRegister {
  return { selector, base: 0, limit: 0xffffffff, attrs };
}

/**
 * A vCPU in `mode` with the recording CPU's model (vendor and family from
 * the vector file's header), so undefined flags follow its profile, or
 * with `model`.
 */
export function makeCpu(
  mode: "long64" | "protected32" | "real",
  model: CpuModel = recordingModel(FILE),
): { cpu: Cpu; mem: PhysicalMemory } {
  const mem = new PhysicalMemory();
  mem.addRam(0, 8 << 20);
  const cpu = new Cpu({ memory: mem, exits: () => "handled", now: () => 0, model });
  const long = mode === "long64";
  if (long) {
    // PML4 -> PDPT -> PD with 2 MiB pages identity-mapping the first 8 MiB.
    mem.write32(PML4, 0x2003);
    mem.write32(0x2000, 0x3003);
    for (let i = 0; i < 4; i++) mem.write32(0x3000 + 8 * i, (i << 21) | 0x83);
    cpu.cr3 = PML4;
    cpu.cr4 = 0x20; // PAE
    cpu.efer = 0x500; // LME | LMA
    cpu.cr0 = 0x80000011; // PG | ET | PE
  } else {
    cpu.cr0 = mode === "real" ? 0x10 : 0x11; // ET (| PE)
    cpu.efer = 0;
  }
  // P S type=code/read/accessed with L (long), D+G (32-bit) or neither (real);
  // data: P S type=data/write/accessed.
  const code = long ? 0xa09b : mode === "real" ? 0x9b : 0xc09b;
  const data = mode === "real" ? 0x93 : 0xc093;
  const segs = cpu.seg as SegmentRegister[];
  for (let s = 0; s < 6; s++) {
    const v = s === 1 ? segment(0x8, code) : segment(0x10, data);
    segs[s].selector = mode === "real" ? 0 : v.selector;
    segs[s].base = v.base;
    segs[s].limit = mode === "real" ? 0xffff : v.limit;
    segs[s].attrs = v.attrs;
  }
  cpu.rflags = 2;
  cpu.stateChanged();
  return { cpu, mem };
}

// ---------------------------------------------------------------------------
// Encoding: one code snippet per (op, size)

export const REG = {
  a: [0, Register.AL, Register.AX, 0, Register.EAX, 0, 0, 0, Register.RAX],
  c: [0, Register.CL, Register.CX, 0, Register.ECX, 0, 0, 0, Register.RCX],
  d: [0, Register.DL, Register.DX, 0, Register.EDX, 0, 0, 0, Register.RDX],
};
export const CAP: Record<string, string> = {
  add: "Add",
  adc: "Adc",
  sub: "Sub",
  sbb: "Sbb",
  cmp: "Cmp",
  and: "And",
  or: "Or",
  xor: "Xor",
  test: "Test",
  inc: "Inc",
  dec: "Dec",
  neg: "Neg",
  not: "Not",
  shl: "Shl",
  shr: "Shr",
  sar: "Sar",
  rol: "Rol",
  ror: "Ror",
  rcl: "Rcl",
  rcr: "Rcr",
  shld: "Shld",
  shrd: "Shrd",
  mul: "Mul",
  imul1: "Imul",
  imul: "Imul",
  div: "Div",
  idiv: "Idiv",
  bt: "Bt",
  bts: "Bts",
  btr: "Btr",
  btc: "Btc",
  bsf: "Bsf",
  bsr: "Bsr",
  tzcnt: "Tzcnt",
  lzcnt: "Lzcnt",
  popcnt: "Popcnt",
  bswap: "Bswap",
  xadd: "Xadd",
  cmpxchg: "Cmpxchg",
};

export function code(name: string): Code {
  const c = (Code as unknown as Record<string, number>)[name];
  if (c === undefined) throw new Error(`iced-x86 has no Code.${name}`);
  return c as Code;
}

/** Build the iced Instruction for a 64-bit-mode vector. */
export function instruction(op: string, size: number): Instruction {
  const b = size * 8;
  const N = CAP[op];
  const a = REG.a[size];
  const c = REG.c[size];
  switch (op) {
    case "add":
    case "adc":
    case "sub":
    case "sbb":
    case "cmp":
    case "and":
    case "or":
    case "xor":
    case "test":
    case "bt":
    case "bts":
    case "btr":
    case "btc":
      return Instruction.createRegReg(code(`${N}_rm${b}_r${b}`), a, c);
    case "imul":
    case "bsf":
    case "bsr":
    case "tzcnt":
    case "lzcnt":
    case "popcnt":
      return Instruction.createRegReg(code(`${N}_r${b}_rm${b}`), a, c);
    case "inc":
    case "dec":
    case "neg":
    case "not":
      return Instruction.createReg(code(`${N}_rm${b}`), a);
    case "mul":
    case "imul1":
    case "div":
    case "idiv":
      return Instruction.createReg(code(`${N}_rm${b}`), c);
    case "shl":
    case "shr":
    case "sar":
    case "rol":
    case "ror":
    case "rcl":
    case "rcr":
      return Instruction.createRegReg(code(`${N}_rm${b}_CL`), a, Register.CL);
    case "shld":
    case "shrd":
      return Instruction.createRegRegReg(code(`${N}_rm${b}_r${b}_CL`), a, REG.d[size], Register.CL);
    case "bswap":
      return Instruction.createReg(code(`Bswap_r${b}`), a);
    case "xadd":
      return Instruction.createRegReg(code(`Xadd_rm${b}_r${b}`), a, c);
    case "cmpxchg":
      // cmpxchg rcx, rdx (the accumulator is rAX)
      return Instruction.createRegReg(code(`Cmpxchg_rm${b}_r${b}`), c, REG.d[size]);
  }
  throw new Error(`no encoding for ${op}`);
}

export function encode(bitness: number, insn: Instruction, rip: number): Uint8Array {
  const enc = new Encoder(bitness);
  try {
    enc.encode(insn, BigInt(rip));
    return enc.takeBuffer();
  } finally {
    enc.free();
    insn.free();
  }
}

// ---------------------------------------------------------------------------
// Register image helpers (64-bit values as [lo, hi])

export type R64 = [number, number];

/** A register holding `v` (size-wide) with garbage above it. */
export function withGarbage(size: number, lo: number, hi: number): R64 {
  if (size === 8) return [lo >>> 0, hi >>> 0];
  if (size === 4) return [lo >>> 0, GARBAGE_HI];
  const m = size === 1 ? 0xff : 0xffff;
  return [((GARBAGE_LO & ~m) | lo) >>> 0, GARBAGE_HI];
}

/** The register after writing a size-wide value over `old`. */
export function written(size: number, old: R64, lo: number, hi: number): R64 {
  if (size === 8) return [lo >>> 0, hi >>> 0];
  if (size === 4) return [lo >>> 0, 0];
  const m = size === 1 ? 0xff : 0xffff;
  return [((old[0] & ~m) | (lo & m)) >>> 0, old[1]];
}

export interface Setup {
  rax: R64;
  rcx: R64;
  rdx: R64;
  wantRax: R64;
  wantRdx: R64;
  /** Expected RCX, when the instruction writes it (XADD, CMPXCHG). */
  wantRcx: R64 | null;
}

/**
 * Registers before and after for a 64-bit-mode vector, on a processor of
 * `vendor` (the default: the recording host's, AMD): where vendors differ
 * (a failed CMPXCHG's register destination), the expectation follows it.
 */
export function setup(v: AluVector, vendor = "AuthenticAMD"): Setup {
  const s = v.size;
  const rdx: R64 = [0x0badf00d, 0x0ddba11];
  let rax: R64;
  let rcx: R64 = [0x13572468, 0x24681357];
  let wantRax: R64;
  let wantRdx: R64 = rdx;
  let wantRcx: R64 | null = null;
  switch (v.op) {
    case "cmp":
    case "test":
    case "bt":
      rax = withGarbage(s, v.aLo, v.aHi);
      rcx = withGarbage(s, v.bLo, v.bHi);
      wantRax = rax;
      break;
    case "shl":
    case "shr":
    case "sar":
    case "rol":
    case "ror":
    case "rcl":
    case "rcr":
      rax = withGarbage(s, v.aLo, v.aHi);
      rcx = [(0x5500 | v.cLo) >>> 0, 0x77];
      wantRax = written(s, rax, v.r1Lo, v.r1Hi);
      break;
    case "shld":
    case "shrd": {
      rax = withGarbage(s, v.aLo, v.aHi);
      rcx = [(0x5500 | v.cLo) >>> 0, 0x77];
      const d = withGarbage(s, v.bLo, v.bHi);
      rdx[0] = d[0];
      rdx[1] = d[1];
      wantRax = written(s, rax, v.r1Lo, v.r1Hi);
      break;
    }
    case "mul":
    case "imul1":
      rax = withGarbage(s, v.aLo, v.aHi);
      rcx = withGarbage(s, v.cLo, v.cHi);
      if (s === 1) {
        wantRax = written(2, rax, (v.r2Lo << 8) | v.r1Lo, 0);
      } else {
        wantRax = written(s, rax, v.r1Lo, v.r1Hi);
        wantRdx = written(s, rdx, v.r2Lo, v.r2Hi);
      }
      break;
    case "div":
    case "idiv": {
      rcx = withGarbage(s, v.cLo, v.cHi);
      if (s === 1) {
        rax = withGarbage(2, (v.bLo << 8) | v.aLo, 0);
        wantRax = written(2, rax, (v.r2Lo << 8) | v.r1Lo, 0);
      } else {
        rax = withGarbage(s, v.aLo, v.aHi);
        const d = withGarbage(s, v.bLo, v.bHi);
        rdx[0] = d[0];
        rdx[1] = d[1];
        wantRax = written(s, rax, v.r1Lo, v.r1Hi);
        wantRdx = written(s, rdx, v.r2Lo, v.r2Hi);
      }
      break;
    }
    case "bsf":
    case "bsr":
    case "tzcnt":
    case "lzcnt":
    case "popcnt":
      // recorded with the full 64-bit destination before (b) and after (r1)
      rax = [v.bLo, v.bHi];
      rcx = withGarbage(s, v.aLo, v.aHi);
      wantRax = [v.r1Lo, v.r1Hi];
      break;
    case "bswap":
      rax = [v.aLo, v.aHi];
      wantRax = [v.r1Lo, v.r1Hi];
      break;
    case "xadd":
      rax = withGarbage(s, v.aLo, v.aHi);
      rcx = withGarbage(s, v.bLo, v.bHi);
      wantRax = written(s, rax, v.r1Lo, v.r1Hi);
      wantRcx = written(s, rcx, v.r2Lo, v.r2Hi);
      break;
    case "cmpxchg": {
      // dst in rcx, src in rdx, accumulator in rax
      rax = withGarbage(s, v.cLo, v.cHi);
      rcx = withGarbage(s, v.aLo, v.aHi);
      const d = withGarbage(s, v.bLo, v.bHi);
      rdx[0] = d[0];
      rdx[1] = d[1];
      const equal = (v.fout & 0x40) !== 0;
      // The accumulator is written only on mismatch. Intel's SDM writes the
      // destination always (with itself on mismatch); AMD leaves a register
      // destination alone on mismatch (tools/upper-half). Each write follows
      // the operand-size rules.
      wantRcx = equal || vendor === "GenuineIntel" ? written(s, rcx, v.r1Lo, v.r1Hi) : rcx;
      wantRax = equal ? rax : written(s, rax, v.r2Lo, v.r2Hi);
      break;
    }
    case "inc":
    case "dec":
    case "neg":
    case "not":
      rax = withGarbage(s, v.aLo, v.aHi);
      wantRax = written(s, rax, v.r1Lo, v.r1Hi);
      break;
    default: // two-operand writes: add adc sub sbb and or xor imul bts btr btc
      rax = withGarbage(s, v.aLo, v.aHi);
      rcx = withGarbage(s, v.bLo, v.bHi);
      wantRax = written(s, rax, v.r1Lo, v.r1Hi);
  }
  return { rax, rcx, rdx, wantRax, wantRdx, wantRcx };
}

export function hex(r: R64): string {
  return r[1].toString(16) + "_" + r[0].toString(16).padStart(8, "0");
}

export const BCD = new Set(["daa", "das", "aaa", "aas", "aam", "aad"]);
const FILE = loadAluVectors();
/** The recorded vectors. */
export const vectors: AluVector[] = FILE.vectors;

/** The first few vectors of each (op, size) of `list` that satisfy `pred`, then every STRIDE-th. */
export function sample(
  pred: (v: AluVector) => boolean,
  list: readonly AluVector[] = vectors,
): AluVector[] {
  const seen = new Map<string, number>();
  const out: AluVector[] = [];
  for (const v of list) {
    if (!pred(v)) continue;
    const k = `${v.op}/${v.size}`;
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    if (n < 8 || n % STRIDE === 0) out.push(v);
  }
  return out;
}

