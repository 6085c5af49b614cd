/**
 * The per-vCPU MMU the CPU engine runs on: paging context + {@link Tlb} +
 * walker over one guest memory, with the SDM's TLB-invalidation rules for
 * control-register writes, INVLPG and INVPCID (SDM Vol. 3A 4.10.4). The
 * TLB is that of the current VPID's context ({@link TlbContexts}): VM
 * entries and exits select a context ({@link Mmu.selectContext}), INVVPID
 * and INVEPT drop entries of any context (SDM Vol. 3C 29.4.3).
 *
 * The engine inlines the TLB hit test (see `tlb.ts`) and on a miss calls
 * {@link Mmu.walk} then {@link Mmu.fill}; {@link Mmu.translate} is that
 * same path as one call (tests, benchmarks, tools).
 *
 * ```ts
 * import { PhysicalMemory } from "./physical.ts";
 * import { Mmu } from "./mmu.ts";
 * import { ACCESS_WRITE, FAULT_PAGE } from "./paging_types.ts";
 * const mem = new PhysicalMemory();
 * mem.addRam(0, 16 << 20);
 * const mmu = new Mmu(mem);
 * mmu.setControlRegisters(0x11, 0, 0, 0); // paging off: identity
 * const pa = mmu.translate(0x1234, ACCESS_WRITE);
 * if (pa < 0 && mmu.result.fault === FAULT_PAGE) {
 *   // raise #PF(mmu.result.errorCode) with CR2 = the linear address
 * }
 * mmu.dispose();
 * ```
 *
 * @module
 */

import {
  ACCESS_EXEC,
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PCIDE,
  CR4_PGE,
  CR4_PKE,
  CR4_PKS,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  DEFAULT_MAXPHYADDR,
  EFER_LMA,
  EFER_NXE,
  FAULT_PAGE,
  type GpaTranslator,
  MODE_NONE,
  PagingContext,
  PERM_WRITE,
  permNeeded,
  WalkResult,
} from "./paging_types.ts";
import { type InvpcidResult, type Tlb, TLB_ENTRIES, VIEW_SUPERVISOR, VIEW_USER } from "./tlb.ts";
import { TLB_CONTEXTS, type TlbContext, TlbContexts } from "./tlb_contexts.ts";
import { loadPdptes, walk, type WalkMemory } from "./walk.ts";

export type { InvpcidResult } from "./tlb.ts";

const CR4_FLUSH = CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_LA57 |
  CR4_PKE | CR4_PKS;

/**
 * The paging-mode bits TLB entries depend on, as one number: CR4's
 * (CR4_FLUSH) in place, CR0.PG, CR0.WP, EFER.NXE and EFER.LMA in bits 0-3
 * (free in CR4_FLUSH). A change of any of them drops the whole TLB.
 */
function modeKey(cr0: number, cr4: number, efer: number): number {
  return (cr4 & CR4_FLUSH) | ((cr0 & CR0_PG) !== 0 ? 1 : 0) | ((cr0 & CR0_WP) !== 0 ? 2 : 0) |
    ((efer & EFER_NXE) !== 0 ? 4 : 0) | ((efer & EFER_LMA) !== 0 ? 8 : 0);
}
/** Bits whose change reloads the PDPTEs in PAE mode (SDM 4.4.1). */
const CR0_PDPTE = CR0_PG | (1 << 29) | (1 << 30);
const CR4_PDPTE = CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP;

/** What the MMU needs from guest memory: walks plus direct RAM views. */
export interface MmuMemory extends WalkMemory {
  /**
   * A 4 KiB view of RAM frame `frame`, or null (not RAM, ROM for write,
   * untouched RAM for read). Taking a write view does the write bookkeeping.
   */
  ramFrame(frame: number, forWrite: boolean): Uint8Array | null;
  /** The region covering `pa` (its kind tells RAM from ROM/MMIO). */
  regionAt?(pa: number): { readonly kind: string } | undefined;
  /** Register a listener for revoked frame views (frame, writeOnly); frame -1 = all. */
  onFrameInvalidate?(listener: (frame: number, writeOnly: boolean) => void): () => void;
}

