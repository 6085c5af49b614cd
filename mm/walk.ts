/**
 * The x86 page walker: 32-bit paging (4 KiB and 4 MiB pages, PSE-36), PAE
 * paging (with PDPTE registers), 4-level and 5-level paging (2 MiB and
 * 1 GiB pages). Checks permissions (SDM Vol. 3A 4.6: U/S, R/W, NX with
 * EFER.NXE, CR0.WP, SMEP, SMAP with EFLAGS.AC and implicit supervisor
 * accesses, protection keys with CR4.PKE and PKRU, CR4.PKS and IA32_PKRS), reserved bits (4.7: #PF with RSVD), builds #PF error codes and
 * updates accessed/dirty flags (4.8) through guest memory so the dirty log
 * and code-write notification see them.
 *
 * The same walker serves the two-dimensional (nested) walk: with a
 * {@link GpaTranslator}, every guest-physical address it touches — each
 * paging-structure entry and the final translation — goes through it.
 *
 * A walk writes its outcome into a caller-owned {@link WalkResult}: no
 * allocation per walk.
 *
 * @module
 */

import {
  ACCESS_AC,
  ACCESS_EXEC,
  ACCESS_IMPLICIT,
  ACCESS_USER,
  ACCESS_WRITE,
  FAULT_NESTED,
  FAULT_NONE,
  FAULT_PAGE,
  GPA_USER_FETCH,
  type GpaTranslator,
  MODE_32,
  MODE_5LEVEL,
  MODE_NONE,
  MODE_PAE,
  type PagingContext,
  PERM_EXEC,
  PERM_READ,
  PERM_SR,
  PERM_SRAC,
  PERM_SW,
  PERM_SWAC,
  PERM_SX,
  PERM_UR,
  PERM_UW,
  PERM_UX,
  PERM_WRITE,
  PFEC_ID,
  PFEC_P,
  PFEC_PK,
  PFEC_RSVD,
  tableIndex,
  type WalkResult,
} from "./paging_types.ts";

/** The memory operations the walker needs (PhysicalMemory provides them). */
export interface WalkMemory {
  /** Read 4 bytes, little-endian, unsigned. */
  read32(addr: number): number;
  /** Write 4 bytes, little-endian. */
  write32(addr: number, value: number): void;
}

const TWO32 = 0x1_0000_0000;
const BIT_P = 1;
const BIT_RW = 2;
const BIT_US = 4;
const BIT_A = 0x20;
const BIT_D = 0x40;
const BIT_PS = 0x80;
const BIT_G = 0x100;

// Scratch for the entries of one walk (no allocation per walk). The walker
// is synchronous and not re-entrant, so module-level scratch is safe.
const entryHpa = new Float64Array(6);
const entryGpa = new Float64Array(6);
/** Low dword of each entry as the walk read it (reused by the A/D pass without EPT). */
const entryLo = new Float64Array(6);

/** Reserved high-dword bits for a MAXPHYADDR: physical-address bits 51:M. */
function addrRsvdHi(maxPhys: number): number {
  return (0xfffff & ~((1 << (maxPhys - 32)) - 1)) >>> 0;
}

/**
 * Translate linear address `lin` for an access described by `access`
 * (ACCESS_* flags) under `ctx`, writing the outcome to `out`. Returns true
 * on success. On failure `out.fault` is FAULT_PAGE (with `out.errorCode`;
 * CR2 is `lin`) or FAULT_NESTED (the translator reported an EPT fault).
 * A/D flags are set only when the translation succeeds.
 *
 * With `xlate` (nested paging), `out.perm` is limited to the kind of access
 * made (read, write+read or execute), because EPT permissions are not
 * known to the walker; a different kind of access must walk again.
 */
