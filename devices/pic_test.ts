import assert from "node:assert/strict";
import { createPic } from "./pic.ts";
import { FakeMachine } from "./testing.ts";

/** Program both PICs as a PC BIOS does: vectors 0x20/0x28, cascade on IRQ2. */
function initPics(m: FakeMachine, { aeoi = false, mask = [0, 0] } = {}): void {
  m.out(0x20, 0x11);
  m.out(0x21, 0x20);
  m.out(0x21, 0x04);
  m.out(0x21, aeoi ? 0x03 : 0x01);
  m.out(0xa0, 0x11);
  m.out(0xa1, 0x28);
  m.out(0xa1, 0x02);
  m.out(0xa1, 0x01);
  m.out(0x21, mask[0]);
  m.out(0xa1, mask[1]);
}

function setup() {
  const m = new FakeMachine().load(createPic());
  initPics(m);
  return m;
}

Deno.test("pic: installs exactly one interrupt source", () => {
  const m = setup();
  assert.equal(m.cpu.setSourceCalls, 1);
  assert.notEqual(m.cpu.source, null);
});

Deno.test("pic: IMR reads back, IRR/ISR via OCW3", () => {
  const m = setup();
  m.out(0x21, 0xa5);
  assert.equal(m.in(0x21), 0xa5);
  m.out(0x21, 0x00);
  m.setIrq(1, true);
  m.out(0x20, 0x0a); // read IRR
  assert.equal(m.in(0x20), 0x02);
  assert.equal(m.inta(), 0x21);
  assert.equal(m.in(0x20), 0x00);
  m.out(0x20, 0x0b); // read ISR
  assert.equal(m.in(0x20), 0x02);
  m.out(0x20, 0x20); // EOI
  assert.equal(m.in(0x20), 0x00);
});

Deno.test("pic: edge IRQ0 raises INTR, acknowledge gives vector, EOI clears ISR", () => {
  const m = setup();
  assert.equal(m.intr(), false);
  const before = m.cpu.stateChangedCalls;
  m.setIrq(0, true);
  assert.ok(m.cpu.stateChangedCalls > before);
  assert.equal(m.intr(), true);
  assert.equal(m.inta(), 0x20);
  assert.equal(m.intr(), false);
  m.setIrq(0, false);
  m.setIrq(0, true); // second edge while in service: held in IRR
  assert.equal(m.intr(), false);
  m.out(0x20, 0x20);
  assert.equal(m.intr(), true);
  assert.equal(m.inta(), 0x20);
});

Deno.test("pic: a held level does not retrigger an edge IRQ", () => {
  const m = setup();
  m.setIrq(3, true);
  assert.equal(m.inta(), 0x23);
  m.out(0x20, 0x20);
  m.setIrq(3, true);
  assert.equal(m.intr(), false);
});

Deno.test("pic: priority, masking and nesting", () => {
  const m = setup();
  m.setIrq(5, true);
  m.setIrq(3, true);
  assert.equal(m.inta(), 0x23);
  assert.equal(m.intr(), false); // 5 is lower than in-service 3
  m.setIrq(1, true);
  assert.equal(m.inta(), 0x21); // 1 preempts 3
  m.out(0x20, 0x20); // EOI 1
  m.out(0x20, 0x20); // EOI 3
  m.out(0x21, 0x20); // mask 5
  assert.equal(m.intr(), false);
  m.out(0x21, 0x00);
  assert.equal(m.inta(), 0x25);
});

Deno.test("pic: cascade delivers slave IRQs through IRQ2", () => {
  const m = setup();
  m.setIrq(8 + 4, true); // IRQ12
  assert.equal(m.intr(), true);
  assert.equal(m.inta(), 0x2c);
  m.out(0xa0, 0x0b);
  assert.equal(m.in(0xa0), 0x10);
  m.out(0x20, 0x0b);
  assert.equal(m.in(0x20), 0x04);
  m.out(0xa0, 0x20);
  m.out(0x20, 0x20);
  assert.equal(m.in(0x20), 0);
  m.out(0xa1, 0x10); // masking on the slave hides it from the master
  m.setIrq(12, false);
  m.setIrq(12, true);
  assert.equal(m.intr(), false);
});

