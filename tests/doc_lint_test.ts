/**
 * Every published entry point documents itself on its own: `deno doc
 * --lint` on each export of deno.json alone (not only all of them
 * together) finds no private type behind a public one and no missing
 * JSDoc.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
const entries = Object.values(config.exports as Record<string, string>);

for (const entry of entries) {
  Deno.test(`doc lint: ${entry} alone`, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["doc", "--lint", entry],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text.split("\n").filter((l) => l.startsWith("error")).join("\n"));
  });
}
