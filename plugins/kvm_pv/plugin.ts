/**
 * `kvm-pv`: gives L1 the paravirtual interface of a KVM host, so software
 * written for one (kvm-unit-tests, Linux's KVM guest support) finds it.
 * Off by default; `--kvm-pv` (or `createMachine({ kvmPv: true })`) loads it.
 *
 * What L1 sees (Linux's Documentation/virt/kvm/x86/cpuid.rst and
 * hypercalls.rst are the ABI):
 * - CPUID.1:ECX[31], the hypervisor bit; leaf 0x40000000 with EAX =
 *   0x40000001 (the highest KVM leaf) and "KVMKVMKVM\0\0\0" in EBX:ECX:EDX;
 *   leaf 0x40000001 with EAX = only the features implemented here
 *   (KVM_FEATURE_CLOCKSOURCE2, KVM_FEATURE_PV_SEND_IPI,
 *   KVM_FEATURE_CLOCKSOURCE_STABLE_BIT) and EBX = ECX = EDX = 0 (no
 *   hints). Linux reads these: with the signature it knows it runs on KVM;
 *   it takes kvmclock as its clock source; and with PV_SEND_IPI and more
 *   than one possible CPU it sends IPIs to several CPUs with one
 *   KVM_HC_SEND_IPI instead of one ICR write each. It uses no other KVM
 *   feature (steal time, PV EOI, the old kvmclock MSRs...), as none is
 *   advertised.
 * - kvmclock (`kvmclock.ts`): RDMSR/WRMSR of MSR_KVM_WALL_CLOCK_NEW and
 *   MSR_KVM_SYSTEM_TIME_NEW from L1; the clock is virtual time, the wall
 *   clock the RTC's epoch.
 * - Hypercalls (`hypercall.ts`), by either instruction, from L1 only:
 *   - VMCALL outside VMX operation, where a processor raises #UD (SDM Vol.
 *     2, VMCALL), is a hypercall. VMCALL in VMX root operation keeps its
 *     SDM meaning (VMfail, or #GP(0) at CPL > 0) and VMCALL in VMX non-root
 *     operation (L2) is still a VM exit to L1: the VMX plugin handles both,
 *     this plugin asks it which applies (`vmx/operation.ts`).
 *   - VMMCALL (AMD's instruction, #UD on any processor when no hypervisor
 *     takes it) is a hypercall in L1 whatever the CPU vendor, in VMX
 *     operation or not, as KVM accepts either instruction from its guests
 *     (hypercalls.rst: the hypervisor may replace one by the other; nestvm
 *     does not patch guest code, it executes both). In L2 it stays #UD.
 *   kvm-unit-tests agrees: `hypercall` wants VMCALL to work on an Intel
 *   vendor and accepts a #UD or a hypercall from VMMCALL, `vmexit_vmcall`
 *   and the apic tests' `test_pv_ipi` use the vendor's instruction.
 * - A hypercall costs {@link HYPERCALL_NS} of virtual time (a VM exit to
 *   the hypervisor and the VM entry back) and retires the instruction.
 *
 * IPIs go through the local APICs' own delivery (the `LOCAL_APIC`
 * service), to each vCPU by its physical APIC ID in xAPIC or x2APIC mode.
 *
 * @module
 */

import type { Plugin, PluginContext, PluginState } from "../../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../../core/plugin.ts";
import type { CpuidExit, ExitDisposition } from "../../core/vmexit.ts";
import { LOCAL_APIC } from "../../devices/interrupts.ts";
import { VMX_OPERATION } from "../../vmx/operation.ts";
import {
  CPUID1_ECX_HYPERVISOR,
  KVM_CPUID_FEATURES,
  KVM_CPUID_SIGNATURE,
  KVM_FEATURE_CLOCKSOURCE2,
  KVM_FEATURE_CLOCKSOURCE_STABLE_BIT,
  KVM_FEATURE_PV_SEND_IPI,
  KVM_SIGNATURE_EBX,
  KVM_SIGNATURE_ECX,
  KVM_SIGNATURE_EDX,
  MSR_KVM_SYSTEM_TIME_NEW,
  MSR_KVM_WALL_CLOCK_NEW,
} from "./abi.ts";
import { KvmClock, type KvmClockHost } from "./kvmclock.ts";
import { DEFAULT_RTC_EPOCH } from "../../devices/rtc.ts";
import { WALL_CLOCK } from "../../devices/time.ts";
import { runHypercall } from "./hypercall.ts";
import type { IpiTarget } from "./send_ipi.ts";

