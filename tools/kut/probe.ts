/**
 * The harness's "premature failure" probe, done in-process: kvm-unit-tests
 * first starts the VMM with the entry's options and a missing kernel, and
 * when the VMM refuses the options (rather than failing to find the kernel)
 * it reports the entry as SKIP with the VMM's message. nestvm's command-line
 * parser gives the same answer without starting a process.
 *
 * @module
 */

import { parseArgs } from "../../cli/args.ts";

/** nestvm's reason to refuse `argv` (its arguments, without the program), or undefined. */
export function nestvmRefusal(argv: readonly string[]): string | undefined {
  const parsed = parseArgs(argv);
  return parsed.ok ? undefined : parsed.error;
}
