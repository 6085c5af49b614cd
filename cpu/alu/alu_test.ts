import assert from "node:assert/strict";
import { Alu } from "./alu.ts";
import { AF, CF, evalCond, OF, PF, SF, ZF } from "./flags.ts";

Deno.test("Alu: 32-bit add/sub/cmp results and flags", () => {
  const alu = new Alu();
  assert.equal(alu.add(4, 0xffffffff, 0, 1, 0), 0);
  assert.equal(alu.getFlags(), CF | ZF | PF | AF);
  assert.equal(alu.sub(4, 0x80000000, 0, 1, 0), 0x7fffffff);
  assert.equal(alu.getFlags(), OF | PF | AF);
  alu.cmp(4, 1, 0, 2, 0);
  assert.equal(alu.getFlags(), CF | SF | PF | AF);
  assert.equal(alu.cond(2), true); // JB
  assert.equal(alu.cond(12), true); // JL: 1 < 2 signed
});

Deno.test("Alu: 64-bit results put the high half in alu.hi", () => {
  const alu = new Alu();
  assert.equal(alu.add(8, 0xffffffff, 0, 1, 0), 0);
  assert.equal(alu.hi, 1);
  assert.equal(alu.getFlags() & (CF | ZF), 0);
  assert.equal(alu.sub(8, 0, 0, 1, 0), 0xffffffff);
  assert.equal(alu.hi, 0xffffffff);
  assert.equal(alu.getFlags() & (CF | SF), CF | SF);
});

Deno.test("Alu: cond() agrees with evalCond(getFlags()) after every kind of operation", () => {
  const alu = new Alu();
  const vals = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];
  const ops: ((s: number, a: number, b: number) => void)[] = [
    (s, a, b) => alu.add(s, a, b, b, a),
    (s, a, b) => alu.sub(s, a, b, b, a),
    (s, a, b) => alu.cmp(s, a, a, b, b),
    (s, a, b) => alu.sbb(s, a, 0, b, 0),
    (s, a, b) => alu.and(s, a, b, b, a),
    (s, a) => alu.inc(s, a, a),
    (s, a) => alu.dec(s, a, 0),
    (s, a) => alu.neg(s, a, a),
    (s, a, b) => alu.shl(s, a, b, b),
    (s, a, b) => alu.imul(s, a, 0, b, 0),
    (_s, a) => alu.setFlags(a),
  ];
  for (const size of [1, 2, 4, 8]) {
    const m = size === 8 ? 0xffffffff : size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    for (const op of ops) {
      for (const a of vals) {
        for (const b of vals) {
          alu.setFlags(a & 1 ? 0x8d5 : 0);
          op(size, (a & m) >>> 0, (b & m) >>> 0);
          const f = alu.getFlags();
          for (let cc = 0; cc < 16; cc++) assert.equal(alu.cond(cc), evalCond(f, cc));
        }
      }
    }
  }
});

Deno.test("Alu: zero shift count leaves flags alone; RCL 8-bit count is mod 9", () => {
  const alu = new Alu();
  alu.setFlags(CF | OF | ZF);
  assert.equal(alu.shl(4, 5, 0, 32), 5); // masked to 0
  assert.equal(alu.getFlags(), CF | OF | ZF);
  alu.setFlags(0);
  assert.equal(alu.rcl(1, 0x81, 0, 9), 0x81); // 9 mod 9 = 0
  assert.equal(alu.getFlags() & CF, 0);
  alu.setFlags(CF);
  assert.equal(alu.rcl(1, 0x80, 0, 1), 0x01); // CF in at the bottom, bit 7 out
  assert.equal(alu.getFlags() & CF, CF);
});

Deno.test("Alu: BSF/BSR of zero return -1 (destination unchanged) and set ZF", () => {
  const alu = new Alu();
  assert.equal(alu.bsf(4, 0, 0), -1);
  assert.equal(alu.getFlags() & ZF, ZF);
  assert.equal(alu.bsr(8, 0, 0x10), 36);
  assert.equal(alu.getFlags() & ZF, 0);
});

