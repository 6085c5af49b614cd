/**
 * CPU-bound integer loops through the vCPU: a 64-bit and a 32-bit loop
 * body of ~33 instructions (adds, xors, shifts, rotates, imul, loads and
 * stores to a small array, conditional branches), assembled with GNU as
 * from the listings below. `deno bench -A bench/cpu_bench.ts` times them;
 * `deno run -A bench/cpu_bench.ts` prints MIPS (median of 5 runs).
 *
 * @module
 */

import process from "node:process";
import { enter32, enter64, hex, LAYOUT, load, makeCpu, type TestCpu } from "../cpu/testing.ts";

// loop64.s (rdi = array of 16 dwords, ecx = iterations):
//   xor eax,eax; mov edx,0x12345678; mov r8d,1
// top: mov r9d,ecx; and r9d,15; mov r10d,[rdi+r9*4]; add eax,r10d; xor edx,eax
//   shl r10d,3; shr edx,1; imul r11d,eax,0x9e3779b1; add r11d,edx; mov [rdi+r9*4],r11d
//   lea rsi,[rax+rdx*2]; sub esi,ecx; xor r8d,esi; rol r8d,5; add eax,r8d; test eax,1
//   jz skip; add edx,7
// skip: mov r10d,[rdi+4]; add r10d,eax; mov [rdi+8],r10d; cmp r10d,edx; jb below; sub eax,3
// below: sar r11d,2; or edx,r11d; add rax,rdx; xor rax,r8; mov r9,rax; shr r9,7
//   add eax,r9d; dec ecx; jnz top; hlt
const LOOP64 = "31c0ba7856341241b8010000004189c94183e10f468b148f4401d031c241c1e203d1ea4469d8b179" +
  "379e4101d346891c8f488d345029ce4131f041c1c0054401c0a901000000740383c207448b57044101c24489" +
  "57084139d2720383e80341c1fb024409da4801d04c31c04989c149c1e9074401c8ffc97594f4";

// loop32.s (edi = array, ecx = iterations): the same shape with push/pop ecx
// around an imul into ecx and a stack-relative sub.
const LOOP32 = "31c0ba78563412bb0100000089ce83e60f8b2cb701e831c2c1e503d1ea5169c8b179379e01d1890c" +
  "b78d34502b342431f3c1c30501d8a901000000740383c2078b6f0401c5896f0839d5720383e803c1f90209ca" +
  "01d031d85901e84975aef4";

function hexBytes(s: string): Uint8Array {
  return hex(s.match(/../g)!.join(" "));
}

/** Build a vCPU ready to run one of the loops for `iters` iterations. */
export function setup(bits: 32 | 64, iters: number): TestCpu {
  const t = makeCpu(8);
  if (bits === 64) enter64(t);
  else enter32(t);
  for (let k = 0; k < 16; k++) t.mem.write32(LAYOUT.data + 4 * k, k * 0x01010101);
  load(t, hexBytes(bits === 64 ? LOOP64 : LOOP32));
  t.cpu.gpr[2] = iters; // ecx
  t.cpu.gpr[14] = LAYOUT.data; // edi
  return t;
}

/** Run to HLT; returns [instructions, wall ms, eax, CPU ms]. */
export function runLoop(t: TestCpu): [number, number, number, number] {
  const start = t.cpu.retired;
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  const r = t.cpu.run(Number.MAX_SAFE_INTEGER);
  const ms = performance.now() - t0;
  const u = process.cpuUsage(u0);
  if (r !== "halted") throw new Error(`loop stopped with ${r}`);
  return [t.cpu.retired - start, ms, t.cpu.gpr[0], (u.user + u.system) / 1000];
}

const ITERS = 2_000_000;

Deno.bench("64-bit integer loop (2M iterations)", { group: "cpu" }, (b) => {
  const t = setup(64, ITERS);
  b.start();
  runLoop(t);
  b.end();
});

Deno.bench("32-bit integer loop (2M iterations)", { group: "cpu" }, (b) => {
  const t = setup(32, ITERS);
  b.start();
  runLoop(t);
  b.end();
});

if (import.meta.main) {
  for (const bits of [64, 32] as const) {
    const mips: number[] = [];
    const cpuMips: number[] = [];
    let info = "";
    for (let run = 0; run < 5; run++) {
      const t = setup(bits, ITERS);
      const [n, ms, eax, cpuMs] = runLoop(t);
      mips.push(n / ms / 1000);
      cpuMips.push(n / cpuMs / 1000);
      info = `${n} instructions, checksum eax=0x${(eax >>> 0).toString(16)}`;
    }
    mips.sort((a, b) => a - b);
    cpuMips.sort((a, b) => a - b);
    const fmt = (m: number[]) => m.map((x) => x.toFixed(1)).join(", ");
    console.log(
      `${bits}-bit loop: median ${mips[2].toFixed(1)} MIPS wall (${fmt(mips)}), ` +
        `${cpuMips[2].toFixed(1)} MIPS per CPU-second (${fmt(cpuMips)}); ${info}`,
    );
  }
}