export function walk(
  mem: WalkMemory,
  ctx: PagingContext,
  lin: number,
  access: number,
  out: WalkResult,
  xlate: GpaTranslator | null = null,
): boolean {
  out.fault = FAULT_NONE;
  out.errorCode = 0;
  out.levels = 0;
  out.global = false;
  const lo = lin >>> 0;
  const mode = ctx.mode;
  const isWrite = (access & ACCESS_WRITE) !== 0;
  const kind = access & ACCESS_EXEC ? 4 : isWrite ? 2 : 1;
  if (mode === MODE_NONE) {
    out.pageShift = 12;
    out.perm = 0xff;
    return finish(out, lo, lin, kind, xlate);
  }
  let n = 0; // entries whose A bit may need setting
  let acc = BIT_RW | BIT_US; // AND of R/W and U/S
  let xd = false;
  let leafLo = 0;
  let leafHi = 0; // IA-32e paging only (the protection key is in bits 62:59)
  let gpa = 0;
  let shift = 12;

  if (mode === MODE_32) {
    const pdeGpa = ctx.root + (lo >>> 22) * 4;
    const pdeHpa = xlate ? xlate.translateGpa(pdeGpa, 1, lin, true) : pdeGpa;
    if (pdeHpa < 0) return nested(out);
    const pde = mem.read32(pdeHpa);
    out.levels = 1;
    if (!(pde & BIT_P)) return pageFault(out, ctx, access, 0);
    entryHpa[0] = pdeHpa;
    entryGpa[0] = pdeGpa;
    entryLo[0] = pde >>> 0;
    n = 1;
    acc &= pde;
    if ((pde & BIT_PS) && ctx.pse) {
      // 4 MiB page; PSE-36 puts physical-address bits 39:32 in bits 20:13
      // (SDM Table 4-4). Bits above the supported width and bit 21 are reserved.
      const width = Math.min(ctx.maxPhysAddr, 40) - 32;
      const rsvd = 0x3fe000 & ~(((1 << width) - 1) << 13);
      if (pde & rsvd) return pageFault(out, ctx, access, PFEC_P | PFEC_RSVD);
      gpa = (pde >>> 22) * 0x400000 + ((pde >>> 13) & ((1 << width) - 1)) * TWO32 +
        (lo & 0x3fffff);
      shift = 22;
      leafLo = pde;
    } else {
      const pteGpa = (pde >>> 12) * 4096 + ((lo >>> 12) & 0x3ff) * 4;
      const pteHpa = xlate ? xlate.translateGpa(pteGpa, 1, lin, true) : pteGpa;
      if (pteHpa < 0) return nested(out);
      const pte = mem.read32(pteHpa);
      out.levels = 2;
      if (!(pte & BIT_P)) return pageFault(out, ctx, access, 0);
      entryHpa[1] = pteHpa;
      entryGpa[1] = pteGpa;
      entryLo[1] = pte >>> 0;
      n = 2;
      acc &= pte;
      gpa = (pte >>> 12) * 4096 + (lo & 0xfff);
      leafLo = pte;
    }
  } else {
    const hiLin = Math.floor(lin / TWO32);
    const maxPhys = ctx.maxPhysAddr;
    const addrHiMask = (1 << (maxPhys - 32)) - 1;
    // Reserved bits of the high dword: address bits 51:M; in PAE paging also
    // bits 62:52 (SDM Tables 4-8..4-11); XD (bit 63) unless EFER.NXE.
    let rsvdHi = addrRsvdHi(maxPhys);
    if (mode === MODE_PAE) rsvdHi |= 0x7ff00000;
    if (!ctx.nxe) rsvdHi |= 0x80000000;
    rsvdHi >>>= 0;
    let level: number;
    let table: number;
    if (mode === MODE_PAE) {
      const pdpte = ctx.pdpte[lo >>> 30];
      if (!(pdpte % 2)) return pageFault(out, ctx, access, 0);
      table = Math.floor(pdpte / 4096) * 4096;
      level = 2;
    } else {
      table = ctx.root;
      level = mode === MODE_5LEVEL ? 5 : 4;
    }
    for (;;) {
      const idx = tableIndex(level, lo, hiLin);
      const eGpa = table + idx * 8;
      const eHpa = xlate ? xlate.translateGpa(eGpa, 1, lin, true) : eGpa;
      if (eHpa < 0) return nested(out);
      const elo = mem.read32(eHpa);
      const ehi = mem.read32(eHpa + 4);
      out.levels++;
      if (!(elo & BIT_P)) return pageFault(out, ctx, access, 0);
      let rsvdLo = 0;
      const ps = (elo & BIT_PS) !== 0;
      if (level >= 4) rsvdLo = BIT_PS;
      else if (level === 3 && ps) rsvdLo = ctx.page1G ? 0x3fffe000 : BIT_PS;
      else if (level === 2 && ps) rsvdLo = 0x1fe000;
      if ((elo & rsvdLo) || (ehi & rsvdHi)) {
        return pageFault(out, ctx, access, PFEC_P | PFEC_RSVD);
      }
      entryHpa[n] = eHpa;
      entryGpa[n] = eGpa;
      entryLo[n] = elo >>> 0;
      n++;
      acc &= elo;
      if (ehi & 0x80000000) xd = true;
      const base = (elo >>> 12) * 4096 + (ehi & addrHiMask) * TWO32;
      if (level === 1 || (ps && level <= 3)) {
        leafLo = elo;
        leafHi = ehi;
        if (level === 1) {
          gpa = base + (lo & 0xfff);
        } else if (level === 2) {
          shift = 21;
          gpa = base - (base % 0x200000) + (lo & 0x1fffff);
        } else {
          shift = 30;
          gpa = base - (base % 0x40000000) + (lo & 0x3fffffff);
        }
        break;
      }
      table = base;
      level--;
    }
    if (!ctx.nxe) xd = false;
  }

  // Permission checks (SDM 4.6).
  const user = (acc & BIT_US) !== 0;
  const rw = (acc & BIT_RW) !== 0;
  const isExec = (access & ACCESS_EXEC) !== 0;
  // Protection keys (SDM 4.6.2): with IA-32e paging, the key in bits 62:59 of
  // the leaf controls data accesses (never fetches) to a user-mode address
  // under CR4.PKE (rights in PKRU) and to a supervisor-mode address under
  // CR4.PKS (rights in IA32_PKRS): ADi denies every data access; WDi denies
  // user-mode writes, and supervisor-mode writes when CR0.WP = 1. The #PF
  // error code's PK bit reports exactly these conditions (SDM 4.7), whichever
  // check faults.
  let keyAd = false;
  let keyWd = false;
  if (user ? ctx.pke : ctx.pks) {
    const k = ((leafHi >>> 27) & 0xf) * 2;
    const rights = user ? ctx.pkru : ctx.pkrs;
    keyAd = ((rights >>> k) & 1) !== 0;
    keyWd = ((rights >>> (k + 1)) & 1) !== 0;
  }
  const pkDenies = !isExec &&
    (keyAd || (keyWd && isWrite && ((access & ACCESS_USER) !== 0 || ctx.wp)));
  const pk = pkDenies ? PFEC_PK : 0;
  if (access & ACCESS_USER) {
    if (!user || (isWrite && !rw) || (isExec && xd)) {
      return pageFault(out, ctx, access, PFEC_P | pk);
    }
  } else if (isExec) {
    if (xd || (user && ctx.smep)) return pageFault(out, ctx, access, PFEC_P);
  } else {
    const acOverride = (access & (ACCESS_AC | ACCESS_IMPLICIT)) === ACCESS_AC;
    if (user && ctx.smap && !acOverride) return pageFault(out, ctx, access, PFEC_P | pk);
    if (isWrite && !rw && ctx.wp) return pageFault(out, ctx, access, PFEC_P | pk);
  }
  if (pk !== 0) return pageFault(out, ctx, access, PFEC_P | PFEC_PK);

  // Accessed flags on every entry used, dirty on the leaf for writes (SDM 4.8).
  for (let i = 0; i < n; i++) {
    const isLeaf = i === n - 1;
    let hpa = entryHpa[i];
    // Without EPT nothing ran since the entry was read except the writes
    // of this loop, which only set A/D bits: OR-ing into the value read
    // gives what a fresh read would (an entry used at two levels included).
    // With EPT, translating an entry's address may set EPT A/D bits
    // anywhere in memory: read it again.
    const cur = xlate ? mem.read32(hpa) : entryLo[i];
    const want = isLeaf && isWrite ? BIT_A | BIT_D : BIT_A;
    if ((cur & want) !== want) {
      if (xlate) {
        // A locked read-modify-write of the entry: a data read and a data
        // write for EPT (both bits in an EPT-violation qualification).
        hpa = xlate.translateGpa(entryGpa[i], 3, lin, true);
        if (hpa < 0) return nested(out);
      }
      mem.write32(hpa, (cur | want) >>> 0);
      if (isLeaf) leafLo |= want;
    }
  }

  const d = (leafLo & BIT_D) !== 0;
  const wOk = rw || !ctx.wp;
  const supData = !user || !ctx.smap;
  let perm = PERM_SRAC;
  if (user) {
    perm |= PERM_UR;
    if (rw && d) perm |= PERM_UW;
    if (!xd) perm |= PERM_UX;
  }
  if (supData) perm |= PERM_SR;
  if (wOk && d) {
    perm |= PERM_SWAC;
    if (supData) perm |= PERM_SW;
  }
  if (!xd && !(user && ctx.smep)) perm |= PERM_SX;
  if (keyAd) perm &= PERM_EXEC;
  else if (keyWd) {
    perm &= ~PERM_UW;
    if (ctx.wp) perm &= ~(PERM_SW | PERM_SWAC);
  }
  out.perm = perm;
  out.pageShift = shift;
  out.global = (leafLo & BIT_G) !== 0 && ctx.pge && mode !== MODE_NONE;
  return finish(out, gpa, lin, kind, xlate, user);
}

