/**
 * Decoder throughput: `deno bench bench/decode_bench.ts`. Each iteration
 * decodes a fixed stream of instructions (gcc-like 64-bit and 32-bit code,
 * and a random structured mix), so instructions/s = count / time per
 * iteration; the count is printed once at start.
 */
import { decodeBytes, DecodedInsn, type DecodeMode } from "../cpu/decode/mod.ts";

/** Typical -O2 code: prologues, loads/stores, ALU, compares, branches, calls. */
const GCC64 = [
  [0xf3, 0x0f, 0x1e, 0xfa], // endbr64
  [0x55], // push rbp
  [0x48, 0x89, 0xe5], // mov rbp, rsp
  [0x41, 0x57], // push r15
  [0x48, 0x83, 0xec, 0x28], // sub rsp, 0x28
  [0x8b, 0x47, 0x08], // mov eax, [rdi+8]
  [0x48, 0x8b, 0x05, 0x10, 0x20, 0, 0], // mov rax, [rip+0x2010]
  [0x01, 0xd0], // add eax, edx
  [0x31, 0xc9], // xor ecx, ecx
  [0x48, 0x8d, 0x04, 0x92], // lea rax, [rdx+rdx*4]
  [0xc1, 0xe0, 0x05], // shl eax, 5
  [0x69, 0xc0, 0x3b, 0x9a, 0xca, 0x00], // imul eax, eax, 0xca9a3b
  [0x89, 0x44, 0x8e, 0x04], // mov [rsi+rcx*4+4], eax
  [0x48, 0x39, 0xd1], // cmp rcx, rdx
  [0x75, 0xe6], // jne -26
  [0x0f, 0xb6, 0x07], // movzx eax, byte [rdi]
  [0x85, 0xc0], // test eax, eax
  [0x0f, 0x84, 0x80, 0x00, 0x00, 0x00], // je +0x80
  [0xe8, 0x00, 0x10, 0x00, 0x00], // call
  [0x0f, 0x1f, 0x44, 0x00, 0x00], // nop dword [rax+rax]
  [0x48, 0x83, 0xc4, 0x28], // add rsp, 0x28
  [0x5d], // pop rbp
  [0xc3], // ret
];
const GCC32 = [
  [0x55],
  [0x89, 0xe5],
  [0x83, 0xec, 0x18],
  [0x8b, 0x45, 0x08],
  [0x03, 0x45, 0x0c],
  [0x31, 0xd2],
  [0xc1, 0xe0, 0x05],
  [0x89, 0x04, 0x95, 0x00, 0x10, 0x00, 0x00],
  [0x0f, 0xaf, 0xc2],
  [0x39, 0xd0],
  [0x7c, 0xf0],
  [0xe8, 0x00, 0x10, 0x00, 0x00],
  [0xc9],
  [0xc3],
];

function stream(insns: number[][], reps: number): { bytes: Uint8Array; count: number } {
  const flat = [];
  for (let r = 0; r < reps; r++) for (const i of insns) flat.push(...i);
  return { bytes: new Uint8Array(flat), count: reps * insns.length };
}

/** A random structured stream: random prefixes/opcodes, decoded as the decoder walks. */
function randomStream(n: number): Uint8Array {
  let s = 0x12345678;
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    b[i] = s & 0xff;
  }
  return b;
}

const s64 = stream(GCC64, 200);
const s32 = stream(GCC32, 300);
const rnd = randomStream(64 * 1024);
const o = new DecodedInsn();

function walk(bytes: Uint8Array, mode: DecodeMode): number {
  let pos = 0;
  let n = 0;
  const end = bytes.length - 16;
  while (pos < end) {
    pos += decodeBytes(bytes, pos, mode, o);
    n++;
  }
  return n;
}

console.log(
  `decode bench: gcc64 stream ${s64.count} insns, gcc32 stream ${s32.count} insns, ` +
    `random stream ${walk(rnd, 64)} insns (64-bit) per iteration`,
);

Deno.bench("decode gcc-like 64-bit code", { group: "decode" }, () => {
  walk(s64.bytes, 64);
});
Deno.bench("decode gcc-like 32-bit code", { group: "decode" }, () => {
  walk(s32.bytes, 32);
});
Deno.bench("decode random bytes, 64-bit", { group: "decode" }, () => {
  walk(rnd, 64);
});
Deno.bench("decode random bytes, 16-bit", { group: "decode" }, () => {
  walk(rnd, 16);
});
