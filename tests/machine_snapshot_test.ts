import assert from "node:assert/strict";
import { newPcMachine } from "../plugins/pc_machine.ts";
import type { Plugin } from "../core/plugin.ts";
import { restoreMachine, saveMachine } from "../core/snapshot/machine_snapshot.ts";
import { SnapshotError, SnapshotMismatchError } from "../core/snapshot/format.ts";

const counter = (name = "counter", stateVersion = 1, version = "1.0.0"): Plugin & {
  disposed: number;
} => {
  const p = {
    name,
    version,
    apiVersion: 1,
    disposed: 0,
    setup() {},
    saveState: () => ({ version: stateVersion, data: null }),
    loadState() {},
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
    /^snapshot does not fit this machine: plugin "counter" has state in the snapshot but is not loaded; plugin "other" holds state but was not in the snapshot$/,
  );
  assert.equal(other.disposed, 1, "the refused machine was disposed");
  const small = counter();
  await refused(
    () => restoreMachine(full, () => newPcMachine({ memoryMiB: 4, plugins: [small] })),
    /RAM is 8 MiB in the snapshot, 4 MiB here/,
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

Deno.test("machine snapshot: plugins match by name and state version only", async () => {
  const observer: Plugin = { name: "observer", version: "0.0.1", apiVersion: 1, setup() {} };
  const m = newPcMachine({ memoryMiB: 4, plugins: [counter()] });
  const snap = await saveMachine(m);
  m.dispose();
  // A newer semver with the same state version, plus a stateless observer: restores.
  const r = await restoreMachine(
    snap,
    () => newPcMachine({ memoryMiB: 4, plugins: [counter("counter", 1, "1.0.1"), observer] }),
  );
  r.dispose();
  // Another state version: refused, naming both versions, as a mismatch.
  await assert.rejects(
    () =>
      restoreMachine(snap, () => newPcMachine({ memoryMiB: 4, plugins: [counter("counter", 2)] })),
    (e: unknown) =>
      e instanceof SnapshotMismatchError &&
      e.message ===
        'snapshot does not fit this machine: plugin "counter" state version is 1 in the snapshot, 2 here',
  );
});
