/** The demo image (`deno task demo`) run through the API and the CLI. */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { VMX_STATS } from "../vmx/stats.ts";
import { main } from "../cli/main.ts";
import { assertNoPins } from "../mm/testing.ts";
import { assertTap } from "./tap.ts";

const DEMO = new URL("../guests/build/demo.elf", import.meta.url);

Deno.test("demo: L1 launches L2, handles its exits, fixes an EPT violation, exits cleanly", async () => {
  let out = "";
  const dec = new TextDecoder();
  const m = createMachine({ memoryMiB: 128, serial: (b) => (out += dec.decode(b)) });
  bootKernel(m, await Deno.readFile(DEMO));
  const r = m.run({ maxInstructions: 50_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: 1 }, out);
  assertTap(out, { plan: 13 }, "demo");
  assert.match(out, /L2: hello from the nested guest/);
  assert.match(out, /L2: read 0x600dcafe from a page L1 mapped on demand/);
  assert.match(out, /ok 13 - CR4.VMXE cleared after VMXOFF/);
  const stats = m.services.get(VMX_STATS, "test");
  const s = stats.snapshot();
  assert.equal(s.l2ToL1[10], 2, "two CPUID exits reflected to L1");
  assert.equal(s.l2ToL1[12], 1, "HLT");
  assert.equal(s.l2ToL1[16], 1, "RDTSC");
  assert.equal(s.l2ToL1[18], 1, "VMCALL");
  assert.equal(s.l2ToL1[48], 1, "EPT violation");
  assert.ok((s.l2ToL0[30] ?? 0) > 0, "L2's UART output handled by L0");
  assert.equal(s.l1ToL0[20], 1, "one VMLAUNCH");
  assert.equal(s.entries, 6);
  m.dispose();
  assertNoPins(m.memory);
});

Deno.test("demo: the CLI prints the exit table and exits 0", async () => {
  let out = "";
  const dec = new TextDecoder();
  const status = await main(["--demo"], {
    stdout: (b) => (out += dec.decode(b)),
    stderr: () => {},
    cwd: Deno.cwd(),
  });
  assert.equal(status, 0);
  assert.match(out, /VM exits by basic reason and level/);
  assert.match(out, /48 EPT violation\s+1\s+0\s+0/);
  assert.match(out, /instructions retired: [\d,]+/);
  assert.match(out, /MIPS: [\d.]+/);
  // The README's transcript shows this run: its statistics lines, but for
  // the host-dependent wall time and MIPS, are what the CLI prints.
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const block = readme.split("── nestvm statistics ──\n")[1].split("```")[0];
  const lines = block.split("\n").filter((l) => l !== "" && !l.startsWith("wall time:"));
  assert.ok(lines.length > 10 && lines.some((l) => l.startsWith("block compiler:")));
  const printed = out.split("\n").map((l) => l.trimEnd());
  for (const l of lines) assert.ok(printed.includes(l), `README line not printed: ${l}`);
});

Deno.test("demo: --jit-hot sets the block compiler's threshold", async () => {
  const regions = async (extra: string[]): Promise<number> => {
    let out = "";
    const dec = new TextDecoder();
    const status = await main(["--demo", ...extra], {
      stdout: (b) => (out += dec.decode(b)),
      stderr: () => {},
      cwd: Deno.cwd(),
    });
    assert.equal(status, 0);
    const m = out.match(/block compiler: (\d+) regions/);
    assert.ok(m, out);
    return Number(m[1]);
  };
  // The demo is too short for the default threshold; a low one compiles its loops.
  assert.equal(await regions([]), 0);
  assert.ok(await regions(["--jit-hot", "2"]) > 0);
});
