/**
 * Runs the VMX conformance guests built from tests/vmx/ (guests/build/):
 * vmx_exits (a 64-bit L1 checks each L2 exit's reason, RIP, instruction
 * length, qualification and information, then the VMLAUNCH/VMRESUME error
 * numbers and VM-entry failure reasons) and vmx32 (operand-size rules of
 * VMREAD/VMWRITE in 32-bit protected mode). Both pass the shared strict TAP
 * rules (tests/tap.ts) with their exact plan.
 * (vmx_basic runs in tests/vmx_machine_test.ts.)
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../../plugins/machine_builder.ts";
import { assertTap } from "../tap.ts";

/** Checks each guest plans (its source prints them). */
const PLAN_VMX32 = 12;
const PLAN_VMX_EXITS = 49;

function run(name: string, cpu?: string): { output: string; status: number } {
  const image = Deno.readFileSync(new URL(`../../guests/build/${name}`, import.meta.url));
  let output = "";
  const dec = new TextDecoder();
  const m = createMachine({ serial: (b) => (output += dec.decode(b, { stream: true })), cpu });
  try {
    bootKernel(m, image);
    const r = m.run({ maxInstructions: 100_000_000 });
    return { output, status: r.reason.kind === "exit" ? r.reason.status : -1 };
  } finally {
    m.dispose?.();
  }
}

function assertAllOk(name: string, plan: number): string {
  const { output, status } = run(name);
  assertTap(output, { plan }, name);
  assert.equal(status, 1, "isa-debug-exit status 0");
  return output;
}

Deno.test("vmx32 guest: VMREAD/VMWRITE operand sizes outside 64-bit mode", () => {
  const output = assertAllOk("vmx32.elf", PLAN_VMX32);
  assert.match(output, /clears bits 63:32 of a 64-bit field/);
});

Deno.test("vmx_exits guest: every exit, entry error and entry failure check passes", () => {
  const output = assertAllOk("vmx_exits.elf", PLAN_VMX_EXITS);
  assert.ok(output.split("\n").some((l) => l.includes("read of an EPT hole: reason 48")));
});

Deno.test("vmx_basic guest skips cleanly when VMX is switched off (-vmx)", () => {
  const { output, status } = run("vmx_basic.elf", "-vmx");
  assertTap(output, { skipAll: /^CPUID\.1:ECX\.VMX is clear$/ }, "vmx_basic -vmx");
  assert.equal(status, 1);
});
