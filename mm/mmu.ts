/**
 * The per-vCPU MMU: paging context + TLB + walker over one
 * {@link PhysicalMemory}, with the SDM's TLB-invalidation rules for control
 * register writes, INVLPG and INVPCID (SDM Vol. 3A 4.10.4).
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

import type { PhysicalMemory } from "./physical.ts";
import {
  ACCESS_WRITE,
  CR0_PG,
  CR0_WP,
  CR4_LA57,
  CR4_PAE,
  CR4_PCIDE,
  CR4_PGE,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  DEFAULT_MAXPHYADDR,
  EFER_LMA,
  EFER_NXE,
  type GpaTranslator,
  MODE_PAE,
  PagingContext,
  PERM_WRITE,
  permNeeded,
  WalkResult,
} from "./paging_types.ts";
import { Tlb } from "./tlb.ts";
import { loadPdptes, walk } from "./walk.ts";

const CR0_FLUSH = CR0_PG | CR0_WP;
const CR4_FLUSH = CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_LA57;
const EFER_FLUSH = EFER_NXE | EFER_LMA;
/** Bits whose change reloads the PDPTEs in PAE mode (SDM 4.4.1). */
const CR0_PDPTE = CR0_PG | (1 << 29) | (1 << 30);
const CR4_PDPTE = CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP;

/** Options for {@link Mmu}. */
export interface MmuOptions {
  /** TLB entries (power of two; default 1024). */
  readonly tlbEntries?: number;
  /** MAXPHYADDR for reserved-bit checks (default 46). */
  readonly maxPhysAddr?: number;
  /** Whether 1 GiB pages are supported (default true). */
  readonly page1G?: boolean;
}

/** Outcome of INVPCID: false = invalid type or PCID (#GP(0)). */
export type InvpcidResult = boolean;

/** Paging for one vCPU. */
export class Mmu {
  /** The TLB (read its arrays in the CPU fast path). */
  readonly tlb: Tlb;
  /** The decoded paging state. */
  readonly ctx: PagingContext = new PagingContext();
  /** Outcome of the last walk (fault kind, #PF error code). */
  readonly result: WalkResult = new WalkResult();
  /** EPT hook while the vCPU runs L2 with EPT (set by the VMX plugin), else null. */
  nested: GpaTranslator | null = null;
  private cr0 = 0;
  private cr4 = 0;
  private efer = 0;
  private readonly scratch = new Float64Array(4);
  private readonly unsubscribe: () => void;

  /** Create an MMU over `memory`; it listens for revoked frame views. */
  constructor(readonly memory: PhysicalMemory, options: MmuOptions = {}) {
    this.tlb = new Tlb(options.tlbEntries ?? 1024);
    this.ctx.maxPhysAddr = options.maxPhysAddr ?? DEFAULT_MAXPHYADDR;
    this.ctx.page1G = options.page1G ?? true;
    this.unsubscribe = memory.onFrameInvalidate((f, w) => this.tlb.revokeFrame(f, w));
  }

  /** Stop listening to the memory. */
  dispose(): void {
    this.unsubscribe();
  }

  /**
   * Replace all paging state at once (reset, VM entry/exit, snapshot
   * restore): flushes the whole TLB. In PAE mode the PDPTEs are loaded from
   * memory unless `pdptes` gives them (VM entry with EPT takes them from the
   * VMCS). Returns 0, or the invalid-PDPTE mask / -1 as {@link loadPdptes}
   * (state is then still replaced, but the PDPTEs are not).
   */
  setControlRegisters(
    cr0: number,
    cr3: number,
    cr4: number,
    efer: number,
    pdptes?: ArrayLike<number>,
  ): number {
    this.cr0 = cr0;
    this.cr4 = cr4;
    this.efer = efer;
    this.ctx.load(cr0, cr3, cr4, efer);
    this.tlb.flushAll();
    if (this.ctx.mode !== MODE_PAE) return 0;
    if (pdptes) {
      for (let i = 0; i < 4; i++) this.ctx.pdpte[i] = pdptes[i];
      return 0;
    }
    return loadPdptes(this.memory, cr3, this.ctx.pdpte, this.ctx.maxPhysAddr, this.nested);
  }

  /**
   * MOV to CR3 (`cr3` without bit 63; `noFlush` = bit 63 with CR4.PCIDE).
   * Returns 0, or (PAE) the invalid-PDPTE mask — raise #GP(0), nothing
   * changed — or -1 when the EPT hook failed.
   */
  writeCr3(cr3: number, noFlush = false): number {
    if (this.ctx.mode === MODE_PAE) {
      const r = loadPdptes(this.memory, cr3, this.scratch, this.ctx.maxPhysAddr, this.nested);
      if (r !== 0) return r;
      this.ctx.pdpte.set(this.scratch);
    }
    const oldPcid = this.ctx.pcid;
    this.ctx.setCr3(cr3);
    // SDM 4.10.4.1: MOV to CR3 invalidates non-global entries (for the new
    // PCID); with PCIDE and bit 63 set, nothing. We keep only the current
    // PCID's entries, so a PCID change drops the others too.
    if (!noFlush || !this.ctx.pcide || this.ctx.pcid !== oldPcid) this.tlb.flushNonGlobal();
    return 0;
  }

