/**
 * The harness's "premature failure" probe, done in-process: kvm-unit-tests
 * first starts the VMM with the entry's options and a missing kernel, and
 * when the VMM refuses the options (rather than failing to find the kernel)
 * it reports the entry as SKIP with the VMM's message. nestvm's command-line
 * parser, and its list of built-in devices for each `-device`, give the same
 * answer without starting a process.
 *
 * @module
 */

import { parseArgs } from "../../cli/args.ts";
import { deviceFactories } from "../../devices/board_pc.ts";
import { parseSpec } from "../../plugins/spec.ts";

/** nestvm's reason to refuse `argv` (its arguments, without the program), or undefined. */
export function nestvmRefusal(argv: readonly string[]): string | undefined {
  const parsed = parseArgs(argv);
  if (!parsed.ok) return parsed.error;
  // A --plugin may contribute device types: only a command line without one is checked.
  if (parsed.options.plugins.length > 0) return undefined;
  for (const spec of parsed.options.devices) {
    const { name } = parseSpec(spec);
    if (!Object.hasOwn(deviceFactories, name)) return `unknown device "${name}"`;
  }
  return undefined;
}
