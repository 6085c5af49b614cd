import assert from "node:assert/strict";
import { deviceFactories, deviceFromSpec, pcBoard, pcBoardDevices, uartOf } from "./board_pc.ts";
import { FakeMachine } from "./testing.ts";
import { PluginConflictError } from "../core/plugin.ts";
import { createDebugExit } from "./debug_exit.ts";
import { createUart16550 } from "./uart16550.ts";
import { createPit } from "./pit.ts";
import { createPcTestdev } from "./pc_testdev.ts";

Deno.test("pc board: noApic leaves out LAPIC and IOAPIC", () => {
  const d = pcBoardDevices({ noApic: true });
  assert.equal(d.lapic, undefined);
  const m = new FakeMachine().load(...pcBoard({ noApic: true }));
  assert.equal(m.hasMmio(0xfee00000), false);
  assert.equal(m.cpu.setSourceCalls, 1);
});

Deno.test("pc board: loads together, one interrupt source, serial wired", () => {
  const out: number[] = [];
  const m = new FakeMachine().load(
    ...pcBoard({ serial: (b) => out.push(...b), debugcon: (b) => out.push(...b) }),
  );
  assert.equal(m.cpu.setSourceCalls, 1);
  for (
    const port of [
      0x3f8,
      0x20,
      0xa0,
      0x4d0,
      0x40,
      0x61,
      0x70,
      0x92,
      0xf4,
      0xf7,
      0xe9,
      0x510,
      0xe0,
      0x2000,
    ]
  ) {
    assert.ok(m.hasPort(port), `port ${port.toString(16)}`);
  }
  assert.ok(m.hasMmio(0xfee00000) && m.hasMmio(0xfec00000) && m.hasMmio(0xff000000));
  m.out(0x3f8, 0x41);
  m.out(0xe9, 0x42);
  assert.deepEqual(out, [0x41, 0x42]);
  m.out(0xf4, 3);
  assert.deepEqual(m.stops, [{ kind: "exit", status: 7 }]);
  const names = m.plugins.map((p) => p.name);
  assert.equal(new Set(names).size, names.length, "unique names");
  m.dispose();
  assert.equal(m.clock.pending, 0, "no timers after dispose");
});

Deno.test("pc board: PIT IRQ0 via PIC, then via IOAPIC when the PIC is masked", () => {
  const m = new FakeMachine().load(...pcBoard());
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
      [0xa1, 0xff],
    ]
  ) {
    m.out(p, v);
  }
  m.out(0x43, 0x34);
  m.out(0x40, 0xa9);
  m.out(0x40, 0x04); // 1193: ~1 kHz
  m.advance(1.1e6);
  assert.equal(m.inta(), 0x20);
  m.out(0x20, 0x20);
  // Switch to the APIC path: mask the PIC, program IOAPIC pin 2, enable LAPIC.
  m.out(0x21, 0xff);
  m.write(0xfee000f0, 0x1ff);
  m.write(0xfec00000, 0x14);
  m.write(0xfec00010, 0x40);
  m.advance(1.1e6);
  assert.equal(m.inta(), 0x40);
});

Deno.test("deviceFromSpec: QEMU-style names and options; errors are clear", () => {
  const p = deviceFromSpec("isa-debug-exit,iobase=0xf4,iosize=4");
  assert.equal(p.name, "isa-debug-exit@0xf4");
  assert.equal(deviceFromSpec("isa-serial,iobase=0x2f8,irq=3").name, "uart16550@0x2f8");
  assert.throws(() => deviceFromSpec("nope"), /unknown device "nope"/);
  assert.throws(() => deviceFromSpec("isa-debug-exit,iobase=zz"), /not an integer/);
  assert.throws(() => deviceFromSpec("pc-testdev,x=1"), /unknown option/);
  for (const [name, f] of Object.entries(deviceFactories)) {
    const plugin = f({});
    const m = new FakeMachine().load(plugin);
    assert.ok(m.plugins.length === 1, name);
    plugin.reset?.();
    const s = plugin.saveState?.();
    if (s) plugin.loadState?.(JSON.parse(JSON.stringify(s)));
    plugin.dispose?.();
    assert.equal(m.clock.pending, 0, `${name} leaves no timers`);
  }
});

