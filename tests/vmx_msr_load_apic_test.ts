/**
 * A VM-entry MSR-load list entry for IA32_APIC_BASE goes to the LAPIC
 * plugin, as WRMSR would (`Vcpu.loadMsr`). Here, not beside the VMX plugin:
 * it needs the device plugins, which the VMX plugin's own tests never import.
 */
import assert from "node:assert/strict";
import { MINI, runMini } from "../vmx/entry/testing_cpu.ts";
import { CAPS } from "../vmx/entry/check_controls.ts";
import { PROC } from "../vmx/controls.ts";
import { pcBoard } from "../devices/board_pc.ts";

const VMCALL = 18;

/** Run L2 `mov ecx,0x803; rdmsr; mov [0x170000],rax; vmcall` with `apicBase` in the entry MSR-load list. */
function entryLoadsApicBase(apicBase: bigint) {
  const list = 0x190000;
  return runMini({
    l2: "b9030800000f3248890425000017000f01c1",
    plugins: pcBoard(), // with the LAPIC plugin
    fields: {
      // MSR bitmaps all zero (fresh RAM at 0x180000): the RDMSR does not exit.
      CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.USE_MSR_BITMAPS,
      MSR_BITMAP: 0x180000,
      VM_ENTRY_MSR_LOAD_COUNT: 1,
      VM_ENTRY_MSR_LOAD_ADDR: list,
    },
    setup: (m) => {
      m.memory.write(list, 4, 0x1b); // IA32_APIC_BASE
      m.memory.write(list + 4, 4, 0);
      m.memory.write(list + 8, 4, Number(apicBase & 0xffffffffn));
      m.memory.write(list + 12, 4, Number(apicBase >> 32n));
    },
  });
}

Deno.test("real CPU: a VM-entry MSR-load of IA32_APIC_BASE reaches the LAPIC, as WRMSR would", () => {
  // BSP | EXTD | EN: x2APIC mode, so the L2's RDMSR of the x2APIC version register works.
  const r = entryLoadsApicBase(0xfee00d00n);
  assert.equal(r.status, 1);
  assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL]);
  assert.equal(r.m.memory.read(MINI.l2Data, 4), 0x00050014, "x2APIC version register");
  assert.equal(r.m.cpu.apicBase, 0xfee00d00, "the LAPIC wrote the CPU's copy");
  r.m.dispose();
  // EXTD without EN is the invalid state: WRMSR would #GP, so the entry fails (reason 34).
  const bad = entryLoadsApicBase(0xfee00400n);
  assert.deepEqual(bad.exits.map((e) => e.reason), [0x80000022]);
  assert.equal(bad.exits[0].qual, 1, "the first entry failed");
  assert.equal(bad.m.cpu.apicBase, 0xfee00900, "unchanged");
  bad.m.dispose();
});
