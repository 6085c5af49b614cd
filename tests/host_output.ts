/**
 * Guests that must print what the same C prints on the host: one pair of
 * tests per guest — the guest's serial output equals the committed host
 * output, and (when gcc is present) the committed host output is what this
 * host's build prints now.
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";

/** One guest compared with its host build. */
export interface HostComparedGuest {
  /** Short name used in test names (e.g. "fp64"). */
  readonly name: string;
  /** Image under guests/build/. */
  readonly image: string;
  /** Committed host output under tests/data/. */
  readonly hostOutput: string;
  /** Script under tools/ that builds and runs the C on the host, writing its output to $1. */
  readonly recorder: string;
  /** Text the host output must contain (a sanity check of the committed file). */
  readonly contains: string;
  /** Its last line. */
  readonly lastLine: string;
}

function runGuest(image: string): { output: string; stop: string } {
  const bytes = Deno.readFileSync(new URL(`../guests/build/${image}`, import.meta.url));
  let output = "";
  const dec = new TextDecoder();
  const m = createMachine({ serial: (b) => (output += dec.decode(b, { stream: true })) });
  try {
    bootKernel(m, bytes, { cmdline: "" });
    const r = m.run({ maxInstructions: 400_000_000 });
    return { output, stop: r.reason.kind };
  } finally {
    m.dispose();
  }
}

/** Whether gcc runs on this host (the host-build comparisons need it). */
export const hasGcc: boolean = (() => {
  try {
    return new Deno.Command("gcc", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** Register the two tests for `g`. */
export function hostComparisonTests(g: HostComparedGuest): void {
  const host = new URL(`./data/${g.hostOutput}`, import.meta.url);
  Deno.test(`${g.name} guest prints the host's output byte for byte`, () => {
    const want = Deno.readTextFileSync(host);
    assert.ok(want.includes(g.contains) && want.endsWith(`${g.lastLine}\n`));
    const { output, stop } = runGuest(g.image);
    assert.equal(stop, "exit");
    assert.equal(output, want);
  });
  Deno.test({
    name: `committed ${g.name} host output is what this host's gcc build prints (needs gcc)`,
    ignore: !hasGcc,
    fn: () => {
      const tmp = Deno.makeTempFileSync();
      try {
        const r = new Deno.Command("sh", {
          args: [new URL(`../tools/${g.recorder}`, import.meta.url).pathname, tmp],
        }).outputSync();
        assert.ok(r.success, new TextDecoder().decode(r.stderr));
        assert.equal(Deno.readTextFileSync(tmp), Deno.readTextFileSync(host));
      } finally {
        Deno.removeSync(tmp);
      }
    },
  });
}
