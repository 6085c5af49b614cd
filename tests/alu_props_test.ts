/**
 * Property tests: cpu/alu against a straightforward BigInt reference model
 * of the SDM definitions (fixed seed, so runs are reproducible). Only the
 * flags the SDM defines are compared (see cpu/alu/undefined_flags.ts); the
 * hardware vectors (alu_vectors_test.ts) cover the undefined ones.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Alu } from "../cpu/alu/alu.ts";
import { ARITH_FLAGS, evalCond } from "../cpu/alu/flags.ts";
import { type AluMnemonic, undefinedFlags } from "../cpu/alu/undefined_flags.ts";
import { fuzzRuns } from "./fuzz_scale.ts";

const SEED = 0x5eeda1;
const RUNS = fuzzRuns(1500);
const params = { seed: SEED, numRuns: RUNS };

const CF = 0x1n;
const FLAG = { CF: 0x1, PF: 0x4, AF: 0x10, ZF: 0x40, SF: 0x80, OF: 0x800 };

const bitsOf = (size: number): bigint => BigInt(size * 8);
const maskOf = (size: number): bigint => (1n << bitsOf(size)) - 1n;
const signed = (size: number, x: bigint): bigint =>
  x >= 1n << (bitsOf(size) - 1n) ? x - (1n << bitsOf(size)) : x;
const lo = (x: bigint): number => Number(x & 0xffffffffn);
const hi = (x: bigint): number => Number((x >> 32n) & 0xffffffffn);

function parity(x: bigint): number {
  let v = Number(x & 0xffn);
  let n = 0;
  while (v !== 0) {
    n += v & 1;
    v >>= 1;
  }
  return n % 2 === 0 ? FLAG.PF : 0;
}

/** SF, ZF, PF of a size-bit result. */
function szp(size: number, r: bigint): number {
  return parity(r) | (r === 0n ? FLAG.ZF : 0) | ((r >> (bitsOf(size) - 1n)) & 1n ? FLAG.SF : 0);
}

/** An operand: edge-biased values of the given size. */
function operand(size: number): fc.Arbitrary<bigint> {
  const m = maskOf(size);
  const top = 1n << (bitsOf(size) - 1n);
  return fc.oneof(
    fc.bigInt(0n, m),
    fc.constantFrom(0n, 1n, 2n, m, m - 1n, top, top - 1n, top + 1n, 0x10n & m, 0xfn & m),
    fc.bigInt(0n, 0xffn),
    fc.bigInt(0n, 64n).map((k) => (m >> k)),
    // sign-extended narrower values (e.g. int32 in a 64-bit register)
    fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((x) => BigInt(x) & m),
  );
}

const sizeArb = fc.constantFrom(1, 2, 4, 8);
const flagsArb = fc.integer({ min: 0, max: 0xfff }).map((f) => f & ARITH_FLAGS);

/** The Alu result of a size-wide value as a bigint (hi from alu.hi for 64-bit). */
function big(alu: Alu, size: number, r: number): bigint {
  return size === 8 ? (BigInt(alu.hi) << 32n) | BigInt(r >>> 0) : BigInt(r >>> 0);
}

function checkFlags(
  op: AluMnemonic,
  size: number,
  count: number,
  got: number,
  want: number,
  ctx: string,
): void {
  const m = ARITH_FLAGS & ~undefinedFlags(op, size, count);
  assert.equal(got & m, want & m, `${ctx}: flags ${got.toString(16)} want ${want.toString(16)}`);
}

/** Every condition code agrees with the materialized flags. */
function checkCond(alu: Alu, ctx: string): void {
  const f = alu.getFlags();
  for (let cc = 0; cc < 16; cc++) assert.equal(alu.cond(cc), evalCond(f, cc), `${ctx}: cc ${cc}`);
}

// ---------------------------------------------------------------------------

type Arith = "add" | "adc" | "sub" | "sbb" | "cmp";

