/**
 * VMLAUNCH and VMRESUME (SDM Vol. 3C 31.3 "VMLAUNCH/VMRESUME", chapter 27
 * "VM Entries"), from "current-VMCS pointer not valid" on; part 1 did the
 * #UD/#GP and non-root checks.
 *
 * Order: VMfailInvalid without a current VMCS; VMfailValid(26) with MOV-SS
 * blocking; launch state (4 / 5); control checks (7); host-state checks
 * (8); then the entry is committed: guest-state checks (exit 33),
 * guest-state loading, MSR-load list (exit 34), event injection, and L2
 * runs.
 *
 * @module
 */

import { WindowRequest } from "../../core/vcpu_vmx.ts";
import type { ExitDisposition } from "../../core/vmexit.ts";
import { Interruptibility } from "../../core/vcpu.ts";
import { PIN, PROC, PROC2 } from "../controls.ts";
import { vmFailInvalid, vmFailValid, vmSucceed, VmxError } from "../instructions/conventions.ts";
import { entryFailure, performVmExit } from "../exit/vmexit.ts";
import { Reason } from "../exit/reasons.ts";
import type { Nested } from "../nonroot/session.ts";
import { capsOf, checkControls } from "./check_controls.ts";
import { checkHost } from "./check_host.ts";
import { checkGuest, checkGuestRip, guestChecksFieldsOnly } from "./check_guest.ts";
import { apicvChecksReadMemory } from "../apicv/check.ts";
import { checksStillPass, recordChecksPassed } from "../vmcs12/cache.ts";
import { Injected, injectOnEntry } from "./inject.ts";
import { loadGuestState } from "./load_guest.ts";
import { loadMsrList } from "./msr_list.ts";
import { O, r32, rhi } from "./offsets.ts";
import { loadPdpteRegisters } from "./vcpu_access.ts";
import { enterL2Context } from "./tlb_context.ts";

const PDPTE_FIELDS = [O.GUEST_PDPTE0, O.GUEST_PDPTE1, O.GUEST_PDPTE2, O.GUEST_PDPTE3];
import { startEpt } from "../ept/nested_ept.ts";
import { l2Translator } from "../apicv/translator.ts";
import { apicvOnEntry } from "../apicv/hooks.ts";

/** The rule that made the last entry fail with VMfailValid(7/8) (diagnostics). */
export let lastEntryFailure = "";

/**
 * Run VMLAUNCH (`launch`) or VMRESUME. Returns "handled" for a VMfail
 * (flags and error field set; L1 continues after the instruction), or
 * "reflected" when the vCPU state was replaced (L2 runs, or L1 continues
 * at HOST_RIP after an entry-failure exit).
 */
