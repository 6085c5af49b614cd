/**
 * Micro-benchmarks of the ALU hot paths (`deno bench bench/alu_bench.ts`).
 * Each iteration runs 1000 operations over varying operands, so the reported
 * time per iteration / 1000 is the cost of one operation (+ flag use).
 */
import { Alu } from "../cpu/alu/alu.ts";

const N = 1000;
const alu = new Alu();
const A = new Uint32Array(N);
const B = new Uint32Array(N);
let seed = 12345;
for (let i = 0; i < N; i++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  A[i] = seed;
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  B[i] = i % 7 === 0 ? A[i] : seed;
}
let sink = 0;

Deno.bench("add32 + jz (cond 4)", { group: "alu" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    s = alu.add(4, A[i], 0, B[i], 0);
    if (alu.cond(4)) s++;
  }
  sink ^= s;
});

Deno.bench("cmp32 + jl (cond 12)", { group: "alu", baseline: true }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    alu.cmp(4, A[i], 0, B[i], 0);
    if (alu.cond(12)) s++;
  }
  sink ^= s;
});

Deno.bench("cmp32 + jb/ja/jz (cond 2, 7, 4)", { group: "alu" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    alu.cmp(4, A[i], 0, B[i], 0);
    if (alu.cond(2)) s++;
    if (alu.cond(7)) s += 2;
    if (alu.cond(4)) s += 3;
  }
  sink ^= s;
});

Deno.bench("sub32 + adc32 chain", { group: "alu" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    s = alu.sub(4, A[i], 0, B[i], 0);
    s = alu.adc(4, s, 0, B[i], 0);
  }
  sink ^= s;
});

Deno.bench("test32 + jnz (cond 5)", { group: "alu" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    alu.test(4, A[i], 0, B[i], 0);
    if (alu.cond(5)) s++;
  }
  sink ^= s;
});

Deno.bench("and32 / xor32 / or32", { group: "alu" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    s = alu.and(4, A[i], 0, B[i], 0);
    s = alu.xor(4, s, 0, A[i], 0);
    s = alu.or(4, s, 0, B[i], 0);
  }
  sink ^= s;
});

Deno.bench("add32 + getFlags (PUSHF)", { group: "alu" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    alu.add(4, A[i], 0, B[i], 0);
    s ^= alu.getFlags();
  }
  sink ^= s;
});

Deno.bench("inc32 + jnz", { group: "alu" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    s = alu.inc(4, A[i], 0);
    if (alu.cond(5)) s++;
  }
  sink ^= s;
});

Deno.bench("add64 + cmp64 + jl", { group: "alu64" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    s = alu.add(8, A[i], B[i], B[i], A[i]);
    alu.cmp(8, s, alu.hi, A[i], B[i]);
    if (alu.cond(12)) s++;
  }
  sink ^= s;
});

Deno.bench("shl32 / sar32 by imm", { group: "shift" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    s = alu.shl(4, A[i], 0, i & 31);
    s = alu.sar(4, s, 0, 3);
  }
  sink ^= s;
});

Deno.bench("imul32 (two-operand)", { group: "muldiv" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) s ^= alu.imul(4, A[i], 0, B[i], 0);
  sink ^= s;
});

Deno.bench("mul64 (one-operand)", { group: "muldiv" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) s ^= alu.mul(8, A[i], B[i], B[i], A[i]) ^ alu.dx;
  sink ^= s;
});

Deno.bench("div32 (EDX=0)", { group: "muldiv" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    if (alu.div(4, A[i], 0, 0, 0, (B[i] | 1) >>> 0, 0) === 0) s ^= alu.quot;
  }
  sink ^= s;
});

Deno.bench("div64 by 32-bit divisor", { group: "muldiv" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    if (alu.div(8, A[i], B[i], 0, 0, (B[i] | 1) >>> 0, 0) === 0) s ^= alu.quot;
  }
  sink ^= s;
});

Deno.bench("div64 by 64-bit divisor (slow path)", { group: "muldiv" }, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    if (alu.div(8, A[i], B[i], 0, 0, B[i], (A[i] | 1) >>> 0) === 0) s ^= alu.quot;
  }
  sink ^= s;
});

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
