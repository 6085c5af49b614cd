/**
 * REP MOVS and REP STOS against an element-by-element model: the page-run
 * fast paths of `exec_string.ts` (forward, flat segments, TLB hits) must
 * leave memory, RSI, RDI and RCX exactly as the architectural loop does,
 * including overlapping moves, unaligned elements, page and chunk
 * crossings, the backward direction and kernel-half (negative) addresses.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { enter32, enter64, installIdt, LAYOUT, load, makeCpu, runToHlt } from "./testing.ts";
import { fuzzRuns } from "../tests/fuzz_scale.ts";
import { REP_CHUNK } from "./exec_string.ts";

/** The window the strings live in (identity-mapped data area). */
const BASE = LAYOUT.data;
const SPAN = 0x20000;
/** Where the window also appears in the kernel half (PML4 slot 256 aliases slot 0). */
const HIGH = -(2 ** 47);

interface Case {
  bits: 32 | 64;
  movs: boolean;
  size: 1 | 2 | 4 | 8;
  count: number;
  src: number;
  dst: number;
  back: boolean;
  high: boolean;
  value: [number, number];
  seed: number;
}

const le = (v: number, n: number): string =>
  Array.from(
    { length: n },
    (_, k) => (Math.floor(v / 2 ** (8 * k)) & 0xff).toString(16).padStart(2, "0"),
  )
    .join(" ");
const le64 = (v: number): string =>
  le(((v % 2 ** 32) + 2 ** 32) % 2 ** 32, 4) + " " + le(Math.floor(v / 2 ** 32) >>> 0, 4);

function program(c: Case): string {
  const off = c.high ? HIGH : 0;
  const op = (c.movs ? 0xa4 : 0xaa) + (c.size === 1 ? 0 : 1);
  const prefix = (c.size === 2 ? "66 " : "") + "f3 " + (c.size === 8 ? "48 " : "");
  const regs = c.bits === 64
    ? `48 be ${le64(BASE + c.src + off)} 48 bf ${le64(BASE + c.dst + off)} ` +
      `48 c7 c1 ${le(c.count, 4)} 48 b8 ${le(c.value[0], 4)} ${le(c.value[1], 4)} `
    : `be ${le(BASE + c.src, 4)} bf ${le(BASE + c.dst, 4)} b9 ${le(c.count, 4)} b8 ${
      le(c.value[0], 4)
    } `;
  return regs + (c.back ? "fd " : "fc ") + prefix + op.toString(16) + " f4";
}

/** The architectural loop over a copy of the window. */
function model(c: Case, mem: Uint8Array): { si: number; di: number } {
  const d = c.back ? -c.size : c.size;
  let si = c.src, di = c.dst;
  for (let n = 0; n < c.count; n++) {
    // Each element is read whole before it is written.
    const e = Array.from(
      { length: c.size },
      (_, k) =>
        c.movs
          ? mem[si + k]
          : Math.floor((k < 4 ? c.value[0] : c.value[1]) / 2 ** (8 * (k & 3))) & 0xff,
    );
    mem.set(e, di);
    if (c.movs) si += d;
    di += d;
  }
  return { si, di };
}

/** Runs the case, checks memory and registers against the model; returns the instructions retired. */
function run(c: Case): number {
  const t = makeCpu();
  if (c.bits === 64) enter64(t);
  else enter32(t, false);
  installIdt(t, c.bits === 64);
  // Kernel half: PML4 entry 256 points at the same page tables as entry 0.
  t.mem.write32(LAYOUT.pml4 + 256 * 8, t.mem.read32(LAYOUT.pml4));
  const init = new Uint8Array(SPAN);
  let x = c.seed | 1;
  for (let k = 0; k < SPAN; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    init[k] = x & 0xff;
    t.mem.write8(BASE + k, init[k]);
  }
  load(t, program(c));
  assert.equal(runToHlt(t), "halted");
  const want = init.slice();
  const { si, di } = model(c, want);
  const got = new Uint8Array(SPAN);
  for (let k = 0; k < SPAN; k++) got[k] = t.mem.read8(BASE + k);
  for (let k = 0; k < SPAN; k++) {
    if (got[k] !== want[k]) {
      assert.fail(`byte ${k.toString(16)}: ${got[k]} != ${want[k]} in ${JSON.stringify(c)}`);
    }
  }
  const g = t.cpu.gpr;
  const reg = (r: number) => c.bits === 64 ? (g[2 * r + 1] | 0) * 2 ** 32 + g[2 * r] : g[2 * r];
  const off = c.high ? HIGH : 0;
  if (c.movs) assert.equal(reg(6), BASE + si + off, "RSI");
  assert.equal(reg(7), BASE + di + off, "RDI");
  assert.equal(reg(1), 0, "RCX");
  return t.cpu.retired;
}

/**
 * The instruction restarts after every REP_CHUNK iterations, and not when
 * the count runs out exactly there: one execution per started chunk.
 */
function checkExecutions(c: Case): void {
  const extra = run(c) - run({ ...c, count: 0 });
  assert.equal(extra, Math.max(1, Math.ceil(c.count / REP_CHUNK)) - 1, JSON.stringify(c));
}

const arbCase: fc.Arbitrary<Case> = fc.record({
  bits: fc.constantFrom<(32 | 64)[]>(64, 32),
  movs: fc.boolean(),
  size: fc.constantFrom<(1 | 2 | 4 | 8)[]>(1, 2, 4, 8),
  count: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2600 })),
  src: fc.integer({ min: 0xa000, max: 0xc000 }),
  // Near the source (overlaps of either direction) or anywhere.
  near: fc.oneof(fc.integer({ min: -24, max: 24 }), fc.integer({ min: -0x4000, max: 0x4000 })),
  back: fc.boolean(),
  high: fc.boolean(),
  value: fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
}).map(({ near, ...r }) => {
  const bits = r.bits;
  const size = bits === 32 && r.size === 8 ? 4 : r.size;
  const value: [number, number] = r.value[1] % 3 === 0 ? [r.value[0], r.value[0]] : r.value;
  return { ...r, size, value, high: bits === 64 && r.high, dst: r.src + near };
});

Deno.test("rep movs/stos: page runs match the element-by-element loop", () => {
  fc.assert(fc.property(arbCase, (c) => checkExecutions(c)), {
    seed: 0x57a1,
    numRuns: fuzzRuns(300),
  });
});

Deno.test("rep movs: a destination just above the source repeats the pattern (64-bit, kernel half)", () => {
  const c: Case = {
    bits: 64,
    movs: true,
    size: 1,
    count: 5000,
    src: 0x6000,
    dst: 0x6003,
    back: false,
    high: true,
    value: [0, 0],
    seed: 7,
  };
  checkExecutions(c);
  checkExecutions({ ...c, size: 8, dst: 0x6008, count: 1000 });
  checkExecutions({ ...c, dst: 0x5ffd, high: false });
  // Counts that end exactly at a chunk's end, with and without page runs.
  for (const movs of [true, false]) {
    checkExecutions({ ...c, movs, count: 2 * REP_CHUNK, dst: 0x9000 });
    checkExecutions({ ...c, movs, count: REP_CHUNK, size: 4, dst: 0x9000, back: true });
  }
});
