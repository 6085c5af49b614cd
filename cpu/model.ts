/**
 * The CPUID model: a configurable description of the processor the guest
 * sees. Features are named and can be switched off ("-vmx") or on.
 * MMX and SSE through SSE4.2 are advertised (cpu/sse/).
 *
 * @module
 */

import { pmuCpuidLeaf } from "./pmu.ts";

/** A CPUID answer (four 32-bit registers). */
export interface CpuidRegs {
  /** EAX. */
  eax: number;
  /** EBX. */
  ebx: number;
  /** ECX. */
  ecx: number;
  /** EDX. */
  edx: number;
}

/** The CPU model: vendor, family/model/stepping, named features. */
export interface CpuModel {
  /** 12-character vendor string. */
  vendor: string;
  /** Brand string (up to 48 characters). */
  brand: string;
  /** Family as in CPUID.1:EAX. */
  family: number;
  /** Model as in CPUID.1:EAX. */
  model: number;
  /** Stepping as in CPUID.1:EAX. */
  stepping: number;
  /** Enabled feature names (see {@link FEATURES}). */
  features: Set<string>;
  /** Physical address width reported in leaf 0x80000008. */
  physBits: number;
  /** Linear address width reported in leaf 0x80000008. */
  linBits: number;
  /**
   * Highest basic CPUID leaf (CPUID.0:EAX); absent: 0DH. The full model
   * goes to 1FH (V2 extended topology); QEMU's older named models stop at 0DH.
   */
  maxBasicLeaf?: number;
  /**
   * VMX capabilities switched off with `-cpu ...,-vmx-NAME` (QEMU's names,
   * `VMX_CAPABILITY_NAMES` in core/vmx_capability_names.ts): the VMX plugin
   * leaves them out of its capability MSRs and refuses them. Absent: none.
   */
  vmxOff?: Set<string>;
  /**
   * Architectural performance monitoring (CPUID leaf 0AH, `pmu.ts`): on
   * for nestvm's full model, off for QEMU's named ones, as QEMU's `pmu`
   * property; effective only with the GenuineIntel vendor. Absent: off.
   */
  pmu?: boolean;
}

/** Where a feature bit lives: [leaf, subleaf, register, bit]. */
export type FeatureLoc = readonly [number, number, "eax" | "ebx" | "ecx" | "edx", number];

/** Features the engine can advertise, with their CPUID location. */
export const FEATURES: Readonly<Record<string, FeatureLoc>> = {
  // Leaf 1 EDX
  fpu: [1, 0, "edx", 0],
  de: [1, 0, "edx", 2],
  pse: [1, 0, "edx", 3],
  tsc: [1, 0, "edx", 4],
  msr: [1, 0, "edx", 5],
  pae: [1, 0, "edx", 6],
  mce: [1, 0, "edx", 7],
  cx8: [1, 0, "edx", 8],
  apic: [1, 0, "edx", 9],
  sep: [1, 0, "edx", 11],
  pge: [1, 0, "edx", 13],
  mca: [1, 0, "edx", 14],
  cmov: [1, 0, "edx", 15],
  pat: [1, 0, "edx", 16],
  pse36: [1, 0, "edx", 17],
  clflush: [1, 0, "edx", 19],
  mmx: [1, 0, "edx", 23],
  fxsr: [1, 0, "edx", 24],
  sse: [1, 0, "edx", 25],
  sse2: [1, 0, "edx", 26],
  // Leaf 1 ECX
  sse3: [1, 0, "ecx", 0],
  ssse3: [1, 0, "ecx", 9],
  "sse4.1": [1, 0, "ecx", 19],
  "sse4.2": [1, 0, "ecx", 20],
  vmx: [1, 0, "ecx", 5],
  cx16: [1, 0, "ecx", 13],
  pcid: [1, 0, "ecx", 17],
  x2apic: [1, 0, "ecx", 21],
  popcnt: [1, 0, "ecx", 23],
  xsave: [1, 0, "ecx", 26],
  // Leaf 0DH sub-leaf 1 EAX
  xsaveopt: [0xd, 1, "eax", 0],
  xsavec: [0xd, 1, "eax", 1],
  xgetbv1: [0xd, 1, "eax", 2],
  xsaves: [0xd, 1, "eax", 3],
  "tsc-deadline": [1, 0, "ecx", 24],
  hypervisor: [1, 0, "ecx", 31],
  // Leaf 7 EBX
  fsgsbase: [7, 0, "ebx", 0],
  "tsc-adjust": [7, 0, "ebx", 1],
  bmi1: [7, 0, "ebx", 3],
  smep: [7, 0, "ebx", 7],
  erms: [7, 0, "ebx", 9],
  invpcid: [7, 0, "ebx", 10],
  smap: [7, 0, "ebx", 20],
  // Leaf 7 ECX
  pku: [7, 0, "ecx", 3],
  pks: [7, 0, "ecx", 31],
  // Extended leaf 0x80000001
  lahf_lm: [0x80000001, 0, "ecx", 0],
  abm: [0x80000001, 0, "ecx", 5],
  syscall: [0x80000001, 0, "edx", 11],
  nx: [0x80000001, 0, "edx", 20],
  pdpe1gb: [0x80000001, 0, "edx", 26],
  rdtscp: [0x80000001, 0, "edx", 27],
  lm: [0x80000001, 0, "edx", 29],
};

