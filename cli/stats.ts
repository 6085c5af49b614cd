/**
 * The `--stats` report: instructions retired, MIPS, wall time, per-vCPU
 * instructions, exits and state (several vCPUs), and VM exits by reason
 * and level.
 *
 * @module
 */

import type { Machine } from "../core/machine.ts";
import type { RunResult } from "../core/run_result.ts";
import { VMX_STATS } from "../vmx/stats.ts";

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
