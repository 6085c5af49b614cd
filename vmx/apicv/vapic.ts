/**
 * The virtual-APIC page and the guest interrupt status of L2 (SDM Vol. 3C
 * 29.1.1): VTPR, VPPR, VEOI, VISR, VIRR and VICR live in the 4-KiB page at
 * vmcs12's virtual-APIC address (L1 memory); RVI and SVI in vmcs12's
 * guest interrupt-status field, which therefore is always current (a VM
 * exit has nothing to save). On them, the operations of SDM 29.1-29.2: TPR
 * virtualization, PPR virtualization, EOI virtualization, self-IPI
 * virtualization, the evaluation of pending virtual interrupts and
 * virtual-interrupt delivery.
 *
 * A recognized virtual interrupt is delivered at an instruction boundary
 * with RFLAGS.IF = 1 and no blocking by STI or MOV SS (29.2.2): exactly
 * when the CPU offers an "interrupt-window" exit, so recognition asks for
 * that window ({@link WindowRequest.INTERRUPT}) and the hook delivers.
 *
 * @module
 */

import { WindowRequest } from "../../core/vcpu_vmx.ts";
import { PROC, PROC2 } from "../controls.ts";
import { O, r16, r32, ru64, w16 } from "../entry/offsets.ts";
import { performVmExit } from "../exit/vmexit.ts";
import { Reason } from "../exit/reasons.ts";
import type { Nested } from "../nonroot/session.ts";

/** Offsets of the virtual-APIC registers (SDM 29.1.1). */
export const VAPIC = {
  /** Virtual task-priority register. */
  TPR: 0x080,
  /** Virtual processor-priority register. */
  PPR: 0x0a0,
  /** Virtual end-of-interrupt register. */
  EOI: 0x0b0,
  /** Virtual interrupt-service register (eight 32-bit fields 16 bytes apart). */
  ISR: 0x100,
  /** Virtual interrupt-request register (eight 32-bit fields 16 bytes apart). */
  IRR: 0x200,
  /** Virtual interrupt-command register, low half. */
  ICR_LO: 0x300,
  /** Virtual interrupt-command register, high half. */
  ICR_HI: 0x310,
  /** Virtual self-IPI register (x2APIC mode). */
  SELF_IPI: 0x3f0,
} as const;

