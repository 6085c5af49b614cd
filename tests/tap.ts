/**
 * The one TAP reader of the guest tests: every guest that prints TAP
 * (Test Anything Protocol, version 12/13 as the guests' runtime writes it)
 * is parsed here and judged by the same strict rules.
 *
 * A passing stream has exactly one plan `1..N`, test lines numbered 1..N
 * in order without gaps, no `not ok` line except one marked `# TODO`, no
 * `Bail out!`, and exactly the number of `# SKIP` and `# TODO` lines the
 * caller expects (0 unless it says otherwise). A skipped check is never
 * counted as a pass. A plan `1..0 # SKIP why` is a skip of the whole guest
 * and only passes when the caller asks for it (`skipAll`).
 *
 * @module
 */
import assert from "node:assert/strict";

/** One `ok` / `not ok` line. */
export interface TapTest {
  /** True for `ok`, false for `not ok`. */
  readonly ok: boolean;
  /** The test number as printed. */
  readonly n: number;
  /** The description (text after the number and an optional `-`), without the directive. */
  readonly description: string;
  /** The directive, if any: `# SKIP ...` or `# TODO ...` (case-insensitive). */
  readonly directive: "skip" | "todo" | null;
  /** The directive's reason text. */
  readonly reason: string;
}

/** A parsed TAP stream. */
export interface TapStream {
  /** Planned count of every plan line (a valid stream has exactly one). */
  readonly plans: readonly number[];
  /** Reason of a `1..0 # SKIP why` plan, or null. */
  readonly skipAll: string | null;
  /** Every test line in output order. */
  readonly tests: readonly TapTest[];
  /** The reason of the first `Bail out!` line, or null. */
  readonly bailOut: string | null;
}

/** Counts of a stream judged by {@link assertTap}. */
export interface TapCounts {
  /** The planned count. */
  readonly plan: number;
  /** `ok` lines without a directive. */
  readonly pass: number;
  /** Lines with `# SKIP`. */
  readonly skip: number;
  /** Lines with `# TODO` (passing or not). */
  readonly todo: number;
}

/** What a caller expects beyond the strict rules. */
export interface TapExpect {
  /** The exact plan, if the caller knows it. */
  readonly plan?: number;
  /** The least plan accepted (default 1). */
  readonly minPlan?: number;
  /** Exact number of `# SKIP` lines (default 0). */
  readonly skips?: number;
  /** Exact number of `# TODO` lines (default 0). */
  readonly todos?: number;
  /** Expect `1..0 # SKIP` with a reason matching this pattern instead of tests. */
  readonly skipAll?: RegExp;
}

const PLAN = /^1\.\.(\d+)(?:\s*#\s*(.*))?$/;
const TEST = /^(not )?ok (\d+)\b(.*)$/;
const DIRECTIVE = /(?:^|\s)#\s*(SKIP|TODO)\S*\s*(.*)$/i;

/** Parse TAP text (other lines, such as `# ...` diagnostics and guest prints, are ignored). */
export function parseTap(text: string): TapStream {
  const plans: number[] = [];
  const tests: TapTest[] = [];
  let skipAll: string | null = null;
  let bailOut: string | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const p = PLAN.exec(line);
    if (p !== null) {
      plans.push(Number(p[1]));
      const d = /^SKIP\S*\s*(.*)$/i.exec(p[2] ?? "");
      if (Number(p[1]) === 0 && d !== null) skipAll = d[1];
      continue;
    }
    if (line.startsWith("Bail out!")) {
      bailOut ??= line.slice(9).trim();
      continue;
    }
    const t = TEST.exec(line);
    if (t === null) continue;
    let rest = t[3].replace(/^\s*-?\s?/, "");
    let directive: TapTest["directive"] = null;
    let reason = "";
    const d = DIRECTIVE.exec(rest);
    if (d !== null) {
      directive = d[1].toLowerCase() as "skip" | "todo";
      reason = d[2];
      rest = rest.slice(0, d.index).trimEnd();
    }
    tests.push({ ok: t[1] === undefined, n: Number(t[2]), description: rest, directive, reason });
  }
  return { plans, skipAll, tests, bailOut };
}

/** Count passes, skips and TODOs of a parsed stream (no judgement). */
export function countTap(s: TapStream): TapCounts {
  return {
    plan: s.plans.length === 1 ? s.plans[0] : -1,
    pass: s.tests.filter((t) => t.ok && t.directive === null).length,
    skip: s.tests.filter((t) => t.directive === "skip").length,
    todo: s.tests.filter((t) => t.directive === "todo").length,
  };
}

/**
 * Parse `text` and assert the strict rules (see the module doc) and the
 * caller's expectations; the assertion messages carry the whole output.
 * Returns the counts.
 */
export function assertTap(text: string, expect: TapExpect = {}, name = "guest"): TapCounts {
  const s = parseTap(text);
  const c = countTap(s);
  const ctx = `${name} output:\n${text}`;
  assert.equal(s.bailOut, null, `${name}: Bail out! ${s.bailOut}\n${ctx}`);
  assert.equal(s.plans.length, 1, `${name}: exactly one plan line\n${ctx}`);
  if (expect.skipAll !== undefined) {
    assert.ok(s.skipAll !== null, `${name}: whole guest skipped (1..0 # SKIP)\n${ctx}`);
    assert.match(s.skipAll, expect.skipAll, ctx);
    assert.equal(s.tests.length, 0, `${name}: no test lines after 1..0\n${ctx}`);
    return c;
  }
  assert.equal(s.skipAll, null, `${name}: whole guest skipped: ${s.skipAll}\n${ctx}`);
  if (expect.plan !== undefined) assert.equal(c.plan, expect.plan, `${name}: plan\n${ctx}`);
  assert.ok(c.plan >= (expect.minPlan ?? 1), `${name}: plan ${c.plan} too small\n${ctx}`);
  assert.deepEqual(
    s.tests.map((t) => t.n),
    Array.from({ length: c.plan }, (_, i) => i + 1),
    `${name}: checks numbered 1..${c.plan} in order\n${ctx}`,
  );
  const failing = s.tests.filter((t) => !t.ok && t.directive !== "todo").map((t) =>
    `not ok ${t.n} - ${t.description}${t.directive ? ` # ${t.directive} ${t.reason}` : ""}`
  );
  assert.deepEqual(failing, [], `${name}: failing checks\n${ctx}`);
  assert.equal(c.skip, expect.skips ?? 0, `${name}: number of # SKIP checks\n${ctx}`);
  assert.equal(c.todo, expect.todos ?? 0, `${name}: number of # TODO checks\n${ctx}`);
  return c;
}
