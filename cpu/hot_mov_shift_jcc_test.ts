import assert from "node:assert/strict";
import { enter64, hex, installIdt, LAYOUT, load, makeCpu } from "./testing.ts";

/** Signed value of a 64-bit pattern. */
function s64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

Deno.test("imul r64, r64, imm32: low 64 bits and CF/OF against exact products, near the overflow edge too", () => {
  const t = makeCpu();
  enter64(t);
  installIdt(t, true);
  // imul rax, rcx, imm32 (patched per case); hlt
  const imms = [0x5bd1e995, -1, 2, -2, 3, 0x7fffffff, -0x80000000, 0x40000000, 1];
  const edge = [
    0n,
    1n,
    (1n << 62n) - 1n,
    1n << 62n,
    (1n << 63n) - 1n,
    -(1n << 63n),
    -(1n << 62n),
    -(1n << 62n) - 1n,
    0x0123456789abcdefn,
    -0x0123456789abcdefn,
    (1n << 61n) / 3n,
    (1n << 32n) + 5n,
  ];
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const vals = [...edge];
  for (let k = 0; k < 200; k++) vals.push(s64((BigInt(rnd()) << 32n) | BigInt(rnd())));
  // Values whose product lands just around +-2^63 for the immediates.
  for (const m of imms) {
    const q = (1n << 63n) / BigInt(m < 0 ? -m : m);
    for (const d of [-2n, -1n, 0n, 1n, 2n]) vals.push(s64(q + d), s64(-q + d));
  }
  for (const m of imms) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, m, true);
    load(t, hex(`48 69 c1 ${[...b].map((x) => x.toString(16).padStart(2, "0")).join(" ")} f4`));
    for (const a of vals) {
      const u = BigInt.asUintN(64, a);
      t.cpu.gpr[2] = Number(u & 0xffffffffn);
      t.cpu.gpr[3] = Number(u >> 32n);
      t.cpu.rip = LAYOUT.code;
      t.cpu.run(t.cpu.retired + 1);
      const p = a * BigInt(m);
      const want = BigInt.asUintN(64, p);
      const got = (BigInt(t.cpu.gpr[1]) << 32n) | BigInt(t.cpu.gpr[0]);
      assert.equal(got, want, `imul ${a} * ${m}`);
      const over = s64(want) !== p;
      assert.equal(t.cpu.rflags & 0x801, over ? 0x801 : 0, `CF/OF for ${a} * ${m}`);
    }
  }
});