/** The secondary controls in force (0 without "activate secondary controls"). */
export function proc2Of(d: DataView): number {
  return (r32(d, O.CPU_BASED_VM_EXEC_CONTROL) & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0
    ? r32(d, O.SECONDARY_VM_EXEC_CONTROL)
    : 0;
}

/** The virtual-APIC address of the current vmcs12. */
export function vapicBase(d: DataView): number {
  return ru64(d, O.VIRTUAL_APIC_PAGE_ADDR);
}

/** Read the 32-bit virtual-APIC register at page offset `off`. */
export function readV(n: Nested, off: number): number {
  return n.mem.read(vapicBase(n.d) + off, 4);
}

/** Write the 32-bit virtual-APIC register at page offset `off`. */
export function writeV(n: Nested, off: number, value: number): void {
  n.mem.write(vapicBase(n.d) + off, 4, value >>> 0);
}

/** Offset of the 32-bit field holding bit `vector` of VISR/VIRR at `base` (29.1.1). */
function bitField(base: number, vector: number): number {
  return base | ((vector & 0xe0) >>> 1);
}

/** Set or clear bit `vector` of the 256-bit register at `base` (VISR, VIRR). */
export function setVBit(n: Nested, base: number, vector: number, on: boolean): void {
  const off = bitField(base, vector);
  const bit = 1 << (vector & 31);
  const old = readV(n, off);
  writeV(n, off, on ? old | bit : old & ~bit);
}

/** Index of the highest set bit of the 256-bit register at `base`, or -1. */
export function highestV(n: Nested, base: number): number {
  for (let w = 7; w >= 0; w--) {
    const v = readV(n, base + 16 * w);
    if (v !== 0) return w * 32 + 31 - Math.clz32(v);
  }
  return -1;
}

/** RVI: bits 7:0 of the guest interrupt status. */
export function rvi(d: DataView): number {
  return r16(d, O.GUEST_INTR_STATUS) & 0xff;
}

/** SVI: bits 15:8 of the guest interrupt status. */
export function svi(d: DataView): number {
  return r16(d, O.GUEST_INTR_STATUS) >>> 8;
}

function setStatus(d: DataView, rviValue: number, sviValue: number): void {
  w16(d, O.GUEST_INTR_STATUS, (rviValue & 0xff) | ((sviValue & 0xff) << 8));
}

/**
 * A trap-like VM exit (TPR below threshold, virtualized EOI, APIC write):
 * it follows the instruction, so the saved RIP is the next instruction's
 * (SDM 29.1.2, 29.1.4, 29.4.3.3). Call only where `vcpu.rip` is that.
 */
export function trapExit(n: Nested, reason: number, qual: number): void {
  n.info.begin(reason).qual(qual);
  performVmExit(n, n.vcpu.rip);
}

/** PPR virtualization (SDM 29.1.3): VPPR from VTPR and SVI. */
export function pprVirtualization(n: Nested): void {
  const vtpr = readV(n, VAPIC.TPR) & 0xff;
  const s = svi(n.d);
  writeV(n, VAPIC.PPR, (vtpr >>> 4) >= (s >>> 4) ? vtpr : s & 0xf0);
}

/**
 * TPR virtualization (SDM 29.1.2). Without virtual-interrupt delivery a
 * VTPR class below the TPR threshold is a trap-like VM exit; with it, PPR
 * virtualization and evaluation of pending virtual interrupts. True when a
 * VM exit was performed.
 */
export function tprVirtualization(n: Nested): boolean {
  if ((proc2Of(n.d) & PROC2.VIRTUAL_INTERRUPT_DELIVERY) === 0) {
    const vtprClass = (readV(n, VAPIC.TPR) >>> 4) & 0xf;
    if (vtprClass < (r32(n.d, O.TPR_THRESHOLD) & 0xf)) {
      trapExit(n, Reason.TPR_BELOW_THRESHOLD, 0);
      return true;
    }
    return false;
  }
  pprVirtualization(n);
  evaluatePending(n);
  return false;
}

/** Whether bit `vector` of the EOI-exit bitmap (fields 0-3, 64 vectors each) is set. */
function eoiExits(d: DataView, vector: number): boolean {
  const field = [O.EOI_EXIT_BITMAP0, O.EOI_EXIT_BITMAP1, O.EOI_EXIT_BITMAP2, O.EOI_EXIT_BITMAP3][
    vector >>> 6
  ];
  const bit = vector & 63;
  const half = bit < 32 ? r32(d, field) : r32(d, field + 4);
  return ((half >>> (bit & 31)) & 1) !== 0;
}

/**
 * EOI virtualization (SDM 29.1.4): the in-service vector SVI leaves VISR,
 * SVI becomes the next highest in-service vector, PPR virtualization; then
 * a trap-like "virtualized EOI" VM exit with the vector as qualification
 * if the EOI-exit bitmap says so, else evaluation of pending virtual
 * interrupts. True when a VM exit was performed.
 */
export function eoiVirtualization(n: Nested): boolean {
  const d = n.d;
  const vector = svi(d);
  setVBit(n, VAPIC.ISR, vector, false);
  const next = highestV(n, VAPIC.ISR);
  setStatus(d, rvi(d), next < 0 ? 0 : next);
  pprVirtualization(n);
  if (eoiExits(d, vector)) {
    trapExit(n, Reason.VIRTUALIZED_EOI, vector);
    return true;
  }
  evaluatePending(n);
  return false;
}

/** Self-IPI virtualization (SDM 29.1.5): `vector` becomes requested, RVI at least it. */
export function selfIpiVirtualization(n: Nested, vector: number): void {
  const d = n.d;
  setVBit(n, VAPIC.IRR, vector, true);
  setStatus(d, Math.max(rvi(d), vector & 0xff), svi(d));
  evaluatePending(n);
}

/**
 * Evaluation of pending virtual interrupts (SDM 29.2.1): recognized when
 * "interrupt-window exiting" is 0 and RVI[7:4] > VPPR[7:4]. Recognition
 * asks the CPU for the interrupt window, where delivery happens.
 */
export function evaluatePending(n: Nested): void {
  const d = n.d;
  const windowExiting = (r32(d, O.CPU_BASED_VM_EXEC_CONTROL) & PROC.INTERRUPT_WINDOW_EXITING) !==
    0;
  const ppr = readV(n, VAPIC.PPR);
  n.apicv.recognized = !windowExiting && (rvi(d) >>> 4) > ((ppr >>> 4) & 0xf);
  const v = n.vcpu;
  if (n.apicv.recognized) v.windowRequests |= WindowRequest.INTERRUPT;
  else if (!windowExiting) v.windowRequests &= ~WindowRequest.INTERRUPT;
  v.interruptStateChanged();
}

/**
 * Virtual-interrupt delivery (SDM 29.2.2) at an instruction boundary where
 * the CPU offers the interrupt window: RVI moves from VIRR to VISR, SVI
 * and VPPR follow, RVI becomes the next requested vector, and the vector
 * is delivered through L2's IDT (which also wakes L2 from HLT). Returns
 * false when nothing was delivered (no recognized interrupt, or RFLAGS.IF
 * clear / STI or MOV SS blocking at this boundary).
 */
export function deliverVirtualInterrupt(n: Nested): boolean {
  const v = n.vcpu;
  if (!n.apicv.recognized) return false;
  if ((v.rflags & 0x200) === 0 || (v.interruptibility & 3) !== 0) return false;
  const d = n.d;
  const vector = rvi(d);
  setVBit(n, VAPIC.ISR, vector, true);
  writeV(n, VAPIC.PPR, vector & 0xf0);
  setVBit(n, VAPIC.IRR, vector, false);
  const next = highestV(n, VAPIC.IRR);
  setStatus(d, next < 0 ? 0 : next, vector);
  n.apicv.recognized = false;
  v.windowRequests &= ~WindowRequest.INTERRUPT;
  n.deliveredSinceEntry = true;
  v.injectEvent({ type: 0, vector, errorCode: -1, instructionLength: 0 });
  v.deliverQueuedInjection();
  return true;
}
