/**
 * The fp64 guest (guests/src/fp/: n-body, matrix multiply, string↔double,
 * conversions, MXCSR rounding modes, FTZ/DAZ, vectorised loops; gcc -O2
 * with SSE2) must print exactly what the same C prints when compiled for
 * and run on the host (tests/data/fp_host_output.txt, written by
 * tools/fp-host/record.sh on an AMD EPYC). The fpbench64 benchmark guest
 * (the same kernels, repeated) is compared with its host twin built here.
 */

import assert from "node:assert/strict";
import { hasGcc, hostComparisonTests } from "./host_output.ts";
import { runGuest } from "./engine_diff.ts";

hostComparisonTests({
  name: "fp64",
  image: "fp64.elf",
  hostOutput: "fp_host_output.txt",
  recorder: "fp-host/record.sh",
  contains: "nbody e1",
  lastLine: "fp done",
});

Deno.test({
  name: "fpbench64 (jit, iterations=3) prints what fp_bench_host.c prints on this host (needs gcc)",
  ignore: !hasGcc,
  fn: () => {
    // The benchmark `peers_compare.ts --fp` checks every emulator's output this way.
    const bin = Deno.makeTempFileSync();
    try {
      const src = new URL("../guests/src/fp/", import.meta.url).pathname;
      const cc = new Deno.Command("gcc", {
        args: [
          "-O2",
          "-std=gnu11",
          "-fno-math-errno",
          "-o",
          bin,
          `${src}fpwork.c`,
          `${src}fp_bench_host.c`,
        ],
      }).outputSync();
      assert.ok(cc.success, new TextDecoder().decode(cc.stderr));
      const host = new TextDecoder().decode(
        new Deno.Command(bin, { args: ["3"] }).outputSync().stdout,
      );
      const run = runGuest("fpbench64.elf", "jit", { cmdline: "iterations=3" });
      assert.equal(run.stop, "exit 1");
      assert.ok(run.compiled > 1_000_000, `compiled ${run.compiled}`);
      assert.equal(run.output.replaceAll("\r", ""), host);
      assert.ok(host.endsWith("fp bench done\n"));
    } finally {
      Deno.removeSync(bin);
    }
  },
});
