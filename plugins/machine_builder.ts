/**
 * Building a ready-to-run machine from high-level options: the `pc` board's
 * devices, the nested-VMX plugin (unless the CPU model says `-vmx`), the
 * KVM paravirtual interface when asked (`kvmPv`), `--device` specs and
 * extra plugins; and booting a kernel or flat binaries
 * into it. This is what the CLI and `deno run` scripts use.
 *
 * @module
 */

import type { MachineOptions } from "../core/machine.ts";
import {
  type EngineKind,
  newPcMachine,
  pcCpuModel,
  type PcMachine,
  type VcpuTopology,
} from "./pc_machine.ts";
import type { Plugin } from "../core/plugin.ts";
import type { CpuModel } from "../cpu/model.ts";
import { PluginConflictError, PluginMissingError } from "../core/plugin.ts";
import { createDevice, type DeviceType } from "./device_types.ts";
import {
  type BoardOptions,
  deviceFactories,
  PC_BOARD_DEVICES,
  pcBoard,
} from "../devices/board_pc.ts";
import { createVmxPlugin } from "../vmx/plugin.ts";
import { createKvmPv } from "./kvm_pv/plugin.ts";
import { cr4Writable } from "../cpu/model.ts";
import { debugctlWritable } from "../cpu/msr.ts";
import { perfGlobalCtrlBits } from "../cpu/pmu.ts";
import { createNestedOps } from "../vmx/entry/ops.ts";
import { vmxFeaturesFor } from "../vmx/features.ts";
import { parseSpec } from "./spec.ts";
import { applyPcFirmwareState } from "./pc_firmware.ts";
import {
  applyEntryState,
  type BootModule,
  describeLoadError,
  type EntryMode,
  findPvhEntry,
  hasBootSectorSignature,
  hasLinuxMagic,
  loadFlat,
  loadLinux,
  loadMultiboot,
  loadPvh,
  type LoadResult,
} from "../boot/mod.ts";

/** Options of {@link createMachine}. */
export interface CreateMachineOptions {
  /** Guest RAM in MiB (default 128). */
  readonly memoryMiB?: number;
  /** Board preset: "pc" (default) or "none" (no devices at all). */
  readonly board?: "pc" | "none";
  /** Sink for COM1 (default: discard; with `noDefaults`, no COM1 unless given). */
  readonly serial?: (bytes: Uint8Array) => void;
  /**
   * CPU model: a spec like "max,-vmx" or a model object. Without `vmx` the
   * VMX plugin is not loaded.
   */
  readonly cpu?: string | CpuModel;
  /** Sink of a port 0xE9 console; without it there is none (as QEMU without -debugcon). */
  readonly debugcon?: (bytes: Uint8Array) => void;
  /** Leave out the board's default devices (QEMU's -nodefaults): COM1 unless `serial` is given, isa-debug-exit, pc-testdev. */
  readonly noDefaults?: boolean;
  /** Board devices to leave out by name (e.g. "isa-serial" to put a plugin of your own there). */
  readonly omitBoardDevices?: readonly string[];
  /** `--device` specs: configure a board device of the same type, or add one. */
  readonly devices?: readonly string[];
  /** Device types contributed by modules (usable in `devices` by name). */
  readonly deviceTypes?: readonly DeviceType[];
  /** Extra plugins (loaded after the board). */
  readonly plugins?: readonly Plugin[];
  /** Load the nested-VMX plugin (default: true unless the CPU spec has -vmx). */
  readonly vmx?: boolean;
  /**
   * Give L1 the paravirtual interface of a KVM host: the hypervisor CPUID
   * leaves and KVM's hypercalls (the `kvm-pv` plugin, `kvm_pv/plugin.ts`).
   * Default false.
   */
  readonly kvmPv?: boolean;
  /** Execution engine (`--engine`): "interp" or "jit" (the block compiler). */
  readonly engine?: EngineKind;
  /** Engine "jit": visits of an instruction before a region is compiled there (`--jit-hot`). */
  readonly jitHot?: number;
  /**
   * vCPUs: a count, or a count with its topology (sockets x cores x threads,
   * reported by CPUID leaf 0xB). Default 1.
   */
  readonly smp?: number | VcpuTopology;
  /** Scheduling quantum in instructions (several vCPUs; see `core/smp_scheduler.ts`). */
  readonly quantum?: number;
  /** Passed to {@link Machine}. */
  readonly strictExits?: boolean;
  /** Passed to {@link Machine}. */
  readonly logLevel?: MachineOptions["logLevel"];
  /** Passed to {@link Machine}: where plugin log lines go (default stderr). */
  readonly logSink?: MachineOptions["logSink"];
}

