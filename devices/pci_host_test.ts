import assert from "node:assert/strict";
import { createPciHost } from "./pci_host.ts";
import { FakeMachine } from "./testing.ts";

const addr = (bus: number, dev: number, fn: number, reg: number): number =>
  (0x80000000 | (bus << 16) | (dev << 11) | (fn << 8) | reg) >>> 0;

Deno.test("pci host: mechanism #1 finds the 440FX at 00:00.0 and nothing else", () => {
  const m = new FakeMachine().load(createPciHost());
  m.out(0xcf8, addr(0, 0, 0, 0), 4);
  assert.equal(m.in(0xcf8, 4), addr(0, 0, 0, 0));
  assert.equal(m.in(0xcfc, 4), 0x12378086);
  assert.equal(m.in(0xcfe, 2), 0x1237);
  m.out(0xcf8, addr(0, 0, 0, 8), 4);
  assert.equal(m.in(0xcfc, 4) >>> 8, 0x060000, "class: host bridge");
  assert.equal(m.in(0xcfe, 2), 0x0600, "16-bit class read as Linux's sanity check does");
  for (const [b, d, f] of [[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 31, 7]]) {
    m.out(0xcf8, addr(b, d, f, 0), 4);
    assert.equal(m.in(0xcfc, 4), 0xffffffff, `${b}:${d}.${f}`);
  }
  m.out(0xcf8, 0, 4); // enable bit clear
  assert.equal(m.in(0xcfc, 4), 0xffffffff);
});

Deno.test("pci host: only writable bits change; IDs are read-only", () => {
  const m = new FakeMachine().load(createPciHost());
  m.out(0xcf8, addr(0, 0, 0, 0), 4);
  m.out(0xcfc, 0xffffffff, 4);
  assert.equal(m.in(0xcfc, 4), 0x12378086);
  m.out(0xcf8, addr(0, 0, 0, 4), 4);
  m.out(0xcfc, 0x0000, 2);
  assert.equal(m.in(0xcfc, 2), 0x0000);
  m.out(0xcfc, 0xffff, 2);
  assert.equal(m.in(0xcfc, 2), 0x0047);
  m.out(0xcf8, addr(0, 0, 0, 0x58), 4);
  m.out(0xcfd, 0x33, 1);
  assert.equal(m.in(0xcfc, 4), 0x3300);
});

Deno.test("pci host: reset control register at 0xCF9 resets on RST_CPU 0 -> 1", () => {
  const m = new FakeMachine().load(createPciHost());
  m.out(0xcf9, 0x02);
  assert.deepEqual(m.stops, []);
  assert.equal(m.in(0xcf9), 0x02);
  m.out(0xcf9, 0x06);
  assert.deepEqual(m.stops, [{ kind: "reset" }]);
  // A dword write to 0xCF8 is CONFIG_ADDRESS, not the reset register.
  m.plugins[0].reset?.();
  m.out(0xcf8, 0x80000600, 4);
  assert.deepEqual(m.stops, [{ kind: "reset" }]);
});
