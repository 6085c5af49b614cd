import assert from "node:assert/strict";
import { runOnStack } from "./transc_testing.ts";
import { fpatan } from "./transc.ts";
import type { TranscModel } from "./transc_amd.ts";
import {
  ATAN_EXACT_LIMIT,
  ATAN_P,
  ATAN_Q,
  ATAN_Q_LIMIT_LOG2,
  atanAmdRational,
} from "./transc_amd_atan.ts";

/** Run FPATAN on ST(0) = x, ST(1) = y (20-hex-digit values) with `fcw`; the result and FSW. */
function atan(model: TranscModel, fcw: number, x: string, y: string): [string, number] {
  const r = runOnStack((f) => fpatan(f, model), fcw, [x, y]);
  return [r.st[0], r.fsw];
}

/** A recorded case: [FCW, x = ST(0), y = ST(1), the host's result, its FSW & (C1 | PE)]. */
type Recorded = [number, string, string, string, number];

/**
 * Each recorded case's ratio satisfies `inDomain` and the Zen model gives the host's result and
 * C1 / PE flags.
 */
function assertReproduced(cases: Recorded[], inDomain: (r: number) => boolean = () => true): void {
  for (const [fcw, x, y, hw, flags] of cases) {
    assert.ok(inDomain(ratio(x, y)), `x ${x} y ${y} ratio`);
    const [r, fsw] = atan("amd-zen", fcw, x, y);
    assert.equal(r, hw, `x ${x} y ${y}`);
    assert.equal(fsw & 0x220, flags, `x ${x} y ${y} fsw`);
  }
}

/** |x / y| or |y / x|, the smaller, as a number (x, y positive hex values). */
function ratio(x: string, y: string): number {
  const v = (h: string) =>
    Number(BigInt("0x" + h.slice(4))) * 2 ** (parseInt(h.slice(0, 4), 16) - 16383 - 63);
  const a = v(x), b = v(y);
  return Math.min(a, b) / Math.max(a, b);
}

// Recorded with tools/x87-transc/probe.c on AMD EPYC family 26 model 2 (Zen 5), hold-outs made
// after the model was fixed (atan5_direct.py d gen ... 0xC32, atan5_emap.py gen ... 0xC31, 0xA13,
// atan5_direct.py d gen ... 0xA14; README "FPATAN: structure of the atan step (round 5)"), not in
// tests/data/x87_vectors.txt.gz: cases the earlier model (the correctly rounded atan(r), then
// the 68-bit a) got wrong. [FCW, x = ST(0), y = ST(1), result, FSW & (C1 | PE)]
const BELOW_LIMIT: Recorded[] = [
  [0xb7f, "3fff8000000000000000", "3ff9dbd512ecbf2ae70f", "3ff9dbc792311ceabf51", 0x220],
  [0xb7f, "3fff8000000000000000", "3ff9ac27a637c14d661c", "3ff9ac2129c886b196e2", 0x220],
  [0x77f, "3fff8000000000000000", "3ff9e7c06e1a0484d340", "3ff9e7b09c404df6e54b", 0x20],
  [0xb7f, "3fff8000000000000000", "3ff9f9a176dd592b2c9c", "3ff9f98db1ed4174f3d5", 0x220],
  [0x77f, "3fff8000000000000000", "3ff8c947064f5aa4c5fa", "3ff8c9446ec606f94766", 0x20],
  [0xb7f, "3fffe8a71de6c8a4dc5c", "40068000000000000000", "3fffc73e9467b371f64b", 0x20],
  [0xb7f, "3fffd898b2e9c0f4bffe", "40058000000000000000", "3fffc5adab7ff0ae01d7", 0x20],
  [0xb7f, "3fffb72c5197795648b3", "40058000000000000000", "3fffc633489bd5483a59", 0x20],
];

// The same hold-outs above the exact domain (best fit: these are reproduced, others are not).
const ABOVE_LIMIT: Recorded[] = [
  [0xb7f, "3fffe28cbd124b4634ce", "40028000000000000000", "3fffad312feed238846f", 0x20],
  [0xb7f, "3fffcac5c13fd0a710f3", "40018000000000000000", "3fff98cb6fcffa56923e", 0x20],
  [0x37f, "3fff827913e85407fc53", "40008000000000000000", "3fff8cbacc3b5d5470e9", 0x20],
  [0x37f, "3fffb5cd0bb70147481a", "40028000000000000000", "3fffb29237adc6af0474", 0x20],
  [0x77f, "3fff8000000000000000", "3ffed0c88a482504ab2a", "3ffeaf24e9b5a2ae2c2a", 0x20],
  [0x77f, "3fff8000000000000000", "3ffdcac5c14009c83a3a", "3ffdc111ab48cdab00a9", 0x20],
  [0x77f, "3fff8000000000000000", "3ffca3e6c4c5c5959bc9", "3ffca285dc670865b851", 0x20],
  [0xb7f, "3fff8000000000000000", "3ffce28cbd123fc83f8f", "3ffcdef5559a6e8d40da", 0x220],
];

