import assert from "node:assert/strict";
import { SERIALIZING_NS } from "../core/stall.ts";
import { assertNoPins } from "../mm/testing.ts";
import type { CpuidExit, CrAccessExit } from "../core/vmexit.ts";
import { createVmxPlugin } from "./plugin.ts";
import { createFallbackNestedOps } from "./fallback.ts";
import {
  FakeGuestFault,
  FakePluginContext,
  memOperand,
  type VmxHarness,
  vmxHarness,
} from "./testing.ts";
import { F } from "./vmcs12/fields.ts";
import { VMX_OPERATION } from "./operation.ts";

const OK = { kind: "succeed", disposition: "handled" };
const GP0 = { kind: "fault", vector: 13, errorCode: 0 };
const A = 0x20000;

function withCurrent(): VmxHarness {
  const h = vmxHarness();
  assert.deepEqual(h.vmxon(0x10000), OK);
  h.prepareRegion(A);
  h.poke64(0x800, A);
  assert.deepEqual(h.exec("vmptrld", { mem: memOperand(0x800) }), OK);
  return h;
}

function cpuid(h: VmxHarness, leaf: number, ecx: number): CpuidExit {
  const exit: CpuidExit = {
    kind: "cpuid",
    level: 1,
    instructionLength: 2,
    leaf,
    subleaf: 0,
    eax: 1,
    ebx: 2,
    ecx,
    edx: 4,
  };
  h.host.dispatch(exit);
  return exit;
}

Deno.test("plugin: CPUID.1:ECX.VMX is set, other bits and leaves untouched", () => {
  const h = vmxHarness();
  // The plugin passes after setting the bit, so a later handler may add its own.
  h.host.ctx.exits.on("cpuid", (exit) => {
    if (exit.leaf === 1) exit.ecx = (exit.ecx | 0x40000000) >>> 0;
    return "pass";
  });
  const e = cpuid(h, 1, 0x80000001);
  assert.equal(e.ecx, 0xc0000021, "VMX (bit 5) and the later handler's bit 30");
  assert.deepEqual([e.eax, e.ebx, e.edx], [1, 2, 4]);
  assert.equal(cpuid(h, 7, 0).ecx, 0);
  assert.equal(cpuid(h, 0x80000001, 0x1).ecx, 0x1);
});

Deno.test("plugin: MOV CR4 clearing VMXE and CR0 clearing PE/PG/NE #GP in VMX operation", () => {
  const h = vmxHarness();
  const cr = (cr: 0 | 4, value: number, access: CrAccessExit["access"] = "mov-to") => {
    const exit: CrAccessExit = {
      kind: "cr",
      level: 1,
      instructionLength: 3,
      cr,
      access,
      gpr: 0,
      valueLo: value,
      valueHi: 0,
      lmswLinear: -1,
    };
    try {
      return h.host.dispatch(exit);
    } catch (e) {
      if (e instanceof FakeGuestFault) return { vector: e.vector, errorCode: e.errorCode };
      throw e;
    }
  };
  assert.equal(cr(4, 0x20), "pass", "outside VMX operation the CPU decides");
  assert.deepEqual(h.vmxon(), OK);
  assert.deepEqual(cr(4, 0x20), { vector: 13, errorCode: 0 });
  assert.equal(cr(4, 0x2020 | 0x80), "pass", "keeping VMXE is fine");
  assert.deepEqual(cr(0, 0x00000031), { vector: 13, errorCode: 0 }, "clearing PG");
  assert.deepEqual(cr(0, 0x80000011), { vector: 13, errorCode: 0 }, "clearing NE");
  assert.equal(cr(0, 0x80000039), "pass", "setting TS");
  assert.equal(cr(0, 0x9, "lmsw"), "pass", "LMSW cannot clear PE");
  assert.deepEqual(h.exec("vmxoff"), OK);
  assert.equal(cr(4, 0x20), "pass");
});

