/**
 * Nested EPT: while L2 runs with "enable EPT", every L2 guest-physical
 * address (including those of L2's own paging structures) is translated
 * through L1's EPT tables with mm/'s EPT walker; a failed translation
 * becomes an EPT-violation (48) or EPT-misconfiguration (49) VM exit to L1
 * with the SDM's qualification, guest-physical and guest-linear address
 * (SDM Vol. 3C 29.3.3, 28.2.1).
 *
 * @module
 */

import { EPT_MISCONFIG, type EptCaps, type EptResult } from "../../mm/ept.ts";
import { EptTranslator } from "../../mm/ept_cache.ts";
import type { GuestMemory } from "../../mm/types.ts";
import { EPT_CAP } from "../controls.ts";
import type { VmxFeatures } from "../features.ts";
import { O, PHYS_BITS, r32, rhi } from "../entry/offsets.ts";
import { performVmExit } from "../exit/vmexit.ts";
import { intrInfo, Reason } from "../exit/reasons.ts";
import type { Nested } from "../nonroot/session.ts";

/** mm/'s EPT capabilities matching what we advertise in IA32_VMX_EPT_VPID_CAP. */
export function eptCapsOf(f: VmxFeatures): EptCaps {
  return Object.freeze({
    executeOnly: (f.eptVpidCapLo & EPT_CAP.EXECUTE_ONLY) !== 0,
    fourLevel: (f.eptVpidCapLo & EPT_CAP.PAGE_WALK_4) !== 0,
    fiveLevel: false,
    page2M: (f.eptVpidCapLo & EPT_CAP.PAGE_2M) !== 0,
    page1G: (f.eptVpidCapLo & EPT_CAP.PAGE_1G) !== 0,
    accessDirty: (f.eptVpidCapLo & EPT_CAP.ACCESSED_DIRTY) !== 0,
    memTypeWB: (f.eptVpidCapLo & EPT_CAP.MEMTYPE_WB) !== 0,
    maxPhysAddr: PHYS_BITS,
  });
}

const translators = new WeakMap<Nested, EptTranslator>();

function walkMemory(
  mem: GuestMemory,
): { read32(a: number): number; write32(a: number, v: number): void } {
  return {
    read32: (a) => mem.read(a, 4),
    write32: (a, v) => mem.write(a, 4, v),
  };
}

/** The EPT translator of a vCPU (one per vCPU; its cache lives until INVEPT). */
export function translatorOf(n: Nested): EptTranslator {
  let t = translators.get(n);
  if (t === undefined) {
    t = new EptTranslator(walkMemory(n.mem), eptCapsOf(n.features));
    translators.set(n, t);
  }
  return t;
}

/** Nested EPT for one L2 run. */
export class NestedEpt {
  /** The EPTP of vmcs12 at entry. */
  readonly eptp: number;
  private readonly n: Nested;
  private readonly t: EptTranslator;

  /** Start translating under vmcs12's EPT pointer. */
  constructor(n: Nested, eptp: number) {
    this.n = n;
    this.eptp = eptp;
    this.t = translatorOf(n);
  }

  /**
   * Translate an L2 guest-physical address for `access` (1 read, 2 write,
   * 4 execute); `linear` is NaN when the access has no guest-linear
   * address. Returns the L1 physical address, or -1 after the VM exit.
   */
  translateGpa(gpa: number, access: number, linear: number, isPageWalk: boolean): number {
    const kind = (access & 4) !== 0 ? 4 : (access & 2) !== 0 ? 2 : 1;
    let flags = isPageWalk ? 0x10000 : 0;
    if (linear === linear) {
      flags |= 0x80;
      if (!isPageWalk) flags |= 0x100;
    }
    const h = this.t.translate(this.eptp, gpa, kind, flags);
    if (h >= 0) return h;
    this.fault(this.t.result, gpa, linear);
    return -1;
  }

  /**
   * Perform the exit prepared by a failed {@link translateGpa}. The CPU
   * calls this after unwinding the abandoned instruction, so that the
   * guest state saved is that of the instruction boundary (SDM 27.1): an
   * instruction that had already moved RSP (LEAVE, POP to memory, far
   * CALL...) has undone it by then.
   */
  finishPending(): void {
    const rip = this.pendingRip;
    if (rip !== rip) return;
    this.pendingRip = NaN;
    performVmExit(this.n, rip);
  }

  /** RIP to save for the prepared exit, NaN when none is pending. */
  private pendingRip = NaN;

  /** Prepare the EPT-violation or misconfiguration VM exit for a failed walk. */
  private fault(r: EptResult, gpa: number, linear: number): void {
    const n = this.n;
    const v = n.vcpu;
    const info = n.info;
    if (r.fault === EPT_MISCONFIG) {
      info.begin(Reason.EPT_MISCONFIG);
    } else {
      info.begin(Reason.EPT_VIOLATION).qual(r.qualification);
    }
    info.guestPhys = gpa;
    if (linear === linear && r.fault !== EPT_MISCONFIG) info.guestLinear = linear;
    // Fault-like: RIP of the instruction (or the boundary during event delivery).
    const x = v as {
      ip0?: number;
      delivering?: number;
      deliveringType?: number;
      deliveringError?: number;
      deliveringLength?: number;
    };
    const delivering = x.delivering !== undefined && x.delivering >= 0;
    // During delivery of a software event (INT n, INT3, INTO, INT1) the saved
    // RIP is that of the instruction itself (SDM 28.3.3), not the next one.
    const soft = delivering && (x.deliveringType ?? 3) >= 4;
    const rip = delivering && !soft ? v.rip : x.ip0 ?? v.rip;
    if (delivering) {
      // The violation interrupted the delivery of an event through L2's IDT:
      // report it as IDT-vectoring information so that L1 can re-inject it (SDM 28.2.4).
      const err = x.deliveringError ?? -1;
      info.idtInfo = intrInfo(x.delivering!, x.deliveringType ?? 3, err >= 0);
      info.idtError = err >= 0 ? err : 0;
      if ((x.deliveringType ?? 3) >= 4) info.instrLen = x.deliveringLength ?? 0;
    }
    this.pendingRip = rip;
  }
}

/** Begin nested EPT for an entry with "enable EPT" (EPTP already checked). */
export function startEpt(n: Nested): NestedEpt {
  const eptp = rhi(n.d, O.EPT_POINTER) * 0x100000000 + r32(n.d, O.EPT_POINTER);
  return new NestedEpt(n, eptp);
}
