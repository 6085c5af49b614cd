/**
 * The plugin author's guide (docs/plugin-guide.md) is executable: its
 * `ts file=NAME` code blocks are written to a scratch directory (with the
 * package name pointing at this checkout) and its test file is run.
 */
import assert from "node:assert/strict";

const GUIDE = new URL("../docs/plugin-guide.md", import.meta.url);
const MOD = new URL("../mod.ts", import.meta.url).href;

/** The guide's named code blocks. */
function codeBlocks(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of markdown.matchAll(/^```ts file=(\S+)\n([\s\S]*?)^```$/gm)) out.set(m[1], m[2]);
  return out;
}

Deno.test("plugin guide: its plugin and test run as written", async () => {
  const blocks = codeBlocks(await Deno.readTextFile(GUIDE));
  assert.deepEqual([...blocks.keys()], ["countdown.ts", "countdown_test.ts"]);
  const dir = await Deno.makeTempDir({ prefix: "nestvm-guide-" });
  try {
    for (const [name, code] of blocks) {
      await Deno.writeTextFile(`${dir}/${name}`, code.replaceAll('"@nestvm/nestvm"', `"${MOD}"`));
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-config", `${dir}/countdown_test.ts`],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    assert.match(text, /ok \| 2 passed \| 0 failed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