/**
 * The CPUID.1:EDX features, DE through CLFSH, that every 64-bit model has
 * (nestvm's and QEMU's named ones in `cpu_spec.ts`).
 */
export const BASE_FEATURES: readonly string[] = [
  "de",
  "pse",
  "tsc",
  "msr",
  "pae",
  "mce",
  "cx8",
  "apic",
  "sep",
  "pge",
  "mca",
  "cmov",
  "pat",
  "pse36",
  "clflush",
];

/** The default model: nestvm's full CPU, every feature it implements (x87 and SSE to SSE4.2, XSAVE, VMX...). */
export function defaultModel(): CpuModel {
  return {
    vendor: "GenuineIntel",
    brand: "nestvm virtual CPU",
    family: 6,
    model: 0x3a,
    stepping: 9,
    features: new Set([
      "fpu",
      "fxsr",
      ...BASE_FEATURES,
      "mmx",
      "sse",
      "sse2",
      "sse3",
      "ssse3",
      "sse4.1",
      "sse4.2",
      "xsave",
      "xsaveopt",
      "xsavec",
      "xgetbv1",
      "xsaves",
      "vmx",
      "cx16",
      "popcnt",
      "x2apic",
      "tsc-deadline",
      "fsgsbase",
      "tsc-adjust",
      "bmi1",
      "smep",
      "smap",
      "pku",
      "pks",
      "erms",
      "invpcid",
      "pcid",
      "lahf_lm",
      "abm",
      "syscall",
      "nx",
      "pdpe1gb",
      "rdtscp",
      "lm",
    ]),
    physBits: 40,
    linBits: 48,
    maxBasicLeaf: 0x1f,
    pmu: true,
  };
}

/** Smallest and largest MAXPHYADDR a model may have (`phys-bits=N`). */
export const PHYS_BITS_RANGE: readonly [number, number] = [32, 52];

/** Leaf 0's EBX, EDX, ECX for the vendor string {@link vendorOf} (computed once per vendor). */
const vendorRegs = new Uint32Array(3);
let vendorOf: string | null = null;

function strRegs(s: string, at: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= (s.charCodeAt(at + i) & 0xff) << (8 * i);
  return v >>> 0;
}

/** {@link FEATURES} grouped by leaf: [name, register, bit, subleaf] (a CPUID checks only its leaf's features). */
const LEAF_FEATURES: ReadonlyMap<
  number,
  readonly (readonly [string, "eax" | "ebx" | "ecx" | "edx", number, number])[]
