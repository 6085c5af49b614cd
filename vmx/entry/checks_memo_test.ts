/**
 * The memo of the VM-entry checks (vmcs12/cache.ts) against the full checks:
 * after any sequence of VMWRITEs, VM exits and host EFER.LMA changes, every
 * VMRESUME must end exactly as checkControls / checkHost / checkGuest run
 * on the same VMCS say.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { entryFixture, GUEST_RIP } from "./testing.ts";
import { offerL2 } from "../testing.ts";
import { checkControls } from "./check_controls.ts";
import { checkHost } from "./check_host.ts";
import { checkGuest } from "./check_guest.ts";
import { F, FIELD_TABLE } from "../vmcs12/fields.ts";
import { checksStillPass } from "../vmcs12/cache.ts";
import { fuzzRuns } from "../../tests/fuzz_scale.ts";

type Fixture = ReturnType<typeof entryFixture>;

/** Fields whose effects the full checks do not describe (MSR lists load or store memory). */
const SKIP = new Set<number>([
  F.VM_ENTRY_MSR_LOAD_COUNT,
  F.VM_EXIT_MSR_STORE_COUNT,
  F.VM_EXIT_MSR_LOAD_COUNT,
]);
const FIELDS = FIELD_TABLE.filter((f) => !SKIP.has(f.encoding));

/** What the full checks say a VMRESUME of the current VMCS does. */
function expected(f: Fixture): string {
  const d = f.vmcs.view;
  const n = f.n;
  if (checkControls(d, undefined, n.features, n.mem) !== null) return "failValid 7";
  if (checkHost(d, (f.h.vcpu.efer & 0x400) !== 0, n.features) !== null) return "failValid 8";
  if (checkGuest(d, n.mem, n.features, n.state.current?.ptr ?? -1) >= 0) return "entry failure";
  return "entered";
}

/** What the VMRESUME did. */
function resume(f: Fixture): string {
  f.vmcs.vmwrite(F.VM_EXIT_REASON, 0, 0);
  const o = f.launch(true);
  if (o.kind === "failValid") return `failValid ${o.error}`;
  assert.equal(o.kind, "reflected", JSON.stringify(o));
  if (f.h.vcpu.nonRoot) return "entered";
  // Back in L1 at once: an entry failure (bit 31), or an exit before any L2 instruction.
  return (f.get("VM_EXIT_REASON") & 0x80000000) !== 0 ? "entry failure" : "entered";
}

/** One step: VMWRITE (a bit flipped or a small value), a host EFER.LMA flip, or nothing. */
const step = fc.oneof(
  fc.record({
    kind: fc.constant("flip" as const),
    field: fc.nat(FIELDS.length - 1),
    bit: fc.nat(63),
  }),
  fc.record({
    kind: fc.constant("small" as const),
    field: fc.nat(FIELDS.length - 1),
    value: fc.nat(0xff),
  }),
  fc.record({ kind: fc.constant("lma" as const) }),
  fc.record({ kind: fc.constant("rip" as const), value: fc.nat(0xfff) }),
  fc.record({ kind: fc.constant("none" as const) }),
);

Deno.test("property: with the checks memo, every VMRESUME ends as the full checks say", () => {
  let memoized = 0;
  const outcomes = new Set<string>();
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
      const f = entryFixture();
      assert.equal(f.launch().kind, "reflected");
      assert.ok(f.h.vcpu.nonRoot, "the fixture's VMCS enters");
      for (const s of steps) {
        if (f.h.vcpu.nonRoot) {
          // Any VM exit back to L1 (triple fault: unconditional).
          offerL2(f.h, { level: 2, kind: "triple-fault", instructionLength: 0 });
          assert.equal(f.h.vcpu.nonRoot, false);
        }
        if (s.kind === "flip" || s.kind === "small") {
          const field = FIELDS[s.field];
          const o = { lo: 0, hi: 0 };
          f.vmcs.vmread(field.encoding, o);
          if (s.kind === "small") f.vmcs.vmwrite(field.encoding, s.value, 0);
          else if (s.bit < 32) f.vmcs.vmwrite(field.encoding, o.lo ^ (1 << s.bit), o.hi);
          else f.vmcs.vmwrite(field.encoding, o.lo, o.hi ^ (1 << (s.bit - 32)));
        } else if (s.kind === "lma") {
          f.h.vcpu.efer = (f.h.vcpu.efer ^ 0x400) >>> 0;
        } else if (s.kind === "rip") {
          f.set("GUEST_RIP", GUEST_RIP + s.value);
        }
        if ((f.h.vcpu.efer & 0x400) !== 0 && checksStillPass(f.vmcs.view, 1)) memoized++;
        else if ((f.h.vcpu.efer & 0x400) === 0 && checksStillPass(f.vmcs.view, 0)) memoized++;
        const want = expected(f);
        const got = resume(f);
        outcomes.add(got);
        assert.equal(got, want, `after ${JSON.stringify(s)}`);
      }
    }),
    { seed: 0x3e30, numRuns: fuzzRuns(200) },
  );
  // The property covered the memo and every kind of outcome.
  assert.ok(memoized > 50, `memoized entries: ${memoized}`);
  assert.deepEqual(
    [...outcomes].sort(),
    ["entered", "entry failure", "failValid 7", "failValid 8"],
  );
});

Deno.test("checks memo: a VM exit that changes a tracked guest field makes the next entry check it", () => {
  const f = entryFixture();
  assert.equal(f.launch().kind, "reflected");
  offerL2(f.h, { level: 2, kind: "triple-fault", instructionLength: 0 });
  assert.ok(f.launch(true).kind === "reflected" && f.h.vcpu.nonRoot, "entered");
  assert.ok(checksStillPass(f.vmcs.view, 1), "memo recorded");
  // L2 sets a reserved bit of RFLAGS behind the fake CPU's back; the exit saves it.
  f.h.vcpu.rflags = 0x8002;
  offerL2(f.h, { level: 2, kind: "triple-fault", instructionLength: 0 });
  assert.equal(f.get("GUEST_RFLAGS"), 0x8002);
  assert.ok(!checksStillPass(f.vmcs.view, 1), "the saved RFLAGS changed: memo dropped");
  assert.equal(resume(f), "entry failure");
});
