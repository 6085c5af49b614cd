/**
 * From a unittests.cfg entry to a nestvm command line, the way
 * kvm-unit-tests' harness builds its QEMU command line:
 * `-kernel DIR/x86/FILE -smp N [-append TEST_ARGS] -device pc-testdev
 * -device isa-debug-exit,iobase=0xf4,iosize=4 -serial stdio QEMU_PARAMS`,
 * where test_args and qemu_params are split into words as the harness's
 * shell does (quotes removed). Also the harness's reasons not to run an
 * entry at all (arch, accel, machine, nodefault, check, missing file).
 *
 * @module
 */

import type { KutEntry } from "./cfg.ts";

/**
 * Split a shell-quoted string into words as a POSIX shell does for plain
 * words, single quotes, double quotes and backslashes. Command substitution
 * (`$(...)`, backticks) and variables are not expanded: they are errors.
 */
export function splitShellWords(text: string): string[] | { readonly error: string } {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n") {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "\\") {
      if (i + 1 < text.length) cur += text[++i];
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { error: `unterminated ' in: ${text}` };
      cur += text.slice(i + 1, end);
      i = end;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j];
        if (d === "`" || (d === "$" && j + 1 < text.length && /[({A-Za-z_]/.test(text[j + 1]))) {
          return { error: `shell expansion is not supported: ${text}` };
        }
        if (d === "\\" && j + 1 < text.length && '"\\$`'.includes(text[j + 1])) j++;
        cur += text[j];
      }
      if (j >= text.length) return { error: `unterminated " in: ${text}` };
      i = j;
      continue;
    }
    if (c === "`" || (c === "$" && i + 1 < text.length && /[({A-Za-z_]/.test(text[i + 1]))) {
      return { error: `shell expansion is not supported: ${text}` };
    }
    cur += c;
  }
  if (inWord) words.push(cur);
  return words;
}

/** The devices every x86 entry gets (the harness's `pc_testdev`). */
export const HARNESS_DEVICES: readonly string[] = [
  "-device",
  "pc-testdev",
  "-device",
  "isa-debug-exit,iobase=0xf4,iosize=4",
  "-serial",
  "stdio",
];

/** The VMM arguments for an entry, or why they cannot be formed. */
export type ArgvResult =
  | {
    readonly ok: true;
    readonly argv: readonly string[];
    /** True when shell expansions went into the arguments (they may differ when made again). */
    readonly expanded: boolean;
  }
  | { readonly ok: false; readonly error: string };

/**
 * Splits shell-quoted text into words with the shell's expansions (command
 * substitution such as kvmclock_test's `date +%s`), or says why it cannot.
 */
export type ShellExpander = (text: string) => string[] | { readonly error: string };

/**
 * Build the VMM arguments (without the program) for `entry`, its image in
 * `testDir`. Test arguments with shell expansions need `expand` (the
 * runner's is `bashWords`); without it they are an error.
 */
export function entryArgv(entry: KutEntry, testDir: string, expand?: ShellExpander): ArgvResult {
  const argv = [`-kernel`, `${testDir}/${entry.file}`, "-smp", entry.smp];
  let expanded = false;
  if (entry.testArgs !== "") {
    // The harness evaluates `-append <test_args>`: the words of test_args
    // become separate arguments, so only the first is -append's value.
    let words = splitShellWords(entry.testArgs);
    if ("error" in words && expand !== undefined && /`|\$[({A-Za-z_]/.test(entry.testArgs)) {
      words = expand(entry.testArgs);
      expanded = true;
    }
    if ("error" in words) return { ok: false, error: words.error };
    argv.push("-append", ...words);
  }
  argv.push(...HARNESS_DEVICES);
  const params = splitShellWords(entry.qemuParams);
  if ("error" in params) return { ok: false, error: params.error };
  argv.push(...params);
  return { ok: true, argv, expanded };
}

/** What the runner needs to know about the host to filter entries. */
export interface FilterContext {
  /** The architecture being tested ("x86_64"). */
  readonly arch: string;
  /** The accelerator nestvm stands for in the harness's terms ("tcg"). */
  readonly accel: string;
  /** Entries named on the command line (run even when in group nodefault). */
  readonly named: ReadonlySet<string>;
  /** Run nodefault entries too. */
  readonly all: boolean;
  /** Whether the image exists. */
  readonly fileExists: (path: string) => boolean;
  /** The contents of a host file for `check`, or undefined when it cannot be read. */
  readonly readHostFile: (path: string) => string | undefined;
  /** Evaluate a `disabled_if` shell condition (true: the entry is disabled). */
  readonly disabledIf: (condition: string) => boolean;
}

/**
 * Why the harness would skip `entry` without starting the VMM, or undefined
 * to run it. Mirrors the harness's order: nodefault, arch, accel,
 * disabled_if, check, missing image.
 */
export function skipReason(
  entry: KutEntry,
  testDir: string,
  ctx: FilterContext,
): string | undefined {
  if (entry.groups.includes("nodefault") && !ctx.all && !ctx.named.has(entry.name)) {
    return "test marked as manual run only";
  }
  if (entry.arch !== "" && entry.arch !== ctx.arch) return `${entry.arch} only`;
  if (entry.accel !== "" && !new RegExp(`^${entry.accel}(,|$)`).test(ctx.accel)) {
    return `${entry.accel} only, but ACCEL=${ctx.accel}`;
  }
  if (entry.disabledIf !== "" && ctx.disabledIf(entry.disabledIf)) {
    return `disabled because: ${entry.disabledIf}`;
  }
  for (const cond of entry.check.split(/\s+/).filter((c) => c !== "")) {
    const eq = cond.indexOf("=");
    const path = eq < 0 ? cond : cond.slice(0, eq);
    const want = eq < 0 ? "" : cond.slice(eq + 1);
    const got = ctx.readHostFile(path);
    if (got === undefined || got.replace(/\n$/, "") !== want) return `${path} not equal to ${want}`;
  }
  if (entry.file === "" || !ctx.fileExists(`${testDir}/${entry.file}`)) {
    return `Test file '${testDir}/${entry.file}' not found`;
  }
  return undefined;
}