function vmxWanted(o: CreateMachineOptions): boolean {
  if (o.vmx !== undefined) return o.vmx;
  if (typeof o.cpu === "object") return o.cpu.features.has("vmx");
  return !(o.cpu ?? "").split(",").some((f) => f.trim() === "-vmx");
}

/** The CPU model to build with: without the VMX plugin, VMX is not advertised. */
function cpuFor(o: CreateMachineOptions): string | CpuModel | undefined {
  if (vmxWanted(o)) return o.cpu;
  if (typeof o.cpu === "object") {
    const features = new Set(o.cpu.features);
    features.delete("vmx");
    return { ...o.cpu, features };
  }
  return [o.cpu ?? "max", "-vmx"].join(",");
}

/**
 * Build a machine with the `pc` board, VMX and the given devices and plugins.
 *
 * @example
 * ```ts
 * import { bootKernel, createMachine } from "./machine_builder.ts";
 *
 * const machine = createMachine({
 *   memoryMiB: 64,
 *   serial: (bytes) => Deno.stdout.writeSync(bytes),
 *   devices: ["isa-debug-exit,iobase=0xf4,iosize=4"],
 * });
 * bootKernel(machine, await Deno.readFile("guests/build/hello64.elf"), { cmdline: "quiet" });
 * const result = machine.run({ maxInstructions: 10_000_000 });
 * console.log(result.reason); // { kind: "exit", status: 1 }
 * machine.dispose();
 * ```
 */
export function createMachine(options: CreateMachineOptions = {}): PcMachine {
  const board = options.board ?? "pc";
  const boardOptions: BoardOptions = {
    serial: options.serial,
    debugcon: options.debugcon,
    noDefaults: options.noDefaults,
    omit: options.omitBoardDevices,
    memoryMiB: options.memoryMiB ?? 128,
  };
  const extra: Plugin[] = [];
  const configure = new Map<string, Record<string, string>>();
  const contributed = new Map((options.deviceTypes ?? []).map((t) => [t.name, t]));
  for (const t of contributed.keys()) {
    if (Object.hasOwn(deviceFactories, t)) {
      throw new PluginConflictError(
        `device type "${t}" from a module collides with a built-in device`,
      );
    }
  }
  for (const { name, options: devOptions } of (options.devices ?? []).map(parseSpec)) {
    const type = contributed.get(name);
    if (type !== undefined) {
      extra.push(createDevice(type, devOptions));
      continue;
    }
    const factory = Object.hasOwn(deviceFactories, name) ? deviceFactories[name] : undefined;
    if (!factory) {
      throw new PluginMissingError(
        `unknown device "${name}"; known devices: ${
          [...Object.keys(deviceFactories), ...contributed.keys()].sort().join(", ")
        }`,
      );
    }
    // A --device naming a device the board already has configures it (QEMU
    // command lines repeat the board's isa-debug-exit); others are added.
    if (board === "pc" && PC_BOARD_DEVICES.includes(name) && !configure.has(name)) {
      configure.set(name, { ...devOptions });
    } else {
      extra.push(factory({ ...devOptions }, boardOptions));
    }
  }
  const boardPlugins = board === "pc" ? pcBoard({ ...boardOptions, configure }) : [];
  const plugins = [...boardPlugins, ...extra];
  // Without the VMX plugin the CPU must not advertise VMX either (CPUID.1:ECX.VMX
  // clear, CR4.VMXE reserved), so the guest sees a consistent CPU.
  const cpu = pcCpuModel(cpuFor(options));
  if (vmxWanted(options)) {
    // The CPU model is the one source of MAXPHYADDR and 1 GiB pages: the VMX
    // capability MSRs, VM-entry and EPT checks follow it.
    const features = vmxFeaturesFor({
      physBits: cpu.physBits,
      page1G: cpu.features.has("pdpe1gb"),
      cr4Bits: cr4Writable(cpu),
      debugctlBits: debugctlWritable(cpu),
      vmxOff: cpu.vmxOff,
      perfGlobalCtrlBits: perfGlobalCtrlBits(cpu),
    });
    plugins.push(createVmxPlugin({}, createNestedOps, features));
  }
  if (options.kvmPv === true) plugins.push(createKvmPv());
  plugins.push(...(options.plugins ?? []));
  return newPcMachine({
    memoryMiB: options.memoryMiB,
    plugins,
    cpu,
    engine: options.engine,
    jitHot: options.jitHot,
    smp: options.smp,
    quantum: options.quantum,
    strictExits: options.strictExits,
    logLevel: options.logLevel,
    logSink: options.logSink,
  });
}

