/**
 * The firmware state nestvm leaves before a kernel runs (plugins/pc_firmware.ts):
 * a real-mode guest that executes STI; HLT is woken by the PIT's IRQ 0, which
 * arrives through the PIC at vector 0x08 and whose IVT handler sends the EOI.
 */
import assert from "node:assert/strict";
import { bootFlat, createMachine } from "../plugins/machine_builder.ts";
import { applyPcFirmwareState, MASTER_IRQ_HANDLER } from "../plugins/pc_firmware.ts";

// sti; hlt; hlt; mov al, 0; out 0xf4, al  (two timer ticks: the EOI must have reached the PIC)
const CODE = [0xfb, 0xf4, 0xf4, 0xb0, 0x00, 0xe6, 0xf4];

function run(firmware: boolean): { stop: string; status: number; ms: number; ivt8: number } {
  const m = createMachine({ memoryMiB: 16 });
  try {
    if (firmware) applyPcFirmwareState(m);
    bootFlat(m, [{ addr: 0x7c00, data: new Uint8Array(CODE) }], 0x7c00, "real");
    const r = m.run({ maxInstructions: 1_000_000 });
    return {
      stop: r.reason.kind,
      status: r.reason.kind === "exit" ? r.reason.status : -1,
      ms: m.virtualNs / 1e6,
      ivt8: m.memory.read32(8 * 4),
    };
  } finally {
    m.dispose();
  }
}

Deno.test("firmware state: the PIT ticks IRQ 0 at vector 0x08 through the PIC, the IVT handler EOIs", () => {
  const r = run(true);
  assert.equal(r.stop, "exit");
  assert.equal(r.status, 1);
  assert.equal(r.ivt8, (0xf000 << 16 | MASTER_IRQ_HANDLER) >>> 0);
  // Two ticks of the 65536-count channel 0 at 1.193182 MHz: about 110 ms.
  assert.ok(r.ms > 100 && r.ms < 120, `virtual time ${r.ms} ms`);
});

Deno.test("firmware state: without it the same guest halts with no wake-up source", () => {
  const r = run(false);
  assert.equal(r.stop, "halted");
});
