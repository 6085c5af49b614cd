/**
 * APIC-write emulation (SDM Vol. 3C 29.4.3.2): after an operation (an
 * instruction, one iteration of a REP string instruction, or an event
 * delivery) that virtualized a write to the APIC-access page, the
 * processor completes the write's virtualization by page offset — TPR,
 * EOI and self-IPI virtualization, clearing VICR_HI bytes 2:0 — or causes
 * a trap-like APIC-write VM exit (29.4.3.3).
 *
 * The CPU runs it as a boundary step of its own: the access handler asks
 * for the "apic-write" event ({@link WindowRequest.APIC_WRITE}), which the
 * CPU offers at the next instruction boundary before anything else due
 * there — APIC-write emulation "takes priority over SMIs, INIT signals,
 * and lower priority events" (the monitor trap flag, debug traps, NMIs,
 * interrupts, window exits) and "is not blocked if RFLAGS.IF = 0 or by the
 * MOV SS, POP SS, or STI instructions" — and again right after an event
 * delivered at a boundary whose pushes virtualized a write. A REP string
 * instruction ends after the iteration that virtualized a write, so the
 * emulation follows that iteration (RIP still on the instruction). A fault
 * raised after the write and delivered in L2 is delivered first ("before
 * the fault handler can execute"); a VM exit before the boundary drops the
 * emulation (VM entry starts with none due).
 *
 * @module
 */

import { WindowRequest } from "../../core/vcpu_vmx.ts";
import { PROC2 } from "../controls.ts";
import { Reason } from "../exit/reasons.ts";
import type { Nested } from "../nonroot/session.ts";
import {
  eoiVirtualization,
  proc2Of,
  readV,
  selfIpiVirtualization,
  tprVirtualization,
  trapExit,
  VAPIC,
  writeV,
} from "./vapic.ts";

/**
 * APIC-write emulation (29.4.3.2) for a virtualized write at page offset
 * `off`, after the operation completed: TPR (clear bytes 3:1, TPR
 * virtualization), EOI (EOI virtualization with virtual-interrupt
 * delivery), ICR low (self-IPI virtualization when it names a fixed,
 * edge-triggered IPI to self with a vector of at least 16 and no reserved
 * bit set), ICR high (clear bytes 2:0), SELF IPI (x2APIC: self-IPI
 * virtualization for vectors of at least 16); otherwise an APIC-write VM
 * exit (reason 56) with the offset as qualification. True when a VM exit
 * was performed.
 */
export function apicWriteEmulation(n: Nested, off: number): boolean {
  const vid = (proc2Of(n.d) & PROC2.VIRTUAL_INTERRUPT_DELIVERY) !== 0;
  switch (off & 0xff0) {
    case VAPIC.TPR:
      writeV(n, VAPIC.TPR, readV(n, VAPIC.TPR) & 0xff);
      return tprVirtualization(n);
    case VAPIC.EOI:
      if (vid) return eoiVirtualization(n);
      break;
    case VAPIC.ICR_LO: {
      const icr = readV(n, VAPIC.ICR_LO);
      // Reserved 31:20, 17:16, 13; delivery status 12; trigger mode 15;
      // delivery mode 10:8 fixed; shorthand 19:18 self; vector 7:4 not 0.
      if (
        vid && (icr & 0xfff3b700) === 0 && ((icr >>> 18) & 3) === 1 && (icr & 0xf0) !== 0
      ) {
        selfIpiVirtualization(n, icr & 0xff);
        return false;
      }
      break;
    }
    case VAPIC.ICR_HI:
      writeV(n, VAPIC.ICR_HI, readV(n, VAPIC.ICR_HI) & 0xff000000);
      return false;
    case VAPIC.SELF_IPI: {
      const value = readV(n, VAPIC.SELF_IPI);
      if (vid && (value & 0xf0) !== 0) {
        selfIpiVirtualization(n, value & 0xff);
        return false;
      }
      break;
    }
  }
  trapExit(n, Reason.APIC_WRITE, off);
  return true;
}

/**
 * A write of `width` bytes at page offset `off` was virtualized by the
 * operation in progress: remember it for the rest of that operation, and
 * have its emulation run at the boundary after it (one emulation per
 * operation: a second write it may make has the same offset).
 */
export function noteVirtualizedWrite(n: Nested, off: number, width: number): void {
  const a = n.apicv;
  const v = n.vcpu;
  if (sameOperation(n)) return;
  a.opOffset = off;
  a.opWidth = width;
  a.op.set(v);
  a.pendingWrites.push(off);
  v.windowRequests |= WindowRequest.APIC_WRITE;
  v.endStringIteration();
  v.interruptStateChanged();
}

/** Whether the operation in progress already virtualized a write ({@link noteVirtualizedWrite}). */
export function sameOperation(n: Nested): boolean {
  const a = n.apicv;
  return a.opOffset >= 0 && a.op.is(n.vcpu);
}

/**
 * The "apic-write" boundary step: the emulations due, in order, until one
 * performs a VM exit ("reflected"; what remains is dropped with the L2
 * state it belonged to), else "handled".
 */
export function apicWriteDue(n: Nested): "handled" | "reflected" {
  const a = n.apicv;
  const due = a.pendingWrites;
  a.pendingWrites = [];
  a.opOffset = -1;
  for (const off of due) {
    if (apicWriteEmulation(n, off)) return "reflected";
  }
  return "handled";
}