Deno.test("loading the same device twice on the same ports is a conflict naming both", () => {
  const m = new FakeMachine().load(deviceFromSpec("isa-debug-exit,iobase=0xf4,iosize=4"));
  assert.throws(
    () => m.load(deviceFromSpec("isa-debug-exit,iobase=0xf6,iosize=2")),
    (e: Error) =>
      e instanceof PluginConflictError && /isa-debug-exit@0xf6/.test(e.message) &&
      /isa-debug-exit@0xf4/.test(e.message),
  );
});

Deno.test("pc board: configure replaces a board device's options", () => {
  const m = new FakeMachine().load(
    ...pcBoard({ configure: new Map([["isa-debug-exit", { iobase: "0x501", iosize: "2" }]]) }),
  );
  assert.ok(m.hasPort(0x501));
  assert.equal(m.hasPort(0xf4), false);
  m.out(0x501, 1);
  assert.deepEqual(m.stops, [{ kind: "exit", status: 3 }]);
});

Deno.test("uartOf finds COM1 for host input", () => {
  const plugins = pcBoard();
  const m = new FakeMachine().load(...plugins);
  const com1 = uartOf(plugins);
  assert.ok(com1 !== undefined);
  assert.equal(uartOf(plugins, 0x2f8), undefined);
  com1.input(new Uint8Array([0x31]));
  assert.equal(m.in(0x3f8), 0x31);
});

Deno.test("factories accept typed options or the --device string map", () => {
  assert.equal(createDebugExit({ iobase: "0xf4", iosize: "4" }).name, "isa-debug-exit@0xf4");
  assert.equal(createDebugExit({ iobase: 0xf4, iosize: 4 }).name, "isa-debug-exit@0xf4");
  assert.equal(createUart16550({ iobase: "0x2f8", irq: "3" }).name, "uart16550@0x2f8");
  assert.throws(() => createPit({ iobase: "nope" }), /not an integer/);
  assert.throws(() => createPcTestdev({ what: "1" }), /unknown option/);
});

Deno.test("pc board: no 0xE9 console unless asked; noDefaults drops COM1, debug-exit and testdev; omit", () => {
  const plain = new FakeMachine().load(...pcBoard({}));
  assert.equal(plain.hasPort(0xe9), false, "QEMU has no 0xE9 console without -debugcon");
  assert.ok(plain.hasPort(0x3f8) && plain.hasPort(0xf4) && plain.hasPort(0xe0));
  const bare = new FakeMachine().load(...pcBoard({ noDefaults: true }));
  for (const port of [0x3f8, 0xf4, 0xe0, 0xe9]) assert.equal(bare.hasPort(port), false, `${port}`);
  for (const port of [0x20, 0x40, 0x61, 0x70, 0x92, 0x510]) {
    assert.ok(bare.hasPort(port), `${port}`);
  }
  // -nodefaults -serial stdio -device isa-debug-exit,...: COM1 and the configured device are back.
  const kut = new FakeMachine().load(
    ...pcBoard({
      noDefaults: true,
      serial: () => {},
      configure: new Map([["isa-debug-exit", { iobase: "0xf4", iosize: "4" }]]),
    }),
  );
  assert.ok(kut.hasPort(0x3f8) && kut.hasPort(0xf4));
  assert.equal(kut.hasPort(0xe0), false);
  const noUart = new FakeMachine().load(...pcBoard({ omit: ["isa-serial"] }));
  assert.equal(noUart.hasPort(0x3f8), false, "a board device can be left out to be replaced");
});
