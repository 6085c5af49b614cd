/**
 * Replays a vector recording (the committed file or one made with
 * `X87_TRANSC_EXTRA=N X87_SEED=S tools/x87-vectors/record.sh out.gz`)
 * through the engine on the recording host's CPU model and counts, per
 * transcendental instruction, the finite-operand cases whose result or C1
 * differs: the figures quoted in README.md for recorded and hold-out sets.
 *
 * Usage: deno run -A tools/x87-transc/replay.ts [--file vectors.txt.gz] [--list OP] [--exact]
 *
 * `--list OP` prints OP's differing cases with the operand's exponent;
 * `--exact` replays on the engine's default CPU model instead, whose
 * transcendentals are all correctly rounded (the baseline).
 *
 * @module
 */

import { parseX87Vectors, type X87Vector } from "../../tests/data/x87_vectors.ts";
import { diffX87, recordingModel, X87Replayer } from "../../tests/x87_vectors_engine.ts";

const TRANSC = ["f2xm1", "fyl2x", "fyl2xp1", "fpatan", "fsin", "fcos", "fsincos", "fptan"];

const BINARY = ["fyl2x", "fyl2xp1", "fpatan"];

/** FYL2XP1 is defined only for |x| < 1 - sqrt(2)/2 (as in tests/x87_vectors_test.ts). */
function outsideDefinedRange(h: string): boolean {
  const x = parseInt(h.slice(0, 4), 16) & 0x7fff;
  const hi = parseInt(h.slice(4, 12), 16);
  return x > 0x3ffd || (x === 0x3ffd && hi >= 0x95f61998);
}

/** A finite, normal or denormal 80-bit operand (no NaN, infinity, zero or unnormal). */
function finite(h: string): boolean {
  const x = parseInt(h.slice(0, 4), 16) & 0x7fff;
  const top = parseInt(h[4], 16) >= 8;
  const zero = /^0+$/.test(h.slice(4));
  return x !== 0x7fff && !zero && (x === 0 || top);
}

async function load(file: string): Promise<{ cpu: string[]; vectors: X87Vector[] }> {
  const gz = await Deno.readFile(file);
  const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"));
  return parseX87Vectors(await new Response(stream).text());
}

if (import.meta.main) {
  const args = [...Deno.args];
  let file = new URL("../../tests/data/x87_vectors.txt.gz", import.meta.url).pathname;
  let list = "";
  let exact = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--file") file = args[++i];
    else if (args[i] === "--list") list = args[++i];
    else if (args[i] === "--exact") exact = true;
  }
  const data = await load(file);
  const r = new X87Replayer(exact ? undefined : recordingModel(data.cpu));
  const count = new Map<string, { n: number; result: number; c1: number }>();
  for (const v of data.vectors) {
    if (!TRANSC.includes(v.op.name) || !finite(v.a)) continue;
    if (BINARY.includes(v.op.name) && !finite(v.b)) continue;
    if (v.op.name === "fyl2xp1" && outsideDefinedRange(v.a)) continue;
    const c = count.get(v.op.name) ?? { n: 0, result: 0, c1: 0 };
    c.n++;
    count.set(v.op.name, c);
    const o = r.run(v);
    const d = diffX87(v, o);
    if (d === "") continue;
    const regsDiffer = v.regs.some((x, i) => x !== o.regs[i]);
    if (regsDiffer) c.result++;
    else c.c1++;
    if (v.op.name === list) {
      const e = (parseInt(v.a.slice(0, 4), 16) & 0x7fff) - 16383;
      console.log(`${v.op.name} fcw=${v.fcw.toString(16)} a=${v.a} (e ${e}) b=${v.b}: ${d}`);
    }
  }
  for (const op of TRANSC) {
    const c = count.get(op);
    if (c) console.log(`${op}: ${c.n} finite cases, ${c.result} results + ${c.c1} C1-only differ`);
  }
}
