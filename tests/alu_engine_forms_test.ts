/**
 * Replays the hardware ALU vectors through the engine's immediate and memory
 * operand forms (see tests/alu_engine_test.ts for the register forms and
 * tests/data/alu_vectors_engine.ts for the harness); the immediate and
 * memory forms also on an Intel family-6 model against the ALU's Intel
 * profile (the hot shift handlers of that vendor included).
 */
import assert from "node:assert/strict";
import { Instruction, MemoryOperand, Register } from "iced-x86";
import type { PhysicalMemory } from "../mm/mod.ts";
import type { AluVector } from "./data/alu_vectors.ts";
import { profileVectors } from "./data/alu_replay.ts";
import { type CpuModel, defaultModel } from "../cpu/model.ts";
import { INTEL_P6, vendorFlagsOf } from "../cpu/alu/vendor_flags.ts";
import {
  BCD,
  CAP,
  CODE,
  code,
  encode,
  hex,
  makeCpu,
  type R64,
  REG,
  sample,
  setup,
  vectors,
  withGarbage,
  written,
} from "./data/alu_vectors_engine.ts";

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

/** Encode the memory-destination immediate form ([rbx], imm), or null. */
function memImmInstruction(v: AluVector): Instruction | null {
  const s = v.size;
  const b = s * 8;
  const N = CAP[v.op];
  if (ARITH_OPS.has(v.op)) {
    const { i8, fits } = immOf(s, v.bLo, v.bHi);
    if (!fits) return null;
    if (i8 && s !== 1 && v.op !== "test") {
      return Instruction.createMemI32(code(`${N}_rm${b}_imm8`), memOperand(), (v.bLo << 24) >> 24);
    }
    const w = s === 8 ? 32 : b;
    return s === 8
      ? Instruction.createMemI32(code(`${N}_rm${b}_imm${w}`), memOperand(), v.bLo | 0)
      : Instruction.createMemU32(code(`${N}_rm${b}_imm${w}`), memOperand(), v.bLo);
  }
  if (SHIFT_OPS.has(v.op)) {
    if (v.cLo === 1 && (v.line & 1) === 0) {
      return Instruction.createMemU32(code(`${N}_rm${b}_1`), memOperand(), 1);
    }
    return Instruction.createMemU32(code(`${N}_rm${b}_imm8`), memOperand(), v.cLo & 0xff);
  }
  if (v.op === "shld" || v.op === "shrd") {
    return Instruction.createMemRegU32(
      code(`${N}_rm${b}_r${b}_imm8`),
      memOperand(),
      REG.d[s],
      v.cLo & 0xff,
    );
  }
  // an immediate bit offset is taken modulo the operand size, also for memory
  if (BT_OPS.has(v.op)) {
    return Instruction.createMemU32(code(`${N}_rm${b}_imm8`), memOperand(), v.bLo & 0xff);
  }
  if (v.op === "imul") {
    // imul rax, [rbx], imm with [rbx] = a
    const { i8, fits } = immOf(s, v.bLo, v.bHi);
    if (!fits) return null;
    if (i8) {
      return Instruction.createRegMemI32(
        code(`Imul_r${b}_rm${b}_imm8`),
        REG.a[s],
        memOperand(),
        (v.bLo << 24) >> 24,
      );
    }
    const w = s === 8 ? 32 : b;
    return s === 8
      ? Instruction.createRegMemI32(
        code(`Imul_r${b}_rm${b}_imm${w}`),
        REG.a[s],
        memOperand(),
        v.bLo | 0,
      )
      : Instruction.createRegMemU32(
        code(`Imul_r${b}_rm${b}_imm${w}`),
        REG.a[s],
        memOperand(),
        v.bLo,
      );
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

function replayForm(
  form: "imm" | "mem" | "memimm",
  list: readonly AluVector[] = vectors,
  model?: CpuModel,
): void {
  const { cpu, mem } = makeCpu("long64", model);
  let next = CODE;
  const failures: string[] = [];
  const groups = new Map<string, number>();
  let n = 0;
  for (const v of sample((v) => !BCD.has(v.op) && v.op !== "bswap" && v.op !== "setcc", list)) {
    const insn = form === "imm"
      ? immInstruction(v)
      : form === "mem"
      ? memInstruction(v)
      : memImmInstruction(v);
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
    if (form === "memimm" && v.op === "imul") {
      writeMem(mem, s, v.aLo, v.aHi); // imul rax, [rbx], imm: rax = garbage dest
      const old = withGarbage(s, 0x5a5a5a5a, 0x5a5a5a5a);
      [g[0], g[1]] = old;
      wantRax = written(s, old, v.r1Lo, v.r1Hi);
    } else if (form === "memimm") {
      writeMem(mem, s, v.aLo, v.aHi);
      const unchanged = v.op === "cmp" || v.op === "test" || v.op === "bt";
      wantMem = unchanged ? [v.aLo, s === 8 ? v.aHi : 0] : [v.r1Lo, s === 8 ? v.r1Hi : 0];
      wantRax = [g[0], g[1]];
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

Deno.test("alu engine: memory-destination immediate forms replay the hardware vectors", () => {
  replayForm("memimm");
});

Deno.test("alu engine: immediate and memory forms on an Intel model give the ALU's Intel profile", () => {
  const intel = defaultModel();
  assert.equal(vendorFlagsOf(intel), INTEL_P6);
  const list = profileVectors(vectors, INTEL_P6);
  replayForm("imm", list, intel);
  replayForm("mem", list, intel);
});

/**
 * The legacy high-byte registers (AH, CH without REX): 8-bit vectors run as
 * `op ah, ch` / `op ah` / `shl ah, cl` / `mul ch` ..., with garbage in every
 * other bit of RAX and RCX.
 */
Deno.test("alu engine: 8-bit vectors through the high-byte registers AH/CH", () => {
  const { cpu, mem } = makeCpu("long64");
  const failures: string[] = [];
  let bad = 0;
  let n = 0;
  const addr = new Map<string, number>();
  const hiByte = (r: number, b: number): number => ((r & ~0xff00) | ((b & 0xff) << 8)) >>> 0;
  for (const v of sample((v) => v.size === 1)) {
    let insn: Instruction;
    const N = CAP[v.op];
    if (ARITH_OPS.has(v.op) || v.op === "xadd") {
      insn = Instruction.createRegReg(code(`${N}_rm8_r8`), Register.AH, Register.CH);
    } else if (["inc", "dec", "neg", "not"].includes(v.op)) {
      insn = Instruction.createReg(code(`${N}_rm8`), Register.AH);
    } else if (SHIFT_OPS.has(v.op)) {
      insn = Instruction.createRegReg(code(`${N}_rm8_CL`), Register.AH, Register.CL);
    } else if (["mul", "imul1", "div", "idiv"].includes(v.op)) {
      insn = Instruction.createReg(code(`${N}_rm8`), Register.CH);
    } else continue;
    const key = `${v.op}`;
    let at = addr.get(key);
    if (at === undefined) {
      at = CODE + 0x10000 + addr.size * 16;
      addr.set(key, at);
      const bytes = encode(64, insn, at);
      for (let i = 0; i < bytes.length; i++) mem.write8(at + i, bytes[i]);
      mem.write8(at + bytes.length, 0xf4);
    } else insn.free();
    const g = cpu.gpr;
    g.fill(0);
    const RAX = 0x9abcde5a;
    const RCX = 0x13572468;
    let wantRax: number;
    let wantRcx = 0;
    if (["mul", "imul1", "div", "idiv"].includes(v.op)) {
      // AX (or AL) in, source in CH
      const ax = v.op === "mul" || v.op === "imul1" ? v.aLo : (v.bLo << 8) | v.aLo;
      g[0] = ((RAX & ~0xffff) | ax) >>> 0;
      g[2] = hiByte(RCX, v.cLo);
      wantRax = ((RAX & ~0xffff) | (v.r2Lo << 8) | v.r1Lo) >>> 0;
      wantRcx = g[2];
    } else {
      g[0] = hiByte(RAX, v.aLo);
      g[2] = SHIFT_OPS.has(v.op) ? ((RCX & ~0xff) | v.cLo) >>> 0 : hiByte(RCX, v.bLo);
      const keep = v.op === "cmp" || v.op === "test";
      wantRax = keep ? g[0] : hiByte(g[0], v.r1Lo);
      wantRcx = v.op === "xadd" ? hiByte(g[2], v.r2Lo) : g[2];
    }
    g[1] = 0x11111111;
    g[3] = 0x22222222;
    cpu.rflags = v.fin | 2;
    cpu.rip = at;
    cpu.activity = "active";
    let problem = "";
    try {
      cpu.run(cpu.retired + 1);
      const f = cpu.rflags & 0x8d5;
      if (cpu.rip === at) problem = "did not retire";
      else if (g[0] !== wantRax || g[1] !== 0x11111111) {
        problem = `rax ${hex([g[0], g[1]])} want ${wantRax.toString(16)}`;
      } else if (g[2] !== wantRcx || g[3] !== 0x22222222) {
        problem = `rcx ${hex([g[2], g[3]])} want ${wantRcx.toString(16)}`;
      } else if (f !== v.fout) problem = `flags ${f.toString(16)} want ${v.fout.toString(16)}`;
    } catch (e) {
      problem = `host exception: ${e instanceof Error ? e.message : String(e)}`;
    }
    n++;
    if (problem !== "") {
      bad++;
      if (failures.length < 20) failures.push(`line ${v.line} ${v.op}: ${problem}`);
    }
  }
  assert.ok(n > 1000, `only ${n} vectors replayed`);
  assert.equal(bad, 0, `${bad} of ${n} failed:\n${failures.join("\n")}`);
});