/** Options for {@link Mmu}. */
export interface MmuOptions {
  /** TLB entries (power of two; default {@link TLB_ENTRIES}). */
  readonly tlbEntries?: number;
  /** TLB contexts (VPID 0 and others; default {@link TLB_CONTEXTS}, at least 2). */
  readonly tlbContexts?: number;
  /** MAXPHYADDR for reserved-bit checks (default 46). */
  readonly maxPhysAddr?: number;
  /** Whether 1 GiB pages are supported (default true). */
  readonly page1G?: boolean;
  /**
   * Revoke TLB views when the memory asks (default true). An engine that
   * also keeps other caches per frame subscribes itself and forwards.
   */
  readonly listen?: boolean;
}

/** How {@link Mmu.load} gets PAE PDPTEs. */
export type PdpteSource = "load" | "keep" | ArrayLike<number>;

/** Paging for one vCPU. */
export class Mmu {
  /**
   * The TLB of the current context (the engine inlines its hit test); it
   * changes with {@link selectContext}.
   */
  tlb: Tlb;
  /** The decoded paging state. */
  readonly ctx: PagingContext = new PagingContext();
  /** Outcome of the last walk (fault kind, #PF error code, page size, global). */
  readonly result: WalkResult = new WalkResult();
  /** EPT hook for {@link translate} and the CR helpers while L2 runs with EPT, else null. */
  nested: GpaTranslator | null = null;
  private cr0 = 0;
  private cr4 = 0;
  private efer = 0;
  private readonly scratch = new Float64Array(4);
  private readonly unsubscribe: () => void;
  readonly #contexts: TlbContexts;
  #cur: TlbContext;
  /** {@link modeKey} of the loaded CR0/CR4/EFER. */
  #mode = modeKey(0, 0, 0);

