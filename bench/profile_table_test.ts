import assert from "node:assert/strict";
import { selfTimeTable } from "./profile_table.ts";

const frame = (functionName: string, url: string, lineNumber: number) => ({
  functionName,
  url,
  lineNumber,
});

Deno.test("selfTimeTable: nodes of one function are summed, most samples first, paths made relative", () => {
  const rows = selfTimeTable({
    nodes: [
      { id: 1, callFrame: frame("(root)", "", -1) },
      { id: 2, callFrame: frame("walk", "file:///r/mm/walk.ts", 44) },
      { id: 3, callFrame: frame("walk", "file:///r/mm/walk.ts", 44) }, // another call path
      { id: 4, callFrame: frame("", "file:///elsewhere/x.ts", 0) },
    ],
    samples: [2, 3, 3, 4, 1, 2],
  }, "file:///r/");
  assert.deepEqual(rows, [
    { name: "walk", where: "mm/walk.ts:45", samples: 4, share: 4 / 6 },
    { name: "(anonymous)", where: "file:///elsewhere/x.ts:1", samples: 1, share: 1 / 6 },
    { name: "(root)", where: "", samples: 1, share: 1 / 6 },
  ]);
});

Deno.test("selfTimeTable: no samples gives no rows", () => {
  assert.deepEqual(selfTimeTable({ nodes: [], samples: [] }), []);
});

Deno.test("bench/profile.ts profiles a whole run (the demo) and writes a .cpuprofile", async () => {
  const out = await Deno.makeTempFile({ suffix: ".cpuprofile" });
  const script = new URL("./profile.ts", import.meta.url).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "--seconds", "60", "--top", "5", "--out", out, "--", "--demo"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(r.stdout);
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  assert.match(text, /ok 13 - CR4\.VMXE cleared after VMXOFF/, "the demo ran to its end");
  const m = /profile: (\d+) samples/.exec(text);
  assert.ok(m && Number(m[1]) > 0, text);
  const profile = JSON.parse(await Deno.readTextFile(out));
  assert.equal(profile.samples.length, Number(m![1]));
  assert.ok(selfTimeTable(profile).length > 0);
  await Deno.remove(out);
});
