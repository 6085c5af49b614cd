/**
 * Extended page tables (for the VMX plugin): the walk from an L2
 * guest-physical address to an L1 physical address through L1's EPT
 * paging structures (SDM Vol. 3C 29.3 "EPT"; chapter numbers differ by one
 * between SDM editions: 28.x in older ones).
 *
 * - 4-level and 5-level EPT (EPTP bits 5:3 = walk length - 1), 2 MiB and
 *   1 GiB pages when advertised.
 * - EPT misconfiguration (29.3.3.1): a present entry (any of bits 2:0 set,
 *   or bit 10 with mode-based execute control) with write-without-read,
 *   execute-only when not advertised, reserved
 *   bits (address bits above MAXPHYADDR; bits 7:3 of non-leaf entries;
 *   bit 7 of PML4E/PML5E; large-page address bits; a large page that is
 *   not advertised), or a leaf memory type of 2, 3 or 7.
 * - EPT violation (29.3.3.2): a not-present entry, or an access the
 *   translation does not allow, with the exit qualification of Table 29-7
 *   (older: 28-7): bits 2:0 the access (read, write, fetch), bits 5:3 the
 *   AND of the R/W/X bits of the entries walked, bit 7 guest-linear
 *   address valid, bit 8 the access was the translation of the linear
 *   address (1) or a guest paging-structure access (0), and with
 *   mode-based execute control bit 6 the AND of the XU bits (bit 10).
 *   Bits 9-12 are left to the VMX plugin (0 here: no advanced information).
 * - Mode-based execute control (MBEC, walk flag {@link EPT_MBEC}; SDM
 *   29.3.3.2): bit 2 allows fetches from supervisor-mode linear addresses
 *   (XS) and bit 10 from user-mode ones (XU): {@link EPT_EXEC_USER} is a
 *   fetch from a user-mode address. Without MBEC bit 10 is ignored.
 * - Bit 63 ("suppress #VE") of the entry that decides whether a violation
 *   is convertible (26.5.7.1) is in {@link EptResult.suppressVe}: the walk
 *   reports it, the VMX plugin decides.
 * - With EPTP bit 6 (A/D enable), accessed flags (bit 8) are set on every
 *   entry used and the dirty flag (bit 9) on the leaf for writes, and
 *   accesses to guest paging structures count as writes (29.3.3.2, 29.3.5).
 *
 * @module
 */

import type { WalkMemory } from "./walk.ts";
import { tableIndex } from "./paging_types.ts";

/** EPT access: data read (qualification bit 0). */
export const EPT_READ = 1;
/** EPT access: data write (qualification bit 1). */
export const EPT_WRITE = 2;
/** EPT access: instruction fetch (qualification bit 2); with MBEC, from a supervisor-mode linear address. */
export const EPT_EXEC = 4;
/**
 * EPT access: with mode-based execute control, an instruction fetch from a
 * user-mode linear address (allowed by bit 10, XU; reported as a fetch,
 * qualification bit 2). Also the XU bit of {@link EptResult.perm}.
 */
export const EPT_EXEC_USER = 8;
/** Walk flag and qualification bit 7: a guest-linear address exists for this access. */
export const EPT_QUAL_LINEAR_VALID = 0x80;
/** Walk flag and qualification bit 8: the access is the translation of the linear address (not a paging-structure access). */
export const EPT_QUAL_TRANSLATED = 0x100;
/** Walk flag (not a qualification bit): the access reads/updates a guest paging-structure entry. */
export const EPT_PAGING_STRUCTURE = 0x10000;
/** Walk flag (not a qualification bit): "mode-based execute control for EPT" is 1. */
export const EPT_MBEC = 0x20000;

/** EPT walk outcome: success. */
export const EPT_OK = 0;
/** EPT walk outcome: EPT violation (exit reason 48). */
export const EPT_VIOLATION = 1;
/** EPT walk outcome: EPT misconfiguration (exit reason 49). */
export const EPT_MISCONFIG = 2;

/**
 * EPT walk outcome: the page-modification log is full (exit reason 62):
 * the walk needed to set an accessed or dirty flag, set none, and the
 * access does not occur (SDM Vol. 3C 29.3.6).
 */
export const EPT_PML_FULL = 3;

/**
 * Page-modification logging seen from the walk (SDM Vol. 3C 29.3.6):
 * consulted before the walk sets any EPT accessed/dirty flag, told when it
 * set a leaf's dirty flag from 0 to 1.
 */
export interface EptModificationLog {
  /** Called before any accessed/dirty flag is set: false when the log is full (no flag is set). */
  mayUpdate(): boolean;
  /** The walk set the dirty flag of the leaf mapping `gpa` from 0 to 1: log it. */
  logDirty(gpa: number): void;
}

