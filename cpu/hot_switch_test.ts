/**
 * The run loop's switch (cpu/cpu.ts) calls hot handlers by dispatch id; the
 * ids come from the HOT table in cpu/dispatch.ts. The two are kept in step
 * by hand, so this test reads the switch and checks every `case N:` calls
 * the handler whose id is N, and every hot handler has its case.
 */
import assert from "node:assert/strict";
import { hotId } from "./dispatch.ts";
import type { Handler } from "./icache.ts";
import * as A from "./exec_alu.ts";
import * as C from "./exec_control.ts";
import * as D from "./exec_data.ts";
import * as F from "./hot_alu.ts";
import * as H from "./hot_mov_shift_jcc.ts";

const MODULES: Record<string, Record<string, unknown>> = { A, C, D, F, H };

Deno.test("run loop switch: every case calls the handler the HOT table gives that id", () => {
  const source = Deno.readTextFileSync(new URL("./cpu.ts", import.meta.url));
  const cases = [...source.matchAll(/case (\d+):\s*\n\s*([A-Z])\.(\w+)\(this, i\);/g)];
  assert.ok(cases.length >= 40, `found only ${cases.length} cases`);
  const ids = new Set<number>();
  for (const [, id, mod, name] of cases) {
    const h = MODULES[mod]?.[name] as Handler | undefined;
    assert.ok(typeof h === "function", `${mod}.${name} is not a handler`);
    assert.equal(hotId(h), Number(id), `case ${id} calls ${mod}.${name}`);
    ids.add(Number(id));
  }
  for (let id = 1; id <= Math.max(...ids); id++) assert.ok(ids.has(id), `no case for id ${id}`);
});