function refArith(op: Arith, size: number, a: bigint, b: bigint, cin: number): [bigint, number] {
  const m = maskOf(size);
  const c = op === "adc" || op === "sbb" ? BigInt(cin) : 0n;
  const isAdd = op === "add" || op === "adc";
  const s = isAdd ? a + b + c : a - b - c;
  const r = s & m;
  const ss = isAdd ? signed(size, a) + signed(size, b) + c : signed(size, a) - signed(size, b) - c;
  const lim = 1n << (bitsOf(size) - 1n);
  let f = szp(size, r) | Number((a ^ b ^ r) & 0x10n);
  if (isAdd ? s > m : s < 0n) f |= FLAG.CF;
  if (ss >= lim || ss < -lim) f |= FLAG.OF;
  return [r, f];
}

Deno.test("alu props: ADD ADC SUB SBB CMP match the reference", () => {
  fc.assert(
    fc.property(
      sizeArb.chain((s) => fc.tuple(fc.constant(s), operand(s), operand(s))),
      fc.constantFrom<Arith>("add", "adc", "sub", "sbb", "cmp"),
      flagsArb,
      ([size, a, b], op, fin) => {
        const alu = new Alu();
        alu.setFlags(fin);
        let r: bigint;
        if (op === "cmp") {
          alu.cmp(size, lo(a), hi(a), lo(b), hi(b));
          r = refArith("sub", size, a, b, 0)[0];
        } else {
          r = big(alu, size, alu[op](size, lo(a), hi(a), lo(b), hi(b)));
        }
        const [wr, wf] = refArith(op, size, a, b, fin & 1);
        const ctx = `${op}/${size} ${a.toString(16)},${b.toString(16)} fin ${fin.toString(16)}`;
        assert.equal(r, wr, ctx);
        checkFlags(op, size, 0, alu.getFlags(), wf, ctx);
        checkCond(alu, ctx);
      },
    ),
    params,
  );
});

Deno.test("alu props: INC DEC NEG NOT and logic ops", () => {
  fc.assert(
    fc.property(
      sizeArb.chain((s) => fc.tuple(fc.constant(s), operand(s), operand(s))),
      fc.constantFrom("inc", "dec", "neg", "not", "and", "or", "xor", "test"),
      flagsArb,
      ([size, a, b], op, fin) => {
        const alu = new Alu();
        alu.setFlags(fin);
        const m = maskOf(size);
        let r: bigint;
        let wr: bigint;
        let wf: number;
        switch (op) {
          case "inc":
          case "dec": {
            r = big(alu, size, alu[op](size, lo(a), hi(a)));
            [wr, wf] = refArith(op === "inc" ? "add" : "sub", size, a, 1n, 0);
            wf = (wf & ~FLAG.CF) | (fin & FLAG.CF);
            break;
          }
          case "neg":
            r = big(alu, size, alu.neg(size, lo(a), hi(a)));
            [wr, wf] = refArith("sub", size, 0n, a, 0);
            break;
          case "not":
            r = big(alu, size, alu.not(size, lo(a), hi(a)));
            wr = ~a & m;
            wf = fin;
            break;
          case "test":
            alu.test(size, lo(a), hi(a), lo(b), hi(b));
            wr = r = a & b;
            wf = szp(size, wr);
            break;
          default: {
            const o = op as "and" | "or" | "xor";
            r = big(alu, size, alu[o](size, lo(a), hi(a), lo(b), hi(b)));
            wr = o === "and" ? a & b : o === "or" ? a | b : a ^ b;
            wf = szp(size, wr);
          }
        }
        const ctx = `${op}/${size} ${a.toString(16)},${b.toString(16)} fin ${fin.toString(16)}`;
        assert.equal(r, wr, ctx);
        checkFlags(op as AluMnemonic, size, 0, alu.getFlags(), wf, ctx);
        checkCond(alu, ctx);
      },
    ),
    params,
  );
});

