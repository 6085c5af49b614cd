/**
 * QEMU's `-cpu` syntax, read into nestvm's CPU model:
 * `MODEL[,+feat][,-feat][,feat=on|off][,prop=value]...`.
 *
 * - MODEL: `max`, `host`, `base`, `nestvm` are nestvm's full model; QEMU's
 *   named models select a vendor, family/model/stepping and a feature set
 *   (the subset nestvm implements; see {@link NAMED_MODELS}).
 * - Features: nestvm's own names, with `_`/`-`/`.` spellings treated alike
 *   as QEMU does. A feature QEMU knows but nestvm does not implement is
 *   dropped with one warning (as QEMU's TCG does); an unknown name is an
 *   error.
 * - Properties that nestvm models: `vendor=` (12 characters), `phys-bits=`,
 *   `family=`, `model=`, `stepping=`, `model-id=`. Properties that change
 *   nothing here (`host-phys-bits`, `level=`, `migratable=`, `check`,
 *   `enforce`, `hv-*`...) are accepted with one warning each. `pmu=on|off`
 *   (or `+pmu`/`-pmu`) switches architectural performance monitoring
 *   (`pmu.ts`; on for nestvm's full model, off for QEMU's named ones).
 *   `vendor=` and `family=` (and a named model's vendor and family) also
 *   choose the ALU's undefined-flag profile (cpu/alu/vendor_flags.ts).
 * - QEMU's `vmx-*` names of nestvm's VMX capabilities
 *   (core/vmx_capability_names.ts): `-vmx-NAME` switches one off (the
 *   model's `vmxOff`); other `vmx-*` names are capabilities nestvm lacks.
 *   QEMU's names of the KVM paravirtual features `--kvm-pv` provides
 *   (`kvmclock`...) warn that `-cpu` does not switch them.
 * - `help` is not a model: the CLI prints {@link cpuHelpText} for it.
 *
 * @module
 */

import { BASE_FEATURES, type CpuModel, defaultModel, FEATURES, PHYS_BITS_RANGE } from "./model.ts";
import { VMX_CAPABILITY_NAMES } from "../core/vmx_capability_names.ts";

/** The result of reading a `-cpu` spec. */
export type CpuSpecResult =
  | { readonly ok: true; readonly model: CpuModel; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly error: string };

/** A named model: what it changes from nestvm's full model. */
export interface NamedModel {
  /** CPUID vendor string. */
  readonly vendor: string;
  /** CPUID family. */
  readonly family: number;
  /** CPUID model. */
  readonly model: number;
  /** CPUID stepping. */
  readonly stepping: number;
  /** The features it has, of those nestvm implements (undefined: all of them). */
  readonly features?: readonly string[];
  /** Highest basic CPUID leaf (undefined: the full model's). */
  readonly maxBasicLeaf?: number;
  /** Architectural performance monitoring (undefined: off, as QEMU's named models). */
  readonly pmu?: boolean;
}

const INTEL_FULL: NamedModel = {
  vendor: "GenuineIntel",
  family: 6,
  model: 0x3a,
  stepping: 9,
  pmu: true,
};

/** QEMU's PPRO_FEATURES with SSE3 (CPUID.1:ECX[0]): x87, MMX, FXSR and SSE to SSE3. */
const BASE_64 = [...BASE_FEATURES, "fpu", "mmx", "fxsr", "sse", "sse2", "sse3"];
/** SSSE3, SSE4.1, SSE4.2 (Nehalem on). */
const SSE4 = ["ssse3", "sse4.1", "sse4.2"];
/** Sandy Bridge's leaf-1 features (and what later models keep of them). */
const SANDY_BRIDGE = [
  ...BASE_64,
  ...SSE4,
  "xsave",
  "xsaveopt",
  "cx16",
  "popcnt",
  "x2apic",
  "tsc-deadline",
];

/**
 * QEMU's model names nestvm maps onto its CPU: vendor and signature as
 * those models report them, and the part of their feature set nestvm
 * implements (AES, AVX and the others it does not implement are left out).
 */
