/**
 * The PIT behaviour Linux's fast TSC calibration relies on
 * (quick_pit_calibrate): channel 2 gated on through port 0x61, mode 0 with
 * lobyte/hibyte access and 0xffff loaded, then unlatched reads alternating
 * LSB and MSB; the MSB must step down by one every 256 PIT clocks of virtual
 * time, with the LSB counting down in between.
 */
import assert from "node:assert/strict";
import { createPit, PIT_HZ } from "./pit.ts";
import { createPort61 } from "./port61.ts";
import { FakeMachine } from "./testing.ts";

const TICK_NS = 1e9 / PIT_HZ;

Deno.test("pit+port61: Linux's quick PIT calibration sees the MSB step every 256 clocks", () => {
  const m = new FakeMachine().load(createPit(), createPort61());
  m.out(0x61, (m.in(0x61) & ~0x02) | 0x01);
  m.out(0x43, 0xb0);
  m.out(0x42, 0xff);
  m.out(0x42, 0xff);
  const read = (): number => {
    const lsb = m.in(0x42);
    return (m.in(0x42) << 8) | lsb;
  };
  m.advance(TICK_NS * 2); // the count is loaded on the next clock
  const first = read();
  assert.ok(first <= 0xffff && first >= 0xfff0, first.toString(16));
  // Poll as the kernel does (each poll ~ a few hundred ns) and record when the MSB changes.
  const steps: number[] = [];
  let msb = first >> 8;
  let last = first;
  const t0 = m.clock.now;
  while (steps.length < 20) {
    m.advance(300);
    const v = read();
    assert.ok(v <= last, `count went up: ${last.toString(16)} -> ${v.toString(16)}`);
    last = v;
    if (v >> 8 !== msb) {
      assert.equal(v >> 8, msb - 1, "the MSB steps by one");
      msb = v >> 8;
      steps.push(m.clock.now - t0);
    }
  }
  for (let k = 1; k < steps.length; k++) {
    const dt = steps[k] - steps[k - 1];
    assert.ok(Math.abs(dt - 256 * TICK_NS) <= 300, `MSB period ${dt} ns`);
  }
  assert.equal(m.in(0x61) & 0x20, 0, "OUT stays low in mode 0 before terminal count");
});
