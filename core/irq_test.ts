import assert from "node:assert/strict";
import { IrqRouter } from "./irq.ts";

Deno.test("irq: chips see level changes only, pulses as two edges", () => {
  const r = new IrqRouter(16);
  const seen: string[] = [];
  r.addChip({ setIrq: (n, l) => seen.push(`${n}:${l ? 1 : 0}`) });
  r.line(4).set(true);
  r.line(4).set(true);
  r.line(4).set(false);
  r.line(0).pulse();
  assert.deepEqual(seen, ["4:1", "4:0", "0:1", "0:0"]);
  assert.throws(() => r.line(16), RangeError);
});
