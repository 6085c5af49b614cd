import assert from "node:assert/strict";
import { FakeMachine } from "./testing.ts";
import { createPit, PIT_HZ } from "./pit.ts";
import { createPort61 } from "./port61.ts";
import { createLapic } from "./lapic.ts";

Deno.test("device time moves with retired instructions inside a run slice", () => {
  const m = new FakeMachine().load(createPit(), createPort61());
  m.out(0x61, 1);
  m.out(0x43, 0xb0); // ch2 mode 0
  m.out(0x42, 100);
  m.out(0x42, 0);
  // No run-loop update happens while the vCPU retires instructions.
  let polls = 0;
  while ((m.in(0x61) & 0x20) === 0 && polls < 100000) {
    m.cpu.retired += 10; // a 10-instruction polling loop at 1 ns each
    polls++;
  }
  const ns = polls * 10;
  const expected = (101 * 1e9) / PIT_HZ;
  assert.ok(Math.abs(ns - expected) < 20, `terminal count after ${ns} ns (expected ~${expected})`);
  assert.equal(m.clock.now, ns, "the clock follows retired instructions");
});

Deno.test("device time: the LAPIC current count decreases within a slice, exact again at clock updates", () => {
  const m = new FakeMachine().load(createLapic());
  m.write(0xfee000f0, 0x1ff);
  m.write(0xfee003e0, 0xb);
  m.write(0xfee00380, 1_000_000);
  const c1 = m.read(0xfee00390);
  m.cpu.retired += 1000;
  const c2 = m.read(0xfee00390);
  assert.equal(c1 - c2, 1000);
  m.advance(4000); // 4000 ns idle on top: 5000 ns since the count started
  assert.equal(m.read(0xfee00390), 1_000_000 - 5000);
});
