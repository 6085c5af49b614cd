import assert from "node:assert/strict";
import { createRtc, parseRtcOptions } from "./rtc.ts";
import { FakeMachine } from "./testing.ts";

function setup(epoch = Date.UTC(2025, 0, 1, 13, 59, 58) / 1000, ram = 256 * 1024 * 1024) {
  const rtc = createRtc({ epoch });
  const m = new FakeMachine(ram).load(rtc);
  const rd = (i: number) => {
    m.out(0x70, i);
    return m.in(0x71);
  };
  const wr = (i: number, v: number) => {
    m.out(0x70, i);
    m.out(0x71, v);
  };
  return { m, rtc, rd, wr };
}

Deno.test("rtc: BCD 24h time from the fixed epoch, advancing with virtual time", () => {
  const { m, rd } = setup();
  assert.deepEqual([rd(4), rd(2), rd(0)], [0x13, 0x59, 0x58]);
  assert.deepEqual([rd(7), rd(8), rd(9), rd(0x32), rd(6)], [0x01, 0x01, 0x25, 0x20, 0x04]); // Wed
  m.advance(2e9);
  assert.deepEqual([rd(4), rd(2), rd(0)], [0x14, 0x00, 0x00]);
});

Deno.test("rtc: binary and 12-hour modes", () => {
  const { rd, wr } = setup();
  wr(0x0b, 0x04); // binary, 12h
  assert.equal(rd(4), 0x80 | 1); // 1 PM
  assert.equal(rd(2), 59);
  wr(0x0b, 0x06);
  assert.equal(rd(4), 13);
});

Deno.test("rtc: SET mode freezes, writes take effect on release", () => {
  const { m, rd, wr } = setup();
  wr(0x0b, 0x82);
  wr(4, 0x08);
  wr(2, 0x30);
  wr(0, 0x00);
  m.advance(5e9);
  assert.equal(rd(0), 0x00, "frozen while SET");
  wr(0x0b, 0x02);
  m.advance(1.5e9);
  assert.deepEqual([rd(4), rd(2), rd(0)], [0x08, 0x30, 0x01]);
});

Deno.test("rtc: UIP is set only in the last 244us of each second", () => {
  const { m, rd } = setup();
  assert.equal(rd(0x0a) & 0x80, 0);
  m.advance(1e9 - 100000);
  assert.equal(rd(0x0a) & 0x80, 0x80);
  m.advance(200000);
  assert.equal(rd(0x0a) & 0x80, 0);
  assert.equal(rd(0x0a), 0x26);
});

Deno.test("rtc: periodic interrupt at 1024 Hz on IRQ8, cleared by reading C", () => {
  const { m, rd, wr } = setup();
  wr(0x0b, 0x42); // PIE
  let irqs = 0;
  for (let i = 0; i < 1000; i++) {
    m.advance(100000); // 0.1 ms
    if (m.lineLevels.get(8)) {
      const c = rd(0x0c);
      assert.equal(c & 0xc0, 0xc0);
      assert.equal(m.lineLevels.get(8), false);
      irqs++;
    }
  }
  assert.ok(irqs >= 101 && irqs <= 103, `irqs=${irqs}`); // 100 ms at 1024 Hz
});

Deno.test("rtc: rate 15 gives 2 Hz", () => {
  const { m, rd, wr } = setup();
  wr(0x0a, 0x2f);
  wr(0x0b, 0x42);
  let irqs = 0;
  for (let i = 0; i < 40; i++) {
    m.advance(100e6);
    if (m.lineLevels.get(8)) {
      rd(0x0c);
      irqs++;
    }
  }
  assert.equal(irqs, 8);
});

