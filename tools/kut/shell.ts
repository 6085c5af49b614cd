/**
 * Shell expansion of a test's arguments, as the kvm-unit-tests harness
 * gets it by evaluating its command line in a shell (kvmclock_test passes
 * `date +%s`, the host's time, for its wall-clock check).
 *
 * @module
 */

import type { ShellExpander } from "./command.ts";

/**
 * The words bash makes of `text` (quotes, variables, command substitution),
 * or an error naming the text when bash fails. The text is run as shell
 * code: it comes from the kvm-unit-tests checkout being run, which the
 * harness trusts the same way.
 */
export const bashWords: ShellExpander = (text) => {
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command("bash", {
      args: ["-c", `set -- ${text}\nfor w; do printf '%s\\0' "$w"; done`],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
  } catch (e) {
    return { error: `cannot run bash for ${text}: ${e instanceof Error ? e.message : e}` };
  }
  if (!out.success) {
    const why = new TextDecoder().decode(out.stderr).trim();
    return { error: `bash could not expand ${text}${why === "" ? "" : `: ${why}`}` };
  }
  const words = new TextDecoder().decode(out.stdout).split("\0");
  words.pop(); // after the last NUL
  return words;
};
