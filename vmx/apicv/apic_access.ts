/**
 * Virtualizing accesses to the APIC-access page (SDM Vol. 3C 29.4).
 *
 * With "virtualize APIC accesses", L2's linear data accesses whose
 * physical address (after EPT translation, if enabled) lies in the page at
 * the APIC-access address are APIC accesses. nestvm routes them to a
 * private MMIO window page: a guest-physical translator installed for the
 * L2 run maps the APIC-access page to the window, and the window's
 * accesses arrive on the exit bus as level-2 "mmio" exits, which
 * {@link apicAccess} decides:
 * - a virtualized read returns the same offset of the virtual-APIC page
 *   (29.4.2);
 * - a virtualized write goes to the virtual-APIC page and leaves its
 *   APIC-write emulation (29.4.3.2) for the next instruction boundary;
 * - anything else is a fault-like APIC-access VM exit (reason 44;
 *   qualification: page offset in bits 11:0, access type 0 read / 1 write
 *   in bits 15:12; the instruction's length in the VM-exit
 *   instruction-length field).
 *
 * Not modelled: instruction fetches from the APIC-access page and accesses
 * during event delivery (types 2, 3), paging-structure and other
 * guest-physical accesses to it (types 10, 15); they reach the page as
 * ordinary memory.
 *
 * @module
 */

import { ABANDON } from "../../core/fault.ts";
import type { IoHandler } from "../../core/plugin.ts";
import type { GuestPhysicalFault, GuestPhysicalTranslator } from "../../core/vcpu_vmx.ts";
import type { MmioExit } from "../../core/vmexit.ts";
import { WindowRequest } from "../../core/vcpu_vmx.ts";
import { PROC, PROC2 } from "../controls.ts";
import { O, r32, ru64 } from "../entry/offsets.ts";
import { performVmExit } from "../exit/vmexit.ts";
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

/** Registers whose reads "APIC-register virtualization" virtualizes (29.4.2), by offset >> 4. */
const READABLE = new Set<number>([
  0x02, // ID
  0x03, // version
  0x08, // TPR
  0x0b, // EOI
  0x0d, // LDR
  0x0e, // DFR
  0x0f, // SVR
  0x10,
  0x11,
  0x12,
  0x13,
  0x14,
  0x15,
  0x16,
  0x17, // ISR
  0x18,
  0x19,
  0x1a,
  0x1b,
  0x1c,
  0x1d,
  0x1e,
  0x1f, // TMR
  0x20,
  0x21,
  0x22,
  0x23,
  0x24,
  0x25,
  0x26,
  0x27, // IRR
  0x28, // ESR
  0x30,
  0x31, // ICR
  0x32,
  0x33,
  0x34,
  0x35,
  0x36,
  0x37, // LVT
  0x38, // initial count
  0x3e, // divide configuration
]);

/** Registers whose writes "APIC-register virtualization" virtualizes (29.4.3.1), by offset >> 4. */
const WRITABLE = new Set<number>([
  0x02,
  0x08,
  0x0b,
  0x0d,
  0x0e,
  0x0f,
  0x28,
  0x30,
  0x31,
  0x32,
  0x33,
  0x34,
  0x35,
  0x36,
  0x37,
  0x38,
  0x3e,
]);

/**
 * Is a read of `size` bytes at page offset `off` virtualized (29.4.2)?
 * Reads wider than 32 bits or leaving the low 4 bytes of their 16-byte
 * register never are, nor any read without "use TPR shadow".
 */
export function readVirtualized(proc: number, proc2: number, off: number, size: number): boolean {
  if ((proc & PROC.USE_TPR_SHADOW) === 0 || size > 4 || (off & 0xf) + size > 4) return false;
  if ((proc2 & PROC2.APIC_REGISTER_VIRTUALIZATION) === 0) return off === VAPIC.TPR;
  return READABLE.has(off >>> 4);
}

/** Is a write of `size` bytes at page offset `off` virtualized (29.4.3.1)? */
export function writeVirtualized(proc: number, proc2: number, off: number, size: number): boolean {
  if ((proc & PROC.USE_TPR_SHADOW) === 0 || size > 4 || (off & 0xf) + size > 4) return false;
  if ((proc2 & PROC2.APIC_REGISTER_VIRTUALIZATION) !== 0) return WRITABLE.has(off >>> 4);
  if ((proc2 & PROC2.VIRTUAL_INTERRUPT_DELIVERY) !== 0) {
    return off === VAPIC.TPR || off === VAPIC.EOI || off === VAPIC.ICR_LO;
  }
  return off === VAPIC.TPR;
}

