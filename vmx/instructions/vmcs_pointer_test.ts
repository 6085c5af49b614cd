import assert from "node:assert/strict";
import { assertNoPins } from "../../mm/testing.ts";
import { memOperand, type VmxHarness, vmxHarness } from "../testing.ts";
import { F } from "../vmcs12/fields.ts";
import { fieldOffset, OFF_LAUNCH_STATE, VMCS12_REVISION_ID } from "../vmcs12/layout.ts";
import { VMX_FEATURES } from "../features.ts";
import { PROC2 } from "../controls.ts";

const OK = { kind: "succeed", disposition: "handled" };
const GP0 = { kind: "fault", vector: 13, errorCode: 0 };
const UD = { kind: "fault", vector: 6, errorCode: -1 };

const VMXON = 0x10000;
const A = 0x20000;
const B = 0x21000;
const OP = 0x800;

function ready(): VmxHarness {
  const h = vmxHarness();
  assert.deepEqual(h.vmxon(VMXON), OK);
  h.prepareRegion(A);
  h.prepareRegion(B);
  return h;
}

function ptrOp(h: VmxHarness, instr: "vmclear" | "vmptrld", gpa: number) {
  h.poke64(OP, gpa);
  return h.exec(instr, { mem: memOperand(OP) });
}

function currentPtr(h: VmxHarness): number {
  return (h.plugin.saveState!().data as { currentPtr: number }).currentPtr;
}

function vmptrst(h: VmxHarness): number {
  h.poke64(0x900, 0);
  assert.deepEqual(h.exec("vmptrst", { mem: memOperand(0x900) }), OK);
  return h.memory.read(0x900, 4) + h.memory.read(0x904, 4) * 2 ** 32;
}

Deno.test("VMPTRLD makes a VMCS current (pinned); VMPTRST stores it or all ones", () => {
  const h = ready();
  vmptrst(h);
  assert.equal(h.memory.read(0x900, 4), 0xffffffff);
  assert.equal(h.memory.read(0x904, 4), 0xffffffff);
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  assert.equal(currentPtr(h), A);
  assert.equal(vmptrst(h), A);
  assert.equal(h.memory.pinned, 1);
  // Loading it again keeps one pin.
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  assert.equal(h.memory.pinned, 1);
});

Deno.test("VMPTRLD errors 9 (invalid address), 10 (VMXON pointer), 11 (revision)", () => {
  const h = ready();
  // Without a current VMCS these are VMfailInvalid.
  assert.deepEqual(ptrOp(h, "vmptrld", A + 4), { kind: "failInvalid" });
  assert.deepEqual(ptrOp(h, "vmptrld", VMXON), { kind: "failInvalid" });
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  assert.deepEqual(ptrOp(h, "vmptrld", B + 0x800), { kind: "failValid", error: 9 });
  assert.deepEqual(ptrOp(h, "vmptrld", 2 ** 40), { kind: "failValid", error: 9 });
  assert.deepEqual(ptrOp(h, "vmptrld", VMXON), { kind: "failValid", error: 10 });
  h.prepareRegion(B, VMCS12_REVISION_ID ^ 1);
  assert.deepEqual(ptrOp(h, "vmptrld", B), { kind: "failValid", error: 11 });
  assert.deepEqual(ptrOp(h, "vmptrld", 0xfee00000), { kind: "failValid", error: 11 }, "not RAM");
  assert.equal(currentPtr(h), A, "a failed VMPTRLD leaves the current VMCS");
  assert.deepEqual(h.memory.phys.pins().map((p) => p.gpa), [A], "failed VMPTRLDs leave no pin");
  // Reloading the current VMCS after its revision was overwritten fails too.
  h.prepareRegion(A, 0);
  assert.deepEqual(ptrOp(h, "vmptrld", A), { kind: "failValid", error: 11 });
});

Deno.test("VMPTRLD of another VMCS releases the previous pin", () => {
  const h = ready();
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  assert.deepEqual(ptrOp(h, "vmptrld", B), OK);
  assert.deepEqual(h.memory.phys.pins().map((p) => [p.gpa, p.holder]), [[B, "vmx"]]);
  assert.deepEqual(h.memory.dirtyReleases, [A]);
  assert.equal(currentPtr(h), B);
});

