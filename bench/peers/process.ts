/**
 * Timing whole processes: {@link runToExit} for emulators that exit by
 * themselves (the guest writes isa-debug-exit), {@link runUntil} for those
 * that cannot (Bochs has no such device: the run ends when the guest's last
 * line arrives, and the process is killed there).
 *
 * @module
 */

import type { RunOutcome } from "./types.ts";

const decoder = new TextDecoder();

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** `/usr/bin/time` when present: it reports a process's CPU time (user + system). */
const TIME = await exists("/usr/bin/time") ? "/usr/bin/time" : null;

/** Run `program args` in `cwd` to its exit. */
export async function runToExit(program: string, args: string[], cwd: string): Promise<RunOutcome> {
  const argv = TIME === null ? [program, ...args] : [TIME, "-f", "@cpu %U %S", program, ...args];
  const t0 = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  const m = /@cpu ([0-9.]+) ([0-9.]+)/.exec(text);
  const cpuMs = m === null ? NaN : (Number(m[1]) + Number(m[2])) * 1000;
  return { ms, cpuMs, text };
}

/** User + system CPU ms of a live process (all its threads), from /proc; NaN if unreadable. */
function procCpuMs(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[11], fields[12]: utime, stime (fields 14 and 15 of proc(5)), in clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/**
 * Run `program args` until its output (stdout and stderr together) matches
 * `done`, then read its CPU time and kill it; the wall time runs from the
 * start to the exit after the kill. Ends with an error after `timeoutMs`.
 */
export async function runUntil(
  program: string,
  args: string[],
  cwd: string,
  done: RegExp,
  stdin: string,
  timeoutMs: number,
): Promise<RunOutcome> {
  const t0 = performance.now();
  const child = new Deno.Command(program, {
    args,
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  let text = "";
  let cpuMs = NaN;
  let finished = false;
  const timer = setTimeout(() => {
    if (!finished) child.kill("SIGKILL");
  }, timeoutMs);
  const pump = async (stream: ReadableStream<Uint8Array>): Promise<void> => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (!finished && done.test(text)) {
        finished = true;
        cpuMs = procCpuMs(child.pid);
        child.kill("SIGKILL");
      }
    }
  };
  await Promise.all([pump(child.stdout), pump(child.stderr), child.status]);
  const ms = performance.now() - t0;
  clearTimeout(timer);
  if (!finished) throw new Error(`${program} ended without the expected output:\n${text}`);
  return { ms, cpuMs, text };
}
