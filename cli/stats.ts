/**
 * The `--stats` report: instructions retired, MIPS, wall time, and VM exits
 * by reason and level.
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
