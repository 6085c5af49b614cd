/**
 * `deno task fuzz` promises to run many times more of every fuzz, property
 * and differential test (`tests/fuzz_scale.ts`): each test file that reads
 * one of the scaling knobs must be on the task's command line.
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const KNOBS = /fuzz_scale\.ts|NESTVM_CPU_FUZZ_RUNS|NESTVM_ALU_ENGINE|NESTVM_FUZZ/;

async function* testFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".") || e.name === "node_modules" || e.name === "guests") continue;
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* testFiles(path);
    else if (e.name.endsWith("_test.ts")) yield path;
  }
}

Deno.test("deno task fuzz runs every test file that scales with it", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const task: string = config.tasks.fuzz;
  const words = new Set(task.split(/\s+/));
  const missing: string[] = [];
  let scaled = 0;
  for await (const path of testFiles(ROOT.replace(/\/$/, ""))) {
    if (!KNOBS.test(await Deno.readTextFile(path))) continue;
    scaled++;
    const rel = relative(ROOT, path);
    if (!words.has(rel) && rel !== "tests/fuzz_task_test.ts") missing.push(rel);
  }
  assert.ok(scaled >= 10, `found ${scaled} scaled test files`);
  assert.deepEqual(
    missing,
    [],
    "test files that scale with NESTVM_FUZZ but are not in the fuzz task",
  );
});
