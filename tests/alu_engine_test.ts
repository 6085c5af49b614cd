/**
 * Replays a share of the hardware ALU vectors (tests/data/alu_vectors.txt)
 * through the real execution engine: each instruction is encoded with
 * iced-x86 (register operands: RAX-family destination, RCX-family source /
 * CL count, RDX for SHLD/SHRD sources and MUL/DIV), run for one instruction
 * in a 64-bit (or, for the BCD instructions, 32-bit protected mode) Cpu with
 * the registers and RFLAGS set from the vector, and the full 64-bit
 * registers and the arithmetic flags are compared with what the hardware
 * produced. Registers are pre-filled with garbage in the bits the
 * instruction must not touch, so the partial-register and zero-extension
 * rules of x86-64 are checked too.
 *
 * NESTVM_ALU_ENGINE=all replays every vector instead of a share.
 */
import assert from "node:assert/strict";
import { Code, Encoder, Instruction, MemoryOperand, Register } from "iced-x86";
import { Cpu } from "../cpu/cpu.ts";
import { PhysicalMemory } from "../mm/mod.ts";
import type { SegmentRegister } from "../core/vcpu.ts";
import { type AluVector, loadAluVectors } from "./data/alu_vectors.ts";

const ALL = Deno.env.get("NESTVM_ALU_ENGINE") === "all";
/** Replay every STRIDE-th vector of each instruction (plus the first few). */
const STRIDE = ALL ? 1 : 6;

const CODE = 0x200000; // code area (identity mapped)
const PML4 = 0x1000;
const GARBAGE_HI = 0xdeadbeef;
const GARBAGE_LO = 0xcafe5a00;

// ---------------------------------------------------------------------------
// Machine setup through the public Vcpu contract

function segment(selector: number, attrs: number): SegmentRegister {
  return { selector, base: 0, limit: 0xffffffff, attrs };
}

function makeCpu(long: boolean): { cpu: Cpu; mem: PhysicalMemory } {
  const mem = new PhysicalMemory();
  mem.addRam(0, 8 << 20);
  const cpu = new Cpu({ memory: mem, exits: () => "handled", now: () => 0 });
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
    cpu.cr0 = 0x11; // PE | ET
    cpu.efer = 0;
  }
  const code = long ? 0xa09b : 0xc09b; // P S type=code/read/accessed; L (long) or D+G
  const data = 0xc093;
  const segs = cpu.seg as SegmentRegister[];
  for (let s = 0; s < 6; s++) {
    const v = s === 1 ? segment(0x8, code) : segment(0x10, data);
    segs[s].selector = v.selector;
    segs[s].base = v.base;
    segs[s].limit = v.limit;
    segs[s].attrs = v.attrs;
  }
  cpu.rflags = 2;
  cpu.stateChanged();
  return { cpu, mem };
}

// ---------------------------------------------------------------------------
// Encoding: one code snippet per (op, size)

const REG = {
  a: [0, Register.AL, Register.AX, 0, Register.EAX, 0, 0, 0, Register.RAX],
  c: [0, Register.CL, Register.CX, 0, Register.ECX, 0, 0, 0, Register.RCX],
  d: [0, Register.DL, Register.DX, 0, Register.EDX, 0, 0, 0, Register.RDX],
};
const CAP: Record<string, string> = {
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
};

function code(name: string): Code {
  const c = (Code as unknown as Record<string, number>)[name];
  if (c === undefined) throw new Error(`iced-x86 has no Code.${name}`);
  return c as Code;
}

