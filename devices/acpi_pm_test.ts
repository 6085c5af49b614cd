import assert from "node:assert/strict";
import { createAcpiPm, PM_TIMER_HZ, pmTimerCount } from "./acpi_pm.ts";
import { FakeMachine as Fake } from "./testing.ts";
import { ArrayMemory } from "../boot/array_memory.ts";

class FakeMachine extends Fake {
  readonly ram: ArrayMemory;
  constructor() {
    const ram = new ArrayMemory(2 * 1024 * 1024);
    super(ram.ramSize, ram);
    this.ram = ram;
  }
}

Deno.test("acpi pm: tables are in guest memory after setup (RSDP signature at 0xE0000)", () => {
  const m = new FakeMachine().load(createAcpiPm());
  const sig = new TextDecoder().decode(m.ram.readBytes(0xe0000, 8));
  assert.equal(sig, "RSD PTR ");
  assert.equal(m.ram.read(0xe0300, 4), 0x54445344); // "DSDT"
  m.ram.write(0xe0300, 4, 0);
  m.plugins[0].reset?.();
  assert.equal(m.ram.read(0xe0300, 4), 0x54445344, "rewritten on reset");
});

Deno.test("acpi pm: the PM timer counts 3.579545 MHz of virtual time, 24 bits wide", () => {
  assert.equal(pmTimerCount(1e9), PM_TIMER_HZ);
  assert.equal(pmTimerCount(1000), 3);
  assert.equal(pmTimerCount(10e9), (10 * PM_TIMER_HZ) % 0x1000000);
  const m = new FakeMachine().load(createAcpiPm());
  const t0 = m.in(0x608, 4);
  m.advance(1_000_000); // 1 ms
  const t1 = m.in(0x608, 4);
  assert.equal(
    (t1 - t0) & 0xffffff,
    3579 + (pmTimerCount(m.clock.now) - pmTimerCount(m.clock.now - 1e6) - 3579),
  );
  assert.ok(((t1 - t0) & 0xffffff) >= 3579 && ((t1 - t0) & 0xffffff) <= 3580);
  assert.equal(t1 >>> 24, 0);
});

Deno.test("acpi pm: SCI_EN reads 1; SLP_EN with SLP_TYP 5 powers off, other types do not", () => {
  const m = new FakeMachine().load(createAcpiPm());
  assert.equal(m.in(0x604, 2) & 1, 1);
  m.out(0x604, (3 << 10) | (1 << 13), 2);
  assert.deepEqual(m.stops, []);
  assert.equal(m.in(0x604, 2) & (1 << 13), 0, "SLP_EN is write-only");
  m.out(0x604, (5 << 10) | (1 << 13) | 1, 2);
  assert.deepEqual(m.stops, [{ kind: "shutdown" }]);
});

Deno.test("acpi pm: PM1_EN is stored, PM1_STS bits clear when written with one", () => {
  const m = new FakeMachine().load(createAcpiPm());
  m.out(0x602, 0x0121, 2);
  assert.equal(m.in(0x602, 2), 0x0121);
  assert.equal(m.in(0x600, 4) >>> 16, 0x0121);
  m.out(0x600, 0xffff, 2);
  assert.equal(m.in(0x600, 2), 0);
});
