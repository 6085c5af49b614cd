import assert from "node:assert/strict";
import { DEFAULT1, PROC, PROC2 } from "./controls.ts";
import { VMX_FEATURES } from "./features.ts";
import { crAllowedInVmx, MSR, vmxCapabilityMsr } from "./msrs.ts";
import { vmxHarness } from "./testing.ts";
import { VMCS12_REVISION_ID } from "./vmcs12/layout.ts";

const f = VMX_FEATURES;
const GP0 = { kind: "fault", vector: 13, errorCode: 0 };

Deno.test("IA32_VMX_BASIC: revision id, 4 KiB region, WB, INS/OUTS info, TRUE controls", () => {
  const v = vmxCapabilityMsr(MSR.IA32_VMX_BASIC, f)!;
  assert.equal(v.lo, VMCS12_REVISION_ID);
  assert.equal(v.lo & 0x80000000, 0);
  assert.equal(v.hi & 0x1fff, 4096, "bits 44:32 region size");
  assert.equal((v.hi >>> 16) & 1, 0, "bit 48: addresses not limited to 32 bits");
  assert.equal((v.hi >>> 17) & 1, 0, "bit 49: no dual-monitor treatment");
  assert.equal((v.hi >>> 18) & 0xf, 6, "bits 53:50 memory type WB");
  assert.equal((v.hi >>> 22) & 1, 1, "bit 54 INS/OUTS information");
  assert.equal((v.hi >>> 23) & 1, 1, "bit 55 TRUE controls");
  assert.equal(v.hi, 0x00d81000);
});

Deno.test("control MSRs: default1 bits must be 1, allowed-0 within allowed-1, TRUE relaxes only default1", () => {
  const pairs = [
    [MSR.IA32_VMX_PINBASED_CTLS, MSR.IA32_VMX_TRUE_PINBASED_CTLS, DEFAULT1.PIN],
    [MSR.IA32_VMX_PROCBASED_CTLS, MSR.IA32_VMX_TRUE_PROCBASED_CTLS, DEFAULT1.PROC],
    [MSR.IA32_VMX_EXIT_CTLS, MSR.IA32_VMX_TRUE_EXIT_CTLS, DEFAULT1.EXIT],
    [MSR.IA32_VMX_ENTRY_CTLS, MSR.IA32_VMX_TRUE_ENTRY_CTLS, DEFAULT1.ENTRY],
  ] as const;
  for (const [legacy, tru, d1] of pairs) {
    const l = vmxCapabilityMsr(legacy, f)!;
    const t = vmxCapabilityMsr(tru, f)!;
    assert.equal(l.lo, d1, `0x${legacy.toString(16)} allowed-0 = default1`);
    assert.equal((l.lo & ~l.hi) >>> 0, 0, "every must-be-1 bit may be 1");
    assert.equal(t.hi, l.hi, "TRUE allowed-1 = legacy allowed-1");
    assert.equal((t.lo & ~l.lo) >>> 0, 0, "TRUE allowed-0 is a subset of legacy");
    assert.equal(((l.lo ^ t.lo) & ~d1) >>> 0, 0, "TRUE only relaxes default1 bits");
  }
  assert.equal(vmxCapabilityMsr(MSR.IA32_VMX_TRUE_PROCBASED_CTLS, f)!.lo, 0x04006172);
  const proc = vmxCapabilityMsr(MSR.IA32_VMX_PROCBASED_CTLS, f)!;
  assert.ok((proc.hi & PROC.ACTIVATE_SECONDARY_CONTROLS) !== 0);
  assert.equal(proc.hi & PROC.USE_TPR_SHADOW, PROC.USE_TPR_SHADOW, "TPR shadow advertised");
});

Deno.test("PROCBASED_CTLS2, EPT_VPID_CAP, VMFUNC exist per the feature set", () => {
  const p2 = vmxCapabilityMsr(MSR.IA32_VMX_PROCBASED_CTLS2, f)!;
  assert.equal(p2.lo, 0);
  assert.equal(p2.hi, f.proc2);
  assert.ok((p2.hi & PROC2.ENABLE_EPT) !== 0 && (p2.hi & PROC2.ENABLE_VPID) !== 0);
  assert.equal(p2.hi & PROC2.VMCS_SHADOWING, PROC2.VMCS_SHADOWING, "VMCS shadowing");
  const ept = vmxCapabilityMsr(MSR.IA32_VMX_EPT_VPID_CAP, f)!;
  assert.equal(ept.lo & (1 << 6), 1 << 6, "4-level walks");
  assert.equal(ept.lo & (1 << 14), 1 << 14, "WB");
  assert.equal(ept.hi & 1, 1, "INVVPID");
  assert.deepEqual(vmxCapabilityMsr(MSR.IA32_VMX_VMFUNC, f), { lo: 1, hi: 0 }, "EPTP switching");
  const noVmfunc = { ...f, proc2: f.proc2 & ~PROC2.ENABLE_VM_FUNCTIONS };
  assert.equal(vmxCapabilityMsr(MSR.IA32_VMX_VMFUNC, noVmfunc), null, "no VM functions: #GP");
  const noSecondary = { ...f, proc: f.proc & ~PROC.ACTIVATE_SECONDARY_CONTROLS };
  assert.equal(vmxCapabilityMsr(MSR.IA32_VMX_PROCBASED_CTLS2, noSecondary), null);
  assert.equal(vmxCapabilityMsr(MSR.IA32_VMX_EPT_VPID_CAP, { ...f, proc2: 0 }), null);
  assert.deepEqual(
    vmxCapabilityMsr(MSR.IA32_VMX_VMFUNC, { ...f, proc2: PROC2.ENABLE_VM_FUNCTIONS, vmfunc: 1 }),
    { lo: 1, hi: 0 },
  );
});