/**
 * APIC-write emulation (SDM 29.4.3.2) for a virtualized write at page
 * offset `off`, after the instruction completed: TPR (clear bytes 3:1,
 * TPR virtualization), EOI (EOI virtualization with virtual-interrupt
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
 * Run the APIC-write emulation left by the instruction that just completed
 * (offered at the boundary as a "monitor-trap" window). Returns
 * "reflected" after a VM exit, null otherwise (then the monitor-trap
 * request stays only if L1 asked for the monitor trap flag).
 */
export function finishPendingWrite(n: Nested): "reflected" | null {
  const a = n.apicv;
  const off = a.pendingWrite;
  if (off < 0) return null;
  a.pendingWrite = -1;
  if ((r32(n.d, O.CPU_BASED_VM_EXEC_CONTROL) & PROC.MONITOR_TRAP_FLAG) === 0) {
    n.vcpu.windowRequests &= ~WindowRequest.MONITOR_TRAP;
  }
  return apicWriteEmulation(n, off) ? "reflected" : null;
}

/**
 * Decide a level-2 access to this vCPU's window page (virtualize it, or
 * perform the APIC-access VM exit and abandon the instruction). Returns
 * null for an access that is not to the window.
 */
export function apicAccess(n: Nested, exit: MmioExit): "handled" | null {
  const a = n.apicv;
  if (a.accessPage < 0) return null;
  const off = exit.gpa - a.windowBase;
  if (off < 0 || off >= 0x1000) return null;
  const d = n.d;
  const proc = r32(d, O.CPU_BASED_VM_EXEC_CONTROL);
  const proc2 = proc2Of(d);
  const write = exit.direction === "out";
  // A second access of an operation that already virtualized a write exits (29.4.2, 29.4.3.1).
  const ok = a.pendingWrite < 0 &&
    (write
      ? writeVirtualized(proc, proc2, off, exit.size)
      : readVirtualized(proc, proc2, off, exit.size));
  if (ok) {
    const at = ru64(d, O.VIRTUAL_APIC_PAGE_ADDR) + off;
    if (write) {
      n.mem.write(at, exit.size as 1 | 2 | 4, exit.value);
      a.pendingWrite = off;
      // APIC-write emulation at the next boundary, whatever RFLAGS.IF says (29.4.3.2).
      n.vcpu.windowRequests |= WindowRequest.MONITOR_TRAP;
      n.vcpu.interruptStateChanged();
    } else {
      exit.value = n.mem.read(at, exit.size as 1 | 2 | 4);
    }
    return "handled";
  }
  // Fault-like APIC-access VM exit (29.4.1): RIP of the instruction, its length reported.
  const v = n.vcpu;
  const len = v.rip - v.ip0;
  n.info.begin(Reason.APIC_ACCESS).qual(off | (write ? 1 << 12 : 0));
  n.info.instrLen = len > 0 && len <= 15 ? len : 0;
  a.pendingWrite = -1;
  performVmExit(n, v.ip0);
  throw ABANDON;
}

/**
 * A guest-physical translator for an L2 run with "virtualize APIC
 * accesses": the one of EPT (or identity) except that data accesses to the
 * APIC-access page land on the vCPU's window page.
 */
class ApicAccessTranslator implements GuestPhysicalTranslator {
  readonly #inner: GuestPhysicalTranslator | null;
  readonly #page: number;
  readonly #window: number;

  constructor(inner: GuestPhysicalTranslator | null, page: number, window: number) {
    this.#inner = inner;
    this.#page = page;
    this.#window = window;
  }

  translateGpa(gpa: number, access: number, linear: number, isPageWalk: boolean): number {
    const pa = this.#inner === null
      ? gpa
      : this.#inner.translateGpa(gpa, access, linear, isPageWalk);
    if (pa < 0 || isPageWalk || access === 4) return pa;
    const off = pa % 0x1000;
    return pa - off === this.#page ? this.#window + off : pa;
  }

  get fault(): GuestPhysicalFault {
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
 * APIC accesses" is 1.
 */
export function l2Translator(
  n: Nested,
  ept: GuestPhysicalTranslator | null,
): GuestPhysicalTranslator | null {
  const a = n.apicv;
  a.pendingWrite = -1;
  a.recognized = false;
  if ((proc2Of(n.d) & PROC2.VIRTUALIZE_APIC_ACCESSES) === 0 || !mapWindow(n)) {
    a.accessPage = -1;
    return ept;
  }
  a.accessPage = ru64(n.d, O.APIC_ACCESS_ADDR);
  return new ApicAccessTranslator(ept, a.accessPage, a.windowBase);
}
