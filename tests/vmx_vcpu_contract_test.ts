/**
 * The VMX plugin reaches the vCPU only through core's declared contract
 * (core/vcpu.ts, core/vcpu_vmx.ts): no casts of the vCPU, no optional
 * members probed on it, no imports from the CPU engine, and no side door
 * (the retired non-root hook) into vmx/.
 */
import assert from "node:assert/strict";

const VMX = new URL("../vmx/", import.meta.url);

async function* sources(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* sources(u);
    else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) yield u;
  }
}

/** Forbidden patterns, each with why. */
const RULES: readonly [RegExp, string][] = [
  [/\bas\s+unknown\s+as\b/, "double cast"],
  [/\bas\s+(Cpu|Vcpu|VcpuX)\b/, "cast to a vCPU type"],
  [/\b(vcpu|v|cpu|x)\s+as\s+[{A-Z]/, "cast of the vCPU"],
  [/from\s+"(\.\.\/)+cpu\//, "import from the CPU engine"],
  [/\b(vcpu|v|cpu)\.\w+\s*[!=]==\s*undefined/, "optional-member probing on the vCPU"],
  [/\b(vcpu|v|cpu)(\.\w+)?\?\./, "optional chaining on the vCPU"],
  [/\bnonRootHook\b|\bNonRootHook\b/, "the retired side door"],
];

/** Every violation in `text` as "line: why". */
export function violations(text: string): string[] {
  const out: string[] = [];
  text.split("\n").forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, "");
    if (/^\s*\*/.test(code)) return; // doc comment
    for (const [re, why] of RULES) if (re.test(code)) out.push(`${i + 1}: ${why}: ${line.trim()}`);
  });
  return out;
}

Deno.test("vcpu contract: the rules catch what they are meant to catch", () => {
  assert.equal(violations("const x = n.vcpu as { dbPending?: number };").length, 1);
  assert.equal(violations("if (v.tscOffset !== undefined) v.tscOffset = 0;").length, 1);
  assert.equal(violations("const p = v.pctx?.pdpte;").length, 1);
  assert.equal(violations('import type { Cpu } from "../../cpu/cpu.ts";').length, 1);
  assert.equal(violations("const c = vmx.vcpu as unknown as Foo;").length, 1);
  assert.equal(violations("vcpu.nonRootHook = null;").length, 1);
  assert.deepEqual(violations("v.tscOffset += n.l2TscDelta;"), []);
  assert.deepEqual(violations(" * as unknown as in a doc comment"), []);
});

Deno.test("vcpu contract: vmx/ (non-test sources) uses the vCPU only through core's interface", async () => {
  const found: string[] = [];
  let files = 0;
  for await (const u of sources(VMX)) {
    files++;
    const rel = u.pathname.slice(VMX.pathname.length);
    for (const v of violations(await Deno.readTextFile(u))) found.push(`vmx/${rel}:${v}`);
  }
  assert.ok(files > 30, `scanned ${files} files`);
  assert.deepEqual(found, []);
});
