/**
 * The runner's outputs: a text table (one row per entry: verdict, exit
 * status, the test's PASS/FAIL/SKIP line counts, time, summary or reason)
 * and a JSON summary for scripts.
 *
 * @module
 */

import type { LineCounts, Verdict } from "./outcome.ts";

/** What the runner found for one entry. */
export interface EntryReport {
  /** Entry name from unittests.cfg. */
  readonly name: string;
  /** PASS, FAIL or SKIP, as the harness would print it. */
  readonly verdict: Verdict;
  /** The VMM's exit status, or null when it was not started. */
  readonly status: number | null;
  /** The test's report-line counts (zeros when not started). */
  readonly counts: LineCounts;
  /** The test's SUMMARY line, or "". */
  readonly summary: string;
  /** Why it was skipped or failed, when known, else "". */
  readonly reason: string;
  /** Wall time in seconds (0 when not started). */
  readonly seconds: number;
  /** The VMM arguments used (empty when not started). */
  readonly argv: readonly string[];
  /** The log file holding its output, or "". */
  readonly log: string;
}

/** Totals over a run. */
export interface Totals {
  /** Entries by verdict. */
  readonly entries: { readonly pass: number; readonly fail: number; readonly skip: number };
  /** Report lines summed over all entries. */
  readonly lines: LineCounts;
}

/** Sum verdicts and line counts. */
export function totals(reports: readonly EntryReport[]): Totals {
  const entries = { pass: 0, fail: 0, skip: 0 };
  const lines: LineCounts = { pass: 0, fail: 0, skip: 0, xpass: 0, xfail: 0 };
  for (const r of reports) {
    if (r.verdict === "PASS") entries.pass++;
    else if (r.verdict === "FAIL") entries.fail++;
    else entries.skip++;
    lines.pass += r.counts.pass;
    lines.fail += r.counts.fail;
    lines.skip += r.counts.skip;
    lines.xpass += r.counts.xpass;
    lines.xfail += r.counts.xfail;
  }
  return { entries, lines };
}

/** The text table (ends with a totals line). */
export function formatTable(reports: readonly EntryReport[]): string {
  const header = ["entry", "result", "status", "PASS", "FAIL", "SKIP", "time", "summary / reason"];
  const rows = reports.map((r) => [
    r.name,
    r.verdict,
    r.status === null ? "-" : String(r.status),
    String(r.counts.pass),
    String(r.counts.fail + r.counts.xpass),
    String(r.counts.skip),
    r.status === null ? "-" : `${r.seconds.toFixed(1)}s`,
    [r.summary && `(${r.summary})`, r.reason].filter((s) => s !== "").join(" "),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  const line = (cells: string[]) =>
    cells.map((c, i) =>
      i === cells.length - 1 ? c : numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])
    ).join("  ").trimEnd();
  const t = totals(reports);
  return [
    line(header),
    ...rows.map(line),
    `entries: ${t.entries.pass} PASS, ${t.entries.fail} FAIL, ${t.entries.skip} SKIP; ` +
    `report lines: ${t.lines.pass} PASS, ${t.lines.fail} FAIL, ${t.lines.skip} SKIP, ` +
    `${t.lines.xpass} XPASS, ${t.lines.xfail} XFAIL`,
  ].join("\n");
}

/** The JSON summary written next to the logs. */
export function jsonSummary(
  reports: readonly EntryReport[],
  meta: { readonly dir: string; readonly vmm: readonly string[]; readonly started: string },
): string {
  return JSON.stringify({ ...meta, totals: totals(reports), entries: reports }, null, 2) + "\n";
}
