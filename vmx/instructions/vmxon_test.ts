import assert from "node:assert/strict";
import { assertNoPins } from "../../mm/testing.ts";
import { memOperand, vmxHarness } from "../testing.ts";
import { VMCS12_REVISION_ID } from "../vmcs12/layout.ts";

const UD = { kind: "fault", vector: 6, errorCode: -1 };
const GP0 = { kind: "fault", vector: 13, errorCode: 0 };
const OK = { kind: "succeed", disposition: "handled" };

Deno.test("VMXON succeeds with a valid region and enters VMX operation", () => {
  const h = vmxHarness();
  assert.deepEqual(h.vmxon(0x10000), OK);
  const s = h.plugin.saveState!().data as { vmxon: boolean; vmxonPtr: number; currentPtr: number };
  assert.equal(s.vmxon, true);
  assert.equal(s.vmxonPtr, 0x10000);
  assert.equal(s.currentPtr, -1);
  assertNoPins(h.memory.phys);
});

Deno.test("VMXON #UD: CR4.VMXE=0, register operand, real, v86 and compatibility mode", () => {
  let h = vmxHarness();
  h.vcpu.cr4 &= ~0x2000;
  assert.deepEqual(h.vmxon(), UD);
  h = vmxHarness();
  h.prepareRegion(0x10000);
  assert.deepEqual(h.exec("vmxon", { rmReg: 0 }), UD);
  for (const mode of ["real", "v86", "compat16", "compat32"] as const) {
    h = vmxHarness();
    h.vcpu.mode = mode;
    if (mode === "real") h.vcpu.cr0 = 0x10;
    assert.deepEqual(h.vmxon(), UD, mode);
  }
  // RFLAGS.VM alone (whatever the reported mode) also means #UD.
  h = vmxHarness();
  h.vcpu.rflags |= 0x20000;
  h.vcpu.mode = "protected32";
  assert.deepEqual(h.vmxon(), UD);
});

Deno.test("VMXON works in 32-bit protected mode", () => {
  const h = vmxHarness();
  h.vcpu.mode = "protected32";
  h.vcpu.efer = 0;
  assert.deepEqual(h.vmxon(), OK);
});

Deno.test("VMXON #GP(0): CPL>0, CR0/CR4 fixed bits, IA32_FEATURE_CONTROL", () => {
  let h = vmxHarness();
  h.vcpu.cpl = 3;
  assert.deepEqual(h.vmxon(), GP0);
  h = vmxHarness();
  h.vcpu.cr0 &= ~0x20; // NE is fixed to 1
  assert.deepEqual(h.vmxon(), GP0);
  h = vmxHarness();
  h.vcpu.cr0 &= ~0x80000000; // PG is fixed to 1
  assert.deepEqual(h.vmxon(), GP0);
  h = vmxHarness();
  h.vcpu.cr4 |= 1 << 14; // SMXE is not allowed (FIXED1)
  assert.deepEqual(h.vmxon(), GP0);
  // Feature control: unlocked, locked without VMX, enabled but unlocked.
  h = vmxHarness({ featureControl: "unlocked" });
  assert.deepEqual(h.vmxon(), GP0);
  h = vmxHarness({ featureControl: "1" });
  assert.deepEqual(h.vmxon(), GP0);
  h = vmxHarness({ featureControl: "4" });
  assert.deepEqual(h.vmxon(), GP0);
  // Unlocked, then the guest locks it with VMX enabled: VMXON works.
  h = vmxHarness({ featureControl: "unlocked" });
  assert.deepEqual(h.wrmsr(0x3a, 5), OK);
  assert.deepEqual(h.vmxon(), OK);
});

