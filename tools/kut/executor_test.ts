import assert from "node:assert/strict";
import { runJob } from "./executor.ts";
Deno.test("runJob: argvAtStart makes the command when the job starts, and the result says what ran", async () => {
  let made = 0;
  const r = await runJob({
    argv: ["false"],
    argvAtStart: () => {
      made++;
      return ["echo", "made at start"];
    },
    timeoutSeconds: 30,
  });
  assert.equal(made, 1);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "made at start\n");
  assert.deepEqual(r.argv, ["echo", "made at start"]);
});
