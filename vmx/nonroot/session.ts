/**
 * Per-vCPU state of nested execution: what VM entry set up and VM exit
 * tears down (the current vmcs12 while L2 runs, L1's TSC offset, the
 * preemption timer, the event injected at entry, nested EPT) plus the
 * reusable exit-information record and the statistics.
 *
 * @module
 */

import type { Timer, VirtualClock } from "../../core/clock.ts";
import type { PendingEvent, Vcpu } from "../../core/vcpu.ts";
import type { GuestMemory } from "../../mm/types.ts";
import type { VmxFeatures } from "../features.ts";
import type { VmxState } from "../state.ts";
import type { Vmcs12 } from "../vmcs12/vmcs12.ts";
import { ExitInfo } from "../exit/exit_info.ts";
import { VmxStats } from "../stats.ts";
import type { NestedEpt } from "../ept/nested_ept.ts";
import { ApicvState } from "../apicv/state.ts";

/** Everything one vCPU needs for VM entries, L2 execution and VM exits. */
export class Nested {
  /** The vCPU. */
  readonly vcpu: Vcpu;
  /** L1's physical memory (L0 guest-physical). */
  readonly mem: GuestMemory;
  /** The virtual clock (preemption timer), when the machine has one. */
  readonly clock: VirtualClock | null;
  /** Part 1's per-vCPU VMX state. */
  readonly state: VmxState;
  /** Advertised feature set. */
  readonly features: VmxFeatures;
  /** Exit statistics. */
  readonly stats: VmxStats;
  /** Called when a VMX abort shuts the vCPU down (indicator, VMCS pointer). */
  onAbort: (indicator: number, vmcsPointer: number) => void = () => {};

  /** The vmcs12 that controls L2 (valid while {@link inL2}). */
  vmcs: Vmcs12 | null = null;
  /** Its DataView (a dummy when none). */
  d: DataView = new DataView(new ArrayBuffer(4096));
  /** True while L2 runs (between a VM entry and the VM exit). */
  inL2 = false;
  /** The preemption timer, while armed. */
  timer: Timer | null = null;
  /** Virtual time (ns) at which the preemption timer expires. */
  timerDeadline = 0;
  /** The event injected at the last entry (for IDT-vectoring information). */
  readonly injected: PendingEvent = { type: 0, vector: 0, errorCode: -1, instructionLength: 0 };
  /** An event was injected at the last entry and not yet known delivered. */
  injectedPending = false;
  /** Instructions retired at the last VM entry. */
  entryRetired = 0;
  /**
   * An event (exception, NMI, interrupt) was delivered in L2 since the last
   * VM entry: an MTF VM exit is pending after it even before any L2
   * instruction completes (SDM Vol. 3C 27.7.2 / 26.5.2).
   */
  deliveredSinceEntry = false;
  /** VM entry loaded IA32_DEBUGCTL (so VM exit must clear it). */
  debugctlLoaded = false;
  /** Nested EPT while L2 runs with "enable EPT", else null. */
  ept: NestedEpt | null = null;
  /** The reusable exit-information record. */
  readonly info: ExitInfo = new ExitInfo();
  /** APIC virtualization (TPR shadow, APIC-access page, virtual interrupts). */
  readonly apicv: ApicvState = new ApicvState();

  /** Create the nested state of one vCPU. */
  constructor(
    vcpu: Vcpu,
    mem: GuestMemory,
    clock: VirtualClock | null,
    state: VmxState,
    features: VmxFeatures,
    stats: VmxStats = new VmxStats(),
  ) {
    this.vcpu = vcpu;
    this.mem = mem;
    this.clock = clock;
    this.state = state;
    this.features = features;
    this.stats = stats;
  }
}