Deno.test("alu props: MUL IMUL (all forms)", () => {
  fc.assert(
    fc.property(
      sizeArb.chain((s) => fc.tuple(fc.constant(s), operand(s), operand(s))),
      fc.constantFrom("mul", "imul1", "imul"),
      ([size, a, b], op) => {
        const alu = new Alu();
        const m = maskOf(size);
        const W = bitsOf(size);
        const p = op === "mul" ? a * b : signed(size, a) * signed(size, b);
        const low = p & m;
        const up = (p >> W) & m;
        const over = op === "mul" ? up !== 0n : signed(size, low) !== p;
        const ctx = `${op}/${size} ${a.toString(16)}*${b.toString(16)}`;
        if (op === "imul" && size === 1) return; // no 8-bit two-operand form
        if (op === "imul") {
          assert.equal(big(alu, size, alu.imul(size, lo(a), hi(a), lo(b), hi(b))), low, ctx);
        } else {
          const r = big(alu, size, alu[op](size, lo(a), hi(a), lo(b), hi(b)));
          assert.equal(r, low, ctx);
          const d = size === 8 ? (BigInt(alu.dxHi) << 32n) | BigInt(alu.dx) : BigInt(alu.dx);
          assert.equal(d, up, ctx);
        }
        const f = alu.getFlags();
        assert.equal(f & (FLAG.CF | FLAG.OF), over ? FLAG.CF | FLAG.OF : 0, ctx);
      },
    ),
    params,
  );
});

Deno.test("alu props: DIV IDIV results and #DE", () => {
  fc.assert(
    fc.property(
      sizeArb.chain((s) => fc.tuple(fc.constant(s), operand(s), operand(s), operand(s))),
      fc.boolean(),
      fc.boolean(),
      ([size, a, d0, s], sgn, small) => {
        const alu = new Alu();
        const W = bitsOf(size);
        const m = maskOf(size);
        // Often make the high part small or the sign extension so the divide succeeds.
        const d = small ? (sgn && (a >> (W - 1n)) === 1n ? m : 0n) : d0;
        const dv = (d << W) | a;
        let q: bigint | null;
        let r = 0n;
        if (s === 0n) q = null;
        else if (!sgn) {
          q = dv / s;
          r = dv % s;
          if (q > m) q = null;
        } else {
          const sdv = dv >= 1n << (2n * W - 1n) ? dv - (1n << (2n * W)) : dv;
          const ss = signed(size, s);
          q = sdv / ss; // BigInt division truncates toward zero, as IDIV
          r = sdv % ss;
          const lim = 1n << (W - 1n);
          if (q >= lim || q < -lim) q = null;
        }
        const st = (sgn ? alu.idiv : alu.div).call(
          alu,
          size,
          lo(a),
          hi(a),
          lo(d),
          hi(d),
          lo(s),
          hi(s),
        );
        const ctx = `${sgn ? "idiv" : "div"}/${size} ${d.toString(16)}:${a.toString(16)}/${
          s.toString(16)
        }`;
        if (q === null) {
          assert.equal(st, 1, ctx + " should raise #DE");
          return;
        }
        assert.equal(st, 0, ctx);
        const gq = size === 8 ? (BigInt(alu.quotHi) << 32n) | BigInt(alu.quot) : BigInt(alu.quot);
        const gr = size === 8 ? (BigInt(alu.remHi) << 32n) | BigInt(alu.rem) : BigInt(alu.rem);
        assert.equal(gq, q & m, ctx + " quotient");
        assert.equal(gr, r & m, ctx + " remainder");
      },
    ),
    params,
  );
});

