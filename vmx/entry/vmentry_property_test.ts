import assert from "node:assert/strict";
import fc from "fast-check";
import { entryFixture } from "./testing.ts";
import { offerL2 } from "../testing.ts";
import { FIELD_TABLE } from "../vmcs12/fields.ts";
import { LAYOUT_END, OFF_FIELDS } from "../vmcs12/layout.ts";
import { fuzzRuns } from "../../tests/fuzz_scale.ts";

type Outcome = "failValid" | "failInvalid" | "entry-failure" | "running";

function classify(f: ReturnType<typeof entryFixture>, o: { kind: string }): Outcome {
  if (o.kind === "failValid" || o.kind === "failInvalid") return o.kind;
  assert.equal(o.kind, "reflected", `unexpected outcome ${JSON.stringify(o)}`);
  if (f.h.vcpu.nonRoot) return "running";
  // An entry failure (or an immediate exit, e.g. pending MTF) returned to L1:
  // the exit loaded RIP from the host-state area (SDM 27.5.3), whatever the edits put there.
  assert.equal(f.h.vcpu.rip, f.get64("HOST_RIP"), "RIP loaded from HOST_RIP");
  return "entry-failure";
}

Deno.test("property: random field values at VMLAUNCH end in VMfail, an entry-failure exit or a running L2", () => {
  const seen = new Set<Outcome>();
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.nat(FIELD_TABLE.length - 1), fc.nat(), fc.nat(), fc.boolean()),
        { minLength: 1, maxLength: 6 },
      ),
      (edits) => {
        const f = entryFixture();
        for (const [i, a, b, small] of edits) {
          const field = FIELD_TABLE[i];
          // Small values hit more interesting paths than uniform 32-bit noise.
          const lo = small ? a & 0xff : a >>> 0;
          f.vmcs.vmwrite(field.encoding, lo, small ? 0 : b >>> 0);
        }
        const outcome = classify(f, f.launch());
        seen.add(outcome);
        if (outcome === "running") {
          // And back: any exit must land in L1 (or a VMX abort shutdown), never throw.
          offerL2(f.h, { level: 2, kind: "triple-fault", instructionLength: 0 });
          assert.equal(f.h.vcpu.nonRoot, false);
        }
      },
    ),
    { seed: 0x5eed, numRuns: fuzzRuns(150) },
  );
  assert.ok(
    seen.has("failValid") && seen.has("running") && seen.has("entry-failure"),
    [...seen].join(),
  );
});

Deno.test("property: a region of random bytes at VMLAUNCH never throws in the host", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: LAYOUT_END - OFF_FIELDS, maxLength: LAYOUT_END - OFF_FIELDS }),
      (bytes) => {
        const f = entryFixture();
        f.vmcs.bytes.set(bytes, OFF_FIELDS);
        const o = f.launch();
        classify(f, o);
      },
    ),
    { seed: 0xbad, numRuns: fuzzRuns(40) },
  );
});
