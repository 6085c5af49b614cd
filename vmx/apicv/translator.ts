/**
 * The guest-physical translator of an L2 run with "virtualize APIC
 * accesses" (SDM Vol. 3C 29.4): the one of EPT (or identity) except that
 * the APIC-access page is never reached as memory by L2. Linear data
 * accesses land on the vCPU's MMIO window page (decided by `apicAccess`);
 * instruction fetches, and with EPT the guest-physical accesses (paging
 * structures, PDPTEs), fail with an "apic-access" fault.
 *
 * @module
 */

import type { GuestPhysicalFault, GuestPhysicalTranslator } from "../../core/vcpu_vmx.ts";
import type { IoHandler } from "../../core/plugin.ts";
import { PROC2 } from "../controls.ts";
import { O, ru64 } from "../entry/offsets.ts";
import type { Nested } from "../nonroot/session.ts";
import { AccessType, apicAccessQualification } from "./apic_access.ts";
import { proc2Of } from "./vapic.ts";

/** The fault of a failed translation (reused). */
interface ApicAccessFault {
  kind: "apic-access";
  gpa: number;
  linear: number;
  qualification: number;
}

/** See the module documentation. */
class ApicAccessTranslator implements GuestPhysicalTranslator {
  readonly #n: Nested;
  readonly #inner: GuestPhysicalTranslator | null;
  readonly #page: number;
  readonly #window: number;
  readonly #own: ApicAccessFault = { kind: "apic-access", gpa: 0, linear: NaN, qualification: 0 };
  /** The last failure was this translator's own (not the inner translator's). */
  #ownFault = false;

  constructor(n: Nested, inner: GuestPhysicalTranslator | null, page: number, window: number) {
    this.#n = n;
    this.#inner = inner;
    this.#page = page;
    this.#window = window;
  }

  translateGpa(gpa: number, access: number, linear: number, isPageWalk: boolean): number {
    const inner = this.#inner;
    // EPT first: its violations (and its accessed/dirty flags) come before
    // the APIC access (29.4.1, 29.4.6.1).
    const pa = inner === null ? gpa : inner.translateGpa(gpa, access, linear, isPageWalk);
    if (pa < 0) {
      this.#ownFault = false;
      return pa;
    }
    const off = pa % 0x1000;
    if (pa - off !== this.#page) return pa;
    const v = this.#n.vcpu;
    if (isPageWalk) {
      // Without EPT a physical access: plain memory (29.4.6.2).
      if (inner === null) return pa;
      return this.#fail(
        gpa,
        linear,
        off,
        v.delivering >= 0 ? AccessType.GUEST_PHYSICAL_EVENT : AccessType.GUEST_PHYSICAL_INSTRUCTION,
      );
    }
    if (access === 4) return this.#fail(gpa, linear, off, AccessType.LINEAR_FETCH);
    // A linear data access. Remember a write translation of it (a
    // read-modify-write checks the write first) for the read that follows.
    const a = this.#n.apicv;
    if (access === 2) {
      a.probeLinear = linear;
      a.probe.set(v);
      a.rmwRead = false;
    } else {
      a.rmwRead = linear === a.probeLinear && a.probe.is(v);
    }
    return this.#window + off;
  }

  #fail(gpa: number, linear: number, off: number, type: AccessType): number {
    const f = this.#own;
    f.gpa = gpa;
    f.linear = linear;
    f.qualification = apicAccessQualification(off, type);
    this.#ownFault = true;
    return -1;
  }

  get fault(): GuestPhysicalFault {
    if (this.#ownFault) return this.#own;
    if (this.#inner === null) throw new Error("identity translation has no faults");
    return this.#inner.fault;
  }

  peekGpa(gpa: number): number {
    if (this.#inner === null) return gpa;
    return this.#inner.peekGpa?.(gpa) ?? -1;
  }
}

/**
 * A window forwarding to its page right now: a page that leads to a window
 * again (L1 naming another vCPU's window) reads as a hole, not a loop.
 */
let forwarding = false;

/**
 * Map the vCPU's window page on first use. The window's own handler
 * serves accesses that reach it without being virtualized (e.g. through a
 * stale translation after the L2 run): they go to the APIC-access page.
 * False when the window cannot be mapped (no machine, or the address is
 * taken): accesses to the APIC-access page then stay plain memory.
 */
function mapWindow(n: Nested): boolean {
  const a = n.apicv;
  if (a.window !== null) return true;
  if (a.mmio === null) return false;
  // The APIC-access page (-1 when none, or when L1 named the window itself).
  const page = (): number => a.accessPage === a.windowBase ? -1 : a.accessPage;
  const handler: IoHandler = {
    read: (offset, size) => {
      if (page() < 0 || forwarding) return 0xffffffff;
      forwarding = true;
      try {
        return n.mem.read(page() + offset, size);
      } finally {
        forwarding = false;
      }
    },
    write: (offset, size, value) => {
      if (page() < 0 || forwarding) return;
      forwarding = true;
      try {
        n.mem.write(page() + offset, size, value);
      } finally {
        forwarding = false;
      }
    },
  };
  try {
    a.window = a.mmio.register(a.windowBase, 0x1000, handler);
    return true;
  } catch {
    a.mmio = null;
    return false;
  }
}

/**
 * The translator for an L2 run (VM entry, snapshot restore): `ept` (or
 * null for identity) wrapped for the APIC-access page when "virtualize
 * APIC accesses" is 1. Nothing is due from a previous run.
 */
export function l2Translator(
  n: Nested,
  ept: GuestPhysicalTranslator | null,
): GuestPhysicalTranslator | null {
  const a = n.apicv;
  a.pendingWrites = [];
  a.opOffset = -1;
  a.probeLinear = NaN;
  a.rmwRead = false;
  a.pieceNext = -1;
  a.recognized = false;
  if ((proc2Of(n.d) & PROC2.VIRTUALIZE_APIC_ACCESSES) === 0 || !mapWindow(n)) {
    a.accessPage = -1;
    return ept;
  }
  a.accessPage = ru64(n.d, O.APIC_ACCESS_ADDR);
  return new ApicAccessTranslator(n, ept, a.accessPage, a.windowBase);
}