/** What the (virtual) processor advertises in IA32_VMX_EPT_VPID_CAP. */
export interface EptCaps {
  /** Execute-only translations (cap bit 0). */
  readonly executeOnly: boolean;
  /** 4-level walk length (cap bit 6). Always true here. */
  readonly fourLevel: boolean;
  /** 5-level walk length (cap bit 7). */
  readonly fiveLevel: boolean;
  /** 2 MiB pages (cap bit 16). */
  readonly page2M: boolean;
  /** 1 GiB pages (cap bit 17). */
  readonly page1G: boolean;
  /** Accessed/dirty flags (cap bit 21). */
  readonly accessDirty: boolean;
  /** Write-back EPTP memory type (cap bit 14); uncacheable is cap bit 8. */
  readonly memTypeWB: boolean;
  /** MAXPHYADDR (reserved-bit checks). */
  readonly maxPhysAddr: number;
}

/** The capabilities nestvm advertises by default. */
export const DEFAULT_EPT_CAPS: EptCaps = Object.freeze({
  executeOnly: true,
  fourLevel: true,
  fiveLevel: true,
  page2M: true,
  page1G: true,
  accessDirty: true,
  memTypeWB: true,
  maxPhysAddr: 46,
});

/** Result of one EPT walk, written in place. */
export class EptResult {
  /** EPT_OK, EPT_VIOLATION, EPT_MISCONFIG or EPT_PML_FULL. */
  fault: number = EPT_OK;
  /** Translated (L1-physical) address of the accessed byte. */
  hpa: number = 0;
  /** Exit qualification for an EPT violation (0 otherwise). */
  qualification: number = 0;
  /** AND of the R/W/X bits (bits 2:0) and of the XU bits (bit 3) of the entries walked. */
  perm: number = 0;
  /** log2 of the page size (12, 21, 30). */
  pageShift: number = 12;
  /** Memory type of the leaf (bits 5:3). */
  memType: number = 0;
  /** Level of the last entry read (5..1). */
  level: number = 0;
  /** Physical address of the last entry read (diagnostics for misconfigurations). */
  entryAddr: number = 0;
  /** The leaf's dirty flag was set when the walk finished (or A/D are off). */
  dirty: boolean = false;
  /**
   * After an EPT violation: bit 63 ("suppress #VE") of the entry that
   * decides whether the violation is convertible to a virtualization
   * exception, the not-present entry where the walk stopped or the entry
   * that maps the page (SDM Vol. 3C 26.5.7.1; 25.5.6.1 in older editions).
   */
  suppressVe: boolean = false;
}

const TWO32 = 0x1_0000_0000;
const entryAddrs = new Float64Array(6);

/**
 * Check an EPTP value (as VM entry does, SDM 27.2.1.1): memory type UC(0)
 * or WB(6) as advertised, supported walk length, A/D bit only if
 * advertised, bits 11:7 zero, no address bits beyond MAXPHYADDR.
 * `lo`/`hi` are the 32-bit halves.
 */
export function eptpValid(lo: number, hi: number, caps: EptCaps = DEFAULT_EPT_CAPS): boolean {
  const type = lo & 7;
  if (type !== 0 && !(type === 6 && caps.memTypeWB)) return false;
  const len = (lo >>> 3) & 7;
  if (!((len === 3 && caps.fourLevel) || (len === 4 && caps.fiveLevel))) return false;
  if ((lo & 0x40) && !caps.accessDirty) return false;
  if (lo & 0xf80) return false;
  return (hi >>> 0) < 2 ** (caps.maxPhysAddr - 32);
}

/**
 * Translate L2 guest-physical `gpa` through the EPT rooted by `eptp`
 * (a number below 2^52) for `access` (EPT_READ/WRITE/EXEC/EXEC_USER, one of
 * them), writing the outcome to `out`; true on success. `flags` carries
 * EPT_QUAL_LINEAR_VALID / EPT_QUAL_TRANSLATED (copied into the
 * qualification), EPT_PAGING_STRUCTURE and EPT_MBEC. `log`, with A/D enabled, is the
 * page-modification log (a full log fails the walk with EPT_PML_FULL).
 */
