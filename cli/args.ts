/**
 * Command-line parsing. Double-dash options are primary; the QEMU spellings
 * of the same subset are accepted so that `qemu-system-x86_64` command lines
 * work unchanged. Parsing returns a value: options or a usage error.
 *
 * @module
 */

import { DEFAULT_ENGINE } from "../plugins/pc_machine.ts";
import { DEFAULT_HOT } from "../cpu/jit/engine.ts";
import { DEFAULT_QUANTUM } from "../core/machine.ts";
import { parseIntOption } from "../plugins/spec.ts";
import { parseCpuSpec } from "../cpu/cpu_spec.ts";
import { DEFAULT_GDB_ADDRESS, type GdbAddress, parseGdbAddress } from "../debug/gdb/address.ts";

/** Parsed command line. */
export interface CliOptions {
  /** Multiboot kernel path (--kernel). */
  kernel?: string;
  /** Guest RAM in MiB (--memory). */
  memoryMiB: number;
  /** COM1 destination: stdio, none or file:PATH. */
  serial: string;
  /** True when --serial was given (with --nodefaults, only then is there a COM1). */
  serialGiven?: boolean;
  /** Port 0xE9 console destination (--debugcon); absent = no 0xE9 console, as in QEMU. */
  debugcon?: string;
  /** Leave out the board's default devices (--nodefaults, as QEMU). */
  nodefaults?: boolean;
  /** Lowest plugin log level printed on stderr (--log-level; default warn). */
  logLevel?: "debug" | "info" | "warn" | "error" | "silent";
  /** --device specs, in order. */
  devices: string[];
  /** Board devices to leave out (--no-device NAME), e.g. to put a plugin in their place. */
  omitDevices?: string[];
  /** Give L1 KVM's paravirtual interface (--kvm-pv): hypervisor CPUID leaves, hypercalls. */
  kvmPv?: boolean;
  /** CPU model spec (--cpu). */
  cpu?: string;
  /** vCPUs and their topology (--smp). */
  smp: SmpTopology;
  /** Scheduling quantum in instructions (--quantum; several vCPUs). */
  quantum?: number;
  /** Execution engine (--engine). */
  engine?: "interp" | "jit";
  /** Block compiler threshold (--jit-hot). */
  jitHot?: number;
  /** --plugin specs, in order. */
  plugins: string[];
  /** Kernel command line (--append). */
  append: string;
  /** Comma-separated module list (--initrd). */
  initrd?: string;
  /** Flat binaries (--load ADDR:FILE). */
  loads: { addr: number; file: string }[];
  /** Entry address for --load. */
  entry?: number;
  /** CPU mode at --entry. */
  mode: "real" | "protected32" | "long64";
  /** Instruction budget (--max-instructions). */
  maxInstructions?: number;
  /**
   * Idle time while stdin is open (--idle): "wait" passes it in host time,
   * "skip" jumps to the next timer; unset: "wait" when COM1 is stdio and
   * stdin is a terminal, else "skip".
   */
  idle?: "wait" | "skip";
  /** Print statistics at the end (--stats). */
  stats: boolean;
  /** Log every VM exit (--trace). */
  trace: boolean;
  /** Run the nested-virtualization demo (--demo). */
  demo: boolean;
  /** Show help (--help). */
  help: boolean;
  /** List CPU models, features and VMX capability names (`-cpu help`, as QEMU). */
  cpuHelp?: boolean;
  /** Print the version (--version). */
  version: boolean;
  /** Instruction count at which to snapshot (--snapshot-at). */
  snapshotAt?: number;
  /** Snapshot output path (--snapshot-file). */
  snapshotFile?: string;
  /** Snapshot to restore (--restore). */
  restore?: string;
  /** GDB stub address (-s, -gdb tcp:HOST:PORT). */
  gdb?: GdbAddress;
  /** Start stopped until the debugger continues (-S). */
  startStopped: boolean;
  /** Write the --stats tables as JSON to this file (--stats-json). */
  statsJson?: string;
  /** Write a Chrome trace event file (--trace-file). */
  traceFile?: string;
  /** Write an SVG timeline (--timeline). */
  timeline?: string;
  /** Warnings for QEMU options accepted but ignored (printed once each). */
  warnings: string[];
}

