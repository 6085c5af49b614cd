/**
 * Snapshot save/restore of the demo machine, stopped while L2 runs.
 * `deno bench -A bench/snapshot_bench.ts`; the snapshot size is printed once.
 */
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { restoreMachine, saveMachine } from "../core/snapshot/machine_snapshot.ts";

const image = await Deno.readFile(new URL("../guests/build/demo.elf", import.meta.url));
const build = () => createMachine({ memoryMiB: 128 });
const m = build();
bootKernel(m, image);
m.run({ maxInstructions: 100_000 });
const snap = await saveMachine(m);
console.log(`demo snapshot at ${m.retired} instructions: ${snap.length} bytes (128 MiB guest)`);

Deno.bench("snapshot: save the demo machine (full)", async () => {
  await saveMachine(m);
});

Deno.bench("snapshot: restore the demo machine", async () => {
  (await restoreMachine(snap, build)).dispose();
});
