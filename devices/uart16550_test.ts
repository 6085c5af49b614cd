import assert from "node:assert/strict";
import { createUart16550, parseUartOptions } from "./uart16550.ts";
import { FakeMachine } from "./testing.ts";

function setup(opts = {}) {
  const out: number[] = [];
  const uart = createUart16550({ output: (b) => out.push(...b), ...opts });
  const m = new FakeMachine().load(uart);
  return { m, uart, out };
}

Deno.test("uart: transmits THR writes to the sink", () => {
  const { m, out } = setup();
  for (const c of "hi\n") m.out(0x3f8, c.charCodeAt(0));
  assert.deepEqual(out, [0x68, 0x69, 0x0a]);
  assert.equal(m.in(0x3fd) & 0x60, 0x60); // THRE and TEMT
});

Deno.test("uart: DLAB switches offsets 0/1 to the divisor latch", () => {
  const { m, out } = setup();
  m.out(0x3fb, 0x83);
  m.out(0x3f8, 0x01);
  m.out(0x3f9, 0x02);
  assert.equal(m.in(0x3f8), 0x01);
  assert.equal(m.in(0x3f9), 0x02);
  m.out(0x3fb, 0x03);
  assert.equal(m.in(0x3f9), 0); // IER untouched
  assert.equal(m.in(0x3fb), 0x03);
  assert.deepEqual(out, []);
});

Deno.test("uart: scratch register reads back", () => {
  const { m } = setup();
  m.out(0x3ff, 0x5a);
  assert.equal(m.in(0x3ff), 0x5a);
});

Deno.test("uart: receive interrupt raises and lowers IRQ4", () => {
  const { m, uart } = setup();
  m.out(0x3f9, 0x01); // IER: RDA
  assert.equal(m.lineLevels.get(4), false);
  uart.input(new Uint8Array([0x41, 0x42]));
  assert.equal(m.lineLevels.get(4), true);
  assert.equal(m.in(0x3fa) & 0x0f, 0x04);
  assert.equal(m.in(0x3fd) & 1, 1);
  assert.equal(m.in(0x3f8), 0x41);
  assert.equal(m.lineLevels.get(4), true);
  assert.equal(m.in(0x3f8), 0x42);
  assert.equal(m.lineLevels.get(4), false);
  assert.equal(m.in(0x3f8), 0x42, "an empty RBR reads the last character again");
  assert.equal(m.in(0x3fd) & 1, 0);
  assert.equal(m.in(0x3fa), 0x01);
});

Deno.test("uart: THRE interrupt on enable, cleared by IIR read, re-armed by THR write", () => {
  const { m } = setup();
  m.out(0x3f9, 0x02);
  assert.equal(m.lineLevels.get(4), true);
  assert.equal(m.in(0x3fa) & 0x0f, 0x02);
  assert.equal(m.lineLevels.get(4), false);
  assert.equal(m.in(0x3fa) & 0x0f, 0x01);
  m.out(0x3f8, 0x20);
  assert.equal(m.lineLevels.get(4), true);
});

Deno.test("uart: FIFO trigger level and timeout indication", () => {
  const { m, uart } = setup();
  m.out(0x3fa, 0x81); // FIFO on, trigger 8
  m.out(0x3f9, 0x01);
  m.out(0x3fb, 0x03); // 8N1
  uart.input(new Uint8Array([1, 2, 3]));
  assert.equal(m.in(0x3fa), 0xc1, "below the trigger: no interrupt yet");
  // 9600 baud 8N1 (divisor 12): 10 bits = 1.0417 ms; timeout after 4 characters.
  m.advance(4.1e6);
  assert.equal(m.lineLevels.get(4), false);
  m.advance(0.1e6);
  assert.equal(m.lineLevels.get(4), true);
  assert.equal(m.in(0x3fa), 0xcc, "FIFO bits + character timeout");
  assert.equal(m.in(0x3f8), 1);
  assert.equal(m.lineLevels.get(4), false, "a read restarts the timeout");
  m.advance(4.2e6);
  assert.equal(m.in(0x3fa), 0xcc);
  uart.input(new Uint8Array([4, 5, 6, 7, 8, 9])); // 2 + 6 = 8
  assert.equal(m.in(0x3fa), 0xc4, "trigger level reached: data available at once");
  m.out(0x3fa, 0x83); // clear RX FIFO
  assert.equal(m.in(0x3fd) & 1, 0);
});

