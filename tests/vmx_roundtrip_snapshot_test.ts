/**
 * Snapshots of the nested round-trip guest (bench/vmx_roundtrip_bench.ts)
 * taken while L2 runs: the current vmcs12 then lives in the VMX plugin's
 * cache, with VMWRITEs (guest RIP) not yet in guest memory. A snapshot must
 * carry them (the plugin writes the cache back when its state is saved),
 * and the restored machine must finish exactly as the uninterrupted run:
 * same registers, same instruction count, same RAM (the VMCS region
 * included). Checked under both engines.
 */

import assert from "node:assert/strict";
import { restoreMachine, saveMachine } from "../core/snapshot/machine_snapshot.ts";
import { newPcMachine } from "../plugins/pc_machine.ts";
import { roundTripMachine, roundTripMachineOptions } from "../bench/vmx_roundtrip_bench.ts";
import { assertNoPins } from "../mm/testing.ts";
import { F } from "../vmx/vmcs12/fields.ts";
import { fieldOffset } from "../vmx/vmcs12/layout.ts";

const TRIPS = 400;
const VMCS = 0x121000;
const BUDGET = 100 * TRIPS + 100000;

type M = ReturnType<typeof roundTripMachine>;

/** Everything observable at the end of a run. */
function finalState(m: M) {
  // Write the (still current) vmcs12 back so that RAM shows its data.
  m.savePluginStates();
  const ram = m.memory.readBytes(0x100000, 0x50000);
  return {
    rip: m.cpu.rip,
    gpr: [...m.cpu.gpr],
    retired: m.cpu.retired,
    ram,
  };
}

for (const engine of ["interp", "jit"]) {
  Deno.test(`round-trip guest: a snapshot taken in L2 with a dirty vmcs12 cache restores identically (${engine})`, async () => {
    const prev = Deno.env.get("NESTVM_ENGINE");
    Deno.env.set("NESTVM_ENGINE", engine);
    try {
      const full = roundTripMachine(TRIPS);
      full.run({ maxInstructions: BUDGET });
      const expected = finalState(full);
      assert.equal(full.memory.read(0x110208, 4), 1, "the guest finished");
      full.dispose();
      for (const cut of [1234, 2000, 3333]) {
        const a = roundTripMachine(TRIPS);
        a.run({ maxInstructions: cut });
        for (let i = 0; i < 50 && !a.cpu.nonRoot; i++) a.run({ maxInstructions: 1 });
        assert.ok(a.cpu.nonRoot, `in L2 at the cut (${cut})`);
        // L1 advanced the guest RIP with VMWRITE since the VMCS became current:
        // the cache holds it, guest memory not yet.
        const ripOff = VMCS + fieldOffset(F.GUEST_RIP);
        const before = a.memory.read(ripOff, 4);
        const bytes = await saveMachine(a);
        assert.notEqual(a.memory.read(ripOff, 4), before, "saving wrote the cache back");
        a.dispose();
        assertNoPins(a.memory);
        const b = await restoreMachine(bytes, () => newPcMachine(roundTripMachineOptions()));
        assert.ok(b.cpu.nonRoot, "restored in L2");
        b.run({ maxInstructions: BUDGET });
        const got = finalState(b);
        b.dispose();
        assertNoPins(b.memory);
        assert.equal(got.rip, expected.rip);
        assert.deepEqual(got.gpr, expected.gpr);
        assert.equal(got.retired, expected.retired);
        assert.deepEqual(got.ram, expected.ram, `RAM after the restored run (cut ${cut})`);
      }
    } finally {
      if (prev === undefined) Deno.env.delete("NESTVM_ENGINE");
      else Deno.env.set("NESTVM_ENGINE", prev);
    }
  });
}