export function eptWalk(
  mem: WalkMemory,
  eptp: number,
  gpa: number,
  access: number,
  out: EptResult,
  caps: EptCaps = DEFAULT_EPT_CAPS,
  flags: number = 0,
  log: EptModificationLog | null = null,
): boolean {
  const lo = gpa >>> 0;
  const hi = Math.floor(gpa / TWO32);
  const eptpLo = eptp >>> 0;
  const ad = (eptpLo & 0x40) !== 0;
  const mbec = (flags & EPT_MBEC) !== 0;
  let acc = access & 15;
  if ((flags & EPT_PAGING_STRUCTURE) && ad) acc |= EPT_WRITE | EPT_READ;
  out.fault = EPT_OK;
  out.qualification = 0;
  out.dirty = false;
  const addrHiMask = (1 << (caps.maxPhysAddr - 32)) - 1;
  const rsvdHi = (0xfffff & ~addrHiMask) >>> 0;
  const len = ((eptpLo >>> 3) & 7) + 1;
  out.level = len;
  out.entryAddr = 0;
  if (!(len === 4 || (len === 5 && caps.fiveLevel))) return fail(out, EPT_MISCONFIG, 0, 0, 0);
  let table = (eptpLo >>> 12) * 4096 + (Math.floor(eptp / TWO32) & addrHiMask) * TWO32;
  let permAnd = 15;
  let n = 0;
  let level = len;
  let leafLo = 0;
  let base = 0;
  let shift = 12;
  for (;;) {
    const idx = tableIndex(level, lo, hi);
    const ea = table + idx * 8;
    const elo = mem.read32(ea);
    const ehi = mem.read32(ea + 4);
    out.level = level;
    out.entryAddr = ea;
    // Bit 63 of the last entry read: the not-present one a violation stops
    // at, or the leaf a permission violation is decided after.
    out.suppressVe = (ehi & 0x80000000) !== 0;
    const rwx = elo & 7;
    // XU (bit 10) counts only with MBEC; it is bit 3 of the permissions.
    const xu = mbec ? (elo >>> 7) & EPT_EXEC_USER : 0;
    permAnd &= rwx | ((elo >>> 7) & EPT_EXEC_USER);
    if ((rwx | xu) === 0) return fail(out, EPT_VIOLATION, acc, 0, flags);
    if ((rwx & 3) === 2) return fail(out, EPT_MISCONFIG, 0, 0, 0);
    if ((rwx & 1) === 0 && !caps.executeOnly) return fail(out, EPT_MISCONFIG, 0, 0, 0);
    if (ehi & rsvdHi) return fail(out, EPT_MISCONFIG, 0, 0, 0);
    const ps = (elo & 0x80) !== 0;
    let leaf = level === 1;
    if (level >= 4) {
      if (elo & 0xf8) return fail(out, EPT_MISCONFIG, 0, 0, 0);
    } else if (level === 3 || level === 2) {
      if (ps) {
        if (level === 3 ? !caps.page1G : !caps.page2M) return fail(out, EPT_MISCONFIG, 0, 0, 0);
        if (elo & (level === 3 ? 0x3ffff000 : 0x1ff000)) {
          return fail(out, EPT_MISCONFIG, 0, 0, 0);
        }
        leaf = true;
      } else if (elo & 0xf8) return fail(out, EPT_MISCONFIG, 0, 0, 0);
    }
    entryAddrs[n++] = ea;
    base = (elo >>> 12) * 4096 + (ehi & addrHiMask) * TWO32;
    if (leaf) {
      const mt = (elo >>> 3) & 7;
      if (mt === 2 || mt === 3 || mt === 7) return fail(out, EPT_MISCONFIG, 0, 0, 0);
      out.memType = mt;
      leafLo = elo;
      shift = level === 1 ? 12 : level === 2 ? 21 : 30;
      break;
    }
    table = base;
    level--;
  }
  if (acc & ~permAnd & 15) return fail(out, EPT_VIOLATION, acc, permAnd, flags);
  if (ad) {
    if (log !== null) {
      // PML: a full log stops the walk before any flag is set (29.3.6).
      let needed = false;
      for (let i = 0; i < n && !needed; i++) {
        const want = i === n - 1 && (acc & EPT_WRITE) ? 0x300 : 0x100;
        needed = (mem.read32(entryAddrs[i]) & want) !== want;
      }
      if (needed && !log.mayUpdate()) return fail(out, EPT_PML_FULL, 0, 0, 0);
    }
    for (let i = 0; i < n; i++) {
      const ea = entryAddrs[i];
      const cur = mem.read32(ea);
      const want = i === n - 1 && (acc & EPT_WRITE) ? 0x300 : 0x100;
      if ((cur & want) !== want) {
        mem.write32(ea, (cur | want) >>> 0);
        if (i === n - 1) {
          leafLo |= want;
          if (log !== null && (want & ~cur & 0x200) !== 0) log.logDirty(gpa - (gpa % 4096));
        }
      }
    }
  }
  out.dirty = !ad || (leafLo & 0x200) !== 0;
  out.perm = permAnd;
  out.pageShift = shift;
  const size = 2 ** shift;
  out.hpa = base - (base % size) + (gpa % size);
  return true;
}

function fail(out: EptResult, kind: number, acc: number, perm: number, flags: number): boolean {
  out.fault = kind;
  out.perm = perm;
  // A fetch from a user-mode address is a fetch (bit 2); bit 6 is the AND of
  // the XU bits with MBEC (else 0).
  const fetch = (acc & EPT_EXEC_USER) !== 0 ? EPT_EXEC : 0;
  const xu = (flags & EPT_MBEC) !== 0 ? (perm & EPT_EXEC_USER) << 3 : 0;
  out.qualification = kind === EPT_VIOLATION
    ? (acc & 7) | fetch | ((perm & 7) << 3) | xu |
      (flags & (EPT_QUAL_LINEAR_VALID | EPT_QUAL_TRANSLATED))
    : 0;
  return false;
}
