/**
 * Running commands in parallel with a limit on how many run at once, each
 * with a timeout (the process is killed when it is reached), capturing
 * stdout and stderr.
 *
 * @module
 */

/** One command to run. */
export interface Job {
  /** Program and arguments. */
  readonly argv: readonly string[];
  /**
   * When given, the program and arguments are made when the job starts
   * instead (arguments that depend on the time, as kvmclock_test's
   * `date +%s`, which the harness's shell expands just before the VMM starts).
   */
  readonly argvAtStart?: () => readonly string[];
  /** Kill the process after this many seconds (0: no limit). */
  readonly timeoutSeconds: number;
  /** Working directory (default: the current one). */
  readonly cwd?: string;
}

/** How a command ended. */
export interface JobResult {
  /** Exit status (128 + signal number when killed by a signal, as a shell reports it). */
  readonly code: number;
  /** True when the runner killed it at its timeout. */
  readonly timedOut: boolean;
  /** Captured standard output. */
  readonly stdout: string;
  /** Captured standard error. */
  readonly stderr: string;
  /** Wall time in seconds. */
  readonly seconds: number;
  /** Set when the program could not be started at all. */
  readonly spawnError?: string;
  /** The program and arguments that ran (or were to run). */
  readonly argv: readonly string[];
}

const SIGNALS: Readonly<Record<string, number>> = {
  SIGKILL: 9,
  SIGTERM: 15,
  SIGINT: 2,
  SIGABRT: 6,
};

/** Run one job. Never throws: a program that cannot start is a result with `spawnError`. */
export async function runJob(job: Job): Promise<JobResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const argv = job.argvAtStart?.() ?? job.argv;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: job.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      code: 127,
      timedOut: false,
      stdout: "",
      stderr: message,
      seconds: 0,
      spawnError: message,
      argv,
    };
  }
  let timedOut = false;
  const timer = job.timeoutSeconds > 0
    ? setTimeout(() => {
      timedOut = true;
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, job.timeoutSeconds * 1000)
    : undefined;
  const out = await child.output();
  if (timer !== undefined) clearTimeout(timer);
  const dec = new TextDecoder();
  const code = out.signal ? 128 + (SIGNALS[out.signal] ?? 0) : out.code;
  return {
    code: timedOut ? 124 : code,
    timedOut,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    seconds: seconds(),
    argv,
  };
}

/**
 * Run `jobs` with at most `limit` at a time; results come back in the
 * jobs' order. `onDone` is called as each finishes (for progress output).
 */
export async function runAll(
  jobs: readonly Job[],
  limit: number,
  onDone?: (index: number, result: JobResult) => void,
  run: (job: Job) => Promise<JobResult> = runJob,
): Promise<JobResult[]> {
  const results: JobResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await run(jobs[i]);
      onDone?.(i, results[i]);
    }
  };
  const n = Math.max(1, Math.min(limit, jobs.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}
