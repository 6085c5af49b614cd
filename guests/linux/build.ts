/**
 * `deno task linux`: fetch a Debian kernel by version, build the test
 * initramfs (our static /init and KVM client, busybox-static, the kvm
 * modules), boot it in nestvm with a QEMU command line (and, with --qemu,
 * the same command line under QEMU TCG), and report each stage.
 *
 * Nothing fetched or built here is committed: everything lands under
 * guests/linux/cache/ (git-ignored).
 *
 * Usage: deno task linux [--version 6.1.0-50] [--qemu] [--no-nestvm] [--pvh]
 *        [--memory 512] [--smp N] [--max-instructions N] [--timeout SECONDS] [--append TEXT]
 *        [--check-snapshot [--snapshot-at N]] [--kvm-pv] [--expect ID[=DETAIL]]...
 *
 * Exit status: 77 when the guest could not be built (packages not
 * downloadable, no gcc): nothing was booted; 1 when `--check-snapshot` was
 * asked and failed, or when nestvm's boot missed an `--expect`ation; 2 for
 * an `--expect` naming no stage; else 0
 * (the stage table is the verdict on each boot).
 *
 * `--kvm-pv` gives nestvm's L1 a KVM host's paravirtual interface (nestvm's
 * `--kvm-pv`; QEMU TCG has none, so its run is unchanged). `--expect ID` or
 * `--expect ID=DETAIL` (repeatable) names a stage of `stages.ts` that
 * nestvm's boot must reach, with that detail: e.g. `--expect
 * clocksource=kvm-clock --expect client-exit=0`.
 *
 * `--check-snapshot` checks determinism and snapshots (see
 * `snapshot_check.ts`): the same boot again in a fresh process stops at a
 * snapshot taken while the L2 runs under Linux KVM (a few instructions
 * before its middle OUT, found by the L2 probe plugin, or at `--snapshot-at`),
 * a third process restores it, and the two halves must equal the first boot.
 *
 * `--pvh` boots the uncompressed vmlinux (extracted from the bzImage's XZ
 * payload on the host) through the PVH entry instead of the bzImage, which
 * skips the in-guest decompressor.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { buildCpio, type CpioEntry } from "./cpio.ts";
import {
  type BootStage,
  LINUX_STAGES,
  parseExpectation,
  scanStages,
  type StageExpectation,
  TERMINAL_STAGES,
  unmetExpectations,
} from "./stages.ts";
import { parseProbe } from "./l2_probe.ts";
import {
  checkSnapshotRuns,
  chooseSnapshotPoint,
  type SnapshotCheck,
  snapshotLine,
} from "./snapshot_check.ts";

const HERE = new URL(".", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const CACHE = `${HERE}cache/`;

const { values: flags } = parseArgs({
  args: Deno.args.filter((a) => a !== "--"),
  options: {
    version: { type: "string", default: "6.1.0-50" },
    qemu: { type: "boolean", default: false },
    pvh: { type: "boolean", default: false },
    "no-nestvm": { type: "boolean", default: false },
    memory: { type: "string", default: "512" },
    smp: { type: "string", default: "1" },
    "max-instructions": { type: "string", default: "20000000000" },
    timeout: { type: "string", default: "3600" },
    append: { type: "string", default: "" },
    "check-snapshot": { type: "boolean", default: false },
    "snapshot-at": { type: "string" },
    "kvm-pv": { type: "boolean", default: false },
    expect: { type: "string", multiple: true, default: [] },
  },
});

let expectations: StageExpectation[];
try {
  expectations = (flags.expect ?? []).map(parseExpectation);
} catch (error) {
  console.error(`[linux] ${error instanceof Error ? error.message : error}`);
  Deno.exit(2);
}

function log(msg: string): void {
  console.log(`[linux] ${msg}`);
}

async function sh(cmd: string, args: string[], cwd = CACHE): Promise<string> {
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const out = new TextDecoder().decode(r.stdout);
  if (!r.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed:\n${out}${new TextDecoder().decode(r.stderr)}`,
    );
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Download a package (unless cached) and extract it; returns the extraction directory. */
async function fetchPackage(name: string): Promise<string> {
  const dir = `${CACHE}${name}/`;
  if (await exists(`${dir}.extracted`)) return dir;
  await Deno.mkdir(dir, { recursive: true });
  const debs = [...Deno.readDirSync(CACHE)].filter((e) => e.name.startsWith(`${name}_`));
  if (debs.length === 0) {
    log(`apt-get download ${name}`);
    await sh("apt-get", ["download", name]);
  }
  const deb = [...Deno.readDirSync(CACHE)].find((e) => e.name.startsWith(`${name}_`));
  if (!deb) throw new Error(`no .deb for ${name} after apt-get download`);
  await sh("dpkg-deb", ["-x", `${CACHE}${deb.name}`, dir]);
  await Deno.writeTextFile(`${dir}.extracted`, deb.name + "\n");
  log(`extracted ${deb.name}`);
  return dir;
}