export const NAMED_MODELS: Readonly<Record<string, NamedModel>> = {
  max: INTEL_FULL,
  host: INTEL_FULL,
  base: INTEL_FULL,
  nestvm: INTEL_FULL,
  qemu64: {
    vendor: "AuthenticAMD",
    maxBasicLeaf: 0xd,
    family: 15,
    model: 107,
    stepping: 1,
    features: [...BASE_64, "cx16", "syscall", "nx", "lm", "lahf_lm"],
  },
  kvm64: {
    vendor: "GenuineIntel",
    maxBasicLeaf: 0xd,
    family: 15,
    model: 6,
    stepping: 1,
    features: [...BASE_64, "cx16", "syscall", "nx", "lm"],
  },
  Opteron_G1: {
    vendor: "AuthenticAMD",
    maxBasicLeaf: 0xd,
    family: 15,
    model: 6,
    stepping: 1,
    features: [...BASE_64, "syscall", "nx", "lm"],
  },
  Opteron_G2: {
    vendor: "AuthenticAMD",
    maxBasicLeaf: 0xd,
    family: 15,
    model: 6,
    stepping: 1,
    features: [...BASE_64, "cx16", "syscall", "nx", "rdtscp", "lm", "lahf_lm"],
  },
  Nehalem: {
    vendor: "GenuineIntel",
    maxBasicLeaf: 0xd,
    family: 6,
    model: 26,
    stepping: 3,
    features: [...BASE_64, ...SSE4, "cx16", "popcnt", "syscall", "nx", "lm", "lahf_lm"],
  },
  Westmere: {
    vendor: "GenuineIntel",
    maxBasicLeaf: 0xd,
    family: 6,
    model: 44,
    stepping: 1,
    features: [
      ...BASE_64,
      ...SSE4,
      "cx16",
      "popcnt",
      "syscall",
      "nx",
      "rdtscp",
      "lm",
      "lahf_lm",
    ],
  },
  SandyBridge: {
    vendor: "GenuineIntel",
    maxBasicLeaf: 0xd,
    family: 6,
    model: 42,
    stepping: 1,
    features: [...SANDY_BRIDGE, "syscall", "nx", "rdtscp", "lm", "lahf_lm"],
  },
  "Skylake-Server": {
    vendor: "GenuineIntel",
    maxBasicLeaf: 0xd,
    family: 6,
    model: 85,
    stepping: 4,
    features: [
      ...SANDY_BRIDGE,
      "xsavec",
      "xgetbv1",
      "pcid",
      "fsgsbase",
      "bmi1",
      "smep",
      "erms",
      "invpcid",
      "smap",
      "pku",
      "syscall",
      "nx",
      "pdpe1gb",
      "rdtscp",
      "lm",
      "lahf_lm",
      "abm",
    ],
  },
  IvyBridge: {
    vendor: "GenuineIntel",
    maxBasicLeaf: 0xd,
    family: 6,
    model: 58,
    stepping: 9,
    features: [
      ...SANDY_BRIDGE,
      "fsgsbase",
      "smep",
      "erms",
      "syscall",
      "nx",
      "rdtscp",
      "lm",
      "lahf_lm",
    ],
  },
};

/**
 * Feature names QEMU knows that nestvm does not implement (asked for, they
 * are dropped with a warning). nestvm's own names come from {@link FEATURES}.
 */
const QEMU_ONLY_FEATURES: ReadonlySet<string> = new Set(
  ("vme la57 mtrr pn ds acpi ss ht tm ia64 pbe pclmulqdq movbe rdrand rdseed bmi2 " +
    "pclmuldq dtes64 monitor ds-cpl smx est tm2 cid fma xtpr pdcm dca " +
    "aes osxsave avx f16c mmxext fxsr-opt 3dnowext 3dnow cmp-legacy svm extapic " +
    "cr8legacy sse4a misalignsse 3dnowprefetch osvw ibs xop skinit wdt lwp fma4 tce " +
    "nodeid-msr tbm topoext perfctr-core perfctr-nb sgx hle avx2 rtm mpx " +
    "avx512f avx512dq adx avx512ifma pcommit clflushopt clwb intel-pt avx512pf avx512er " +
    "avx512cd sha-ni avx512bw avx512vl avx512vbmi umip ospke waitpkg avx512vbmi2 gfni " +
    "vaes vpclmulqdq avx512vnni avx512bitalg avx512-vpopcntdq rdpid cldemote movdiri " +
    "movdir64b fsrm md-clear serialize tsx-ldtrk arch-lbr spec-ctrl stibp " +
    "arch-capabilities ssbd invtsc npt lbrv nrip-save " +
    "tsc-scale vmcb-clean flushbyasid decodeassists pause-filter pfthreshold vgif " +
    "avx-vnni avx512-bf16 amx-tile amx-int8 amx-bf16 fzrm fsrs fsrc lam ibpb " +
    "amd-ssbd virt-ssbd amd-stibp xcrypt xstore ace2 phe pmm kvm-nopiodelay " +
    "kvm-mmu kvm-asyncpf kvm-steal-time kvm-pv-eoi kvm-pv-unhalt " +
    "kvm-pv-tlb-flush kvm-poll-control kvm-pv-sched-yield kvm-asyncpf-int " +
    "kvm-msi-ext-dest-id x2apic-api lmce rdpru cet-ss cet-ibt")
    .split(/\s+/),
);

