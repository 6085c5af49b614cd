/**
 * `deno task kut -- --dir PATH [entries...]`: run kvm-unit-tests' x86
 * entries under nestvm as its harness runs them under QEMU, print a table
 * and write a JSON summary. kvm-unit-tests is built by the user (it is GPL
 * code and not part of nestvm); PATH is its build directory, holding
 * x86/unittests.cfg and the x86/*.flat images.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type KutEntry, parseCfg } from "./cfg.ts";
import { entryArgv, type FilterContext, skipReason } from "./command.ts";
import { bashWords } from "./shell.ts";
import { type Job, type JobResult, runAll } from "./executor.ts";
import { countLines, judge, summaryLine } from "./outcome.ts";
import { type EntryReport, formatTable, jsonSummary } from "./report.ts";
import { nestvmRefusal } from "./probe.ts";

const USAGE = `usage: deno task kut -- --dir KUT_BUILD_DIR [options] [ENTRY...]

Runs the x86 entries of KUT_BUILD_DIR/x86/unittests.cfg under nestvm, each as
  --kvm-pv -kernel X.flat -smp N [-append ARGS] -device pc-testdev
  -device isa-debug-exit,iobase=0xf4,iosize=4 -serial stdio QEMU_PARAMS
ENTRY names select entries (a * matches any text); default: all.

options:
  --dir PATH            kvm-unit-tests build directory (required)
  --group NAME          only entries in this group
  --all                 also run entries in group nodefault
  --jobs N              run N entries at once (default: number of CPUs)
  --timeout-factor F    multiply each entry's timeout (default 1; 90 s when unset)
  --out DIR             where logs and summary.json go (default kut-logs)
  --vmm "CMD ARGS"      the VMM command (default: this nestvm's CLI)
  --no-kvm-pv           leave out nestvm's --kvm-pv (KVM's hypercalls and CPUID
                        leaves, which the suite expects of its KVM host: on by
                        default for nestvm's CLI; never added to a --vmm command)
  --assume PATH=VALUE   answer an entry's \`check\` condition on PATH with VALUE
                        instead of reading the host file (repeatable)
  --accel NAME          the accelerator the entries' \`accel\` is compared with
                        (default tcg; kvm runs the KVM-only entries such as pmu,
                        whose KVM-specific expectations nestvm may not meet)
  --list                print the selected entries and their command lines only
  --help                this text

exit status: 0 when no entry failed, 1 otherwise, 2 usage error`;

/** nestvm's option giving L1 KVM's paravirtual interface (added unless --no-kvm-pv). */
export const KVM_PV_FLAG = "--kvm-pv";

/**
 * nestvm's RTC (and so kvmclock's wall clock) on the host's clock, as
 * QEMU's RTC is by default (nestvm's own default is a fixed date): the
 * harness passes kvmclock_test the host's time to compare with.
 */
export const HOST_CLOCK_FLAGS: readonly string[] = ["-device", "mc146818rtc,base=utc"];

/** Where the runner writes; injectable for tests. */
export interface RunnerIo {
  /** The table and listings. */
  stdout(text: string): void;
  /** Progress and errors. */
  stderr(text: string): void;
}

const defaultIo: RunnerIo = {
  stdout: (t) => console.log(t),
  stderr: (t) => console.error(t),
};

/**
 * `check` conditions nestvm's CLI meets itself. The harness reads them
 * from the host's KVM parameters, since KVM is the VMM it expects; with
 * nestvm as the VMM they describe nestvm instead:
 * allow_smaller_maxphyaddr=Y because a `-cpu ...,phys-bits=N` below the
 * host's is honoured by the MMU and EPT walks (reserved bits above N fault).
 * Used only with the default VMM; `--assume` overrides.
 */
export const NESTVM_CHECKS: Readonly<Record<string, string>> = {
  "/sys/module/kvm_intel/parameters/allow_smaller_maxphyaddr": "Y",
};

/** The default VMM: this checkout's CLI under the running Deno. */
export function defaultVmm(): string[] {
  return [Deno.execPath(), "run", "-A", new URL("../../cli.ts", import.meta.url).pathname];
}

/**
 * The architecture a kvm-unit-tests build was configured for: `ARCH=` in
 * its `config.mak` (as the suite's own harness reads it), "x86_64" when
 * the file is missing or says nothing. An i386 build runs the entries
 * marked `arch = i386` (taskswitch, cmpxchg8b...) and skips the 64-bit ones.
 */
