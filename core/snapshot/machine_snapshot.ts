/**
 * Saving and restoring a whole machine: vCPU state (including VMX
 * non-root state), guest RAM, every plugin's versioned state, IRQ line
 * levels, virtual time and the sleep state (ACPI S3), in the format of
 * `format.ts`.
 *
 * A full snapshot holds every non-zero RAM page and resets the dirty log;
 * a delta holds the pages written since the previous snapshot of the chain
 * and names it as its parent. Restore builds a fresh machine with the same
 * plugins (the caller's `build` function), then loads the chain into it;
 * on any refusal the half-built machine is disposed, never returned.
 *
 * @module
 */

import type { Machine } from "../machine.ts";
import type { PowerState } from "../power.ts";
import type { PluginState } from "../plugin.ts";
import type { SchedulerState } from "../smp_scheduler.ts";
import {
  decodeSnapshot,
  encodeSnapshot,
  PAGE_SIZE,
  type SnapshotContents,
  SnapshotError,
  snapshotId,
  SnapshotMismatchError,
} from "./format.ts";

/** Identifies the machine-state schema inside the JSON section. */
const STATE_SCHEMA = "nestvm-machine/2";

interface MachineState {
  schema: string;
  parent: string | null;
  ramBytes: number;
  plugins: { name: string; version: string }[];
  retired: number;
  idleNs: number;
  virtualNs: number;
  cpu: unknown;
  /** vCPUs 1..N-1 (vCPU 0 is `cpu`); absent in one-vCPU snapshots. */
  aps?: unknown[];
  /** The scheduler's position (several vCPUs). */
  sched?: SchedulerState;
  pluginStates: Record<string, PluginState>;
  /** Keys of the IRQ drivers asserting their line (`owner#irq`). */
  irq: string[];
  /** Sleep state (ACPI S3); absent while the machine is awake with nothing pending. */
  power?: PowerState;
  /** Opaque data the saver attached (the CLI stores its machine options). */
  meta?: unknown;
}

const lastIds = new WeakMap<Machine, string>();

function isZeroPage(page: Uint8Array): boolean {
  const words = new Int32Array(page.buffer, page.byteOffset, PAGE_SIZE / 4);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
}

function* ramPages(machine: Machine, only?: readonly number[]): Generator<[number, Uint8Array]> {
  const mem = machine.memory;
  if (only) {
    for (const frame of only) {
      const bytes = mem.ramFrame(frame, false);
      if (bytes) yield [frame, bytes.slice()];
    }
    return;
  }
  // Only pages that ever got storage can be non-zero.
  for (const f of mem.touchedFrames()) {
    const bytes = mem.ramFrame(f, false);
    if (bytes && !isZeroPage(bytes)) yield [f, bytes.slice()];
  }
}

function machineState(machine: Machine, parent: string | null, meta: unknown): MachineState {
  const power = machine.powerState;
  return {
    meta,
    schema: STATE_SCHEMA,
    parent,
    ramBytes: machine.memory.ramSize,
    plugins: machine.plugins.map((p) => ({ name: p.name, version: p.version })),
    retired: machine.retired,
    idleNs: machine.idleNs,
    virtualNs: machine.virtualNs,
    cpu: machine.cpu.saveState(),
    ...(machine.cpus.length > 1
      ? {
        aps: machine.cpus.slice(1).map((c) => c.saveState()),
        sched: machine.scheduler?.save(),
      }
      : {}),
    pluginStates: machine.savePluginStates(),
    irq: machine.irq.save(),
    ...(power.asleep || power.sleepRequested || power.wakeRequested ? { power } : {}),
  };
}

/**
 * Save the machine. `incremental` writes a delta holding only pages
 * written since this machine's previous snapshot (a full one is written if
 * there is none).
 */
export async function saveMachine(
  machine: Machine,
  options: { incremental?: boolean; meta?: unknown } = {},
): Promise<Uint8Array> {
  const parent = lastIds.get(machine);
  const delta = options.incremental === true && parent !== undefined;
  // Plugins write back caches (vmcs12) in saveState, so collect state before pages.
  const state = machineState(machine, delta ? parent! : null, options.meta);
  // Pinned pages are written through their views, behind the dirty log's
  // back (the log learns of them at release): a delta always includes them.
  const dirty = new Set(machine.memory.getAndClearDirty());
  for (const pin of machine.memory.pins()) dirty.add(pin.gpa / PAGE_SIZE);
  const pages = [...ramPages(machine, delta ? [...dirty].sort((a, b) => a - b) : undefined)];
  const bytes = await encodeSnapshot(
    delta ? "delta" : "full",
    state as unknown as Record<string, unknown>,
    pages,
  );
  lastIds.set(machine, snapshotId(bytes));
  return bytes;
}

