import assert from "node:assert/strict";
import type { CpuidExit, ExitDisposition, VmExit } from "../../core/vmexit.ts";
import { LOCAL_APIC } from "../../devices/interrupts.ts";
import { memOperand, type VmxHarness, vmxHarness } from "../../vmx/testing.ts";
import { VM_EXIT_NS } from "../../vmx/exit/vmexit.ts";
import { createKvmPv, HYPERCALL_NS } from "./plugin.ts";
import { KVM_ENOSYS } from "./abi.ts";

/** The VMX plugin (part 2 recording VM exits to L1) and kvm-pv on one fake vCPU. */
function setup(order: "vmx-first" | "kvm-first" = "vmx-first") {
  const exitsToL1: string[] = [];
  const h = vmxHarness({ featureControl: "locked" }, () => ({
    vmentry: () => "reflected",
    nonRootInstruction: (e) => {
      exitsToL1.push(e.instruction);
      return "reflected";
    },
    invept: () => "handled",
    invvpid: () => "handled",
  }));
  const sent: number[][] = [];
  h.host.ctx.services.provide(LOCAL_APIC, {
    deliver: () => false,
    deliverToId: (id, mode, vector) => {
      sent.push([id, mode, vector]);
      return id === 0;
    },
  });
  createKvmPv().setup(h.host.ctx);
  // The exit bus tries handlers in registration order; either order must work.
  if (order === "kvm-first") { for (const list of h.host.handlers.values()) list.reverse(); }
  h.vcpu.mode = "long64";
  return { h, exitsToL1, sent };
}

/** Offer a VMCALL (or VMMCALL) exit at the vCPU's level; a guest fault becomes its vector. */
function call(h: VmxHarness, kind: "vmcall" | "vmmcall"): ExitDisposition | number {
  const level = h.vcpu.nonRoot ? 2 : 1;
  const exit: VmExit = kind === "vmcall"
    ? {
      kind: "vmx",
      level,
      instructionLength: 3,
      instruction: "vmcall",
      operands: { rmReg: -1, regReg: -1, operandSize: 64 },
    }
    : { kind: "vmmcall", level, instructionLength: 3 };
  try {
    return h.host.dispatch(exit);
  } catch (e) {
    return (e as { vector: number }).vector;
  }
}

function setRax(h: VmxHarness, lo: number, hi = 0): void {
  h.vcpu.gpr[0] = lo;
  h.vcpu.gpr[1] = hi;
}

function cpuid(h: VmxHarness, leaf: number, level: 1 | 2 = 1): CpuidExit {
  const exit: CpuidExit = {
    kind: "cpuid",
    level,
    instructionLength: 2,
    leaf,
    subleaf: 0,
    eax: 0x11,
    ebx: 0x22,
    ecx: 0x33,
    edx: 0x44,
  };
  h.host.dispatch(exit);
  return exit;
}

