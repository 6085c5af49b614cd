/**
 * Nested EPT: while L2 runs with "enable EPT", every L2 guest-physical
 * address (including those of L2's own paging structures) is translated
 * through L1's EPT tables with mm/'s EPT walker; a failed translation is
 * raised by the CPU as an "ept-violation"/"ept-misconfig" exit on the bus,
 * which the VMX plugin's interceptor turns into an EPT-violation (48) or
 * EPT-misconfiguration (49) VM exit to L1
 * with the SDM's qualification, guest-physical and guest-linear address
 * (SDM Vol. 3C 29.3.3, 28.2.1).
 *
 * @module
 */

import type { GuestPhysicalTranslator } from "../../core/vcpu_vmx.ts";
import type { EptExit } from "../../core/vmexit.ts";
import {
  EPT_EXEC,
  EPT_EXEC_USER,
  EPT_MBEC,
  EPT_MISCONFIG,
  EPT_PML_FULL,
  EPT_READ,
  EPT_VIOLATION,
  type EptCaps,
  type EptModificationLog,
  EptResult,
  eptWalk,
} from "../../mm/ept.ts";
import { EptTranslator } from "../../mm/ept_cache.ts";
import type { GuestMemory } from "../../mm/types.ts";
import { GPA_USER_FETCH } from "../../mm/paging_types.ts";
import { EPT_CAP, PROC, PROC2 } from "../controls.ts";
import type { VmxFeatures } from "../features.ts";
import { O, r16, r32, rhi, w16 } from "../entry/offsets.ts";
import { performVmExit } from "../exit/vmexit.ts";
import { Reason } from "../exit/reasons.ts";
import { faultLikeRip, nmiUnblockedByIret } from "../exit/fault_like.ts";
import type { Nested } from "../nonroot/session.ts";
import { convertToVe, VE_VECTOR } from "./virtualization_exception.ts";

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
    maxPhysAddr: f.physBits,
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

/** Nested EPT for one L2 run: the vCPU's guest-physical translator while L2 runs. */
export class NestedEpt implements GuestPhysicalTranslator {
  /** The EPT pointer of vmcs12 (set at entry; VMFUNC's EPTP switching changes it). */
  get eptp(): number {
    return this.#eptp;
  }
  #eptp: number;
  /** The failure of the last translation that returned -1. */
  readonly fault: {
    kind: "ept-violation" | "ept-misconfig" | "pml-full";
    gpa: number;
    linear: number;
    qualification: number;
    /** A violation's "suppress #VE" bit (bit 63 of the deciding EPT entry, SDM 26.5.7.1). */
    suppressVe: boolean;
  } = { kind: "ept-violation", gpa: 0, linear: NaN, qualification: 0, suppressVe: true };
  private readonly n: Nested;
  private readonly t: EptTranslator;
  /** The page-modification log while "enable PML" is 1, else null. */
  private readonly log: EptModificationLog | null;
  /** `EPT_MBEC` while "mode-based execute control for EPT" is 1, else 0. */
  private readonly mbec: number;

  /**
   * Start translating under vmcs12's EPT pointer (`pml`: "enable PML" is 1;
   * `mbec`: "mode-based execute control for EPT" is 1).
   */
  constructor(n: Nested, eptp: number, pml = false, mbec = false) {
    this.n = n;
    this.#eptp = eptp;
    this.t = translatorOf(n);
    this.log = pml ? pageModificationLog(n) : null;
    this.mbec = mbec ? EPT_MBEC : 0;
  }

