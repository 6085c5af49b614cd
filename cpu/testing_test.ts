/** The CPU test helpers themselves: `hex` parses exactly what it documents and rejects the rest. */
import assert from "node:assert/strict";
import { hex } from "./testing.ts";

Deno.test("testing.hex: parses byte pairs, grouped or spaced", () => {
  assert.deepEqual(hex("48 89 c8"), new Uint8Array([0x48, 0x89, 0xc8]));
  assert.deepEqual(hex("  4889C8\n f4 "), new Uint8Array([0x48, 0x89, 0xc8, 0xf4]));
  assert.deepEqual(hex(""), new Uint8Array(0));
});

Deno.test("testing.hex: rejects what Uint8Array.fromHex rejects", () => {
  for (const bad of ["4", "48 8", "zz", "0x48", "48,89", "4g", "48 89 c"]) {
    assert.throws(() => hex(bad), SyntaxError, bad);
  }
});
