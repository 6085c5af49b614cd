/**
 * The example plugin's own test, as a plugin author would write it: load it
 * into a machine through the public API and drive it from a tiny guest.
 */
import assert from "node:assert/strict";
import { bootFlat, createMachine } from "../../mod.ts";
import { OptionError, parseOptions } from "../../mod.ts";
import createRng, { deviceTypes, optionsSchema } from "./rng_device.ts";

// mov dx,0x5ec; in eax,dx; mov ebx,eax; add dx,4; in eax,dx; mov ecx,eax; mov al,0; out 0xf4,al
const PROGRAM = [
  0x66,
  0xba,
  0xec,
  0x05,
  0xed,
  0x89,
  0xc3,
  0x66,
  0x83,
  0xc2,
  0x04,
  0xed,
  0x89,
  0xc1,
  0xb0,
  0x00,
  0xe6,
  0xf4,
];

Deno.test("rng example: deterministic numbers, a draw counter, options from strings, state round trip", () => {
  // What the loader does with `--plugin rng_device.ts,seed=1,port=0x5ec`.
  const rng = createRng(parseOptions("rng", optionsSchema, { seed: "1", port: "0x5ec" }));
  const m = createMachine({ memoryMiB: 16, vmx: false, plugins: [rng] });
  bootFlat(m, [{ addr: 0x100000, data: new Uint8Array(PROGRAM) }], 0x100000, "protected32");
  const r = m.run({ maxInstructions: 100 });
  assert.deepEqual(r.reason, { kind: "exit", status: 1 });
  assert.equal(m.cpu.gpr[6], 270369, "xorshift32 of seed 1"); // EBX
  assert.equal(m.cpu.gpr[2], 1, "one number drawn"); // ECX
  const saved = rng.saveState!();
  rng.reset!();
  assert.equal(rng.drawn, 0);
  rng.loadState!(saved);
  assert.equal(rng.drawn, 1);
  m.dispose();
  assert.throws(
    () => parseOptions("rng", optionsSchema, { seed: "lots" }),
    (e: Error) =>
      e instanceof OptionError && e.message === "rng: option seed=lots is not an integer",
  );
  assert.throws(
    () => parseOptions("rng", optionsSchema, { prot: "0x530" }),
    /rng: unknown option "prot" \(known: port, seed\)/,
  );
});

Deno.test("rng example: its device type adds instances by --device spec", () => {
  // mov dx,0x700; in eax,dx; mov ebx,eax; mov al,0; out 0xf4,al
  const program = Uint8Array.fromHex("66ba0007ed89c3b000e6f4");
  const m = createMachine({
    memoryMiB: 16,
    vmx: false,
    deviceTypes,
    devices: ["rng,port=0x700,seed=3"],
  });
  assert.ok(m.plugins.some((p) => p.name === "rng@0x700"));
  bootFlat(m, [{ addr: 0x100000, data: program }], 0x100000, "protected32");
  const r = m.run({ maxInstructions: 100 });
  assert.deepEqual(r.reason, { kind: "exit", status: 1 });
  assert.equal(m.cpu.gpr[6], 811107, "xorshift32 of seed 3"); // EBX
  m.dispose();
  assert.throws(
    () => createMachine({ deviceTypes: [{ ...deviceTypes[0], name: "pic" }] }),
    /device type "pic" from a module collides with a built-in device/,
  );
});
