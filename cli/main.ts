/**
 * The command-line program: parse options, build the machine, boot, run,
 * report. Returns the process exit status instead of exiting, so tests can
 * call it.
 *
 * @module
 */

import { defaultOptions, helpText, parseArgs } from "./args.ts";
import type { CliOptions, SmpTopology } from "./args.ts";
import { EXIT_CODES, exitCodeFor } from "../core/run_result.ts";
import { describeStop } from "../core/run_result.ts";
import type { PcMachine } from "../plugins/pc_machine.ts";
import type { Plugin } from "../core/plugin.ts";
import { loadPluginModule, pluginHelp, PluginLoadError } from "../plugins/loader.ts";
import type { DeviceType } from "../plugins/device_types.ts";
import { deviceHelp } from "../devices/device_help.ts";
import { BootError, bootFlat, bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { createTracePlugin } from "./trace_plugin.ts";
import { streamInput } from "./host_input.ts";
import { uartOf } from "../devices/board_pc.ts";
import { formatStats, statsJson } from "./stats.ts";
import { idleModeFor } from "./idle_mode.ts";
import { cpuHelpText, parseCpuSpec } from "../cpu/cpu_spec.ts";
import { restoreMachine, saveMachine } from "../core/snapshot/machine_snapshot.ts";
import { SnapshotError, SnapshotMismatchError } from "../core/snapshot/format.ts";
import { PluginError } from "../core/plugin.ts";
import { runWithGdb } from "../debug/gdb/server.ts";
import { ChromeTraceWriter, fileWriter } from "../debug/trace/chrome_trace.ts";
import { TraceRecorder } from "../debug/trace/recorder.ts";
import { TimelineCollector } from "../debug/trace/timeline.ts";
import type { TraceSink } from "../debug/trace/events.ts";

/** Version printed by `--version`. */
export const VERSION = "0.1.0";

/** Where the CLI writes: injectable for tests. */
export interface CliIo {
  /** Guest serial output (stdout by default). */
  stdout(bytes: Uint8Array): void;
  /** Diagnostics (stderr by default). */
  stderr(text: string): void;
  /** Working directory for relative paths. */
  cwd: string;
  /** Host input for COM1 with `--serial stdio` (none in tests). */
  stdin?: ReadableStream<Uint8Array>;
  /** Whether `stdin` is a terminal (an interactive session: idle time passes in host time). */
  stdinIsTerminal?: boolean;
}

const enc = new TextEncoder();

function writeAll(fd: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fd.writeSync(bytes.subarray(off));
}

/** The default I/O: the process's stdout/stderr. */
export function processIo(): CliIo {
  return {
    stdout: (b) => writeAll(Deno.stdout, b),
    stderr: (t) => writeAll(Deno.stderr, enc.encode(t.endsWith("\n") ? t : t + "\n")),
    cwd: Deno.cwd(),
    stdin: Deno.stdin.readable,
    stdinIsTerminal: Deno.stdin.isTerminal(),
  };
}

/** The demo's L1 hypervisor image, shipped with the package. */
export const DEMO_IMAGE: URL = new URL("../guests/build/demo.elf", import.meta.url);

function resolvePath(path: string, cwd: string): string {
  return path.startsWith("/") ? path : `${cwd}/${path}`;
}

async function readFileNamed(
  path: string,
  cwd: string,
  what: string,
): Promise<Uint8Array | string> {
  try {
    return await Deno.readFile(resolvePath(path, cwd));
  } catch (error) {
    return `cannot read ${what} "${path}": ${error instanceof Error ? error.message : error}`;
  }
}

/** A character sink for `stdio`, `none` or `file:PATH`, or an error message. */
function charSink(
  spec: string,
  what: string,
  io: CliIo,
): ((b: Uint8Array) => void) | string {
  if (spec === "none") return () => {};
  if (spec === "stdio") return io.stdout;
  const path = resolvePath(spec.slice("file:".length), io.cwd);
  try {
    const file = Deno.openSync(path, { write: true, create: true, truncate: true });
    return (b) => writeAll(file, b);
  } catch (error) {
    return `cannot open ${what} file "${path}": ${error instanceof Error ? error.message : error}`;
  }
}

/** Run the CLI with `args`; resolves to the process exit status. */
export async function main(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const parsed = parseArgs(args);
  if (!parsed.ok) {
    io.stderr(`nestvm: ${parsed.error}\nTry --help.`);
    return EXIT_CODES.usage;
  }
  const o = parsed.options;
  if (o.help) {
    io.stderr(helpText());
    return 0;
  }
  if (o.version) {
    io.stderr(`nestvm ${VERSION}`);
    return 0;
  }
  if (o.cpuHelp) {
    io.stderr(cpuHelpText());
    return 0;
  }
  for (const w of o.warnings) io.stderr(`nestvm: ${w}`);
  const sink = charSink(o.serial, "serial", io);
  const debugconSink = o.debugcon === undefined ? undefined : charSink(o.debugcon, "debugcon", io);
  for (const s of [sink, debugconSink]) {
    if (typeof s === "string") {
      io.stderr(`nestvm: ${s}`);
      return EXIT_CODES.usage;
    }
  }
  if (typeof sink === "string" || typeof debugconSink === "string") return EXIT_CODES.usage;

  const plugins: Plugin[] = [];
  const deviceTypes: DeviceType[] = [];
  for (const spec of o.plugins) {
    try {
      const help = await pluginHelp(spec, io.cwd);
      if (help !== null) {
        io.stderr(help);
        return 0;
      }
      const loaded = await loadPluginModule(spec, io.cwd);
      if (loaded.plugin !== undefined) plugins.push(loaded.plugin);
      deviceTypes.push(...loaded.deviceTypes);
    } catch (error) {
      io.stderr(`nestvm: ${error instanceof PluginLoadError ? error.message : String(error)}`);
      return EXIT_CODES.usage;
    }
  }
  for (const spec of o.devices) {
    const help = deviceHelp(spec, deviceTypes);
    if (help !== null) {
      io.stderr(help);
      return 0;
    }
  }
  if (o.trace) plugins.unshift(createTracePlugin(io.stderr));
  const recording = openRecording(o, io);
  if (typeof recording === "string") {
    io.stderr(`nestvm: ${recording}`);
    return EXIT_CODES.usage;
  }
  if (recording) plugins.unshift(recording.recorder.plugin);

  let machine: PcMachine;
  // The machine options travel inside snapshots so `--restore` rebuilds the
  // same machine; plugin modules given with --plugin must be given again.
  const config: SavedConfig = {
    memoryMiB: o.memoryMiB,
    cpu: o.cpu,
    devices: o.devices,
    smp: o.smp,
    quantum: o.quantum,
    noDefaults: o.nodefaults === true,
    serial: !o.nodefaults || o.serialGiven === true,
    debugcon: debugconSink !== undefined,
    omit: o.omitDevices ?? [],
    kvmPv: o.kvmPv === true,
  };
  const build = (saved?: unknown) => {
    const c = isSavedConfig(saved) ? saved : config;
    const cpu = c.cpu === undefined ? undefined : parseCpuSpec(c.cpu);
    if (cpu !== undefined && !cpu.ok) throw new RangeError(`-cpu: ${cpu.error}`);
    return createMachine({
      memoryMiB: c.memoryMiB,
      serial: c.serial === false ? undefined : sink,
      // A restored machine gets the 0xE9 console it was saved with (writing where asked now).
      debugcon: c.debugcon === true ? debugconSink ?? sink : undefined,
      noDefaults: c.noDefaults === true,
      omitBoardDevices: c.omit ?? [],
      kvmPv: c.kvmPv === true,
      logLevel: o.logLevel,
      logSink: io.stderr,
      cpu: cpu?.model,
      engine: o.engine,
      jitHot: o.jitHot,
      devices: c.devices,
      smp: c.smp,
      quantum: c.quantum,
      deviceTypes,
      plugins,
    });
  };
  try {
    if (o.restore) {
      const bytes = await readFileNamed(o.restore, io.cwd, "snapshot");
      if (typeof bytes === "string") {
        io.stderr(`nestvm: ${bytes}`);
        return EXIT_CODES.badImage;
      }
      machine = await restoreMachine(bytes, build);
    } else {
      machine = build();
      const booted = await boot(machine, o, io);
      if (booted !== 0) {
        machine.dispose();
        return booted;
      }
    }
  } catch (error) {
    io.stderr(`nestvm: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof PluginError) return EXIT_CODES.pluginError;
    if (error instanceof SnapshotMismatchError) return EXIT_CODES.snapshotMismatch;
    const known = error instanceof BootError || error instanceof SnapshotError;
    return known ? EXIT_CODES.badImage : EXIT_CODES.usage;
  }

  let budget = o.maxInstructions;
  if (o.snapshotAt !== undefined) {
    const left = Math.max(0, o.snapshotAt - machine.retired);
    budget = budget === undefined ? left : Math.min(budget, left);
  }
  const uart = uartOf(machine.plugins);
  const input = io.stdin && o.serial === "stdio" && uart ? streamInput(io.stdin, uart) : undefined;
  const result = o.gdb
    ? await runWithGdb(machine, {
      host: o.gdb.host,
      port: o.gdb.port,
      startStopped: o.startStopped,
      log: io.stderr,
    })
    : await machine.runAsync({
      maxInstructions: budget,
      input,
      idle: idleModeFor(o.idle, input !== undefined, io.stdinIsTerminal === true),
    });
  let status = exitCodeFor(result.reason);
  if (o.snapshotAt !== undefined && result.reason.kind === "budget" && o.snapshotFile) {
    const bytes = await saveMachine(machine, { meta: config });
    await Deno.writeFile(resolvePath(o.snapshotFile, io.cwd), bytes);
    io.stderr(
      `nestvm: snapshot at instruction ${machine.retired} written to ${o.snapshotFile} (${bytes.length} bytes)` +
        (machine.cpus.some((c) => c.nonRoot) ? "; a vCPU was running L2 (VMX non-root)" : ""),
    );
    status = 0;
  } else if (result.reason.kind !== "exit" && result.reason.kind !== "shutdown") {
    io.stderr(`nestvm: ${describeStop(result.reason)}`);
  }
  if (o.snapshotAt !== undefined && machine.retired < o.snapshotAt) {
    io.stderr(
      `nestvm: the run ended at instruction ${machine.retired}, before --snapshot-at ${o.snapshotAt}; no snapshot written`,
    );
  }
  // The demo's L1 reports success as isa-debug-exit status 0, i.e. (0 << 1) | 1.
  if (o.demo && result.reason.kind === "exit" && result.reason.status === 1) status = 0;
  if (recording) {
    const problem = await recording.finish();
    if (problem) io.stderr(`nestvm: ${problem}`);
  }
  if (o.statsJson) {
    const path = resolvePath(o.statsJson, io.cwd);
    try {
      await Deno.writeTextFile(path, JSON.stringify(statsJson(machine, result), null, 2) + "\n");
    } catch (error) {
      io.stderr(
        `nestvm: cannot write "${path}": ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  if (o.stats || o.demo) {
    const text = formatStats(machine, result);
    if (o.demo) io.stdout(enc.encode("\n" + text + "\n"));
    else io.stderr(text);
  }
  machine.dispose();
  return status;
}

/** The recorder and its output files for --trace-file / --timeline. */
interface Recording {
  readonly recorder: TraceRecorder;
  /** Close the files; a message if something could not be written. */
  finish(): Promise<string | undefined>;
}

function openRecording(o: CliOptions, io: CliIo): Recording | string | undefined {
  if (!o.traceFile && !o.timeline) return undefined;
  const sinks: TraceSink[] = [];
  let file: Deno.FsFile | undefined;
  if (o.traceFile) {
    const path = resolvePath(o.traceFile, io.cwd);
    try {
      file = Deno.openSync(path, { write: true, create: true, truncate: true });
    } catch (error) {
      return `cannot open trace file "${path}": ${error instanceof Error ? error.message : error}`;
    }
    sinks.push(new ChromeTraceWriter(fileWriter(file)));
  }
  const timeline = o.timeline ? new TimelineCollector() : undefined;
  if (timeline) sinks.push(timeline);
  const recorder = new TraceRecorder(sinks);
  return {
    recorder,
    async finish() {
      recorder.finish();
      file?.close();
      if (!timeline || !o.timeline) return undefined;
      const path = resolvePath(o.timeline, io.cwd);
      try {
        await Deno.writeTextFile(path, timeline.render());
      } catch (error) {
        return `cannot write "${path}": ${error instanceof Error ? error.message : error}`;
      }
      return undefined;
    },
  };
}

/** Machine options stored in snapshots written by the CLI. */
interface SavedConfig {
  memoryMiB: number;
  cpu?: string;
  devices: string[];
  smp?: SmpTopology;
  quantum?: number;
  /** -nodefaults (absent in older snapshots: false). */
  noDefaults?: boolean;
  /** Whether the machine has COM1 (absent: true). */
  serial?: boolean;
  /** Whether the machine has the -debugcon console (absent: false). */
  debugcon?: boolean;
  /** Board devices left out (--no-device). */
  omit?: string[];
  /** KVM's paravirtual interface for L1 (--kvm-pv; absent: false). */
  kvmPv?: boolean;
}

function isSavedConfig(x: unknown): x is SavedConfig {
  return typeof x === "object" && x !== null && typeof (x as SavedConfig).memoryMiB === "number" &&
    Array.isArray((x as SavedConfig).devices);
}

/** A file shipped with the package, whether it runs from a checkout (file:) or a remote module. */
async function readBundled(url: URL): Promise<Uint8Array> {
  if (url.protocol === "file:") return await Deno.readFile(url);
  const response = await fetch(url);
  if (!response.ok) throw new BootError(`cannot fetch ${url.href}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function boot(machine: PcMachine, o: CliOptions, io: CliIo): Promise<number> {
  if (o.demo || o.kernel) {
    let image: Uint8Array;
    if (o.kernel) {
      const r = await readFileNamed(o.kernel, io.cwd, "kernel");
      if (typeof r === "string") {
        io.stderr(`nestvm: ${r}`);
        return EXIT_CODES.badImage;
      }
      image = r;
    } else {
      image = await readBundled(DEMO_IMAGE);
    }
    const modules = [];
    for (const entry of (o.initrd ?? "").split(",").filter((s) => s !== "")) {
      const path = entry.split(" ")[0];
      const data = await readFileNamed(path, io.cwd, "module");
      if (typeof data === "string") {
        io.stderr(`nestvm: ${data}`);
        return EXIT_CODES.badImage;
      }
      modules.push({ name: entry, data });
    }
    // QEMU passes "<kernel path> <-append text>" as the Multiboot command
    // line; test kernels (kvm-unit-tests among them) drop the first word.
    const cmdline = o.kernel ? `${o.kernel} ${o.append}` : o.append;
    bootKernel(machine, image, { cmdline, modules });
    return 0;
  }
  if (o.loads.length > 0) {
    const files = [];
    for (const l of o.loads) {
      const data = await readFileNamed(l.file, io.cwd, "binary");
      if (typeof data === "string") {
        io.stderr(`nestvm: ${data}`);
        return EXIT_CODES.badImage;
      }
      files.push({ addr: l.addr, data, name: l.file });
    }
    bootFlat(machine, files, o.entry!, o.mode);
    return 0;
  }
  io.stderr("nestvm: nothing to run: give --kernel, --load, --restore or --demo (see --help)");
  return EXIT_CODES.usage;
}

/** Defaults, for tests. */
export { defaultOptions };