function finish(
  out: WalkResult,
  gpa: number,
  lin: number,
  kind: number,
  xlate: GpaTranslator | null,
  userAddress = false,
): boolean {
  out.gpa = gpa;
  let phys = gpa;
  if (xlate) {
    const access = kind === 4 && userAddress ? 4 | GPA_USER_FETCH : kind;
    phys = xlate.translateGpa(gpa, access, lin, false);
    if (phys < 0) return nested(out);
    out.perm &= kind === 4 ? PERM_EXEC : kind === 2 ? PERM_READ | PERM_WRITE : PERM_READ;
  }
  out.phys = phys;
  out.frame = Math.floor(phys / 4096);
  return true;
}

function nested(out: WalkResult): boolean {
  out.fault = FAULT_NESTED;
  return false;
}

function pageFault(out: WalkResult, ctx: PagingContext, access: number, bits: number): boolean {
  let code = bits | (access & (ACCESS_WRITE | ACCESS_USER));
  // I/D is reported only with SMEP, or with NXE in PAE/4-level/5-level paging (SDM 4.7).
  if ((access & ACCESS_EXEC) && (ctx.smep || (ctx.nxe && ctx.mode >= MODE_PAE))) code |= PFEC_ID;
  out.fault = FAULT_PAGE;
  out.errorCode = code;
  return false;
}