Deno.test("FPATAN Zen atan: recorded ratios below the exact limit, both result paths", () => {
  assertReproduced(BELOW_LIMIT, (r) => r < ATAN_EXACT_LIMIT);
  for (const [fcw, x, y, hw, flags] of BELOW_LIMIT) {
    // The correctly rounded atan misses each of them (result or C1).
    const [re, fe] = atan("exact", fcw, x, y);
    assert.ok(re !== hw || (fe & 0x220) !== flags, `x ${x} y ${y} (exact)`);
  }
});

Deno.test("FPATAN Zen atan: recorded ratios above the exact limit (best fit)", () => {
  assertReproduced(ABOVE_LIMIT, (r) => r >= ATAN_EXACT_LIMIT);
});

Deno.test("FPATAN Zen atan: r + d is r plus a 68-bit d, d ~ r^3 P(0) / Q(0) = -r^3/3 for small r", () => {
  // r = 2^-10 (R = 2^67, r = R 2^-77): d = -2^-30/3 (1 + O(2^-20)) on its 68-bit grid.
  const [v, e] = atanAmdRational(1n << 67n, -77);
  const r = 1n << BigInt(-e - 10);
  const d = v - r;
  assert.ok(d < 0n);
  // d's significand has at most 68 bits (its low bits below the 68-bit grid are zero).
  const len = (-d).toString(2).length;
  const tz = (-d).toString(2).length - (-d).toString(2).replace(/0+$/, "").length;
  assert.ok(len - tz <= 68, `d has ${len - tz} significant bits`);
  // -3 d / r^3 is 1 to about 2^-20 (the g term of P/Q).
  const rel = Number((-3n * d) >> BigInt(-e - 30 - 40)) / 2 ** 40;
  assert.ok(Math.abs(rel - 1) < 2 ** -19, `-3 d / r^3 = ${rel}`);
  // The coefficients: P(0) / Q(0) = -1/3 to within the minimax's own 2^-61.
  const p0 = Number(ATAN_P[0] >> 136n) / 2 ** 64, q0 = Number(ATAN_Q[0] >> 136n) / 2 ** 64;
  assert.ok(Math.abs(p0 / q0 + 1 / 3) < 2 ** -50);
});

// Round-6 hold-outs (probe.c, recorded after the g / t roundings and the refitted P were committed;
// atan5_tiny.py gen ... 0x6A6A, atan5_direct.py d gen ... 0x6A62 / 0x6A65, atan5_emap.py gen ...
// 0x6A61; README "FPATAN: evaluation order (round 6)"), not in tests/data/x87_vectors.txt.gz:
// cases the round-5 model (exact r^3, the minimax P) gets wrong. [FCW, x, y, result, FSW & 0x220]
const ROUND6: Recorded[] = [
  [0x77f, "3fff8000000000000000", "3ff5f9096bb12580cbf4", "3ff5f909580d750e21d8", 0x20],
  [0xb7f, "3fff8000000000000000", "3ff5f9096bac24108d9a", "3ff5f9095808739f12aa", 0x20],
  [0x77f, "3fff8000000000000000", "3ff7902de00d256e3f62", "3ff7902da31331c7bedf", 0x20],
  [0x77f, "3fff8000000000000000", "3ffb869595feb8c84947", "3ffb86641e5871a0b938", 0x20],
  [0x77f, "3fff8000000000000000", "3ffc9af3a14c1e67a828", "3ffc99c8f4d8cf713ec1", 0x20],
  [0xb7f, "3fff8000000000000000", "3ffdc1d29dc706e75b59", "3ffdb94965e3ce5a36ab", 0x20],
  [0x77f, "3fff8000000000000000", "3ffdf30be0dfbd777124", "3ffde2eb92e05fb28208", 0x20],
  [0xb7f, "3fffe28cbd1218aa7cb8", "40028000000000000000", "3fffad312feed84069b7", 0x220],
  [0x37f, "3fffb3b256ffce28af00", "40008000000000000000", "3ffef571eb967ea0b94a", 0x220],
  [0x37f, "3ffff495182a6bba9a5f", "40008000000000000000", "3ffecee661a66dfe4be2", 0x20],
];

Deno.test("FPATAN Zen atan: round-6 hold-outs that need g = R68(r^2), t = R68(r g) and the refitted P", () => {
  assertReproduced(ROUND6);
});