async function compileStatic(source: string, out: string): Promise<Uint8Array> {
  await sh("gcc", ["-static", "-Os", "-Wall", "-Werror", "-o", out, `${HERE}src/${source}`]);
  return await Deno.readFile(out);
}

async function buildInitramfs(version: string): Promise<{ kernel: string; initrd: string }> {
  const kernelPkg = `linux-image-${version}-amd64`;
  const kdir = await fetchPackage(kernelPkg);
  const bdir = await fetchPackage("busybox-static");
  const release = `${version}-amd64`;
  const kernel = `${kdir}boot/vmlinuz-${release}`;
  const mods = `${kdir}lib/modules/${release}/kernel/`;
  await Deno.mkdir(`${CACHE}build`, { recursive: true });
  const init = await compileStatic("init.c", `${CACHE}build/init`);
  const client = await compileStatic("kvm_client.c", `${CACHE}build/kvm-client`);
  log("compiled /init and /kvm-client (static)");
  const entries: CpioEntry[] = [
    { kind: "dir", path: "dev" },
    { kind: "char", path: "dev/console", major: 5, minor: 1 },
    { kind: "dir", path: "proc" },
    { kind: "dir", path: "sys" },
    { kind: "dir", path: "bin" },
    {
      kind: "file",
      path: "bin/busybox",
      data: await Deno.readFile(`${bdir}bin/busybox`),
      mode: 0o755,
    },
    { kind: "symlink", path: "bin/sh", target: "busybox" },
    { kind: "dir", path: "lib" },
    { kind: "dir", path: "lib/modules" },
    {
      kind: "file",
      path: "lib/modules/irqbypass.ko",
      data: await Deno.readFile(`${mods}virt/lib/irqbypass.ko`),
    },
    {
      kind: "file",
      path: "lib/modules/kvm.ko",
      data: await Deno.readFile(`${mods}arch/x86/kvm/kvm.ko`),
    },
    {
      kind: "file",
      path: "lib/modules/kvm-intel.ko",
      data: await Deno.readFile(`${mods}arch/x86/kvm/kvm-intel.ko`),
    },
    { kind: "file", path: "init", data: init, mode: 0o755 },
    { kind: "file", path: "kvm-client", data: client, mode: 0o755 },
  ];
  const cpio = buildCpio(entries);
  const initrd = `${CACHE}build/initramfs-${version}.cpio`;
  await Deno.writeFile(initrd, cpio);
  log(`initramfs ${initrd.slice(ROOT.length)}: ${(cpio.length / 1024 / 1024).toFixed(1)} MiB`);
  return { kernel, initrd };
}

/**
 * Extract the ELF vmlinux from a bzImage: the payload (setup header
 * payload_offset/payload_length, protocol 2.08+) is XZ-compressed; the host's
 * `xz` decompresses its first stream (the 4-byte size the build appends is
 * ignored).
 */