Deno.test("alu: DIV/IDIV #DE edge cases are values, not exceptions", () => {
  const alu = new Alu();
  // divide by zero at every size
  for (const size of [1, 2, 4, 8]) {
    assert.equal(alu.div(size, 5, 0, 0, 0, 0, 0), 1);
    assert.equal(alu.idiv(size, 5, 0, 0, 0, 0, 0), 1);
  }
  // quotient overflow: high part >= divisor (unsigned)
  assert.equal(alu.div(1, 0, 0, 2, 0, 2, 0), 1);
  assert.equal(alu.div(4, 0, 0, 7, 0, 7, 0), 1);
  assert.equal(alu.div(8, 0, 0, 0, 1, 0, 1), 1);
  // INT_MIN / -1 overflows
  assert.equal(alu.idiv(1, 0x80, 0, 0xff, 0, 0xff, 0), 1);
  assert.equal(alu.idiv(2, 0x8000, 0, 0xffff, 0, 0xffff, 0), 1);
  assert.equal(alu.idiv(4, 0x80000000, 0, 0xffffffff, 0, 0xffffffff, 0), 1);
  assert.equal(alu.idiv(8, 0, 0x80000000, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), 1);
  // a negative quotient one below INT64_MIN: -(2^63 + 1) / 1
  assert.equal(alu.idiv(8, 0xffffffff, 0x7fffffff, 0xffffffff, 0xffffffff, 1, 0), 1);
  // positive quotient 2^63: -2^63 / -1 with the dividend sign-extended to 128 bits
  assert.equal(alu.idiv(8, 0, 0x80000000, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), 1);
  // ... but INT_MIN / 1 and -128 / -1 in the wider dividend do not
  assert.equal(alu.idiv(8, 0, 0x80000000, 0xffffffff, 0xffffffff, 1, 0), 0);
  assert.equal(alu.quotHi, 0x80000000);
  assert.equal(alu.idiv(1, 0x80, 0, 0xff, 0, 0xff - 1, 0), 0); // -128 / -2 = 64
  assert.equal(alu.quot, 64);
  // flags untouched by a faulting divide
  alu.setFlags(0x8d5);
  assert.equal(alu.div(4, 1, 0, 0, 0, 0, 0), 1);
  assert.equal(alu.getFlags(), 0x8d5);
});

// ---------------------------------------------------------------------------

type Sh = "shl" | "shr" | "sar" | "rol" | "ror" | "rcl" | "rcr";

function refShift(
  op: Sh,
  size: number,
  a: bigint,
  count: number,
  fin: number,
): [bigint, number, number] {
  const W = size * 8;
  const m = maskOf(size);
  let n = count & (size === 8 ? 63 : 31);
  if (op === "rcl" || op === "rcr") {
    if (size === 1) n %= 9;
    else if (size === 2) n %= 17;
  }
  if ((count & (size === 8 ? 63 : 31)) === 0) return [a, fin, 0];
  let r = a;
  let cf = BigInt(fin & 1);
  let of = 0n;
  const msb = (x: bigint): bigint => (x >> BigInt(W - 1)) & 1n;
  switch (op) {
    case "shl":
      r = (a << BigInt(n)) & m;
      cf = n <= W ? (a >> BigInt(W - n)) & 1n : 0n;
      of = msb(r) ^ cf;
      break;
    case "shr":
      r = a >> BigInt(n);
      cf = (a >> BigInt(n - 1)) & 1n;
      of = msb(a);
      break;
    case "sar": {
      const sa = signed(size, a);
      r = (sa >> BigInt(n)) & m;
      cf = (sa >> BigInt(n - 1)) & 1n;
      of = 0n;
      break;
    }
    case "rol": {
      const k = BigInt(n % W);
      r = ((a << k) | (a >> (BigInt(W) - k))) & m;
      cf = r & 1n;
      of = msb(r) ^ cf;
      break;
    }
    case "ror": {
      const k = BigInt(n % W);
      r = ((a >> k) | (a << (BigInt(W) - k))) & m;
      cf = msb(r);
      of = msb(r) ^ ((r >> BigInt(W - 2)) & 1n);
      break;
    }
    case "rcl": {
      const x = (cf << BigInt(W)) | a; // W+1 bits
      const k = BigInt(n);
      const mm = (1n << BigInt(W + 1)) - 1n;
      const y = ((x << k) | (x >> (BigInt(W + 1) - k))) & mm;
      r = y & m;
      cf = y >> BigInt(W);
      of = msb(r) ^ cf;
      break;
    }
    case "rcr": {
      const x = (a << 1n) | cf; // W+1 bits, CF at the bottom
      const k = BigInt(n);
      const mm = (1n << BigInt(W + 1)) - 1n;
      const y = ((x >> k) | (x << (BigInt(W + 1) - k))) & mm;
      r = y >> 1n;
      cf = y & 1n;
      of = msb(r) ^ ((r >> BigInt(W - 2)) & 1n);
      break;
    }
  }
  let f: number;
  if (op === "shl" || op === "shr" || op === "sar") f = szp(size, r);
  else f = fin & ~(FLAG.CF | FLAG.OF);
  f |= Number(cf) | (of ? FLAG.OF : 0);
  return [r, f, n];
}

