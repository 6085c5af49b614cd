/**
 * Guest MIPS benchmark: boots guests/build/bench64.elf and bench32.elf (a
 * 34-instruction integer loop, guests/src/bench/loop.S), checks the printed
 * checksum against the host model, and reports millions of retired
 * instructions per second of wall time. Iterations per run:
 * NESTVM_BENCH_ITERATIONS (default 300000, about 10 M instructions).
 *
 * @module
 */

import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { benchChecksum, INSTRUCTIONS_PER_ITERATION } from "../guests/src/bench/model.ts";

const ITERATIONS = Number(Deno.env.get("NESTVM_BENCH_ITERATIONS") ?? 300000);

interface GuestRun {
  readonly retired: number;
  readonly wallMs: number;
  readonly checksum: bigint | null;
}

function runGuest(bits: 32 | 64, iterations: number): GuestRun {
  const url = new URL(`../guests/build/bench${bits}.elf`, import.meta.url);
  const image = Deno.readFileSync(url);
  let out = "";
  const dec = new TextDecoder();
  const machine = createMachine({ serial: (b) => (out += dec.decode(b)) });
  bootKernel(machine, image, { cmdline: `iterations=${iterations}` });
  const r = machine.run({
    maxInstructions: iterations * INSTRUCTIONS_PER_ITERATION * 2 + 10_000_000,
  });
  const m = /checksum=0x([0-9a-f]+)/.exec(out);
  return {
    retired: r.instructions,
    wallMs: r.wallMs,
    checksum: m ? BigInt("0x" + m[1]) : null,
  };
}

for (const bits of [64, 32] as const) {
  const expected = benchChecksum(bits, ITERATIONS);
  let reported = false;
  Deno.bench({
    name: `guest ${bits}-bit integer loop, ${ITERATIONS} iterations`,
    group: "guest-mips",
    n: 3,
    warmup: 1,
    fn() {
      const r = runGuest(bits, ITERATIONS);
      if (r.checksum !== expected) {
        throw new Error(
          `bench${bits}: checksum ${r.checksum?.toString(16)} != expected ${expected.toString(16)}`,
        );
      }
      // The loop retires exactly 34 per iteration; boot, printf and exit add a
      // small constant (about 9k instructions in 32-bit, 31k in 64-bit mode).
      const overhead = r.retired - ITERATIONS * INSTRUCTIONS_PER_ITERATION;
      if (overhead < 0 || overhead > 100_000) {
        throw new Error(`bench${bits}: ${r.retired} instructions retired, overhead ${overhead}`);
      }
      if (!reported) {
        reported = true;
        const mips = r.retired / r.wallMs / 1000;
        console.log(
          `guest-mips ${bits}-bit: ${r.retired} instructions (${
            ITERATIONS * INSTRUCTIONS_PER_ITERATION
          } in the loop) in ${r.wallMs.toFixed(0)} ms = ${mips.toFixed(1)} MIPS`,
        );
      }
    },
  });
}
