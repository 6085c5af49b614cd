import assert from "node:assert/strict";
import { createI8042 } from "./i8042.ts";
import { FakeMachine } from "./testing.ts";

function readAll(m: FakeMachine): number[] {
  const out: number[] = [];
  while (m.in(0x64) & 1) out.push(m.in(0x60));
  return out;
}

Deno.test("i8042: self test, interface tests and the command byte", () => {
  const m = new FakeMachine().load(createI8042());
  assert.equal(m.in(0x64) & 1, 0, "output buffer empty after power-on");
  m.out(0x64, 0xaa);
  assert.deepEqual(readAll(m), [0x55]);
  assert.equal(m.in(0x64) & 0x04, 0x04, "system flag");
  m.out(0x64, 0xab);
  m.out(0x64, 0xa9);
  assert.deepEqual(readAll(m), [0x00, 0x02]);
  m.out(0x64, 0x20);
  assert.deepEqual(readAll(m), [0x45]);
  m.out(0x64, 0x60);
  m.out(0x60, 0x74);
  m.out(0x64, 0x20);
  assert.deepEqual(readAll(m), [0x74]);
  m.out(0x64, 0xae);
  m.out(0x64, 0x20);
  assert.deepEqual(readAll(m), [0x64]);
  assert.deepEqual(m.stops, []);
});

Deno.test("i8042: the auxiliary loopback answers as keyboard data (no mouse port)", () => {
  const m = new FakeMachine().load(createI8042());
  m.out(0x64, 0xd3);
  m.out(0x60, 0x5a);
  assert.equal(m.in(0x64) & 0x21, 0x01, "OBF set, AUXDATA clear");
  assert.equal(m.in(0x60), 0x5a);
});

Deno.test("i8042: keyboard reset and identify (translated ID while XLATE is set)", () => {
  const m = new FakeMachine().load(createI8042());
  m.out(0x60, 0xff);
  assert.deepEqual(readAll(m), [0xfa, 0xaa]);
  m.out(0x60, 0xf2);
  assert.deepEqual(readAll(m), [0xfa, 0xab, 0x41]);
  m.out(0x64, 0x60);
  m.out(0x60, 0x05);
  m.out(0x60, 0xf2);
  assert.deepEqual(readAll(m), [0xfa, 0xab, 0x83]);
  m.out(0x60, 0xed);
  m.out(0x60, 0x07);
  assert.deepEqual(readAll(m), [0xfa, 0xfa]);
});

Deno.test("i8042: IRQ 1 follows a full output buffer while the command byte enables it", () => {
  const m = new FakeMachine().load(createI8042());
  m.out(0x60, 0xee);
  assert.equal(m.lineLevels.get(1), true);
  assert.equal(m.in(0x60), 0xee);
  assert.equal(m.lineLevels.get(1), false);
  m.out(0x64, 0x60);
  m.out(0x60, 0x44); // interrupts off
  m.out(0x60, 0xee);
  assert.equal(m.lineLevels.get(1), false);
});

Deno.test("i8042: 0xFE pulses the reset line; output port bit 0 low resets too", () => {
  const m = new FakeMachine().load(createI8042());
  m.out(0x64, 0xff); // pulse nothing
  assert.deepEqual(m.stops, []);
  m.out(0x64, 0xfe);
  assert.deepEqual(m.stops, [{ kind: "reset" }]);
  m.out(0x64, 0xd1);
  m.out(0x60, 0x02);
  assert.deepEqual(m.stops, [{ kind: "reset" }, { kind: "reset" }]);
  m.out(0x64, 0xd0);
  assert.deepEqual(readAll(m), [0x03]);
});

Deno.test("i8042: state survives save/load", () => {
  const a = new FakeMachine().load(createI8042());
  a.out(0x64, 0x60);
  a.out(0x60, 0x61);
  a.out(0x60, 0xf2);
  const s = a.plugins[0].saveState!();
  const b = new FakeMachine().load(createI8042());
  b.plugins[0].loadState!(JSON.parse(JSON.stringify(s)));
  assert.deepEqual(readAll(b), [0xfa, 0xab, 0x41]);
  b.out(0x64, 0x20);
  assert.deepEqual(readAll(b), [0x61]);
});