/**
 * What keeps `machine` from taking `saved`: RAM size, and plugins that hold
 * state (matched by name and state version; plugin semver and stateless
 * plugins such as observers do not matter).
 */
function machineDifferences(machine: Machine, saved: MachineState): string[] {
  const out: string[] = [];
  const savedVcpus = 1 + (Array.isArray(saved.aps) ? saved.aps.length : 0);
  if (savedVcpus !== machine.cpus.length) {
    out.push(`the snapshot has ${savedVcpus} vCPUs, this machine ${machine.cpus.length}`);
  }
  if (machine.memory.ramSize !== saved.ramBytes) {
    out.push(
      `RAM is ${saved.ramBytes / 1048576} MiB in the snapshot, ${
        machine.memory.ramSize / 1048576
      } MiB here`,
    );
  }
  const live = new Map<string, number>();
  for (const p of machine.plugins) {
    if (p.saveState !== undefined) live.set(p.name, p.saveState().version);
  }
  for (const [name, state] of Object.entries(saved.pluginStates)) {
    const here = live.get(name);
    if (here === undefined) {
      out.push(`plugin "${name}" has state in the snapshot but is not loaded`);
    } else if (here !== state.version) {
      out.push(
        `plugin "${name}" state version is ${state.version} in the snapshot, ${here} here`,
      );
    }
  }
  for (const name of live.keys()) {
    if (!(name in saved.pluginStates)) {
      out.push(`plugin "${name}" holds state but was not in the snapshot`);
    }
  }
  return out;
}

function checkState(s: Record<string, unknown>): MachineState {
  if (s.schema !== STATE_SCHEMA) {
    throw new SnapshotError(
      `snapshot machine state is "${String(s.schema)}", expected "${STATE_SCHEMA}"`,
    );
  }
  return s as unknown as MachineState;
}

/**
 * Restore a machine from a full snapshot followed by zero or more deltas.
 * `build` creates a machine with the same memory size and plugins as the
 * one saved; it receives the `meta` data given to {@link saveMachine}. Throws {@link SnapshotError}; never returns a half-built machine.
 */
export async function restoreMachine<T extends Machine>(
  files: Uint8Array | readonly Uint8Array[],
  build: (meta: unknown) => T,
): Promise<T> {
  const list = files instanceof Uint8Array ? [files] : files;
  if (list.length === 0) throw new SnapshotError("no snapshot given");
  const chain: SnapshotContents[] = [];
  for (const f of list) chain.push(await decodeSnapshot(f));
  if (chain[0].kind !== "full") {
    throw new SnapshotError("the first snapshot of a chain must be a full snapshot, got a delta");
  }
  for (let i = 1; i < chain.length; i++) {
    const st = checkState(chain[i].state);
    if (chain[i].kind !== "delta") {
      throw new SnapshotError(`snapshot ${i} of the chain is a full snapshot, expected a delta`);
    }
    if (st.parent !== chain[i - 1].id) {
      throw new SnapshotError(
        `delta ${i} does not follow snapshot ${i - 1} (its parent is ${
          String(st.parent).slice(0, 12)
        }…)`,
      );
    }
  }
  const last = checkState(chain[chain.length - 1].state);
  checkState(chain[0].state);
  const machine = build(last.meta);
  try {
    const differences = machineDifferences(machine, last);
    if (differences.length > 0) throw new SnapshotMismatchError(differences);
    for (const s of chain) {
      for (const [frame, bytes] of s.pages) {
        machine.memory.writeBytes(frame * PAGE_SIZE, bytes);
      }
    }
    machine.clock.restore(last.virtualNs);
    machine.idleNs = last.idleNs;
    machine.cpu.loadState(last.cpu as never);
    machine.cpus.slice(1).forEach((c, i) => c.loadState(last.aps![i] as never));
    if (last.sched !== undefined) machine.scheduler?.load(last.sched);
    machine.irq.load(last.irq);
    if (last.power !== undefined) machine.powerState = last.power;
    machine.loadPluginStates(last.pluginStates);
    machine.memory.getAndClearDirty();
    lastIds.set(machine, chain[chain.length - 1].id);
    return machine;
  } catch (error) {
    machine.dispose();
    if (error instanceof SnapshotError) throw error;
    throw new SnapshotError(
      `snapshot could not be applied: ${error instanceof Error ? error.message : error}`,
    );
  }
}
