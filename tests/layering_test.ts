/**
 * Keeps the layering of DESIGN.md honest by reading import specifiers
 * (type imports and `import("...")` types included):
 *
 * - core/ imports nothing outside core/ (no cpu/, mm/, vmx/, devices/,
 *   plugins/, boot/...): the machine is composed through core's contracts;
 * - plugins do not import each other's internals: devices/ never reaches
 *   into vmx/ and vmx/ never into devices/.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Every .ts file under `dir` (relative to the repository root). */
function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of Deno.readDirSync(join(ROOT, d))) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else if (e.name.endsWith(".ts")) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

/** Relative import targets of `file`, resolved to repository paths (comments are skipped). */
export function importsOf(file: string, text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of code.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith(".")) continue;
    out.push(relative(ROOT, resolve(ROOT, dirname(file), spec)));
  }
  return out;
}

/** `file -> target` for every import of files under `dir` that lands in one of `forbidden`. */
function violations(dir: string, forbidden: (target: string) => boolean): string[] {
  const bad: string[] = [];
  for (const f of sources(dir)) {
    for (const t of importsOf(f, Deno.readTextFileSync(join(ROOT, f)))) {
      if (forbidden(t)) bad.push(`${f} -> ${t}`);
    }
  }
  return bad;
}

Deno.test("layering: the import scanner sees value, type, re-export and import() type imports", () => {
  const text = [
    `import { A } from "../cpu/a.ts";`,
    `import type { B } from "../mm/b.ts";`,
    `export * from "../vmx/c.ts";`,
    `export type { D } from '../devices/d.ts';`,
    `let x: import("../plugins/e.ts").E;`,
    `import "../boot/f.ts";`,
    `import { G } from "./g.ts";`,
    `import { H } from "node:assert";`,
    `/** import { I } from "../cpu/in_a_doc_comment.ts"; */`,
    `// import { J } from "../cpu/in_a_line_comment.ts";`,
  ].join("\n");
  assert.deepEqual(importsOf("core/x.ts", text), [
    "cpu/a.ts",
    "mm/b.ts",
    "vmx/c.ts",
    "devices/d.ts",
    "plugins/e.ts",
    "boot/f.ts",
    "core/g.ts",
  ]);
});

Deno.test("layering: core/ imports nothing outside core/ (type imports included)", () => {
  assert.deepEqual(violations("core", (t) => !t.startsWith("core/")), []);
});

Deno.test("layering: device plugins and the VMX plugin do not import each other", () => {
  assert.deepEqual(violations("devices", (t) => t.startsWith("vmx/")), []);
  assert.deepEqual(violations("vmx", (t) => t.startsWith("devices/")), []);
});
