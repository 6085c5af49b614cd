import assert from "node:assert/strict";
import { createPit, PIT_HZ, pitTickAt, pitTimeOfTick } from "./pit.ts";
import { createPort61 } from "./port61.ts";
import { createPic } from "./pic.ts";
import { FakeMachine } from "./testing.ts";

const TICK_NS = 1e9 / PIT_HZ; // ~838.1 ns

function setup() {
  const pit = createPit();
  const m = new FakeMachine().load(pit, createPort61());
  return { m, pit };
}

/** Count rising edges of IRQ0 while advancing `ns` in small steps. */
function countEdges(m: FakeMachine, ns: number, step = 100): number {
  let edges = 0;
  let last = m.lineLevels.get(0) ?? false;
  const chip = {
    setIrq: (irq: number, level: boolean) => {
      if (irq === 0) {
        if (level && !last) edges++;
        last = level;
      }
    },
  };
  // Observe the line through a chip registered after the fact.
  const end = m.clock.now + ns;
  const origSet = m.setIrq.bind(m);
  m.setIrq = (irq, level) => {
    chip.setIrq(irq, level);
    origSet(irq, level);
  };
  while (m.clock.now + step <= end) m.advance(step);
  m.advance(end - m.clock.now);
  m.setIrq = origSet;
  return edges;
}

Deno.test("pit: tick/time conversions are exact and monotone", () => {
  assert.equal(pitTickAt(1e9), PIT_HZ);
  assert.equal(pitTickAt(3600e9 + 1), 3600 * PIT_HZ);
  for (const t of [0, 1, 2, 1193181, 1193182, 1e12 + 7]) {
    const ns = pitTimeOfTick(t);
    assert.equal(pitTickAt(ns), t);
    assert.equal(pitTickAt(ns - 1) < t || ns === 0, true);
  }
});

Deno.test("pit: mode 2 on channel 0 fires IRQ0 at 1193182/N Hz in virtual time", () => {
  const { m } = setup();
  m.out(0x43, 0x34); // ch0, lsb/msb, mode 2
  m.out(0x40, 1193 & 0xff);
  m.out(0x40, 1193 >> 8); // ~1000 Hz
  const edges = countEdges(m, 100e6, 10000); // 100 ms
  assert.ok(edges >= 99 && edges <= 101, `edges=${edges}`);
});

Deno.test("pit: mode 3 square wave period and counting by twos", () => {
  const { m, pit } = setup();
  m.out(0x43, 0x36);
  m.out(0x40, 100);
  m.out(0x40, 0);
  m.advance(TICK_NS * 1.5);
  assert.equal(pit.output(0), true);
  m.advance(TICK_NS * 50);
  assert.equal(pit.output(0), false);
  const edges = countEdges(m, 100 * TICK_NS * 10, 50);
  assert.ok(edges >= 9 && edges <= 11, `edges=${edges}`);
  m.out(0x43, 0x00); // latch ch0
  const lo = m.in(0x40), hi = m.in(0x40);
  const v = lo | (hi << 8);
  assert.ok(v <= 100 && v % 2 === 0, `count=${v}`);
});

Deno.test("pit: mode 0 one-shot raises OUT after N+1 clocks and stays high", () => {
  const { m, pit } = setup();
  m.out(0x43, 0x30);
  m.out(0x40, 10);
  assert.equal(pit.output(0), false);
  m.out(0x40, 0);
  m.advance(TICK_NS * 10);
  assert.equal(pit.output(0), false);
  assert.equal(m.lineLevels.get(0), false);
  m.advance(TICK_NS * 1.5);
  assert.equal(pit.output(0), true);
  assert.equal(m.lineLevels.get(0), true);
  m.advance(TICK_NS * 100000);
  assert.equal(pit.output(0), true);
  assert.equal(m.clock.pending, 0, "no timers once OUT is final");
});

Deno.test("pit: latch command freezes the read value", () => {
  const { m } = setup();
  m.out(0x43, 0x34);
  m.out(0x40, 0);
  m.out(0x40, 0); // 65536
  m.advance(TICK_NS * 1001);
  m.out(0x43, 0x00);
  m.advance(TICK_NS * 500);
  const v = m.in(0x40) | (m.in(0x40) << 8);
  assert.equal(v, 65536 - 1000);
  const live = m.in(0x40) | (m.in(0x40) << 8);
  assert.equal(live, 65536 - 1500);
});

Deno.test("pit: read-back status and count", () => {
  const { m } = setup();
  m.out(0x43, 0xb4); // ch2, lsb/msb, mode 2
  m.out(0x42, 0x10);
  m.out(0x42, 0x00);
  m.out(0x43, 0xc8); // read-back count+status of ch2
  const status = m.in(0x42);
  assert.equal(status & 0x3f, 0x34, "rw=3 mode=2 binary");
  assert.equal(status & 0x40, 0, "null count cleared after load");
  const v = m.in(0x42) | (m.in(0x42) << 8);
  assert.equal(v, 0x10, "gate low: count held at N");
});