  /**
   * Translate an L2 guest-physical address for `access` (1 read, 2 write,
   * 4 execute, with `GPA_USER_FETCH` from a user-mode linear address: XU
   * decides under MBEC); `linear` is NaN when the access has no guest-linear
   * address. Returns the L1 physical address, or -1 with {@link fault}
   * describing the violation or misconfiguration (the CPU then raises it
   * on the exit bus, and {@link reflect} performs the VM exit).
   */
  translateGpa(gpa: number, access: number, linear: number, isPageWalk: boolean): number {
    // Fetch, or read and/or write (3: the read-modify-write of a guest
    // paging-structure A/D update reports both, SDM Table 29-7 bits 0-1).
    const kind = (access & 4) !== 0
      ? (access & GPA_USER_FETCH) !== 0 && this.mbec !== 0 ? EPT_EXEC_USER : EPT_EXEC
      : (access & 3) !== 0
      ? access & 3
      : 1;
    let flags = (isPageWalk ? 0x10000 : 0) | this.mbec;
    if (linear === linear) {
      flags |= 0x80;
      if (!isPageWalk) flags |= 0x100;
    }
    const h = this.t.translate(this.#eptp, gpa, kind, flags, this.log);
    if (h >= 0) return h;
    const r: EptResult = this.t.result;
    const f = this.fault;
    f.kind = r.fault === EPT_MISCONFIG
      ? "ept-misconfig"
      : r.fault === EPT_PML_FULL
      ? "pml-full"
      : "ept-violation";
    f.gpa = gpa;
    f.linear = linear;
    f.qualification = r.fault === EPT_VIOLATION ? r.qualification : 0;
    f.suppressVe = r.fault !== EPT_VIOLATION || r.suppressVe;
    return -1;
  }

  /** Translate under `eptp` from now on (VMFUNC's EPTP switching; the caller switches the TLB context). */
  switchTo(eptp: number): void {
    this.#eptp = eptp;
  }

  /**
   * Translate for reading without side effects (a debugger's look): the
   * walk's accessed/dirty writes are dropped, nothing is cached and no
   * fault is recorded. Returns the L1 physical address or -1.
   */
  peekGpa(gpa: number): number {
    const mem = this.n.mem;
    const quiet = { read32: (a: number) => mem.read(a, 4), write32: () => {} };
    const r = new EptResult();
    return eptWalk(quiet, this.#eptp, gpa, EPT_READ, r, eptCapsOf(this.n.features)) ? r.hpa : -1;
  }
}

/**
 * Perform the EPT-violation or misconfiguration VM exit for an exit the
 * CPU raised on the bus (SDM Vol. 3C 28.2.1, 29.3.3) — or, for a violation
 * that "EPT-violation #VE" converts, save the virtualization-exception
 * information and raise #VE in L2 (`raiseException`: the CPU delivers it
 * as a fault of the instruction; `virtualization_exception.ts`).
 */
export function reflectEptExit(n: Nested, exit: EptExit): "reflected" {
  const info = n.info;
  // Bit 12: NMI unblocking due to IRET (violations and PML-full events, SDM 28.2.1).
  const nmi = nmiUnblockedByIret(n) ? 0x1000 : 0;
  if (exit.kind === "pml-full") {
    // Page-modification log full (SDM Vol. 3C 29.3.6, 28.2.1): fault-like,
    // only bit 12 of the qualification defined, no addresses.
    info.begin(Reason.PML_FULL).qual(nmi);
  } else {
    const misconfig = exit.kind === "ept-misconfig";
    const qual = (exit.qualification & ~0x1000) | nmi;
    // A convertible violation is a #VE in L2 instead (SDM Vol. 3C 26.5.7):
    // no VM exit, no exit information.
    if (!misconfig && convertToVe(n, exit, suppressVeOf(n, exit), qual)) {
      return n.vcpu.raiseException(VE_VECTOR);
    }
    if (misconfig) info.begin(Reason.EPT_MISCONFIG);
    else info.begin(Reason.EPT_VIOLATION).qual(qual);
    info.guestPhys = exit.gpa;
    if (exit.linear === exit.linear && !misconfig) info.guestLinear = exit.linear;
  }
  // Fault-like: RIP of the instruction (or the boundary during event
  // delivery, with IDT-vectoring information so that L1 can re-inject it).
  performVmExit(n, faultLikeRip(n));
  return "reflected";
}

/**
 * The "suppress #VE" bit of the violation `exit` reports: the walk's, when
 * the translator's last fault is that violation; set (no conversion) when
 * the exit did not come from the translator.
 */
function suppressVeOf(n: Nested, exit: EptExit): boolean {
  const f = n.ept?.fault;
  if (f === undefined || f.kind !== "ept-violation" || f.gpa !== exit.gpa) return true;
  return f.suppressVe;
}

/** Begin nested EPT for an entry with "enable EPT" (EPTP already checked). */
export function startEpt(n: Nested): NestedEpt {
  const eptp = rhi(n.d, O.EPT_POINTER) * 0x100000000 + r32(n.d, O.EPT_POINTER);
  const proc = r32(n.d, O.CPU_BASED_VM_EXEC_CONTROL);
  const proc2 = (proc & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0
    ? r32(n.d, O.SECONDARY_VM_EXEC_CONTROL)
    : 0;
  const pml = (proc2 & PROC2.ENABLE_PML) !== 0;
  return new NestedEpt(n, eptp, pml, (proc2 & PROC2.MODE_BASED_EPT_EXECUTE) !== 0);
}

/**
 * The page-modification log of vmcs12 (SDM Vol. 3C 29.3.6): the PML index
 * (guest-state field) selects the next entry of the 4-KByte log at the PML
 * address; each guest-physical address whose EPT dirty flag went from 0 to 1
 * is written there (bits 11:0 clear) and the index decremented (0 wraps to
 * FFFFH). An index above 511 means the log is full: the next accessed/dirty
 * update causes a page-modification-log-full VM exit instead.
 */
function pageModificationLog(n: Nested): EptModificationLog {
  return {
    mayUpdate: (): boolean => r16(n.d, O.GUEST_PML_INDEX) <= 511,
    logDirty: (gpa: number): void => {
      const d = n.d;
      const index = r16(d, O.GUEST_PML_INDEX);
      if (index > 511) return;
      const base = rhi(d, O.PML_ADDRESS) * 0x100000000 + ((r32(d, O.PML_ADDRESS) & ~0xfff) >>> 0);
      const lo = gpa >>> 0;
      const hi = Math.floor(gpa / 0x100000000) >>> 0;
      n.mem.write(base + index * 8, 4, lo & ~0xfff);
      n.mem.write(base + index * 8 + 4, 4, hi);
      w16(d, O.GUEST_PML_INDEX, (index - 1) & 0xffff);
    },
  };
}
