/**
 * Building a ready-to-run machine from high-level options: the `pc` board's
 * devices, the nested-VMX plugin (unless the CPU model says `-vmx`),
 * `--device` specs and extra plugins; and booting a kernel or flat binaries
 * into it. This is what the CLI and `deno run` scripts use.
 *
 * @module
 */

import { Machine, type MachineOptions } from "../core/machine.ts";
import type { Plugin } from "../core/plugin.ts";
import { PluginMissingError } from "../core/plugin.ts";
import {
  type BoardOptions,
  deviceFactories,
  PC_BOARD_DEVICES,
  pcBoard,
} from "../devices/board_pc.ts";
import { createVmxPlugin } from "../vmx/plugin.ts";
import { parseSpec } from "./spec.ts";
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
export function createMachine(options: CreateMachineOptions = {}): Machine {
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
  if (vmxWanted(options)) plugins.push(createVmxPlugin({}));
  plugins.push(...(options.plugins ?? []));
  // Without the VMX plugin the CPU must not advertise VMX either (CPUID.1:ECX.VMX
  // clear, CR4.VMXE reserved), so the guest sees a consistent CPU.
  const cpu = vmxWanted(options) ? options.cpu : [options.cpu ?? "max", "-vmx"].join(",");
  return new Machine({
    memoryMiB: options.memoryMiB,
    plugins,
    cpu,
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

function enter(machine: Machine, r: LoadResult): void {
  if (!r.ok) throw new BootError(describeLoadError(r.error));
  applyEntryState(machine.cpu, r.entry);
}

/**
 * Load a kernel and set the vCPU to its entry state: a Linux bzImage ("HdrS"
 * at 0x202; the modules are concatenated into its initrd), a Multiboot v1
 * kernel, or an ELF kernel with a PVH entry note (Linux vmlinux; the modules
 * are its initrd). Throws {@link BootError}.
 */
export function bootKernel(machine: Machine, image: Uint8Array, options: BootOptions = {}): void {
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

/** Load flat binaries and enter at `entry` in `mode`. Throws {@link BootError}. */
export function bootFlat(
  machine: Machine,
  files: readonly { addr: number; data: Uint8Array; name?: string }[],
  entry: number,
  mode: EntryMode,
): void {
  enter(machine, loadFlat(files, machine.memory, { entry, mode }));
}
