import assert from "node:assert/strict";
import { FpuState } from "./state.ts";

Deno.test("FpuState: save/load round-trips every register", () => {
  const a = new FpuState();
  for (let k = 0; k < 16; k++) a.mant[k] = (0x9e3779b9 * (k + 1)) >>> 0;
  for (let k = 0; k < 8; k++) a.sexp[k] = 0x3fff + k * 0x1111;
  for (let k = 0; k < 256; k++) a.xmm[k] = (k * 7 + 3) & 0xff;
  a.fcw = 0x27f;
  a.fsw = 0x3800 | 0x41;
  a.ftw = 0x5a5a;
  a.fop = 0x7ff;
  a.fip = -0x7fff_0000_1234; // canonical high-half address
  a.fcs = 0x10;
  a.fdp = 0x12345678;
  a.fds = 0x18;
  a.mxcsr = 0x9fc0;
  const b = new FpuState();
  b.load(a.save());
  assert.deepEqual(b.mant, a.mant);
  assert.deepEqual(b.sexp, a.sexp);
  assert.deepEqual(b.xmm, a.xmm);
  assert.deepEqual(
    [b.fcw, b.fsw, b.ftw, b.fop, b.fip, b.fcs, b.fdp, b.fds, b.mxcsr],
    [a.fcw, a.fsw, a.ftw, a.fop, a.fip, a.fcs, a.fdp, a.fds, a.mxcsr],
  );
});

Deno.test("FpuState: reset gives FNINIT x87 state and MXCSR 0x1f80; views alias", () => {
  const s = new FpuState();
  s.fcw = 0;
  s.ftw = 0;
  s.xmmF64[3] = 1.5; // XMM1 high lane
  assert.equal(s.xmm32[7], 0x3ff80000);
  s.reset();
  assert.equal(s.fcw, 0x37f);
  assert.equal(s.ftw, 0xffff);
  assert.equal(s.mxcsr, 0x1f80);
  assert.equal(s.xmm32[7], 0);
});

Deno.test("FpuState: a wrong-length image is refused", () => {
  assert.throws(() => new FpuState().load(new Uint8Array(10)), RangeError);
});