Deno.test("pic: spurious IRQ7 (no ISR bit, withdrawn level request)", () => {
  const m = setup();
  assert.equal(m.inta(), 0x27);
  m.out(0x20, 0x0b);
  assert.equal(m.in(0x20), 0, "spurious IRQ7 sets no ISR bit");
  // Slave request withdrawn (level mode) after master saw it.
  m.out(0x4d1, 0x02); // IRQ9 level
  m.setIrq(9, true);
  assert.equal(m.intr(), true);
  m.setIrq(9, false);
  assert.equal(m.intr(), false);
  assert.equal(m.inta(), 0x27);
});

Deno.test("pic: specific EOI and rotation", () => {
  const m = setup();
  m.setIrq(4, true);
  m.setIrq(6, true);
  assert.equal(m.inta(), 0x24);
  m.out(0x20, 0x60 | 4); // specific EOI 4
  assert.equal(m.inta(), 0x26);
  m.out(0x20, 0xe0 | 6); // rotate on specific EOI: 6 becomes lowest
  m.setIrq(6, false);
  m.setIrq(6, true);
  m.setIrq(4, false);
  m.setIrq(4, true);
  m.setIrq(7, true);
  assert.equal(m.inta(), 0x27); // 7 is now highest priority
  m.out(0x20, 0xc0 | 3); // set priority: 3 lowest, 4 highest
  m.out(0x20, 0x20);
  assert.equal(m.inta(), 0x24);
});

Deno.test("pic: auto-EOI leaves ISR clear", () => {
  const m = new FakeMachine().load(createPic());
  initPics(m, { aeoi: true });
  m.setIrq(0, true);
  assert.equal(m.inta(), 0x20);
  m.out(0x20, 0x0b);
  assert.equal(m.in(0x20), 0);
  m.setIrq(0, false);
  m.setIrq(0, true);
  assert.equal(m.inta(), 0x20);
});

Deno.test("pic: level-triggered via ELCR follows the line", () => {
  const m = setup();
  m.out(0x4d1, 0x08); // IRQ11 level
  assert.equal(m.in(0x4d1), 0x08);
  m.out(0x4d0, 0xff);
  assert.equal(m.in(0x4d0), 0xf8, "IRQ0-2 cannot be level");
  m.setIrq(11, true);
  assert.equal(m.inta(), 0x2b);
  m.out(0xa0, 0x20);
  m.out(0x20, 0x20);
  assert.equal(m.intr(), true, "still asserted: requests again");
  m.setIrq(11, false);
  assert.equal(m.intr(), false);
});

Deno.test("pic: poll mode", () => {
  const m = setup();
  m.setIrq(5, true);
  m.out(0x20, 0x0c);
  assert.equal(m.in(0x20), 0x85);
  m.out(0x20, 0x0c);
  assert.equal(m.in(0x20), 0x00);
});

Deno.test("pic: special mask mode lets lower priorities through", () => {
  const m = setup();
  m.setIrq(1, true);
  assert.equal(m.inta(), 0x21);
  m.out(0x21, 0x02); // mask IRQ1 (in service)
  m.out(0x20, 0x68); // set special mask
  m.setIrq(5, true);
  assert.equal(m.inta(), 0x25);
});

Deno.test("pic: state round-trip and reset", () => {
  const m = setup();
  m.out(0x21, 0x3c);
  m.setIrq(0, true);
  const p = m.plugins[0];
  const s = JSON.parse(JSON.stringify(p.saveState!()));
  const m2 = new FakeMachine().load(createPic());
  m2.plugins[0].loadState!(s);
  assert.equal(m2.in(0x21), 0x3c);
  assert.equal(m2.inta(), 0x20);
  p.reset!();
  assert.equal(m.in(0x21), 0);
  assert.equal(m.intr(), false);
});

Deno.test("pic: special fully nested mode lets a higher slave IRQ through while IRQ2 is in service", () => {
  for (const sfnm of [false, true]) {
    const m = new FakeMachine().load(createPic());
    m.out(0x20, 0x11);
    m.out(0x21, 0x20);
    m.out(0x21, 4);
    m.out(0x21, sfnm ? 0x11 : 0x01);
    m.out(0xa0, 0x11);
    m.out(0xa1, 0x28);
    m.out(0xa1, 2);
    m.out(0xa1, 1);
    m.setIrq(12, true);
    assert.equal(m.inta(), 0x2c);
    m.setIrq(9, true); // higher priority than 12 on the slave
    assert.equal(m.intr(), sfnm, `sfnm=${sfnm}`);
    if (sfnm) assert.equal(m.inta(), 0x29);
  }
});