export function vmentry(n: Nested, launch: boolean): ExitDisposition {
  const v = n.vcpu;
  const cur = n.state.current;
  const vmcs = cur?.vmcs ?? null;
  // A shadow VMCS cannot be used for VM entry (SDM Vol. 3C 25.10, 27.1).
  if (vmcs === null || vmcs.shadowIndicator) {
    vmFailInvalid(v);
    return "handled";
  }
  const d = vmcs.view;
  if ((v.interruptibility & Interruptibility.MOV_SS) !== 0) {
    n.stats.failedEntries++;
    vmFailValid(v, vmcs, VmxError.ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
    return "handled";
  }
  if (launch && vmcs.launched) {
    n.stats.failedEntries++;
    vmFailValid(v, vmcs, VmxError.VMLAUNCH_NONCLEAR_VMCS);
    return "handled";
  }
  if (!launch && !vmcs.launched) {
    n.stats.failedEntries++;
    vmFailValid(v, vmcs, VmxError.VMRESUME_NONLAUNCHED_VMCS);
    return "handled";
  }
  // Every check of 27.2 and 27.3.1 applies to every entry; when none of
  // their inputs changed since they all passed (vmcs12/cache.ts), their
  // outcome is known, and only the guest-RIP check (RIP is not tracked)
  // runs again.
  const hostLma = (v.efer & 0x400) !== 0 ? 1 : 0;
  const known = checksStillPass(d, hostLma);
  if (!known) {
    const ctl = checkControls(d, capsOf(n.features), n.features, n.mem);
    if (ctl !== null) {
      lastEntryFailure = ctl;
      n.stats.failedEntries++;
      vmFailValid(v, vmcs, VmxError.ENTRY_INVALID_CONTROL_FIELD);
      return "handled";
    }
    const host = checkHost(d, hostLma === 1, n.features);
    if (host !== null) {
      lastEntryFailure = host;
      n.stats.failedEntries++;
      vmFailValid(v, vmcs, VmxError.ENTRY_INVALID_HOST_STATE_FIELD);
      return "handled";
    }
  }
  // The entry is committed: from here on failures are VM exits to L1.
  n.vmcs = vmcs;
  n.d = d;
  // The flags of a successful VMLAUNCH/VMRESUME are those of VMsucceed; a
  // failed entry reports through the exit, and VM exits set RFLAGS to 2.
  vmSucceed(v);
  const qual = known ? checkGuestRip(d) : checkGuest(d, n.mem, n.features, cur?.ptr ?? -1);
  if (qual >= 0) {
    entryFailure(n, Reason.ENTRY_FAIL_GUEST_STATE, qual);
    return "reflected";
  }
  // Memoized only when no check read guest memory (VTPR, PDPTEs, the link
  // pointer's header), which can change without a VMWRITE.
  if (!known && guestChecksFieldsOnly(d) && !apicvChecksReadMemory(d)) {
    recordChecksPassed(d, hostLma);
  }
  const entryCtl = r32(d, O.VM_ENTRY_CONTROLS);
  // A single-step trap armed by L1's VMLAUNCH/VMRESUME does not follow into
  // L2; the guest's own pending debug exceptions come from the VMCS.
  v.clearPendingDebug();
  loadGuestState(v, d);
  n.debugctlLoaded = (entryCtl & 4) !== 0;
  const loadCount = r32(d, O.VM_ENTRY_MSR_LOAD_COUNT);
  if (loadCount !== 0) {
    const addr = rhi(d, O.VM_ENTRY_MSR_LOAD_ADDR) * 0x100000000 + r32(d, O.VM_ENTRY_MSR_LOAD_ADDR);
    const bad = loadMsrList(v, n.mem, addr, loadCount);
    if (bad !== 0) {
      entryFailure(n, Reason.ENTRY_FAIL_MSR_LOADING, bad);
      return "reflected";
    }
  }
  if (launch) vmcs.launched = true;
  // Enter non-root operation.
  const pin = r32(d, O.PIN_BASED_VM_EXEC_CONTROL);
  const proc = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  const proc2 = (proc & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0
    ? r32(d, O.SECONDARY_VM_EXEC_CONTROL)
    : 0;
  n.inL2 = true;
  n.stats.entries++;
  v.nonRoot = true;
  n.ept = (proc2 & PROC2.ENABLE_EPT) !== 0 ? startEpt(n) : null;
  v.guestPhysical = l2Translator(n, n.ept);
  // TSC offsetting and scaling (SDM 26.3): L2's RDTSC reads L1's TSC,
  // times the multiplier >> 48 with "use TSC scaling", plus the offset
  // (the VM exit takes both away again). Scaling needs offsetting.
  const offsetting = (proc & PROC.USE_TSC_OFFSETTING) !== 0;
  v.nonRootTscOffset = offsetting
    ? (rhi(d, O.TSC_OFFSET) | 0) * 0x100000000 + r32(d, O.TSC_OFFSET)
    : 0;
  v.nonRootTscMultiplier = offsetting && (proc2 & PROC2.USE_TSC_SCALING) !== 0
    ? (BigInt(rhi(d, O.TSC_MULTIPLIER) >>> 0) << 32n) | BigInt(r32(d, O.TSC_MULTIPLIER) >>> 0)
    : null;
  v.windowRequests = ((proc & PROC.INTERRUPT_WINDOW_EXITING) !== 0 ? WindowRequest.INTERRUPT : 0) |
    ((proc & PROC.NMI_WINDOW_EXITING) !== 0 ? WindowRequest.NMI : 0) |
    ((proc & PROC.MONITOR_TRAP_FLAG) !== 0 ? WindowRequest.MONITOR_TRAP : 0) |
    ((pin & PIN.EXTERNAL_INTERRUPT_EXITING) !== 0 ? WindowRequest.EXTERNAL_INTERRUPT : 0);
  enterL2Context(n);
  // PAE paging outside IA-32e mode: the PDPTEs come from the VMCS fields with
  // EPT, from guest memory at CR3 otherwise (checked above; SDM 27.3.2.4).
  if ((v.cr0 & 0x80000000) !== 0 && (v.cr4 & 0x20) !== 0 && (v.efer & 0x400) === 0) {
    if (n.ept !== null) {
      loadPdpteRegisters(
        v,
        (i) => r32(d, PDPTE_FIELDS[i]) + (rhi(d, PDPTE_FIELDS[i]) & 0xfffff) * 0x100000000,
      );
    } else {
      const base = (v.cr3 % 0x100000000) & 0xffffffe0;
      const mem = n.mem;
      loadPdpteRegisters(
        v,
        (i) => mem.read(base + 8 * i, 4) + (mem.read(base + 8 * i + 4, 4) & 0xfffff) * 0x100000000,
      );
    }
  }
  n.entryRetired = v.retired;
  n.deliveredSinceEntry = false;
  const inj = injectOnEntry(v, d, n.injected);
  n.injectedPending = inj === Injected.EVENT;
  if (inj === Injected.PENDING_MTF) {
    // A pending MTF VM exit is delivered before any L2 instruction (27.6.2).
    n.info.begin(Reason.MONITOR_TRAP_FLAG);
    performVmExit(n, v.rip);
    return "reflected";
  }
  if (apicvOnEntry(n)) return "reflected";
  if ((pin & PIN.PREEMPTION_TIMER) !== 0) armPreemptionTimer(n);
  return "reflected";
}

/**
 * Arm the VMX-preemption timer on the virtual clock: it counts down each
 * time bit `rate` of the TSC (1 GHz virtual) changes and causes a VM exit
 * at zero (SDM 26.5.1). A value of 0 exits before the first L2 instruction.
 */
function armPreemptionTimer(n: Nested): void {
  const value = r32(n.d, O.VMX_PREEMPTION_TIMER_VALUE);
  const v = n.vcpu;
  if (value === 0) {
    // Expired at entry: the CPU offers the exit after the injected event and
    // pending debug exceptions are delivered, before any L2 instruction.
    v.windowRequests |= WindowRequest.PREEMPTION_TIMER;
    v.interruptStateChanged();
    return;
  }
  // The timer counts down each time bit X (the rate) of the TSC changes
  // (SDM 26.5.1): the first count comes at the next change of that bit, so
  // it expires when the TSC reaches (TSC >> X) + value, shifted back by X.
  const unit = 2 ** n.features.preemptionTimerRate;
  const tsc = Math.floor((n.clock?.now ?? 0) + n.vcpu.tscOffset); // the processor's (L1's)
  rearmPreemptionTimer(n, (Math.floor(tsc / unit) + value) * unit - tsc);
}

/** Arm the preemption timer to expire `delay` virtual ns from now (entry, snapshot restore). */
export function rearmPreemptionTimer(n: Nested, delay: number): void {
  const clock = n.clock;
  if (clock === null) return;
  n.timerDeadline = clock.now + delay;
  n.timer = clock.schedule(n.timerDeadline, () => {
    n.timer = null;
    if (!n.inL2) return;
    // The timer exit follows the delivery of the event injected at entry
    // (a value of 0 exits after injection, before any instruction: SDM 26.7.4).
    const v = n.vcpu;
    v.deliverQueuedInjection();
    if (!n.inL2) return;
    if (v.pendingDebugExceptions() !== 0 && (v.interruptibility & Interruptibility.MOV_SS) === 0) {
      // Debug traps of the instruction that just completed (single-step,
      // data breakpoints) take priority over the timer's VM exit (SDM Vol.
      // 3C 26.5.1; 6.9 "traps on the previous instruction"): the vCPU
      // delivers the #DB at this boundary, then offers the timer exit
      // (unless the #DB itself caused a VM exit).
      v.windowRequests |= WindowRequest.PREEMPTION_TIMER;
      v.interruptStateChanged();
      return;
    }
    n.info.begin(Reason.PREEMPTION_TIMER);
    performVmExit(n, n.vcpu.rip);
  }, "vmx preemption timer");
}
