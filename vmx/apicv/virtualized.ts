/**
 * Which accesses to the APIC-access page the processor virtualizes (SDM
 * Vol. 3C 29.4.2 reads, 29.4.3.1 writes); every other access to the page
 * is an APIC-access VM exit. Pure functions of the controls, the page
 * offset and the access's width (the whole access, not a piece of it).
 *
 * Common to both: "use TPR shadow" must be 1, the access at most 32 bits
 * wide and entirely within the low 4 bytes of its naturally aligned
 * 16-byte register. Instruction fetches and guest-physical accesses are
 * never virtualized (29.4.2, 29.4.6.1), nor an access of an operation that
 * already virtualized a write (a read; a write to another offset or of
 * another size): the callers see to those.
 *
 * @module
 */

import { PROC, PROC2 } from "../controls.ts";
import { VAPIC } from "./vapic.ts";

/** Registers whose reads "APIC-register virtualization" virtualizes (29.4.2), by offset >> 4. */
const READABLE = new Set<number>([
  0x02, // ID
  0x03, // version
  0x08, // TPR
  0x0b, // EOI
  0x0d, // LDR
  0x0e, // DFR
  0x0f, // SVR
  0x10,
  0x11,
  0x12,
  0x13,
  0x14,
  0x15,
  0x16,
  0x17, // ISR
  0x18,
  0x19,
  0x1a,
  0x1b,
  0x1c,
  0x1d,
  0x1e,
  0x1f, // TMR
  0x20,
  0x21,
  0x22,
  0x23,
  0x24,
  0x25,
  0x26,
  0x27, // IRR
  0x28, // ESR
  0x30,
  0x31, // ICR
  0x32,
  0x33,
  0x34,
  0x35,
  0x36,
  0x37, // LVT
  0x38, // initial count
  0x3e, // divide configuration
]);

/** Registers whose writes "APIC-register virtualization" virtualizes (29.4.3.1), by offset >> 4. */
const WRITABLE = new Set<number>([
  0x02,
  0x08,
  0x0b,
  0x0d,
  0x0e,
  0x0f,
  0x28,
  0x30,
  0x31,
  0x32,
  0x33,
  0x34,
  0x35,
  0x36,
  0x37,
  0x38,
  0x3e,
]);

/** Within the low 4 bytes of its 16-byte register, at most 32 bits, with "use TPR shadow". */
function shaped(proc: number, off: number, width: number): boolean {
  return (proc & PROC.USE_TPR_SHADOW) !== 0 && width <= 4 && (off & 0xf) + width <= 4;
}

/**
 * Is a data read of `width` bytes at page offset `off` virtualized
 * (29.4.2)? Without "APIC-register virtualization" only one at offset
 * 080H (the TPR) is; with it, one within the listed registers.
 */
export function readVirtualized(proc: number, proc2: number, off: number, width: number): boolean {
  if (!shaped(proc, off, width)) return false;
  if ((proc2 & PROC2.APIC_REGISTER_VIRTUALIZATION) === 0) return off === VAPIC.TPR;
  return READABLE.has(off >>> 4);
}

/**
 * Is a data write of `width` bytes at page offset `off` virtualized
 * (29.4.3.1)? Without "APIC-register virtualization": one at offset 080H
 * (TPR), and with "virtual-interrupt delivery" also 0B0H (EOI) and 300H
 * (ICR low); with it, one within the listed registers.
 */
export function writeVirtualized(proc: number, proc2: number, off: number, width: number): boolean {
  if (!shaped(proc, off, width)) return false;
  if ((proc2 & PROC2.APIC_REGISTER_VIRTUALIZATION) !== 0) return WRITABLE.has(off >>> 4);
  if ((proc2 & PROC2.VIRTUAL_INTERRUPT_DELIVERY) !== 0) {
    return off === VAPIC.TPR || off === VAPIC.EOI || off === VAPIC.ICR_LO;
  }
  return off === VAPIC.TPR;
}
