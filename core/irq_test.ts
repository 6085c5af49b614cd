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

Deno.test("irq: two drivers of one line are wired-OR", () => {
  const r = new IrqRouter(16);
  const seen: string[] = [];
  r.addChip({ setIrq: (n, l) => seen.push(`${n}:${l ? 1 : 0}`) });
  const a = r.line(5, "A");
  const b = r.line(5, "B");
  assert.equal(r.line(5, "A"), a); // one driver per owner and line
  a.set(true);
  b.set(false); // B never asserted: A still holds the line
  assert.equal(r.level(5), true);
  b.set(true); // already high: no edge
  a.set(false); // B still holds it
  assert.equal(r.level(5), true);
  b.set(false);
  assert.equal(r.level(5), false);
  assert.deepEqual(seen, ["5:1", "5:0"]);
  // A pulse while another driver holds the line makes no edge.
  a.set(true);
  b.pulse();
  assert.deepEqual(seen, ["5:1", "5:0", "5:1"]);
});

Deno.test("irq: save/load keeps each driver's level", () => {
  const r = new IrqRouter(4);
  const a = r.line(1, "A");
  const b = r.line(1, "B");
  a.set(true);
  const saved = r.save();
  assert.deepEqual(saved, ["A#1"]);
  const r2 = new IrqRouter(4);
  r2.load(saved); // before the device asked for its driver
  const a2 = r2.line(1, "A");
  assert.equal(r2.level(1), true);
  a2.set(false); // the restored driver really was the one holding it
  assert.equal(r2.level(1), false);
  b.set(false);
  assert.throws(() => r.line(1.5), RangeError);
  assert.throws(() => r.line(-1), /IRQ -1 does not exist \(0\.\.3\)/);
  assert.throws(() => r2.load(["X#9"]), RangeError);
});
