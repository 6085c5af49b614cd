import assert from "node:assert/strict";
import { newPcMachine } from "../plugins/pc_machine.ts";
import type { Plugin } from "../core/plugin.ts";
import { restoreMachine, saveMachine } from "../core/snapshot/machine_snapshot.ts";
import { SnapshotError } from "../core/snapshot/format.ts";

const counter = (name = "counter"): Plugin & { disposed: number } => {
  const p = {
    name,
    version: "1.0.0",
    apiVersion: 1,
    disposed: 0,
    setup() {},
    dispose() {
      p.disposed++;
    },
  };
  return p;
};

async function refused(run: () => Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(run, (e: unknown) => e instanceof SnapshotError && re.test(e.message));
}

Deno.test("machine snapshot: RAM contents and CPU registers survive a round trip", async () => {
  const m = newPcMachine({ memoryMiB: 8, plugins: [counter()] });
  m.memory.write32(0x2000, 0xfeedf00d);
  m.memory.write32(0x7f0000, 0x12345678);
  m.cpu.gpr[6] = 0xabcdef01;
  const snap = await saveMachine(m);
  m.dispose();
  const r = await restoreMachine(snap, () => newPcMachine({ memoryMiB: 8, plugins: [counter()] }));
  assert.equal(r.memory.read32(0x2000), 0xfeedf00d);
  assert.equal(r.memory.read32(0x7f0000), 0x12345678);
  assert.equal(r.cpu.gpr[6], 0xabcdef01);
  r.dispose();
});

Deno.test("machine snapshot: refusals dispose the half-built machine", async () => {
  const m = newPcMachine({ memoryMiB: 8, plugins: [counter()] });
  const full = await saveMachine(m);
  m.memory.write8(0x3000, 1);
  const delta = await saveMachine(m, { incremental: true });
  const delta2 = await saveMachine(m, { incremental: true });
  m.dispose();

  const other = counter("other");
  await refused(
    () => restoreMachine(full, () => newPcMachine({ memoryMiB: 8, plugins: [other] })),
    /plugins \[counter@1\.0\.0\]/,
  );
  assert.equal(other.disposed, 1, "the refused machine was disposed");
  const small = counter();
  await refused(
    () => restoreMachine(full, () => newPcMachine({ memoryMiB: 4, plugins: [small] })),
    /8 MiB of RAM, this machine 4 MiB/,
  );
  assert.equal(small.disposed, 1);
  const build = () => newPcMachine({ memoryMiB: 8, plugins: [counter()] });
  await refused(() => restoreMachine([delta], build), /must be a full snapshot/);
  await refused(() => restoreMachine([full, delta2], build), /does not follow/);
  await refused(() => restoreMachine([full, full], build), /expected a delta/);
  await refused(() => restoreMachine([], build), /no snapshot/);
  const ok = await restoreMachine([full, delta, delta2], build);
  assert.equal(ok.memory.read8(0x3000), 1);
  ok.dispose();
});
