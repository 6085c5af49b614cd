/**
 * Device plugins on the real Machine and plugin bus: each device loads
 * alone, the whole `pc` board loads, and loading a device twice on the same
 * resources fails with a conflict that names both plugins.
 */
import assert from "node:assert/strict";
import { newPcMachine } from "../plugins/pc_machine.ts";
import { PluginConflictError } from "../core/plugin.ts";
import { deviceFactories, deviceFromSpec, pcBoard } from "../devices/board_pc.ts";
import { CPU_INTERRUPT_PINS } from "../devices/interrupts.ts";

Deno.test("machine: every device factory loads alone into a real Machine", () => {
  for (const [name, factory] of Object.entries(deviceFactories)) {
    const m = newPcMachine({ memoryMiB: 4, plugins: [factory({})] });
    assert.equal(m.plugins.length, 1, name);
    m.reset();
    const states = JSON.parse(JSON.stringify(m.savePluginStates()));
    m.loadPluginStates(states);
    m.dispose();
    assert.equal(m.clock.pending, 0, `${name}: no timers after dispose`);
  }
});

Deno.test("machine: the pc board loads and installs one interrupt source", () => {
  const m = newPcMachine({ memoryMiB: 8, plugins: pcBoard() });
  const names = m.plugins.map((p) => p.name).sort();
  assert.deepEqual(names, [
    "acpi",
    "fpu-error",
    "fw_cfg@0x510",
    "i8042",
    "ioapic@0xfec00000",
    "isa-debug-exit@0xf4",
    "lapic",
    "pc-testdev",
    "pci-host",
    "pic",
    "pit@0x40",
    "port61",
    "port92",
    "rtc@0x70",
    "uart16550@0x3f8",
  ]);
  const pins = m.services.find(CPU_INTERRUPT_PINS);
  assert.ok(pins !== undefined);
  assert.equal(m.cpu.intSource, pins, "the shared pins are the vCPU's interrupt source");
  assert.ok(m.cpu.fpuPins !== null, "the fpu-error device wired FERR#/IGNNE#");
  m.dispose();
  assert.equal(m.cpu.fpuPins, null, "dispose unwires them");
});

Deno.test("machine: the same device twice on overlapping ports is a conflict naming both", () => {
  assert.throws(
    () =>
      newPcMachine({
        memoryMiB: 4,
        plugins: [deviceFromSpec("isa-serial"), deviceFromSpec("isa-serial,iobase=0x3fc")],
      }),
    (e: Error) =>
      e instanceof PluginConflictError && e.message.includes("uart16550@0x3f8") &&
      e.message.includes("uart16550@0x3fc"),
  );
  assert.throws(
    () =>
      newPcMachine({
        memoryMiB: 4,
        plugins: [deviceFromSpec("lapic"), deviceFromSpec("pc-testdev"), deviceFromSpec("apic")],
      }),
    /lapic/,
  );
});