// Round-9 hold-outs (probe.c; tools/x87-transc/atan8_tiny.py gen -20 1500 2.5 0x9B01 and
// gen -24 1000 2.5 0x9B03, recorded after Q's rounding was committed; README "FPATAN: Q's last
// sum, and t P rounded (round 9, fpatan9)"), not in tests/data/x87_vectors.txt.gz: ratios
// below 2^-19 aimed at d's cells that the model without Q's rounding gets wrong.
// [FCW, x, y, result, FSW & 0x220]
const ROUND9: Recorded[] = [
  [0x77f, "3fff804691bc67427b8a", "3febf6830e92942031df", "3febf5fb70ffe1419ec3", 0x20],
  [0x77f, "3fff807fbb812c20e1e0", "3febfdb14facdc6210eb", "3febfcb521c5b3ede144", 0x20],
  [0x77f, "3fff809e85a0c27e30ab", "3febeb74fcd44c8b8890", "3febea52ca029ed8b4db", 0x20],
  [0x77f, "3fff80a0223a473ffde2", "3febf66979f4e67fddf7", "3febf536b401b615dc13", 0x20],
  [0x77f, "3fff8005e3eaee83bc2d", "3fe7b04d45c928935f84", "3fe7b04529375e6bb2a1", 0x20],
  [0x77f, "3fff8064c5c401debdcd", "3fe7c7e589e77648ade7", "3fe7c748a53f6447c024", 0x20],
  [0x77f, "3fff8077d27a86f33d48", "3fe7fcc8dbe2e4c7555d", "3fe7fbdd163073106168", 0x20],
  [0x77f, "3fff8195575b5a9482e6", "3fe7f326a1405662af45", "3fe7f02e0ba4c86238ba", 0x20],
];

Deno.test("FPATAN Zen atan: round-9 tiny ratios that need Q's last sum rounded at the host's scale", () => {
  assertReproduced(ROUND9, (r) => r < 2 ** -ATAN_Q_LIMIT_LOG2);
});

// Round-10 hold-outs (probe.c; tools/x87-transc/atan8_tiny.py gen -E 1000 2.5 with seeds 0xE011 ..
// 0xE014 for E = 11 .. 14 and 0xD016, 0xD017 for E = 16, 17, recorded after the round-10 model was
// committed; README "FPATAN: P's and Q's last sums (round 10, fpatan10)"), not in
// tests/data/x87_vectors.txt.gz: ratios aimed at d's cells that the round-9 model gets wrong.
// [FCW, x, y, result, FSW & 0x220]
const ROUND10: Recorded[] = [
  [0xb7f, "3fffa39bf9f876f77862", "3ff4e348681bc5f61bbe", "3ff4b1d0a98917f875b4", 0x220],
  [0x77f, "3fff82237e9a69aeec41", "3ff4e1e342463afeb85b", "3ff4de2ceef564791eae", 0x20],
  [0xb7f, "3fff8806e37929487434", "3ff3c5e43e7987978800", "3ff3ba36cbb3b3280ac4", 0x220],
  [0x77f, "3fff8a2e6ea49b92a4cf", "3ff3fa2098dccf2fa8cb", "3ff3e7b2977fc13008af", 0x20],
  [0x77f, "3fff835ba064697ef344", "3ff2dae89d3720a76aaf", "3ff2d5500a92228bb53a", 0x20],
  [0x77f, "3fff82fed4d25f677f07", "3ff2fb806965e7fdb72d", "3ff2f5c026978d55df98", 0x20],
  [0x77f, "3fff83ab893fee0c4eed", "3ff1fedeac81cd38d54d", "3ff1f7c40a9c7d846360", 0x20],
  [0x77f, "3fff82b603e42e2df2cf", "3ff1c9e3d54d4f710d1c", "3ff1c5b3e3e8ecb93d58", 0x20],
  [0x77f, "3fffb9c3afefd0674e3a", "3fefd8d69b3327c07048", "3fef95694bb4f674d1bc", 0x20],
  [0xb7f, "3fff8f3519bc732b6e66", "3fefee3ee1462737cf1d", "3fefd4f22957275eb851", 0x220],
  [0x77f, "3fff94f108027a7c3121", "3feef02852dbff6bc53b", "3feece640bbdc8e07adb", 0x20],
  [0x77f, "3fffa4751d9e4ddc799f", "3feec5ddba05bd81f3a8", "3fee9a00a3bf80cd0b32", 0x20],
];

Deno.test("FPATAN Zen atan: round-10 ratios below 2^-10 that need the host's P68, N and Q68", () => {
  assertReproduced(ROUND10, (r) => r < 2 ** -ATAN_Q_LIMIT_LOG2);
});