Deno.test("plugin: snapshot inside VMX operation restores and re-pins the current VMCS", () => {
  const h = withCurrent();
  h.vcpu.setReg(1, F.GUEST_RIP);
  h.vcpu.setReg(2, 0x401000);
  assert.deepEqual(h.exec("vmwrite", { regReg: 1, rmReg: 2 }), OK);
  const saved = h.plugin.saveState!();
  const json = JSON.parse(JSON.stringify(saved));
  const { nested: _nested, ...mine } = json.data;
  assert.deepEqual(mine, {
    vmxon: true,
    vmxonPtr: 0x10000,
    currentPtr: A,
    featureControl: 5,
  });
  // A second machine over a copy of guest RAM.
  const h2 = vmxHarness();
  h2.memory.writeBytes(0, h.memory.readBytes(0, h.memory.ramSize));
  h2.plugin.loadState!(json);
  assert.equal(h2.memory.pinned, 1, "current VMCS re-pinned");
  h2.vcpu.setReg(1, F.GUEST_RIP);
  assert.deepEqual(h2.exec("vmread", { regReg: 1, rmReg: 0 }), OK);
  assert.equal(h2.vcpu.reg(0), 0x401000);
  // Loading again does not leak the previous pin.
  h2.plugin.loadState!(json);
  assert.equal(h2.memory.pinned, 1);
  // Restoring a snapshot taken outside VMX operation releases it.
  h2.plugin.loadState!(vmxHarness().plugin.saveState!());
  assertNoPins(h2.memory.phys);
  assert.deepEqual(h2.exec("vmxoff"), { kind: "fault", vector: 6, errorCode: -1 });
});

Deno.test("plugin: malformed snapshot data is refused with a clear error", () => {
  const h = vmxHarness();
  const bad = [
    { version: 2, data: {} },
    { version: 1, data: null },
    { version: 1, data: { vmxon: "yes", vmxonPtr: -1, currentPtr: -1, featureControl: 0 } },
    { version: 1, data: { vmxon: false, vmxonPtr: 0x1000, currentPtr: -1, featureControl: 0 } },
    { version: 1, data: { vmxon: true, vmxonPtr: 0.5, currentPtr: -1, featureControl: 0 } },
  ];
  for (const s of bad) assert.throws(() => h.plugin.loadState!(s), /vmx:/);
  assert.throws(
    () =>
      h.plugin.loadState!({
        version: 1,
        data: { vmxon: true, vmxonPtr: 0x1000, currentPtr: 0x4000_0000, featureControl: 5 },
      }),
    /cannot re-pin/,
  );
  assertNoPins(h.memory.phys);
});

Deno.test("plugin: dispose and reset release the current VMCS pin", () => {
  let h = withCurrent();
  assert.equal(h.memory.pinned, 1);
  h.plugin.dispose!();
  assertNoPins(h.memory.phys);
  h.plugin.dispose!(); // idempotent
  h = withCurrent();
  h.plugin.reset!();
  assertNoPins(h.memory.phys);
  assert.deepEqual(h.exec("vmxoff"), { kind: "fault", vector: 6, errorCode: -1 });
  assert.deepEqual(h.rdmsr(0x3a), { lo: 5, hi: 0 }, "feature control back to its initial value");
});

Deno.test("plugin: options are validated", () => {
  assert.throws(() => createVmxPlugin({ physBits: "70" }), RangeError);
  assert.throws(() => createVmxPlugin({ physBits: "x" }), RangeError);
  assert.throws(() => createVmxPlugin({ featureControl: "8" }), RangeError);
  const p = createVmxPlugin({ physBits: "39", featureControl: "locked" });
  assert.equal(p.name, "vmx");
  assert.throws(() => p.saveState!(), /before setup/);
});

