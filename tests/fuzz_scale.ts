/**
 * One knob for every fuzz, property and differential test: `deno task test`
 * runs a fixed-seed share; `deno task fuzz` (NESTVM_FUZZ=long) runs many
 * times more of each.
 *
 * @module
 */

/** True under `deno task fuzz`. */
export const LONG_FUZZ: boolean = Deno.env.get("NESTVM_FUZZ") === "long";

/** Scale a property test's run count: `n` in CI, 50 × `n` under `deno task fuzz`. */
export function fuzzRuns(n: number): number {
  return LONG_FUZZ ? n * 50 : n;
}