export function suiteArch(configMak: string | undefined): string {
  const m = configMak?.match(/^ARCH=(\S+)\s*$/m);
  return m ? m[1] : "x86_64";
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    "^" + pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$",
  );
  return re.test(name);
}

function hostFilter(
  arch: string,
  accel: string,
  named: Set<string>,
  all: boolean,
  assumed: Readonly<Record<string, string>>,
): FilterContext {
  return {
    arch,
    accel,
    named,
    all,
    fileExists: (p) => {
      try {
        return Deno.statSync(p).isFile;
      } catch {
        return false;
      }
    },
    readHostFile: (p) => {
      if (Object.hasOwn(assumed, p)) return assumed[p];
      try {
        return Deno.readTextFileSync(p);
      } catch {
        return undefined;
      }
    },
    disabledIf: (cond) => {
      try {
        return new Deno.Command("bash", { args: ["-c", cond], stdout: "null", stderr: "null" })
          .outputSync().success;
      } catch {
        return false;
      }
    },
  };
}

function skipped(name: string, reason: string): EntryReport {
  return {
    name,
    verdict: "SKIP",
    status: null,
    counts: { pass: 0, fail: 0, skip: 0, xpass: 0, xfail: 0 },
    summary: "",
    reason,
    seconds: 0,
    argv: [],
    log: "",
  };
}