Deno.test("alu props: shifts and rotates", () => {
  fc.assert(
    fc.property(
      sizeArb.chain((s) => fc.tuple(fc.constant(s), operand(s))),
      fc.constantFrom<Sh>("shl", "shr", "sar", "rol", "ror", "rcl", "rcr"),
      fc.oneof(
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom(0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64),
      ),
      flagsArb,
      ([size, a], op, count, fin) => {
        const alu = new Alu();
        alu.setFlags(fin);
        const r = big(alu, size, alu[op](size, lo(a), hi(a), count));
        const [wr, wf] = refShift(op, size, a, count, fin);
        const ctx = `${op}/${size} ${a.toString(16)} by ${count} fin ${fin.toString(16)}`;
        assert.equal(r, wr, ctx);
        checkFlags(op, size, count, alu.getFlags(), wf, ctx);
        checkCond(alu, ctx);
      },
    ),
    params,
  );
});

Deno.test("alu props: SHLD SHRD (count within the width)", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(2, 4, 8).chain((s) => fc.tuple(fc.constant(s), operand(s), operand(s))),
      fc.boolean(),
      fc.integer({ min: 0, max: 255 }),
      flagsArb,
      ([size, a, b], left, count, fin) => {
        const W = size * 8;
        const n = count & (size === 8 ? 63 : 31);
        if (n > W) return; // undefined result
        const alu = new Alu();
        alu.setFlags(fin);
        const r = big(
          alu,
          size,
          (left ? alu.shld : alu.shrd).call(alu, size, lo(a), hi(a), lo(b), hi(b), count),
        );
        const m = maskOf(size);
        let wr = a;
        let wf = fin;
        if (n !== 0) {
          if (left) {
            const x = (a << BigInt(W)) | b;
            wr = ((x << BigInt(n)) >> BigInt(W)) & m;
            wf = szp(size, wr) | Number((x >> BigInt(2 * W - n)) & 1n);
          } else {
            const x = (b << BigInt(W)) | a;
            wr = (x >> BigInt(n)) & m;
            wf = szp(size, wr) | Number((x >> BigInt(n - 1)) & 1n);
          }
          if (((wr ^ a) >> BigInt(W - 1)) & 1n) wf |= FLAG.OF;
        }
        const op = left ? "shld" : "shrd";
        const ctx = `${op}/${size} ${a.toString(16)},${b.toString(16)} by ${count}`;
        assert.equal(r, wr, ctx);
        checkFlags(op, size, count, alu.getFlags(), wf, ctx);
      },
    ),
    params,
  );
});

