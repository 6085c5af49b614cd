/**
 * Total guest MIPS with several vCPUs against one (issue 16: "with N
 * vCPUs, total MIPS within 10% of one vCPU's"), as whole processes. Boots
 * guests/build/smp_bench64.elf, where every vCPU runs the W1 loop for
 * `iterations` iterations, at each `-smp` count in turn (rounds alternate
 * the counts so they see the same host load); a run with one iteration is
 * timed the same way and subtracted (boot, AP start-up, process exit), and
 * total MIPS = 34 * iterations * vCPUs / time. Usage:
 *
 *   deno run -A bench/smp_mips.ts [iterations=2000000] [rounds=5] [smp=1,2,4] [engine=jit]
 *
 * @module
 */

import { INSTRUCTIONS_PER_ITERATION } from "../guests/src/bench/model.ts";
import { denoWallMs, loadavgText, median } from "./whole_process.ts";

const ITER = Number(Deno.args[0] ?? 2_000_000);
const ROUNDS = Number(Deno.args[1] ?? 5);
const COUNTS = (Deno.args[2] ?? "1,2,4").split(",").map(Number);
const ENGINE = Deno.args[3] ?? "jit";

async function run(smp: number, iterations: number): Promise<number> {
  const [ms, text] = await denoWallMs([
    "run",
    "-A",
    "cli.ts",
    "--kernel",
    "guests/build/smp_bench64.elf",
    "--append",
    `iterations=${iterations}`,
    "-smp",
    String(smp),
    "--engine",
    ENGINE,
  ]);
  if (!new RegExp(`vcpus=${smp} .*all-equal`).test(text)) {
    throw new Error(`-smp ${smp}: unexpected output\n${text}`);
  }
  return ms;
}

const load0 = loadavgText();
const mips = new Map<number, number[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const smp of COUNTS) {
    const boot = await run(smp, 1);
    const full = await run(smp, ITER);
    const m = (ITER * INSTRUCTIONS_PER_ITERATION * smp) / ((full - boot) * 1000);
    mips.set(smp, [...(mips.get(smp) ?? []), m]);
  }
}
console.log(
  `${ITER} iterations per vCPU, ${ROUNDS} rounds, engine ${ENGINE}; loadavg before: ${load0}, after: ${loadavgText()}`,
);
const one = median(mips.get(COUNTS[0]) ?? [0]);
for (const [smp, v] of mips) {
  const m = median(v);
  console.log(
    `-smp ${smp}: total ${m.toFixed(1)} MIPS, ${(100 * m / one).toFixed(0)}% of -smp ${
      COUNTS[0]
    } (${v.map((x) => x.toFixed(1)).join(", ")})`,
  );
}