> = (() => {
  const byLeaf = new Map<number, [string, "eax" | "ebx" | "ecx" | "edx", number, number][]>();
  for (const [name, loc] of Object.entries(FEATURES)) {
    let list = byLeaf.get(loc[0]);
    if (list === undefined) byLeaf.set(loc[0], list = []);
    list.push([name, loc[2], loc[3], loc[1]]);
  }
  return byLeaf;
})();

/** Highest extended CPUID leaf (CPUID.80000000H:EAX). */
const MAX_EXTENDED_LEAF = 0x80000008;

/**
 * The leaf whose data CPUID returns for `leaf`: itself when the model has
 * it, else the highest basic leaf's (SDM Vol. 2A CPUID: "If a value entered
 * for CPUID.EAX is higher than the maximum input value for basic or
 * extended function ... the data for the highest basic information leaf is
 * returned").
 */
export function cpuidEffectiveLeaf(m: CpuModel, leaf: number): number {
  const maxBasic = m.maxBasicLeaf ?? 0xd;
  if (leaf > maxBasic && leaf < 0x80000000) return maxBasic;
  if (leaf > MAX_EXTENDED_LEAF) return maxBasic;
  return leaf;
}

/**
 * Compute the model's CPUID answer for (leaf, subleaf). Leaves whose data
 * depends on the vCPU (topology, OSXSAVE, OSPKE, XSAVE sizes) are completed
 * by the CPU (cpu/exec_cpuid_msr.ts).
 */
export function cpuidLeaf(m: CpuModel, leaf: number, subleaf: number, out: CpuidRegs): void {
  out.eax =
    out.ebx =
    out.ecx =
    out.edx =
      0;
  const maxBasic = m.maxBasicLeaf ?? 0xd;
  leaf = cpuidEffectiveLeaf(m, leaf);
  switch (leaf) {
    case 0: {
      if (m.vendor !== vendorOf) {
        const v = m.vendor.padEnd(12, " ");
        vendorOf = m.vendor;
        vendorRegs[0] = strRegs(v, 0);
        vendorRegs[1] = strRegs(v, 4);
        vendorRegs[2] = strRegs(v, 8);
      }
      out.eax = maxBasic;
      out.ebx = vendorRegs[0];
      out.edx = vendorRegs[1];
      out.ecx = vendorRegs[2];
      break;
    }
    case 1:
      out.eax = ((m.family & 0xf) << 8) | ((m.model & 0xf) << 4) | (m.stepping & 0xf) |
        (((m.model >> 4) & 0xf) << 16) | ((Math.max(0, m.family - 15) & 0xff) << 20);
      out.ebx = (8 << 8) | (1 << 16); // CLFLUSH line 64 bytes, 1 logical processor
      break;
    case 0xd:
      // XSAVE (SDM Vol. 1 13.2, 13.4.3): components x87 and SSE in the legacy area,
      // and with PKU component 9 (PKRU) right after the header (xsaveLayout). Sub-leaf 0
      // EBX and sub-leaf 1 EBX depend on XCR0 / IA32_XSS: these are their values for
      // XCR0 = x87 | SSE, and the CPU puts in the current ones (exec_cpuid_msr.ts).
      // Sub-leaf 1 ECX:EDX: the IA32_XSS bits (none).
      if (m.features.has("xsave")) {
        const all = xcr0Supported(m);
        if (subleaf === 0) {
          out.eax = all;
          out.ebx = xsaveAreaSize(3);
          out.ecx = xsaveAreaSize(all);
        } else if (subleaf === 1 && (m.features.has("xsavec") || m.features.has("xsaves"))) {
          out.ebx = xsaveAreaSize(3);
        } else if (subleaf === XSAVE_PKRU && (all & (1 << XSAVE_PKRU)) !== 0) {
          out.eax = XSAVE_PKRU_SIZE;
          out.ebx = XSAVE_PKRU_OFFSET; // a user component (ECX[0] = 0), not 64-byte aligned
        }
      }
      break;
    case 0xa:
      pmuCpuidLeaf(m, out);
      break;
    case 0x80000000:
      out.eax = MAX_EXTENDED_LEAF;
      break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      const b = m.brand.padEnd(48, "\0");
      const at = (leaf - 0x80000002) * 16;
      out.eax = strRegs(b, at);
      out.ebx = strRegs(b, at + 4);
      out.ecx = strRegs(b, at + 8);
      out.edx = strRegs(b, at + 12);
      break;
    }
    case 0x80000008:
      out.eax = (m.physBits & 0xff) | ((m.linBits & 0xff) << 8);
      break;
  }
  const list = LEAF_FEATURES.get(leaf);
  if (list === undefined) return;
  for (const [name, reg, bit, sub] of list) {
    if ((leaf === 7 || leaf === 0xd) && subleaf !== sub) continue;
    if (m.features.has(name)) out[reg] = (out[reg] | (1 << bit)) >>> 0;
  }
}