/** Run the kut runner with `args`; resolves to its exit status. */
export async function kutMain(
  args: readonly string[],
  io: RunnerIo = defaultIo,
  run?: (job: Job) => Promise<JobResult>,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: args[0] === "--" ? args.slice(1) : [...args],
      allowPositionals: true,
      options: {
        dir: { type: "string" },
        group: { type: "string" },
        all: { type: "boolean", default: false },
        jobs: { type: "string" },
        "timeout-factor": { type: "string", default: "1" },
        out: { type: "string", default: "kut-logs" },
        vmm: { type: "string" },
        "no-kvm-pv": { type: "boolean", default: false },
        assume: { type: "string", multiple: true, default: [] },
        accel: { type: "string", default: "tcg" },
        list: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    io.stderr(`kut: ${error instanceof Error ? error.message : error}\n${USAGE}`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (!v.dir) {
    io.stderr(`kut: --dir is required\n${USAGE}`);
    return 2;
  }
  const jobs = v.jobs === undefined ? navigator.hardwareConcurrency || 1 : Number(v.jobs);
  const factor = Number(v["timeout-factor"]);
  if (!Number.isInteger(jobs) || jobs < 1) return usage(io, `--jobs must be a positive integer`);
  if (!(factor > 0)) return usage(io, `--timeout-factor must be a positive number`);
  const testDir = `${v.dir.replace(/\/$/, "")}/x86`;
  let cfgText: string;
  try {
    cfgText = await Deno.readTextFile(`${testDir}/unittests.cfg`);
  } catch (error) {
    return usage(io, `cannot read ${testDir}/unittests.cfg: ${(error as Error).message}`);
  }
  const cfg = parseCfg(cfgText);
  if (!cfg.ok) return usage(io, `${testDir}/unittests.cfg: ${cfg.error}`);

  const patterns = parsed.positionals;
  let selected: KutEntry[] = cfg.entries.filter((e) =>
    patterns.length === 0 || patterns.some((p) => globMatch(p, e.name))
  );
  if (v.group) selected = selected.filter((e) => e.groups.includes(v.group!));
  const unknown = patterns.filter((p) => !cfg.entries.some((e) => globMatch(p, e.name)));
  if (unknown.length > 0) return usage(io, `no such entry: ${unknown.join(", ")}`);

  const custom = v.vmm !== undefined;
  const vmm = custom ? v.vmm!.split(/\s+/).filter((w) => w !== "") : defaultVmm();
  // The suite is written for a KVM host (x86/apic.c's PV IPI, hypercall.flat,
  // vmexit's vmcall): nestvm plays one with --kvm-pv unless told not to.
  const kvmPv = !custom && !v["no-kvm-pv"];
  const assumed: Record<string, string> = custom ? {} : { ...NESTVM_CHECKS };
  for (const a of v.assume ?? []) {
    const eq = a.indexOf("=");
    if (eq <= 0) return usage(io, `--assume wants PATH=VALUE, not "${a}"`);
    assumed[a.slice(0, eq)] = a.slice(eq + 1);
  }
  let configMak: string | undefined;
  try {
    configMak = await Deno.readTextFile(`${v.dir.replace(/\/$/, "")}/config.mak`);
  } catch {
    configMak = undefined; // not configured in place: the harness's default
  }
  const ctx = hostFilter(
    suiteArch(configMak),
    v.accel ?? "tcg",
    new Set(patterns.filter((p) => !p.includes("*"))),
    v.all,
    assumed,
  );
  const outDir = v.out;
  await Deno.mkdir(outDir, { recursive: true });

  // Decide per entry: skip now, or a job.
  const reports: (EntryReport | undefined)[] = [];
  const pending: {
    index: number;
    entry: KutEntry;
    argv: string[];
    atStart?: () => readonly string[];
  }[] = [];
  for (const entry of selected) {
    const why = skipReason(entry, testDir, ctx);
    if (why !== undefined) {
      reports.push(skipped(entry.name, why));
      continue;
    }
    const argv = entryArgv(entry, testDir, bashWords);
    if (!argv.ok) {
      reports.push(skipped(entry.name, argv.error));
      continue;
    }
    const withFlags = (a: readonly string[]): string[] => [
      ...(kvmPv ? [KVM_PV_FLAG] : []),
      ...(custom ? [] : HOST_CLOCK_FLAGS),
      ...a,
    ];
    const args = withFlags(argv.argv);
    // Shell expansions (kvmclock_test's `date +%s`) are made again when the
    // entry starts, as the harness's shell makes them just before the VMM.
    const atStart = argv.expanded
      ? () => {
        const again = entryArgv(entry, testDir, bashWords);
        return withFlags(again.ok ? again.argv : argv.argv);
      }
      : undefined;
    // The harness first starts the VMM without a kernel: a VMM that refuses
    // the command line makes the entry a SKIP with its message.
    const refusal = custom ? undefined : nestvmRefusal(args);
    if (refusal !== undefined) {
      reports.push(skipped(entry.name, `nestvm refused: ${refusal}`));
      continue;
    }
    pending.push({ index: reports.length, entry, argv: args, atStart });
    reports.push(undefined);
  }
  if (v.list) {
    for (let i = 0; i < selected.length; i++) {
      const p = pending.find((q) => q.index === i);
      io.stdout(
        p
          ? `${selected[i].name}: ${p.argv.join(" ")}`
          : `${selected[i].name}: SKIP (${reports[i]!.reason})`,
      );
    }
    return 0;
  }

  const started = new Date().toISOString();
  const jobList: Job[] = pending.map((p) => {
    const atStart = p.atStart;
    return {
      argv: [...vmm, ...p.argv],
      argvAtStart: atStart === undefined ? undefined : () => [...vmm, ...atStart()],
      timeoutSeconds: p.entry.timeoutSeconds * factor,
    };
  });
  await runAll(jobList, jobs, (i, r) => {
    const p = pending[i];
    const log = `${outDir}/${p.entry.name}.log`;
    Deno.writeTextFileSync(
      log,
      `${r.argv.join(" ")}\n${r.stdout}${r.stderr ? `\n--- stderr ---\n${r.stderr}` : ""}`,
    );
    const j = judge(r.code, r.stderr);
    const report: EntryReport = {
      name: p.entry.name,
      verdict: j.verdict,
      status: r.code,
      counts: countLines(r.stdout),
      summary: summaryLine(r.stdout),
      reason: r.spawnError ??
        (j.reason === "timeout" ? `timeout; duration=${jobList[i].timeoutSeconds}s` : j.reason),
      seconds: r.seconds,
      argv: r.argv.slice(vmm.length),
      log,
    };
    reports[p.index] = report;
    io.stderr(`${report.verdict} ${report.name} ${report.summary ? `(${report.summary})` : ""}`);
  }, run);

  const final = reports as EntryReport[];
  io.stdout(formatTable(final));
  const json = `${outDir}/summary.json`;
  await Deno.writeTextFile(json, jsonSummary(final, { dir: v.dir, vmm, started }));
  io.stderr(`kut: logs and ${json} written`);
  return final.some((r) => r.verdict === "FAIL") ? 1 : 0;
}

function usage(io: RunnerIo, message: string): number {
  io.stderr(`kut: ${message}`);
  return 2;
}

if (import.meta.main) Deno.exit(await kutMain(Deno.args));