Deno.test("rtc: update-ended and alarm interrupts", () => {
  const { m, rd, wr } = setup();
  wr(0x0b, 0x12); // UIE
  m.advance(1.01e9);
  assert.equal(m.lineLevels.get(8), true);
  assert.equal(rd(0x0c) & 0xb0, 0x90, "IRQF+UF (PF may be set: it runs regardless of PIE)");
  wr(0x0b, 0x22); // AIE only
  wr(1, 0x05); // alarm at xx:xx:05 of any hour/minute
  wr(3, 0xff);
  wr(5, 0xff);
  m.advance(4e9);
  assert.equal(m.lineLevels.get(8), false, "14:00:03");
  m.advance(2e9);
  assert.equal(m.lineLevels.get(8), true);
  assert.equal(rd(0x0c) & 0xa0, 0xa0);
});

Deno.test("rtc: CMOS RAM, memory size bytes and register D", () => {
  const { rd, wr, rtc, m } = setup(undefined, 256 * 1024 * 1024);
  wr(0x40, 0x5a);
  assert.equal(rd(0x40), 0x5a);
  assert.equal(rd(0x15) | (rd(0x16) << 8), 640);
  assert.equal(rd(0x17) | (rd(0x18) << 8), 0xffff);
  assert.equal(rd(0x34) | (rd(0x35) << 8), (256 - 16) * 16);
  assert.equal(rd(0x0d), 0x80);
  let sum = 0;
  for (let i = 0x10; i <= 0x2d; i++) sum += rd(i);
  assert.equal((rd(0x2e) << 8) | rd(0x2f), sum, "CMOS checksum");
  wr(0x0c, 0xff);
  assert.equal(rd(0x0c) & 0x0f, 0);
  m.out(0x70, 0x8f);
  assert.equal(rtc.nmiMasked, true);
  m.out(0x70, 0x0f);
  assert.equal(rtc.nmiMasked, false);
});

Deno.test("rtc: state round-trip and options", () => {
  const { rtc, rd, wr } = setup();
  wr(0x50, 0x77);
  const s = JSON.parse(JSON.stringify(rtc.saveState!()));
  const other = setup(0);
  other.rtc.loadState!(s);
  assert.equal(other.rd(0x50), 0x77);
  assert.equal(other.rd(4), rd(4));
  assert.equal(parseRtcOptions({ base: "2000-01-01" }).epoch, 946684800);
  assert.throws(() => parseRtcOptions({ epoch: "x" }));
  const host = parseRtcOptions({ base: "host" }).epoch!;
  assert.ok(Math.abs(host - Date.now() / 1000) < 60);
  rtc.dispose!();
});

Deno.test("rtc: divider reset (register A 11x) stops the clock; the first update follows 500 ms after release", () => {
  const { m, rd, wr } = setup();
  m.advance(0.25e9);
  wr(0x0a, 0x66); // divider in reset
  assert.equal(rd(0x0a) & 0x70, 0x60);
  m.advance(5e9);
  assert.equal(rd(0), 0x58, "held");
  wr(0, 0x10); // set seconds while held
  wr(0x0a, 0x26);
  m.advance(0.49e9);
  assert.equal(rd(0), 0x10);
  m.advance(0.02e9);
  assert.equal(rd(0), 0x11);
});

Deno.test("rtc: S3 (suspend) keeps the time, the CMOS RAM and the alarm; a reset does not", () => {
  const { m, rtc, rd, wr } = setup();
  wr(0x40, 0x5a); // a CMOS byte the firmware or OS keeps
  wr(5, 0x14); // alarm at 14:00:05
  wr(3, 0x00);
  wr(1, 0x05);
  wr(0x0b, rd(0x0b) | 0x20); // AIE
  rtc.suspend!();
  m.advance(3e9);
  assert.deepEqual([rd(4), rd(2), rd(0)], [0x14, 0x00, 0x01], "kept time through the sleep");
  assert.deepEqual([rd(0x40), rd(1), rd(0x0b) & 0x20], [0x5a, 0x05, 0x20]);
  m.advance(3e9); // 14:00:04
  assert.notEqual(m.lineLevels.get(8), true);
  m.advance(1e9); // 14:00:05: the alarm fires on IRQ 8
  assert.equal(m.lineLevels.get(8), true);
  rtc.reset!();
  assert.deepEqual([rd(0x40), rd(1), rd(0x0b) & 0x20], [0, 0, 0], "power-on state");
});
