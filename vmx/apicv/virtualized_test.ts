/**
 * The virtualization rules of SDM Vol. 3C 29.4.2 (reads) and 29.4.3.1
 * (writes), checked over the whole page against the registers the SDM
 * lists, for every control setting and access width.
 */
import assert from "node:assert/strict";
import { PROC, PROC2 } from "../controls.ts";
import { readVirtualized, writeVirtualized } from "./virtualized.ts";

const TPR = PROC.USE_TPR_SHADOW;
const ARV = PROC2.APIC_REGISTER_VIRTUALIZATION;
const VID = PROC2.VIRTUAL_INTERRUPT_DELIVERY;

/** 29.4.2: the registers whose low 4 bytes a read may cover with APIC-register virtualization. */
const READ_LIST = [
  0x020,
  0x030,
  0x080,
  0x0b0,
  0x0d0,
  0x0e0,
  0x0f0,
  ...Array.from({ length: 24 }, (_, i) => 0x100 + 0x10 * i), // ISR, TMR, IRR
  0x280,
  0x300,
  0x310,
  0x320,
  0x330,
  0x340,
  0x350,
  0x360,
  0x370,
  0x380,
  0x3e0,
];

/** 29.4.3.1: the same for writes. */
const WRITE_LIST = [
  0x020,
  0x080,
  0x0b0,
  0x0d0,
  0x0e0,
  0x0f0,
  0x280,
  0x300,
  0x310,
  0x320,
  0x330,
  0x340,
  0x350,
  0x360,
  0x370,
  0x380,
  0x3e0,
];

/** Inside bits 31:0 of a listed register. */
function listed(list: number[], off: number, width: number): boolean {
  return width <= 4 && list.includes(off & ~0xf) && (off & 0xf) + width <= 4;
}

Deno.test("reads: with APIC-register virtualization exactly the listed registers' low 4 bytes, at most 32 bits (29.4.2)", () => {
  for (let off = 0; off < 0x1000; off++) {
    for (const width of [1, 2, 4, 8]) {
      const want = listed(READ_LIST, off, width);
      assert.equal(
        readVirtualized(TPR, ARV, off, width),
        want,
        `read ${off.toString(16)}/${width}`,
      );
      assert.equal(readVirtualized(0, ARV, off, width), false, "never without the TPR shadow");
    }
  }
});

Deno.test("writes: with APIC-register virtualization exactly the listed registers' low 4 bytes (29.4.3.1)", () => {
  for (let off = 0; off < 0x1000; off++) {
    for (const width of [1, 2, 4, 8]) {
      const want = listed(WRITE_LIST, off, width);
      assert.equal(
        writeVirtualized(TPR, ARV | VID, off, width),
        want,
        `write ${off.toString(16)}/${width}`,
      );
      assert.equal(writeVirtualized(0, ARV, off, width), false);
    }
  }
});

Deno.test("without APIC-register virtualization: the TPR at offset 080H; with virtual-interrupt delivery also EOI and ICR low for writes", () => {
  for (let off = 0; off < 0x1000; off++) {
    for (const width of [1, 2, 4, 8]) {
      const small = width <= 4;
      assert.equal(readVirtualized(TPR, VID, off, width), small && off === 0x80);
      assert.equal(writeVirtualized(TPR, 0, off, width), small && off === 0x80);
      assert.equal(
        writeVirtualized(TPR, VID, off, width),
        small && (off === 0x80 || off === 0xb0 || off === 0x300),
        `write ${off.toString(16)}/${width} with virtual-interrupt delivery`,
      );
    }
  }
});