Deno.test("VMCLEAR errors 2 (invalid address) and 3 (VMXON pointer)", () => {
  const h = ready();
  assert.deepEqual(ptrOp(h, "vmclear", A + 1), { kind: "failInvalid" });
  assert.deepEqual(ptrOp(h, "vmclear", VMXON), { kind: "failInvalid" });
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  assert.deepEqual(ptrOp(h, "vmclear", A + 0x10), { kind: "failValid", error: 2 });
  assert.deepEqual(ptrOp(h, "vmclear", 2 ** 45), { kind: "failValid", error: 2 });
  assert.deepEqual(ptrOp(h, "vmclear", VMXON), { kind: "failValid", error: 3 });
});

Deno.test("VMCLEAR of the current VMCS: launch state clear, pointer all ones, pin released", () => {
  const h = ready();
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  h.memory.write(A + OFF_LAUNCH_STATE, 4, 1); // as if VMLAUNCH had succeeded
  assert.deepEqual(ptrOp(h, "vmclear", A), OK);
  assert.equal(h.memory.read(A + OFF_LAUNCH_STATE, 4), 0);
  assert.equal(currentPtr(h), -1);
  assertNoPins(h.memory.phys);
  // VMREAD now has no current VMCS: VMfailInvalid.
  h.vcpu.setReg(1, F.GUEST_RIP);
  assert.deepEqual(h.exec("vmread", { regReg: 1, rmReg: 0 }), { kind: "failInvalid" });
});

Deno.test("VMCLEAR of a non-current VMCS clears its launch state and keeps the current one", () => {
  const h = ready();
  h.memory.write(B + OFF_LAUNCH_STATE, 4, 1);
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  assert.deepEqual(ptrOp(h, "vmclear", B), OK);
  assert.equal(h.memory.read(B + OFF_LAUNCH_STATE, 4), 0);
  assert.equal(currentPtr(h), A);
  assert.equal(h.memory.pinned, 1);
  // VMCLEAR of an address outside RAM succeeds (nothing to clear there).
  assert.deepEqual(ptrOp(h, "vmclear", 0x8000_0000), OK);
});

Deno.test("VMCLEAR/VMPTRLD/VMPTRST: #UD outside VMX operation and for register operands, #GP at CPL>0", () => {
  const h = vmxHarness();
  assert.deepEqual(ptrOp(h, "vmclear", A), UD);
  assert.deepEqual(ptrOp(h, "vmptrld", A), UD);
  assert.deepEqual(h.exec("vmptrst", { mem: memOperand(0x900) }), UD);
  assert.deepEqual(h.vmxon(VMXON), OK);
  assert.deepEqual(h.exec("vmptrld", { rmReg: 3 }), UD);
  assert.deepEqual(h.exec("vmclear", { rmReg: 3 }), UD);
  assert.deepEqual(h.exec("vmptrst", { rmReg: 3 }), UD);
  h.vcpu.nonRoot = true; // the invalid register form is #UD even in non-root operation
  assert.deepEqual(h.exec("vmptrld", { rmReg: 3 }), UD);
  h.vcpu.nonRoot = false;
  h.vcpu.cpl = 3;
  h.prepareRegion(A);
  assert.deepEqual(ptrOp(h, "vmptrld", A), GP0);
  assert.deepEqual(ptrOp(h, "vmclear", A), GP0);
  assert.deepEqual(h.exec("vmptrst", { mem: memOperand(0x900) }), GP0);
  h.vcpu.cpl = 0;
  h.vcpu.mode = "compat32";
  assert.deepEqual(ptrOp(h, "vmptrld", A), UD);
});

Deno.test("VMPTRST writes through paging with write checks", () => {
  const h = ready();
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  h.vcpu.faultPages.add(0x3);
  assert.deepEqual(h.exec("vmptrst", { mem: memOperand(0x3ffc) }), {
    kind: "fault",
    vector: 14,
    errorCode: 0,
  });
  // 32-bit protected mode: a read-only data segment cannot be written.
  h.vcpu.mode = "protected32";
  h.vcpu.seg[0].attrs = 0xc091; // ES: read-only data
  assert.deepEqual(h.exec("vmptrst", { mem: memOperand(0x900, 0) }), GP0);
  h.vcpu.seg[2].limit = 0x8ff; // SS limit below the operand
  assert.deepEqual(h.exec("vmptrst", { mem: memOperand(0x900, 2) }), {
    kind: "fault",
    vector: 12,
    errorCode: 0,
  });
  assert.deepEqual(h.exec("vmptrst", { mem: memOperand(0x900, 3) }), OK);
  assert.equal(h.memory.read(0x900, 4), A);
});

