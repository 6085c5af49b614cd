/**
 * The `--stats` report: instructions retired, MIPS, wall time, per-vCPU
 * instructions, exits and state (several vCPUs), and VM exits by reason
 * and level; as text, or as data for `--stats-json`.
 *
 * @module
 */

import type { Machine } from "../core/machine.ts";
import type { RunResult } from "../core/run_result.ts";
import type { JitEngine } from "../cpu/jit/engine.ts";
import { REASON_NAMES, VMX_STATS } from "../vmx/stats.ts";

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  ")
  );
}

/** One row per vCPU: instructions retired since boot, exits dispatched, activity state. */
function perVcpu(machine: Machine): string[] {
  const rows = machine.cpus.map((c, i) => [
    `vCPU ${i}`,
    c.retired.toLocaleString("en-US"),
    machine.bus.vcpuExits[i].toLocaleString("en-US"),
    c.nonRoot ? "L2" : c.activity,
  ]);
  return [
    `vCPUs: ${machine.cpus.length}`,
    ...table([["", "instructions", "exits", "state"], ...rows]).map((l) => "  " + l),
  ];
}

/** The block compilers' figures summed over the vCPUs, or null when no vCPU has one. */
export interface JitSummary {
  /** Regions compiled. */
  readonly regions: number;
  /** Guest instructions in them. */
  readonly insns: number;
  /** Instructions retired inside compiled regions. */
  readonly compiledRetired: number;
  /** Calls of compiled regions. */
  readonly calls: number;
  /** Instructions the dispatcher handed to the interpreter. */
  readonly interpreted: number;
  /** Instructions where no region could start. */
  readonly refused: number;
  /** Regions V8 rejected (compiler bugs; the interpreter ran them). */
  readonly errors: number;
}

/** Sum the block compilers of `machine`'s vCPUs (null: none runs one). */
export function jitSummary(machine: Machine): JitSummary | null {
  let any = false;
  let regions = 0, insns = 0, compiledRetired = 0, calls = 0, interpreted = 0;
  let refused = 0, errors = 0;
  for (const c of machine.cpus) {
    // The cpu/ engine's block compiler (another engine has none).
    const j = (c as { jit?: JitEngine | null }).jit;
    if (j === undefined || j === null) continue;
    any = true;
    regions += j.stats.regions;
    insns += j.stats.insns;
    refused += j.stats.refused;
    errors += j.stats.errors;
    compiledRetired += j.compiledRetired;
    calls += j.calls;
    interpreted += j.steps;
  }
  return any ? { regions, insns, compiledRetired, calls, interpreted, refused, errors } : null;
}

/** Format the statistics of a finished run. */
export function formatStats(machine: Machine, result: RunResult): string {
  const mips = result.wallMs > 0 ? result.instructions / result.wallMs / 1000 : 0;
  const lines = [
    "── nestvm statistics ──",
    `instructions retired: ${result.instructions.toLocaleString("en-US")}` +
    (result.totalInstructions !== result.instructions
      ? ` (total since boot: ${result.totalInstructions.toLocaleString("en-US")})`
      : ""),
    `wall time: ${result.wallMs.toFixed(1)} ms   MIPS: ${mips.toFixed(1)}`,
    `virtual time: ${(result.virtualNs / 1e6).toFixed(3)} ms`,
  ];
  if (machine.cpus.length > 1) lines.push(...perVcpu(machine));
  const jit = jitSummary(machine);
  if (jit !== null) {
    const total = machine.cpus.reduce((n, c) => n + c.retired, 0);
    const perCall = jit.calls > 0 ? (jit.compiledRetired / jit.calls).toFixed(1) : "0";
    const share = total > 0 ? (100 * jit.compiledRetired / total).toFixed(1) : "0.0";
    lines.push(
      `block compiler: ${jit.regions.toLocaleString("en-US")} regions ` +
        `(${jit.insns.toLocaleString("en-US")} instructions), ${share}% of instructions since ` +
        `boot retired in them (${perCall} per call); ${jit.refused} refused, ` +
        `${jit.errors} rejected by V8`,
    );
  }
  const vmx = machine.services.find(VMX_STATS);
  if (vmx) {
    // The VMX plugin counts every exit by basic reason and path.
    lines.push("VM exits by basic reason and level:");
    lines.push(...vmx.format().split("\n").map((l) => "  " + l));
    return lines.join("\n");
  }
  const rows = [1, 2].flatMap((level) =>
    [...machine.bus.counts[level].entries()].map(([kind, n]) => [kind, `L${level}->L0`, String(n)])
  )
    .sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
  if (rows.length > 0) {
    lines.push("VM exits by kind and level:");
    lines.push(...table([["kind", "level", "count"], ...rows]).map((l) => "  " + l));
  } else {
    lines.push("VM exits: none");
  }
  return lines.join("\n");
}

/** The `--stats` figures as JSON-compatible data (`--stats-json`). */
export interface StatsJson {
  /** Instructions retired in this run. */
  readonly instructions: number;
  /** Instructions retired since boot. */
  readonly totalInstructions: number;
  /** Wall time of the run, ms. */
  readonly wallMs: number;
  /** Million instructions per wall second. */
  readonly mips: number;
  /** Virtual time at the end, ns. */
  readonly virtualNs: number;
  /** Why the run stopped. */
  readonly stop: string;
  /** VM exits by kind and level as the exit bus counted them. */
  readonly exitsByKind: readonly { kind: string; level: number; count: number }[];
  /** The block compilers' figures (null with the interpreter). */
  readonly jit: JitSummary | null;
  /** The VMX plugin's counters (null without the plugin). */
  readonly vmx: {
    readonly entries: number;
    readonly failedEntries: number;
    readonly exits: readonly {
      reason: number;
      name: string;
      "L2->L1": number;
      "L2->L0": number;
      "L1->L0": number;
      /** L2 events APIC virtualization completed without a VM exit. */
      virtualized: number;
    }[];
  } | null;
}

/** The statistics of a finished run as data (the tables of {@link formatStats}). */
export function statsJson(machine: Machine, result: RunResult): StatsJson {
  const vmx = machine.services.find(VMX_STATS);
  let vmxOut: StatsJson["vmx"] = null;
  if (vmx) {
    const exits = [];
    for (let i = 0; i < vmx.l2ToL1.length; i++) {
      const a = vmx.l2ToL1[i], b = vmx.l2ToL0[i], c = vmx.l1ToL0[i], v = vmx.l2Virtualized[i];
      if (a === 0 && b === 0 && c === 0 && v === 0) continue;
      const name = REASON_NAMES[i] ?? "";
      exits.push({ reason: i, name, "L2->L1": a, "L2->L0": b, "L1->L0": c, virtualized: v });
    }
    vmxOut = { entries: vmx.entries, failedEntries: vmx.failedEntries, exits };
  }
  return {
    instructions: result.instructions,
    totalInstructions: result.totalInstructions,
    wallMs: result.wallMs,
    mips: result.wallMs > 0 ? result.instructions / result.wallMs / 1000 : 0,
    virtualNs: result.virtualNs,
    stop: result.reason.kind,
    exitsByKind: [1, 2].flatMap((level) =>
      [...machine.bus.counts[level].entries()].map(([kind, count]) => ({ kind, level, count }))
    ),
    jit: jitSummary(machine),
    vmx: vmxOut,
  };
}
