import assert from "node:assert/strict";
import { VMX_CAPABILITY_NAMES, type VmxCapabilityWord } from "../core/vmx_capability_names.ts";
import { VMX_FEATURES, type VmxFeatures, vmxFeaturesFor, withoutCapabilities } from "./features.ts";
import { EXIT, MISC, PIN, PROC, PROC2 } from "./controls.ts";
import { memOperand, vmxHarness } from "./testing.ts";
import { runMini } from "./entry/testing_cpu.ts";
import { CAPS } from "./entry/check_controls.ts";

/** The value of capability word `w` in `f`. */
function wordOf(f: VmxFeatures, w: VmxCapabilityWord): number {
  switch (w) {
    case "trueProc":
      return f.trueAllowed0.proc;
    case "trueExit":
      return f.trueAllowed0.exit;
    case "trueEntry":
      return f.trueAllowed0.entry;
    case "ept":
      return f.eptVpidCapLo;
    case "vpid":
      return f.eptVpidCapHi;
    case "misc":
      return f.activityStates | (f.vmwriteAnyField ? MISC.VMWRITE_ANY_FIELD : 0);
    default:
      return f[w];
  }
}

Deno.test("vmx capability names: every name is a capability nestvm has, and -NAME takes exactly its bit away", () => {
  // With a PMU (the "load IA32_PERF_GLOBAL_CTRL" controls exist only then).
  const all = vmxFeaturesFor({ physBits: 40, page1G: true, perfGlobalCtrlBits: [0xf, 0] });
  for (const [name, c] of Object.entries(VMX_CAPABILITY_NAMES)) {
    assert.equal((wordOf(all, c.word) & c.bits) >>> 0, c.bits, `${name}: nestvm has it`);
    const f = withoutCapabilities(all, new Set([name]));
    assert.equal(wordOf(f, c.word) & c.bits, 0, `${name}: off`);
    // Other bits of that word stay unless a dependency takes them (checked below).
    const rest = wordOf(f, c.word) ^ (wordOf(all, c.word) & ~c.bits);
    const dependent = [
      "vmx-ept",
      "vmx-secondary-ctls",
      "vmx-flexpriority",
      "vmx-apicv-vid",
      "vmx-exit-ack-intr",
      "vmx-nmi-exit",
      "vmx-vnmi",
      "vmx-vpid",
      "vmx-vmfunc",
    ];
    if (!dependent.includes(name)) assert.equal(rest, 0, `${name}: only its bit`);
  }
  assert.deepEqual(withoutCapabilities(VMX_FEATURES, new Set(["vmx-frobnicate"])), VMX_FEATURES);
});

Deno.test("vmx capability names: what VM entry's checks need goes with what it needs (SDM Vol. 3C 27.2.1.1)", () => {
  const off = (...names: string[]) => withoutCapabilities(VMX_FEATURES, new Set(names));
  const noEpt = off("vmx-ept");
  assert.equal(
    noEpt.proc2 & (PROC2.UNRESTRICTED_GUEST | PROC2.MODE_BASED_EPT_EXECUTE | PROC2.ENABLE_PML),
    0,
  );
  assert.equal(noEpt.eptVpidCapLo, 0);
  assert.equal(noEpt.vmfunc, 0, "no EPTP switching");
  assert.equal(noEpt.proc2 & PROC2.ENABLE_VPID, PROC2.ENABLE_VPID, "VPIDs stay");
  assert.equal(noEpt.eptVpidCapHi, VMX_FEATURES.eptVpidCapHi);
  assert.equal(off("vmx-secondary-ctls").proc2, 0);
  assert.equal(off("vmx-vpid").eptVpidCapHi, 0);
  assert.equal(off("vmx-vmfunc").vmfunc, 0);
  const noTpr = off("vmx-flexpriority").proc2;
  assert.equal(
    noTpr &
      (PROC2.VIRTUALIZE_X2APIC_MODE | PROC2.APIC_REGISTER_VIRTUALIZATION |
        PROC2.VIRTUAL_INTERRUPT_DELIVERY),
    0,
  );
  assert.equal(
    noTpr & PROC2.VIRTUALIZE_APIC_ACCESSES,
    PROC2.VIRTUALIZE_APIC_ACCESSES,
    "needs no TPR shadow",
  );
  assert.equal(off("vmx-apicv-vid").pin & PIN.POSTED_INTERRUPTS, 0);
  assert.equal(off("vmx-exit-ack-intr").pin & PIN.POSTED_INTERRUPTS, 0);
  assert.equal(off("vmx-exit-ack-intr").exit & EXIT.ACKNOWLEDGE_INTERRUPT_ON_EXIT, 0);
  assert.equal(off("vmx-nmi-exit").pin & PIN.VIRTUAL_NMIS, 0);
  assert.equal(off("vmx-nmi-exit").proc & PROC.NMI_WINDOW_EXITING, 0);
  assert.equal(off("vmx-vnmi").proc & PROC.NMI_WINDOW_EXITING, 0);
  assert.equal(off("vmx-vnmi").pin & PIN.NMI_EXITING, PIN.NMI_EXITING);
});

Deno.test("vmx capability names: a capability switched off is refused, not only hidden (INVEPT, INVVPID #UD)", () => {
  const UD = { kind: "fault", vector: 6, errorCode: -1 };
  const run = (off: string[]) => {
    const f = vmxFeaturesFor({ physBits: 40, page1G: true, vmxOff: new Set(off) });
    const h = vmxHarness({ featureControl: "locked" }, undefined, undefined, f);
    assert.equal(h.vmxon().kind, "succeed");
    return [
      h.exec("invept", { regReg: 0, mem: memOperand(0x900) }),
      h.exec("invvpid", { regReg: 0, mem: memOperand(0x900) }),
    ];
  };
  const [ept, vpid] = run([]);
  assert.notDeepEqual(ept, UD);
  assert.notDeepEqual(vpid, UD);
  assert.deepEqual(run(["vmx-ept"])[0], UD);
  assert.notDeepEqual(run(["vmx-ept"])[1], UD);
  assert.deepEqual(run(["vmx-vpid"])[1], UD);
  assert.deepEqual(run(["vmx-invept"])[0], UD);
});

Deno.test("vmx capability names: VM entry refuses a control switched off (VMfail 7), and runs it when on", () => {
  // mov eax,0; cpuid; vmcall
  const l2 = "b8000000000fa20f01c1";
  const fields = {
    CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS,
    SECONDARY_VM_EXEC_CONTROL: PROC2.WBINVD_EXITING,
  };
  const on = runMini({ l2, fields });
  assert.equal(on.status, 1, "launched");
  on.m.dispose();
  const features = vmxFeaturesFor({
    physBits: 40,
    page1G: true,
    vmxOff: new Set(["vmx-wbinvd-exit"]),
  });
  const off = runMini({ l2, fields, features });
  assert.deepEqual([off.status, off.error], [3, 7], "VMLAUNCH VMfail: invalid control field");
  off.m.dispose();
});