/**
 * The CR4 bits MOV CR4 accepts on this model (SDM Vol. 3A 2.5: a bit of an
 * absent feature is reserved and setting it is #GP(0)). The one source for
 * the CPU's CR4 check and for IA32_VMX_CR4_FIXED1.
 */
export function cr4Writable(m: CpuModel): number {
  const f = m.features;
  // TSD DE PSE PAE MCE PGE PCE; not VME and PVI: the virtual-8086 mode
  // extensions are not implemented (CPUID.1:EDX.VME is never set); not LA57:
  // linear addresses are 48-bit (canonical checks, and JavaScript numbers
  // hold 57-bit upper-half addresses inexactly), so CPUID.7:ECX.LA57 is clear.
  let bits = 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80 | 0x100;
  if (f.has("vmx")) bits |= 0x2000;
  if (f.has("fxsr")) bits |= 0x200; // OSFXSR (FXSAVE/FXRSTOR exist)
  if (f.has("sse")) bits |= 0x400; // OSXMMEXCPT
  if (f.has("fsgsbase")) bits |= 0x10000;
  if (f.has("pcid")) bits |= 0x20000;
  if (f.has("xsave")) bits |= 0x40000; // OSXSAVE
  if (f.has("smep")) bits |= 0x100000;
  if (f.has("smap")) bits |= 0x200000;
  if (f.has("pku")) bits |= 0x400000; // PKE
  if (f.has("pks")) bits |= 0x1000000; // PKS
  return bits >>> 0;
}

/** XSAVE state component number of PKRU (XCR0 bit 9). */
export const XSAVE_PKRU = 9;
/** Size in bytes of the PKRU component in an XSAVE area (CPUID.(0DH,9):EAX). */
export const XSAVE_PKRU_SIZE = 8;
/**
 * Offset of the PKRU component in the standard format (CPUID.(0DH,9):EBX):
 * the first byte after the XSAVE header, as no other extended component
 * exists here. It is also its compacted-format offset (SDM 13.4.3: the
 * first component of XCOMP_BV after the header starts at 576).
 */
export const XSAVE_PKRU_OFFSET = 576;

/**
 * The XCR0 bits (XSAVE state components) the model supports:
 * CPUID.(EAX=0DH,ECX=0):EAX. x87 and SSE always; PKRU with PKU.
 */
export function xcr0Supported(m: CpuModel): number {
  return 3 | (m.features.has("pku") ? 1 << XSAVE_PKRU : 0);
}

/**
 * Bytes of an XSAVE area holding the components of `mask` (bits of XCR0 |
 * IA32_XSS), in either format: the legacy area and header (576), and the
 * PKRU component after them when `mask` has it.
 */
export function xsaveAreaSize(mask: number): number {
  return (mask & (1 << XSAVE_PKRU)) !== 0 ? XSAVE_PKRU_OFFSET + XSAVE_PKRU_SIZE : 576;
}

/** True when the model advertises `feature`. */
export function hasFeature(m: CpuModel, feature: string): boolean {
  return m.features.has(feature);
}