Deno.test("MISC, fixed CR MSRs and VMCS_ENUM", () => {
  const misc = vmxCapabilityMsr(MSR.IA32_VMX_MISC, f)!;
  assert.equal(misc.lo & 0x1f, 5, "preemption timer rate");
  assert.equal(misc.lo & (1 << 5), 1 << 5, "EFER.LMA stored on exit");
  assert.equal((misc.lo >>> 6) & 7, 5, "activity states HLT and wait-for-SIPI (no shutdown)");
  assert.equal((misc.lo >>> 16) & 0x1ff, 4, "4 CR3 targets");
  assert.equal((misc.lo >>> 25) & 7, 0, "512 MSRs per list");
  assert.equal(misc.lo & (1 << 29), 1 << 29, "VMWRITE to read-only fields supported");
  assert.equal(misc.hi, 0);
  assert.deepEqual(vmxCapabilityMsr(MSR.IA32_VMX_CR0_FIXED0, f), { lo: 0x80000021, hi: 0 });
  assert.deepEqual(vmxCapabilityMsr(MSR.IA32_VMX_CR0_FIXED1, f), { lo: 0xffffffff, hi: 0 });
  assert.deepEqual(vmxCapabilityMsr(MSR.IA32_VMX_CR4_FIXED0, f), { lo: 0x2000, hi: 0 });
  const cr4f1 = vmxCapabilityMsr(MSR.IA32_VMX_CR4_FIXED1, f)!;
  assert.deepEqual(cr4f1, { lo: 0x3321fc, hi: 0 });
  assert.deepEqual(vmxCapabilityMsr(MSR.IA32_VMX_VMCS_ENUM, f), { lo: 0x19 << 1, hi: 0 });
  assert.equal(vmxCapabilityMsr(0x492, f), null);
});

Deno.test("crAllowedInVmx applies FIXED0 and FIXED1", () => {
  assert.equal(crAllowedInVmx(0x80000031, 0x2020, f), true);
  assert.equal(crAllowedInVmx(0x80000011, 0x2020, f), false, "NE clear");
  assert.equal(crAllowedInVmx(0x80000031, 0x0020, f), false, "VMXE clear");
  assert.equal(crAllowedInVmx(0x80000031, 0x6020, f), false, "SMXE not in FIXED1");
});

Deno.test("RDMSR/WRMSR through the plugin: read-only VMX MSRs, IA32_FEATURE_CONTROL locking", () => {
  const h = vmxHarness({ featureControl: "unlocked" });
  assert.deepEqual(h.rdmsr(MSR.IA32_VMX_BASIC), vmxCapabilityMsr(MSR.IA32_VMX_BASIC, f));
  assert.deepEqual(h.rdmsr(MSR.IA32_VMX_VMFUNC), { lo: 1, hi: 0 });
  assert.deepEqual(h.wrmsr(MSR.IA32_VMX_VMFUNC, 0), GP0, "read-only");
  assert.deepEqual(h.wrmsr(MSR.IA32_VMX_BASIC, 0), GP0);
  assert.deepEqual(h.wrmsr(MSR.IA32_VMX_CR0_FIXED0, 0), GP0);
  assert.deepEqual(h.rdmsr(0x10), { kind: "pass" }, "other MSRs are not ours");
  assert.deepEqual(h.rdmsr(MSR.IA32_FEATURE_CONTROL), { lo: 0, hi: 0 });
  assert.deepEqual(h.wrmsr(MSR.IA32_FEATURE_CONTROL, 2), GP0, "no SMX");
  assert.deepEqual(h.wrmsr(MSR.IA32_FEATURE_CONTROL, 1 << 20), GP0, "reserved bit");
  assert.deepEqual(h.wrmsr(MSR.IA32_FEATURE_CONTROL, 0, 1), GP0, "reserved high bit");
  assert.deepEqual(h.wrmsr(MSR.IA32_FEATURE_CONTROL, 4), {
    kind: "succeed",
    disposition: "handled",
  });
  assert.deepEqual(h.rdmsr(MSR.IA32_FEATURE_CONTROL), { lo: 4, hi: 0 });
  assert.deepEqual(h.wrmsr(MSR.IA32_FEATURE_CONTROL, 5), {
    kind: "succeed",
    disposition: "handled",
  });
  assert.deepEqual(h.wrmsr(MSR.IA32_FEATURE_CONTROL, 5), GP0, "locked");
  assert.deepEqual(h.wrmsr(MSR.IA32_FEATURE_CONTROL, 0), GP0, "locked");
  assert.deepEqual(h.rdmsr(MSR.IA32_FEATURE_CONTROL), { lo: 5, hi: 0 });
});
