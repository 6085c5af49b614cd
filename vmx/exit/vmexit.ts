/**
 * The VM exit from L2 to L1 (SDM Vol. 3C chapter 28), the VM-entry failure
 * exit (27.8) and the VMX abort (28.7).
 *
 * @module
 */

import { EXIT, PIN } from "../controls.ts";
import { loadMsrList, storeMsrList } from "../entry/msr_list.ts";
import { loadPdpteRegisters } from "../entry/vcpu_access.ts";
import { enterL1Context } from "../entry/tlb_context.ts";
import { O, r32, w32, w64 } from "../entry/offsets.ts";
import type { Nested } from "../nonroot/session.ts";
import { OFF_ABORT } from "../vmcs12/layout.ts";
import { loadHostState } from "./load_host.ts";
import { AbortCode, EXIT_REASON_ENTRY_FAILURE, intrInfo, Reason } from "./reasons.ts";
import { saveGuestState, writeExitInfo } from "./save_guest.ts";

/** Stop L2 bookkeeping on the vCPU: timer, windows, TSC offset, EPT translator. */
function leaveNonRoot(n: Nested): void {
  const v = n.vcpu;
  if (n.timer !== null) {
    n.timer.cancel();
    n.timer = null;
  }
  v.windowRequests = 0;
  // RDTSC and RDMSR read the processor's TSC again, without L2's offset.
  v.nonRootTscOffset = 0;
  v.nonRootTscMultiplier = null;
  v.nonRoot = false;
  v.guestPhysical = null;
  // L2's pending debug state went into the VMCS (or is lost) and its
  // undelivered injected events end with it: never delivered to L1.
  v.clearPendingDebug();
  v.dropQueuedInjection();
  n.inL2 = false;
  n.ept = null;
  n.injectedPending = false;
}

/**
 * Virtual ns a VM exit takes (a fixed stall, like WBINVD's in
 * `core/stall.ts`). On Intel processors a VM exit and the VM entry that
 * resumes the guest take several hundred cycles together; 250 ns at the
 * 1 GHz virtual TSC is the exit's share. Without it an exit right after
 * VM entry took no time at all, so a saved VMX-preemption timer value
 * could be the value loaded (the timer counts TSC bit-X changes, SDM
 * 26.5.1), which no processor shows.
 */
export const VM_EXIT_NS = 250;

/**
 * Perform a VM exit to L1 with the exit information in `n.info`; `rip` is
 * the guest RIP to save. Afterwards the vCPU runs L1 at HOST_RIP (or is
 * shut down after a VMX abort).
 */
export function performVmExit(n: Nested, rip: number): void {
  const v = n.vcpu;
  const d = n.d;
  const info = n.info;
  // The exit's latency passes before the guest state is saved, so a
  // VMX-preemption timer saved by this exit has counted it.
  v.stall(VM_EXIT_NS);
  // An exit during delivery of the event injected at entry reports it as
  // IDT-vectoring information (SDM 28.2.4).
  if (
    n.injectedPending && info.idtInfo === 0 && v.retired === n.entryRetired &&
    (info.reason === Reason.EXCEPTION_NMI || info.reason === Reason.EPT_VIOLATION ||
      info.reason === Reason.EPT_MISCONFIG || info.reason === Reason.TRIPLE_FAULT)
  ) {
    const e = n.injected;
    info.idtInfo = intrInfo(e.vector, e.type, e.errorCode >= 0);
    info.idtError = e.errorCode >= 0 ? e.errorCode : 0;
    if (e.type >= 4) info.instrLen = e.instructionLength;
  }
  const exitCtl = r32(d, O.VM_EXIT_CONTROLS);
  // 28.2 exit information, 28.3 guest state.
  writeExitInfo(d, info);
  saveGuestState(
    v,
    d,
    rip,
    keepsPendingDebug(info.reason, v.interruptibility) ? v.pendingDebugExceptions() : 0,
  );
  if ((exitCtl & EXIT.SAVE_PREEMPTION_TIMER) !== 0) {
    w32(d, O.VMX_PREEMPTION_TIMER_VALUE, preemptionRemaining(n));
  }
  // 28.4 MSR-store list.
  const storeCount = r32(d, O.VM_EXIT_MSR_STORE_COUNT);
  if (storeCount !== 0) {
    const addr = r32(d, O.VM_EXIT_MSR_STORE_ADDR) +
      d.getUint32(O.VM_EXIT_MSR_STORE_ADDR + 4, true) * 0x100000000;
    if (storeMsrList(v, n.mem, addr, storeCount) !== 0) {
      leaveNonRoot(n);
      vmxAbort(n, AbortCode.SAVE_GUEST_MSRS);
      return;
    }
  }
  const nmiExit = info.reason === Reason.EXCEPTION_NMI && ((info.intrInfo >>> 8) & 7) === 2;
  const pin = r32(d, O.PIN_BASED_VM_EXEC_CONTROL);
  leaveNonRoot(n);
  n.stats.count("l2-l1", info.reason);
  finishToHost(n, nmiExit && (pin & PIN.VIRTUAL_NMIS) === 0);
}

