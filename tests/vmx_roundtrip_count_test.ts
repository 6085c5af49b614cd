/**
 * Guest-level test: instructions retired per nested CPUID round trip (L2
 * CPUID exits to L1, which reads the exit, advances the guest RIP and
 * resumes). The CPUID that exits does not retire (SDM Vol. 3C 27.1: the VM
 * exit happens instead), and neither does the VMRESUME whose VM entry
 * switches to L2 (nestvm abandons both instructions for the switch): a round
 * trip is L2's JMP and XOR plus L1's eight instructions before VMRESUME,
 * 10 in all. This is the count the engines gave when an abandoned
 * instruction unwound through an exception; it guards the path that
 * abandons without one (`Cpu.abandonForExit`). Checked under both engines;
 * the difference between two runs removes the set-up.
 */

import assert from "node:assert/strict";
import { roundTrips } from "../bench/vmx_roundtrip_bench.ts";

for (const engine of ["interp", "jit"]) {
  Deno.test(`nested CPUID round trip retires 10 instructions (${engine})`, () => {
    const prev = Deno.env.get("NESTVM_ENGINE");
    Deno.env.set("NESTVM_ENGINE", engine);
    try {
      const a = roundTrips(300);
      const b = roundTrips(1300);
      assert.equal(a.roundTrips, 300);
      assert.equal(b.roundTrips, 1300);
      assert.equal(a.lastReason, 10);
      assert.equal((b.retired - a.retired) / 1000, 10);
    } finally {
      if (prev === undefined) Deno.env.delete("NESTVM_ENGINE");
      else Deno.env.set("NESTVM_ENGINE", prev);
    }
  });
}
