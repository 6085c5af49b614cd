/**
 * The issue-8 VMX conformance guests (`tests/vmx/vmx_*.c` on the shared
 * harness `tests/vmx/harness.c`): each 64-bit L1 launches an L2 and prints
 * TAP. Every image must pass the shared strict TAP rules (tests/tap.ts: one
 * plan, checks 1..N without gaps, no failure, no SKIP or TODO), exit
 * through isa-debug-exit with status 0, and leave no pinned
 * page behind after dispose. Where a guest's exits are countable, the VMX
 * statistics service must agree with what L1 saw.
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import type { Machine } from "../core/machine.ts";
import { VMX_STATS } from "../vmx/stats.ts";
import { assertNoPins } from "../mm/testing.ts";
import { assertTap } from "./tap.ts";

const dec = new TextDecoder();

/** Boot an image, run it to its exit, return output, machine and TAP summary (machine not disposed). */
function runImage(
  name: string,
  maxInstructions = 60_000_000,
): { out: string; m: Machine } {
  const image = Deno.readFileSync(new URL(`../guests/build/${name}`, import.meta.url));
  let out = "";
  const m = createMachine({
    memoryMiB: 64,
    serial: (b) => (out += dec.decode(b, { stream: true })),
  });
  bootKernel(m, image);
  const r = m.run({ maxInstructions });
  assert.deepEqual(r.reason, { kind: "exit", status: 1 }, `${name} exits with status 0\n${out}`);
  return { out, m };
}

/** The shared strict TAP rules, no SKIP or TODO expected; logs the summary line. */
function checkTap(name: string, out: string, plan: number): void {
  const c = assertTap(out, { plan }, name);
  console.log(`${name}: ${c.plan} checks, ${c.pass} pass, ${c.skip} skip, ${c.todo} todo`);
}

function dispose(m: Machine): void {
  m.dispose();
  assertNoPins(m.memory);
}

Deno.test("vmx conformance: instruction exits (vmx_instr_exits)", () => {
  const { out, m } = runImage("vmx_instr_exits.elf");
  checkTap("vmx_instr_exits", out, 88);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  assert.equal(s.l2ToL1[10], 1, "one CPUID exit reflected");
  assert.equal(s.l2ToL1[13], 1, "one INVD exit");
  assert.equal(s.l2ToL1[11] ?? 0, 0, "GETSEC is #UD, never a GETSEC exit");
  assert.equal(s.l2ToL1[39] ?? 0, 0, "MONITOR is #UD, never a MONITOR exit");
  assert.equal(
    s.l2ToL1[28],
    10,
    "10 control-register exits (CR3 3, CR8 2, CR0 1, CLTS 1, LMSW 2, CR4 1)",
  );
  assert.equal(s.l2ToL1[30], 9, "9 I/O exits");
  assert.ok((s.l2ToL0[30] ?? 0) >= 1, "port 0x61 (bit clear in the I/O bitmap) handled by L0");
  assert.equal(s.l1ToL0[20], 1, "one VMLAUNCH");
  dispose(m);
});

Deno.test("vmx conformance: VMLAUNCH/VMRESUME errors and entry failures (vmx_entry_errors)", () => {
  const { out, m } = runImage("vmx_entry_errors.elf");
  checkTap("vmx_entry_errors", out, 57);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  // 34 VMfails (error 5 three times, 4 twice, 26 once, 16 control and 12 host-state checks),
  // 13 guest-state failures (reason 33), 5 MSR-load failures (reason 34).
  assert.equal(s.failedEntries, 34 + 13 + 5, "failed entries counted");
  assert.equal(s.l2ToL1[18], 3, "three VMCALL exits after good entries");
  dispose(m);
});

Deno.test("vmx conformance: exceptions, interrupts, NMIs, windows, timer, MTF (vmx_events)", () => {
  const { out, m } = runImage("vmx_events.elf");
  checkTap("vmx_events", out, 58);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  assert.equal(
    s.l2ToL1[1],
    5,
    "five external-interrupt exits (three self-IPIs, two LAPIC timer)",
  );
  assert.equal(s.l2ToL1[2], 1, "one triple fault");
  assert.equal(s.l2ToL1[8], 2, "two NMI-window exits");
  assert.equal(
    s.l2ToL1[37],
    6,
    "six MTF exits (two single steps, one with TF, one after #UD delivery, two before an interrupt)",
  );
  assert.equal(s.l2ToL1[52], 6, "six preemption-timer exits");
  dispose(m);
});

Deno.test("vmx conformance: event injection of each type (vmx_inject)", () => {
  const { out, m } = runImage("vmx_inject.elf");
  checkTap("vmx_inject", out, 16);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  assert.equal(s.l2ToL1[0] ?? 0, 1, "only the #GP raised while delivering an injected event exits");
  dispose(m);
});

