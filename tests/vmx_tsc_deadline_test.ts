/**
 * IA32_TSC_DEADLINE written by L2 without a VM exit: the LAPIC compares it
 * with the processor's TSC, not with L2's offset view (SDM Vol. 3C 26.3:
 * only RDTSC, RDTSCP and RDMSR of IA32_TSC add the TSC offset). Here, not
 * beside the VMX plugin: it needs the LAPIC plugin, which the VMX plugin's
 * own tests never import.
 */
import assert from "node:assert/strict";
import { l2Qword, MINI, runMini, tscOffsetFields } from "../vmx/entry/testing_cpu.ts";
import { createLapic } from "../devices/lapic.ts";

const VMCALL = 18;

Deno.test("real CPU: an L2 write of IA32_TSC_DEADLINE that L1 lets through is compared with the processor's TSC, not L2's", () => {
  // mov ecx,0x1b; rdmsr; or eax,0xc00; wrmsr           (x2APIC mode)
  // mov ecx,0x832; mov eax,0x50020; xor edx,edx; wrmsr (LVT timer: TSC-deadline, masked)
  // mov ecx,0x6e0; mov eax,50000; xor edx,edx; wrmsr   (deadline: processor TSC 50,000)
  // mov ebx,2000; 1: dec ebx; jnz 1b
  // mov ecx,0x6e0; rdmsr; mov [0x170000],eax; mov [0x170004],edx; vmcall
  const l2 =
    "b91b0000000f320d000c00000f30b932080000b82000050031d20f30b9e0060000b850c3000031d20f30" +
    "bbd0070000ffcb75fcb9e00600000f3289042500001700891425040017000f01c1";
  const read = (offset: number) => {
    const r = runMini({ l2, plugins: [createLapic()], fields: tscOffsetFields(offset) });
    assert.equal(r.status, 1);
    assert.deepEqual(r.exits.map((e) => e.reason), [VMCALL], "no MSR access exited");
    const left = Number(l2Qword(r));
    r.m.dispose();
    return left;
  };
  // L2 reads the deadline back a few thousand instructions (ns) later.
  assert.equal(read(0), 50_000, "armed, not yet fired");
  // L2's TSC (processor's + 2^40) is far past 50,000: the deadline is
  // still the processor's, so it is still armed (SDM 26.3 offsets only
  // RDTSC, RDTSCP and RDMSR of IA32_TSC).
  assert.equal(read(2 ** 40), 50_000, "armed, not yet fired, under a large TSC offset");
  // A negative offset does not delay it either: a deadline already past
  // on the processor's TSC fires at once (and reads back 0).
  const late = runMini({
    l2: l2.replace("b850c30000", "b801000000"), // deadline 1
    plugins: [createLapic()],
    fields: tscOffsetFields(-(2 ** 40)),
  });
  assert.equal(late.status, 1);
  assert.equal(late.m.memory.read(MINI.l2Data, 4), 0, "fired: the deadline reads 0");
  late.m.dispose();
});
