/**
 * Hand-assembled guest code for tests: instruction bytes (hex) beside
 * their assembly (GNU as, Intel syntax), so a reader checks each line.
 *
 * @module
 */

/** Instruction bytes (hex, spaces allowed) and their assembly. */
export type Listing = readonly (readonly [string, string])[];

/** The bytes of a listing, in order. */
export const bytesOf = (l: Listing): Uint8Array =>
  Uint8Array.fromHex(l.map(([h]) => h.replaceAll(" ", "")).join(""));
