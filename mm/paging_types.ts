/**
 * Constants and reusable state objects of the x86 paging walker: access
 * flags, #PF error-code bits, TLB permission bits, the paging context built
 * from CR0/CR3/CR4/EFER, and the walk result.
 *
 * Access flags are chosen so that `access & (ACCESS_WRITE | ACCESS_USER |
 * ACCESS_EXEC)` is already the W/U/I-D part of a #PF error code.
 *
 * @module
 */

/** Access flag: data read (the absence of write/exec). */
export const ACCESS_READ = 0;
/** Access flag: data write (#PF error-code bit 1). */
export const ACCESS_WRITE = 2;
/** Access flag: user-mode access, i.e. CPL 3 and not implicit (#PF error-code bit 2). */
export const ACCESS_USER = 4;
/** Access flag: instruction fetch (#PF error-code bit 4). */
export const ACCESS_EXEC = 16;
/** Access flag: implicit supervisor access (GDT/IDT/TSS...): SMAP applies regardless of AC. */
export const ACCESS_IMPLICIT = 0x100;
/** Access flag: EFLAGS.AC is 1 for this explicit supervisor data access (SMAP override). */
export const ACCESS_AC = 0x200;

/** #PF error code: the fault was a protection violation (page present). */
export const PFEC_P = 1;
/** #PF error code: write access. */
export const PFEC_W = 2;
/** #PF error code: user-mode access. */
export const PFEC_U = 4;
/** #PF error code: a reserved bit was set in a paging-structure entry. */
export const PFEC_RSVD = 8;
/** #PF error code: instruction fetch (reported only with SMEP, or PAE/4-level with NXE). */
export const PFEC_ID = 16;
/** #PF error code: the protection key of a user-mode address denied a data access (SDM 4.7). */
export const PFEC_PK = 32;

/** TLB permission bit: user read. */
export const PERM_UR = 1;
/** TLB permission bit: user write (page writable and its D bit set). */
export const PERM_UW = 2;
/** TLB permission bit: user execute. */
export const PERM_UX = 4;
/** TLB permission bit: supervisor read with EFLAGS.AC=0 or implicit (SMAP enforced). */
export const PERM_SR = 8;
/** TLB permission bit: supervisor write with AC=0 or implicit (D set). */
export const PERM_SW = 16;
/** TLB permission bit: supervisor execute (SMEP and NX applied). */
export const PERM_SX = 32;
/** TLB permission bit: supervisor explicit read with EFLAGS.AC=1. */
export const PERM_SRAC = 64;
/** TLB permission bit: supervisor explicit write with EFLAGS.AC=1 (D set). */
export const PERM_SWAC = 128;
/** All write bits. */
export const PERM_WRITE = PERM_UW | PERM_SW | PERM_SWAC;
/** All read bits. */
export const PERM_READ = PERM_UR | PERM_SR | PERM_SRAC;
/** All execute bits. */
export const PERM_EXEC = PERM_UX | PERM_SX;

/**
 * The single TLB permission bit an access needs. Precompute it per
 * instruction (it depends only on the access flags):
 * user: UR/UW/UX; supervisor fetch: SX; supervisor data access: SR/SW, or
 * SRAC/SWAC when EFLAGS.AC=1 and the access is explicit.
 */
export function permNeeded(access: number): number {
  if (access & ACCESS_USER) {
    return access & ACCESS_EXEC ? PERM_UX : access & ACCESS_WRITE ? PERM_UW : PERM_UR;
  }
  if (access & ACCESS_EXEC) return PERM_SX;
  const ac = (access & (ACCESS_AC | ACCESS_IMPLICIT)) === ACCESS_AC;
  if (access & ACCESS_WRITE) return ac ? PERM_SWAC : PERM_SW;
  return ac ? PERM_SRAC : PERM_SR;
}

/** Paging mode: paging disabled (linear = physical). */
export const MODE_NONE = 0;
/** Paging mode: 32-bit paging (CR4.PAE=0). */
export const MODE_32 = 1;
/** Paging mode: PAE paging (CR4.PAE=1, EFER.LMA=0). */
export const MODE_PAE = 2;
/** Paging mode: 4-level paging. */
export const MODE_4LEVEL = 3;
/** Paging mode: 5-level paging (CR4.LA57=1). */
export const MODE_5LEVEL = 4;

