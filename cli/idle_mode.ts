/**
 * How the CLI lets idle time pass (`--idle`, see `Machine.runAsync`'s
 * IdleMode): as asked, else "wait" for an interactive session (COM1 reads
 * stdin and stdin is a terminal) and "skip" otherwise, so scripted and
 * piped runs stay deterministic.
 *
 * @module
 */

import type { IdleMode } from "../core/machine.ts";

/** The idle mode of a run: `asked` (--idle) if given, else from whether the input is an interactive terminal. */
export function idleModeFor(
  asked: IdleMode | undefined,
  hasInput: boolean,
  stdinIsTerminal: boolean,
): IdleMode {
  return asked ?? (hasInput && stdinIsTerminal ? "wait" : "skip");
}
