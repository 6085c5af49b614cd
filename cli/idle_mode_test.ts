import assert from "node:assert/strict";
import { idleModeFor } from "./idle_mode.ts";

Deno.test("idle mode: --idle wins; unset, only a terminal feeding COM1 waits", () => {
  assert.equal(idleModeFor("skip", true, true), "skip");
  assert.equal(idleModeFor("wait", false, false), "wait");
  assert.equal(idleModeFor(undefined, true, true), "wait");
  assert.equal(idleModeFor(undefined, true, false), "skip", "piped stdin stays deterministic");
  assert.equal(idleModeFor(undefined, false, true), "skip", "no COM1 input");
});