/**
 * QEMU's names of the KVM paravirtual features that the `--kvm-pv` plugin
 * implements (plugins/kvm_pv: CPUID leaf 0x40000001 bits 3, 24 and 11).
 * They are that plugin's, not the CPU model's: `-cpu` cannot switch them.
 */
const KVM_PV_FEATURES: ReadonlySet<string> = new Set([
  "kvmclock",
  "kvmclock-stable-bit",
  "kvm-pv-ipi",
]);

/** Properties accepted and ignored (they change nothing nestvm models). */
const NO_EFFECT_PROPERTIES: ReadonlySet<string> = new Set([
  "host-phys-bits",
  "host-phys-bits-limit",
  "level",
  "xlevel",
  "xlevel2",
  "min-level",
  "min-xlevel",
  "migratable",
  "check",
  "enforce",
  "l3-cache",
  "tsc-frequency",
  "kvm",
  "fill-mtrr-mask",
  "full-cpuid-auto-level",
  "hypervisor",
  "lbr-fmt",
  "ucode-rev",
  "apic-id",
]);

/** Canonical spelling for comparing names: QEMU treats `_`, `-` and `.` alike. */
function canon(name: string): string {
  return name.toLowerCase().replace(/[_.]/g, "-");
}

/** nestvm's features by canonical name, and by QEMU's other names for them. */
const NESTVM_BY_CANON = new Map([
  ...Object.keys(FEATURES).map((f) => [canon(f), f] as const),
  ["pni", "sse3"], // "Prescott New Instructions", QEMU's name for SSE3
]);

function parseCount(v: string): number | undefined {
  return /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : undefined;
}

/**
 * The model a `-cpu` spec names, or the error as a message; warnings about
 * properties that change nothing are dropped (use {@link parseCpuSpec} to
 * see them).
 *
 * @example
 * ```ts
 * import { modelFromSpec } from "./cpu_spec.ts";
 * const m = modelFromSpec("max,vendor=AuthenticAMD,-vmx");
 * if (typeof m !== "string") console.log(m.vendor); // AuthenticAMD
 * ```
 */
export function modelFromSpec(spec: string): CpuModel | string {
  const r = parseCpuSpec(spec);
  return r.ok ? r.model : r.error;
}

/** Read a QEMU `-cpu` spec into a model (a fresh object each call). */
export function parseCpuSpec(text: string): CpuSpecResult {
  const [head, ...items] = text.split(",").map((s) => s.trim());
  const m = defaultModel();
  const warnings: string[] = [];
  const warn = (w: string) => {
    if (!warnings.includes(w)) warnings.push(w);
  };
  let named: NamedModel | undefined;
  if (head !== "" && !head.startsWith("+") && !head.startsWith("-") && !head.includes("=")) {
    named = NAMED_MODELS[head] ??
      Object.entries(NAMED_MODELS).find(([k]) => k.toLowerCase() === head.toLowerCase())?.[1];
    if (!named) {
      return {
        ok: false,
        error: `unknown CPU model "${head}" (known: ${Object.keys(NAMED_MODELS).join(", ")})`,
      };
    }
  } else {
    items.unshift(head);
  }
  if (named) {
    m.vendor = named.vendor;
    m.family = named.family;
    m.model = named.model;
    m.stepping = named.stepping;
    if (named.features) m.features = new Set(named.features);
    if (named.maxBasicLeaf !== undefined) m.maxBasicLeaf = named.maxBasicLeaf;
    m.pmu = named.pmu === true;
  }
  for (const item of items) {
    if (item === "") continue;
    const eq = item.indexOf("=");
    let name: string;
    let value: string | undefined;
    if (item[0] === "+" || item[0] === "-") {
      name = item.slice(1);
      value = item[0] === "+" ? "on" : "off";
    } else if (eq >= 0) {
      name = item.slice(0, eq);
      value = item.slice(eq + 1);
    } else {
      name = item; // a bare name is name=on, as QEMU reads it
      value = undefined;
    }
    const key = canon(name);
    const err = applyProperty(m, key, name, value, warn);
    if (err) return { ok: false, error: err };
  }
  return { ok: true, model: m, warnings };
}

function onOff(value: string | undefined): boolean | undefined {
  if (value === undefined || value === "on" || value === "true" || value === "yes") return true;
  if (value === "off" || value === "false" || value === "no") return false;
  return undefined;
}

