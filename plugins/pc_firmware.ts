/**
 * The state a PC's firmware leaves behind when it hands over to a
 * Multiboot kernel, which kernels that drop back to real mode rely on (as
 * under QEMU with its BIOS):
 *
 * - a real-mode interrupt vector table at 0: every vector points at an IRET
 *   in the BIOS area (F000:FF53, where PC BIOSes keep it); the IRQ vectors
 *   point at handlers that acknowledge the interrupt controllers (EOI) and
 *   return;
 * - the 8259 pair initialised with vector bases 0x08 (master) and 0x70
 *   (slave), cascade on IRQ2, IRQ0-2 unmasked on the master and all slave
 *   lines unmasked;
 * - the 8254's channel 0 ticking in mode 3 with the full count (65536, about
 *   18.2 Hz).
 *
 * The controllers are programmed through the exit bus, exactly as firmware
 * code executing OUT would do, so any PIC/PIT plugin sees ordinary writes.
 * The firmware's S3 resume path is in `pc_firmware_resume.ts`.
 *
 * @module
 */

import type { PcMachine } from "./pc_machine.ts";
import type { IoExit } from "../core/vmexit.ts";

/** Segment of the BIOS area holding the handlers. */
const BIOS_SEG = 0xf000;
/** Offset of the default handler: IRET. */
export const DEFAULT_HANDLER = 0xff53;
/** Offset of the master IRQ handler: EOI to the master, IRET. */
export const MASTER_IRQ_HANDLER = 0xff40;
/** Offset of the slave IRQ handler: EOI to slave and master, IRET. */
export const SLAVE_IRQ_HANDLER = 0xff20;

/** push ax; mov al, 0x20; out 0x20, al; pop ax; iret */
const MASTER_EOI = [0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0xcf];
/** push ax; mov al, 0x20; out 0xa0, al; out 0x20, al; pop ax; iret */
const SLAVE_EOI = [0x50, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58, 0xcf];

function out(machine: PcMachine, port: number, value: number): void {
  const exit: IoExit = {
    kind: "io",
    level: 1,
    instructionLength: 0,
    port,
    size: 1,
    direction: "out",
    value,
    dxForm: false,
  };
  machine.bus.dispatch(exit);
}

/**
 * Program the 8259 pair (vector bases 0x08 and 0x70, IRQ0-2 and the slave
 * unmasked) and the 8254's channel 0 (mode 3, count 65536) as POST leaves
 * them, through the exit bus. The S3 resume path does this too, since the
 * chips lost their state with main power.
 */
export function programLegacyChips(machine: PcMachine): void {
  // 8259 pair: ICW1 (edge, cascade, ICW4), ICW2 (base), ICW3, ICW4 (8086), OCW1 (mask).
  for (
    const [cmd, data, vectorBase, icw3, mask] of [
      [0x20, 0x21, 0x08, 0x04, 0xf8],
      [0xa0, 0xa1, 0x70, 0x02, 0x00],
    ]
  ) {
    out(machine, cmd, 0x11);
    out(machine, data, vectorBase);
    out(machine, data, icw3);
    out(machine, data, 0x01);
    out(machine, data, mask);
  }
  // 8254 channel 0: lobyte/hibyte, mode 3, binary; count 0 = 65536.
  out(machine, 0x43, 0x36);
  out(machine, 0x40, 0x00);
  out(machine, 0x40, 0x00);
}

/**
 * Leave the firmware state described in the module docs in `machine`
 * (guest RAM at 0-0x3FF and 0xFFF20-0xFFF53, PIC and PIT programmed).
 * Call before loading the kernel, which may overwrite any of it.
 */
export function applyPcFirmwareState(machine: PcMachine): void {
  const mem = machine.memory;
  const base = BIOS_SEG * 16;
  mem.writeBytes(base + DEFAULT_HANDLER, new Uint8Array([0xcf]));
  mem.writeBytes(base + MASTER_IRQ_HANDLER, new Uint8Array(MASTER_EOI));
  mem.writeBytes(base + SLAVE_IRQ_HANDLER, new Uint8Array(SLAVE_EOI));
  for (let v = 0; v < 256; v++) {
    const handler = v >= 0x08 && v < 0x10
      ? MASTER_IRQ_HANDLER
      : v >= 0x70 && v < 0x78
      ? SLAVE_IRQ_HANDLER
      : DEFAULT_HANDLER;
    mem.write32(v * 4, ((BIOS_SEG << 16) | handler) >>> 0);
  }
  programLegacyChips(machine);
}
