/**
 * The VMX MSR lists with the other plugins of a machine: VM-entry MSR-load
 * and VM-exit MSR-store entries for MSRs a plugin owns reach that plugin
 * as WRMSR/RDMSR in L1 would (kvm-unit-tests' vmx_sipi_signal_test loads
 * KVM's wall-clock MSR this way).
 */
import assert from "node:assert/strict";
import { runMini } from "../vmx/entry/testing_cpu.ts";
import { createKvmPv } from "../plugins/kvm_pv/plugin.ts";
import { DEFAULT_RTC_EPOCH } from "../devices/rtc.ts";

const VMCALL = 18;

Deno.test("vmx MSR lists: VM-entry and VM-exit MSR lists reach MSRs that plugins own (kvm-pv's wall clock)", () => {
  // Entry list at 0x180000: MSR_KVM_WALL_CLOCK_NEW = 0x181000 (kvm-pv writes the wall clock there);
  // exit-store list at 0x180100: the same MSR back into memory. L2: vmcall.
  const MSR = 0x4b564d00;
  const r = runMini({
    l2: "0f01c1",
    plugins: [createKvmPv()],
    fields: {
      VM_ENTRY_MSR_LOAD_COUNT: 1,
      VM_ENTRY_MSR_LOAD_ADDR: 0x180000,
      VM_EXIT_MSR_STORE_COUNT: 1,
      VM_EXIT_MSR_STORE_ADDR: 0x180100,
    },
    setup: (m) => {
      m.memory.write(0x180000, 4, MSR);
      m.memory.write(0x180008, 4, 0x181000);
      m.memory.write(0x180100, 4, MSR);
    },
  });
  assert.equal(r.status, 1);
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL], "no entry failure (MSR loading)");
  assert.equal(r.m.memory.read(0x181004, 4), DEFAULT_RTC_EPOCH, "kvm-pv wrote the wall clock");
  assert.equal(r.m.memory.read(0x180108, 4), 0x181000, "the exit stored the MSR's value");
  r.m.dispose();
});
