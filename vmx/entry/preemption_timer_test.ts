/**
 * The VMX-preemption timer counts TSC bit-X transitions (SDM Vol. 3C
 * 26.5.1): entered at a TSC that is not a multiple of 2^X, the first count
 * comes at the next transition, so the exit is due at the aligned
 * deadline, and an earlier exit saves the transitions still to come.
 */
import assert from "node:assert/strict";
import { EXIT, PIN } from "../controls.ts";
import { CAPS } from "./check_controls.ts";
import { entryFixture, GUEST_RIP } from "./testing.ts";
import { l2Cpuid, offerL2 } from "../testing.ts";
import { VM_EXIT_NS } from "../exit/vmexit.ts";

function timerFixture(value: number) {
  const f = entryFixture();
  f.set("PIN_BASED_VM_EXEC_CONTROL", CAPS.pin.must1 | PIN.PREEMPTION_TIMER);
  f.set(
    "VM_EXIT_CONTROLS",
    CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE | EXIT.SAVE_PREEMPTION_TIMER,
  );
  f.set("VMX_PREEMPTION_TIMER_VALUE", value);
  return f;
}

/** L2's CPUID at GUEST_RIP (2 bytes) exits to L1. */
function exitByCpuid(f: ReturnType<typeof timerFixture>): void {
  f.h.vcpu.rip = GUEST_RIP + 2;
  offerL2(f.h, l2Cpuid());
}

Deno.test("preemption timer: entered between two TSC bit-5 transitions, it expires at the aligned deadline", () => {
  const f = timerFixture(10);
  const clock = f.n.clock!;
  clock.advanceTo(1000 * 32 + 20); // TSC 32020: 12 ticks before the next bit-5 change
  f.launch();
  const deadline = (1000 + 10) * 32;
  clock.advanceTo(deadline - 1);
  assert.equal(f.h.vcpu.nonRoot, true, "not yet");
  clock.advanceTo(deadline);
  assert.equal(f.h.vcpu.nonRoot, false, "exit at the tenth transition, not 10 * 32 ticks later");
  assert.equal(f.get("VM_EXIT_REASON"), 52);
});

Deno.test("preemption timer: an earlier exit saves the bit-5 transitions still to come", () => {
  const f = timerFixture(10);
  const clock = f.n.clock!;
  clock.advanceTo(2000 * 32 + 5);
  f.launch();
  clock.advanceTo(2003 * 32 + 31); // three transitions seen, seven to come
  exitByCpuid(f);
  assert.equal(f.h.vcpu.nonRoot, false);
  assert.equal(f.get("VMX_PREEMPTION_TIMER_VALUE"), 7);
});

Deno.test("preemption timer: a VM exit right after entry has counted the exit's latency (VM_EXIT_NS)", () => {
  const f = timerFixture(10);
  const clock = f.n.clock!;
  // The fake vCPU's stalls advance this clock, as the machine's do.
  (f.h.vcpu as { stall: (ns: number) => void }).stall = (ns) => clock.advanceTo(clock.now + ns);
  clock.advanceTo(3000 * 32 + 1);
  f.launch();
  // No L2 instruction retires: the first one exits (CPUID).
  exitByCpuid(f);
  assert.equal(f.h.vcpu.nonRoot, false);
  const expected = Math.ceil(((3000 + 10) * 32 - (3000 * 32 + 1 + VM_EXIT_NS)) / 32);
  assert.equal(f.get("VMX_PREEMPTION_TIMER_VALUE"), expected);
  assert.ok(expected < 10, "the saved value is below the value loaded");
});
