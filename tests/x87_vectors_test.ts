/**
 * Replays every x87 vector recorded on real hardware
 * (tests/data/x87_vectors.txt.gz, recorder in tools/x87-vectors/) through
 * the engine: the same instruction bytes run in 64-bit mode and the status
 * word, tag word, registers, memory operand and RFLAGS must be identical.
 *
 * Transcendental instructions (F2XM1, FSIN, FCOS, FSINCOS, FPTAN, FPATAN,
 * FYL2X, FYL2XP1): the engine rounds the exact result once; the recording
 * CPU's microcode is not correctly rounded in every case (e.g. its FPTAN(1)
 * is one unit above the correctly rounded tan 1). For those, a mismatch is
 * allowed only as a one-unit difference of the result with C1 (and the
 * precision/underflow flags that follow from that unit) differing, and the
 * number of such cases per instruction is capped at the figure measured
 * when this test was written, so any regression fails.
 */
import assert from "node:assert/strict";
import { loadX87Vectors, type X87Vector } from "./data/x87_vectors.ts";
import {
  diffX87,
  recordingModel,
  type X87Outcome,
  X87Replayer,
} from "./x87_vectors_engine.ts";

/** One-unit mismatches allowed per transcendental instruction (measured on the committed file). */
const NEAR_BUDGET: Record<string, number> = {
  f2xm1: 23,
  fsin: 3,
  fcos: 1,
  fsincos: 5,
  fptan: 193,
  fpatan: 42,
  fyl2x: 80,
  fyl2xp1: 55,
};

/**
 * FYL2XP1 is defined only for |ST(0)| < 1 - sqrt(2)/2 (SDM Vol. 2 FYL2XP1);
 * outside that range the recording CPU returns values unrelated to the
 * logarithm, so those vectors are counted, not compared.
 */
function outsideDefinedRange(v: X87Vector): boolean {
  if (v.op.name !== "fyl2xp1") return false;
  const x = parseInt(v.a.slice(0, 4), 16) & 0x7fff;
  const hi = parseInt(v.a.slice(4, 12), 16);
  if (x === 0x7fff || x === 0) return false;
  return x > 0x3ffd || (x === 0x3ffd && hi >= 0x95f61998);
}

/** Ordinal of a finite 80-bit encoding among values of its sign (one per representable step). */
function ordinal(h: string): bigint {
  const se = parseInt(h.slice(0, 4), 16) & 0x7fff;
  const m = BigInt("0x" + h.slice(4));
  if (se === 0) return m;
  return BigInt(se) * (1n << 63n) + (m - (1n << 63n));
}

/** True if the outcome differs from the vector only by one unit in results and in C1/PE/UE. */
function near(v: X87Vector, o: X87Outcome): boolean {
  if (o.fault >= 0 || (v.fsw & ~0x230) !== (o.fsw & ~0x230)) return false;
  if (v.memOut !== o.memOut || v.flags !== (o.flags & 0x8d5)) return false;
  for (let i = 0; i < 8; i++) {
    const a = v.regs[i], b = o.regs[i];
    if (a === b) continue;
    if (a === "-" || b === "-" || (parseInt(a[0], 16) >= 8) !== (parseInt(b[0], 16) >= 8)) {
      return false;
    }
    const d = ordinal(a) - ordinal(b);
    if (d !== 1n && d !== -1n) return false;
  }
  return true;
}

Deno.test("x87 vectors recorded on hardware replay bit-exactly", async () => {
  const data = await loadX87Vectors();
  assert.ok(data.vectors.length > 100000, `only ${data.vectors.length} vectors`);
  assert.ok(
    data.cpu.some((l) => l.includes("AuthenticAMD")),
    "recording CPU missing in the header",
  );
  const r = new X87Replayer(recordingModel(data.cpu));
  const exactFail: string[] = [];
  const nearCount = new Map<string, number>();
  const perOp = new Map<string, number>();
  let undefinedCount = 0;
  for (const v of data.vectors) {
    perOp.set(v.op.name, (perOp.get(v.op.name) ?? 0) + 1);
    if (outsideDefinedRange(v)) {
      undefinedCount++;
      continue;
    }
    const o = r.run(v);
    const d = diffX87(v, o);
    if (d === "") continue;
    if (v.op.name in NEAR_BUDGET && near(v, o)) {
      nearCount.set(v.op.name, (nearCount.get(v.op.name) ?? 0) + 1);
      continue;
    }
    if (exactFail.length < 20) {
      exactFail.push(
        `line ${v.line} ${v.op.name} fcw=${
          v.fcw.toString(16)
        } a=${v.a} b=${v.b} mem=${v.memIn}: ${d}`,
      );
    } else exactFail.push("");
  }
  assert.deepEqual(
    exactFail.filter((x) => x !== "").slice(0, 20),
    [],
    `${exactFail.length} vectors differ`,
  );
  for (const [op, n] of nearCount) {
    assert.ok(n <= NEAR_BUDGET[op], `${op}: ${n} one-unit differences (budget ${NEAR_BUDGET[op]})`);
  }
  console.log(
    `  ${data.vectors.length} vectors, ${perOp.size} operations, ${undefinedCount} FYL2XP1 ` +
      `operands outside its defined range not compared; one-unit differences: ` +
      [...nearCount].map(([k, n]) => `${k} ${n}/${perOp.get(k)}`).join(", "),
  );
});