Deno.test("alu props: bit tests, scans, counts, BSWAP", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(2, 4, 8).chain((s) => fc.tuple(fc.constant(s), operand(s))),
      fc.integer({ min: 0, max: 0xffff }),
      flagsArb,
      ([size, a], bit, fin) => {
        const W = size * 8;
        const m = maskOf(size);
        const alu = new Alu();
        const i = BigInt(bit % W);
        const old = (a >> i) & 1n;
        const ctx = `${size} ${a.toString(16)} bit ${bit}`;
        // BT family
        for (
          const [op, want] of [
            ["bts", a | (1n << i)],
            ["btr", a & ~(1n << i)],
            ["btc", a ^ (1n << i)],
          ] as const
        ) {
          alu.setFlags(fin);
          assert.equal(big(alu, size, alu[op](size, lo(a), hi(a), bit)), want, `${op} ${ctx}`);
          checkFlags(op, size, 0, alu.getFlags(), (fin & ~FLAG.CF) | Number(old), `${op} ${ctx}`);
        }
        alu.setFlags(fin);
        alu.bt(size, lo(a), hi(a), bit);
        checkFlags("bt", size, 0, alu.getFlags(), (fin & ~FLAG.CF) | Number(old), `bt ${ctx}`);
        // scans and counts
        let tz = 0;
        while (tz < W && ((a >> BigInt(tz)) & 1n) === 0n) tz++;
        let lz = 0;
        while (lz < W && ((a >> BigInt(W - 1 - lz)) & 1n) === 0n) lz++;
        let pc = 0;
        for (let k = 0; k < W; k++) pc += Number((a >> BigInt(k)) & 1n);
        alu.setFlags(fin);
        assert.equal(alu.bsf(size, lo(a), hi(a)), a === 0n ? -1 : tz, `bsf ${ctx}`);
        checkFlags("bsf", size, 0, alu.getFlags(), a === 0n ? FLAG.ZF : 0, `bsf ${ctx}`);
        alu.setFlags(fin);
        assert.equal(alu.bsr(size, lo(a), hi(a)), a === 0n ? -1 : W - 1 - lz, `bsr ${ctx}`);
        checkFlags("bsr", size, 0, alu.getFlags(), a === 0n ? FLAG.ZF : 0, `bsr ${ctx}`);
        alu.setFlags(fin);
        assert.equal(alu.tzcnt(size, lo(a), hi(a)), tz, `tzcnt ${ctx}`);
        checkFlags(
          "tzcnt",
          size,
          0,
          alu.getFlags(),
          (tz === W ? FLAG.CF : 0) | (tz === 0 ? FLAG.ZF : 0),
          `tzcnt ${ctx}`,
        );
        alu.setFlags(fin);
        assert.equal(alu.lzcnt(size, lo(a), hi(a)), lz, `lzcnt ${ctx}`);
        checkFlags(
          "lzcnt",
          size,
          0,
          alu.getFlags(),
          (lz === W ? FLAG.CF : 0) | (lz === 0 ? FLAG.ZF : 0),
          `lzcnt ${ctx}`,
        );
        alu.setFlags(fin);
        assert.equal(alu.popcnt(size, lo(a), hi(a)), pc, `popcnt ${ctx}`);
        checkFlags("popcnt", size, 0, alu.getFlags(), a === 0n ? FLAG.ZF : 0, `popcnt ${ctx}`);
        if (size !== 2) {
          let sw = 0n;
          for (let k = 0; k < size; k++) {
            sw |= ((a >> BigInt(8 * k)) & 0xffn) << BigInt(8 * (size - 1 - k));
          }
          alu.setFlags(fin);
          assert.equal(big(alu, size, alu.bswap(size, lo(a), hi(a))), sw & m, `bswap ${ctx}`);
          assert.equal(alu.getFlags(), fin, `bswap flags ${ctx}`);
        }
      },
    ),
    params,
  );
});

Deno.test("alu: lazy flags survive INC/DEC (CF kept) and setFlags round-trips", () => {
  const alu = new Alu();
  alu.add(4, 0xffffffff, 0, 1, 0); // CF=1 ZF=1
  assert.equal(alu.cf(), 1);
  alu.inc(4, 5, 0);
  assert.equal(alu.cf(), 1, "INC keeps CF");
  assert.equal(alu.getFlags() & FLAG.ZF, 0);
  alu.sub(8, 0, 0, 1, 0); // borrow
  assert.equal(Number(CF) & alu.getFlags(), 1);
  alu.dec(8, 0, 0);
  assert.equal(alu.getFlags() & (FLAG.CF | FLAG.SF), FLAG.CF | FLAG.SF);
  for (const f of [0, 0x8d5, 0x801, 0x44, 0xfff]) {
    alu.setFlags(f);
    assert.equal(alu.getFlags(), f & ARITH_FLAGS);
  }
});