/** A parse result. */
export type ParseResult =
  | { readonly ok: true; readonly options: CliOptions }
  | { readonly ok: false; readonly error: string };

type Kind = "string" | "flag";

interface OptionDef {
  readonly names: readonly string[];
  readonly kind: Kind;
  readonly apply: (o: CliOptions, value: string) => string | undefined;
  /** Show help (--help). */
  readonly help: string;
  readonly arg?: string;
}

/** Parse a size like `512`, `512M`, `2G` (QEMU's -m: MiB by default). */
export function parseMemorySize(text: string): number | undefined {
  const m = /^(\d+)([kKmMgGtT]?)[bB]?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2].toUpperCase();
  const mib = unit === "K"
    ? n / 1024
    : unit === "G"
    ? n * 1024
    : unit === "T"
    ? n * 1024 * 1024
    : n;
  return Number.isInteger(mib) && mib > 0 ? mib : undefined;
}

function count(value: string, what: string): number | string {
  const n = parseIntOption(value.replaceAll("_", ""));
  return n === undefined ? `${what} must be a non-negative integer, got "${value}"` : n;
}

/**
 * QEMU options that ask for what nestvm always does: `-no-reboot` (a guest
 * reset ends the run with status 14; nestvm never reboots). Accepted
 * without a warning.
 */
const NESTVM_DEFAULT_QEMU: ReadonlySet<string> = new Set(["-no-reboot"]);

const IGNORED_QEMU: ReadonlySet<string> = new Set([
  "-nographic",
  "-no-shutdown",
  "-enable-kvm:error",
]);

const IGNORED_QEMU_WITH_ARG: Readonly<Record<string, (v: string) => string | undefined>> = {
  "-display": (v) => v === "none" ? undefined : `-display ${v} is not supported (only "none")`,
  "-vnc": (v) => v === "none" ? undefined : `-vnc ${v} is not supported (only "none")`,
  "-machine": () => undefined,
  "-M": () => undefined,
  "-accel": (v) =>
    v.startsWith("tcg")
      ? undefined
      : `-accel ${v} is not supported (nestvm is its own accelerator)`,
  "-name": () => undefined,
  "-monitor": (v) => v === "none" ? undefined : `-monitor ${v} is not supported`,
};

type StringKey =
  | "kernel"
  | "cpu"
  | "append"
  | "initrd"
  | "snapshotFile"
  | "restore"
  | "statsJson"
  | "traceFile"
  | "timeline";
type FlagKey = "stats" | "trace" | "demo" | "help" | "version";

/** An option that stores its value. */
function setString(key: StringKey): OptionDef["apply"] {
  return (o, v) => {
    o[key] = v;
    return undefined;
  };
}

/** A flag that turns a boolean on. */
function setFlag(key: FlagKey): OptionDef["apply"] {
  return (o) => {
    o[key] = true;
    return undefined;
  };
}

/** A character-device destination (stdio, none or file:PATH), stored by `set`. */
function charDevice(option: string, set: (o: CliOptions, v: string) => void): OptionDef["apply"] {
  return (o, v) => {
    if (v !== "stdio" && v !== "none" && !v.startsWith("file:")) {
      return `--${option} must be stdio, none or file:PATH, got "${v}"`;
    }
    set(o, v);
    return undefined;
  };
}

/** A repeatable option collecting its values. */
function append(key: "devices" | "plugins"): OptionDef["apply"] {
  return (o, v) => {
    o[key].push(v);
    return undefined;
  };
}

