/**
 * The fp64 guest (guests/src/fp/: n-body, matrix multiply, string↔double,
 * conversions, MXCSR rounding modes, FTZ/DAZ, vectorised loops; gcc -O2
 * with SSE2) must print exactly what the same C prints when compiled for
 * and run on the host (tests/data/fp_host_output.txt, written by
 * tools/fp-host/record.sh on an AMD EPYC).
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";

function runGuest(): { output: string; stop: string } {
  const image = Deno.readFileSync(new URL("../guests/build/fp64.elf", import.meta.url));
  let output = "";
  const dec = new TextDecoder();
  const m = createMachine({ serial: (b) => (output += dec.decode(b, { stream: true })) });
  try {
    bootKernel(m, image, { cmdline: "" });
    const r = m.run({ maxInstructions: 400_000_000 });
    return { output, stop: r.reason.kind };
  } finally {
    m.dispose?.();
  }
}

const HOST = new URL("./data/fp_host_output.txt", import.meta.url);

Deno.test("fp64 guest prints the host's output byte for byte", () => {
  const want = Deno.readTextFileSync(HOST);
  assert.ok(want.includes("nbody e1") && want.endsWith("fp done\n"));
  const { output, stop } = runGuest();
  assert.equal(stop, "exit");
  assert.equal(output, want);
});

const hasGcc = (() => {
  try {
    return new Deno.Command("gcc", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "committed host output is what this host's gcc build prints (needs gcc)",
  ignore: !hasGcc,
  fn: () => {
    const tmp = Deno.makeTempFileSync();
    try {
      const r = new Deno.Command("sh", {
        args: [new URL("../tools/fp-host/record.sh", import.meta.url).pathname, tmp],
      }).outputSync();
      assert.ok(r.success, new TextDecoder().decode(r.stderr));
      assert.equal(Deno.readTextFileSync(tmp), Deno.readTextFileSync(HOST));
    } finally {
      Deno.removeSync(tmp);
    }
  },
});
