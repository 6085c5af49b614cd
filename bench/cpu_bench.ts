/**
 * CPU-bound integer loops run directly through the vCPU (no machine, no
 * devices): the guest benchmark loop `guests/src/bench/loop.S` (34
 * instructions per iteration, 64-bit and 32-bit builds, checksum checked
 * against `guests/src/bench/model.ts`), and a second pair of ~33-instruction
 * loops whose 64-bit checksum was recorded on real hardware.
 * `deno bench -A bench/cpu_bench.ts` times them; `deno run -A
 * bench/cpu_bench.ts` prints MIPS (median of 5 runs, wall time and per
 * CPU-second, since our machines are shared).
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

// guests/src/bench/loop.S, `bench_loop(n, array)`, assembled with GNU as (gcc -E; as --64 / --32).
const GUEST64 =
  "534154415541564889f948b8efcdab896745230148bb21436587a9cbed0f48ba11111111111111114885c9" +
  "747b4801d04831c34989d849c1e0034c01c24c69cb95e9d15b4c31c849c1e9074c01cb4189ca4183e2074e8b1c" +
  "d64901c34e891cd64c31da48c1c20da80174064883c303eb054883eb05904c8d6458014c29e24839d072064983" +
  "f455eb054983cc1190440fb6ea4c01e84c8b760849c1fe034c31f34c01e248ffc975854831d84801d0415e415d" +
  "415c5bc3";
const GUEST32 =
  "535657558b4c24148b6c2418b8efcdab89bb21436587ba1111111185c9745e01d031c389dec1e60301f269" +
  "fb95e9d15b31f8c1ef0701fb89ce83e6078b7cb50001c7897cb50031fac1c20da801740583c303eb0483eb0590" +
  "8d74580129f239d0720583f655eb0483ce11900fb6fa01f88b7d04c1ff0331fb01f24975a231d801d05d5f5e5b" +
  "c3";
/** Instructions per iteration of the guest loop. */
export const GUEST_LOOP_INSNS = 34;
const RET_HLT = 0x100f00;

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

/**
 * Build a vCPU that calls the guest benchmark loop `bench_loop(iters, array)`
 * and halts when it returns (array of 8 words at LAYOUT.data).
 */
export function setupGuestLoop(bits: 32 | 64, iters: number): TestCpu {
  const t = makeCpu(8);
  if (bits === 64) enter64(t);
  else enter32(t);
  for (let k = 0; k < 8; k++) {
    const v = (0x0101010101010101n * BigInt(k + 1)) & ((1n << BigInt(bits)) - 1n);
    t.mem.write32(LAYOUT.data + (bits / 8) * k, Number(v & 0xffffffffn));
    if (bits === 64) t.mem.write32(LAYOUT.data + 8 * k + 4, Number(v >> 32n));
  }
  load(t, hexBytes(bits === 64 ? GUEST64 : GUEST32));
  t.mem.write8(RET_HLT, 0xf4);
  const sp = LAYOUT.stack - 64;
  if (bits === 64) {
    t.mem.write32(sp, RET_HLT);
    t.mem.write32(sp + 4, 0);
    t.cpu.gpr[14] = iters; // rdi
    t.cpu.gpr[12] = LAYOUT.data; // rsi
  } else {
    t.mem.write32(sp, RET_HLT);
    t.mem.write32(sp + 4, iters);
    t.mem.write32(sp + 8, LAYOUT.data);
  }
  t.cpu.gpr[8] = sp;
  return t;
}

/** The checksum `bench.c` would print, computed from the vCPU state after the loop returned. */
export function guestChecksum(t: TestCpu, bits: 32 | 64): bigint {
  const mask = (1n << BigInt(bits)) - 1n;
  let sum = bits === 64 ? t.cpu.getGpr64(0) : BigInt(t.cpu.gpr[0]);
  for (let k = 0; k < 8; k++) {
    let v = BigInt(t.mem.read32(LAYOUT.data + (bits / 8) * k));
    if (bits === 64) v |= BigInt(t.mem.read32(LAYOUT.data + 8 * k + 4)) << 32n;
    sum = (sum + (v & mask) * BigInt(k + 1)) & 0xffffffffffffffffn;
  }
  return sum;
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

Deno.bench(
  "guest loop.S 64-bit (2M iterations, 68M instructions)",
  { group: "guest-loop" },
  (b) => {
    const t = setupGuestLoop(64, ITERS);
    b.start();
    runLoop(t);
    b.end();
  },
);

Deno.bench(
  "guest loop.S 32-bit (2M iterations, 68M instructions)",
  { group: "guest-loop" },
  (b) => {
    const t = setupGuestLoop(32, ITERS);
    b.start();
    runLoop(t);
    b.end();
  },
);

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
  const { benchChecksum } = await import("../guests/src/bench/model.ts");
  for (const bits of [64, 32] as const) {
    const mips: number[] = [];
    const cpuMips: number[] = [];
    let info = "";
    for (let run = 0; run < 5; run++) {
      const t = setupGuestLoop(bits, ITERS);
      const [n, ms, , cpuMs] = runLoop(t);
      mips.push(n / ms / 1000);
      cpuMips.push(n / cpuMs / 1000);
      const sum = guestChecksum(t, bits);
      const ok = sum === benchChecksum(bits, ITERS);
      info = `${n} instructions, checksum 0x${sum.toString(16)} ${ok ? "= model" : "!= MODEL"}`;
    }
    mips.sort((a, b) => a - b);
    cpuMips.sort((a, b) => a - b);
    const fmt = (m: number[]) => m.map((x) => x.toFixed(1)).join(", ");
    console.log(
      `guest loop.S ${bits}-bit: median ${mips[2].toFixed(1)} MIPS wall (${fmt(mips)}), ` +
        `${cpuMips[2].toFixed(1)} MIPS per CPU-second (${fmt(cpuMips)}); ${info}`,
    );
  }
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