Deno.test("VMXON VMfailInvalid: unaligned, beyond physical width, wrong revision", () => {
  let h = vmxHarness();
  h.prepareRegion(0x10000);
  h.poke64(0x800, 0x10008);
  assert.deepEqual(h.exec("vmxon", { mem: memOperand(0x800) }), { kind: "failInvalid" });
  h = vmxHarness({ featureControl: "locked", physBits: "36" });
  h.poke64(0x800, 2 ** 36);
  assert.deepEqual(h.exec("vmxon", { mem: memOperand(0x800) }), { kind: "failInvalid" });
  h = vmxHarness();
  h.poke64(0x800, 2 ** 40); // default width is 40 bits
  assert.deepEqual(h.exec("vmxon", { mem: memOperand(0x800) }), { kind: "failInvalid" });
  h = vmxHarness();
  h.prepareRegion(0x10000, VMCS12_REVISION_ID + 1);
  h.poke64(0x800, 0x10000);
  assert.deepEqual(h.exec("vmxon", { mem: memOperand(0x800) }), { kind: "failInvalid" });
  h = vmxHarness();
  h.prepareRegion(0x10000, (VMCS12_REVISION_ID | 0x80000000) >>> 0); // bit 31 must be 0
  h.poke64(0x800, 0x10000);
  assert.deepEqual(h.exec("vmxon", { mem: memOperand(0x800) }), { kind: "failInvalid" });
  h = vmxHarness();
  h.poke64(0x800, 0x8000_0000); // outside RAM reads all ones
  assert.deepEqual(h.exec("vmxon", { mem: memOperand(0x800) }), { kind: "failInvalid" });
  const s = h.plugin.saveState!().data as { vmxon: boolean };
  assert.equal(s.vmxon, false);
});

Deno.test("VMXON in VMX root: VMfailInvalid without, VMfailValid(15) with a current VMCS", () => {
  const h = vmxHarness();
  assert.deepEqual(h.vmxon(), OK);
  assert.deepEqual(h.vmxon(0x11000), { kind: "failInvalid" });
  h.prepareRegion(0x12000);
  h.poke64(0x808, 0x12000);
  assert.deepEqual(h.exec("vmptrld", { mem: memOperand(0x808) }), OK);
  assert.deepEqual(h.vmxon(0x11000), { kind: "failValid", error: 15 });
  h.vcpu.cpl = 3;
  assert.deepEqual(h.vmxon(0x11000), GP0, "CPL>0 in VMX root is #GP before VMfail");
});

Deno.test("VMXON operand faults: #PF through paging, #GP for non-canonical", () => {
  let h = vmxHarness();
  h.prepareRegion(0x10000);
  h.vcpu.faultPages.add(0x800 >> 12);
  assert.deepEqual(h.exec("vmxon", { mem: memOperand(0x800) }), {
    kind: "fault",
    vector: 14,
    errorCode: 0,
  });
  h = vmxHarness();
  assert.deepEqual(h.exec("vmxon", { mem: memOperand(2 ** 47) }), GP0);
  h = vmxHarness();
  assert.deepEqual(h.exec("vmxon", { mem: memOperand(2 ** 47 - 4, 2) }), {
    kind: "fault",
    vector: 12,
    errorCode: 0,
  });
});

Deno.test("VMXOFF leaves VMX operation, releases the current VMCS; #UD outside", () => {
  const h = vmxHarness();
  assert.deepEqual(h.exec("vmxoff"), UD);
  assert.deepEqual(h.vmxon(), OK);
  h.prepareRegion(0x12000);
  h.poke64(0x808, 0x12000);
  assert.deepEqual(h.exec("vmptrld", { mem: memOperand(0x808) }), OK);
  assert.equal(h.memory.pinned, 1);
  h.vcpu.cpl = 1;
  assert.deepEqual(h.exec("vmxoff"), GP0);
  h.vcpu.cpl = 0;
  assert.deepEqual(h.exec("vmxoff"), OK);
  assertNoPins(h.memory.phys);
  assert.deepEqual(h.memory.dirtyReleases, [0x12000]);
  assert.deepEqual(h.exec("vmxoff"), UD);
  assert.deepEqual(h.exec("vmptrst", { mem: memOperand(0x900) }), UD);
  // VMX operation can be entered again.
  assert.deepEqual(h.vmxon(), OK);
});
