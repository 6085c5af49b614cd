/**
 * Reading kvm-unit-tests' `unittests.cfg`: one entry per `[name]` section
 * with the keys its harness understands (file, smp, test_args, qemu_params or
 * extra_params, arch, groups, machine, check, accel, timeout, disabled_if).
 * A key is one line (`key = value`); `qemu_params = """ ... """` may span
 * lines, as in the harness.
 *
 * @module
 */

/** One test entry of unittests.cfg. */
export interface KutEntry {
  /** The section name, e.g. "vmx". */
  readonly name: string;
  /** The image, relative to the test directory (e.g. "vmx.flat"); "" when the entry names none. */
  readonly file: string;
  /** vCPU count (`smp`, default 1); kept as text as the harness does. */
  readonly smp: string;
  /** The test's own arguments (`test_args`), still shell-quoted; "" when absent. */
  readonly testArgs: string;
  /** Extra VMM parameters (`qemu_params` or `extra_params`), still shell-quoted. */
  readonly qemuParams: string;
  /** Required architecture ("x86_64", "i386") or "" for any. */
  readonly arch: string;
  /** Groups, split on white space. */
  readonly groups: readonly string[];
  /** Required machine type or "". */
  readonly machine: string;
  /** `check` conditions (`path=value` words) or "". */
  readonly check: string;
  /** Required accelerator (e.g. "kvm") or "". */
  readonly accel: string;
  /** Timeout in seconds (default 90, as the harness). */
  readonly timeoutSeconds: number;
  /** `disabled_if` shell condition, or "". */
  readonly disabledIf: string;
}

/** A parse result: entries in file order, or the first malformed line. */
export type CfgResult =
  | { readonly ok: true; readonly entries: readonly KutEntry[] }
  | { readonly ok: false; readonly error: string };

/** The harness's default timeout (90 s). */
export const DEFAULT_TIMEOUT_SECONDS = 90;

/**
 * Parse a timeout as `timeout(1)` takes it: a number with an optional
 * s/m/h/d suffix. Returns undefined for anything else.
 */
export function parseTimeout(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text.trim());
  if (!m) return undefined;
  const scale = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]] ?? 1;
  return Number(m[1]) * scale;
}

interface Draft {
  name: string;
  file: string;
  smp: string;
  testArgs: string;
  qemuParams: string;
  arch: string;
  groups: string;
  machine: string;
  check: string;
  accel: string;
  timeout: string;
  disabledIf: string;
}

function draft(name: string): Draft {
  return {
    name,
    file: "",
    smp: "1",
    testArgs: "",
    qemuParams: "",
    arch: "",
    groups: "",
    machine: "",
    check: "",
    accel: "",
    timeout: "",
    disabledIf: "",
  };
}

const KEYS: Readonly<Record<string, keyof Draft>> = {
  file: "file",
  smp: "smp",
  test_args: "testArgs",
  qemu_params: "qemuParams",
  extra_params: "qemuParams",
  arch: "arch",
  groups: "groups",
  machine: "machine",
  check: "check",
  accel: "accel",
  timeout: "timeout",
  disabled_if: "disabledIf",
};

function finish(d: Draft): KutEntry | string {
  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  if (d.timeout !== "") {
    const t = parseTimeout(d.timeout);
    if (t === undefined) return `[${d.name}]: bad timeout "${d.timeout}"`;
    timeoutSeconds = t;
  }
  return {
    name: d.name,
    file: d.file,
    smp: d.smp,
    testArgs: d.testArgs,
    qemuParams: d.qemuParams,
    arch: d.arch,
    groups: d.groups.split(/\s+/).filter((g) => g !== ""),
    machine: d.machine,
    check: d.check,
    accel: d.accel,
    timeoutSeconds,
    disabledIf: d.disabledIf,
  };
}

/** Parse the text of a unittests.cfg. */
export function parseCfg(text: string): CfgResult {
  const entries: KutEntry[] = [];
  const lines = text.split(/\r?\n/);
  let cur: Draft | undefined;
  const close = (): string | undefined => {
    if (!cur) return undefined;
    const e = finish(cur);
    if (typeof e === "string") return e;
    entries.push(e);
    cur = undefined;
    return undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    const section = /^\[(.*)\]$/.exec(line);
    if (section) {
      const err = close();
      if (err) return { ok: false, error: err };
      cur = draft(section[1]);
      continue;
    }
    const kv = /^([a-z_]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) return { ok: false, error: `line ${i + 1}: cannot read "${line}"` };
    if (!cur) return { ok: false, error: `line ${i + 1}: "${kv[1]}" outside a [section]` };
    const key = KEYS[kv[1]];
    if (!key) continue; // keys this runner does not use are ignored, as by the harness
    let value = kv[2];
    if (value.startsWith('"""')) {
      // A multi-line value: everything up to the closing triple quote.
      const parts = [value.slice(3)];
      while (!parts[parts.length - 1].includes('"""')) {
        if (++i >= lines.length) {
          return { ok: false, error: `[${cur.name}]: unterminated """ value` };
        }
        parts.push(lines[i]);
      }
      const last = parts.pop()!;
      parts.push(last.slice(0, last.indexOf('"""')));
      value = parts.map((p) => p.trim()).filter((p) => p !== "").join(" ");
    }
    cur[key] = value;
  }
  const err = close();
  if (err) return { ok: false, error: err };
  return { ok: true, entries };
}