async function extractVmlinux(bzImage: string, out: string): Promise<void> {
  if (await exists(out)) return;
  const img = await Deno.readFile(bzImage);
  const dv = new DataView(img.buffer);
  const setupSects = img[0x1f1] === 0 ? 4 : img[0x1f1];
  const start = (setupSects + 1) * 512 + dv.getUint32(0x248, true);
  const payload = img.subarray(start, start + dv.getUint32(0x24c, true));
  if (payload[0] !== 0xfd || payload[1] !== 0x37) throw new Error("bzImage payload is not XZ");
  const xz = new Deno.Command("xz", {
    args: ["-dc", "--single-stream"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = xz.stdin.getWriter();
  const [, r] = await Promise.all([w.write(payload).then(() => w.close()), xz.output()]);
  if (!r.success) throw new Error("xz failed to decompress the bzImage payload");
  await Deno.writeFile(out, r.stdout);
  log(`extracted vmlinux (${(r.stdout.length / 1024 / 1024).toFixed(1)} MiB) for PVH boot`);
}

interface Run {
  readonly transcript: string;
  readonly stderr: string;
  readonly status: number;
  readonly wallMs: number;
  readonly stages: BootStage[];
}

/** Run a command, echo its stdout live, time each stage line as it arrives. */
async function runGuest(
  label: string,
  cmd: string,
  args: string[],
  timeoutS: number,
): Promise<Run> {
  log(`${label}: ${cmd} ${args.join(" ")}`);
  const t0 = performance.now();
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  })
    .spawn();
  const timer = setTimeout(() => {
    log(`${label}: timeout after ${timeoutS} s, stopping it`);
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  }, timeoutS * 1000);
  const arrivals: { offset: number; ms: number }[] = [];
  let transcript = "";
  const dec = new TextDecoder();
  let stopping = false;
  const pump = (async () => {
    for await (const chunk of child.stdout) {
      transcript += dec.decode(chunk, { stream: true });
      arrivals.push({ offset: transcript.length, ms: performance.now() - t0 });
      await Deno.stdout.write(chunk);
      const terminal = scanStages(transcript, () => 0).find((s) => TERMINAL_STAGES.includes(s.id));
      if (terminal && !stopping) {
        stopping = true;
        log(`${label}: terminal stage "${terminal.id}" reached; stopping the guest`);
        setTimeout(() => {
          try {
            child.kill("SIGTERM");
          } catch { /* already gone */ }
        }, 1000);
      }
    }
  })();
  const errText = (async () => {
    let s = "";
    for await (const chunk of child.stderr) s += dec.decode(chunk, { stream: true });
    return s;
  })();
  const status = await child.status;
  clearTimeout(timer);
  await pump;
  const stderr = await errText;
  const wallMs = performance.now() - t0;
  const at = (offset: number): number => arrivals.find((a) => a.offset >= offset)?.ms ?? wallMs;
  return { transcript, stderr, status: status.code, wallMs, stages: scanStages(transcript, at) };
}

function report(label: string, r: Run): void {
  log(`── ${label}: exit status ${r.status}, wall ${(r.wallMs / 1000).toFixed(1)} s`);
  for (const spec of LINUX_STAGES) {
    const s = r.stages.find((x) => x.id === spec.id);
    const when = s ? `${(s.wallMs / 1000).toFixed(1)} s` : "-";
    const guest = s?.guestS === undefined ? "" : `guest ${s.guestS.toFixed(3)} s`;
    log(
      `  ${s ? "reached" : "   not "}  ${spec.title.padEnd(34)} ${when.padStart(9)}  ${
        guest.padEnd(15)
      }  ${s?.detail ?? ""}`,
    );
  }
  const stats = r.stderr.split("\n").filter((l) =>
    /instructions retired|MIPS|virtual time|nestvm:/.test(l)
  );
  for (const l of stats) log(`  ${l.trim()}`);
}

const version = flags.version!;
/** Exit status when the packages or tools are unavailable (the boot was not tried): "skipped". */
const EXIT_SKIPPED = 77;
let built: { kernel: string; initrd: string };
try {
  built = await buildInitramfs(version);
} catch (error) {
  // No packages (no network, no such version) or no gcc/dpkg-deb: nothing was
  // booted, which is neither a pass nor a nestvm failure.
  log(`SKIPPED: cannot build the guest: ${error instanceof Error ? error.message : error}`);
  Deno.exit(EXIT_SKIPPED);
}
const initrd = built.initrd;
let kernel = built.kernel;
if (flags.pvh) {
  kernel = `${CACHE}build/vmlinux-${version}`;
  await extractVmlinux(built.kernel, kernel);
}
const append = ["console=ttyS0", "earlyprintk=serial,ttyS0,115200", "panic=-1", flags.append]
  .filter((s) => s !== "").join(" ");
// One command line for both: QEMU's syntax, which nestvm accepts.
const common = [
  "-kernel",
  kernel.slice(ROOT.length),
  "-initrd",
  initrd.slice(ROOT.length),
  "-append",
  append,
  "-m",
  flags.memory!,
  "-smp",
  flags.smp!,
  "-cpu",
  "max",
  "-display",
  "none",
  "-serial",
  "stdio",
  "-monitor",
  "none",
  "-no-reboot",
  "-device",
  "isa-debug-exit,iobase=0xf4,iosize=0x04",
];
const timeout = Number(flags.timeout);
const runs: [string, Run][] = [];
if (flags.qemu) {
  runs.push([
    "QEMU TCG",
    await runGuest("QEMU TCG", "qemu-system-x86_64", ["-accel", "tcg", ...common], timeout),
  ]);
}
const deno = Deno.execPath();
/** The nestvm process: `cli.ts` with the L2 probe (an observer) and `extra`. */
const nestvm = (extra: string[]): string[] => [
  "run",
  "-A",
  "cli.ts",
  "--plugin",
  "guests/linux/l2_probe.ts",
  "--log-level",
  "info",
  "--stats",
  ...(flags["kvm-pv"] ? ["--kvm-pv"] : []),
  ...extra,
];
const budget = ["--max-instructions", flags["max-instructions"]!];
let check: SnapshotCheck | undefined;
let unmet: string[] = [];
if (!flags["no-nestvm"]) {
  const a = await runGuest("nestvm", deno, nestvm([...common, ...budget]), timeout);
  runs.push(["nestvm", a]);
  unmet = unmetExpectations(a.stages, expectations);
  if (flags["check-snapshot"]) check = await checkSnapshot(a);
}
console.log("");
for (const [label, r] of runs) report(label, r);
if (check !== undefined) reportCheck(check);
if (expectations.length > 0 && !flags["no-nestvm"]) {
  if (unmet.length === 0) log(`── expectations met: ${flags.expect!.join(", ")}`);
  else {
    log("── expectations NOT met:");
    for (const p of unmet) log(`  ${p}`);
  }
}
if (flags["check-snapshot"] && (check === undefined || !check.ok)) Deno.exit(1);
if (unmet.length > 0) Deno.exit(1);

/**
 * Runs B (the same boot again, stopped at a snapshot while the L2 runs) and
 * C (that snapshot restored in a fresh process), compared with run A.
 */
async function checkSnapshot(a: Run): Promise<SnapshotCheck> {
  const at = flags["snapshot-at"] !== undefined
    ? Number(flags["snapshot-at"])
    : chooseSnapshotPoint(parseProbe(a.stderr));
  if (at === undefined || !Number.isSafeInteger(at) || at <= 0) {
    return {
      ok: false,
      problems: ["run A showed no L2 output under KVM, so there is no snapshot point to pick"],
    };
  }
  const file = `${CACHE}build/l2-snapshot.bin`;
  log(`snapshot check: run B boots again and stops at instruction ${at}`);
  const b = await runGuest(
    "nestvm B (to the snapshot)",
    deno,
    nestvm([...common, "--snapshot-at", String(at), "--snapshot-file", file]),
    timeout,
  );
  const snap = snapshotLine(b.stderr);
  if (snap) log(`  ${b.stderr.split("\n").find((l) => l.includes("snapshot at"))?.trim()}`);
  log("snapshot check: run C restores it in a fresh process");
  const c = await runGuest(
    "nestvm C (restored)",
    deno,
    nestvm(["--restore", file, "-serial", "stdio", ...budget]),
    timeout,
  );
  log(
    `snapshot check: B took ${(b.wallMs / 1000).toFixed(1)} s, C (restore to the end) ${
      (c.wallMs / 1000).toFixed(1)
    } s`,
  );
  return checkSnapshotRuns(a, b, c, parseProbe);
}

function reportCheck(c: SnapshotCheck): void {
  if (c.ok) {
    log(
      `── snapshot check PASSED: snapshot at instruction ${c.at.toLocaleString("en-US")} ` +
        `with the L2 running under Linux KVM; boot B stopped there with the same ` +
        `${c.before} transcript bytes as boot A; restored in a fresh process it printed the ` +
        `other ${c.after} bytes and ended as A did, ${c.total.toLocaleString("en-US")} ` +
        `instructions since boot`,
    );
  } else {
    log("── snapshot check FAILED:");
    for (const p of c.problems) log(`  ${p}`);
  }
}
