/**
 * Whole-process comparison of the two execution engines: runs the CLI on
 * guests/build/bench64.elf (W1) and bench32.elf (W2) with `--engine interp`
 * and `--engine jit` alternately (so both see the same host load), five
 * rounds, and reports median guest MIPS with boot subtracted (a run with
 * one iteration is timed the same way and its wall time subtracted); then
 * the nested round-trip benchmark (bench/vmx_roundtrip_bench.ts) under each
 * engine. Usage:
 *
 *   deno run -A bench/engine_compare.ts [iterations=3000000] [rounds=5]
 *
 * @module
 */

import { INSTRUCTIONS_PER_ITERATION } from "../guests/src/bench/model.ts";
import { denoWallMs as wallMs, loadavgText, median } from "./whole_process.ts";

const ITER = Number(Deno.args[0] ?? 3_000_000);
const ROUNDS = Number(Deno.args[1] ?? 5);
const ENGINES = ["interp", "jit"] as const;

async function guest(bits: number, engine: string, iterations: number): Promise<number> {
  const [ms, text] = await wallMs([
    "run",
    "-A",
    "cli.ts",
    "--kernel",
    `guests/build/bench${bits}.elf`,
    "--append",
    `iterations=${iterations}`,
    "--engine",
    engine,
  ]);
  if (!/checksum=0x[0-9a-f]+/.test(text)) throw new Error(`bench${bits} ${engine}: ${text}`);
  return ms;
}

const load0 = loadavgText();
const mips: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const bits of [64, 32]) {
    for (const e of ENGINES) {
      const boot = await guest(bits, e, 1);
      const full = await guest(bits, e, ITER);
      const m = (ITER * INSTRUCTIONS_PER_ITERATION) / ((full - boot) * 1000);
      (mips[`W${bits === 64 ? 1 : 2} ${e}`] ??= []).push(m);
    }
  }
}
console.log(
  `${ITER} iterations, ${ROUNDS} rounds; loadavg before: ${load0}, after: ${loadavgText()}`,
);
for (const [k, v] of Object.entries(mips)) {
  console.log(
    `${k}: median ${median(v).toFixed(1)} MIPS (${v.map((x) => x.toFixed(1)).join(", ")})`,
  );
}
for (const e of ENGINES) {
  const [, text] = await wallMs(["run", "-A", "bench/vmx_roundtrip_bench.ts", "100000"], {
    NESTVM_ENGINE: e,
  });
  console.log(`round trips ${e}: ${text.trim().split("\n").join(" | ")}`);
}