  /** Create an MMU over `memory`. */
  constructor(readonly memory: MmuMemory, options: MmuOptions = {}) {
    this.#contexts = new TlbContexts(
      options.tlbEntries ?? TLB_ENTRIES,
      options.tlbContexts ?? TLB_CONTEXTS,
    );
    this.#cur = this.#contexts.root;
    this.tlb = this.#cur.tlb;
    this.ctx.maxPhysAddr = options.maxPhysAddr ?? DEFAULT_MAXPHYADDR;
    this.ctx.page1G = options.page1G ?? true;
    this.unsubscribe = options.listen !== false && memory.onFrameInvalidate
      ? memory.onFrameInvalidate((f, w) => this.revokeFrame(f, w))
      : () => {};
  }

  /** Stop listening to the memory. */
  dispose(): void {
    this.unsubscribe();
  }

  // ------------------------------------------------------------------
  // Translation
  // ------------------------------------------------------------------

  /**
   * Walk the page tables for `lin` and `access` (ACCESS_* flags), without
   * looking in the TLB: the physical address (host-physical under EPT), or
   * -1 with the reason in {@link result} (FAULT_PAGE: #PF with
   * `result.errorCode`; FAULT_NESTED: the EPT hook produced its VM exit).
   */
  walk(lin: number, access: number, hook: GpaTranslator | null = this.nested): number {
    if (this.ctx.mode === MODE_NONE && hook === null) {
      this.result.perm = 0xff;
      return lin >>> 0;
    }
    return walk(this.memory, this.ctx, lin, access, this.result, hook) ? this.result.phys : -1;
  }

  /**
   * Install the translation of `lin` to `pa` just obtained by
   * {@link walk} when `pa` is RAM, with the rights the walk found
   * ({@link result}`.perm`; write rights only with `write`, i.e. after a
   * write walk). Global and page size come from {@link result}.
   */
  fill(lin: number, pa: number, write: boolean): void {
    const mem = this.memory;
    const frame = Math.floor(pa / 4096);
    let data = mem.ramFrame(frame, write);
    if (data === null && !write && mem.regionAt?.(pa)?.kind === "ram") {
      // RAM never written has no backing yet: allocate it so reads hit the fast path
      // (the page then counts as dirty for the dirty log: a safe over-approximation).
      data = mem.ramFrame(frame, true);
    }
    if (data === null) return;
    const paging = this.ctx.mode !== MODE_NONE;
    const r = this.result;
    const perm = write ? r.perm : r.perm & ~PERM_WRITE;
    this.tlb.fill(lin, frame, data, perm, paging && r.global, paging ? r.pageShift : 12);
  }

  /**
   * Install the translation of `lin` to `pa` just obtained by an
   * instruction-fetch {@link walk}: execute rights only (see
   * {@link Tlb.fill}), for any physical frame.
   */
  fillFetch(lin: number, pa: number): void {
    const paging = this.ctx.mode !== MODE_NONE;
    const r = this.result;
    const frame = Math.floor(pa / 4096);
    this.tlb.fill(lin, frame, null, r.perm, paging && r.global, paging ? r.pageShift : 12);
  }

  /**
   * The engine's translation as one call: the TLB shows the view of the
   * access's class (user or supervisor, as the CPU selects it by CPL); a
   * slot with the right the access needs answers, else {@link walk} and
   * {@link fill}. A page fault drops the page's entries (SDM 4.10.4.1).
   * Returns the physical address or -1 (see {@link walk}).
   */
  translate(lin: number, access: number): number {
    const t = this.tlb;
    const view = (access & ACCESS_USER) !== 0 ? VIEW_USER : VIEW_SUPERVISOR;
    if (t.view !== view) t.setView(view);
    const hit = t.probe(lin, permNeeded(access));
    if (hit >= 0) return hit;
    const pa = this.walk(lin, access);
    if (pa >= 0) {
      if ((access & ACCESS_EXEC) !== 0) this.fillFetch(lin, pa);
      else this.fill(lin, pa, (access & ACCESS_WRITE) !== 0);
    } else if (this.result.fault === FAULT_PAGE) t.flushPage(lin, true);
    return pa;
  }

  // ------------------------------------------------------------------
  // Control registers and invalidation
  // ------------------------------------------------------------------

  /**
   * Load paging state from the control registers (`cr3` without bit 63).
   * PAE PDPTEs: `"load"` reads them (with `hook` under EPT), `"keep"`
   * leaves them, or they are given (VM entry with EPT). TLB (SDM 4.10.4.1):
   * everything goes when a paging-mode bit changed (CR0.PG/WP,
   * CR4.PSE/PAE/PGE/PCIDE/SMEP/SMAP/LA57/PKE/PKS, EFER.NXE/LMA); with `cr3Write`
   * (a MOV to CR3), non-global entries go unless `noFlush` (bit 63) keeps
   * them under CR4.PCIDE for the same PCID. The comparison is with what
   * the current context's entries were filled under, so a context made
   * current by {@link selectContext} loses what no longer applies
   * (another CR3 there drops its non-global entries). Returns 0, or the
   * invalid-PDPTE mask / -1 as {@link loadPdptes}, and then nothing changed.
   */
  load(
    cr0: number,
    cr3: number,
    cr4: number,
    efer: number,
    pdptes: PdpteSource = "keep",
    cr3Write = false,
    noFlush = false,
    hook: GpaTranslator | null = this.nested,
  ): number {
    const pae = (cr0 & CR0_PG) !== 0 && (cr4 & CR4_PAE) !== 0 && !(efer & EFER_LMA);
    const c = this.#cur;
    if (
      !pae && !cr3Write && cr0 === this.cr0 && cr4 === this.cr4 && efer === this.efer &&
      cr3 === this.ctx.cr3 && this.#mode === c.mode && cr3 === c.cr3 &&
      this.ctx.pkru === c.pkru && this.ctx.pkrs === c.pkrs
    ) {
      // The same paging state again (a wholesale reload, e.g. a VM exit to a
      // host with the guest's control registers): nothing to decode or flush.
      return 0;
    }
    if (pae && pdptes === "load") {
      const r = loadPdptes(this.memory, cr3, this.scratch, this.ctx.maxPhysAddr, hook);
      if (r !== 0) return r;
    }
    this.cr0 = cr0;
    this.cr4 = cr4;
    this.efer = efer;
    this.#mode = modeKey(cr0, cr4, efer);
    this.ctx.load(cr0, cr3, cr4, efer);
    if (pae) {
      if (pdptes === "load") this.ctx.pdpte.set(this.scratch);
      else if (pdptes !== "keep") { for (let i = 0; i < 4; i++) this.ctx.pdpte[i] = pdptes[i]; }
    }
    this.#settle(cr3Write, noFlush);
    return 0;
  }

  /**
   * Make the current context's entries agree with the paging state just
   * loaded (see {@link load}) and record that state as theirs.
   */
  #settle(cr3Write: boolean, noFlush: boolean): void {
    const c = this.#cur;
    const ctx = this.ctx;
    const mode = this.#mode;
    const t = c.tlb;
    if (mode !== c.mode || ctx.pkru !== c.pkru || ctx.pkrs !== c.pkrs) t.flushAll();
    else if (cr3Write) t.cr3Loaded(noFlush, ctx.pcide, c.pcid, ctx.pcid);
    else if (ctx.cr3 !== c.cr3) t.flushNonGlobal();
    c.mode = mode;
    c.cr3 = ctx.cr3;
    c.pcid = ctx.pcid;
    c.pkru = ctx.pkru;
    c.pkrs = ctx.pkrs;
  }

  /**
   * Replace all paging state at once (reset, VM entry/exit, snapshot
   * restore): flushes the whole TLB. PDPTEs as in {@link load} (default:
   * loaded from memory).
   */
  setControlRegisters(
    cr0: number,
    cr3: number,
    cr4: number,
    efer: number,
    pdptes: PdpteSource = "load",
  ): number {
    this.tlb.flushAll();
    const r = this.load(cr0, cr3, cr4, efer, pdptes);
    if (r !== 0) {
      // Take the new state anyway (the PDPTEs stay as they were).
      this.load(cr0, cr3, cr4, efer, "keep");
    }
    return r;
  }

  /**
   * MOV to CR3 (`cr3` without bit 63; `noFlush` = bit 63 with CR4.PCIDE).
   * Returns 0, or (PAE) the invalid-PDPTE mask — raise #GP(0), nothing
   * changed — or -1 when the EPT hook failed.
   */
  writeCr3(cr3: number, noFlush = false): number {
    return this.load(this.cr0, cr3, this.cr4, this.efer, "load", true, noFlush);
  }

  /** MOV to CR0. Returns 0 or, entering/staying in PAE paging, a PDPTE error (nothing changed). */
  writeCr0(cr0: number): number {
    const reload = ((cr0 ^ this.cr0) & CR0_PDPTE) !== 0;
    return this.load(cr0, this.ctx.cr3, this.cr4, this.efer, reload ? "load" : "keep");
  }

  /** MOV to CR4. Returns 0 or a PDPTE error (nothing changed). */
  writeCr4(cr4: number): number {
    const reload = ((cr4 ^ this.cr4) & CR4_PDPTE) !== 0;
    return this.load(this.cr0, this.ctx.cr3, cr4, this.efer, reload ? "load" : "keep");
  }

  /** WRMSR to EFER, or LMA changes. */
  writeEfer(efer: number): void {
    this.load(this.cr0, this.ctx.cr3, this.cr4, efer, "keep");
  }

  /**
   * Load PKRU (WRPKRU, XRSTOR, snapshot restore). The TLB's entries were
   * filled under the old value (a write entry for a page whose key is now
   * write-disabled, say), so a change drops them all: a processor's TLB
   * caches a page's protection key, not the rights PKRU gives it (SDM Vol.
   * 3A 4.10.2.2), so a new PKRU applies to the very next access.
   */
  setPkru(pkru: number): void {
    const v = pkru >>> 0;
    if (v === this.ctx.pkru) return;
    this.ctx.pkru = v;
    this.tlb.flushAll();
    this.#cur.pkru = v;
  }

  /** Load IA32_PKRS (WRMSR, snapshot restore); like {@link setPkru}, a change drops the TLB. */
  setPkrs(pkrs: number): void {
    const v = pkrs >>> 0;
    if (v === this.ctx.pkrs) return;
    this.ctx.pkrs = v;
    this.tlb.flushAll();
    this.#cur.pkrs = v;
  }

  /** Flush everything (global included) of the current context. */
  flushAll(): void {
    this.tlb.flushAll();
  }

  /** Flush every context (a debugger's breakpoints changed, a snapshot was restored...). */
  flushAllContexts(): void {
    for (const c of this.#contexts.all) c.tlb.flushAll();
  }

  // ------------------------------------------------------------------
  // Contexts (VPIDs)
  // ------------------------------------------------------------------

  /** The VPID of the current context (0 in VMX root operation). */
  get vpid(): number {
    return this.#cur.vpid;
  }

  /**
   * Make `vpid`'s context current, as a VM entry or exit does (SDM Vol. 3C
   * 29.4.3.1): with `invalidate` (a transition with "enable VPID" = 0) its
   * entries go; so do they when they combine guest paging with another
   * guest-physical mapping than `eptp` / `apicAccess` (-1: no EPT, no
   * virtualized APIC-access page). Then {@link load} the new paging state,
   * which drops what the rest of the context no longer matches.
   */
  selectContext(vpid: number, eptp: number, apicAccess: number, invalidate: boolean): void {
    const cur = this.#cur;
    if (cur.vpid === vpid && cur.eptp === eptp && cur.apicAccess === apicAccess) {
      // The same context (a guest without VPID shares VPID 0 with its host).
      if (invalidate) cur.reset();
      return;
    }
    const c = this.#contexts.take(vpid);
    if (invalidate || c.eptp !== eptp || c.apicAccess !== apicAccess) c.reset();
    c.eptp = eptp;
    c.apicAccess = apicAccess;
    this.#cur = c;
    this.tlb = c.tlb;
  }

  /**
   * INVVPID (SDM Vol. 3C 29.4.3.1, INVVPID): type 0 the mappings of
   * `linear` for `vpid` (global ones included), 1 every mapping of `vpid`,
   * 2 every mapping of every VPID but 0, 3 every non-global mapping of
   * `vpid`. The operands were checked (VPID 0 only with type 2).
   */
  invvpid(type: number, vpid: number, linear: number): void {
    if (type === 2) {
      for (const c of this.#contexts.all) if (c.vpid !== 0) c.reset();
      return;
    }
    const c = this.#contexts.find(vpid);
    if (c === undefined) return;
    if (type === 0) c.tlb.flushPage(linear, true);
    else if (type === 1) c.reset();
    else c.tlb.flushNonGlobal();
  }

  /**
   * INVEPT (either type): drop the combined mappings (guest paging through
   * EPT) of every VPID. VPID 0's context holds none in VMX root operation:
   * a guest run without VPIDs leaves it empty at the VM exit.
   */
  invept(): void {
    for (const c of this.#contexts.all) if (c.vpid !== 0) c.reset();
  }

  /**
   * Drop every context's entries and make VPID 0's current (reset,
   * snapshot restore); {@link load} the paging state after.
   */
  resetContexts(): void {
    for (const c of this.#contexts.all) c.reset();
    this.#cur = this.#contexts.root;
    this.tlb = this.#cur.tlb;
  }

  /** Drop the write rights to `frame` (-1: all) in every context. */
  dropWrites(frame: number): void {
    for (const c of this.#contexts.all) c.tlb.dropWrites(frame);
  }

  /** The memory's frame-invalidation listener, for every context (see {@link Tlb.revokeFrame}). */
  revokeFrame(frame: number, writeOnly: boolean): void {
    for (const c of this.#contexts.all) c.tlb.revokeFrame(frame, writeOnly);
  }

  /** INVLPG: drop the page's translation, global or not. */
  invlpg(lin: number): void {
    this.tlb.flushPage(lin, true);
  }

  /** INVPCID of `type` for `pcid` (see {@link Tlb.invpcid}); false: #GP(0). */
  invpcid(type: number, pcid: number, lin: number): InvpcidResult {
    return this.tlb.invpcid(type, pcid, lin, this.ctx.pcid, this.ctx.pcide);
  }
}
