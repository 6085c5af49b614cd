/**
 * A cache of EPT translations keyed by EPTP and guest frame, with INVEPT
 * invalidation, and {@link EptTranslator}, the caching front end of
 * {@link eptWalk} that the VMX plugin uses (directly, and as the
 * {@link GpaTranslator} of the two-dimensional guest walk).
 *
 * INVEPT only concerns EPT-derived translations: after INVEPT the VMX
 * plugin must also flush the L2 vCPU's linear TLB (`Mmu.flushAll()`),
 * whose entries combine guest paging with EPT.
 *
 * @module
 */

import {
  DEFAULT_EPT_CAPS,
  EPT_EXEC,
  EPT_PAGING_STRUCTURE,
  EPT_QUAL_LINEAR_VALID,
  EPT_QUAL_TRANSLATED,
  EPT_READ,
  EPT_WRITE,
  type EptCaps,
  type EptModificationLog,
  EptResult,
  eptWalk,
} from "./ept.ts";
import type { GpaTranslator } from "./paging_types.ts";
import type { WalkMemory } from "./walk.ts";

/** A direct-mapped cache of EPT translations (4 KiB granules). */
export class EptCache {
  /** Entries (power of two). */
  readonly size: number;
  private readonly mask: number;
  private readonly gfn: Float64Array;
  private readonly eptp: Float64Array;
  private readonly hfn: Float64Array;
  /**
   * Allowed accesses: R/W/X bits and XU (`EPT_EXEC_USER`, bit 10 of the
   * entries, which only walks with MBEC ask for); W only if the leaf's D
   * flag is set (or A/D off).
   */
  private readonly perm: Uint8Array;

  /** Create a cache of `entries` entries (rounded up to a power of two). */
  constructor(entries = 1024) {
    let size = 16;
    while (size < entries) size *= 2;
    this.size = size;
    this.mask = size - 1;
    this.gfn = new Float64Array(size).fill(NaN);
    this.eptp = new Float64Array(size).fill(NaN);
    this.hfn = new Float64Array(size);
    this.perm = new Uint8Array(size);
  }

  /** The cached host frame for (eptp, gfn) if `access` (R/W/X/XU bits) is allowed, else -1. */
  lookup(eptp: number, gfn: number, access: number): number {
    const i = gfn & this.mask;
    if (this.gfn[i] === gfn && this.eptp[i] === eptp && (this.perm[i] & access) === access) {
      return this.hfn[i];
    }
    return -1;
  }

  /** Cache a translation. */
  fill(eptp: number, gfn: number, hfn: number, perm: number): void {
    const i = gfn & this.mask;
    this.gfn[i] = gfn;
    this.eptp[i] = eptp;
    this.hfn[i] = hfn;
    this.perm[i] = perm;
  }

  /** INVEPT single-context: drop translations derived from `eptp` (compared by bits 51:12). */
  invalidateContext(eptp: number): void {
    const root = Math.floor(eptp / 4096);
    for (let i = 0; i < this.size; i++) {
      if (Math.floor(this.eptp[i] / 4096) === root) {
        this.gfn[i] = NaN;
        this.eptp[i] = NaN;
      }
    }
  }

  /** INVEPT all-context: drop everything. */
  invalidateAll(): void {
    this.gfn.fill(NaN);
    this.eptp.fill(NaN);
  }

  /** Number of valid entries (diagnostics). */
  count(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.gfn[i] === this.gfn[i]) n++;
    return n;
  }
}

/** INVEPT types (SDM Vol. 3C 31.3 INVEPT). */
export const INVEPT_SINGLE_CONTEXT = 1;
/** INVEPT all-context. */
export const INVEPT_ALL_CONTEXT = 2;

/** EPT translation with a cache, over L1's physical memory. */
export class EptTranslator {
  /** The translation cache. */
  readonly cache: EptCache;
  /** Outcome of the last walk that failed (or succeeded): fault kind, qualification. */
  readonly result: EptResult = new EptResult();

  /** Create a translator reading EPT tables from `memory`. */
  constructor(
    readonly memory: WalkMemory,
    readonly caps: EptCaps = DEFAULT_EPT_CAPS,
    entries = 1024,
  ) {
    this.cache = new EptCache(entries);
  }

  /**
   * Translate `gpa` for `access` (EPT_READ/WRITE/EXEC/EXEC_USER) with walk `flags`
   * (see {@link eptWalk}): the L1-physical address, or -1 with the EPT
   * violation/misconfiguration in {@link result}. With a page-modification
   * `log` and A/D enabled in `eptp`, every call walks (no cache).
   */
  translate(
    eptp: number,
    gpa: number,
    access: number,
    flags = 0,
    log: EptModificationLog | null = null,
  ): number {
    if (log !== null && (eptp & 0x40) !== 0) {
      // Page-modification logging: every access walks, so that a dirty flag
      // L1 cleared is set (and logged) again; nothing is cached.
      return eptWalk(this.memory, eptp, gpa, access, this.result, this.caps, flags, log)
        ? this.result.hpa
        : -1;
    }
    const off = gpa % 4096;
    const gfn = (gpa - off) / 4096;
    let need = access & 15;
    if ((flags & EPT_PAGING_STRUCTURE) && (eptp & 0x40)) need |= EPT_WRITE | EPT_READ;
    const h = this.cache.lookup(eptp, gfn, need);
    if (h >= 0) return h * 4096 + off;
    const r = this.result;
    if (!eptWalk(this.memory, eptp, gpa, access, r, this.caps, flags)) return -1;
    const hfn = Math.floor(r.hpa / 4096);
    this.cache.fill(eptp, gfn, hfn, r.dirty ? r.perm : r.perm & ~EPT_WRITE);
    return r.hpa;
  }

  /** INVEPT: type 1 single-context (`eptp`), 2 all-context. False for other types (VMfail). */
  invept(type: number, eptp: number): boolean {
    if (type === INVEPT_SINGLE_CONTEXT) this.cache.invalidateContext(eptp);
    else if (type === INVEPT_ALL_CONTEXT) this.cache.invalidateAll();
    else return false;
    return true;
  }

  /**
   * A {@link GpaTranslator} for the two-dimensional walk under `eptp`: every
   * guest paging-structure access and the final access are translated;
   * on failure `onFault(result)` is called (build the EPT-violation or
   * misconfiguration exit there, with the guest-linear address) and the walk
   * fails with FAULT_NESTED.
   */
  gpaTranslator(eptp: number, onFault: (result: EptResult, gpa: number, linear: number) => void): {
    translateGpa(gpa: number, access: number, linear: number, isPageWalk: boolean): number;
  } & GpaTranslator {
    return {
      translateGpa: (gpa: number, access: number, linear: number, isPageWalk: boolean): number => {
        const kind = access & 4 ? EPT_EXEC : access & 2 ? EPT_WRITE : EPT_READ;
        let flags = isPageWalk ? EPT_PAGING_STRUCTURE : 0;
        if (linear === linear) {
          flags |= EPT_QUAL_LINEAR_VALID;
          if (!isPageWalk) flags |= EPT_QUAL_TRANSLATED;
        }
        const h = this.translate(eptp, gpa, kind, flags);
        if (h < 0) onFault(this.result, gpa, linear);
        return h;
      },
    };
  }
}
