/**
 * The nestvm command line: `deno run -A cli.ts [options]` (or
 * `deno task run -- [options]`). See `--help`.
 *
 * @module
 */

export { main, processIo, VERSION } from "./cli/main.ts";
export type { CliIo } from "./cli/main.ts";
export { helpText, parseArgs } from "./cli/args.ts";
export type { CliOptions, ParseResult } from "./cli/args.ts";

import { main } from "./cli/main.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
export type * from "./debug/mod.ts";