/** Result of {@link loadPdptes}: bit i set = PDPTE i is present with reserved bits set. -1: the translator failed. */
export type PdpteCheck = number;

/**
 * Load the four PAE PDPTEs from the 32-byte-aligned table at CR3 bits 31:5
 * into `out` (SDM 4.4.1). Returns 0 when all are valid; otherwise a mask of
 * the present entries with reserved bits set (bits 2:1, 8:5, 63:MAXPHYADDR)
 * — MOV to CR3/CR0/CR4 must then raise #GP(0) and VM entry must fail —
 * and `out` is left unchanged. Returns -1 if `xlate` failed (EPT exit).
 */
export function loadPdptes(
  mem: WalkMemory,
  cr3: number,
  out: Float64Array,
  maxPhysAddr: number,
  xlate: GpaTranslator | null = null,
): PdpteCheck {
  const base = ((cr3 >>> 0) >>> 5) * 32;
  const rsvdHi = (0xffffffff & ~((1 << (maxPhysAddr - 32)) - 1)) >>> 0;
  let bad = 0;
  const lo = [0, 0, 0, 0];
  const hi = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const g = base + i * 8;
    const h = xlate ? xlate.translateGpa(g, 1, NaN, true) : g;
    if (h < 0) return -1;
    lo[i] = mem.read32(h);
    hi[i] = mem.read32(h + 4);
    if ((lo[i] & 1) && ((lo[i] & 0x1e6) || (hi[i] & rsvdHi))) bad |= 1 << i;
  }
  if (bad) return bad;
  for (let i = 0; i < 4; i++) out[i] = lo[i] + hi[i] * TWO32;
  return 0;
}
