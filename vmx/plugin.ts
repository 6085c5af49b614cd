/**
 * The nested-VMX plugin: gives the guest Intel VMX (CPUID.1:ECX.VMX, the
 * capability MSRs, IA32_FEATURE_CONTROL, the VMX instructions) on top of
 * nestvm's CPU engine.
 *
 * Options (all optional):
 * - `physBits`: physical-address width used to validate VMXON/VMCLEAR/
 *   VMPTRLD pointers and in VM-entry and EPT checks (default: the feature
 *   set's, which boards derive from the CPU model with `vmxFeaturesFor`);
 * - `featureControl`: initial IA32_FEATURE_CONTROL: `unlocked` (default, 0,
 *   as on a machine whose firmware left it alone), `locked` (lock + VMX
 *   outside SMX, as most firmware leaves it), or a number.
 *
 * ```ts
 * import { createVmxPlugin } from "./plugin.ts";
 * const vmx = createVmxPlugin({ featureControl: "locked" });
 * if (vmx.name !== "vmx") throw new Error("unexpected name");
 * ```
 *
 * @module
 */

import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import type { NestedOps, NestedOpsFactory, VmxContext } from "./context.ts";
import { createNestedOps } from "./entry/ops.ts";
import { VMX_FEATURES, type VmxFeatures } from "./features.ts";
import { handleVmxInstruction } from "./instructions/dispatch.ts";
import { leaveVmxOperation } from "./instructions/vmxon.ts";
import {
  crAllowedInVmx,
  FEATURE_CONTROL,
  FEATURE_CONTROL_WRITABLE,
  isVmxCapabilityMsr,
  MSR,
  vmxCapabilityMsr,
} from "./msrs.ts";
import { NO_POINTER, VmxState } from "./state.ts";
import { VMX_OPERATION } from "./operation.ts";
import { vcpuScope } from "../core/vcpu_scope.ts";

/** Version of the plugin's snapshot data. */
export const VMX_STATE_VERSION = 1;

/** Snapshot data of the plugin (JSON-compatible). */
export interface VmxPluginData {
  /** In VMX operation. */
  readonly vmxon: boolean;
  /** VMXON pointer or -1. */
  readonly vmxonPtr: number;
  /** Current-VMCS pointer or -1. Launch states live in the regions (guest RAM). */
  readonly currentPtr: number;
  /** IA32_FEATURE_CONTROL. */
  readonly featureControl: number;
  /** Part 2's data. */
  readonly nested?: unknown;
}

/** Options accepted by {@link createVmxPlugin}. */
export interface VmxPluginOptions {
  /** Physical-address width (32-52). */
  readonly physBits?: string;
  /** `locked`, `unlocked` or a number. */
  readonly featureControl?: string;
}

function parseOptions(options: Readonly<Record<string, string>>): {
  physBits: number | undefined;
  featureControl: number;
} {
  let physBits: number | undefined;
  if (options.physBits !== undefined) {
    physBits = Number(options.physBits);
    if (!Number.isInteger(physBits) || physBits < 32 || physBits > 52) {
      throw new RangeError(`vmx: physBits must be an integer 32-52, got "${options.physBits}"`);
    }
  }
  let featureControl = 0;
  const fc = options.featureControl;
  if (fc === "locked") featureControl = FEATURE_CONTROL.LOCK | FEATURE_CONTROL.VMX_OUTSIDE_SMX;
  else if (fc === "unlocked" || fc === undefined) featureControl = 0;
  else {
    featureControl = Number(fc);
    if (
      !Number.isInteger(featureControl) || featureControl < 0 ||
      (featureControl & ~FEATURE_CONTROL_WRITABLE) !== 0
    ) {
      throw new RangeError(`vmx: featureControl must be locked, unlocked or 0-5, got "${fc}"`);
    }
  }
  return { physBits, featureControl };
}

/** Stands in for part 2 while its factory runs (it receives the context it belongs to). */
const FALLBACK_UNTIL_BUILT: NestedOps = {
  vmentry: () => "pass",
  nonRootInstruction: () => "pass",
  invept: () => "pass",
  invvpid: () => "pass",
};

function isPtr(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= -1 && v < 2 ** 52;
}

