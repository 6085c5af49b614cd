/**
 * Scripting example: build a machine from the API, load the demo's L1
 * hypervisor, attach a plugin that counts L2's CPUID exits, run it, print
 * the count.
 *
 *     deno run -A examples/count_l2_cpuid.ts
 *
 * @module
 */

import { bootKernel, createMachine, type Plugin } from "../mod.ts";

let l2Cpuid = 0;
const counter: Plugin = {
  name: "count-l2-cpuid",
  version: "1.0.0",
  apiVersion: 1,
  setup(ctx) {
    // Observers see each exit before the VMX plugin reflects it to L1.
    ctx.exits.observe((exit) => {
      if (exit.kind === "cpuid" && exit.level === 2) l2Cpuid++;
    });
  },
};

const machine = createMachine({
  memoryMiB: 64,
  serial: (bytes) => Deno.stdout.writeSync(bytes),
  plugins: [counter],
});
bootKernel(machine, await Deno.readFile(new URL("../guests/build/demo.elf", import.meta.url)));
const result = machine.run({ maxInstructions: 200_000_000 });
machine.dispose();
console.log(`\nstopped: ${result.reason.kind}; L2 executed CPUID ${l2Cpuid} times`);
