/**
 * Every committed guest image runs under the interpreter and under the
 * block compiler with identical serial output, stop reason, instruction
 * count and final vCPU state; the compiler must actually have run some of
 * each guest (else the comparison says nothing).
 */
import assert from "node:assert/strict";
import { IMAGES } from "../guests/build.ts";
import { runGuest } from "./engine_diff.ts";

// Boot-sector programs (mbboot.bin) are not kernels: they need a BIOS and a disk.
const notKernels = new Set(IMAGES.filter((s) => s.form === "boot-bin").map((s) => s.out));
const images = [...Deno.readDirSync(new URL("../guests/build/", import.meta.url))]
  .map((e) => e.name)
  .filter((n) => (n.endsWith(".elf") || n.endsWith(".bin")) && !notKernels.has(n))
  .sort();

Deno.test("guest images exist", () => {
  assert.ok(images.length >= 10, images.join(" "));
});

for (const name of images) {
  Deno.test(`engine diff: ${name} runs the same under interp and jit`, () => {
    const cmdline = name.startsWith("bench")
      ? "iterations=20000"
      : name.startsWith("roundtrip")
      ? "iterations=2000"
      : "console=ttyS0";
    const a = runGuest(name, "interp", { cmdline });
    const b = runGuest(name, "jit", { cmdline });
    assert.equal(b.output, a.output);
    assert.equal(b.stop, a.stop);
    assert.equal(b.instructions, a.instructions);
    assert.deepEqual(b.state, a.state);
    assert.ok(b.compiled > 0, `${name}: no instruction ran compiled`);
    assert.equal(b.compileErrors, 0);
    assert.equal(a.compiled, 0, "the interp run compiled nothing");
  });
}
