/**
 * A VMX abort (SDM Vol. 3C 28.7) is reported as such (issue 20, defect 3):
 * the guest `tests/vmx/vmx_abort.c` makes a VM exit whose MSR-store list
 * names IA32_SMBASE, which the exit cannot store (28.4). The run must end
 * with the "vmx-abort" reason carrying indicator 1 and the VMCS pointer,
 * the indicator must be in the VMCS region at offset 4, the processor
 * must be shut down, and the CLI must exit with its own status 18 and say
 * why on stderr. (Before the fix: reason "shutdown", status 0, no message.)
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { EXIT_CODES, exitCodeFor } from "../core/run_result.ts";
import { main } from "../cli/main.ts";
import { assertNoPins } from "../mm/testing.ts";

const IMAGE = new URL("../guests/build/vmx_abort.elf", import.meta.url);
const dec = new TextDecoder();

Deno.test("vmx abort: an exit MSR-store list naming IA32_SMBASE ends the run as a VMX abort", async () => {
  let out = "";
  const m = createMachine({ memoryMiB: 64, serial: (b) => (out += dec.decode(b)) });
  bootKernel(m, await Deno.readFile(IMAGE));
  const r = m.run({ maxInstructions: 20_000_000 });
  const ptr = /^# vmcs 0x([0-9a-f]+):/m.exec(out);
  assert.ok(ptr, out);
  const vmcs = parseInt(ptr[1], 16);
  assert.deepEqual(r.reason, { kind: "vmx-abort", indicator: 1, vmcsPointer: vmcs }, out);
  assert.doesNotMatch(out, /Bail out!/);
  assert.equal(m.memory.read(vmcs + 4, 4), 1, "abort indicator at offset 4 of the VMCS region");
  assert.equal(m.cpu.activity, "shutdown");
  assert.equal(exitCodeFor(r.reason), EXIT_CODES.vmxAbort);
  assert.equal(EXIT_CODES.vmxAbort, 18);
  const again = m.run({ maxInstructions: 1000 });
  assert.equal(again.instructions, 0, "the shut-down processor runs no more instructions");
  m.dispose();
  assertNoPins(m.memory);
});

Deno.test("vmx abort: the CLI exits with status 18 and names the indicator and the VMCS", async () => {
  let err = "";
  const status = await main(["--kernel", IMAGE.pathname, "--serial", "none"], {
    stdout: () => {},
    stderr: (t) => (err += t + "\n"),
    cwd: Deno.cwd(),
  });
  assert.equal(status, 18, err);
  assert.match(
    err,
    /VMX abort 1 \(saving guest MSRs failed\) in a VM exit from the VMCS at 0x[0-9a-f]+/,
  );
});

Deno.test("vmx abort: --help lists status 18", async () => {
  let err = "";
  await main(["--help"], { stdout: () => {}, stderr: (t) => (err += t + "\n"), cwd: Deno.cwd() });
  assert.match(err, /18 VMX abort/);
});
