/**
 * Side-by-side comparison with other emulators on the same guest images,
 * as whole processes (never run in CI: the figures depend on the host).
 *
 * Runners: nestvm (`--engine jit` and `--engine interp`) and, when
 * `qemu-system-x86_64` is on PATH, QEMU with TCG (its `-kernel` Multiboot
 * loader takes the same images). Bochs has no Multiboot loader (it would
 * need a boot disk with a boot loader) and is not run; v86 needs BIOS
 * images next to its npm package and is not run either.
 *
 * Workloads: W1 (guests/build/bench64.elf) and W2 (bench32.elf), each run
 * at `iterations=N` and at `iterations=1`; the median wall time of the short
 * runs is subtracted from each long run (boot, JIT start-up and process
 * exit removed) and guest MIPS = 34 * N / time. Rounds alternate the
 * runners so they see the same host load. With `--sieve`, kvm-unit-tests'
 * sieve.flat (path in `KUT_SIEVE`, required with `--sieve`: build kvm-unit-tests
 * yourself, see README)
 * is timed as a whole process (it has no iteration count; its boot is a
 * small part of it). Wall time is what the issue judges; CPU time (user +
 * system of the process and its threads, from /usr/bin/time) is shown
 * beside it because it moves less with the host's load. Usage:
 *
 *   deno run -A bench/peers_compare.ts [iterations=3000000] [rounds=5] [--sieve]
 *     [--only=jit,qemu] [--no-bench]
 *
 * @module
 */

import { INSTRUCTIONS_PER_ITERATION } from "../guests/src/bench/model.ts";

const flags = Deno.args.filter((a) => a.startsWith("--"));
const pos = Deno.args.filter((a) => !a.startsWith("--"));
const ITER = Number(pos[0] ?? 3_000_000);
const ROUNDS = Number(pos[1] ?? 5);
const SIEVE = flags.includes("--sieve");
const SIEVE_PATH = Deno.env.get("KUT_SIEVE") ?? "";
if (SIEVE && SIEVE_PATH === "") {
  console.error("--sieve needs KUT_SIEVE=<path to kvm-unit-tests' x86/sieve.flat>");
  Deno.exit(2);
}
const root = new URL("../", import.meta.url).pathname;

/** One emulator: how to boot a Multiboot image with a command line. */
interface Runner {
  readonly name: string;
  /** Program and arguments for `image` with command line `append`. */
  command(image: string, append: string): [string, string[]];
}

const nestvm = (engine: string): Runner => ({
  name: `nestvm ${engine}`,
  command: (image, append) => [
    Deno.execPath(),
    ["run", "-A", "cli.ts", "--kernel", image, "--append", append, "--engine", engine],
  ],
});

const qemu: Runner = {
  name: "qemu tcg",
  command: (image, append) => [
    "qemu-system-x86_64",
    [
      "-accel",
      "tcg",
      "-display",
      "none",
      "-nodefaults",
      "-serial",
      "stdio",
      "-device",
      "isa-debug-exit,iobase=0xf4,iosize=4",
      "-kernel",
      image,
      "-append",
      append,
    ],
  ],
};

async function installed(program: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(program, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** `/usr/bin/time` when present: it reports each run's CPU time (user + system). */
const TIME = await installed("/usr/bin/time") ? "/usr/bin/time" : null;

/** One whole run: wall ms, CPU ms (NaN without /usr/bin/time) and its output. */
async function timed(r: Runner, image: string, append: string): Promise<[number, number, string]> {
  const [prog, args] = r.command(image, append);
  const argv = TIME === null ? [prog, ...args] : [TIME, "-f", "@cpu %U %S", prog, ...args];
  const t0 = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  const dec = new TextDecoder();
  const text = dec.decode(out.stdout) + dec.decode(out.stderr);
  const m = /@cpu ([0-9.]+) ([0-9.]+)/.exec(text);
  const cpu = m === null ? NaN : (Number(m[1]) + Number(m[2])) * 1000;
  return [ms, cpu, text];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function loadavg(): string {
  return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
}

const all: Runner[] = [nestvm("jit"), nestvm("interp")];
if (await installed("qemu-system-x86_64")) all.push(qemu);
// --only=jit,qemu keeps the runners whose name contains one of the words.
const only = flags.find((f) => f.startsWith("--only="))?.slice(7).split(",");
const runners = only === undefined ? all : all.filter((r) => only.some((w) => r.name.includes(w)));
// --no-bench skips W1/W2 (with --sieve: the sieve alone).
const BENCH = !flags.includes("--no-bench");

const load0 = loadavg();
const boot: Record<string, number[]> = {};
const full: Record<string, number[]> = {};
const bootCpu: Record<string, number[]> = {};
const fullCpu: Record<string, number[]> = {};
const sieve: Record<string, number[]> = {};
const sieveCpu: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const r of runners) {
    for (
      const [w, image] of BENCH
        ? [["W1", "guests/build/bench64.elf"], ["W2", "guests/build/bench32.elf"]]
        : []
    ) {
      const key = `${w} ${r.name}`;
      const [b, bc, tb] = await timed(r, image, "iterations=1");
      const [f, fc, tf] = await timed(r, image, `iterations=${ITER}`);
      for (const t of [tb, tf]) {
        if (!/checksum=0x[0-9a-f]+/.test(t)) {
          throw new Error(`${key}: no checksum in output:\n${t}`);
        }
      }
      (boot[key] ??= []).push(b);
      (full[key] ??= []).push(f);
      (bootCpu[key] ??= []).push(bc);
      (fullCpu[key] ??= []).push(fc);
    }
    if (SIEVE) {
      const [ms, cpu, t] = await timed(r, SIEVE_PATH, "");
      if (!/virtual:\d+ out of \d+/.test(t)) throw new Error(`sieve ${r.name}:\n${t}`);
      (sieve[r.name] ??= []).push(ms);
      (sieveCpu[r.name] ??= []).push(cpu);
    }
  }
}

console.log(
  `peers_compare: ${ITER} iterations, ${ROUNDS} rounds, ${
    Deno.args.join(" ")
  }; loadavg before: ${load0}, after: ${loadavg()}; ${navigator.hardwareConcurrency} host CPUs`,
);
console.log(
  "workload  runner          boot ms  run ms  MIPS (wall)  MIPS (CPU time)  [wall MIPS of each round]",
);
for (const key of Object.keys(full)) {
  const b = median(boot[key]);
  const bc = median(bootCpu[key]);
  const mips = full[key].map((f) => (ITER * INSTRUCTIONS_PER_ITERATION) / ((f - b) * 1000));
  const cpuMips = fullCpu[key].map((f) => (ITER * INSTRUCTIONS_PER_ITERATION) / ((f - bc) * 1000));
  const [w, ...name] = key.split(" ");
  console.log(
    `${w.padEnd(9)} ${name.join(" ").padEnd(15)} ${b.toFixed(0).padStart(7)} ${
      median(full[key]).toFixed(0).padStart(7)
    } ${median(mips).toFixed(1).padStart(11)} ${median(cpuMips).toFixed(1).padStart(16)}  [${
      mips.map((m) => m.toFixed(0)).join(", ")
    }]`,
  );
}
for (const [name, ms] of Object.entries(sieve)) {
  console.log(
    `sieve.flat ${name.padEnd(15)} whole process: wall ${(median(ms) / 1000).toFixed(2)} s, CPU ${
      (median(sieveCpu[name]) / 1000).toFixed(2)
    } s`,
  );
}
