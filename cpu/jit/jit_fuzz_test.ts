/**
 * Differential property test of the block compiler: random loops built
 * from the instruction forms it compiles (and some it calls the
 * interpreter for) run on two vCPUs, one interpreting and one compiling,
 * in random run-limit slices; after every slice the full state (GPRs,
 * RFLAGS, RIP, retired count, data and stack memory) must be identical.
 * One variant loads each loop across a page end (between two instructions
 * or inside one).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { enter32, enter64, installIdt, LAYOUT, load, makeCpu, type TestCpu } from "../testing.ts";
import { JitEngine } from "./mod.ts";
import { fuzzRuns } from "../../tests/fuzz_scale.ts";
import { type CpuModel, defaultModel } from "../model.ts";

/** Registers random instructions may write: not RCX (loop counter), RSP, R15 (data base). */
const DEST = [0, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

type Rng = () => number;

function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function imm32(r: Rng): number[] {
  const v = r() < 0.3 ? pick(r, [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 31, 32]) : r() * 2 ** 32;
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** One random instruction (bytes) for code of `bits`. */
function insn(r: Rng, bits: number): number[] {
  const w = bits === 64 && r() < 0.6;
  const d = bits === 64 ? pick(r, DEST) : pick(r, DEST.filter((x) => x < 8));
  const s = bits === 64 ? Math.floor(r() * 16) : Math.floor(r() * 8);
  const rex = (reg: number, rm: number, wide: boolean): number[] => {
    if (bits !== 64) return [];
    const v = 0x40 | (wide ? 8 : 0) | ((reg >> 3) << 2) | (rm >> 3);
    return v === 0x40 ? [] : [v];
  };
  const modrm = (mod: number, reg: number, rm: number): number =>
    (mod << 6) | ((reg & 7) << 3) | (rm & 7);
  // [r15 + disp8] (64-bit) or an absolute disp32 (32-bit) into the data area.
  const mem = (reg: number, wide: boolean, op: number[]): number[] => {
    const disp = Math.floor(r() * 120) & ~(r() < 0.8 ? 7 : 0);
    if (bits === 64) return [...rex(reg, 15, wide), ...op, modrm(1, reg, 15), disp];
    return [...op, modrm(0, reg, 5), ...imm32Fixed(LAYOUT.data + disp)];
  };
  const k = Math.floor(r() * 28);
  switch (k) {
    case 22: // ALU [mem], r (read-modify-write) / CMP [mem], r
      return mem(s, w, [pick(r, [0x01, 0x09, 0x21, 0x29, 0x31, 0x39])]);
    case 23: // ALU byte [mem], imm8
      return [...mem(Math.floor(r() * 8), false, [0x80]), Math.floor(r() * 256)];
    case 24: // TEST [mem], r / TEST byte [mem], imm8
      if (r() < 0.5) return mem(s, w, [0x85]);
      return [...mem(0, false, [0xf6]), Math.floor(r() * 256)];
    case 25: // MOVZX/MOVSX from memory
      return mem(d, w, [0x0f, pick(r, [0xb6, 0xb7, 0xbe, 0xbf])]);
    case 26: // byte moves with memory
      if (r() < 0.33) return [...mem(0, false, [0xc6]), Math.floor(r() * 256)];
      if (r() < 0.5) return mem(d & 3, false, [0x8a]);
      return mem(s & 3, false, [0x88]);
    case 27: // byte and 16-bit ALU between registers
      if (r() < 0.5) {
        return [pick(r, [0x00, 0x08, 0x20, 0x28, 0x30, 0x38, 0x02, 0x2a]), modrm(3, s & 3, d & 3)];
      }
      return [
        0x66,
        pick(r, [0x01, 0x09, 0x21, 0x29, 0x31, 0x39, 0x03, 0x2b]),
        modrm(3, s & 7, d & 7),
      ];
    case 0:
    case 1: // ALU r, r
      return [
        ...rex(s, d, w),
        pick(r, [0x01, 0x09, 0x21, 0x29, 0x31, 0x39, 0x11, 0x19]),
        modrm(3, s, d),
      ];
    case 2: // ALU r, imm32 / imm8
      return r() < 0.5
        ? [...rex(0, d, w), 0x81, modrm(3, Math.floor(r() * 8), d), ...imm32(r)]
        : [...rex(0, d, w), 0x83, modrm(3, Math.floor(r() * 8), d), Math.floor(r() * 256)];
    case 3: // TEST r, r / r, imm / r8, imm8
      if (r() < 0.4) return [...rex(s, d, w), 0x85, modrm(3, s, d)];
      if (r() < 0.5) return [...rex(0, d, false), 0xf7, modrm(3, 0, d), ...imm32(r)];
      return [0xf6, modrm(3, 0, Math.floor(r() * 8)), Math.floor(r() * 256)];
    case 4: // INC/DEC
      return [...rex(0, d, w), 0xff, modrm(3, Math.floor(r() * 2), d)];
    case 5: // MOV r, r / r, imm
      if (r() < 0.5) return [...rex(s, d, w), 0x89, modrm(3, s, d)];
      return [...rex(0, d, false), 0xb8 + (d & 7), ...imm32(r)];
    case 6: // shifts/rotates by imm
      return [...rex(0, d, w), 0xc1, modrm(3, pick(r, [0, 1, 4, 5, 7]), d), Math.floor(r() * 70)];
    case 7: // IMUL r, r / r, r, imm32
      if (r() < 0.5) return [...rex(d, s, w), 0x0f, 0xaf, modrm(3, d, s)];
      return [...rex(d, s, w), 0x69, modrm(3, d, s), ...imm32(r)];
    case 8: // LEA r, [s + s2*scale + disp8]
      if (bits === 64) {
        const x = Math.floor(r() * 16);
        if ((x & 7) === 4 && x < 8) return [0x90];
        return [
          0x40 | (w ? 8 : 0) | ((d >> 3) << 2) | ((x >> 3) << 1) | (s >> 3),
          0x8d,
          modrm(1, d, 4),
          (Math.floor(r() * 4) << 6) | ((x & 7) << 3) | (s & 7),
          Math.floor(r() * 256),
        ];
      }
      return [0x8d, modrm(1, d, s === 4 ? 3 : s), Math.floor(r() * 256)];
    case 9: // MOVZX r, r8
      return [...rex(d, s, false), 0x0f, 0xb6, modrm(3, d, bits === 64 ? s : s & 3)];
    case 10:
    case 11: // load
      return mem(d, w, [0x8b]);
    case 12: // store
      return mem(s, w, [0x89]);
    case 13: // ALU r, [mem]
      return mem(d, w, [pick(r, [0x03, 0x0b, 0x23, 0x2b, 0x33, 0x3b])]);
    case 14: // PUSH/POP pair
      return bits === 64
        ? [...(s >= 8 ? [0x41] : []), 0x50 + (s & 7), ...(d >= 8 ? [0x41] : []), 0x58 + (d & 7)]
        : [0x50 + (s & 7), 0x58 + (d & 7)];
    case 15: // SETcc r8 / CMOVcc (helpers)
      if (r() < 0.5) return [0x0f, 0x90 + Math.floor(r() * 16), modrm(3, 0, d & 3)];
      return [...rex(d, s, w), 0x0f, 0x40 + Math.floor(r() * 16), modrm(3, d, s)];
    case 16: // MOV [mem], imm32
      return mem(0, w, [0xc7]).concat(imm32(r));
    case 17: // NOP, CLC/STC/CMC
      return [pick(r, [0x90, 0xf8, 0xf9, 0xf5])];
    case 18: // MUL r (helper; writes rAX/rDX)
      return [
        ...rex(0, s === 1 || s === 15 ? 3 : s, w),
        0xf7,
        modrm(3, 4, s === 1 || s === 15 ? 3 : s),
      ];
    case 19: // BT r, imm8 (helper)
      return [...rex(0, d, w), 0x0f, 0xba, modrm(3, 4, d), Math.floor(r() * 64)];
    default: // MOV r8, imm8 and XCHG (helpers)
      if (r() < 0.5) return [0xb0 + (d & 3), Math.floor(r() * 256)];
      {
        const e = pick(r, DEST.filter((v) => bits === 64 || v < 8));
        return [...rex(d, e, w), 0x87, modrm(3, d, e)];
      }
  }
}

function imm32Fixed(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/**
 * A loop: body with forward skips (Jcc, or LOOPNE/LOOPE/LOOP/JrCXZ, some
 * with an address-size prefix, which also count RCX down), then DEC ECX;
 * JNZ body; HLT.
 */
function program(r: Rng, bits: number, n: number): Uint8Array {
  const body: number[] = [];
  for (let k = 0; k < n; k++) {
    const x = insn(r, bits);
    if (r() < 0.12) {
      const y = insn(r, bits);
      body.push(0x70 + Math.floor(r() * 16), y.length, ...y);
    } else if (r() < 0.04) {
      const y = insn(r, bits);
      if (r() < 0.25) body.push(0x67);
      body.push(0xe0 + Math.floor(r() * 4), y.length, ...y);
    }
    body.push(...x);
  }
  const back = -(body.length + 2 + 6);
  return new Uint8Array([...body, 0xff, 0xc9, 0x0f, 0x85, ...imm32Fixed(back >>> 0), 0xf4]);
}

/**
 * The two undefined-flag profiles with their own hot handlers and inline
 * forms (cpu/alu/vendor_flags.ts): the default model's (Intel family 6) and
 * the AMD recording's.
 */
const MODELS: [string, CpuModel][] = [
  ["Intel", defaultModel()],
  ["AMD", { ...defaultModel(), vendor: "AuthenticAMD", family: 0x19, model: 0x11 }],
];

function setup(
  bits: number,
  code: Uint8Array,
  regs: number[],
  jit: boolean,
  model: CpuModel,
  at: number = LAYOUT.code,
): TestCpu {
  const t = makeCpu(4, model);
  if (bits === 64) enter64(t);
  else enter32(t, false);
  installIdt(t, bits === 64);
  for (let k = 0; k < 32; k++) if (k !== 8 && k !== 9) t.cpu.gpr[k] = regs[k] >>> 0;
  t.cpu.gpr[2] = 40; // RCX: iterations
  t.cpu.gpr[3] = 0;
  t.cpu.gpr[30] = LAYOUT.data; // R15: data base
  t.cpu.gpr[31] = 0;
  for (let k = 0; k < 256; k++) t.mem.write8(LAYOUT.data + k, (regs[k & 31] >>> (k & 24)) & 0xff);
  load(t, code, at);
  if (jit) t.cpu.jit = new JitEngine(2);
  return t;
}

function state(t: TestCpu): unknown {
  const c = t.cpu;
  const data: number[] = [];
  for (let k = 0; k < 256; k++) data.push(t.mem.read8(LAYOUT.data + k));
  const stack: number[] = [];
  for (let k = 0; k < 64; k++) stack.push(t.mem.read8(LAYOUT.stack - 64 + k));
  return { gpr: [...c.gpr], rflags: c.rflags, rip: c.rip, retired: c.retired, data, stack };
}

/**
 * Where a loop is loaded: at the start of a page, or (`acrossPageEnd`) so
 * that a page end falls `cut` bytes into it: between two instructions or
 * inside one, which then crosses into the next page.
 */
function loadAddress(code: Uint8Array, acrossPageEnd: boolean, rng: () => number): number {
  if (!acrossPageEnd) return LAYOUT.code;
  const cut = 1 + Math.floor(rng() * (code.length - 1));
  return LAYOUT.code + 4096 - cut;
}

const VARIANTS: [string, CpuModel, boolean][] = [
  ...MODELS.map(([vendor, model]): [string, CpuModel, boolean] => [vendor, model, false]),
  ["Intel, across a page end", defaultModel(), true],
];

for (const [variant, model, acrossPageEnd] of VARIANTS) {
  for (const bits of [64, 32]) {
    Deno.test(`jit fuzz: random ${bits}-bit loops run identically compiled and interpreted (${variant})`, () => {
      let compiled = 0;
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 32, maxLength: 32 }),
          fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 8, maxLength: 8 }),
          (seed, regs, slices) => {
            let x = seed || 1;
            const rng = () => {
              x ^= x << 13;
              x ^= x >>> 17;
              x ^= x << 5;
              return (x >>> 0) / 4294967296;
            };
            const code = program(rng, bits, 4 + Math.floor(rng() * 24));
            const at = loadAddress(code, acrossPageEnd, rng);
            const a = setup(bits, code, regs, false, model, at);
            const b = setup(bits, code, regs, true, model, at);
            let k = 0;
            for (;;) {
              const n = slices[k++ % slices.length];
              const sa = a.cpu.run(a.cpu.retired + n);
              const sb = b.cpu.run(b.cpu.retired + n);
              assert.equal(sb, sa);
              assert.deepEqual(state(b), state(a));
              if (sa !== "limit" || a.cpu.retired > 20000) break;
              // 32-bit code cannot see the high halves, but a 64-bit supervisor
              // can set them between runs: a compiled region must keep them
              // where it writes nothing and clear them where it writes.
              if (bits === 32) {
                for (let r = 0; r < 8; r++) {
                  const v = (regs[(r + k) & 31] ^ (k * 0x9e3779b9)) >>> 0;
                  a.cpu.gpr[2 * r + 1] = v;
                  b.cpu.gpr[2 * r + 1] = v;
                }
              }
            }
            compiled += b.cpu.jit!.compiledRetired;
            assert.equal(b.cpu.jit!.stats.errors, 0, b.cpu.jit!.stats.lastError);
          },
        ),
        { seed: 0x17e17, numRuns: fuzzRuns(60) },
      );
      assert.ok(compiled > 10000, `only ${compiled} instructions ran compiled`);
    });
  }
}
