/**
 * Judging a finished entry as kvm-unit-tests' harness does: the VMM's exit
 * status is the test's isa-debug-exit status `(code << 1) | 1`; 1 is success
 * (unless the VMM also printed errors other than warnings), 77 is a skip, 124
 * a timeout, anything else a failure. Also counts the test's report lines
 * (PASS:, FAIL:, SKIP:, XPASS:, XFAIL:) and picks up its SUMMARY line.
 *
 * @module
 */

/** The result shown for an entry. */
export type Verdict = "PASS" | "FAIL" | "SKIP";

/** Counts of the test's own report lines. */
export interface LineCounts {
  /** `PASS:` lines. */
  pass: number;
  /** `FAIL:` lines. */
  fail: number;
  /** `SKIP:` lines. */
  skip: number;
  /** `XPASS:` lines (unexpected passes, failures for the test). */
  xpass: number;
  /** `XFAIL:` lines (expected failures). */
  xfail: number;
}

/** Count the report lines in a test's console output. */
export function countLines(output: string): LineCounts {
  const c: LineCounts = { pass: 0, fail: 0, skip: 0, xpass: 0, xfail: 0 };
  for (const line of output.split("\n")) {
    const m = /^(PASS|FAIL|SKIP|XPASS|XFAIL): /.exec(line);
    if (!m) continue;
    if (m[1] === "PASS") c.pass++;
    else if (m[1] === "FAIL") c.fail++;
    else if (m[1] === "SKIP") c.skip++;
    else if (m[1] === "XPASS") c.xpass++;
    else c.xfail++;
  }
  return c;
}

/** The `SUMMARY: ...` text from the last lines of the output, or "". */
export function summaryLine(output: string): string {
  const tail = output.replace(/\r/g, "").split("\n").slice(-6);
  const line = tail.find((l) => l.startsWith("SUMMARY: "));
  return line === undefined ? "" : line.slice("SUMMARY: ".length);
}

/** The harness's verdict for a VMM exit status and its stderr. */
export function judge(
  code: number,
  stderr: string,
): { readonly verdict: Verdict; readonly status: number; readonly reason: string } {
  let status = code;
  if (code === 0) status = 1; // the test never reached isa-debug-exit
  else if (code === 1) {
    const errors = stderr.split("\n").filter((l) => l.trim() !== "" && !/warning/i.test(l));
    status = errors.length > 0 ? 1 : 0;
  }
  if (status === 0) return { verdict: "PASS", status: code, reason: "" };
  if (status === 77) return { verdict: "SKIP", status: code, reason: "" };
  if (status === 124) return { verdict: "FAIL", status: code, reason: "timeout" };
  if (code === 0) {
    return { verdict: "FAIL", status: code, reason: "exited without isa-debug-exit" };
  }
  if (code === 1) return { verdict: "FAIL", status: code, reason: "the VMM reported errors" };
  if (status > 128) {
    return { verdict: "FAIL", status: code, reason: `terminated on signal ${status - 128}` };
  }
  if (status === 127) return { verdict: "FAIL", status: code, reason: "aborted" };
  return { verdict: "FAIL", status: code, reason: "" };
}
