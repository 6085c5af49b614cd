/**
 * The determinism and snapshot check of `deno task linux --check-snapshot`,
 * as pure functions over what three nestvm processes printed:
 *
 * - run A boots to the end (the reference: serial transcript, instructions
 *   retired since boot, exit status, the L2 probe's hits);
 * - run B boots the same command line again in a fresh process and stops at
 *   instruction N, chosen while the L2 runs under Linux KVM, writing a
 *   snapshot;
 * - run C restores that snapshot in a third process and runs to the end.
 *
 * The check passes when B's transcript is exactly the first part of A's
 * (the same boot gives the same output), B's snapshot was taken with a
 * vCPU in VMX non-root operation, and B's transcript followed by C's is
 * A's transcript byte for byte, with the same instruction count, exit status
 * and L2 probe hits after N.
 *
 * @module
 */

import type { ProbeHit } from "./l2_probe.ts";

/** What one nestvm process printed that the check compares. */
export interface RunOutput {
  /** Serial transcript (stdout). */
  readonly transcript: string;
  /** Diagnostics (stderr: --stats, snapshot messages, probe lines). */
  readonly stderr: string;
  /** Process exit status. */
  readonly status: number;
}

/** The outcome of the check. */
export type SnapshotCheck =
  | {
    readonly ok: true;
    /** Instruction at which the snapshot was taken. */
    readonly at: number;
    /** Instructions retired since boot at the end (A and C agree). */
    readonly total: number;
    /** Bytes of transcript before and after the snapshot point. */
    readonly before: number;
    /** Bytes of transcript after the snapshot point. */
    readonly after: number;
  }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Instructions retired since boot, from a `--stats` report (undefined if absent). */
export function totalInstructions(stderr: string): number | undefined {
  const m = /instructions retired: ([\d,]+)(?: \(total since boot: ([\d,]+)\))?/.exec(stderr);
  if (m === null) return undefined;
  return Number((m[2] ?? m[1]).replaceAll(",", ""));
}

/** The CLI's snapshot line: where it was taken and whether a vCPU ran L2 then. */
export function snapshotLine(
  stderr: string,
): { readonly at: number; readonly inL2: boolean } | undefined {
  const m = /nestvm: snapshot at instruction (\d+) written to [^\n]*/.exec(stderr);
  if (m === null) return undefined;
  return { at: Number(m[1]), inL2: /VMX non-root/.test(m[0]) };
}

/**
 * The snapshot point: a few instructions before the L2's `hit`-th probed
 * OUT (the middle one by default), so the vCPU is inside the L2's loop.
 */
export function chooseSnapshotPoint(hits: readonly ProbeHit[], back = 2): number | undefined {
  if (hits.length < 2) return undefined;
  const mid = hits[Math.floor(hits.length / 2)];
  return mid.retired - back;
}

/** Index of the first differing character of `a` and `b` (-1 if equal). */
function firstDifference(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function around(text: string, at: number): string {
  return JSON.stringify(text.slice(Math.max(0, at - 40), at + 40));
}

/** Compare the three runs (see the module documentation). */
export function checkSnapshotRuns(
  a: RunOutput,
  b: RunOutput,
  c: RunOutput,
  probe: (stderr: string) => ProbeHit[],
): SnapshotCheck {
  const problems: string[] = [];
  const snap = snapshotLine(b.stderr);
  if (snap === undefined) {
    return { ok: false, problems: ["run B wrote no snapshot (no snapshot line on its stderr)"] };
  }
  if (!snap.inL2) problems.push(`at instruction ${snap.at} no vCPU was running L2`);
  if (b.status !== 0) problems.push(`run B exited with status ${b.status}`);
  if (!a.transcript.startsWith(b.transcript)) {
    const d = firstDifference(a.transcript, b.transcript);
    problems.push(
      `run B's transcript is not a prefix of run A's: first difference at byte ${d}: A ${
        around(a.transcript, d)
      }, B ${around(b.transcript, d)}`,
    );
  }
  const joined = b.transcript + c.transcript;
  if (joined !== a.transcript) {
    const d = firstDifference(a.transcript, joined);
    problems.push(
      `B + C differs from A at byte ${d} (A ${a.transcript.length} bytes, B + C ${joined.length}): A ${
        around(a.transcript, d)
      }, B + C ${around(joined, d)}`,
    );
  }
  const totalA = totalInstructions(a.stderr);
  const totalC = totalInstructions(c.stderr);
  if (totalA === undefined || totalC === undefined) {
    problems.push("an instruction count is missing (--stats output of run A or C)");
  } else if (totalA !== totalC) {
    problems.push(`instructions since boot: A ${totalA}, restored C ${totalC}`);
  }
  if (a.status !== c.status) problems.push(`exit status: A ${a.status}, restored C ${c.status}`);
  const hitsA = probe(a.stderr).filter((h) => h.retired > snap.at);
  const hitsC = probe(c.stderr);
  if (JSON.stringify(hitsA) !== JSON.stringify(hitsC)) {
    problems.push(
      `L2 probe after the snapshot: A ${JSON.stringify(hitsA)}, C ${JSON.stringify(hitsC)}`,
    );
  }
  if (hitsC.length === 0) problems.push("the restored run saw no L2 output after the snapshot");
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    at: snap.at,
    total: totalA!,
    before: b.transcript.length,
    after: c.transcript.length,
  };
}
