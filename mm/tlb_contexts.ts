/**
 * TLB contexts tagged by VPID (SDM Vol. 3C 29.1, 29.4): one {@link Tlb}
 * per virtual-processor identifier, so that VM entries and exits with
 * "enable VPID" = 1 switch tables instead of flushing, as a processor
 * keeps the translations of each VPID apart. VPID 0 is VMX root operation
 * (and any guest run without "enable VPID"); it always has its table. A
 * few other VPIDs have one at a time: taking a table for a new VPID drops
 * the least recently used one's entries (a TLB may forget entries at any
 * time).
 *
 * Each context remembers what its entries depend on beyond the
 * architectural tags: the paging-mode bits and protection-key rights they
 * were filled under, the CR3 (and PCID) of its non-global entries, and the
 * guest-physical mapping (EPTP, APIC-access page) of L2's combined
 * mappings. The MMU compares them when a context becomes current
 * (`Mmu.load`, `Mmu.selectContext`) and drops what no longer applies.
 *
 * @module
 */

import { Tlb } from "./tlb.ts";

/** The default number of contexts: VPID 0 and three others. */
export const TLB_CONTEXTS = 4;

/** One context: a table and what its entries were filled under. */
export class TlbContext {
  /** The table. */
  readonly tlb: Tlb;
  /** The VPID its entries are tagged with. */
  vpid: number = 0;
  /** EPTP of the combined mappings (-1: none, guest-physical = host-physical). */
  eptp: number = -1;
  /** APIC-access page while accesses to it are virtualized, else -1. */
  apicAccess: number = -1;
  /** Paging-mode key (see `Mmu`) of the entries; NaN: unknown (empty table). */
  mode: number = NaN;
  /** CR3 (without bit 63) of the non-global entries; NaN: unknown. */
  cr3: number = NaN;
  /** PCID of the non-global entries. */
  pcid: number = 0;
  /** PKRU the entries' rights were computed with. */
  pkru: number = 0;
  /** IA32_PKRS the entries' rights were computed with. */
  pkrs: number = 0;
  /** Last use (for replacement). */
  used: number = 0;

  /** Create an empty context with a table of `entries` entries. */
  constructor(entries: number) {
    this.tlb = new Tlb(entries);
  }

  /**
   * Drop every entry. What they depended on stays recorded: it describes
   * the (now empty) table as well as any other state would.
   */
  reset(): void {
    this.tlb.flushAll();
  }
}

/** The contexts of one vCPU (see the module doc). */
export class TlbContexts {
  /** Contexts; index 0 is VPID 0's. */
  readonly #list: TlbContext[] = [];
  readonly #entries: number;
  readonly #max: number;
  #clock = 0;

  /** Contexts with tables of `entries` entries, at most `max` of them (at least 2). */
  constructor(entries: number, max: number = TLB_CONTEXTS) {
    this.#entries = entries;
    this.#max = Math.max(2, max);
    this.#list.push(new TlbContext(entries));
  }

  /** VPID 0's context (VMX root operation). */
  get root(): TlbContext {
    return this.#list[0];
  }

  /** Every context that exists (VPID 0's first). */
  get all(): readonly TlbContext[] {
    return this.#list;
  }

  /** The context of `vpid` if it has one, else undefined. */
  find(vpid: number): TlbContext | undefined {
    for (const c of this.#list) if (c.vpid === vpid) return c;
    return undefined;
  }

  /**
   * The context of `vpid`, made most recently used: an existing one, a new
   * one, or (all taken) the least recently used other than VPID 0's,
   * emptied and given to `vpid`.
   */
  take(vpid: number): TlbContext {
    let c = this.find(vpid);
    if (c === undefined) {
      if (this.#list.length < this.#max) {
        c = new TlbContext(this.#entries);
        this.#list.push(c);
      } else {
        c = this.#list[1];
        for (let i = 2; i < this.#list.length; i++) {
          if (this.#list[i].used < c.used) c = this.#list[i];
        }
        c.reset();
      }
      c.vpid = vpid;
      c.eptp = -1;
      c.apicAccess = -1;
    }
    c.used = ++this.#clock;
    return c;
  }
}
