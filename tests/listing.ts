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

/**
 * An AP's code from a startup IPI with vector 8 (real mode at 0x8000): set
 * the byte at 0x7000 to 0x42, then halt for good.
 */
export const AP_MARK_AND_HALT: Listing = [
  ["31 c0", "xor ax,ax"],
  ["8e d8", "mov ds,ax"],
  ["c6 06 00 70 42", "mov BYTE PTR ds:0x7000,0x42"],
  ["fa", "cli"],
  ["f4", "1: hlt"],
  ["eb fd", "jmp 1b"],
];
