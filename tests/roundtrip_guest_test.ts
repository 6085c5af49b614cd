/** roundtrip64.elf (the nested round-trip workload of bench/peers_compare.ts) on nestvm. */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { VMX_STATS } from "../vmx/stats.ts";

const IMAGE = new URL("../guests/build/roundtrip64.elf", import.meta.url);

for (const n of [1, 300]) {
  Deno.test(`roundtrip64.elf: ${n} CPUID exits, each resumed past the CPUID`, async () => {
    let out = "";
    const dec = new TextDecoder();
    const m = createMachine({ memoryMiB: 128, serial: (b) => (out += dec.decode(b)) });
    bootKernel(m, await Deno.readFile(IMAGE), { cmdline: `iterations=${n}` });
    const r = m.run({ maxInstructions: 20_000_000 });
    assert.deepEqual(r.reason, { kind: "exit", status: 1 }, out);
    assert.match(out, new RegExp(`roundtrip: iterations=${n} reason=10 l2_loops=${n}\\n`));
    const s = m.services.get(VMX_STATS, "test").snapshot();
    assert.equal(s.l2ToL1[10], n, "CPUID exits reflected to L1");
    assert.equal(s.l1ToL0[20], 1, "one VMLAUNCH");
    assert.equal(s.l1ToL0[24] ?? 0, n - 1, "a VMRESUME for each exit but the last");
    m.dispose();
  });
}
