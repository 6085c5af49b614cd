/**
 * The high half of the unsigned 32x32-bit product as the compiled IMUL
 * computes it (16-bit pieces in 32-bit integer arithmetic) against BigInt.
 */
import assert from "node:assert/strict";
import { Gen } from "./gen.ts";
import { emitUmulh } from "./emit_alu.ts";

Deno.test("jit: emitUmulh gives the high 32 bits of the unsigned product", () => {
  const g = new Gen(64);
  emitUmulh(g, "mh");
  const f = new Function("aL", "bL", `${g.out.join("\n")}\nreturn mh;`) as (
    a: number,
    b: number,
  ) => number;
  const edge = [0, 1, 2, 0xffff, 0x10000, 0x1ffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  const vals = [...edge];
  let x = 0x2545f491;
  for (let k = 0; k < 3000; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    vals.push(x >>> 0);
  }
  for (const a of vals) {
    for (const b of edge.concat([vals[(a * 7) % vals.length]])) {
      const want = Number((BigInt(a >>> 0) * BigInt(b >>> 0)) >> 32n) | 0;
      assert.equal(f(a | 0, b | 0), want, `${a.toString(16)} * ${b.toString(16)}`);
    }
  }
});
