/**
 * GPRs across VM entry and exit after L1 wrote to port 0xE9 in every form
 * (`tests/vmx/vmx_l2_gprs.c`), with the debug console claiming 0xE9 and
 * with it moved to 0x4e9 so that nobody claims 0xE9 (issue 12's report):
 * both runs must pass all seven checks and give the same output.
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { assertTap } from "./tap.ts";

const IMAGE = new URL("../guests/build/vmx_l2_gprs.elf", import.meta.url);
const dec = new TextDecoder();

/** Run the image; COM1 and (when claimed) 0xE9 share the sink, so the TAP is COM1's lines. */
function run(devices: string[]): { tap: string; owner: string | undefined } {
  let out = "";
  const m = createMachine({
    memoryMiB: 64,
    serial: (b) => (out += dec.decode(b, { stream: true })),
    debugcon: () => {},
    devices,
  });
  const owner = m.bus.portOwner(0xe9);
  bootKernel(m, Deno.readFileSync(IMAGE));
  const r = m.run({ maxInstructions: 20_000_000 });
  m.dispose();
  assert.deepEqual(r.reason, { kind: "exit", status: 1 }, out);
  const tap = out.split("\n").filter((l) => !/^[.\n]*$/.test(l)).join("\n");
  return { tap, owner };
}

Deno.test("vmx_l2_gprs: L2 sees L1's GPRs and L1 reads L2's back, console at 0xE9 or moved away", () => {
  const claimed = run([]);
  const moved = run(["isa-debugcon,iobase=0x4e9"]);
  for (const [name, r] of [["0xE9 claimed", claimed], ["0xE9 unclaimed", moved]] as const) {
    const c = assertTap(r.tap, { plan: 7 }, `vmx_l2_gprs (${name})`);
    assert.equal(c.pass, 7, name);
  }
  assert.equal(moved.tap, claimed.tap, "same TAP either way");
  assert.equal(claimed.owner, "debugcon@0xe9");
  assert.equal(moved.owner, undefined, "nothing claims 0xE9 once the console moved");
});