Deno.test("plugin: VMLAUNCH/VMRESUME/INVEPT go to part 2 after the common checks", () => {
  const calls: string[] = [];
  const h = vmxHarness({ featureControl: "locked" }, (vmx) => ({
    vmentry: (_e, launch) => {
      calls.push(launch ? "launch" : "resume");
      return "reflected";
    },
    nonRootInstruction: (e) => {
      calls.push(`exit:${e.instruction}`);
      return "reflected";
    },
    invept: () => {
      calls.push("invept");
      vmx.vcpu.rflags &= ~0x8d5;
      return "handled";
    },
    invvpid: () => {
      calls.push("invvpid");
      vmx.vcpu.rflags &= ~0x8d5;
      return "handled";
    },
    onVmxoff: () => calls.push("vmxoff"),
  }));
  assert.deepEqual(h.exec("vmlaunch"), { kind: "fault", vector: 6, errorCode: -1 });
  // Outside VMX operation VMCALL is left to the CPU (#UD) or to a plugin
  // playing L1's hypervisor (pv/kvm_pv.ts).
  assert.deepEqual(h.exec("vmcall"), { kind: "pass" });
  assert.deepEqual(h.vmxon(), OK);
  h.vcpu.cpl = 3;
  assert.deepEqual(h.exec("vmresume"), GP0);
  h.vcpu.cpl = 0;
  assert.deepEqual(h.exec("vmlaunch"), { kind: "reflected" });
  assert.deepEqual(h.exec("vmresume"), { kind: "reflected" });
  const before = h.vcpu.stalledNs;
  assert.deepEqual(h.exec("invept", { regReg: 0, mem: memOperand(0x900) }), OK);
  assert.deepEqual(h.exec("invvpid", { regReg: 0, mem: memOperand(0x900) }), OK);
  assert.equal(h.vcpu.stalledNs - before, 2 * SERIALIZING_NS, "both are serializing");
  h.vcpu.cpl = 3;
  assert.deepEqual(h.exec("invept", { regReg: 0, mem: memOperand(0x900) }), GP0);
  h.vcpu.cpl = 0;
  assert.equal(h.vcpu.stalledNs - before, 2 * SERIALIZING_NS, "a fault charges nothing");
  assert.deepEqual(h.exec("vmcall"), { kind: "failInvalid" }, "VMCALL in root: VMfail(1)");
  assert.deepEqual(h.exec("vmfunc"), { kind: "fault", vector: 6, errorCode: -1 });
  h.vcpu.nonRoot = true;
  for (const i of ["vmxon", "vmptrld", "vmread", "vmcall", "vmfunc", "vmxoff"] as const) {
    assert.deepEqual(h.exec(i, { mem: memOperand(0x800), regReg: 0 }), { kind: "reflected" }, i);
  }
  h.vcpu.nonRoot = false;
  assert.deepEqual(h.exec("vmxoff"), OK);
  assert.deepEqual(calls, [
    "launch",
    "resume",
    "invept",
    "invvpid",
    "exit:vmxon",
    "exit:vmptrld",
    "exit:vmread",
    "exit:vmcall",
    "exit:vmfunc",
    "exit:vmxoff",
    "vmxoff",
  ]);
});

Deno.test("plugin: the VMX_OPERATION service follows VMXON and VMXOFF", () => {
  const h = vmxHarness();
  const op = h.host.ctx.services.get(VMX_OPERATION);
  assert.equal(op.inVmxOperation(0), false, "before VMXON");
  assert.deepEqual(h.vmxon(), OK);
  assert.equal(op.inVmxOperation(0), true, "after VMXON");
  h.vcpu.nonRoot = true;
  assert.equal(op.inVmxOperation(0), true, "non-root operation is VMX operation too");
  h.vcpu.nonRoot = false;
  assert.equal(op.inVmxOperation(1), false, "no such vCPU");
  assert.deepEqual(h.exec("vmxoff"), OK);
  assert.equal(op.inVmxOperation(0), false, "after VMXOFF");
  assert.deepEqual(h.vmxon(), OK);
  h.plugin.reset!();
  assert.equal(op.inVmxOperation(0), false, "after reset");
});

Deno.test("plugin: VMCALL in VMX root with a current VMCS is VMfailValid(1)", () => {
  const h = withCurrent();
  assert.deepEqual(h.exec("vmcall"), { kind: "failValid", error: 1 });
  assert.ok(new FakePluginContext(h.vcpu, h.memory).ctx.memory === h.memory);
});

Deno.test("plugin: without part 2, VMLAUNCH fails with VMfailValid(7)", () => {
  const h = vmxHarness({ featureControl: "locked" }, createFallbackNestedOps);
  assert.deepEqual(h.vmxon(0x10000), OK);
  h.prepareRegion(A);
  h.poke64(0x800, A);
  assert.deepEqual(h.exec("vmptrld", { mem: memOperand(0x800) }), OK);
  assert.deepEqual(h.exec("vmlaunch"), { kind: "failValid", error: 7 });
});
