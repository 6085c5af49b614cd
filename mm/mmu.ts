/**
 * The per-vCPU MMU the CPU engine runs on: paging context + {@link Tlb} +
 * walker over one guest memory, with the SDM's TLB-invalidation rules for
 * control-register writes, INVLPG and INVPCID (SDM Vol. 3A 4.10.4).
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
  ACCESS_AC,
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
  type GpaTranslator,
  MODE_NONE,
  PagingContext,
  WalkResult,
} from "./paging_types.ts";
import { type InvpcidResult, Tlb, TLB_ENTRIES } from "./tlb.ts";
import { loadPdptes, walk, type WalkMemory } from "./walk.ts";

export type { InvpcidResult } from "./tlb.ts";

const CR0_FLUSH = CR0_PG | CR0_WP;
const CR4_FLUSH = CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_LA57 |
  CR4_PKE | CR4_PKS;
const EFER_FLUSH = EFER_NXE | EFER_LMA;
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
  /** TLB entries (power of two; default 512). */
  readonly tlbEntries?: number;
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
  /** The TLB (the engine inlines its hit test). */
  readonly tlb: Tlb;
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

  /** Create an MMU over `memory`. */
  constructor(readonly memory: MmuMemory, options: MmuOptions = {}) {
    this.tlb = new Tlb(options.tlbEntries ?? TLB_ENTRIES);
    this.ctx.maxPhysAddr = options.maxPhysAddr ?? DEFAULT_MAXPHYADDR;
    this.ctx.page1G = options.page1G ?? true;
    this.unsubscribe = options.listen !== false && memory.onFrameInvalidate
      ? memory.onFrameInvalidate((f, w) => this.tlb.revokeFrame(f, w))
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
    if (this.ctx.mode === MODE_NONE && hook === null) return lin >>> 0;
    return walk(this.memory, this.ctx, lin, access, this.result, hook) ? this.result.phys : -1;
  }

  /**
   * Install the translation of `lin` to `pa` just obtained by
   * {@link walk} (read entry; with `write`, a write entry too) when `pa` is
   * RAM. Global and page size come from {@link result}.
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
    this.tlb.fill(lin, frame, data, write, paging && r.global, paging ? r.pageShift : 12);
  }

  /**
   * The engine's translation as one call: the TLB hit test for the access
   * class (user, supervisor with EFLAGS.AC), else {@link walk} and
   * {@link fill}. Instruction fetches always walk. Returns the physical
   * address or -1 (see {@link walk}).
   */
  translate(lin: number, access: number): number {
    const t = this.tlb;
    const cls = ((access & ACCESS_USER) !== 0 ? 1 : 0) | ((access & ACCESS_AC) !== 0 ? 2 : 0);
    if (t.owner !== cls) {
      t.flushAll();
      t.owner = cls;
    }
    const off = lin & 0xfff;
    const i = (lin >>> 12) & t.mask;
    const write = (access & ACCESS_WRITE) !== 0;
    if ((access & ACCESS_EXEC) === 0 && (write ? t.wTag[i] : t.rTag[i]) === lin - off) {
      return t.frame[i] * 4096 + off;
    }
    const pa = this.walk(lin, access);
    if (pa >= 0 && (access & ACCESS_EXEC) === 0) this.fill(lin, pa, write);
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
   * them under CR4.PCIDE for the same PCID. Returns 0, or the
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
    if (
      !pae && !cr3Write && cr0 === this.cr0 && cr4 === this.cr4 && efer === this.efer &&
      cr3 === this.ctx.cr3
    ) {
      // The same paging state again (a wholesale reload, e.g. a VM exit to a
      // host with the guest's control registers): nothing to decode or flush.
      return 0;
    }
    if (pae && pdptes === "load") {
      const r = loadPdptes(this.memory, cr3, this.scratch, this.ctx.maxPhysAddr, hook);
      if (r !== 0) return r;
    }
    const flush = ((cr0 ^ this.cr0) & CR0_FLUSH) !== 0 || ((cr4 ^ this.cr4) & CR4_FLUSH) !== 0 ||
      ((efer ^ this.efer) & EFER_FLUSH) !== 0;
    const oldPcid = this.ctx.pcid;
    this.cr0 = cr0;
    this.cr4 = cr4;
    this.efer = efer;
    this.ctx.load(cr0, cr3, cr4, efer);
    if (pae) {
      if (pdptes === "load") this.ctx.pdpte.set(this.scratch);
      else if (pdptes !== "keep") { for (let i = 0; i < 4; i++) this.ctx.pdpte[i] = pdptes[i]; }
    }
    if (flush) this.tlb.flushAll();
    else if (cr3Write) this.tlb.cr3Loaded(noFlush, this.ctx.pcide, oldPcid, this.ctx.pcid);
    return 0;
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
  }

  /** Load IA32_PKRS (WRMSR, snapshot restore); like {@link setPkru}, a change drops the TLB. */
  setPkrs(pkrs: number): void {
    const v = pkrs >>> 0;
    if (v === this.ctx.pkrs) return;
    this.ctx.pkrs = v;
    this.tlb.flushAll();
  }

  /** Flush everything (global included). */
  flushAll(): void {
    this.tlb.flushAll();
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
