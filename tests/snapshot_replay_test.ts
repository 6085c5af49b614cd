/**
 * Determinism and snapshots (issue 9): guests run uninterrupted, then again
 * snapshotted at many points (among them while L2 runs and right after a
 * VM exit) and restored in a fresh Deno process; serial output, exit status
 * and instruction counts must match exactly.
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import type { Plugin } from "../core/plugin.ts";
import { restoreMachine, saveMachine } from "../core/snapshot/machine_snapshot.ts";
import type { PcMachine } from "../plugins/pc_machine.ts";

const IMAGES = [
  "demo.elf",
  "vmx_basic.elf",
  "cpu64.elf",
  "vmx_instr_exits.elf",
  "vmx_entry_errors.elf",
  "vmx_events.elf",
  "vmx_inject.elf",
  "vmx_ept_faults.elf",
  "vmx_io_l0.elf",
  "vmx_l2_modes.elf",
  "vmx_host_state.elf",
  "vmx_cpl3.elf",
];
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const dec = new TextDecoder();

interface Reference {
  output: string;
  status: number;
  total: number;
  /** Retired counts at which L2 caused an exit. */
  l2Exits: number[];
}

function build(output: { text: string }, plugins: Plugin[] = []): PcMachine {
  return createMachine({ memoryMiB: 128, serial: (b) => (output.text += dec.decode(b)), plugins });
}

function reference(image: Uint8Array): Reference {
  const out = { text: "" };
  const l2Exits: number[] = [];
  const holder: { m?: PcMachine } = {};
  const spy: Plugin = {
    name: "l2-exit-spy",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.exits.observe((e) => {
        if (e.level === 2 && holder.m) l2Exits.push(holder.m.retired);
      });
    },
  };
  const m = build(out, [spy]);
  holder.m = m;
  bootKernel(m, image);
  const r = m.run({ maxInstructions: 100_000_000 });
  assert.equal(r.reason.kind, "exit");
  const status = r.reason.kind === "exit" ? r.reason.status : -1;
  m.dispose();
  return { output: out.text, status, total: r.totalInstructions, l2Exits };
}

async function restoreInFreshProcess(
  file: string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--restore", file, "--stats"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { stdout: dec.decode(p.stdout), stderr: dec.decode(p.stderr), code: p.code };
}

for (const name of IMAGES) {
  Deno.test(`snapshot replay: ${name} restored in a fresh process matches the uninterrupted run`, async () => {
    const image = await Deno.readFile(new URL(`../guests/build/${name}`, import.meta.url));
    const ref = reference(image);
    // Two identical runs: determinism.
    const again = reference(image);
    assert.equal(again.output, ref.output);
    assert.equal(again.total, ref.total);

    const points = new Set<number>([
      1,
      Math.floor(ref.total / 3),
      Math.floor(ref.total * 0.9),
      ref.total - 1,
    ]);
    if (ref.l2Exits.length > 0) {
      const mid = ref.l2Exits[Math.floor(ref.l2Exits.length / 2)];
      points.add(mid - 1); // L2 running, about to exit
      points.add(mid + 1); // right after the VM exit to L1
    }
    const dir = await Deno.makeTempDir();
    try {
      for (const at of points) {
        const out = { text: "" };
        const m = build(out);
        bootKernel(m, image);
        const first = m.run({ maxInstructions: at });
        assert.equal(first.reason.kind, "budget", `${name} @${at}`);
        const file = `${dir}/s${at}.snap`;
        await Deno.writeFile(file, await saveMachine(m, { meta: { memoryMiB: 128, devices: [] } }));
        m.dispose();
        const rest = await restoreInFreshProcess(file);
        assert.equal(
          out.text + rest.stdout,
          ref.output,
          `${name}: output differs when snapshotted at ${at}`,
        );
        assert.equal(rest.code, ref.status & 0xff, `${name} @${at}: ${rest.stderr}`);
        const total = /total since boot: ([\d,]+)/.exec(rest.stderr)?.[1]?.replaceAll(",", "");
        assert.equal(Number(total), ref.total, `${name} @${at}: instruction count`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("snapshot: incremental deltas restore as one", async () => {
  const image = await Deno.readFile(new URL("../guests/build/demo.elf", import.meta.url));
  const ref = reference(image);
  const out = { text: "" };
  const m = build(out);
  bootKernel(m, image);
  const chain: Uint8Array[] = [];
  m.run({ maxInstructions: Math.floor(ref.total / 4) });
  chain.push(await m.save());
  m.run({ maxInstructions: Math.floor(ref.total / 4) });
  chain.push(await m.save({ incremental: true }));
  m.run({ maxInstructions: Math.floor(ref.total / 4) });
  chain.push(await m.save({ incremental: true }));
  const before = out.text;
  m.dispose();
  assert.ok(
    chain[1].length < chain[0].length,
    `delta ${chain[1].length} B < full ${chain[0].length} B`,
  );
  const rest = { text: "" };
  const restored = await restoreMachine(chain, () => build(rest));
  const r = restored.run({ maxInstructions: 100_000_000 });
  assert.equal(before + rest.text, ref.output);
  assert.equal(r.totalInstructions, ref.total);
  restored.dispose();
});