/** vCPU count and topology (`-smp`); APIC id = vCPU index. */
export interface SmpTopology {
  /** vCPUs. */
  readonly cpus: number;
  /** Sockets. */
  readonly sockets: number;
  /** Cores per socket. */
  readonly cores: number;
  /** Threads per core. */
  readonly threads: number;
}

/** Most vCPUs `--smp` accepts (the machine's limit). */
export const SMP_MAX = 64;

/**
 * Parse a `-smp` value as QEMU spells it: `N`, `cpus=N`, and any of
 * `sockets=`, `cores=`, `threads=`, `maxcpus=` (`N` may lead, the rest
 * follow). Missing counts are derived: cpus = sockets x cores x threads,
 * cores = cpus / (sockets x threads). Returns the topology or an error.
 */
export function parseSmp(text: string): SmpTopology | string {
  const fields: Record<string, number> = {};
  const parts = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0) return `-smp needs a CPU count`;
  for (const [i, part] of parts.entries()) {
    const eq = part.indexOf("=");
    const key = eq < 0 && i === 0 ? "cpus" : part.slice(0, eq);
    const value = eq < 0 ? part : part.slice(eq + 1);
    if (!["cpus", "sockets", "cores", "threads", "maxcpus", "dies"].includes(key)) {
      return `-smp: unknown field "${part}" (cpus, sockets, cores, threads, maxcpus)`;
    }
    const n = parseIntOption(value);
    if (n === undefined || n < 1) return `-smp: ${key} must be a positive integer, got "${value}"`;
    fields[key] = n;
  }
  if ((fields.dies ?? 1) !== 1) return "-smp: only dies=1 is supported";
  const threads = fields.threads ?? 1;
  const sockets = fields.sockets ?? 1;
  const cpus = fields.cpus ?? fields.maxcpus ??
    sockets * (fields.cores ?? 1) * threads;
  const cores = fields.cores ?? Math.max(1, Math.ceil(cpus / (sockets * threads)));
  if (cpus > SMP_MAX) return `-smp: ${cpus} vCPUs are more than nestvm supports (${SMP_MAX})`;
  if (sockets * cores * threads < cpus) {
    return `-smp: sockets (${sockets}) x cores (${cores}) x threads (${threads}) < cpus (${cpus})`;
  }
  if (fields.maxcpus !== undefined && fields.maxcpus !== cpus) {
    return `-smp: maxcpus must equal cpus (CPU hotplug is not supported)`;
  }
  return { cpus, sockets, cores, threads };
}