Deno.test("the current VMCS is cached: VMCLEAR writes VMWRITE data back to the region", () => {
  const h = ready();
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  h.vcpu.setReg(1, F.GUEST_RSP);
  h.vcpu.setReg(2, 0x7000);
  assert.deepEqual(h.exec("vmwrite", { regReg: 1, rmReg: 2 }), OK);
  assert.equal(h.memory.read(A + fieldOffset(F.GUEST_RSP), 4), 0, "still in the cache");
  assert.deepEqual(ptrOp(h, "vmclear", A), OK);
  assert.equal(h.memory.read(A + fieldOffset(F.GUEST_RSP), 4), 0x7000, "written back");
  assert.equal(h.memory.read(A + OFF_LAUNCH_STATE, 4), 0, "launch state clear");
  assert.equal(currentPtr(h), -1);
});

Deno.test("the current VMCS is cached: VMPTRLD of another writes it back, VMPTRLD reloads from memory", () => {
  const h = ready();
  const vmwrite = (field: number, value: number) => {
    h.vcpu.setReg(1, field);
    h.vcpu.setReg(2, value);
    assert.deepEqual(h.exec("vmwrite", { regReg: 1, rmReg: 2 }), OK);
  };
  const vmread = (field: number): number => {
    h.vcpu.setReg(1, field);
    h.vcpu.setReg(3, 0xdead);
    assert.deepEqual(h.exec("vmread", { regReg: 1, rmReg: 3 }), OK);
    return h.vcpu.gpr[6];
  };
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  vmwrite(F.GUEST_RSP, 0x1111);
  assert.deepEqual(ptrOp(h, "vmptrld", B), OK);
  assert.equal(h.memory.read(A + fieldOffset(F.GUEST_RSP), 4), 0x1111, "A written back");
  vmwrite(F.GUEST_RSP, 0x2222);
  assert.equal(vmread(F.GUEST_RSP), 0x2222);
  // A is not current: a plain write to its region is seen by the next VMPTRLD.
  h.memory.write(A + fieldOffset(F.GUEST_RSP), 4, 0x3333);
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  assert.equal(h.memory.read(B + fieldOffset(F.GUEST_RSP), 4), 0x2222, "B written back");
  assert.equal(vmread(F.GUEST_RSP), 0x3333, "A reloaded from memory");
  // VMXOFF writes the current VMCS back too.
  vmwrite(F.GUEST_RSP, 0x4444);
  assert.deepEqual(h.exec("vmxoff"), OK);
  assert.equal(h.memory.read(A + fieldOffset(F.GUEST_RSP), 4), 0x4444, "written back by VMXOFF");
  assert.equal(h.memory.pinned, 0);
});

Deno.test("the current VMCS is cached: snapshot save writes it back, restore reloads without writing the old cache", () => {
  const h = ready();
  const vmwrite = (field: number, value: number) => {
    h.vcpu.setReg(1, field);
    h.vcpu.setReg(2, value);
    assert.deepEqual(h.exec("vmwrite", { regReg: 1, rmReg: 2 }), OK);
  };
  assert.deepEqual(ptrOp(h, "vmptrld", A), OK);
  vmwrite(F.GUEST_RSP, 0x1111);
  const saved = h.plugin.saveState!();
  const off = A + fieldOffset(F.GUEST_RSP);
  assert.equal(h.memory.read(off, 4), 0x1111, "saving state wrote the cache back");
  const image = new Uint8Array(4096);
  for (let i = 0; i < 4096; i++) image[i] = h.memory.read(A + i, 1);
  // The run goes on; then the snapshot is restored: RAM first, then plugin state.
  vmwrite(F.GUEST_RSP, 0x2222);
  for (let i = 0; i < 4096; i++) h.memory.write(A + i, 1, image[i]);
  h.plugin.loadState!(saved);
  assert.equal(h.memory.read(off, 4), 0x1111, "the stale cache was not written over restored RAM");
  h.vcpu.setReg(1, F.GUEST_RSP);
  assert.deepEqual(h.exec("vmread", { regReg: 1, rmReg: 3 }), OK);
  assert.equal(h.vcpu.gpr[6], 0x1111, "the restored VMCS is current with the restored data");
  assert.equal(h.memory.pinned, 1);
});

