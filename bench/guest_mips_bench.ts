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
/** Measured runs per mode (after one warm-up run). */
const RUNS = 5;

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
  const mips: number[] = [];
  Deno.bench({
    name: `guest ${bits}-bit integer loop, ${ITERATIONS} iterations`,
    group: "guest-mips",
    n: RUNS,
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
      mips.push(r.retired / r.wallMs / 1000);
      if (mips.length === RUNS + 1) {
        // The first call is the warm-up; report the median of the measured runs.
        const runs = mips.slice(1).sort((a, b) => a - b);
        console.log(
          `guest-mips ${bits}-bit: ${r.retired} instructions per run; MIPS median of ${RUNS} runs ` +
            `${runs[RUNS >> 1].toFixed(1)} (min ${runs[0].toFixed(1)}, max ${
              runs[RUNS - 1].toFixed(1)
            })`,
        );
      }
    },
  });
}
