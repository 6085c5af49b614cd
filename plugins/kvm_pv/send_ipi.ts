/**
 * KVM_HC_SEND_IPI (hypercall 10): one hypercall sends an IPI to every APIC
 * ID named in a bitmap (Linux's Documentation/virt/kvm/x86/hypercalls.rst).
 *
 * - a0, a1: the bitmap, low part then high part. Bit `j` of a0 names APIC
 *   ID `a2 + j`, bit `j` of a1 names `a2 + W + j`, where W is the width of
 *   a register: 64 in 64-bit mode (128 destinations per call), 32 outside
 *   it (64 destinations).
 * - a2: the lowest APIC ID of the bitmap (an APIC ID is 32 bits: its low
 *   32 bits are used; an ID past 0xffffffff names no APIC).
 * - a3: the ICR low word: vector (bits 7:0) and delivery mode (10:8).
 * - Result: the number of APICs the IPI was delivered to.
 *
 * Our reading where the document says nothing: the bitmap names physical
 * APIC IDs, so an ICR asking for logical destination mode (bit 11) or a
 * destination shorthand (bits 19:18) is refused with `-KVM_EINVAL` before
 * anything is sent. Each named ID goes to the local APIC that has it
 * through the LAPIC's own delivery path (`LocalApicBus.deliverToId`): an ID
 * no enabled APIC has, a software-disabled APIC given a fixed interrupt,
 * or an illegal vector (below 16, refused by the receiver) counts as not
 * delivered. An INIT level de-assert (mode 5, trigger level, level 0)
 * delivers nothing, as from the ICR.
 *
 * @module
 */

import { KVM_EINVAL } from "./abi.ts";
import type { ApicIdTarget } from "../../devices/interrupts.ts";

/** Where the IPIs go: the LAPIC's delivery to one physical APIC ID. */
export type IpiTarget = ApicIdTarget;

/** The arguments of one KVM_HC_SEND_IPI, as unsigned 32-bit register halves. */
export interface SendIpiArgs {
  /** a0 bits 31:0. */
  readonly a0Lo: number;
  /** a0 bits 63:32 (ignored outside 64-bit mode). */
  readonly a0Hi: number;
  /** a1 bits 31:0. */
  readonly a1Lo: number;
  /** a1 bits 63:32 (ignored outside 64-bit mode). */
  readonly a1Hi: number;
  /** a2 bits 31:0: the APIC ID of bit 0 of a0. */
  readonly min: number;
  /** a3 bits 31:0: the ICR low word. */
  readonly icr: number;
  /** True in 64-bit mode (64-bit bitmap words). */
  readonly longMode: boolean;
}

const ICR_LOGICAL = 1 << 11;
const ICR_SHORTHAND = 3 << 18;
const ICR_LEVEL_ASSERT = 1 << 14;
const ICR_TRIGGER_LEVEL = 1 << 15;
const INIT = 5;

/** Send the IPI of `args` through `target`: the count of APICs reached, or `-KVM_EINVAL`. */
export function sendIpi(args: SendIpiArgs, target: IpiTarget): number {
  const icr = args.icr >>> 0;
  if ((icr & (ICR_LOGICAL | ICR_SHORTHAND)) !== 0) return -KVM_EINVAL;
  const vector = icr & 0xff;
  const mode = (icr >>> 8) & 7;
  if (mode === INIT && (icr & ICR_TRIGGER_LEVEL) !== 0 && (icr & ICR_LEVEL_ASSERT) === 0) return 0;
  const min = args.min >>> 0;
  let count = 0;
  const word = (bits: number, offset: number): void => {
    for (let b = bits >>> 0; b !== 0; b = (b & (b - 1)) >>> 0) {
      const id = min + offset + (31 - Math.clz32(b & -b));
      if (id > 0xffffffff) return; // IDs only grow from here: no APIC has them
      // IPIs are edge-triggered (the ICR's trigger mode matters only for INIT de-assert).
      if (target.deliverToId(id, mode, vector, false)) count++;
    }
  };
  if (args.longMode) {
    word(args.a0Lo, 0);
    word(args.a0Hi, 32);
    word(args.a1Lo, 64);
    word(args.a1Hi, 96);
  } else {
    word(args.a0Lo, 0);
    word(args.a1Lo, 32);
  }
  return count;
}
