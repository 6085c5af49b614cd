/**
 * Property test: random instructions from the MMX/SSE opcode space (with
 * mandatory prefixes, REX and random ModRM/SIB/immediates), executed with
 * SSE enabled, random XMM/MMX/GPR contents and a random MXCSR (any masks,
 * rounding mode, FTZ/DAZ), end in normal execution, a delivered guest
 * exception or a shutdown (in 32-bit mode the REX bytes are INC/DEC and may
 * wreck ESP) — never in a host exception escaping `run()`.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { enter32, enter64, installIdt, LAYOUT, load, makeCpu } from "../testing.ts";

const t = makeCpu(4);

const OPS0F = [
  ...Array.from({ length: 8 }, (_, k) => 0x10 + k),
  ...Array.from({ length: 8 }, (_, k) => 0x28 + k),
  ...Array.from({ length: 48 }, (_, k) => 0x50 + k),
  0xae,
  ...Array.from({ length: 5 }, (_, k) => 0xc2 + k),
  ...Array.from({ length: 48 }, (_, k) => 0xd0 + k),
];

/** 16 instructions of the SSE space, each padded to 16 bytes, then HLT. */
function program(seed: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 * 16 + 1).fill(0x90);
  for (let n = 0; n < 16; n++) {
    const r = seed.subarray(n * 8, n * 8 + 8);
    let p = n * 16;
    if (r[0] % 4 !== 0) out[p++] = [0x66, 0xf2, 0xf3][r[0] % 3];
    if (r[1] % 2 === 0) out[p++] = 0x40 | (r[1] >> 4);
    out[p++] = 0x0f;
    const m = r[2] % 3;
    if (m === 0) out[p++] = OPS0F[r[3] % OPS0F.length];
    else {
      out[p++] = m === 1 ? 0x38 : 0x3a;
      out[p++] = m === 1
        ? (r[3] % 8 === 0 ? 0xf0 | (r[3] & 1) : r[3] % 0x42)
        : 0x08 + (r[3] % 0x5c);
    }
    // ModRM: mostly register forms, memory forms via [rbx] (a valid buffer) or [rbx+disp8].
    const mod = r[4] % 4 === 0 ? (r[4] & 0x40) : 0xc0;
    out[p++] = mod | (r[5] & 0x38) | (mod === 0xc0 ? r[5] & 7 : 3);
    if (mod === 0x40) out[p++] = r[6];
    out[p++] = r[7]; // imm8 (or a NOP-like byte if unused)
  }
  out[256] = 0xf4;
  return out;
}

Deno.test("random SSE-space code with random state never raises a host exception (fixed seed)", () => {
  let faults = 0, completed = 0;
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 128, maxLength: 128 }),
      fc.uint8Array({ minLength: 256, maxLength: 256 }),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 32, maxLength: 32 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.boolean(),
      (seed, xmm, regs, mxcsr, long) => {
        const cpu = t.cpu;
        cpu.reset();
        if (long) enter64(t);
        else enter32(t, false);
        installIdt(t, long);
        cpu.cr4 |= 0x600;
        cpu.fpu.xmm.set(xmm);
        for (let k = 0; k < 16; k++) cpu.fpu.mant[k] = regs[k] >>> 0;
        cpu.fpu.mxcsr = mxcsr;
        for (let k = 0; k < 32; k++) if (k !== 8 && k !== 9) cpu.gpr[k] = regs[k] >>> 0;
        cpu.gpr[6] = 0x200000; // rbx: a mapped buffer
        cpu.gpr[7] = 0;
        if (long) cpu.gpr[14] = 0;
        cpu.gpr[30] = 0;
        cpu.gpr[14] = 0; // the 32-bit stubs put the vector in EDI
        load(t, program(seed), LAYOUT.code);
        const stop = cpu.run(cpu.retired + 200);
        assert.ok(["limit", "halted", "shutdown"].includes(stop), stop);
        if (stop === "shutdown") return;
        if ((long ? cpu.gpr[30] : cpu.gpr[14]) !== 0) faults++;
        else completed++;
      },
    ),
    {
      seed: Number(Deno.env.get("NESTVM_CPU_FUZZ_SEED") ?? 0x55e),
      numRuns: Number(Deno.env.get("NESTVM_CPU_FUZZ_RUNS") ?? 300),
    },
  );
  assert.ok(faults > 0 && completed > 0, `faults ${faults}, completed ${completed}`);
});