for (const order of ["vmx-first", "kvm-first"] as const) {
  Deno.test(`kvm-pv (${order}): VMCALL outside VMX operation is a hypercall`, () => {
    const { h, sent } = setup(order);
    setRax(h, 0);
    assert.equal(call(h, "vmcall"), "handled");
    assert.deepEqual([h.vcpu.gpr[0], h.vcpu.gpr[1]], [(-KVM_ENOSYS) >>> 0, 0xffffffff]);
    assert.equal(h.vcpu.stalledNs, HYPERCALL_NS, "a VM exit and entry of virtual time");
    setRax(h, 10);
    h.vcpu.gpr[6] = 0b11; // a0: IDs 0 and 1
    h.vcpu.gpr[12] = 0x4400; // a3: NMI
    assert.equal(call(h, "vmcall"), "handled");
    assert.equal(h.vcpu.gpr[0], 1, "one APIC (ID 0) took it");
    assert.deepEqual(sent, [[0, 4, 0], [1, 4, 0]]);
  });

  Deno.test(`kvm-pv (${order}): VMCALL in VMX root operation still VMfails, in non-root still exits to L1`, () => {
    const { h, exitsToL1 } = setup(order);
    assert.deepEqual(h.vmxon(), { kind: "succeed", disposition: "handled" });
    setRax(h, 10);
    assert.deepEqual(h.exec("vmcall"), { kind: "failInvalid" }, "no current VMCS: VMfailInvalid");
    h.prepareRegion(0x20000);
    h.poke64(0x800, 0x20000);
    assert.equal(h.exec("vmptrld", { mem: memOperand(0x800) }).kind, "succeed");
    assert.deepEqual(
      h.exec("vmcall"),
      { kind: "failValid", error: 1 },
      "VMCALL executed in VMX root",
    );
    assert.equal(h.vcpu.gpr[0], 10, "RAX untouched: no hypercall");
    h.vcpu.cpl = 3;
    assert.deepEqual(
      h.exec("vmcall"),
      { kind: "fault", vector: 13, errorCode: 0 },
      "#GP(0) at CPL 3",
    );
    h.vcpu.cpl = 0;
    h.vcpu.nonRoot = true;
    assert.equal(call(h, "vmcall"), "reflected");
    assert.deepEqual(exitsToL1, ["vmcall"], "a VM exit to L1 (basic reason 18)");
    assert.equal(h.vcpu.gpr[0], 10);
    assert.equal(h.vcpu.stalledNs, 0, "no hypercall time charged");
  });

  Deno.test(`kvm-pv (${order}): VMMCALL is a hypercall in L1 (also in VMX root), #UD stays in L2`, () => {
    const { h } = setup(order);
    setRax(h, 1); // KVM_HC_VAPIC_POLL_IRQ
    assert.equal(call(h, "vmmcall"), "handled");
    assert.deepEqual([h.vcpu.gpr[0], h.vcpu.gpr[1]], [0, 0]);
    assert.equal(h.vmxon().kind, "succeed");
    setRax(h, 99);
    assert.equal(call(h, "vmmcall"), "handled");
    assert.equal(h.vcpu.gpr[0], (-KVM_ENOSYS) >>> 0);
    h.vcpu.nonRoot = true; // the CPU never offers VMMCALL from L2; if it did, nobody takes it
    assert.equal(call(h, "vmmcall"), "pass");
  });

  Deno.test(`kvm-pv (${order}): CPUID shows the hypervisor bit, the KVM signature, kvmclock and PV_SEND_IPI only`, () => {
    const { h } = setup(order);
    const l1 = cpuid(h, 1);
    assert.equal(l1.ecx, (0x33 | (1 << 5) | (1 << 31)) >>> 0, "hypervisor (31) and VMX (5)");
    const sig = cpuid(h, 0x40000000);
    assert.deepEqual([sig.eax, sig.ebx, sig.ecx, sig.edx], [
      0x40000001,
      0x4b4d564b,
      0x564b4d56,
      0x4d,
    ]);
    const text = new TextDecoder().decode(new Uint32Array([sig.ebx, sig.ecx, sig.edx]));
    assert.equal(text, "KVMKVMKVM\0\0\0");
    const f = cpuid(h, 0x40000001);
    // CLOCKSOURCE2 (3), PV_SEND_IPI (11), CLOCKSOURCE_STABLE_BIT (24).
    assert.deepEqual([f.eax, f.ebx, f.ecx, f.edx], [(1 << 3) | (1 << 11) | (1 << 24), 0, 0, 0]);
    const other = cpuid(h, 0x40000002);
    assert.deepEqual([other.eax, other.ebx, other.ecx, other.edx], [0x11, 0x22, 0x33, 0x44]);
    const l2 = cpuid(h, 0x40000000, 2);
    assert.deepEqual([l2.eax, l2.ebx], [0x11, 0x22], "L2's CPUID is L1's business");
  });
}

Deno.test("kvm-pv: a hypercall costs an exit and an entry of VMX's figure", () => {
  assert.equal(HYPERCALL_NS, 2 * VM_EXIT_NS);
});