/** Build the iced Instruction for a 64-bit-mode vector. */
function instruction(op: string, size: number): Instruction {
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

function encode(bitness: number, insn: Instruction, rip: number): Uint8Array {
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

type R64 = [number, number];

/** A register holding `v` (size-wide) with garbage above it. */
function withGarbage(size: number, lo: number, hi: number): R64 {
  if (size === 8) return [lo >>> 0, hi >>> 0];
  if (size === 4) return [lo >>> 0, GARBAGE_HI];
  const m = size === 1 ? 0xff : 0xffff;
  return [((GARBAGE_LO & ~m) | lo) >>> 0, GARBAGE_HI];
}

/** The register after writing a size-wide value over `old`. */
function written(size: number, old: R64, lo: number, hi: number): R64 {
  if (size === 8) return [lo >>> 0, hi >>> 0];
  if (size === 4) return [lo >>> 0, 0];
  const m = size === 1 ? 0xff : 0xffff;
  return [((old[0] & ~m) | (lo & m)) >>> 0, old[1]];
}

interface Setup {
  rax: R64;
  rcx: R64;
  rdx: R64;
  wantRax: R64;
  wantRdx: R64;
  /** Expected RCX, when the instruction writes it (XADD, CMPXCHG). */
  wantRcx: R64 | null;
}

/** Registers before and after for a 64-bit-mode vector. */
function setup(v: AluVector): Setup {
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
      // SDM: the destination is always written (with itself on mismatch) and
      // the accumulator only on mismatch, each by the operand-size rules.
      wantRcx = written(s, rcx, v.r1Lo, v.r1Hi);
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

function hex(r: R64): string {
  return r[1].toString(16) + "_" + r[0].toString(16).padStart(8, "0");
}

const BCD = new Set(["daa", "das", "aaa", "aas", "aam", "aad"]);
const { vectors } = loadAluVectors();

function sample(pred: (v: AluVector) => boolean): AluVector[] {
  const seen = new Map<string, number>();
  const out: AluVector[] = [];
  for (const v of vectors) {
    if (!pred(v)) continue;
    const k = `${v.op}/${v.size}`;
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    if (n < 8 || n % STRIDE === 0) out.push(v);
  }
  return out;
}

Deno.test("alu engine: 64-bit ALU instructions replay the hardware vectors", () => {
  const { cpu, mem } = makeCpu(true);
  assert.equal(cpu.mode, "long64", "test setup must reach 64-bit mode");
  const addr = new Map<string, number>();
  let next = CODE;
  const failures: string[] = [];
  const groups = new Map<string, number>();
  const todo = sample((v) => !BCD.has(v.op) && v.op !== "setcc");
  for (const v of todo) {
    const key = `${v.op}/${v.size}`;
    let at = addr.get(key);
    if (at === undefined) {
      at = next;
      const bytes = encode(64, instruction(v.op, v.size), at);
      for (let i = 0; i < bytes.length; i++) mem.write8(at + i, bytes[i]);
      mem.write8(at + bytes.length, 0xf4); // hlt (not reached: one instruction runs)
      addr.set(key, at);
      next += 32;
    }
    const st = setup(v);
    const g = cpu.gpr;
    g.fill(0);
    [g[0], g[1]] = st.rax;
    [g[2], g[3]] = st.rcx;
    [g[4], g[5]] = st.rdx;
    cpu.rflags = v.fin | 2;
    cpu.rip = at;
    cpu.activity = "active";
    let problem = "";
    try {
      cpu.run(cpu.retired + 1);
      const rax: R64 = [g[0], g[1]];
      const rdx: R64 = [g[4], g[5]];
      const f = cpu.rflags & 0x8d5;
      if (cpu.rip === at) problem = `did not retire (fault?)`;
      else if (rax[0] !== st.wantRax[0] || rax[1] !== st.wantRax[1]) {
        problem = `rax ${hex(rax)} want ${hex(st.wantRax)}`;
      } else if (rdx[0] !== st.wantRdx[0] || rdx[1] !== st.wantRdx[1]) {
        problem = `rdx ${hex(rdx)} want ${hex(st.wantRdx)}`;
      } else if (st.wantRcx !== null && (g[2] !== st.wantRcx[0] || g[3] !== st.wantRcx[1])) {
        problem = `rcx ${hex([g[2], g[3]])} want ${hex(st.wantRcx)}`;
      } else if (f !== v.fout) {
        problem = `flags ${f.toString(16)} want ${v.fout.toString(16)}`;
      }
    } catch (e) {
      problem = `host exception: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (problem !== "") {
      const k = `${key} ${problem.split(" ")[0]}`;
      groups.set(k, (groups.get(k) ?? 0) + 1);
      if (failures.length < 30) {
        failures.push(
          `line ${v.line} ${v.op}/${v.size} fin ${v.fin.toString(16)} a ${hex([v.aLo, v.aHi])} b ${
            hex([v.bLo, v.bHi])
          } c ${v.cLo.toString(16)}: ${problem}`,
        );
      }
    }
  }
  assert.ok(todo.length > 10000, `only ${todo.length} vectors replayed`);
  const summary = [...groups].map(([k, n]) => `  ${k}: ${n}`).join("\n");
  assert.equal(groups.size, 0, `of ${todo.length} replayed:\n${summary}\n${failures.join("\n")}`);
});

Deno.test("alu engine: BCD instructions in 32-bit protected mode replay the hardware vectors", () => {
  const { cpu, mem } = makeCpu(false);
  assert.equal(cpu.mode, "protected32", "test setup must reach 32-bit protected mode");
  const OPC: Record<string, number> = {
    daa: 0x27,
    das: 0x2f,
    aaa: 0x37,
    aas: 0x3f,
    aam: 0xd4,
    aad: 0xd5,
  };
  const failures: string[] = [];
  const addr = new Map<string, number>();
  let bad = 0;
  const todo = sample((v) => BCD.has(v.op));
  for (const v of todo) {
    const imm = v.op === "aam" || v.op === "aad";
    const key = `${v.op}/${v.bLo}`;
    let at = addr.get(key);
    if (at === undefined) {
      at = CODE + addr.size * 16;
      addr.set(key, at);
      mem.write8(at, OPC[v.op]);
      mem.write8(at + 1, imm ? v.bLo : 0xf4);
      mem.write8(at + 2, 0xf4);
    }
    const g = cpu.gpr;
    g.fill(0);
    g[0] = (0x12340000 | v.aLo) >>> 0;
    cpu.rflags = v.fin | 2;
    cpu.rip = at;
    cpu.activity = "active";
    let problem = "";
    try {
      cpu.run(cpu.retired + 1);
      const want = (0x12340000 | v.r1Lo) >>> 0;
      const f = cpu.rflags & 0x8d5;
      if (cpu.rip === at) problem = "did not retire";
      else if (g[0] !== want) problem = `eax ${g[0].toString(16)} want ${want.toString(16)}`;
      else if (f !== v.fout) problem = `flags ${f.toString(16)} want ${v.fout.toString(16)}`;
    } catch (e) {
      problem = `host exception: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (problem !== "") {
      bad++;
      if (failures.length < 20) {
        failures.push(
          `line ${v.line} ${v.op} ax ${v.aLo.toString(16)} fin ${v.fin.toString(16)}: ${problem}`,
        );
      }
    }
  }
  assert.ok(todo.length > 1000, `only ${todo.length} vectors replayed`);
  assert.equal(bad, 0, `${bad} of ${todo.length} failed:\n${failures.join("\n")}`);
});

// ---------------------------------------------------------------------------
// Immediate and memory operand forms: the same hardware results must come out
// of the engine's other decode/dispatch paths (80/81/83 group 1, accumulator
// short forms, C0/C1/D0/D1 shifts, IMUL r, r/m, imm, BT imm8, read-modify-write
// memory destinations and memory sources).

const DATA = 0x300000; // data slot for memory forms ([rbx])
const ARITH_OPS = new Set(["add", "adc", "sub", "sbb", "cmp", "and", "or", "xor", "test"]);
const SHIFT_OPS = new Set(["shl", "shr", "sar", "rol", "ror", "rcl", "rcr"]);
const BT_OPS = new Set(["bt", "bts", "btr", "btc"]);

/** The immediate of a size-wide value if some encoding takes it: [value, signed8, fits]. */
function immOf(size: number, lo: number, hi: number): { i8: boolean; fits: boolean } {
  const s8 = (lo << 24) >> 24;
  const i8 = size === 1 ||
    (size === 8
      ? hi === (s8 < 0 ? 0xffffffff : 0) && (lo | 0) === s8
      : ((s8 & 0xffffffff) >>> 0 & (size === 2 ? 0xffff : 0xffffffff)) === lo);
  const fits = size !== 8 || hi === ((lo | 0) < 0 ? 0xffffffff : 0);
  return { i8, fits };
}

/** Encode the immediate form of a vector, or null if it has none. */
function immInstruction(v: AluVector): Instruction | null {
  const s = v.size;
  const b = s * 8;
  const N = CAP[v.op];
  const a = REG.a[s];
  if (ARITH_OPS.has(v.op)) {
    const { i8, fits } = immOf(s, v.bLo, v.bHi);
    if (!fits) return null;
    const acc = (v.line & 1) === 0; // alternate with the accumulator short forms
    if (acc) {
      const A = ["", "AL", "AX", "", "EAX", "", "", "", "RAX"][s];
      const w = s === 8 ? 32 : b;
      return s === 8
        ? Instruction.createRegI32(code(`${N}_${A}_imm${w}`), a, v.bLo | 0)
        : Instruction.createRegU32(code(`${N}_${A}_imm${w}`), a, v.bLo);
    }
    if (i8 && s !== 1 && v.op !== "test") {
      return Instruction.createRegI32(code(`${N}_rm${b}_imm8`), a, (v.bLo << 24) >> 24);
    }
    const w = s === 8 ? 32 : b;
    return s === 8
      ? Instruction.createRegI32(code(`${N}_rm${b}_imm${w}`), a, v.bLo | 0)
      : Instruction.createRegU32(code(`${N}_rm${b}_imm${w}`), a, v.bLo);
  }
  if (SHIFT_OPS.has(v.op)) {
    if (v.cLo === 1 && (v.line & 1) === 0) {
      return Instruction.createRegU32(code(`${N}_rm${b}_1`), a, 1);
    }
    return Instruction.createRegU32(code(`${N}_rm${b}_imm8`), a, v.cLo & 0xff);
  }
  if (v.op === "shld" || v.op === "shrd") {
    return Instruction.createRegRegU32(code(`${N}_rm${b}_r${b}_imm8`), a, REG.d[s], v.cLo & 0xff);
  }
  if (BT_OPS.has(v.op)) return Instruction.createRegU32(code(`${N}_rm${b}_imm8`), a, v.bLo & 0xff);
  if (v.op === "imul") {
    // imul rax, rcx, imm with RCX = a
    const { i8, fits } = immOf(s, v.bLo, v.bHi);
    if (!fits) return null;
    if (i8) {
      return Instruction.createRegRegI32(
        code(`Imul_r${b}_rm${b}_imm8`),
        a,
        REG.c[s],
        (v.bLo << 24) >> 24,
      );
    }
    const w = s === 8 ? 32 : b;
    return s === 8
      ? Instruction.createRegRegI32(code(`Imul_r${b}_rm${b}_imm${w}`), a, REG.c[s], v.bLo | 0)
      : Instruction.createRegRegU32(code(`Imul_r${b}_rm${b}_imm${w}`), a, REG.c[s], v.bLo);
  }
  return null;
}

/** Ops whose r/m operand is the destination (memory form writes [rbx]). */
const DEST_RM = new Set([
  ...ARITH_OPS,
  ...SHIFT_OPS,
  ...BT_OPS,
  "inc",
  "dec",
  "neg",
  "not",
  "shld",
  "shrd",
]);
/** Ops whose r/m operand is a source (memory form reads [rbx]). */
const SRC_RM = new Set([
  "mul",
  "imul1",
  "div",
  "idiv",
  "imul",
  "bsf",
  "bsr",
  "tzcnt",
  "lzcnt",
  "popcnt",
]);

function memOperand(): MemoryOperand {
  return new MemoryOperand(Register.RBX, Register.None, 1, 0n, 0, false, Register.None);
}

/** Encode the memory form of a vector ([rbx] as the r/m operand), or null. */
function memInstruction(v: AluVector): Instruction | null {
  const s = v.size;
  const b = s * 8;
  const N = CAP[v.op];
  if (BT_OPS.has(v.op)) {
    // a register bit offset addresses memory outside the operand: keep it inside
    if (v.bHi !== 0 || v.bLo >= b) return null;
    return Instruction.createMemReg(code(`${N}_rm${b}_r${b}`), memOperand(), REG.c[s]);
  }
  if (ARITH_OPS.has(v.op)) {
    return Instruction.createMemReg(code(`${N}_rm${b}_r${b}`), memOperand(), REG.c[s]);
  }
  if (SHIFT_OPS.has(v.op)) {
    return Instruction.createMemReg(code(`${N}_rm${b}_CL`), memOperand(), Register.CL);
  }
  if (v.op === "shld" || v.op === "shrd") {
    return Instruction.createMemRegReg(
      code(`${N}_rm${b}_r${b}_CL`),
      memOperand(),
      REG.d[s],
      Register.CL,
    );
  }
  if (["inc", "dec", "neg", "not", "mul", "imul1", "div", "idiv"].includes(v.op)) {
    return Instruction.createMem(code(`${N}_rm${b}`), memOperand());
  }
  if (SRC_RM.has(v.op)) {
    return Instruction.createRegMem(code(`${N}_r${b}_rm${b}`), REG.a[s], memOperand());
  }
  if (v.op === "xadd") {
    return Instruction.createMemReg(code(`Xadd_rm${b}_r${b}`), memOperand(), REG.c[s]);
  }
  if (v.op === "cmpxchg") {
    return Instruction.createMemReg(code(`Cmpxchg_rm${b}_r${b}`), memOperand(), REG.d[s]);
  }
  return null;
}

function readMem(mem: PhysicalMemory, size: number): R64 {
  if (size === 1) return [mem.read8(DATA), 0];
  if (size === 2) return [mem.read16(DATA), 0];
  if (size === 4) return [mem.read32(DATA), 0];
  return [mem.read32(DATA), mem.read32(DATA + 4)];
}

function writeMem(mem: PhysicalMemory, size: number, lo: number, hi: number): void {
  mem.write32(DATA, 0x77777777);
  mem.write32(DATA + 4, 0x77777777);
  if (size === 1) mem.write8(DATA, lo);
  else if (size === 2) mem.write16(DATA, lo);
  else if (size === 4) mem.write32(DATA, lo);
  else {
    mem.write32(DATA, lo);
    mem.write32(DATA + 4, hi);
  }
}

function replayForm(form: "imm" | "mem"): void {
  const { cpu, mem } = makeCpu(true);
  let next = CODE;
  const failures: string[] = [];
  const groups = new Map<string, number>();
  let n = 0;
  for (const v of sample((v) => !BCD.has(v.op) && v.op !== "bswap" && v.op !== "setcc")) {
    const insn = form === "imm" ? immInstruction(v) : memInstruction(v);
    if (insn === null) continue;
    const at = next;
    next += 16;
    if (next > DATA - 16) next = CODE; // reuse code space (the engine must notice the writes)
    const bytes = encode(64, insn, at);
    for (let i = 0; i < bytes.length; i++) mem.write8(at + i, bytes[i]);
    mem.write8(at + bytes.length, 0xf4);
    const st = setup(v);
    const g = cpu.gpr;
    g.fill(0);
    [g[0], g[1]] = st.rax;
    [g[2], g[3]] = st.rcx;
    [g[4], g[5]] = st.rdx;
    g[6] = DATA; // rbx
    let wantRax = st.wantRax;
    let wantMem: R64 | null = null;
    const s = v.size;
    if (form === "imm" && v.op === "imul") {
      [g[2], g[3]] = withGarbage(s, v.aLo, v.aHi); // rcx = a (source), rax = garbage dest
      const old = withGarbage(s, 0x5a5a5a5a, 0x5a5a5a5a);
      [g[0], g[1]] = old;
      wantRax = written(s, old, v.r1Lo, v.r1Hi);
    }
    let wantRcx: R64 = [g[2], g[3]];
    if (form === "mem") {
      if (v.op === "xadd") {
        writeMem(mem, s, v.aLo, v.aHi); // xadd [rbx], rcx
        wantMem = [v.r1Lo, s === 8 ? v.r1Hi : 0];
        wantRax = [g[0], g[1]];
        wantRcx = written(s, [g[2], g[3]], v.r2Lo, v.r2Hi);
      } else if (v.op === "cmpxchg") {
        writeMem(mem, s, v.aLo, v.aHi); // cmpxchg [rbx], rdx with the accumulator in rax
        wantMem = [v.r1Lo, s === 8 ? v.r1Hi : 0];
      } else if (DEST_RM.has(v.op)) {
        writeMem(mem, s, v.aLo, v.aHi);
        const unchanged = v.op === "cmp" || v.op === "test" || v.op === "bt";
        wantMem = unchanged ? [v.aLo, s === 8 ? v.aHi : 0] : [v.r1Lo, s === 8 ? v.r1Hi : 0];
        wantRax = [g[0], g[1]];
      } else if (v.op === "imul") {
        writeMem(mem, s, v.bLo, v.bHi); // imul rax, [rbx]
      } else if (["bsf", "bsr", "tzcnt", "lzcnt", "popcnt"].includes(v.op)) {
        writeMem(mem, s, v.aLo, v.aHi);
      } else {
        writeMem(mem, s, v.cLo, v.cHi); // mul/div source
      }
    }
    cpu.rflags = v.fin | 2;
    cpu.rip = at;
    cpu.activity = "active";
    let problem = "";
    try {
      cpu.run(cpu.retired + 1);
      const rax: R64 = [g[0], g[1]];
      const rdx: R64 = [g[4], g[5]];
      const f = cpu.rflags & 0x8d5;
      const m = wantMem === null ? null : readMem(mem, s);
      if (cpu.rip === at) problem = "did not retire (fault?)";
      else if (rax[0] !== wantRax[0] || rax[1] !== wantRax[1]) {
        problem = `rax ${hex(rax)} want ${hex(wantRax)}`;
      } else if (rdx[0] !== st.wantRdx[0] || rdx[1] !== st.wantRdx[1]) {
        problem = `rdx ${hex(rdx)} want ${hex(st.wantRdx)}`;
      } else if (g[2] !== wantRcx[0] || g[3] !== wantRcx[1]) {
        problem = `rcx ${hex([g[2], g[3]])} want ${hex(wantRcx)}`;
      } else if (m !== null && wantMem !== null && (m[0] !== wantMem[0] || m[1] !== wantMem[1])) {
        problem = `mem ${hex(m)} want ${hex(wantMem)}`;
      } else if (f !== v.fout) {
        problem = `flags ${f.toString(16)} want ${v.fout.toString(16)}`;
      }
    } catch (e) {
      problem = `host exception: ${e instanceof Error ? e.message : String(e)}`;
    }
    n++;
    if (problem !== "") {
      const k = `${v.op}/${v.size} ${problem.split(" ")[0]}`;
      groups.set(k, (groups.get(k) ?? 0) + 1);
      if (failures.length < 30) {
        failures.push(
          `line ${v.line} ${form} ${v.op}/${v.size} fin ${v.fin.toString(16)} a ${
            hex([v.aLo, v.aHi])
          } b ${hex([v.bLo, v.bHi])} c ${v.cLo.toString(16)} [${
            [...bytes].map((x) => x.toString(16).padStart(2, "0")).join(" ")
          }]: ${problem}`,
        );
      }
    }
  }
  assert.ok(n > 5000, `only ${n} vectors replayed`);
  const summary = [...groups].map(([k, c]) => `  ${k}: ${c}`).join("\n");
  assert.equal(
    groups.size,
    0,
    `of ${n} replayed (${form} forms):\n${summary}\n${failures.join("\n")}`,
  );
}

Deno.test("alu engine: immediate forms replay the hardware vectors", () => replayForm("imm"));

Deno.test("alu engine: memory operand forms replay the hardware vectors", () => replayForm("mem"));

Deno.test("alu engine: SETcc, Jcc and CMOVcc agree with the hardware for all 16 conditions x 64 flag sets", () => {
  const { cpu, mem } = makeCpu(true);
  const CC = [
    "o",
    "no",
    "b",
    "ae",
    "e",
    "ne",
    "be",
    "a",
    "s",
    "ns",
    "p",
    "np",
    "l",
    "ge",
    "le",
    "g",
  ];
  const bad: string[] = [];
  let n = 0;
  for (const v of vectors) {
    if (v.op !== "setcc") continue;
    const cc = CC[v.aLo];
    // setcc al; cmovcc ecx, edx; jcc +3 (over "lea ebx, [rbx+1]"); lea; hlt
    const parts = [
      Instruction.createReg(code(`Set${cc}_rm8`), Register.AL),
      Instruction.createRegReg(code(`Cmov${cc}_r32_rm32`), Register.ECX, Register.EDX),
    ];
    const at = CODE + v.aLo * 64;
    let p = at;
    for (const insn of parts) {
      const bytes = encode(64, insn, p);
      for (let i = 0; i < bytes.length; i++) mem.write8(p + i, bytes[i]);
      p += bytes.length;
    }
    // jcc rel8 +3 (0x70 + cc), lea ebx, [rbx+1] (flags untouched), hlt
    for (const b of [0x70 + v.aLo, 3, 0x8d, 0x5b, 0x01, 0xf4]) mem.write8(p++, b);
    const g = cpu.gpr;
    g.fill(0);
    g[0] = 0xffffff55;
    g[2] = 0x11111111;
    g[3] = 0x22222222;
    g[4] = 0x33333333;
    g[5] = 0x44444444;
    cpu.rflags = v.fin | 2;
    cpu.rip = at;
    cpu.activity = "active";
    try {
      cpu.run(cpu.retired + 4);
      const taken = v.r1Lo === 1;
      const al = g[0] & 0xff;
      const rcx = taken ? 0x33333333 : 0x11111111; // CMOVcc r32 zero-extends even when not taken
      const rbx = taken ? 0 : 1;
      if (al !== v.r1Lo) bad.push(`set${cc} flags ${v.fin.toString(16)}: al ${al} want ${v.r1Lo}`);
      else if (g[2] !== rcx || g[3] !== 0) {
        bad.push(`cmov${cc} flags ${v.fin.toString(16)}: rcx ${hex([g[2], g[3]])}`);
      } else if (g[6] !== rbx) bad.push(`j${cc} flags ${v.fin.toString(16)}: taken ${g[6] === 0}`);
      else if ((cpu.rflags & 0x8d5) !== v.fin) bad.push(`${cc}: flags changed`);
    } catch (e) {
      bad.push(`${cc}: host exception ${e instanceof Error ? e.message : String(e)}`);
    }
    n++;
  }
  assert.equal(n, 1024);
  assert.deepEqual(bad.slice(0, 20), []);
});