Deno.test("pit: BCD counting reads back decimal digits", () => {
  const { m } = setup();
  m.out(0x43, 0x31); // ch0 lsb/msb mode 0 BCD
  m.out(0x40, 0x00);
  m.out(0x40, 0x10); // 1000 decimal
  m.advance(TICK_NS * 1.5 + TICK_NS * 1);
  m.out(0x43, 0x00);
  const v = m.in(0x40) | (m.in(0x40) << 8);
  assert.equal(v, 0x0999);
});

Deno.test("pit: lsb-only and msb-only access", () => {
  const { m } = setup();
  m.out(0x43, 0x50); // ch1, lsb only, mode 0
  m.out(0x41, 0x40);
  m.out(0x43, 0x40);
  assert.equal(m.in(0x41), 0x40);
  m.out(0x43, 0x60); // ch1, msb only
  m.out(0x41, 0x12);
  m.out(0x43, 0x40);
  assert.equal(m.in(0x41), 0x12);
});

Deno.test("pit+port61: channel 2 gate and output drive calibration loops", () => {
  const { m } = setup();
  m.out(0x61, (m.in(0x61) & ~0x02) | 0x01); // gate on, speaker off
  m.out(0x43, 0xb0); // ch2 lsb/msb mode 0
  const n = 11932; // ~10 ms
  m.out(0x42, n & 0xff);
  m.out(0x42, n >> 8);
  assert.equal(m.in(0x61) & 0x20, 0);
  let loops = 0;
  while ((m.in(0x61) & 0x20) === 0 && loops < 1e6) {
    m.advance(1000);
    loops++;
  }
  assert.ok(loops >= 9990 && loops <= 10010, `loops=${loops}`);
  assert.equal(m.in(0x61) & 0x01, 1);
});

Deno.test("pit+port61: gate low stops channel 2 in mode 0", () => {
  const { m } = setup();
  m.out(0x43, 0xb0);
  m.out(0x42, 100);
  m.out(0x42, 0);
  m.advance(TICK_NS * 1000);
  assert.equal(m.in(0x61) & 0x20, 0, "gate low: never reaches terminal count");
  m.out(0x61, 1);
  m.advance(TICK_NS * 102);
  assert.equal(m.in(0x61) & 0x20, 0x20);
});

Deno.test("port61: refresh bit toggles with virtual time", () => {
  const { m } = setup();
  const a = m.in(0x61) & 0x10;
  m.advance(15085);
  const b = m.in(0x61) & 0x10;
  assert.notEqual(a, b);
});

Deno.test("pit+pic: periodic IRQ0 reaches the CPU as vector 0x20", () => {
  const m = new FakeMachine().load(createPic(), createPit());
  for (
    const [p, v] of [
      [0x20, 0x11],
      [0x21, 0x20],
      [0x21, 4],
      [0x21, 1],
      [0xa0, 0x11],
      [0xa1, 0x28],
      [0xa1, 2],
      [0xa1, 1],
      [0x21, 0xfe],
    ]
  ) {
    m.out(p, v);
  }
  m.out(0x43, 0x34);
  m.out(0x40, 0x9c);
  m.out(0x40, 0x2e); // 11932: ~100 Hz
  let irqs = 0;
  for (let i = 0; i < 1000; i++) {
    m.advance(1e6); // 1 ms
    if (m.intr()) {
      assert.equal(m.inta(), 0x20);
      m.out(0x20, 0x20);
      irqs++;
    }
  }
  assert.ok(irqs >= 99 && irqs <= 101, `irqs=${irqs}`);
});

Deno.test("pit: dispose cancels timers; state round-trips", () => {
  const { m, pit } = setup();
  m.out(0x43, 0x34);
  m.out(0x40, 0x00);
  m.out(0x40, 0x10);
  assert.equal(m.clock.pending, 1);
  const s = JSON.parse(JSON.stringify(pit.saveState!()));
  const m2 = new FakeMachine().load(createPit());
  m2.plugins[0].loadState!(s);
  assert.equal(m2.clock.pending, 1);
  m.out(0x43, 0x00);
  m2.out(0x43, 0x00);
  assert.equal(m.in(0x40), m2.in(0x40));
  pit.dispose!();
  assert.equal(m.clock.pending, 0);
});

