/**
 * Building a ready-to-run machine from high-level options: the `pc` board's
 * devices, the nested-VMX plugin (unless the CPU model says `-vmx`),
 * `--device` specs and extra plugins; and booting a kernel or flat binaries
 * into it. This is what the CLI and `deno run` scripts use.
 *
 * @module
 */

import type { MachineOptions } from "../core/machine.ts";
import { type EngineKind, newPcMachine, pcCpuModel, type PcMachine } from "./pc_machine.ts";
import type { Plugin } from "../core/plugin.ts";
import { PluginMissingError } from "../core/plugin.ts";
import {
  type BoardOptions,
  deviceFactories,
  PC_BOARD_DEVICES,
  pcBoard,
} from "../devices/board_pc.ts";
import { createVmxPlugin } from "../vmx/plugin.ts";
import { createNestedOps } from "../vmx/entry/ops.ts";
import { vmxFeaturesFor } from "../vmx/features.ts";
import { parseSpec } from "./spec.ts";
import {
  applyEntryState,
  type BootModule,
  describeLoadError,
  type EntryMode,
  loadFlat,
  loadMultiboot,
  type LoadResult,
} from "../boot/mod.ts";

/** Options of {@link createMachine}. */
export interface CreateMachineOptions {
  /** Guest RAM in MiB (default 128). */
  readonly memoryMiB?: number;
  /** Board preset: "pc" (default) or "none" (no devices at all). */
  readonly board?: "pc" | "none";
  /** Sink for COM1 and the 0xE9 debug console (default: discard). */
  readonly serial?: (bytes: Uint8Array) => void;
  /** CPU model spec, e.g. "max,-vmx". Without `vmx` the VMX plugin is not loaded. */
  readonly cpu?: string;
  /** `--device` specs: configure a board device of the same type, or add one. */
  readonly devices?: readonly string[];
  /** Extra plugins (loaded after the board). */
  readonly plugins?: readonly Plugin[];
  /** Load the nested-VMX plugin (default: true unless the CPU spec has -vmx). */
  readonly vmx?: boolean;
  /** Execution engine (`--engine`): "interp" or "jit" (the block compiler). */
  readonly engine?: EngineKind;
  /** Passed to {@link Machine}. */
  readonly strictExits?: boolean;
  /** Passed to {@link Machine}. */
  readonly logLevel?: MachineOptions["logLevel"];
}

function vmxWanted(o: CreateMachineOptions): boolean {
  if (o.vmx !== undefined) return o.vmx;
  return !(o.cpu ?? "").split(",").some((f) => f.trim() === "-vmx");
}

/** Build a machine with the `pc` board, VMX and the given devices and plugins. */
export function createMachine(options: CreateMachineOptions = {}): PcMachine {
  const board = options.board ?? "pc";
  const boardOptions: BoardOptions = {
    serial: options.serial,
    memoryMiB: options.memoryMiB ?? 128,
  };
  const extra: Plugin[] = [];
  const configure = new Map<string, Record<string, string>>();
  for (const { name, options: devOptions } of (options.devices ?? []).map(parseSpec)) {
    const factory = deviceFactories[name];
    if (!factory) {
      throw new PluginMissingError(
        `unknown device "${name}"; known devices: ${
          Object.keys(deviceFactories).sort().join(", ")
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
  const cpu = pcCpuModel(
    vmxWanted(options) ? options.cpu : [options.cpu ?? "max", "-vmx"].join(","),
  );
  if (vmxWanted(options)) {
    // The CPU model is the one source of MAXPHYADDR and 1 GiB pages: the VMX
    // capability MSRs, VM-entry and EPT checks follow it.
    const features = vmxFeaturesFor({
      physBits: cpu.physBits,
      page1G: cpu.features.has("pdpe1gb"),
    });
    plugins.push(createVmxPlugin({}, createNestedOps, features));
  }
  plugins.push(...(options.plugins ?? []));
  return newPcMachine({
    memoryMiB: options.memoryMiB,
    plugins,
    cpu,
    engine: options.engine,
    strictExits: options.strictExits,
    logLevel: options.logLevel,
  });
}

/** Options of {@link bootKernel}. */
export interface BootOptions {
  /** Kernel command line. */
  readonly cmdline?: string;
  /** Multiboot modules. */
  readonly modules?: readonly BootModule[];
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

/** Load a Multiboot v1 kernel and set the vCPU to its entry state. Throws {@link BootError}. */
export function bootKernel(machine: PcMachine, image: Uint8Array, options: BootOptions = {}): void {
  enter(
    machine,
    loadMultiboot(image, machine.memory, { cmdline: options.cmdline, modules: options.modules }),
  );
}

/** Load flat binaries and enter at `entry` in `mode`. Throws {@link BootError}. */
export function bootFlat(
  machine: PcMachine,
  files: readonly { addr: number; data: Uint8Array; name?: string }[],
  entry: number,
  mode: EntryMode,
): void {
  enter(machine, loadFlat(files, machine.memory, { entry, mode }));
}