  /** MOV to CR0. Returns 0 or, entering/staying in PAE paging, a PDPTE error (nothing changed). */
  writeCr0(cr0: number): number {
    return this.update(cr0, this.cr4, this.efer, (cr0 ^ this.cr0) & CR0_PDPTE);
  }

  /** MOV to CR4. Returns 0 or a PDPTE error (nothing changed). */
  writeCr4(cr4: number): number {
    return this.update(this.cr0, cr4, this.efer, (cr4 ^ this.cr4) & CR4_PDPTE);
  }

  /** WRMSR to EFER, or LMA changes. */
  writeEfer(efer: number): void {
    this.update(this.cr0, this.cr4, efer, 0);
  }

  /** Internal helper. */
  private update(cr0: number, cr4: number, efer: number, pdpteChange: number): number {
    const flush = ((cr0 ^ this.cr0) & CR0_FLUSH) !== 0 || ((cr4 ^ this.cr4) & CR4_FLUSH) !== 0 ||
      ((efer ^ this.efer) & EFER_FLUSH) !== 0;
    const pae = (cr0 & CR0_PG) !== 0 && (cr4 & CR4_PAE) !== 0 && !(efer & EFER_LMA);
    if (pae && pdpteChange) {
      const r = loadPdptes(
        this.memory,
        this.ctx.cr3,
        this.scratch,
        this.ctx.maxPhysAddr,
        this.nested,
      );
      if (r !== 0) return r;
    }
    this.cr0 = cr0;
    this.cr4 = cr4;
    this.efer = efer;
    this.ctx.load(cr0, this.ctx.cr3, cr4, efer);
    if (pae && pdpteChange) this.ctx.pdpte.set(this.scratch);
    if (flush) this.tlb.flushAll();
    return 0;
  }

  /** Flush everything (global included). */
  flushAll(): void {
    this.tlb.flushAll();
  }

  /** INVLPG: drop the page's translation, global or not. */
  invlpg(lin: number): void {
    this.tlb.flushPage(lin, true);
  }

  /**
   * INVPCID (SDM Vol. 2 INVPCID): type 0 one address for `pcid` (not
   * global), 1 all of `pcid` (not global), 2 everything incl. global, 3
   * everything except global. Returns false for an invalid type or PCID
   * (> 4095, or type 0/1 with PCID != 0 while CR4.PCIDE = 0): #GP(0).
   */
  invpcid(type: number, pcid: number, lin: number): InvpcidResult {
    if (type < 0 || type > 3 || !(pcid >= 0 && pcid <= 0xfff)) return false;
    if (type <= 1 && !this.ctx.pcide && pcid !== 0) return false;
    const current = pcid === this.ctx.pcid;
    switch (type) {
      case 0:
        if (current) this.tlb.flushPage(lin, false);
        break;
      case 1:
        if (current) this.tlb.flushNonGlobal();
        break;
      case 2:
        this.tlb.flushAll();
        break;
      default:
        this.tlb.flushNonGlobal();
    }
    return true;
  }

  /**
   * Translate `lin` for `access` (ACCESS_* flags): the physical address
   * (host-physical under EPT), or -1 with the reason in {@link result}
   * (FAULT_PAGE: #PF with `result.errorCode`, CR2 = lin; FAULT_NESTED: the
   * EPT hook already produced its VM exit). Fills the TLB; on a TLB hit
   * without a direct view it obtains the view so the next access takes the
   * fast path.
   */
  translate(lin: number, access: number, need: number = permNeeded(access)): number {
    const off = lin & 0xfff;
    const page = (lin - off) / 4096;
    const t = this.tlb;
    const i = page & t.mask;
    if (t.tag[i] === page && (t.perm[i] & need) !== 0) {
      if ((t.fast[i] & need) === 0) this.upgrade(i, need);
      return t.frame[i] * 4096 + off;
    }
    const r = this.result;
    if (!walk(this.memory, this.ctx, lin, access, r, this.nested)) return -1;
    const isWrite = (access & ACCESS_WRITE) !== 0;
    const data = this.memory.ramFrame(r.frame, isWrite);
    t.fill(
      page,
      r.frame,
      r.perm,
      data,
      isWrite ? r.perm : r.perm & ~PERM_WRITE,
      r.global,
      r.pageShift,
    );
    return r.phys;
  }

  /** Internal helper. */
  private upgrade(i: number, need: number): void {
    const t = this.tlb;
    const w = (need & PERM_WRITE) !== 0;
    const d = this.memory.ramFrame(t.frame[i], w);
    if (!d) return;
    t.data[i] = d;
    t.fast[i] = w ? t.perm[i] : t.fast[i] | (t.perm[i] & ~PERM_WRITE);
  }
}
