import assert from "node:assert/strict";
import { bashWords } from "./shell.ts";

Deno.test("bashWords: the words bash makes, with command substitution and quotes", () => {
  assert.deepEqual(bashWords("10 `echo 5 6` '$(x)' \"a b\""), ["10", "5", "6", "$(x)", "a b"]);
  assert.deepEqual(bashWords("$(printf '')"), [], "no words");
  const now = Math.floor(Date.now() / 1000);
  const [t] = bashWords("`date +%s`") as string[];
  assert.ok(Math.abs(Number(t) - now) < 60, `date +%s gave ${t}`);
  const bad = bashWords("$(exit 3) 'open");
  assert.ok("error" in bad && /bash could not expand/.test(bad.error));
});
