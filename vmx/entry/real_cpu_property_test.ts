import assert from "node:assert/strict";
import fc from "fast-check";
import { runMini } from "./testing_cpu.ts";
import { FIELD_TABLE, FieldType } from "../vmcs12/fields.ts";
import { fuzzRuns } from "../../tests/fuzz_scale.ts";

// Fields L1 may VMWRITE (read-only exit-information fields are refused by VMWRITE).
const WRITABLE = FIELD_TABLE.filter((f) =>
  f.type !== FieldType.ExitInfo && f.name !== "VMCS_LINK_POINTER"
);

Deno.test("property (real CPU): random vmcs12 edits never raise a host exception; L1 sees VMfail, an exit, or L2 runs", () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(WRITABLE.length - 1), fc.nat(), fc.boolean()), {
        minLength: 1,
        maxLength: 4,
      }),
      (edits) => {
        const fields: Record<string, number> = {};
        for (const [i, v, small] of edits) fields[WRITABLE[i].name] = small ? v & 0xff : v >>> 0;
        // L2: a CPUID then VMCALL, so a healthy L2 exits twice.
        const r = runMini({
          l2: "b800000000bb341200000fa24989d80f01c1",
          fields,
          budget: 20000,
          maxExits: 4,
        });
        try {
          assert.ok([0, 1, 3].includes(r.status), `status ${r.status}`);
          if (r.status === 3) {
            assert.ok([7, 8, 26].includes(r.error), `VMfail error ${r.error}`);
            seen.add("vmfail");
          } else if (r.exits.length > 0 && r.exits[0].reason >= 0x80000000) {
            assert.ok([0x80000021, 0x80000022].includes(r.exits[0].reason));
            seen.add("entry-failure");
          } else {
            seen.add("ran");
          }
        } finally {
          r.m.dispose();
        }
      },
    ),
    { seed: 0x1e2, numRuns: fuzzRuns(200) },
  );
  assert.ok(seen.has("vmfail") && seen.has("ran") && seen.has("entry-failure"), [...seen].join());
});