Deno.test("Alu: MUL puts the upper half in dx/dxHi; DIV reports #DE as 1", () => {
  const alu = new Alu();
  assert.equal(alu.mul(8, 0xffffffff, 0xffffffff, 2, 0), 0xfffffffe);
  assert.equal(alu.hi, 0xffffffff);
  assert.equal(alu.dx, 1);
  assert.equal(alu.dxHi, 0);
  assert.equal(alu.getFlags() & (CF | OF), CF | OF);
  assert.equal(alu.div(2, 0x1234, 0, 0, 0, 0x10, 0), 0);
  assert.equal(alu.quot, 0x123);
  assert.equal(alu.rem, 4);
  assert.equal(alu.div(2, 0, 0, 0x10, 0, 0x10, 0), 1);
});

Deno.test("Alu: BCD helpers", () => {
  const alu = new Alu();
  alu.setFlags(0);
  assert.equal(alu.daa(0x0a), 0x10);
  assert.equal(alu.getFlags() & AF, AF);
  assert.equal(alu.aam(0x35, 10), 0x0503);
  assert.equal(alu.aam(5, 0), -1);
  assert.equal(alu.aad(0x0503, 10), 0x35);
});

Deno.test("Alu: flag overlays (MUL/IMUL, rotates, BT) on a lazy result equal the eager computation", () => {
  const vals = [
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x8000,
    0xffff,
    0x7fffffff,
    0x80000000,
    0xfffffffe,
    0xffffffff,
  ];
  type Op = (alu: Alu, s: number, a: number, b: number) => void;
  const first: Op[] = [
    (alu, s, a, b) => alu.add(s, a, b, b, a),
    (alu, s, a, b) => alu.adc(s, a, b, b, a),
    (alu, s, a, b) => alu.sub(s, a, b, b, a),
    (alu, s, a, b) => alu.sbb(s, a, a, b, b),
    (alu, s, a, b) => alu.cmp(s, a, b, b, a),
    (alu, s, a) => alu.inc(s, a, a),
    (alu, s, a) => alu.dec(s, a, a),
    (alu, s, a) => alu.neg(s, a, a),
    (alu, s, a, b) => alu.xor(s, a, b, b, a),
    (alu, s, a, b) => alu.shr(s, a, b, b),
  ];
  const second: Op[] = [
    (alu, s, a, b) => alu.imul(s === 1 ? 2 : s, a & 0xffff, 0, b, 0),
    (alu, s, a, b) => alu.mul(s, a, b, b, a),
    (alu, s, a, b) => alu.imul1(s, a, b, b, a),
    (alu, s, a, b) => alu.rol(s, a, b, b),
    (alu, s, a, b) => alu.rcr(s, a, b, b + 1),
    (alu, s, a, b) => alu.bt(s, a, b, b),
    (alu, s, a, b) => alu.btc(s, a, b, b),
  ];
  const lazy = new Alu();
  const eager = new Alu();
  for (const size of [1, 2, 4, 8]) {
    const m = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    for (const f1 of first) {
      for (const f2 of second) {
        for (const a0 of vals) {
          for (const b0 of vals) {
            const a = (a0 & m) >>> 0;
            const b = (b0 & m) >>> 0;
            const fin = (a ^ b) & 1 ? 0x8d5 : 0;
            lazy.setFlags(fin);
            eager.setFlags(fin);
            f1(lazy, size, a, b);
            f1(eager, size, a, b);
            eager.setFlags(eager.getFlags()); // force the eager path
            f2(lazy, size, a, b);
            f2(eager, size, a, b);
            const want = eager.getFlags();
            assert.equal(lazy.getFlags(), want);
            for (let cc = 0; cc < 16; cc++) assert.equal(lazy.cond(cc), evalCond(want, cc));
            assert.equal(lazy.cf(), want & CF);
          }
        }
      }
    }
  }
});
