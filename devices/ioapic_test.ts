import assert from "node:assert/strict";
import { createIoapic } from "./ioapic.ts";
import { createLapic } from "./lapic.ts";
import { FakeMachine } from "./testing.ts";

const IO = 0xfec00000;
const LA = 0xfee00000;

function setup() {
  const m = new FakeMachine().load(createLapic(), createIoapic());
  m.write(LA + 0xf0, 0x1ff);
  const rte = (pin: number, low: number, high = 0) => {
    m.write(IO, 0x11 + pin * 2);
    m.write(IO + 0x10, high);
    m.write(IO, 0x10 + pin * 2);
    m.write(IO + 0x10, low);
  };
  const readRte = (pin: number) => {
    m.write(IO, 0x10 + pin * 2);
    return m.read(IO + 0x10);
  };
  return { m, rte, readRte };
}

Deno.test("ioapic: ID, version, masked entries at reset", () => {
  const { m, readRte } = setup();
  m.write(IO, 1);
  assert.equal(m.read(IO + 0x10), 0x00170020);
  m.write(IO, 0);
  m.write(IO + 0x10, 0x05000000);
  assert.equal(m.read(IO + 0x10), 0x05000000);
  assert.equal(readRte(5), 0x10000);
  assert.equal(m.read(IO), 0x1a, "IOREGSEL reads back (last select: pin 5 low)");
});

Deno.test("ioapic: redirection entry read-back keeps only writable bits", () => {
  const { m, rte, readRte } = setup();
  rte(3, 0xffffffff, 0xffffffff);
  assert.equal(readRte(3), 0x0001afff);
  m.write(IO, 0x17);
  assert.equal(m.read(IO + 0x10), 0xff000000);
});

Deno.test("ioapic: edge interrupt through the LAPIC; ISA IRQ0 on pin 2", () => {
  const { m, rte } = setup();
  rte(2, 0x30);
  m.setIrq(0, true);
  assert.equal(m.inta(), 0x30);
  m.write(LA + 0xb0, 0);
  m.setIrq(0, true);
  assert.equal(m.intr(), false, "no new edge");
  m.setIrq(0, false);
  m.setIrq(0, true);
  assert.equal(m.inta(), 0x30);
});

Deno.test("ioapic: masked pin does not deliver", () => {
  const { m, rte } = setup();
  rte(4, 0x10034);
  m.setIrq(4, true);
  assert.equal(m.intr(), false);
});

Deno.test("ioapic: level-triggered with remote IRR and EOI broadcast", () => {
  const { m, rte, readRte } = setup();
  rte(10, 0x8041); // level, vector 0x41
  m.setIrq(10, true);
  assert.equal(readRte(10) & 0x4000, 0x4000, "remote IRR set");
  assert.equal(m.inta(), 0x41);
  assert.equal(m.read(LA + 0x180 + 0x20) & 2, 2, "TMR bit set");
  m.write(LA + 0xb0, 0); // EOI: broadcast, still asserted: redeliver
  assert.equal(m.intr(), true);
  assert.equal(m.inta(), 0x41);
  m.setIrq(10, false);
  m.write(LA + 0xb0, 0);
  assert.equal(readRte(10) & 0x4000, 0, "remote IRR cleared");
  assert.equal(m.intr(), false);
});

Deno.test("ioapic: EOI register (version 0x20) clears remote IRR", () => {
  const { m, rte, readRte } = setup();
  rte(11, 0x8042);
  m.setIrq(11, true);
  assert.equal(readRte(11) & 0x4000, 0x4000);
  m.setIrq(11, false);
  m.write(IO + 0x40, 0x42);
  assert.equal(readRte(11) & 0x4000, 0);
});

Deno.test("ioapic: active-low polarity and destination filtering", () => {
  const { m, rte } = setup();
  rte(5, 0x2050); // active low, edge
  m.setIrq(5, true);
  assert.equal(m.intr(), false);
  m.setIrq(5, false);
  assert.equal(m.inta(), 0x50);
  m.write(LA + 0xb0, 0);
  rte(6, 0x51, 0x03000000); // physical dest 3: not us
  m.setIrq(6, true);
  assert.equal(m.intr(), false);
  rte(7, 0x852, 0x01000000); // logical, flat, needs LDR bit
  m.write(LA + 0xd0, 0x01000000);
  m.setIrq(7, true);
  assert.equal(m.inta(), 0x52);
});

Deno.test("ioapic: unmasking an asserted level pin delivers; state round-trip", () => {
  const { m, rte } = setup();
  m.setIrq(9, true);
  rte(9, 0x8060);
  assert.equal(m.inta(), 0x60);
  const p = m.plugins[1];
  const s = JSON.parse(JSON.stringify(p.saveState!()));
  const other = setup();
  other.m.plugins[1].loadState!(s);
  other.m.write(IO, 0x10 + 18);
  assert.equal(other.m.read(IO + 0x10), 0xc060);
});

Deno.test("ioapic: PIC INTR on pin 0 as ExtINT (virtual wire through the I/O APIC)", async () => {
  const { createPic } = await import("./pic.ts");
  const m = new FakeMachine().load(createPic(), createLapic(), createIoapic());
  for (
    const [p, v] of [[0x20, 0x11], [0x21, 0x20], [0x21, 4], [0x21, 1], [0xa0, 0x11], [0xa1, 0x28], [
      0xa1,
      2,
    ], [0xa1, 1]]
  ) {
    m.out(p, v);
  }
  m.write(LA + 0xf0, 0x1ff);
  m.write(LA + 0x350, 0x10700); // LINT0 masked: no direct path
  m.write(IO, 0x10);
  m.write(IO + 0x10, 0x10700); // pin 0: ExtINT, edge, masked for now
  m.setIrq(3, true);
  assert.equal(m.intr(), false, "LINT0 masked and pin 0 masked");
  m.out(0x21, 0xff); // mask at the PIC: INTR falls
  m.write(IO + 0x10, 0x700); // unmask pin 0
  m.out(0x21, 0x00); // INTR rises: an ExtINT message
  assert.equal(m.intr(), true);
  assert.equal(m.inta(), 0x23, "the PIC supplies the vector");
  assert.equal(m.intr(), false, "one INTA per ExtINT message");
  m.out(0x20, 0x20);
  m.setIrq(5, true);
  assert.equal(m.inta(), 0x25);
});
