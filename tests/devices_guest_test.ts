/**
 * Guest-level device tests on a real Machine (the `pc` board from
 * `createMachine`): tiny 32-bit guests (tests/data/devices/*.S) program the
 * PIT and PIC, the LAPIC timer, the PIT through the IOAPIC and LAPIC, and
 * the UART with receive interrupts, counting interrupts in HLT loops.
 * Virtual time must match the programmed rates.
 */
import assert from "node:assert/strict";
import { bootFlat, createMachine } from "../plugins/machine_builder.ts";
import { type PcMachine, restorePcMachine } from "../plugins/pc_machine.ts";
import { pcBoard, uartOf } from "../devices/board_pc.ts";
import type { UartPlugin } from "../devices/uart16550.ts";
import {
  type DeviceGuest,
  ferr,
  ioapic,
  lapic,
  pitpic,
  rtc,
  uart,
  x2apic,
} from "./devices_guest_images.ts";

const IDT = 0x180000;
const COUNT = 0x181000;

function boot(guest: DeviceGuest, out: number[] = [], omit: string[] = []): PcMachine {
  const m = createMachine({
    memoryMiB: 16,
    vmx: false,
    serial: (b) => out.push(...b),
    omitBoardDevices: omit,
  });
  bootFlat(m, [{ addr: 0x100000, data: guest.code }], 0x100000, "protected32");
  const cs = m.cpu.seg[1].selector;
  for (let v = 0; v < 256; v++) {
    // 32-bit interrupt gate, present, DPL 0 (SDM Vol. 3A 6.11).
    m.memory.write(IDT + v * 8, 4, ((cs << 16) | (guest.handler & 0xffff)) >>> 0);
    m.memory.write(IDT + v * 8 + 4, 4, ((guest.handler & 0xffff0000) | 0x8e00) >>> 0);
  }
  return m;
}

Deno.test("guest: PIT mode 2 at 100 Hz through the PIC, 10 interrupts in a HLT loop take 100 ms", () => {
  const m = boot(pitpic);
  const r = m.run({ maxInstructions: 1_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: (10 << 1) | 1 });
  assert.equal(m.memory.read(COUNT, 4), 10);
  assert.ok(r.virtualNs > 99e6 && r.virtualNs < 101e6, `virtual ns ${r.virtualNs}`);
  assert.ok(r.instructions < 10_000, `HLT idles (${r.instructions} instructions)`);
  m.dispose();
});

Deno.test("guest: RTC periodic 1024 Hz on IRQ8 through the slave PIC and cascade", () => {
  const m = boot(rtc);
  const r = m.run({ maxInstructions: 1_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: (10 << 1) | 1 });
  const period = 1e9 / 1024;
  assert.ok(r.virtualNs > 9.5 * period && r.virtualNs < 10.5 * period, `virtual ns ${r.virtualNs}`);
  m.dispose();
});

Deno.test("guest: LAPIC timer periodic 1 ms, 10 interrupts take 10 ms", () => {
  const m = boot(lapic);
  const r = m.run({ maxInstructions: 1_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: (10 << 1) | 1 });
  assert.ok(r.virtualNs > 9.9e6 && r.virtualNs < 10.2e6, `virtual ns ${r.virtualNs}`);
  m.dispose();
});

Deno.test("guest: APIC disabled and re-enabled via IA32_APIC_BASE, then x2APIC timer through MSRs", () => {
  const m = boot(x2apic);
  const r = m.run({ maxInstructions: 1_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: (10 << 1) | 1 });
  assert.equal(
    m.memory.read(COUNT + 12, 4),
    0xfee00900,
    "APIC_BASE at boot: BSP, enabled, 0xfee00000",
  );
  assert.ok(r.virtualNs > 9.9e6 && r.virtualNs < 10.2e6, `virtual ns ${r.virtualNs}`);
  m.dispose();
});

Deno.test("guest: PIT through IOAPIC pin 2 and the LAPIC (PIC masked)", () => {
  const m = boot(ioapic);
  const r = m.run({ maxInstructions: 1_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: (10 << 1) | 1 });
  assert.ok(r.virtualNs > 99e6 && r.virtualNs < 101e6, `virtual ns ${r.virtualNs}`);
  m.dispose();
});

