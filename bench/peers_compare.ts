/**
 * Side-by-side comparison with other emulators on the same guest images,
 * as whole processes (never run in CI: the figures depend on the host).
 *
 * Runners (bench/peers/): nestvm (`--engine jit` and `--engine interp`),
 * and each peer that is installed:
 * - QEMU with TCG: Debian package `qemu-system-x86` (`-kernel` Multiboot loader);
 * - Bochs 2.7: Debian packages `bochs`, `bochsbios`, `vgabios` (boots
 *   guests/build/mbboot.bin from a disk image built per run, see bochs.ts);
 * - v86: npm package `v86` (Deno fetches it on first use; with the Debian
 *   package `seabios` it boots SeaBIOS first, as QEMU does).
 *
 * Workloads, each run at `iterations=N` and at `iterations=1`; the median
 * wall time of the short runs is subtracted from each long run (boot, JIT
 * start-up and process exit removed):
 * - W1: guests/build/bench64.elf, W2: bench32.elf; guest MIPS =
 *   34 * (N - 1) / time; the printed checksum must equal the model's
 *   (guests/src/bench/model.ts), so every emulator computed the same thing;
 * - RT: guests/build/roundtrip64.elf, nested round trips (L2 CPUID exits to
 *   L1, which advances the guest RIP and resumes) per second; the guest
 *   checks the last exit reason and the L2 loop count. Needs VMX: nestvm
 *   and Bochs (QEMU's TCG and v86 have none).
 * - with `--fp[=N]`: FP, guests/build/fpbench64.elf (gcc -O2, SSE2: n-body
 *   and matrix products, `iterations=N`, default 20) in iterations per
 *   second; its output must equal what the same C prints on the host for
 *   that N (guests/src/fp/fp_bench_host.c, built here with gcc). Needs long
 *   mode: nestvm, QEMU and Bochs;
 * - with `--sieve`: kvm-unit-tests' sieve.flat (path in `KUT_SIEVE`: build
 *   kvm-unit-tests yourself, see README), timed as a whole process (it has no
 *   iteration count).
 *
 * Rounds alternate the runners so they see the same host load; each figure
 * is the median over the rounds. Wall time is what the issue judges; CPU
 * time (user + system of the process and its threads) is shown beside it
 * because it moves less with the host's load. Each run's times go to stderr as
 * they come; the table goes to stdout at the end. Usage:
 *
 *   deno run -A bench/peers_compare.ts [iterations=3000000] [rounds=5] [--rt=200000]
 *     [--fp[=20]] [--sieve] [--only=jit,qemu,bochs,v86] [--no-bench] [--no-rt]
 *     [--v86-no-bios]
 *
 * @module
 */

import { benchChecksum, INSTRUCTIONS_PER_ITERATION } from "../guests/src/bench/model.ts";
import { bochsRunner } from "./peers/bochs.ts";
import { nestvmRunner } from "./peers/nestvm.ts";
import { qemuRunner } from "./peers/qemu.ts";
import type { Job, Runner, Workload } from "./peers/types.ts";
import { SEABIOS, v86Runner } from "./peers/v86.ts";

const flags = Deno.args.filter((a) => a.startsWith("--"));
const pos = Deno.args.filter((a) => !a.startsWith("--"));
const ITER = Number(pos[0] ?? 3_000_000);
const ROUNDS = Number(pos[1] ?? 5);
const flagValue = (name: string): string | undefined =>
  flags.find((f) => f.startsWith(`--${name}=`))?.slice(name.length + 3);
const RT_ITER = Number(flagValue("rt") ?? 200_000);
const FP = flags.some((f) => f === "--fp" || f.startsWith("--fp="));
const FP_ITER = Number(flagValue("fp") ?? 20);
const SIEVE = flags.includes("--sieve");
const SIEVE_PATH = Deno.env.get("KUT_SIEVE") ?? "";
if (!(ITER > 1) || !(ROUNDS >= 1) || !(RT_ITER > 1) || !(FP_ITER > 1)) {
  console.error("iterations, --rt and --fp must be above 1, rounds at least 1");
  Deno.exit(2);
}
if (SIEVE && SIEVE_PATH === "") {
  console.error("--sieve needs KUT_SIEVE=<path to kvm-unit-tests' x86/sieve.flat>");
  Deno.exit(2);
}
const root = new URL("../", import.meta.url).pathname;

