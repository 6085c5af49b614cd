/**
 * Helpers for whole-process benchmarks: time a `deno` child process by
 * wall clock and take medians. Shared by the scripts in bench/ that compare
 * engines, vCPU counts and peers as whole runs (never run in CI).
 *
 * @module
 */

const root = new URL("../", import.meta.url).pathname;

/**
 * Runs `deno <args>` in the repository root and returns its wall time in
 * milliseconds and its stdout followed by its stderr.
 */
export async function denoWallMs(
  args: string[],
  env: Record<string, string> = {},
): Promise<[number, string]> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  const dec = new TextDecoder();
  return [ms, dec.decode(out.stdout) + dec.decode(out.stderr)];
}

/** The median of `xs` (the upper one of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The host's load averages, formatted for a benchmark's report line. */
export function loadavgText(): string {
  return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
}
