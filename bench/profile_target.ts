/**
 * The child of `bench/profile.ts`: runs the nestvm command line given as
 * arguments in this process, reports the end on stderr and then waits, so
 * the profiler can stop sampling before the process goes away.
 *
 * @module
 */

import { main } from "../cli/main.ts";

const code = await main(Deno.args);
console.error(`nestvm-profile-target: done ${code}`);
setInterval(() => {}, 1 << 30);