async function installed(program: string, args = ["--version"]): Promise<boolean> {
  try {
    const out = await new Deno.Command(program, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

async function filesExist(paths: string[]): Promise<boolean> {
  try {
    for (const p of paths) await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

const all: Runner[] = [nestvmRunner("jit", root), nestvmRunner("interp", root)];
if (await installed("qemu-system-x86_64")) all.push(qemuRunner(root));
// `bochs --help cpu` lists the CPU models and exits 0 when Bochs runs at all.
if (await installed("bochs", ["--help", "cpu"])) all.push(bochsRunner(root));
all.push(v86Runner(root, !flags.includes("--v86-no-bios") && await filesExist(SEABIOS)));
// --only=jit,qemu keeps the runners whose name contains one of the words.
const only = flagValue("only")?.split(",");
const runners = only === undefined ? all : all.filter((r) => only.some((w) => r.name.includes(w)));

/** A workload's long and short jobs and how to check their output. */
interface Plan {
  readonly workload: Workload;
  readonly n: number;
  readonly jobs: (n: number) => Job;
  /** Error message, or null when the output is right for `n`. */
  readonly check: (text: string, n: number) => string | null;
}

const checksumLine = /checksum=0x[0-9a-f]+\r?\n/;
// The model runs the loop with BigInts (minutes for 30M iterations): once per (width, n), before
// any run is timed.
const checksums = new Map<string, bigint>();
const checksum = (bits: 32 | 64, n: number): bigint => {
  const key = `${bits} ${n}`;
  let c = checksums.get(key);
  if (c === undefined) checksums.set(key, c = benchChecksum(bits, n));
  return c;
};
const benchPlan = (workload: "W1" | "W2", bits: 32 | 64): Plan => ({
  workload,
  n: ITER,
  jobs: (n) => ({
    workload,
    image: `guests/build/bench${bits}.elf`,
    append: `iterations=${n}`,
    done: checksumLine,
  }),
  check(text, n) {
    const want = `bits=${bits} iterations=${n} loop_instructions=${
      n * INSTRUCTIONS_PER_ITERATION
    } checksum=0x${checksum(bits, n).toString(16)}`;
    return text.includes(want) ? null : `expected "${want}"`;
  },
});
const roundTripLine = /roundtrip: iterations=\d+ reason=\d+ l2_loops=\d+\r?\n/;
const rtPlan: Plan = {
  workload: "RT",
  n: RT_ITER,
  jobs: (n) => ({
    workload: "RT",
    image: "guests/build/roundtrip64.elf",
    append: `iterations=${n}`,
    done: roundTripLine,
  }),
  check(text, n) {
    const want = `roundtrip: iterations=${n} reason=10 l2_loops=${n}`;
    return text.includes(want) ? null : `expected "${want}"`;
  },
};
/** What the host prints for fpbench at each `n` (the same C built once with gcc -O2). */
const fpHostOutputs = new Map<number, string>();
async function recordFpHostOutputs(ns: number[]): Promise<void> {
  const bin = await Deno.makeTempFile();
  try {
    const src = `${root}guests/src/fp/`;
    const cc = await new Deno.Command("gcc", {
      args: [
        "-O2",
        "-std=gnu11",
        "-fno-math-errno",
        "-o",
        bin,
        `${src}fpwork.c`,
        `${src}fp_bench_host.c`,
      ],
    }).output();
    if (!cc.success) throw new Error(`gcc: ${new TextDecoder().decode(cc.stderr)}`);
    for (const n of ns) {
      const run = await new Deno.Command(bin, { args: [String(n)] }).output();
      fpHostOutputs.set(n, new TextDecoder().decode(run.stdout));
    }
  } finally {
    await Deno.remove(bin);
  }
}
const fpPlan: Plan = {
  workload: "FP",
  n: FP_ITER,
  jobs: (n) => ({
    workload: "FP",
    image: "guests/build/fpbench64.elf",
    append: `iterations=${n}`,
    done: /fp bench done\r?\n/,
  }),
  check(text, n) {
    const want = fpHostOutputs.get(n)!;
    return text.replaceAll("\r", "").includes(want) ? null : `expected the host's output:\n${want}`;
  },
};
const plans: Plan[] = [];
if (!flags.includes("--no-bench")) {
  plans.push(benchPlan("W1", 64), benchPlan("W2", 32));
  for (const bits of [32, 64] as const) for (const n of [1, ITER]) checksum(bits, n);
}
if (!flags.includes("--no-rt")) plans.push(rtPlan);
if (FP) {
  plans.push(fpPlan);
  await recordFpHostOutputs([1, FP_ITER]);
}
const sieveJob: Job = {
  workload: "sieve",
  image: SIEVE_PATH,
  append: "",
  done: /(virtual:\d+ out of \d+\s+){3}/,
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function loadavg(): string {
  return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
}

/** Per "workload runner": wall and CPU ms of the short (n = 1) and long runs. */
interface Times {
  bootMs: number[];
  bootCpu: number[];
  fullMs: number[];
  fullCpu: number[];
}
const times = new Map<string, Times>();
const sieve = new Map<string, { ms: number[]; cpu: number[] }>();
const skipped = new Set<string>();

const load0 = loadavg();
for (let round = 0; round < ROUNDS; round++) {
  for (const r of runners) {
    for (const plan of plans) {
      const key = `${plan.workload} ${r.name}`;
      if (!r.workloads.includes(plan.workload)) {
        skipped.add(key);
        continue;
      }
      const short = await r.run(plan.jobs(1));
      const long = await r.run(plan.jobs(plan.n));
      for (const [out, n] of [[short, 1], [long, plan.n]] as const) {
        const err = plan.check(out.text, n);
        if (err !== null) throw new Error(`${key} (n=${n}): ${err}; output:\n${out.text}`);
      }
      let t = times.get(key);
      if (t === undefined) times.set(key, t = { bootMs: [], bootCpu: [], fullMs: [], fullCpu: [] });
      t.bootMs.push(short.ms);
      t.bootCpu.push(short.cpuMs);
      t.fullMs.push(long.ms);
      t.fullCpu.push(long.cpuMs);
      console.error(
        `round ${round + 1}/${ROUNDS} ${key}: n=1 ${short.ms.toFixed(0)} ms, n=${plan.n} ${
          long.ms.toFixed(0)
        } ms (load ${loadavg()})`,
      );
    }
    if (SIEVE) {
      if (!r.workloads.includes("sieve")) {
        skipped.add(`sieve ${r.name}`);
        continue;
      }
      const out = await r.run(sieveJob);
      if (!sieveJob.done.test(out.text)) throw new Error(`sieve ${r.name}:\n${out.text}`);
      let s = sieve.get(r.name);
      if (s === undefined) sieve.set(r.name, s = { ms: [], cpu: [] });
      s.ms.push(out.ms);
      s.cpu.push(out.cpuMs);
      console.error(
        `round ${round + 1}/${ROUNDS} sieve ${r.name}: ${out.ms.toFixed(0)} ms (load ${loadavg()})`,
      );
    }
  }
}

console.log(
  `peers_compare: W1/W2 ${ITER} iterations, RT ${RT_ITER} round trips, FP ${FP_ITER} iterations, ${ROUNDS} rounds, args: ${
    Deno.args.join(" ")
  }; loadavg before: ${load0}, after: ${loadavg()}; ${navigator.hardwareConcurrency} host CPUs`,
);
console.log(
  "workload  runner          boot ms  run ms   rate (wall)   rate (CPU time)  [wall rate of each round]",
);
for (const [key, t] of times) {
  const [w, ...name] = key.split(" ");
  const plan = plans.find((p) => p.workload === w)!;
  // MIPS for W1/W2 (instructions / µs), round trips per second for RT, iterations per second for FP.
  const mips = plan.workload === "W1" || plan.workload === "W2";
  const work = mips ? (plan.n - 1) * INSTRUCTIONS_PER_ITERATION : plan.n - 1;
  const rate = (ms: number, boot: number): number =>
    mips ? work / ((ms - boot) * 1000) : work / ((ms - boot) / 1000);
  const unit = mips ? " MIPS" : "/s";
  const fmt = (x: number): string =>
    plan.workload === "RT" ? Math.round(x).toLocaleString("en-US") : x.toFixed(mips ? 1 : 2);
  const b = median(t.bootMs);
  const bc = median(t.bootCpu);
  const wall = t.fullMs.map((f) => rate(f, b));
  const cpu = t.fullCpu.map((f) => rate(f, bc));
  console.log(
    `${w.padEnd(9)} ${name.join(" ").padEnd(15)} ${b.toFixed(0).padStart(7)} ${
      median(t.fullMs).toFixed(0).padStart(7)
    } ${(fmt(median(wall)) + unit).padStart(13)} ${(fmt(median(cpu)) + unit).padStart(17)}  [${
      wall.map(fmt).join(", ")
    }]`,
  );
}
for (const [name, s] of sieve) {
  console.log(
    `sieve.flat ${name.padEnd(15)} whole process: wall ${(median(s.ms) / 1000).toFixed(2)} s, CPU ${
      (median(s.cpu) / 1000).toFixed(2)
    } s`,
  );
}
if (skipped.size > 0) {
  console.log(`not run (the emulator lacks long mode or VMX): ${[...skipped].join(", ")}`);
}