/** CR0.WP */
export const CR0_WP = 1 << 16;
/** CR0.PG */
export const CR0_PG = 0x8000_0000;
/** CR4.PSE */
export const CR4_PSE = 1 << 4;
/** CR4.PAE */
export const CR4_PAE = 1 << 5;
/** CR4.PGE */
export const CR4_PGE = 1 << 7;
/** CR4.LA57 */
export const CR4_LA57 = 1 << 12;
/** CR4.PCIDE */
export const CR4_PCIDE = 1 << 17;
/** CR4.SMEP */
export const CR4_SMEP = 1 << 20;
/** CR4.SMAP */
export const CR4_SMAP = 1 << 21;
/** CR4.PKE (protection keys for user-mode pages) */
export const CR4_PKE = 1 << 22;
/** CR4.PKS (protection keys for supervisor-mode pages) */
export const CR4_PKS = 1 << 24;
/** EFER.NXE */
export const EFER_NXE = 1 << 11;
/** EFER.LMA */
export const EFER_LMA = 1 << 10;

/**
 * `GpaTranslator.translateGpa` access bit, with 4 (execute): paging maps the
 * fetched linear address as a user-mode address (U/S = 1 in every
 * paging-structure entry used; never with paging disabled).
 */
export const GPA_USER_FETCH = 8;

/**
 * Translates a guest-physical address of an access made during (or at the
 * end of) a guest page walk — nested EPT. Same shape as core's
 * `GuestPhysicalTranslator` (core/vcpu_vmx.ts), so the vCPU's translator
 * can be passed as is. Return the host(L1)-physical address, or -1 after
 * having recorded the EPT violation/misconfiguration (the walk then fails
 * with `fault === FAULT_NESTED` and the CPU raises the exit on the bus).
 * `access`: 1 read, 2 write, 3 both (the read-modify-write of an A/D
 * update in a guest paging-structure entry), 4 execute; with 4, also
 * {@link GPA_USER_FETCH} when paging maps the linear address as a
 * user-mode address (for EPT's mode-based execute control).
 */
export interface GpaTranslator {
  /** Translate `gpa`; -1 on an EPT fault. */
  translateGpa(gpa: number, access: number, linear: number, isPageWalk: boolean): number;
}

/** Walk outcome: success. */
export const FAULT_NONE = 0;
/** Walk outcome: page fault (see `errorCode`). */
export const FAULT_PAGE = 1;
/** Walk outcome: the GpaTranslator failed (an EPT exit was produced by it). */
export const FAULT_NESTED = 2;

/** Supported physical-address width (MAXPHYADDR) used for reserved-bit checks. */
export const DEFAULT_MAXPHYADDR = 46;

/**
 * The paging-relevant part of CR0/CR3/CR4/EFER, decoded once per change.
 * Mutable and reused: call {@link PagingContext.load} after a control
 * register write.
 */
export class PagingContext {
  /** One of MODE_NONE, MODE_32, MODE_PAE, MODE_4LEVEL, MODE_5LEVEL. */
  mode: number = MODE_NONE;
  /** CR3 as loaded (without bit 63). */
  cr3: number = 0;
  /** Physical address of the top-level table (PAE: the PDPT, 32-byte aligned). */
  root: number = 0;
  /** Current PCID (0 unless CR4.PCIDE). */
  pcid: number = 0;
  /** CR0.WP */
  wp: boolean = false;
  /** EFER.NXE (ignored in 32-bit paging) */
  nxe: boolean = false;
  /** CR4.SMEP */
  smep: boolean = false;
  /** CR4.SMAP */
  smap: boolean = false;
  /** CR4.PKE under 4-level or 5-level paging: leaf bits 62:59 are a protection key (SDM 4.6.2). */
  pke: boolean = false;
  /**
   * The PKRU register (bit 2i: access-disable, bit 2i+1: write-disable of
   * key i). Lives here because every walk reads it; change it through the
   * MMU (`Mmu.setPkru`), which drops the TLB entries it may have allowed.
   */
  pkru: number = 0;
  /** CR4.PKS under 4-level or 5-level paging: supervisor-mode addresses have keys too. */
  pks: boolean = false;
  /** IA32_PKRS (the PKRU layout, for supervisor-mode addresses); change it through `Mmu.setPkrs`. */
  pkrs: number = 0;
  /** CR4.PSE (4 MiB pages in 32-bit paging) */
  pse: boolean = false;
  /** CR4.PGE */
  pge: boolean = false;
  /** CR4.PCIDE */
  pcide: boolean = false;
  /** Whether 1 GiB pages are supported (CPUID.80000001H:EDX.Page1GB). */
  page1G: boolean = true;
  /** MAXPHYADDR for reserved-bit checks (32..52). */
  maxPhysAddr: number = DEFAULT_MAXPHYADDR;
  /**
   * PAE paging only: the four PDPTE registers (low 52 bits as numbers).
   * Load them with `loadPdptes` on CR3 loads in PAE mode (or from the
   * VMCS on VM entry).
   */
  readonly pdpte: Float64Array = new Float64Array(4);