Deno.test("VMXON/VMCLEAR/VMPTRLD of an MMIO address never touch the device", () => {
  const h = vmxHarness();
  const accesses: string[] = [];
  h.memory.phys.addMmio(0x200000, 0x1000, "probe", {
    read: (off) => {
      accesses.push(`r${off}`);
      return 0;
    },
    write: (off) => {
      accesses.push(`w${off}`);
    },
  });
  h.poke64(OP, 0x200000);
  assert.deepEqual(h.exec("vmxon", { mem: memOperand(OP) }), { kind: "failInvalid" });
  assert.deepEqual(h.vmxon(VMXON), OK);
  assert.deepEqual(ptrOp(h, "vmclear", 0x200000), OK);
  assert.deepEqual(
    ptrOp(h, "vmptrld", 0x200000),
    { kind: "failInvalid" },
    "VMfail(11), no current",
  );
  assert.deepEqual(accesses, []);
  assertNoPins(h.memory.phys);
});

Deno.test("VMPTRLD of a shadow VMCS (revision bit 31): accepted with VMCS shadowing, error 11 without", () => {
  const h = ready();
  h.prepareRegion(B, (VMCS12_REVISION_ID | 0x80000000) >>> 0);
  assert.deepEqual(ptrOp(h, "vmptrld", B), OK, "VMCS shadowing is advertised");
  assert.equal(currentPtr(h), B);
  const g = vmxHarness(undefined, undefined, undefined, {
    ...VMX_FEATURES,
    proc2: VMX_FEATURES.proc2 & ~PROC2.VMCS_SHADOWING,
  });
  assert.deepEqual(g.vmxon(VMXON), OK);
  g.prepareRegion(A);
  g.prepareRegion(B, (VMCS12_REVISION_ID | 0x80000000) >>> 0);
  assert.deepEqual(ptrOp(g, "vmptrld", A), OK);
  assert.deepEqual(ptrOp(g, "vmptrld", B), { kind: "failValid", error: 11 }, "no VMCS shadowing");
});

Deno.test("VMLAUNCH/VMRESUME with a shadow VMCS current: VMfailInvalid", () => {
  const h = ready();
  h.prepareRegion(B, (VMCS12_REVISION_ID | 0x80000000) >>> 0);
  assert.deepEqual(ptrOp(h, "vmptrld", B), OK);
  assert.deepEqual(h.exec("vmlaunch"), { kind: "failInvalid" });
  assert.deepEqual(h.exec("vmresume"), { kind: "failInvalid" });
});

Deno.test("VMCLEAR leaves the header as software wrote it: a shadow bit cleared while current is gone at the next VMPTRLD", () => {
  // The processor never writes the revision identifier (SDM Vol. 3C 25.2):
  // software may rewrite it while the VMCS is current, and VMCLEAR's
  // write-back of the VMCS data must not undo that.
  const h = ready();
  h.prepareRegion(B, (VMCS12_REVISION_ID | 0x80000000) >>> 0);
  assert.deepEqual(ptrOp(h, "vmptrld", B), OK);
  assert.deepEqual(h.exec("vmlaunch"), { kind: "failInvalid" }, "a shadow VMCS is current");
  h.memory.write(B, 4, VMCS12_REVISION_ID); // an ordinary VMCS again, written while current
  h.memory.write(B + 4, 4, 0x1234); // the VMX-abort indicator, software's to write too
  assert.deepEqual(ptrOp(h, "vmclear", B), OK);
  assert.equal(h.memory.read(B, 4), VMCS12_REVISION_ID, "revision identifier not written back");
  assert.equal(h.memory.read(B + 4, 4), 0x1234, "abort indicator not written back");
  assert.deepEqual(ptrOp(h, "vmptrld", B), OK);
  assert.notDeepEqual(h.exec("vmlaunch"), { kind: "failInvalid" }, "an ordinary VMCS now");
});