/** The option table (documents the CLI; `--help` is generated from it). */
export const OPTIONS: readonly OptionDef[] = [
  {
    names: ["--kernel", "-kernel"],
    kind: "string",
    arg: "FILE",
    /** Show help (--help). */
    help:
      "kernel to boot: a Linux bzImage (boot protocol 2.06+) or Multiboot v1 (ELF32/ELF64, a.out kludge)",
    apply: setString("kernel"),
  },
  {
    names: ["--memory", "-m"],
    kind: "string",
    arg: "SIZE",
    /** Show help (--help). */
    help: "guest RAM, MiB by default (e.g. 256, 512M, 4G; default 128)",
    apply: (o, v) => {
      const mib = parseMemorySize(v.replace(/^size=/, ""));
      if (mib === undefined || mib > 65536) return `invalid memory size "${v}"`;
      o.memoryMiB = mib;
      return undefined;
    },
  },
  {
    names: ["--serial", "-serial"],
    kind: "string",
    arg: "stdio|file:PATH|none",
    /** Show help (--help). */
    help: "where COM1 output goes (default stdio)",
    apply: charDevice("serial", (o, v) => {
      o.serial = v;
      o.serialGiven = true;
    }),
  },
  {
    names: ["--debugcon", "-debugcon"],
    kind: "string",
    arg: "stdio|file:PATH|none",
    /** Show help (--help). */
    help: "add the port 0xE9 debug console writing there (none by default, as in QEMU)",
    apply: charDevice("debugcon", (o, v) => {
      o.debugcon = v;
    }),
  },
  {
    names: ["--no-device"],
    kind: "string",
    arg: "NAME",
    /** Show help (--help). */
    help: "leave a pc board device out (e.g. isa-serial, to load a plugin of your own there)",
    apply: (o, v) => {
      (o.omitDevices ??= []).push(v);
      return undefined;
    },
  },
  {
    names: ["--log-level"],
    kind: "string",
    arg: "debug|info|warn|error|silent",
    /** Show help (--help). */
    help: "lowest level of plugin log messages printed on stderr (default warn)",
    apply: (o, v) => {
      if (!["debug", "info", "warn", "error", "silent"].includes(v)) {
        return `--log-level must be debug, info, warn, error or silent, got "${v}"`;
      }
      o.logLevel = v as CliOptions["logLevel"];
      return undefined;
    },
  },
  {
    names: ["--nodefaults", "-nodefaults"],
    kind: "flag",
    /** Show help (--help). */
    help:
      "leave out the default devices (COM1 unless --serial is given, isa-debug-exit, pc-testdev)",
    apply: (o) => {
      o.nodefaults = true;
      return undefined;
    },
  },
  {
    names: ["--device", "-device"],
    kind: "string",
    arg: "NAME[,k=v...]",
    /** Show help (--help). */
    help: "add or configure a device (e.g. isa-debug-exit,iobase=0xf4,iosize=4)",
    apply: append("devices"),
  },
  {
    names: ["--cpu", "-cpu"],
    kind: "string",
    arg: "MODEL[,+feat,-feat,prop=v]",
    /** Show help (--help). */
    help:
      "CPU model, features and QEMU properties (e.g. max,-vmx or qemu64,vendor=GenuineIntel; help lists them)",
    apply: (o, v) => {
      if (v === "help" || v === "?") {
        o.cpuHelp = true;
        return undefined;
      }
      const r = parseCpuSpec(v);
      if (!r.ok) return r.error;
      o.cpu = v;
      for (const w of r.warnings) {
        if (!o.warnings.includes(`warning: ${w}`)) o.warnings.push(`warning: ${w}`);
      }
      return undefined;
    },
  },
  {
    names: ["--smp", "-smp"],
    kind: "string",
    arg: "N[,sockets=S,cores=C,threads=T]",
    help: `vCPUs (1-${SMP_MAX}, default 1) and their topology, as QEMU's -smp (also cpus=N)`,
    apply: (o, v) => {
      const t = parseSmp(v);
      if (typeof t === "string") return t;
      o.smp = t;
      return undefined;
    },
  },
  {
    names: ["--quantum"],
    kind: "string",
    arg: "N",
    help: `instructions a vCPU runs before the next vCPU's turn (default ${DEFAULT_QUANTUM})`,
    apply: (o, v) => {
      const n = count(v, "--quantum");
      if (typeof n === "string") return n;
      if (n < 1 || n > 1e9) return `--quantum must be 1..1000000000, got ${n}`;
      o.quantum = n;
      return undefined;
    },
  },
  {
    names: ["--engine"],
    kind: "string",
    arg: "interp|jit",
    help:
      `execution engine: the interpreter, or with the block compiler (default ${DEFAULT_ENGINE})`,
    apply: (o, v) => {
      if (v !== "interp" && v !== "jit") return `--engine must be interp or jit, got "${v}"`;
      o.engine = v;
      return undefined;
    },
  },
  {
    names: ["--jit-hot"],
    kind: "string",
    arg: "N",
    help:
      `block compiler: visits of an instruction before it compiles a region there (default ${DEFAULT_HOT})`,
    apply: (o, v) => {
      const n = count(v, "--jit-hot");
      if (typeof n === "string") return n;
      if (n < 1 || n > 1e9) return `--jit-hot must be 1..1000000000, got ${n}`;
      o.jitHot = n;
      return undefined;
    },
  },
  {
    names: ["--plugin"],
    kind: "string",
    arg: "SPECIFIER[,k=v...]",
    /** Show help (--help). */
    help: "load a plugin module (path, URL, npm: or jsr:) with options",
    apply: append("plugins"),
  },
  {
    names: ["--append", "-append"],
    kind: "string",
    arg: "STRING",
    /** Show help (--help). */
    help: "kernel command line (Linux or Multiboot cmdline)",
    apply: setString("append"),
  },
  {
    names: ["--initrd", "-initrd"],
    kind: "string",
    arg: "FILE[,FILE...]",
    /** Show help (--help). */
    help:
      "Linux initrd, or Multiboot modules; comma separated (Multiboot modules may carry an argument string after a space; Linux initrds are concatenated)",
    apply: setString("initrd"),
  },
  {
    names: ["--load"],
    kind: "string",
    arg: "ADDR:FILE",
    /** Show help (--help). */
    help: "load a flat binary at a guest-physical address (repeatable)",
    apply: (o, v) => {
      const i = v.indexOf(":");
      const addr = i > 0 ? parseIntOption(v.slice(0, i)) : undefined;
      if (addr === undefined || i === v.length - 1) return `--load expects ADDR:FILE, got "${v}"`;
      o.loads.push({ addr, file: v.slice(i + 1) });
      return undefined;
    },
  },
  {
    names: ["--entry"],
    kind: "string",
    arg: "ADDR",
    /** Show help (--help). */
    help: "entry point for --load",
    apply: (o, v) => {
      const n = parseIntOption(v);
      if (n === undefined) return `--entry expects an address, got "${v}"`;
      o.entry = n;
      return undefined;
    },
  },
  {
    names: ["--mode"],
    kind: "string",
    arg: "real|protected32|long64",
    /** Show help (--help). */
    help: "CPU mode at --entry (default protected32)",
    apply: (o, v) => {
      if (v !== "real" && v !== "protected32" && v !== "long64") {
        return `--mode must be real, protected32 or long64, got "${v}"`;
      }
      o.mode = v;
      return undefined;
    },
  },
  {
    names: ["--max-instructions"],
    kind: "string",
    arg: "N",
    /** Show help (--help). */
    help: "stop after N retired instructions",
    apply: (o, v) => {
      const n = count(v, "--max-instructions");
      if (typeof n === "string") return n;
      o.maxInstructions = n;
      return undefined;
    },
  },
  {
    names: ["--idle"],
    kind: "string",
    arg: "wait|skip",
    /** Show help (--help). */
    help: "while every vCPU is halted and stdin is open: let time pass on the host's clock " +
      "(wait) or jump to the next timer (skip, deterministic); default wait when -serial " +
      "stdio reads a terminal, else skip",
    apply: (o, v) => {
      if (v !== "wait" && v !== "skip") return `--idle takes wait or skip, got "${v}"`;
      o.idle = v;
      return undefined;
    },
  },
  {
    names: ["--kvm-pv"],
    kind: "flag",
    help: "give L1 a KVM host's paravirtual interface: the KVM CPUID leaves and hypercalls " +
      "(VMCALL outside VMX operation, VMMCALL), with KVM_HC_SEND_IPI",
    apply: (o) => {
      o.kvmPv = true;
      return undefined;
    },
  },
  {
    names: ["--stats"],
    kind: "flag",
    /** Show help (--help). */
    help: "print instructions, MIPS and VM exits by reason and level on stderr at the end",
    apply: setFlag("stats"),
  },
  {
    names: ["--trace"],
    kind: "flag",
    /** Show help (--help). */
    help: "log every VM exit on stderr",
    apply: setFlag("trace"),
  },
  {
    names: ["--stats-json"],
    kind: "string",
    arg: "FILE",
    /** Show help (--help). */
    help: "write the --stats tables as JSON to FILE",
    apply: setString("statsJson"),
  },
  {
    names: ["--trace-file"],
    kind: "string",
    arg: "FILE",
    /** Show help (--help). */
    help: "write a trace of the run (Chrome trace event format: Perfetto, chrome://tracing)",
    apply: setString("traceFile"),
  },
  {
    names: ["--timeline"],
    kind: "string",
    arg: "FILE",
    /** Show help (--help). */
    help: "draw the run as an SVG timeline (tracks per level, VM exits by reason)",
    apply: setString("timeline"),
  },
  {
    names: ["--gdb", "-gdb"],
    kind: "string",
    arg: "tcp:[HOST]:PORT",
    /** Show help (--help). */
    help: "serve the GDB remote protocol (loopback unless HOST is given)",
    apply: (o, v) => {
      const a = parseGdbAddress(v);
      if (typeof a === "string") return a;
      o.gdb = a;
      return undefined;
    },
  },
  {
    names: ["-s"],
    kind: "flag",
    /** Show help (--help). */
    help: "shorthand for -gdb tcp::1234",
    apply: (o) => {
      o.gdb = DEFAULT_GDB_ADDRESS;
      return undefined;
    },
  },
  {
    names: ["-S"],
    kind: "flag",
    /** Show help (--help). */
    help: "start stopped: wait for the debugger to continue (with -s or -gdb)",
    apply: (o) => {
      o.startStopped = true;
      return undefined;
    },
  },
  {
    names: ["--snapshot-at"],
    kind: "string",
    arg: "N",
    /** Show help (--help). */
    help: "stop after N retired instructions and save a snapshot to --snapshot-file",
    apply: (o, v) => {
      const n = count(v, "--snapshot-at");
      if (typeof n === "string") return n;
      o.snapshotAt = n;
      return undefined;
    },
  },
  {
    names: ["--snapshot-file"],
    kind: "string",
    arg: "PATH",
    /** Show help (--help). */
    help: "snapshot file written by --snapshot-at",
    apply: setString("snapshotFile"),
  },
  {
    names: ["--restore"],
    kind: "string",
    arg: "PATH",
    /** Show help (--help). */
    help: "continue a machine from a snapshot file",
    apply: setString("restore"),
  },
  {
    names: ["--demo"],
    kind: "flag",
    /** Show help (--help). */
    help: "run the nested-virtualization demo (L1 hypervisor launching an L2)",
    apply: setFlag("demo"),
  },
  {
    names: ["--help", "-h", "-help"],
    kind: "flag",
    /** Show help (--help). */
    help: "show this help",
    apply: setFlag("help"),
  },
  {
    names: ["--version", "-version"],
    kind: "flag",
    /** Show help (--help). */
    help: "print the version",
    apply: setFlag("version"),
  },
];