/**
 * Virtual ns a hypercall takes: a VM exit to the hypervisor and the VM
 * entry back, 250 ns each (the figure nestvm's VMX charges for an exit,
 * `VM_EXIT_NS`), at the 1 GHz virtual TSC 500 cycles, the order of a KVM
 * hypercall round trip on recent processors.
 */
export const HYPERCALL_NS = 500;

/** The plugin's name (one per machine). */
export const KVM_PV_NAME = "kvm-pv";

/** No APIC to send to (a machine without the LAPIC plugin): nothing is delivered. */
const NO_APIC: IpiTarget = { deliverToId: () => false };

/** Create the kvm-pv plugin. */
export function createKvmPv(): Plugin {
  const call = (c: PluginContext): ExitDisposition => {
    const vcpu = c.vcpus[c.currentVcpu()];
    runHypercall(
      { gpr: vcpu.gpr, cpl: vcpu.cpl, longMode: vcpu.mode === "long64" },
      c.services.find(LOCAL_APIC) ?? NO_APIC,
    );
    vcpu.stall(HYPERCALL_NS);
    return "handled";
  };

  const cpuid = (exit: CpuidExit): ExitDisposition => {
    if (exit.level !== 1) return "pass";
    switch (exit.leaf) {
      case 1:
        exit.ecx = (exit.ecx | (1 << CPUID1_ECX_HYPERVISOR)) >>> 0;
        return "pass"; // other plugins may add their bits (the VMX plugin's)
      case KVM_CPUID_SIGNATURE:
        exit.eax = KVM_CPUID_FEATURES;
        exit.ebx = KVM_SIGNATURE_EBX;
        exit.ecx = KVM_SIGNATURE_ECX;
        exit.edx = KVM_SIGNATURE_EDX;
        return "handled";
      case KVM_CPUID_FEATURES:
        exit.eax = ((1 << KVM_FEATURE_CLOCKSOURCE2) | (1 << KVM_FEATURE_PV_SEND_IPI) |
          (1 << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT)) >>> 0;
        exit.ebx = 0;
        exit.ecx = 0;
        exit.edx = 0;
        return "handled";
      default:
        return "pass";
    }
  };

  let clock = new KvmClock(0);
  const isClockMsr = (msr: number): boolean =>
    msr === MSR_KVM_WALL_CLOCK_NEW || msr === MSR_KVM_SYSTEM_TIME_NEW;

  return {
    name: KVM_PV_NAME,
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      clock = new KvmClock(c.vcpus.length);
      const h: KvmClockHost = {
        memory: c.memory,
        now: () => c.clock.now,
        readTsc: (index) => c.vcpus[index].readTsc(),
        epochSeconds: () => c.services.find(WALL_CLOCK)?.epochSeconds ?? DEFAULT_RTC_EPOCH,
      };
      c.exits.on("cpuid", cpuid);
      c.exits.on("rdmsr", (exit) => {
        if (exit.level !== 1 || !isClockMsr(exit.msr)) return "pass";
        const v = exit.msr === MSR_KVM_WALL_CLOCK_NEW
          ? clock.wallClock
          : clock.systemTime[c.currentVcpu()];
        exit.lo = Number(v & 0xffffffffn);
        exit.hi = Number(v >> 32n);
        return "handled";
      });
      c.exits.on("wrmsr", (exit) => {
        if (exit.level !== 1 || !isClockMsr(exit.msr)) return "pass";
        const v = (BigInt(exit.hi >>> 0) << 32n) | BigInt(exit.lo >>> 0);
        if (exit.msr === MSR_KVM_WALL_CLOCK_NEW) clock.writeWallClock(h, v);
        else clock.writeSystemTime(h, c.currentVcpu(), v);
        return "handled";
      });
      c.exits.on("vmx", (exit) => {
        if (exit.level !== 1 || exit.instruction !== "vmcall") return "pass";
        // In VMX operation VMCALL is the VMX plugin's (VMfail in root operation).
        if (c.services.find(VMX_OPERATION)?.inVmxOperation(c.currentVcpu()) === true) return "pass";
        return call(c);
      });
      c.exits.on("vmmcall", (exit) => exit.level === 1 ? call(c) : "pass");
    },
    reset(): void {
      clock.reset();
    },
    // The kvmclock MSRs (the structures live in guest RAM). Version 1 had
    // no state: its snapshots restore with every MSR 0.
    saveState: (): PluginState => ({ version: 2, data: clock.save() }),
    loadState(s: PluginState): void {
      if (s.version !== 1 && s.version !== 2) {
        throw new Error(`kvm-pv: unknown state version ${s.version}`);
      }
      if (s.version === 1) clock.reset();
      else clock.load(s.data);
    },
    dispose(): void {},
  };
}
