/**
 * The PMU across VMX levels on the real CPU engine (the mini L1 of
 * `testing_cpu.ts`): the counters count L1 and L2 alike, and the "load
 * IA32_PERF_GLOBAL_CTRL" VM-entry and VM-exit controls switch them per
 * level, with VM entry's checks on their fields (SDM Vol. 3C, "Checks on
 * Host Control Registers, Debug Registers and MSRs" and the guest's).
 */
import assert from "node:assert/strict";
import { runMini } from "./testing_cpu.ts";
import { CAPS } from "./check_controls.ts";
import { ENTRY, EXIT } from "../controls.ts";
import { vmxFeaturesFor } from "../features.ts";
import { perfGlobalCtrlBits, PmuMsr } from "../../cpu/pmu.ts";
import { defaultModel } from "../../cpu/model.ts";
import type { PcMachine } from "../../plugins/pc_machine.ts";

const PMU_FEATURES = vmxFeaturesFor({
  physBits: 40,
  page1G: true,
  perfGlobalCtrlBits: perfGlobalCtrlBits(defaultModel()),
});
/** mov eax,0; mov ebx,0x1234; cpuid; mov r8,rbx; vmcall: 3 instructions retire in L2. */
const L2 = "b800000000bb341200000fa24989d80f01c1";
const EN_OS_USR_INSTR = (1 << 22) | (1 << 17) | (1 << 16) | 0xc0;
const LOAD_CONTROLS = {
  VM_ENTRY_CONTROLS: CAPS.entry.must1 | ENTRY.IA32E_MODE_GUEST | ENTRY.LOAD_IA32_PERF_GLOBAL_CTRL,
  VM_EXIT_CONTROLS: CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE |
    EXIT.LOAD_IA32_PERF_GLOBAL_CTRL,
};

function counting(ctrl: bigint): (m: PcMachine) => void {
  return (m) => {
    assert.equal(m.cpu.writeMsr(PmuMsr.PERFEVTSEL0, BigInt(EN_OS_USR_INSTR)), true);
    assert.equal(m.cpu.writeMsr(PmuMsr.GLOBAL_CTRL, ctrl), true);
  };
}

Deno.test("PMU across levels: a counter counts every instruction L1 and L2 retire", () => {
  let r0 = -1;
  const r = runMini({
    l2: L2,
    setup: (m) => {
      counting(1n)(m);
      r0 = m.cpu.retired;
    },
  });
  assert.equal(r.status, 1);
  assert.deepEqual(r.exits.map((e) => e.reason), [10, 18]);
  assert.equal(r.m.cpu.readMsr(PmuMsr.PMC0), BigInt(r.m.cpu.retired - r0));
  r.m.dispose();
});

Deno.test("PMU across levels: load IA32_PERF_GLOBAL_CTRL on entry and exit counts L2 alone", () => {
  const r = runMini({
    l2: L2,
    features: PMU_FEATURES,
    fields: { ...LOAD_CONTROLS, GUEST_IA32_PERF_GLOBAL_CTRL: 1, HOST_IA32_PERF_GLOBAL_CTRL: 0 },
    setup: counting(0n),
  });
  assert.equal(r.status, 1);
  assert.deepEqual(r.exits.map((e) => e.reason), [10, 18]);
  // VMLAUNCH/VMRESUME that enter L2 do not retire; CPUID and VMCALL exit.
  assert.equal(r.m.cpu.readMsr(PmuMsr.PMC0), 3n);
  assert.equal(r.m.cpu.readMsr(PmuMsr.GLOBAL_CTRL), 0n, "the host value after the last exit");
  r.m.dispose();
});

Deno.test("PMU across levels: a reserved bit in the host field is VMfail 8, in the guest field entry failure 33", () => {
  const host = runMini({
    l2: L2,
    features: PMU_FEATURES,
    fields: { ...LOAD_CONTROLS, GUEST_IA32_PERF_GLOBAL_CTRL: 1, HOST_IA32_PERF_GLOBAL_CTRL: 0x10 },
  });
  assert.equal(host.status, 3, "VMLAUNCH VMfail");
  assert.equal(host.error, 8, "invalid host-state field");
  host.m.dispose();
  const guest = runMini({
    l2: L2,
    features: PMU_FEATURES,
    maxExits: 1,
    fields: {
      ...LOAD_CONTROLS,
      GUEST_IA32_PERF_GLOBAL_CTRL: 2 ** 35,
      HOST_IA32_PERF_GLOBAL_CTRL: 0,
    },
  });
  assert.equal(guest.exits[0]?.reason, 0x80000021, "VM-entry failure, invalid guest state");
  guest.m.dispose();
  // Without a PMU the controls do not exist: VMfail 7 (invalid control field).
  const none = runMini({ l2: L2, fields: LOAD_CONTROLS });
  assert.equal(none.status, 3);
  assert.equal(none.error, 7);
  none.m.dispose();
});
