/**
 * The multiprocessor MIPS workload (guests/build/smp_bench64.elf, timed by
 * bench/smp_mips.ts) computes on every vCPU what the host model of the W1
 * loop computes, and each vCPU retires its share of the loop instructions.
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { benchChecksum, INSTRUCTIONS_PER_ITERATION } from "../guests/src/bench/model.ts";

const IMAGE = Deno.readFileSync(new URL("../guests/build/smp_bench64.elf", import.meta.url));
const ITERATIONS = 20_000;

for (const smp of [1, 3]) {
  Deno.test(`smp bench guest: -smp ${smp} gives the host model's checksum on every vCPU`, () => {
    let out = "";
    const m = createMachine({
      smp,
      serial: (b) => (out += new TextDecoder().decode(b)),
    });
    bootKernel(m, IMAGE, { cmdline: `iterations=${ITERATIONS}` });
    const r = m.run({ maxInstructions: 50_000_000 });
    assert.equal(r.reason.kind, "exit", `${JSON.stringify(r.reason)}\n${out}`);
    const want = benchChecksum(64, ITERATIONS).toString(16);
    assert.match(out, new RegExp(`vcpus=${smp} iterations=${ITERATIONS} `));
    assert.match(out, new RegExp(`checksum=0x${want} all-equal`), out);
    for (const [i, c] of m.cpus.entries()) {
      assert.ok(
        c.retired > ITERATIONS * INSTRUCTIONS_PER_ITERATION,
        `vCPU ${i} retired ${c.retired}`,
      );
    }
    m.dispose();
  });
}