Deno.test("vmx conformance: EPT violations fixed up by L1, misconfigurations, INVEPT/INVVPID (vmx_ept_faults)", () => {
  const { out, m } = runImage("vmx_ept_faults.elf");
  checkTap("vmx_ept_faults", out, 28);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  assert.equal(
    s.l2ToL1[48],
    6,
    "six EPT violations (read, write, fetch, execute-only read, page walk, IDT gate)",
  );
  assert.equal(s.l2ToL1[49], 2, "two EPT misconfigurations");
  assert.equal(s.l2ToL1[50], 1, "INVEPT in L2");
  assert.equal(s.l2ToL1[53], 1, "INVVPID in L2");
  dispose(m);
});

Deno.test("vmx conformance: L2's port I/O goes to L0's UART, L1 sees only CPUID (vmx_io_l0)", () => {
  const { out, m } = runImage("vmx_io_l0.elf");
  checkTap("vmx_io_l0", out, 5);
  assert.match(out, /^L2: this line went from L2's OUT instructions straight to nestvm's UART$/m);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  assert.equal(s.l2ToL1[10], 5, "five CPUID exits reflected to L1");
  assert.equal(s.l2ToL1[30] ?? 0, 0, "no I/O exit reflected to L1");
  assert.ok(
    (s.l2ToL0[30] ?? 0) >= 72 * 2,
    "L2's UART accesses (LSR polls and THR writes) handled by L0",
  );
  const reflected = Object.entries(s.l2ToL1).filter(([, n]) => (n ?? 0) > 0).map(([r]) =>
    Number(r)
  );
  assert.deepEqual(reflected.sort((a, b) => a - b), [10, 18], "only CPUID and the final VMCALL");
  dispose(m);
});

Deno.test("vmx conformance: 32-bit and PAE L2 under a 64-bit L1 (vmx_l2_modes)", () => {
  const { out, m } = runImage("vmx_l2_modes.elf");
  checkTap("vmx_l2_modes", out, 11);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  assert.equal(s.l2ToL1[10], 2, "CPUID exits from the 32-bit and the 64-bit L2");
  assert.equal(s.failedEntries, 1, "one PDPTE entry failure");
  dispose(m);
});

Deno.test("vmx conformance: real-mode and unpaged protected-mode L2 with unrestricted guest (vmx_unrestricted)", () => {
  const { out, m } = runImage("vmx_unrestricted.elf");
  checkTap("vmx_unrestricted", out, 9);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  assert.equal(s.l2ToL1[10], 1, "one CPUID exit from real mode");
  assert.equal(s.l2ToL1[48], 1, "one EPT violation from real mode");
  assert.equal(s.failedEntries, 2, "two guest-state entry failures (PE without UG, PG without PE)");
  dispose(m);
});

Deno.test("vmx conformance: host state loaded by VM exits, guest MSRs/state saved (vmx_host_state)", () => {
  const { out, m } = runImage("vmx_host_state.elf");
  checkTap("vmx_host_state", out, 13);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  assert.equal(s.l2ToL1[18], 2, "two VMCALL exits");
  assert.equal(s.l2ToL1[31] ?? 0, 0, "no RDMSR exit through the all-clear MSR bitmap");
  dispose(m);
});

Deno.test("vmx conformance: L2 at CPL 3, privilege faults before VM exits (vmx_cpl3)", () => {
  const { out, m } = runImage("vmx_cpl3.elf");
  checkTap("vmx_cpl3", out, 16);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  assert.equal(s.l2ToL1[0], 10, "ten #GP(0) exception exits");
  assert.equal(s.l2ToL1[12] ?? 0, 0, "no HLT exit");
  assert.equal(s.l2ToL1[30] ?? 0, 0, "no I/O exit");
  dispose(m);
});

Deno.test("vmx conformance: exits mid-instruction and single-step stay with L2 (vmx_boundary)", () => {
  const { out, m } = runImage("vmx_boundary.elf");
  checkTap("vmx_boundary", out, 14);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  assert.equal(s.l2ToL1[48], 3, "three EPT violations (LEAVE, ENTER, POP m64)");
  assert.equal(s.l2ToL1[2], 1, "one triple fault");
  assert.equal(s.l2ToL1[0], 1, "one #DB exception exit (pending BS at entry)");
  assert.equal(s.l2ToL1[52], 1, "one preemption-timer exit (after the injected #UD)");
  dispose(m);
});

Deno.test("vmx conformance: XSAVES/XRSTORS control, XCR0 across entry, FPU kept across L1/L2 (vmx_xsave_fpu)", () => {
  const { out, m } = runImage("vmx_xsave_fpu.elf");
  checkTap("vmx_xsave_fpu", out, 12);
  const s = m.services.get(VMX_STATS, "test").snapshot();
  assert.equal(s.l2ToL1[0], 2, "two #UD exception exits (XSAVES, XRSTORS without the control)");
  assert.equal(s.l2ToL1[63] ?? 0, 0, "no XSAVES exit (IA32_XSS = 0)");
  assert.equal(s.l2ToL1[55], 1, "one XSETBV exit");
  dispose(m);
});
