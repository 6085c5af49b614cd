/**
 * Two-step hypotheses for FPTAN, FSIN, FCOS and FSINCOS: after the reduction
 * with the 66-bit pi (t = x - n pi66/2, exact), the microcode keeps t in p
 * bits, and/or computes sin t and cos t as p-bit internals (rounded to
 * nearest or truncated) that are divided (FPTAN) or returned (FSIN/FCOS),
 * rounded once more with the rounding control. Prints mismatch counts
 * (results, then C1 where the result agrees) per variant and p.
 *
 * Usage (`--file` reads another recording): deno run -A tools/x87-transc/trig.ts [fptan|fsin|fcos|fsincos]...
 *
 * @module
 */

import { fileArg, loadFile } from "./analyze.ts";
import { final, type Mode, roundBits } from "./twostep.ts";
import * as ref from "./reference.ts";
import type { Operand, Real } from "./reference.ts";

/** sin t and cos t of the reduced argument (exact reals). */
function reduced(x: Operand, tBits: number, tMode: Mode): { sin: Real; cos: Real } {
  const t0 = ref.trig(x, ref.piBits(66));
  if (tBits === 0) return { sin: t0.sin, cos: t0.cos };
  // Recompute from the reduced argument kept in tBits bits: t = x - n pi66/2.
  const pi = ref.piBits(66);
  let n = 0n, T = x.m, te = x.e - 63;
  if (x.e >= -2) {
    const xs = x.m << BigInt(x.e - 62 + pi.frac);
    n = (xs + (pi.int >> 1n)) / pi.int;
    T = xs - n * pi.int;
    te = -pi.frac - 1;
  }
  if (T === 0n) return { sin: t0.sin, cos: t0.cos };
  const tr = roundBits({ s: T < 0n ? 1 : 0, num: T < 0n ? -T : T, den: 1n, exp2: te }, tBits, tMode)
    .r;
  // t' = tr, passed to trig() unnormalized (value m * 2^(e - 63) holds for any m; |t'| < pi/4 gives n = 0).
  const op: Operand = { s: tr.s, e: tr.exp2 + 63, m: tr.num };
  const t = ref.trig(op, ref.piBits(66)); // |t'| < pi/4: no further reduction
  const q = Number(n & 3n), neg = x.s;
  const flip = (r: Real, s: number): Real => ({ ...r, s: r.s ^ s });
  // sin x = [sin t, cos t, -sin t, -cos t][q], cos x = [cos t, -sin t, -cos t, sin t][q]
  const sin = [t.sin, t.cos, flip(t.sin, 1), flip(t.cos, 1)][q];
  const cos = [t.cos, flip(t.sin, 1), flip(t.cos, 1), t.sin][q];
  return { sin: flip(sin, neg), cos };
}

function div(a: Real, b: Real): Real {
  return { s: a.s ^ b.s, num: a.num * b.den, den: a.den * b.num, exp2: a.exp2 - b.exp2 };
}

if (import.meta.main) {
  const ops = fileArg(Deno.args).rest.length > 0
    ? fileArg(Deno.args).rest
    : ["fptan", "fsin", "fcos", "fsincos"];
  const vectors = await loadFile(fileArg(Deno.args).file);
  for (const op of ops) {
    const list = vectors.filter((v) => v.op.name === op);
    for (const tBits of [0, 66, 67, 68]) {
      for (const fMode of ["none", "nearest", "trunc"] as const) {
        for (const p of fMode === "none" ? [0] : [64, 65, 66, 67, 68, 69, 70, 72]) {
          let n = 0, bad = 0, badC1 = 0;
          for (const v of list) {
            const x = ref.operand(v.a);
            if (x === null || x.e >= 63) continue;
            const sc = reduced(x, tBits, "nearest");
            const r = (v: Real) => fMode === "none" ? v : roundBits(v, p, fMode).r;
            const outs: [Real, string][] = [];
            if (op === "fptan") outs.push([div(r(sc.sin), r(sc.cos)), v.regs[1]]);
            if (op === "fsin") outs.push([r(sc.sin), v.regs[0]]);
            if (op === "fcos") outs.push([r(sc.cos), v.regs[0]]);
            if (op === "fsincos") outs.push([r(sc.sin), v.regs[1]], [r(sc.cos), v.regs[0]]);
            let k = 0;
            for (const [val, reg] of outs) {
              const o = final(val, (v.fcw >> 10) & 3);
              const h = ref.operand(reg);
              if (o === null || h === null || o.e < -16382) continue;
              n++;
              if (o.m !== h.m || o.e !== h.e || o.s !== h.s) bad++;
              else if (k === 0 && o.up !== ((v.fsw & 0x200) !== 0)) badC1++;
              k++;
            }
          }
          console.log(
            `${op} t${tBits || "exact"} sin/cos ${fMode}${
              p ? " p=" + p : ""
            }: ${bad}+${badC1}/${n}`,
          );
        }
      }
    }
  }
}
