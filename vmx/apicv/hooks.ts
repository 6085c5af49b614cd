/**
 * Where APIC virtualization (SDM Vol. 3C chapter 29) joins nested VMX:
 * - {@link apicvExit}, called first in the L2 exit decision: MOV CR8 with
 *   the TPR shadow (29.3), x2APIC MSR accesses (29.5), accesses to the
 *   APIC-access page and APIC-access VM exits (29.4), virtual-interrupt
 *   delivery at the interrupt window (29.2.2), APIC-write emulation at the
 *   boundary after the writing operation (the "apic-write" event,
 *   29.4.3.2), posted-interrupt processing (29.6);
 * - {@link apicvOnEntry}, at the end of a VM entry: PPR virtualization and
 *   evaluation of pending virtual interrupts (27.3.2.5), or the VM exit
 *   induced by the TPR threshold (27.7.7);
 * - {@link saveApicv} / {@link restoreApicv} for snapshots.
 *
 * @module
 */

import type { CrAccessExit, ExitDisposition, VmExit } from "../../core/vmexit.ts";
import { PIN, PROC, PROC2 } from "../controls.ts";
import { O, r32 } from "../entry/offsets.ts";
import { Reason } from "../exit/reasons.ts";
import { msrExits } from "../nonroot/bitmaps.ts";
import type { Nested } from "../nonroot/session.ts";
import { apicAccess, reflectApicAccess } from "./apic_access.ts";
import { apicWriteDue } from "./apic_write.ts";
import { l2Translator } from "./translator.ts";
import { postedInterrupt } from "./posted.ts";
import {
  deliverVirtualInterrupt,
  evaluatePending,
  pprVirtualization,
  proc2Of,
  readV,
  tprVirtualization,
  trapExit,
  VAPIC,
  writeV,
} from "./vapic.ts";
import { x2apicRead, x2apicWrite } from "./x2apic.ts";

/**
 * Handle an L2 event that APIC virtualization owns; null when it is not
 * one (the usual exit decision goes on).
 */
export function apicvExit(n: Nested, exit: VmExit): ExitDisposition | null {
  switch (exit.kind) {
    case "cr":
      return exit.cr === 8 ? cr8(n, exit) : null;
    case "rdmsr":
    case "wrmsr": {
      const msr = exit.msr >>> 0;
      if (msr < 0x800 || msr > 0x8ff) return null;
      if ((proc2Of(n.d) & PROC2.VIRTUALIZE_X2APIC_MODE) === 0) return null;
      if (msrExits(n.d, n.mem, msr, exit.kind === "wrmsr")) return null;
      return exit.kind === "rdmsr" ? x2apicRead(n, exit) : x2apicWrite(n, exit);
    }
    case "mmio":
      return apicAccess(n, exit);
    case "apic-access":
      return n.apicv.accessPage >= 0 ? reflectApicAccess(n, exit) : null;
    case "apic-write":
      // What else is due at this boundary (the monitor trap flag, a debug
      // trap, an NMI, a virtual interrupt the emulation made pending) is
      // offered next by the CPU, in its own priority order.
      return apicWriteDue(n);
    case "interrupt-window":
      if (!n.apicv.recognized) return null;
      // Recognition requires "interrupt-window exiting" = 0 (29.2.1).
      deliverVirtualInterrupt(n);
      return "handled";
    case "external-interrupt":
      if ((r32(n.d, O.PIN_BASED_VM_EXEC_CONTROL) & PIN.POSTED_INTERRUPTS) === 0) return null;
      // "handled" consumes the interrupt: nothing left for the CPU to deliver.
      return postedInterrupt(n) ?? "handled";
    default:
      return null;
  }
}

/** MOV to/from CR8 with "use TPR shadow" and without CR8 load/store exiting (29.3). */
function cr8(n: Nested, exit: CrAccessExit): ExitDisposition | null {
  const proc = r32(n.d, O.CPU_BASED_VM_EXEC_CONTROL);
  if ((proc & PROC.USE_TPR_SHADOW) === 0) return null;
  const v = n.vcpu;
  if (exit.access === "mov-from") {
    if ((proc & PROC.CR8_STORE_EXITING) !== 0 || exit.gpr < 0) return null;
    v.gpr[2 * exit.gpr] = (readV(n, VAPIC.TPR) >>> 4) & 0xf;
    v.gpr[2 * exit.gpr + 1] = 0;
    return "handled";
  }
  if (exit.access !== "mov-to" || (proc & PROC.CR8_LOAD_EXITING) !== 0) return null;
  if (exit.valueHi !== 0 || (exit.valueLo & ~0xf) !== 0) return v.raiseException(13, 0);
  // VTPR[7:4] = source[3:0]; its other bits are cleared.
  writeV(n, VAPIC.TPR, (exit.valueLo & 0xf) << 4);
  return tprVirtualization(n) ? "reflected" : "handled";
}

/**
 * End of a VM entry with "use TPR shadow": with virtual-interrupt delivery,
 * PPR virtualization and evaluation of pending virtual interrupts; without,
 * a TPR threshold above VTPR[7:4] is a VM exit right after the entry,
 * after any injected event is delivered (it wakes a guest entered in HLT,
 * and does not happen for one entered in shutdown or wait-for-SIPI). True
 * when a VM exit was performed.
 */
export function apicvOnEntry(n: Nested): boolean {
  const d = n.d;
  if ((r32(d, O.CPU_BASED_VM_EXEC_CONTROL) & PROC.USE_TPR_SHADOW) === 0) return false;
  if ((proc2Of(d) & PROC2.VIRTUAL_INTERRUPT_DELIVERY) !== 0) {
    pprVirtualization(n);
    evaluatePending(n);
    return false;
  }
  if ((r32(d, O.TPR_THRESHOLD) & 0xf) <= ((readV(n, VAPIC.TPR) >>> 4) & 0xf)) return false;
  const v = n.vcpu;
  // Not after an entry into the shutdown or wait-for-SIPI state; it wakes one into HLT.
  if (v.activity === "shutdown" || v.activity === "wait-for-sipi") return false;
  v.deliverQueuedInjection();
  if (!n.inL2) return true;
  v.activity = "active";
  trapExit(n, Reason.TPR_BELOW_THRESHOLD, 0);
  return true;
}

/** Snapshot data of APIC virtualization during an L2 run. */
export interface ApicvSnapshot {
  /** A recognized virtual interrupt awaits delivery. */
  readonly recognized: boolean;
  /** Page offsets whose APIC-write emulation is due, in order. */
  readonly pendingWrites: readonly number[];
  /** Older snapshots: one page offset due, or -1. */
  readonly pendingWrite?: number;
}

/** The part of APIC virtualization that lives between two boundaries. */
export function saveApicv(n: Nested): ApicvSnapshot {
  return { recognized: n.apicv.recognized, pendingWrites: [...n.apicv.pendingWrites] };
}

/** Resume an L2 run from a snapshot: the translator for the APIC-access page, then the state. */
export function restoreApicv(n: Nested, data: unknown): void {
  n.vcpu.guestPhysical = l2Translator(n, n.ept);
  const s = data as Partial<ApicvSnapshot> | null | undefined;
  if (s === null || typeof s !== "object") return;
  n.apicv.recognized = s.recognized === true;
  const due = Array.isArray(s.pendingWrites) ? s.pendingWrites : [s.pendingWrite];
  n.apicv.pendingWrites = due.filter((w): w is number =>
    typeof w === "number" && Number.isInteger(w) && w >= 0 && w < 0x1000
  ).slice(0, 2);
}
