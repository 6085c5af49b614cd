/**
 * Replays every vector recorded on real hardware (tests/data/alu_vectors.txt,
 * recorder in tools/alu-vectors/) through cpu/alu and compares results and
 * flags.
 *
 * Two checks per vector:
 * 1. architectural: results and every flag the SDM defines; flags listed by
 *    `undefinedFlags` (cpu/alu/undefined_flags.ts, a documented table) are
 *    excluded, as are results the SDM leaves undefined (`undefinedResult`).
 * 2. same CPU: when the vectors were recorded on the CPU family the ALU
 *    models exactly (AMD family 25, the "amd-zen" vendor profile, chosen
 *    from the file's header as a vCPU chooses it from its model),
 *    everything is compared, undefined flags and undefined results
 *    included.
 * The architectural check also runs under every other vendor profile
 * (cpu/alu/vendor_flags.ts): they differ only where the SDM says undefined.
 * Also checks `cond()` against the materialized flags for all 16 conditions.
 */
import assert from "node:assert/strict";
import { Alu } from "../cpu/alu/alu.ts";
import { ARITH_FLAGS } from "../cpu/alu/flags.ts";
import { replay } from "./data/alu_replay.ts";
import { type AluMnemonic, undefinedFlags, undefinedResult } from "../cpu/alu/undefined_flags.ts";
import {
  type AluVector,
  loadAluVectors,
  parseAluVectors,
  recordingModel,
} from "./data/alu_vectors.ts";
import {
  AMD_ZEN,
  INTEL_CORE2,
  INTEL_NETBURST,
  INTEL_P6,
  type VendorFlags,
  vendorFlagsOf,
} from "../cpu/alu/vendor_flags.ts";

const FLAG_NAMES: [number, string][] = [
  [0x1, "CF"],
  [0x4, "PF"],
  [0x10, "AF"],
  [0x40, "ZF"],
  [0x80, "SF"],
  [0x800, "OF"],
];

function flagNames(m: number): string {
  return FLAG_NAMES.filter(([b]) => (m & b) !== 0).map(([, n]) => n).join("|");
}

const file = loadAluVectors();
const vectors = file.vectors;
/** The vendor profile of the recording CPU, as a vCPU with its model would choose it. */
const recorded = vendorFlagsOf(recordingModel(file));
/** The profile reproduces this CPU family exactly (AMD family 19h = 25). */
const sameCpu = recorded === AMD_ZEN && file.cpu["cpu family"] === "25";

function hex(lo: number, hi: number): string {
  return hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, "0");
}