/** Options of {@link bootKernel}. */
export interface BootOptions {
  /** Kernel command line. */
  readonly cmdline?: string;
  /** Multiboot modules. */
  readonly modules?: readonly BootModule[];
  /**
   * Leave the state PC firmware leaves (real-mode IVT, PIC bases 0x08/0x70,
   * PIT channel 0 ticking; see pc_firmware.ts) before loading. Default true.
   */
  readonly firmware?: boolean;
}

/** Loading failed; the message names what is wrong with the image. */
export class BootError extends Error {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "BootError";
  }
}

function enter(machine: PcMachine, r: LoadResult): void {
  if (!r.ok) throw new BootError(describeLoadError(r.error));
  applyEntryState(machine.cpu, r.entry);
}

/**
 * Load a kernel and set the vCPU to its entry state: a Linux bzImage ("HdrS"
 * at 0x202; the modules are concatenated into its initrd), a Multiboot v1
 * kernel, or an ELF kernel with a PVH entry note (Linux vmlinux; the modules
 * are its initrd). Throws {@link BootError}.
 *
 * @example
 * ```ts
 * import { bootKernel, createMachine } from "./machine_builder.ts";
 *
 * const m = createMachine();
 * bootKernel(m, await Deno.readFile("guests/build/hello64.elf"), {
 *   cmdline: "iterations=10",
 *   modules: [{ name: "data.bin", data: new Uint8Array(16) }],
 * });
 * ```
 */
export function bootKernel(machine: PcMachine, image: Uint8Array, options: BootOptions = {}): void {
  if (options.firmware ?? true) applyPcFirmwareState(machine);
  if (hasLinuxMagic(image)) {
    const parts = (options.modules ?? []).map((m) => m.data);
    enter(
      machine,
      loadLinux(image, machine.memory, { cmdline: options.cmdline, initrd: concat(parts) }),
    );
    return;
  }
  const r = loadMultiboot(image, machine.memory, {
    cmdline: options.cmdline,
    modules: options.modules,
  });
  // An ELF kernel without a Multiboot header but with a PVH entry note (Linux vmlinux).
  if (!r.ok && r.error.kind === "bad-magic" && findPvhEntry(image) !== null) {
    const parts = (options.modules ?? []).map((m) => m.data);
    enter(
      machine,
      loadPvh(image, machine.memory, { cmdline: options.cmdline, initrd: concat(parts) }),
    );
    return;
  }
  // A boot sector without a Multiboot header: an old (pre-2.00) Linux image.
  if (!r.ok && r.error.kind === "bad-magic" && hasBootSectorSignature(image)) {
    enter(machine, { ok: false, error: { kind: "linux", error: { kind: "linux-no-hdrs" } } });
  }
  enter(machine, r);
}

/** Concatenate initrd parts, each padded to 4 bytes (cpio archives may be stacked). */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const size = parts.reduce((n, p) => n + Math.ceil(p.length / 4) * 4, 0);
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += Math.ceil(p.length / 4) * 4;
  }
  return out;
}

/**
 * Load flat binaries and enter at `entry` in `mode`. Throws {@link BootError}.
 *
 * @example
 * ```ts
 * import { bootFlat, createMachine } from "./machine_builder.ts";
 *
 * const m = createMachine({ memoryMiB: 16 });
 * // mov al, 0; out 0xf4, al  (isa-debug-exit: status 1)
 * bootFlat(m, [{ addr: 0x100000, data: Uint8Array.fromHex("b000e6f4") }], 0x100000, "protected32");
 * console.log(m.run().reason); // { kind: "exit", status: 1 }
 * ```
 */
export function bootFlat(
  machine: PcMachine,
  files: readonly { addr: number; data: Uint8Array; name?: string }[],
  entry: number,
  mode: EntryMode,
): void {
  enter(machine, loadFlat(files, machine.memory, { entry, mode }));
}