const BY_NAME = new Map<string, OptionDef>();
for (const d of OPTIONS) for (const n of d.names) BY_NAME.set(n, d);

/** Default options. */
export function defaultOptions(): CliOptions {
  return {
    /** Guest RAM in MiB (--memory). */
    memoryMiB: 128,
    /** COM1 destination: stdio, none or file:PATH. */
    serial: "stdio",
    /** --device specs, in order. */
    devices: [],
    /** One vCPU. */
    smp: { cpus: 1, sockets: 1, cores: 1, threads: 1 },
    /** --plugin specs, in order. */
    plugins: [],
    /** Kernel command line (--append). */
    append: "",
    /** Flat binaries (--load ADDR:FILE). */
    loads: [],
    /** CPU mode at --entry. */
    mode: "protected32",
    /** Print statistics at the end (--stats). */
    stats: false,
    /** Log every VM exit (--trace). */
    trace: false,
    /** Run the nested-virtualization demo (--demo). */
    demo: false,
    /** Show help (--help). */
    help: false,
    /** Print the version (--version). */
    version: false,
    /** Start stopped until the debugger continues (-S). */
    startStopped: false,
    warnings: [],
  };
}

/** Parse `args` (without the program name). */
export function parseArgs(args: readonly string[]): ParseResult {
  const o = defaultOptions();
  const warned = new Set<string>();
  // `deno task run -- ...` passes the separator through: skip a leading one.
  for (let i = args[0] === "--" ? 1 : 0; i < args.length; i++) {
    let arg = args[i];
    let inline: string | undefined;
    if (arg.startsWith("--") && arg.includes("=")) {
      inline = arg.slice(arg.indexOf("=") + 1);
      arg = arg.slice(0, arg.indexOf("="));
    }
    const def = BY_NAME.get(arg);
    if (def) {
      if (def.kind === "flag") {
        if (inline !== undefined) return { ok: false, error: `option ${arg} takes no value` };
        def.apply(o, "");
        continue;
      }
      const value = inline ?? args[++i];
      if (value === undefined) {
        return { ok: false, error: `option ${arg} needs a value (${def.arg})` };
      }
      const err = def.apply(o, value);
      if (err) return { ok: false, error: err };
      continue;
    }
    if (arg === "-enable-kvm") {
      return {
        /** True when parsing succeeded. */
        ok: false,
        /** What is wrong with the command line. */
        error: "-enable-kvm is not supported: nestvm emulates the CPU (and VMX) itself",
      };
    }
    if (NESTVM_DEFAULT_QEMU.has(arg)) continue;
    if (IGNORED_QEMU.has(arg)) {
      if (!warned.has(arg)) o.warnings.push(`warning: ignoring QEMU option ${arg}`);
      warned.add(arg);
      continue;
    }
    const withArg = IGNORED_QEMU_WITH_ARG[arg];
    if (withArg) {
      const value = args[++i];
      if (value === undefined) return { ok: false, error: `option ${arg} needs a value` };
      const err = withArg(value);
      if (err) return { ok: false, error: err };
      if (!warned.has(arg)) o.warnings.push(`warning: ignoring QEMU option ${arg} ${value}`);
      warned.add(arg);
      continue;
    }
    return {
      /** True when parsing succeeded. */
      ok: false,
      /** What is wrong with the command line. */
      error: arg.startsWith("-") ? `unknown option ${arg}` : `unexpected argument "${arg}"`,
    };
  }
  if (o.snapshotAt !== undefined && o.snapshotFile === undefined) {
    return { ok: false, error: "--snapshot-at needs --snapshot-file" };
  }
  if (o.startStopped && o.gdb === undefined) {
    return { ok: false, error: "-S needs a debugger to continue: add -s or -gdb tcp::PORT" };
  }
  if (o.loads.length > 0 && o.kernel) {
    return { ok: false, error: "--load and --kernel cannot be combined" };
  }
  if (o.loads.length > 0 && o.entry === undefined) {
    return { ok: false, error: "--load needs --entry" };
  }
  return { ok: true, options: o };
}

/** The `--help` text. */
export function helpText(): string {
  const lines = [
    "nestvm — x86-64 emulator with nested VMX",
    "",
    "usage: nestvm [options]            (deno run -A cli.ts [options])",
    "",
    "options:",
  ];
  for (const d of OPTIONS) {
    const head = d.names.join(", ") + (d.arg ? " " + d.arg : "");
    lines.push(`  ${head.padEnd(40)} ${d.help}`);
  }
  lines.push(
    "",
    "QEMU options accepted and ignored (one warning each): -nographic, -display none,",
    "  -vnc none, -no-shutdown, -machine ..., -name ..., -monitor none, -accel tcg;",
    "  -no-reboot is accepted silently: a guest reset always ends the run (status 14)",
    "",
    "exit status: the guest's isa-debug-exit status ((v << 1) | 1) when it used that device;",
    "  0 orderly shutdown; 2 usage error; 4 triple fault; 6 instruction budget spent;",
    "  8 halted with no wake-up source; 10 unhandled exit; 12 plugin error; 14 reset;",
    "  16 bad kernel/snapshot image; 18 VMX abort (indicator and VMCS pointer on stderr);",
    "  20 snapshot does not fit this machine",
  );
  return lines.join("\n");
}