function applyProperty(
  m: CpuModel,
  key: string,
  name: string,
  value: string | undefined,
  warn: (w: string) => void,
): string | undefined {
  switch (key) {
    case "vendor":
      if (value === undefined || value.length !== 12) {
        return `-cpu vendor= needs a 12-character vendor string, got "${value ?? ""}"`;
      }
      m.vendor = value;
      return undefined;
    case "phys-bits": {
      const n = parseCount(value ?? "");
      const [lo, hi] = PHYS_BITS_RANGE;
      if (n === undefined || n < lo || n > hi) {
        return `-cpu phys-bits= must be ${lo}..${hi}, got "${value ?? ""}"`;
      }
      m.physBits = n;
      return undefined;
    }
    case "family":
    case "model":
    case "stepping": {
      const n = parseCount(value ?? "");
      const max = key === "family" ? 0xff + 15 : key === "model" ? 0xff : 0xf;
      if (n === undefined || n > max) return `-cpu ${key}= must be 0..${max}, got "${value ?? ""}"`;
      m[key] = n;
      return undefined;
    }
    case "model-id":
      m.brand = (value ?? "").slice(0, 48);
      return undefined;
    case "pmu": {
      // QEMU's property (`pmu=on|off`); `+pmu`/`-pmu` spell the same here.
      const on = onOff(value);
      if (on === undefined) return `-cpu ${name}=${value}: expected on or off`;
      m.pmu = on;
      return undefined;
    }
  }
  if (NO_EFFECT_PROPERTIES.has(key) || key.startsWith("hv-") || key.startsWith("x-")) {
    warn(`-cpu ${name}${value === undefined ? "" : `=${value}`} has no effect in nestvm; ignored`);
    return undefined;
  }
  const on = onOff(value);
  const feature = NESTVM_BY_CANON.get(key);
  if (feature !== undefined) {
    if (on === undefined) return `-cpu ${name}=${value}: expected on or off`;
    if (on) m.features.add(feature);
    else m.features.delete(feature);
    return undefined;
  }
  // QEMU's names of nestvm's VMX capabilities: `-vmx-NAME` switches one off
  // (the VMX plugin takes its bits out: `vmxFeaturesFor`). Other `vmx-*`
  // names are capabilities nestvm does not have.
  if (Object.hasOwn(VMX_CAPABILITY_NAMES, key)) {
    if (on === undefined) return `-cpu ${name}=${value}: expected on or off`;
    m.vmxOff ??= new Set();
    if (on) m.vmxOff.delete(key);
    else m.vmxOff.add(key);
    return undefined;
  }
  if (KVM_PV_FEATURES.has(key)) {
    if (on === undefined) return `-cpu ${name}=${value}: expected on or off`;
    warn(
      `-cpu feature "${name}" is KVM's paravirtual interface: nestvm offers it with --kvm-pv ` +
        `(kvmclock, kvmclock-stable-bit, kvm-pv-ipi), not through -cpu; ignored`,
    );
    return undefined;
  }
  if (QEMU_ONLY_FEATURES.has(key) || key.startsWith("vmx-") || key.startsWith("avx")) {
    if (on === undefined) return `-cpu ${name}=${value}: expected on or off`;
    if (on) warn(`-cpu feature "${name}" is not implemented by nestvm; ignored`);
    return undefined;
  }
  return `unknown CPU feature or property "${name}"`;
}

/**
 * What `-cpu help` prints: the models, the CPUID feature names nestvm
 * implements, the VMX capability names `-vmx-NAME` switches off, and the
 * properties, each as `-cpu` spells them.
 */
export function cpuHelpText(): string {
  const wrap = (words: readonly string[]): string => {
    const lines: string[] = [];
    let line = " ";
    for (const w of words) {
      if (line.length + w.length + 1 > 78) {
        lines.push(line);
        line = " ";
      }
      line += ` ${w}`;
    }
    if (line.trim() !== "") lines.push(line);
    return lines.join("\n");
  };
  const models = Object.entries(NAMED_MODELS).map(([name, m]) =>
    `  ${name.padEnd(16)} ${m.vendor} family ${m.family} model 0x${m.model.toString(16)}` +
    (m.pmu === true ? ", PMU" : "")
  );
  return [
    "Available CPUs:",
    ...models,
    "",
    "CPUID features nestvm implements (+NAME / -NAME; pni is sse3):",
    wrap(Object.keys(FEATURES).sort()),
    "",
    "VMX capabilities (-vmx-NAME switches one off; every model has them all, the",
    "perf-global-ctrl ones with a PMU):",
    wrap(Object.keys(VMX_CAPABILITY_NAMES).sort()),
    "",
    "Properties: vendor=, phys-bits=, family=, model=, stepping=, model-id=, pmu=on|off",
  ].join("\n");
}
