/**
 * Claims of README.md that name values or output of the code: the demo's
 * transcript (its guest lines, not the host's timings), the default
 * scheduling quantum and block-compiler threshold, the stall figures of virtual time, and the command
 * CI runs for the Linux boot.
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { DEFAULT_QUANTUM } from "../core/machine.ts";
import { DEFAULT_HOT } from "../cpu/jit/engine.ts";
import { CACHE_FLUSH_NS, PAUSE_NS, PORT_IO_NS, SERIALIZING_NS } from "../core/stall.ts";
import { HYPERCALL_NS } from "../plugins/kvm_pv/plugin.ts";
import { VM_EXIT_NS } from "../vmx/exit/vmexit.ts";

const root = new URL("../", import.meta.url);
const README = Deno.readTextFileSync(new URL("README.md", root));

Deno.test("README: the demo transcript's guest lines are what the demo prints", async () => {
  const block = README.split("```text\n")[1].split("```")[0];
  const guestLines = block.split("\n").filter((l) => /^(L1|L2|ok \d|# |1\.\.)/.test(l));
  assert.ok(guestLines.length > 30, `${guestLines.length} lines`);
  let out = "";
  const dec = new TextDecoder();
  const m = createMachine({ memoryMiB: 128, serial: (b) => (out += dec.decode(b)) });
  bootKernel(m, await Deno.readFile(new URL("guests/build/demo.elf", root)));
  m.run({ maxInstructions: 50_000_000 });
  m.dispose();
  const printed = out.split("\n").map((l) => l.trimEnd());
  assert.deepEqual(
    guestLines,
    printed.filter((l) => guestLines.includes(l)),
  );
});

Deno.test("README: the --quantum row names the default quantum", () => {
  const row = README.split("\n").find((l) => l.includes("`--quantum N`"));
  assert.ok(row !== undefined);
  assert.match(row, new RegExp(`\\(${DEFAULT_QUANTUM}\\)`));
});

Deno.test("README: the --jit-hot row and the execution paragraph name the default threshold", () => {
  const row = README.split("\n").find((l) => l.includes("`--jit-hot N`"));
  assert.ok(row !== undefined);
  assert.match(row, new RegExp(`\\(${DEFAULT_HOT}\\)`));
  assert.match(README, new RegExp(`an instruction reached ${DEFAULT_HOT} times, \`--jit-hot\``));
});

Deno.test("README: the stall figures are the constants' values", () => {
  const text = README.replace(/\s+/g, " ");
  assert.ok(text.includes(`\`CACHE_FLUSH_NS\`, ${CACHE_FLUSH_NS / 1000} µs`), "CACHE_FLUSH_NS");
  assert.ok(text.includes(`\`PAUSE_NS\`, ${PAUSE_NS} ns`), "PAUSE_NS");
  assert.ok(text.includes(`\`VM_EXIT_NS\`, ${VM_EXIT_NS} ns`), "VM_EXIT_NS");
  assert.ok(text.includes(`\`SERIALIZING_NS\`, ${SERIALIZING_NS} ns`), "SERIALIZING_NS");
  assert.ok(text.includes(`\`PORT_IO_NS\`, ${PORT_IO_NS / 1000} µs`), "PORT_IO_NS");
  assert.ok(text.includes(`\`--kvm-pv\` hypercall ${HYPERCALL_NS} ns`), "HYPERCALL_NS");
  assert.ok(
    text.includes(`A hypercall takes ${HYPERCALL_NS} ns of virtual time`),
    "kvm-pv section",
  );
});

Deno.test("README: CI runs the Linux boot with its snapshot check, as the README says", () => {
  assert.match(README, /CI runs `deno task linux --pvh --check-snapshot`/);
  const ci = Deno.readTextFileSync(new URL(".ci/run", root));
  assert.match(ci, /\nlinux_check --pvh --check-snapshot\n/);
});

Deno.test("README: CI boots Linux with --kvm-pv on two vCPUs and expects kvm-clock", () => {
  const text = README.replace(/\s+/g, " ");
  assert.ok(text.includes("CI checks it (`deno task linux --pvh --kvm-pv --smp 2 --expect"));
  const ci = Deno.readTextFileSync(new URL(".ci/run", root)).replace(/\\\n\s*/g, "");
  assert.match(
    ci,
    /\nlinux_check --pvh --kvm-pv --smp 2 --expect clocksource=kvm-clock --expect client-exit=0 --expect power-off\n/,
  );
});