Deno.test("pit: mode 2 reprogrammed while running switches at the end of the period", () => {
  const { m, pit } = setup();
  m.out(0x43, 0x34);
  m.out(0x40, 100);
  m.out(0x40, 0); // period 100
  m.advance(TICK_NS * 31); // in the first period
  m.out(0x40, 40);
  m.out(0x40, 0); // new period 40, from the next reload
  m.out(0x43, 0x00);
  const v = m.in(0x40) | (m.in(0x40) << 8);
  assert.ok(v > 60 && v <= 71, `old count keeps running (${v})`);
  // First IRQ edge at the end of the old period (~101 ticks), then every 40.
  const edgesAt: number[] = [];
  let last = pit.output(0);
  for (let i = 0; i < 300; i++) {
    m.advance(TICK_NS);
    const o = pit.output(0);
    if (o && !last) edgesAt.push(Math.round(m.clock.now / TICK_NS));
    last = o;
  }
  assert.ok(edgesAt.length >= 6, `edges ${edgesAt}`);
  assert.ok(Math.abs(edgesAt[0] - 101) <= 1, `first edge at ${edgesAt[0]}`);
  assert.equal(edgesAt[1] - edgesAt[0], 40);
  assert.equal(edgesAt[2] - edgesAt[1], 40);
});

Deno.test("pit: a pending period change survives save/load", () => {
  const { m, pit } = setup();
  m.out(0x43, 0x34);
  m.out(0x40, 100);
  m.out(0x40, 0);
  m.advance(TICK_NS * 31);
  m.out(0x40, 40);
  m.out(0x40, 0);
  const s = JSON.parse(JSON.stringify(pit.saveState!()));
  const m2 = new FakeMachine().load(createPit());
  m2.advance(m.clock.now);
  m2.plugins[0].loadState!(s);
  m.advance(TICK_NS * 100);
  m2.advance(TICK_NS * 100);
  m.out(0x43, 0);
  m2.out(0x43, 0);
  assert.equal(m2.in(0x40), m.in(0x40));
  assert.equal(m2.in(0x40), m.in(0x40));
});

Deno.test("pit: mode 1 (hardware one-shot) waits for a gate edge, retriggers", () => {
  const { m, pit } = setup();
  m.out(0x43, 0xb2); // ch2 lsb/msb mode 1
  m.out(0x42, 10);
  m.out(0x42, 0);
  m.advance(TICK_NS * 50);
  assert.equal(pit.output(2), true, "OUT high until triggered");
  m.out(0x61, 1); // gate rising edge: trigger
  m.advance(TICK_NS * 5);
  assert.equal(pit.output(2), false, "OUT low while counting");
  m.out(0x61, 0);
  m.out(0x61, 1); // retrigger restarts the count
  m.advance(TICK_NS * 9);
  assert.equal(pit.output(2), false);
  m.advance(TICK_NS * 3);
  assert.equal(pit.output(2), true, "OUT high at terminal count");
  assert.equal(m.in(0x61) & 0x20, 0x20);
});

Deno.test("pit: mode 4 (software strobe) pulses OUT low for one clock", () => {
  const { m, pit } = setup();
  m.out(0x43, 0x38); // ch0 lsb/msb mode 4
  m.out(0x40, 20);
  m.out(0x40, 0);
  const lows: number[] = [];
  for (let i = 0; i < 40; i++) {
    m.advance(TICK_NS);
    if (!pit.output(0)) lows.push(i);
  }
  assert.equal(lows.length, 1, `one low clock (${lows})`);
  assert.ok(Math.abs(lows[0] - 20) <= 1, `strobe after N+1 clocks (${lows})`);
});

Deno.test("pit: mode 5 (hardware strobe) strobes N clocks after the gate edge", () => {
  const { m, pit } = setup();
  m.out(0x43, 0xba); // ch2 lsb/msb mode 5
  m.out(0x42, 10);
  m.out(0x42, 0);
  m.advance(TICK_NS * 30);
  assert.equal(pit.output(2), true, "no strobe without trigger");
  m.out(0x61, 1);
  const lows: number[] = [];
  for (let i = 0; i < 30; i++) {
    m.advance(TICK_NS);
    if (!pit.output(2)) lows.push(i);
  }
  assert.equal(lows.length, 1, `one strobe (${lows})`);
  assert.ok(Math.abs(lows[0] - 10) <= 1, `strobe at ${lows}`);
});

Deno.test("pit: mode 2 gate low forces OUT high and stops; rising gate reloads", () => {
  const { m, pit } = setup();
  m.out(0x61, 1);
  m.out(0x43, 0xb4); // ch2 mode 2
  m.out(0x42, 50);
  m.out(0x42, 0);
  m.advance(TICK_NS * 20.5);
  m.out(0x43, 0x80);
  const before = m.in(0x42) | (m.in(0x42) << 8);
  assert.ok(before >= 29 && before <= 31, `count ${before}`);
  m.out(0x61, 0);
  assert.equal(pit.output(2), true);
  m.advance(TICK_NS * 100);
  m.out(0x61, 1);
  m.advance(TICK_NS * 1.5);
  m.out(0x43, 0x80);
  const after = m.in(0x42) | (m.in(0x42) << 8);
  assert.ok(after >= 49 && after <= 50, `reloaded ${after}`);
});
