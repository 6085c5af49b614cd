/**
 * The x87 guest (guests/src/x87/: long double series, Newton iterations,
 * factorial and FBSTP, decimal formatting in C, rounding and precision
 * control, special values and exception flags, transcendental instructions
 * through inline asm; gcc -O2 with -m80387) must print exactly what the same
 * C prints when compiled for and run on the host
 * (tests/data/x87_host_output.txt, written by tools/x87-host/record.sh on an
 * AMD EPYC, family 26).
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";

function runGuest(): { output: string; stop: string } {
  const image = Deno.readFileSync(new URL("../guests/build/x87_64.elf", import.meta.url));
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

const HOST = new URL("./data/x87_host_output.txt", import.meta.url);

Deno.test("x87 guest prints the host's output byte for byte", () => {
  const want = Deno.readTextFileSync(HOST);
  assert.ok(want.includes("basel ") && want.endsWith("x87 done\n"));
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
  name: "committed x87 host output is what this host's gcc build prints (needs gcc)",
  ignore: !hasGcc,
  fn: () => {
    const tmp = Deno.makeTempFileSync();
    try {
      const r = new Deno.Command("sh", {
        args: [new URL("../tools/x87-host/record.sh", import.meta.url).pathname, tmp],
      }).outputSync();
      assert.ok(r.success, new TextDecoder().decode(r.stderr));
      assert.equal(Deno.readTextFileSync(tmp), Deno.readTextFileSync(HOST));
    } finally {
      Deno.removeSync(tmp);
    }
  },
});