Deno.test("uart: host input beyond the FIFO waits in the backlog", () => {
  const { m, uart } = setup();
  m.out(0x3fa, 0x01);
  uart.input(new Uint8Array(20).map((_, i) => i));
  assert.equal(uart.pendingInput, 20, "nothing moves until the guest looks");
  assert.equal(m.in(0x3fd) & 1, 1);
  assert.equal(uart.pendingInput, 4, "the FIFO takes 16");
  const got: number[] = [];
  while (m.in(0x3fd) & 1) got.push(m.in(0x3f8));
  assert.deepEqual(got, [...Array(20).keys()]);
});

Deno.test("uart: loopback sends TX to RX and maps MCR to MSR", () => {
  const { m, out } = setup();
  m.out(0x3fc, 0x10 | 0x0b); // loop + OUT2 + RTS + DTR
  m.out(0x3f8, 0x77);
  assert.deepEqual(out, []);
  assert.equal(m.in(0x3f8), 0x77);
  assert.equal(m.in(0x3fe) & 0xf0, 0xb0); // DCD, DSR, CTS
  m.out(0x3fc, 0x10);
  assert.equal(m.in(0x3fe), 0x0b); // deltas DDCD, DDSR, DCTS
  assert.equal(m.in(0x3fe), 0x00);
});

Deno.test("uart: overrun in loopback sets OE, cleared by LSR read", () => {
  const { m } = setup();
  m.out(0x3fc, 0x10);
  m.out(0x3f8, 1);
  m.out(0x3f8, 2);
  assert.equal(m.in(0x3fd) & 0x03, 0x03);
  assert.equal(m.in(0x3fd) & 0x02, 0);
});

Deno.test("uart: COM2 options and string parsing", () => {
  assert.deepEqual(parseUartOptions({ iobase: "0x2f8", irq: "3" }), { iobase: 0x2f8, irq: 3 });
  assert.throws(() => parseUartOptions({ iobase: "zz" }), /not an integer/);
  assert.throws(() => parseUartOptions({ bogus: "1" }), /unknown option/);
  const byBase = new FakeMachine().load(createUart16550({ iobase: 0x2f8 }));
  byBase.out(0x2f9, 0x02);
  assert.equal(byBase.lineLevels.get(3), true, "0x2f8 gets COM2's IRQ 3");
  const uart = createUart16550({ com: 2 });
  assert.equal(uart.name, "uart16550@0x2f8");
  const m = new FakeMachine().load(uart);
  assert.ok(m.hasPort(0x2f8));
  m.out(0x2f9, 0x02);
  assert.equal(m.lineLevels.get(3), true);
});

Deno.test("uart: loading two on the same ports is a conflict naming both", () => {
  const m = new FakeMachine().load(createUart16550());
  assert.throws(
    () => m.load(createUart16550({ iobase: 0x3fc })),
    /uart16550@0x3fc.*uart16550@0x3f8/,
  );
});

Deno.test("uart: save/load state round-trips and reset clears", () => {
  const { m, uart } = setup();
  m.out(0x3ff, 0x11);
  m.out(0x3f9, 0x01);
  uart.input(new Uint8Array([9]));
  const s = uart.saveState!();
  const { m: m2, uart: u2 } = setup();
  u2.loadState!(JSON.parse(JSON.stringify(s)));
  assert.equal(m2.in(0x3ff), 0x11);
  assert.equal(m2.in(0x3f8), 9);
  uart.reset!();
  assert.equal(m.in(0x3ff), 0);
  assert.equal(m.lineLevels.get(4), false);
  assert.throws(() => uart.loadState!({ version: 99, data: {} }), /version/);
});

Deno.test("uart: host input queued before the driver resets the FIFO is not lost", () => {
  const { m, uart } = setup();
  uart.input(new TextEncoder().encode("hi"));
  m.out(0x3fa, 0xc7); // FIFO enable + clear RX/TX, as drivers do at init
  m.out(0x3f9, 0x01);
  m.advance(5e6); // below trigger 14: the character timeout reports the data
  assert.equal(m.lineLevels.get(4), true);
  assert.equal(m.in(0x3f8), 0x68);
  assert.equal(m.in(0x3f8), 0x69);
  assert.equal(m.in(0x3fd) & 1, 0);
});

Deno.test("uart: loopback disconnects the host line", () => {
  const { m, uart } = setup();
  m.out(0x3fc, 0x10);
  uart.input(new Uint8Array([1, 2]));
  assert.equal(m.in(0x3fd) & 1, 0, "host bytes wait while in loopback");
  m.out(0x3fc, 0x00);
  assert.equal(m.in(0x3fd) & 1, 1);
  assert.equal(m.in(0x3f8), 1);
});