Deno.test("guest: UART RX interrupts read host input arriving at 1 ms; echo and THR-empty-interrupt output reach the sink", () => {
  const out: number[] = [];
  const m = boot(uart, out);
  const com1 = m.plugins.find((p) => p.name === "uart16550@0x3f8") as UartPlugin;
  // Input arrives after the guest set the UART up (its FIFO reset drops earlier bytes, as on hardware).
  m.clock.after(1e6, () => com1.input(new TextEncoder().encode("abc")));
  const r = m.run({ maxInstructions: 1_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: (3 << 1) | 1 });
  assert.equal(new TextDecoder().decode(new Uint8Array(out)), "ABC!\n");
  m.dispose();
});

Deno.test("guest: UART input queued before boot survives the driver's FIFO reset", () => {
  const out: number[] = [];
  const m = boot(uart, out);
  uartOf(m.plugins)!.input(new TextEncoder().encode("abc"));
  const r = m.run({ maxInstructions: 1_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: (3 << 1) | 1 });
  assert.equal(new TextDecoder().decode(new Uint8Array(out)), "ABC!\n");
  m.dispose();
});

Deno.test("guest: UART with no input halts with interrupts enabled until input arrives", () => {
  const out: number[] = [];
  const m = boot(uart, out);
  const first = m.run({ maxInstructions: 100_000 });
  assert.equal(first.reason.kind, "halted");
  const com1 = m.plugins.find((p) => p.name === "uart16550@0x3f8") as UartPlugin;
  com1.input(new TextEncoder().encode("x"));
  com1.input(new TextEncoder().encode("yz"));
  const r = m.run({ maxInstructions: 100_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: 7 });
  assert.equal(new TextDecoder().decode(new Uint8Array(out)), "XYZ!\n");
  m.dispose();
});

Deno.test("guest: a snapshot taken mid-run (PIT+PIC) restores into a new machine and continues identically", async () => {
  const straight = boot(pitpic);
  const full = straight.run({ maxInstructions: 1_000_000 });
  straight.dispose();

  const first = boot(pitpic);
  const part = first.run({ maxInstructions: 60 }); // a few interrupts in
  assert.equal(part.reason.kind, "budget");
  const count = first.memory.read(COUNT, 4);
  assert.ok(count > 0 && count < 10, `count at snapshot ${count}`);
  const snap = await first.save();
  first.dispose();

  const second = await restorePcMachine(snap, { memoryMiB: 16, plugins: pcBoard() });
  const rest = second.run({ maxInstructions: 1_000_000 });
  assert.deepEqual(rest.reason, full.reason);
  assert.equal(rest.virtualNs, full.virtualNs);
  assert.equal(rest.totalInstructions, full.totalInstructions);
  second.dispose();
});

Deno.test("guest: CR0.NE = 0, unmasked x87 error at FWAIT freezes, FERR# raises IRQ13; port 0xF0 and FNCLEX resume", () => {
  const m = boot(ferr);
  const r = m.run({ maxInstructions: 100_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: (1 << 1) | 1 }, "one IRQ13");
  const mem = (a: number) => m.memory.read(a, 4);
  assert.equal(mem(0x181004), mem(0x18100c), "IRQ13 interrupted the FWAIT (frozen before it)");
  assert.equal(mem(0x181008) & 0x80ff, 0x8084, "handler saw B, ES and ZE");
  assert.equal(
    mem(0x181014) & 0x80ff,
    0,
    "FNCLEX in the handler: the FWAIT re-ran with nothing pending",
  );
  m.dispose();
});

Deno.test("guest: IGNNE# from port 0xF0 lets FWAITs pass while the x87 error stays pending (one IRQ13)", () => {
  const m = boot(ferr);
  m.memory.write(0x181010, 4, 1); // the handler skips FNCLEX
  const r = m.run({ maxInstructions: 100_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: (1 << 1) | 1 }, "one IRQ13 for both FWAITs");
  assert.equal(m.memory.read(0x181004, 4), m.memory.read(0x18100c, 4));
  assert.equal(m.memory.read(0x181014, 4) & 0x80ff, 0x8084, "still pending after both FWAITs");
  m.dispose();
});

Deno.test("guest: without the fpu-error device (no FERR# wired) the FWAITs run on, no IRQ13", () => {
  const m = boot(ferr, [], ["fpu-error"]);
  const r = m.run({ maxInstructions: 100_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: 1 }, "no interrupt taken");
  assert.equal(m.memory.read(0x181014, 4) & 0x80ff, 0x8084, "the error stays pending");
  m.dispose();
});