/**
 * Create the VMX plugin. `nested` builds part 2 (VM entry/exit; default:
 * `entry/ops.ts`); tests may pass `createFallbackNestedOps` to exercise
 * VMCS management alone.
 */
export function createVmxPlugin(
  options: Readonly<Record<string, string>> = {},
  nested: NestedOpsFactory = createNestedOps,
  features: VmxFeatures = VMX_FEATURES,
): Plugin {
  const parsed = parseOptions(options);
  // The feature set carries MAXPHYADDR (from the CPU model, see
  // vmxFeaturesFor); a `physBits` option overrides it everywhere at once.
  if (parsed.physBits !== undefined) {
    features = Object.freeze({ ...features, physBits: parsed.physBits });
  }
  /** One VMX context per vCPU (its VMXON region, current VMCS, L2 session), by vCPU index. */
  const contexts: VmxContext[] = [];

  const need = (): VmxContext[] => {
    if (contexts.length === 0) throw new Error("vmx: plugin used before setup");
    return contexts;
  };

  return {
    name: "vmx",
    version: "0.1.0",
    apiVersion: 1,

    setup(ctx: PluginContext): void {
      // Each vCPU has its own VMX state, set up in its scoped context: the
      // handlers below see only that vCPU's exits (SDM Vol. 3C 24.1: VMX
      // operation, the VMXON region and the current-VMCS pointer are per
      // logical processor).
      for (let i = 0; i < ctx.vcpus.length; i++) {
        contexts.push(setupVcpu(vcpuScope(ctx, i)));
      }
      ctx.services.provide(VMX_OPERATION, {
        inVmxOperation: (index: number) => contexts[index]?.state.vmxon === true,
      });
    },

    reset(): void {
      for (const v of contexts) {
        leaveVmxOperation(v);
        v.featureControl = parsed.featureControl;
        v.nested.reset?.();
      }
    },

    saveState(): PluginState {
      const list = need().map(saveOne);
      // One vCPU: the layout of one-vCPU snapshots is kept.
      const data = list.length === 1 ? list[0] : { vcpus: list };
      return { version: VMX_STATE_VERSION, data };
    },

    loadState(saved: PluginState): void {
      const list = need();
      if (saved.version !== VMX_STATE_VERSION) {
        throw new Error(`vmx: unsupported snapshot version ${saved.version}`);
      }
      if (list.length === 1) {
        loadOne(list[0], saved.data);
        return;
      }
      const d = saved.data as { vcpus?: unknown } | null;
      const per = d !== null && typeof d === "object" && Array.isArray(d.vcpus) ? d.vcpus : [];
      if (per.length !== list.length) {
        throw new Error(
          `vmx: the snapshot has VMX state of ${per.length} vCPUs, not ${list.length}`,
        );
      }
      list.forEach((v, i) => loadOne(v, per[i]));
    },

    dispose(): void {
      for (const v of contexts) {
        v.state.leave(v.memory);
        v.nested.dispose?.();
      }
    },
  };

  /** Build one vCPU's VMX context and register its handlers in its scoped context. */
  function setupVcpu(ctx: PluginContext): VmxContext {
    const v: VmxContext = {
      plugin: ctx,
      vcpu: ctx.vcpu,
      memory: ctx.memory,
      state: new VmxState(),
      features,
      physBits: features.physBits,
      featureControl: parsed.featureControl,
      nested: FALLBACK_UNTIL_BUILT,
    };
    v.nested = nested(v);

    ctx.exits.on("vmx", (exit) => handleVmxInstruction(v, exit));

    // "pass" with the bit set: the answer stands, and a later handler may
    // add bits of its own (the hypervisor bit of pv/kvm_pv.ts).
    ctx.exits.on("cpuid", (exit) => {
      if (exit.leaf === 1) exit.ecx = (exit.ecx | (1 << 5)) >>> 0; // CPUID.1:ECX.VMX[bit 5]
      return "pass";
    });

    ctx.exits.on("rdmsr", (exit) => {
      if (exit.msr === MSR.IA32_FEATURE_CONTROL) {
        exit.lo = v.featureControl >>> 0;
        exit.hi = 0;
        return "handled";
      }
      if (!isVmxCapabilityMsr(exit.msr)) return "pass";
      const value = vmxCapabilityMsr(exit.msr, v.features);
      if (value === null) return v.vcpu.raiseException(13, 0);
      exit.lo = value.lo;
      exit.hi = value.hi;
      return "handled";
    });

    ctx.exits.on("wrmsr", (exit) => {
      if (exit.msr === MSR.IA32_FEATURE_CONTROL) {
        // Writable until locked; reserved bits and SMX bits #GP (SDM Vol. 4 Table 2-2).
        if (
          (v.featureControl & FEATURE_CONTROL.LOCK) !== 0 || exit.hi !== 0 ||
          (exit.lo & ~FEATURE_CONTROL_WRITABLE) !== 0
        ) {
          return v.vcpu.raiseException(13, 0);
        }
        v.featureControl = exit.lo >>> 0;
        return "handled";
      }
      // The capability MSRs are read-only.
      if (isVmxCapabilityMsr(exit.msr)) return v.vcpu.raiseException(13, 0);
      return "pass";
    });

    // In VMX operation CR0 and CR4 must stay within the FIXED0/FIXED1
    // MSRs (SDM Vol. 3C 24.8): e.g. MOV CR4 clearing VMXE raises #GP(0).
    // Requires the CPU to offer level-1 MOV-to-CR0/CR4 and LMSW as "cr"
    // exits; "pass" lets the CPU apply the write.
    ctx.exits.on("cr", (exit) => {
      if (exit.level !== 1 || !v.state.vmxon || v.vcpu.nonRoot) return "pass";
      const vcpu = v.vcpu;
      let cr0 = vcpu.cr0;
      let cr4 = vcpu.cr4;
      if (exit.access === "mov-to" && exit.cr === 0) cr0 = exit.valueLo >>> 0;
      else if (exit.access === "mov-to" && exit.cr === 4) cr4 = exit.valueLo >>> 0;
      else if (exit.access === "lmsw" && exit.cr === 0) {
        // LMSW loads bits 3:0 but cannot clear PE.
        cr0 = ((cr0 & ~0xe) | (exit.valueLo & 0xf)) >>> 0;
      } else return "pass";
      if (exit.valueHi !== 0 && exit.access === "mov-to") return "pass"; // CPU's reserved-bit #GP
      if (!crAllowedInVmx(cr0, cr4, v.features)) return vcpu.raiseException(13, 0);
      return "pass";
    });
    return v;
  }

  function saveOne(v: VmxContext): VmxPluginData {
    // The snapshot takes guest RAM after plugin states: the current vmcs12's
    // cached data must be in its region by then.
    v.state.flush();
    const s = v.state.save();
    return {
      vmxon: s.vmxon,
      vmxonPtr: s.vmxonPtr,
      currentPtr: s.currentPtr,
      featureControl: v.featureControl,
      nested: v.nested.saveState?.(),
    };
  }

  function loadOne(v: VmxContext, data: unknown): void {
    const d = data as Partial<VmxPluginData> | null;
    if (
      d === null || typeof d !== "object" || typeof d.vmxon !== "boolean" ||
      !isPtr(d.vmxonPtr) || !isPtr(d.currentPtr) || typeof d.featureControl !== "number" ||
      (!d.vmxon && (d.vmxonPtr !== NO_POINTER || d.currentPtr !== NO_POINTER))
    ) {
      throw new Error("vmx: malformed snapshot data");
    }
    const state = v.state;
    // Guest memory was restored first: a cache from before is stale, not to be written back.
    state.dropCurrent(v.memory);
    state.leave(v.memory);
    state.vmxon = d.vmxon;
    state.vmxonPtr = d.vmxonPtr;
    v.featureControl = d.featureControl >>> 0;
    if (d.currentPtr !== NO_POINTER) {
      const err = state.makeCurrent(v.memory, d.currentPtr);
      if (err !== null) {
        state.leave(v.memory);
        throw new Error(
          `vmx: cannot re-pin the current VMCS at 0x${d.currentPtr.toString(16)} (${err.kind})`,
        );
      }
    }
    if (d.nested !== undefined) v.nested.loadState?.(d.nested);
  }
}
