/**
 * Replays a share of the hardware ALU vectors (tests/data/alu_vectors.txt)
 * through the real execution engine: each instruction is encoded with
 * iced-x86 (register operands: RAX-family destination, RCX-family source /
 * CL count, RDX for SHLD/SHRD sources and MUL/DIV), run for one instruction
 * in a 64-bit (for the BCD instructions: 32-bit protected and real mode) Cpu with
 * the registers and RFLAGS set from the vector, and the full 64-bit
 * registers and the arithmetic flags are compared with what the hardware
 * produced. Registers are pre-filled with garbage in the bits the
 * instruction must not touch, so the partial-register and zero-extension
 * rules of x86-64 are checked too.
 *
 * The same inputs also run on an Intel family-6 model, whose engine must
 * give what the ALU's Intel profile gives (tests/data/alu_replay.ts): the
 * hot handlers and the general ones agree for that vendor as well.
 *
 * NESTVM_ALU_ENGINE=all replays every vector instead of a share.
 */
import assert from "node:assert/strict";
import { Instruction, Register } from "iced-x86";
import {
  BCD,
  CODE,
  code,
  encode,
  hex,
  instruction,
  makeCpu,
  type R64,
  sample,
  setup,
  vectors,
} from "./data/alu_vectors_engine.ts";
import type { AluVector } from "./data/alu_vectors.ts";
import { profileVectors } from "./data/alu_replay.ts";
import { type CpuModel, defaultModel } from "../cpu/model.ts";
import { INTEL_P6, vendorFlagsOf } from "../cpu/alu/vendor_flags.ts";

/** The default model (GenuineIntel family 6) and the vectors its profile gives. */
const INTEL = defaultModel();
const intelVectors = (): AluVector[] => {
  assert.equal(vendorFlagsOf(INTEL), INTEL_P6);
  return profileVectors(vectors, INTEL_P6);
};

function replayRegisterForms(list: readonly AluVector[], model?: CpuModel): void {
  const { cpu, mem } = makeCpu("long64", model);
  assert.equal(cpu.mode, "long64", "test setup must reach 64-bit mode");
  const addr = new Map<string, number>();
  let next = CODE;
  const failures: string[] = [];
  const groups = new Map<string, number>();
  const todo = sample((v) => !BCD.has(v.op) && v.op !== "setcc", list);
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
    const st = setup(v, model?.vendor);
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
}

Deno.test("alu engine: 64-bit ALU instructions replay the hardware vectors", () => {
  replayRegisterForms(vectors);
});

Deno.test("alu engine: 64-bit ALU instructions on an Intel model give the ALU's Intel profile", () => {
  replayRegisterForms(intelVectors(), INTEL);
});

function replayBcd(
  mode: "protected32" | "real",
  list: readonly AluVector[] = vectors,
  model?: CpuModel,
): void {
  const { cpu, mem } = makeCpu(mode, model);
  assert.equal(cpu.mode, mode, `test setup must reach ${mode} mode`);
  // 16-bit code cannot reach CODE; real mode runs below 64 KiB (CS base 0).
  const base = mode === "real" ? 0x8000 : CODE;
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
  const todo = sample((v) => BCD.has(v.op), list);
  for (const v of todo) {
    const imm = v.op === "aam" || v.op === "aad";
    const key = `${v.op}/${v.bLo}`;
    let at = addr.get(key);
    if (at === undefined) {
      at = base + addr.size * 16;
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
  assert.equal(bad, 0, `${bad} of ${todo.length} failed in ${mode}:\n${failures.join("\n")}`);
}

Deno.test("alu engine: BCD instructions in 32-bit protected mode replay the hardware vectors", () => {
  replayBcd("protected32");
});

Deno.test("alu engine: BCD instructions in real mode (16-bit code) replay the hardware vectors", () => {
  replayBcd("real");
});

Deno.test("alu engine: BCD instructions on an Intel model give the ALU's Intel profile", () => {
  replayBcd("protected32", intelVectors(), INTEL);
});

Deno.test("alu engine: SETcc, Jcc and CMOVcc agree with the hardware for all 16 conditions x 64 flag sets", () => {
  const { cpu, mem } = makeCpu("long64");
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