/** Run all vectors; collect up to a few failures per (op, kind) group. */
function check(
  strict: boolean,
  list: AluVector[] = vectors,
  vendor: VendorFlags = recorded,
): { failures: string[]; groups: Map<string, number>; n: number } {
  const alu = new Alu(vendor);
  const failures: string[] = [];
  const groups = new Map<string, number>();
  let n = 0;
  for (const v of list) {
    const o = replay(alu, v);
    n++;
    const op = v.op as AluMnemonic;
    const count = v.op === "shld" || v.op === "shrd" || v.op.length === 3 && v.op[0] === "r" ||
        v.op === "shl" || v.op === "shr" || v.op === "sar"
      ? v.cLo
      : 0;
    const mask = strict ? ARITH_FLAGS : ARITH_FLAGS & ~undefinedFlags(op, v.size, count);
    const resUndef = !strict && undefinedResult(op, v.size, count, v.aLo | v.aHi);
    const problems: string[] = [];
    if (
      !resUndef &&
      (o.r1Lo !== v.r1Lo || o.r1Hi !== v.r1Hi || o.r2Lo !== v.r2Lo || o.r2Hi !== v.r2Hi)
    ) {
      problems.push(
        `result ${hex(o.r1Lo, o.r1Hi)},${hex(o.r2Lo, o.r2Hi)} want ${hex(v.r1Lo, v.r1Hi)},${
          hex(v.r2Lo, v.r2Hi)
        }`,
      );
      groups.set(`${v.op}/${v.size} result`, (groups.get(`${v.op}/${v.size} result`) ?? 0) + 1);
    }
    const diff = (o.flags ^ v.fout) & mask;
    if (diff !== 0) {
      problems.push(
        `flags ${o.flags.toString(16)} want ${v.fout.toString(16)} (${flagNames(diff)})`,
      );
      const key = `${v.op}/${v.size} ${flagNames(diff)}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    if (o.badCond >= 0) {
      problems.push(`cond(${o.badCond}) disagrees with the flags`);
      groups.set(`${v.op} cond`, (groups.get(`${v.op} cond`) ?? 0) + 1);
    }
    if (problems.length > 0 && failures.length < 40) {
      failures.push(
        `line ${v.line}: ${v.op} size ${v.size} fin ${v.fin.toString(16)} a ${
          hex(v.aLo, v.aHi)
        } b ${hex(v.bLo, v.bHi)} c ${hex(v.cLo, v.cHi)}: ${problems.join("; ")}`,
      );
    }
  }
  return { failures, groups, n };
}

function report(r: { failures: string[]; groups: Map<string, number> }): string {
  const g = [...r.groups].sort((a, b) => b[1] - a[1]).map(([k, c]) => `  ${k}: ${c}`);
  return `mismatch groups:\n${g.join("\n")}\nfirst failures:\n${r.failures.join("\n")}`;
}

Deno.test("alu vectors: file is present and large", () => {
  assert.ok(vectors.length > 50000, `only ${vectors.length} vectors`);
  assert.ok(file.cpu["vendor_id"], "missing # cpu: header");
});

Deno.test("alu vectors: results and SDM-defined flags match the hardware", () => {
  const r = check(false);
  assert.equal(r.groups.size, 0, report(r));
});

for (const v of [AMD_ZEN, INTEL_P6, INTEL_CORE2, INTEL_NETBURST]) {
  Deno.test(`alu vectors: the ${v.name} profile keeps every SDM-defined flag and result`, () => {
    const r = check(false, vectors, v);
    assert.equal(r.groups.size, 0, report(r));
  });
}

/**
 * Where each Intel profile departs from the AMD recording on the recorded
 * inputs, per instruction (every size): the flags that differ somewhere,
 * and "result" for a differing undefined result. Spelled out from the table
 * in cpu/alu/vendor_flags.ts, so a profile that changes nothing (or too
 * much) fails here.
 */
const DEPARTS: Record<string, Record<string, string>> = {
  "intel-p6": {
    "aaa": "SF OF",
    "aas": "OF SF PF",
    "bsf bsr": "CF PF AF SF OF",
    "daa das": "OF",
    "div idiv": "PF AF ZF SF",
    "rol ror": "OF",
    "shl shr sar": "AF OF",
    // SHLD's top bits come from b in both 16-bit strings, so its SF agrees.
    "shld": "CF PF AF ZF OF result",
    "shrd": "CF PF AF ZF SF OF result",
  },
  "intel-netburst": {
    "aaa": "ZF SF OF",
    "aas": "PF ZF SF OF",
    "daa das": "OF",
    "div idiv": "PF AF ZF SF",
    "mul imul1 imul": "PF AF ZF SF",
    "shl shr sar shld shrd": "AF",
  },
};
DEPARTS["intel-core2"] = DEPARTS["intel-p6"];

for (const v of [INTEL_P6, INTEL_CORE2, INTEL_NETBURST]) {
  Deno.test(`alu vectors: the ${v.name} profile departs from the recording exactly where documented`, () => {
    const alu = new Alu(v);
    const got = new Map<string, Set<string>>();
    for (const x of vectors) {
      const o = replay(alu, x);
      const names = FLAG_NAMES.filter(([b]) => ((o.flags ^ x.fout) & b) !== 0).map(([, n]) => n);
      if (o.r1Lo !== x.r1Lo || o.r1Hi !== x.r1Hi || o.r2Lo !== x.r2Lo || o.r2Hi !== x.r2Hi) {
        names.push("result");
      }
      if (names.length === 0) continue;
      const set = got.get(x.op) ?? new Set<string>();
      for (const n of names) set.add(n);
      got.set(x.op, set);
    }
    const order = [...FLAG_NAMES.map(([, n]) => n), "result"];
    const want = new Map<string, string>();
    for (const [ops, flags] of Object.entries(DEPARTS[v.name])) {
      const sorted = flags.split(" ").sort((a, b) => order.indexOf(a) - order.indexOf(b));
      for (const op of ops.split(" ")) want.set(op, sorted.join(" "));
    }
    const have = new Map(
      [...got].map(([op, set]) => [op, order.filter((n) => set.has(n)).join(" ")]),
    );
    assert.deepEqual(Object.fromEntries(have), Object.fromEntries(want));
  });
}

Deno.test("alu vectors: the recording CPU's model selects the AMD profile", () => {
  assert.equal(recorded, AMD_ZEN, `header ${JSON.stringify(file.cpu)}`);
});

Deno.test({
  name: "alu vectors: undefined flags and results match the recording CPU",
  ignore: !sameCpu,
  fn: () => {
    const r = check(true);
    assert.equal(r.groups.size, 0, report(r));
  },
});

Deno.test("alu vectors: every instruction and size is covered", () => {
  const seen = new Set(vectors.map((v) => `${v.op}/${v.size}`));
  const want: [string, number[]][] = [
    ["add", [1, 2, 4, 8]],
    ["adc", [1, 2, 4, 8]],
    ["sub", [1, 2, 4, 8]],
    ["sbb", [1, 2, 4, 8]],
    ["cmp", [1, 2, 4, 8]],
    ["and", [1, 2, 4, 8]],
    ["or", [1, 2, 4, 8]],
    ["xor", [1, 2, 4, 8]],
    ["test", [1, 2, 4, 8]],
    ["inc", [1, 2, 4, 8]],
    ["dec", [1, 2, 4, 8]],
    ["neg", [1, 2, 4, 8]],
    ["not", [1, 2, 4, 8]],
    ["mul", [1, 2, 4, 8]],
    ["imul1", [1, 2, 4, 8]],
    ["imul", [2, 4, 8]],
    ["div", [1, 2, 4, 8]],
    ["idiv", [1, 2, 4, 8]],
    ["shl", [1, 2, 4, 8]],
    ["shr", [1, 2, 4, 8]],
    ["sar", [1, 2, 4, 8]],
    ["rol", [1, 2, 4, 8]],
    ["ror", [1, 2, 4, 8]],
    ["rcl", [1, 2, 4, 8]],
    ["rcr", [1, 2, 4, 8]],
    ["shld", [2, 4, 8]],
    ["shrd", [2, 4, 8]],
    ["bt", [2, 4, 8]],
    ["bts", [2, 4, 8]],
    ["btr", [2, 4, 8]],
    ["btc", [2, 4, 8]],
    ["bsf", [2, 4, 8]],
    ["bsr", [2, 4, 8]],
    ["tzcnt", [2, 4, 8]],
    ["lzcnt", [2, 4, 8]],
    ["popcnt", [2, 4, 8]],
    ["bswap", [2, 4, 8]],
    ["xadd", [1, 2, 4, 8]],
    ["cmpxchg", [1, 2, 4, 8]],
    ["setcc", [1]],
    ["daa", [1]],
    ["das", [1]],
    ["aaa", [1]],
    ["aas", [1]],
    ["aam", [1]],
    ["aad", [1]],
  ];
  const missing = want.flatMap(([op, sizes]) =>
    sizes.filter((s) => !seen.has(`${op}/${s}`)).map((s) => `${op}/${s}`)
  );
  assert.deepEqual(missing, []);
});

function gccWorks(): boolean {
  try {
    return new Deno.Command("gcc", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const canRecord = Deno.build.os === "linux" && Deno.build.arch === "x86_64" && gccWorks();

Deno.test({
  name: "alu vectors: re-recording on this machine reproduces the committed data",
  ignore: !canRecord,
  fn: () => {
    const dir = Deno.makeTempDirSync();
    try {
      const out = `${dir}/alu_vectors.txt`;
      const script = new URL("../tools/alu-vectors/record.sh", import.meta.url).pathname;
      const r = new Deno.Command("sh", { args: [script, out], stdout: "piped", stderr: "piped" })
        .outputSync();
      assert.ok(r.success, new TextDecoder().decode(r.stderr));
      const text = Deno.readTextFileSync(out);
      const fresh = parseAluVectors(text);
      // Without 32-bit compatibility mode (ia32_emulation=0) the recorder skips the BCD ops.
      const noBcd = text.includes("# note: no 32-bit compatibility mode");
      const bcd = (l: string) => /^(daa|das|aaa|aas|aam|aad) /.test(l);
      const want = noBcd ? vectors.filter((v) => !bcd(v.op + " ")).length : vectors.length;
      assert.equal(fresh.vectors.length, want, "same inputs, same number of vectors");
      const here = `${fresh.cpu["vendor_id"]}/${fresh.cpu["cpu family"]}/${fresh.cpu["model"]}`;
      const there = `${file.cpu["vendor_id"]}/${file.cpu["cpu family"]}/${file.cpu["model"]}`;
      if (here === there) {
        // Same CPU model: every output must be identical.
        const body = (t: string) =>
          t.split("\n").filter((l) => !l.startsWith("#") && !(noBcd && bcd(l))).join("\n");
        const committed = Deno.readTextFileSync(new URL("./data/alu_vectors.txt", import.meta.url));
        assert.ok(body(text) === body(committed), `re-recorded vectors differ on ${here}`);
      } else {
        // Another CPU: the architecturally defined part must still match the ALU.
        const c = check(false, fresh.vectors);
        assert.equal(c.groups.size, 0, `on ${here}: ` + report(c));
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

/**
 * The flags excluded from the architectural check, per instruction, as the
 * vectors exercise them (union over all vectors and counts). Spelled out
 * here so that a change to cpu/alu/undefined_flags.ts is a visible,
 * deliberate change to this test too. "OF*" etc. mark exclusions that apply
 * only to some counts: none for a masked count of 0 (flags unchanged); AF
 * for any other count; OF unless the count is 1; SHL/SHR CF when the count
 * is at least the width; SHLD/SHRD every flag when the count exceeds the
 * width (16-bit operands).
 */
const EXCLUDED: Record<string, string> = {
  "add adc sub sbb cmp neg inc dec not xadd cmpxchg popcnt bswap setcc": "",
  "and or xor test": "AF",
  "mul imul1 imul": "PF|AF|ZF|SF",
  "div idiv": "CF|PF|AF|ZF|SF|OF",
  "shl shr": "CF*|AF*|OF*",
  "sar": "AF*|OF*",
  "rol ror rcl rcr": "OF*",
  "shld shrd": "CF*|PF*|AF*|ZF*|SF*|OF*",
  "bt bts btr btc": "PF|AF|SF|OF",
  "bsf bsr": "CF|PF|AF|SF|OF",
  "tzcnt lzcnt": "PF|AF|SF|OF",
  "daa das": "OF",
  "aaa aas": "PF|ZF|SF|OF",
  "aam aad": "CF|AF|OF",
};

Deno.test("alu vectors: the excluded (architecturally undefined) flags are exactly the documented table", () => {
  // For each op: flags excluded for every vector, and flags excluded for some.
  const always = new Map<string, number>();
  const some = new Map<string, number>();
  for (const v of vectors) {
    const count = ["shl", "shr", "sar", "rol", "ror", "rcl", "rcr", "shld", "shrd"].includes(v.op)
      ? v.cLo
      : 0;
    const u = undefinedFlags(v.op as AluMnemonic, v.size, count);
    always.set(v.op, (always.get(v.op) ?? ARITH_FLAGS) & u);
    some.set(v.op, (some.get(v.op) ?? 0) | u);
  }
  const names: [number, string][] = [
    [0x1, "CF"],
    [0x4, "PF"],
    [0x10, "AF"],
    [0x40, "ZF"],
    [0x80, "SF"],
    [0x800, "OF"],
  ];
  const describe = (op: string): string =>
    names.filter(([b]) => ((some.get(op) ?? 0) & b) !== 0)
      .map(([b, n]) => ((always.get(op) ?? 0) & b) !== 0 ? n : n + "*").join("|");
  const got: Record<string, string> = {};
  for (const ops of Object.keys(EXCLUDED)) {
    const descs = new Set(ops.split(" ").map(describe));
    got[ops] = [...descs].join(" / ");
  }
  assert.deepEqual(got, EXCLUDED);
  // every op in the file is in the table
  const listed = new Set(Object.keys(EXCLUDED).flatMap((k) => k.split(" ")));
  assert.deepEqual([...always.keys()].filter((op) => !listed.has(op)), []);
});