/**
 * Whether the exit saves the pending debug exceptions rather than clearing
 * the field (SDM 28.3.4): INIT, SMI, machine check, TPR below threshold,
 * virtualized EOI, APIC write, monitor trap flag, and exits other than #DB
 * ones while MOV SS blocks debug exceptions.
 */
function keepsPendingDebug(reason: number, interruptibility: number): boolean {
  switch (reason & 0xffff) {
    case Reason.MONITOR_TRAP_FLAG:
    case 3: // INIT
    case 5: // I/O SMI
    case 6: // other SMI
    case 41: // machine check during entry
    case 43: // TPR below threshold
    case 45: // virtualized EOI
    case 56: // APIC write
      return true;
  }
  return (interruptibility & 2) !== 0 && reason !== Reason.EXCEPTION_NMI;
}

/** Remaining preemption-timer value (in timer ticks) at this moment. */
function preemptionRemaining(n: Nested): number {
  if (n.timer === null || n.clock === null) return 0;
  const left = n.timerDeadline - n.clock.now;
  if (left <= 0) return 0;
  // The deadline is at a change of TSC bit X: the changes still to come.
  return Math.min(0xffffffff, Math.ceil(left / 2 ** n.features.preemptionTimerRate));
}

/**
 * 28.5 load host state, 28.6 host MSR-load list, then leave non-root
 * operation for good (VMX abort on failure).
 */
function finishToHost(n: Nested, nmiBlocked: boolean, entryFailed = false): void {
  const v = n.vcpu;
  const d = n.d;
  const abort = loadHostState(v, d, n.mem, n.debugctlLoaded, n.features.physBits);
  n.debugctlLoaded = false;
  v.interruptibility = nmiBlocked ? 8 : 0;
  if (abort !== 0) {
    vmxAbort(n, abort);
    return;
  }
  const loadCount = r32(d, O.VM_EXIT_MSR_LOAD_COUNT);
  if (loadCount !== 0) {
    const addr = r32(d, O.VM_EXIT_MSR_LOAD_ADDR) +
      d.getUint32(O.VM_EXIT_MSR_LOAD_ADDR + 4, true) * 0x100000000;
    if (loadMsrList(v, n.mem, addr, loadCount) !== 0) {
      vmxAbort(n, AbortCode.LOAD_HOST_MSRS);
      return;
    }
  }
  // Back to VPID 0's translations (invalidated unless L2 ran with a VPID;
  // conservatively after a failed entry too).
  enterL1Context(n, entryFailed);
  // A PAE host outside IA-32e mode gets its PDPTEs from CR3 (checked in loadHostState).
  if ((v.cr0 & 0x80000000) !== 0 && (v.cr4 & 0x20) !== 0 && (v.efer & 0x400) === 0) {
    const base = (v.cr3 % 0x100000000) & 0xffffffe0;
    const mem = n.mem;
    loadPdpteRegisters(
      v,
      (i) => mem.read(base + 8 * i, 4) + (mem.read(base + 8 * i + 4, 4) & 0xfffff) * 0x100000000,
    );
  }
}

/**
 * VM-entry failure after the guest-state checks or while loading MSRs
 * (SDM 27.8): no guest state is saved; exit reason `reason` with bit 31
 * set and qualification `qual`; host state is loaded as for a VM exit.
 */
export function entryFailure(n: Nested, reason: number, qual: number): void {
  const d = n.d;
  const info = n.info.begin((reason | EXIT_REASON_ENTRY_FAILURE) >>> 0).qual(qual);
  w32(d, O.VM_EXIT_REASON, info.reason);
  w64(d, O.EXIT_QUALIFICATION, info.qualLo, info.qualHi);
  // The VM-exit interruption information is invalid after a failed entry.
  w32(d, O.VM_EXIT_INTR_INFO, 0);
  n.stats.failedEntries++;
  leaveNonRoot(n);
  finishToHost(n, false, true);
}

/**
 * VMX abort (SDM 28.7): write the indicator into the VMCS region and put
 * the logical processor into the shutdown state.
 */
export function vmxAbort(n: Nested, code: number): void {
  const v = n.vcpu;
  n.d.setUint32(OFF_ABORT, code >>> 0, true);
  // The indicator is written to the VMCS region in memory (28.7): L1's
  // view of the region must show it, with the rest of the VMCS data.
  n.vmcs?.storeAbortIndicator(code);
  n.vmcs?.writeBack();
  v.nonRoot = false;
  v.guestPhysical = null;
  v.clearPendingDebug();
  v.activity = "shutdown";
  v.stateChanged();
  n.onAbort(code >>> 0, n.vmcs?.gpa ?? -1);
}