  /** Decode control registers. CR3 must not contain bit 63 (the no-flush hint). */
  load(cr0: number, cr3: number, cr4: number, efer: number): void {
    const pg = (cr0 & CR0_PG) !== 0;
    if (!pg) this.mode = MODE_NONE;
    else if (!(cr4 & CR4_PAE)) this.mode = MODE_32;
    else if (!(efer & EFER_LMA)) this.mode = MODE_PAE;
    else this.mode = cr4 & CR4_LA57 ? MODE_5LEVEL : MODE_4LEVEL;
    this.wp = (cr0 & CR0_WP) !== 0;
    this.nxe = (efer & EFER_NXE) !== 0;
    this.smep = (cr4 & CR4_SMEP) !== 0;
    this.smap = (cr4 & CR4_SMAP) !== 0;
    this.pke = (cr4 & CR4_PKE) !== 0 && this.mode >= MODE_4LEVEL;
    this.pks = (cr4 & CR4_PKS) !== 0 && this.mode >= MODE_4LEVEL;
    this.pse = (cr4 & CR4_PSE) !== 0;
    this.pge = (cr4 & CR4_PGE) !== 0;
    this.pcide = (cr4 & CR4_PCIDE) !== 0 && this.mode >= MODE_4LEVEL;
    this.setCr3(cr3);
  }

  /** Set CR3 only (mode unchanged). */
  setCr3(cr3: number): void {
    this.cr3 = cr3;
    const lo = cr3 >>> 0;
    const hi = Math.floor(cr3 / 0x1_0000_0000);
    switch (this.mode) {
      case MODE_32:
        this.root = (lo >>> 12) * 4096;
        break;
      case MODE_PAE:
        this.root = (lo >>> 5) * 32;
        break;
      default:
        this.root = (lo >>> 12) * 4096 +
          (hi & ((1 << (this.maxPhysAddr - 32)) - 1)) * 0x1_0000_0000;
    }
    this.pcid = this.pcide ? lo & 0xfff : 0;
  }
}

/**
 * The result of one walk, written in place (no allocation per walk).
 * On success `phys`, `frame`, `perm`... are valid; on failure `fault` and
 * `errorCode` (for FAULT_PAGE) say why.
 */
export class WalkResult {
  /** FAULT_NONE, FAULT_PAGE or FAULT_NESTED. */
  fault: number = FAULT_NONE;
  /** #PF error code (FAULT_PAGE). */
  errorCode: number = 0;
  /** Translated physical address of the accessed byte (host-physical under EPT). */
  phys: number = 0;
  /** Physical frame (phys / 4096) of the 4 KiB piece. */
  frame: number = 0;
  /** Guest-physical address the guest tables produced (before EPT); equals phys without EPT. */
  gpa: number = 0;
  /** log2 of the page size: 12, 21, 22 or 30. */
  pageShift: number = 12;
  /** TLB permission bits (PERM_*), W bits only if the D bit is set. */
  perm: number = 0;
  /** The leaf had G=1 and CR4.PGE=1. */
  global: boolean = false;
  /** Paging-structure levels read (diagnostics/tests). */
  levels: number = 0;
}

/**
 * The 9-bit index a paging-structure level takes from an address (given as
 * its low and high 32-bit halves): bits 56:48 at level 5 (PML5), 47:39 at
 * 4, 38:30 at 3, 29:21 at 2 and 20:12 at 1. The same for the guest's 4- and
 * 5-level paging and for EPT (SDM Vol. 3A 4.5, Vol. 3C 29.3.2).
 */
export function tableIndex(level: number, lo: number, hi: number): number {
  switch (level) {
    case 5:
      return (hi >>> 16) & 511;
    case 4:
      return (hi >>> 7) & 511;
    case 3:
      return ((lo >>> 30) | ((hi & 0x7f) << 2)) & 511;
    case 2:
      return (lo >>> 21) & 511;
    default:
      return (lo >>> 12) & 511;
  }
}
