/**
 * The PC's composition of a {@link Machine}: guest memory from `mm/` with
 * the PC RAM map (low RAM below the PCI hole, the rest above 4 GiB) and the
 * `cpu/` interpreter with the CPU model named by a `-cpu` spec. The core
 * receives both through its factories and never names `cpu/` or `mm/`.
 *
 * @example
 * ```ts
 * import { newPcMachine } from "./pc_machine.ts";
 * const m = newPcMachine({ memoryMiB: 4 });
 * m.memory.write32(0x1000, 0xf4); // HLT
 * m.dispose();
 * ```
 *
 * @module
 */

import { Machine, type MachineOptions } from "../core/machine.ts";
import type { EngineFactory } from "../core/engine.ts";
import { PluginConflictError } from "../core/plugin.ts";
import { Cpu } from "../cpu/cpu.ts";
import { JitEngine } from "../cpu/jit/mod.ts";
import { type CpuModel, defaultModel } from "../cpu/model.ts";
import { modelFromSpec } from "../cpu/cpu_spec.ts";
import { PhysicalMemory } from "../mm/physical.ts";
import { pcRamLayout } from "../mm/regions.ts";
import { pcFirmwareResume } from "./pc_firmware_resume.ts";

/** A machine built from the PC parts: the `cpu/` engine over `mm/` memory. */
export type PcMachine = Machine<Cpu, PhysicalMemory>;

/** Options of {@link pcMachineOptions}: the machine's options without its factories, plus the PC parts. */
export interface PcMachineOptions
  extends Omit<MachineOptions<Cpu, PhysicalMemory>, "memory" | "engine"> {
  /** Guest RAM in MiB (default 128). */
  readonly memoryMiB?: number;
  /** CPU model: a `-cpu` spec such as "max,-vmx,phys-bits=36", or a model object. */
  readonly cpu?: string | CpuModel;
  /** Execution engine: the interpreter alone, or with the block compiler (default "jit"). */
  readonly engine?: EngineKind;
  /**
   * Engine "jit": visits of an instruction before a region is compiled
   * there (default `DEFAULT_HOT` of `cpu/jit/engine.ts`).
   */
  readonly jitHot?: number;
  /** vCPUs: a count (cores of one socket) or a count with its topology. Default 1. */
  readonly smp?: number | VcpuTopology;
}

/** vCPU count and topology (CPUID leaf 0xB); the APIC id is the vCPU index. */
export interface VcpuTopology {
  /** vCPUs. */
  readonly cpus: number;
  /** Threads per core (default 1). */
  readonly threads?: number;
  /** Cores per socket (default: all vCPUs in one socket). */
  readonly cores?: number;
}

/** Execution engines of the `cpu/` vCPU (`--engine`). */
export type EngineKind = "interp" | "jit";

/** The engine used when none is named. */
export const DEFAULT_ENGINE: EngineKind = "jit";

/** The CPU model a `-cpu` spec (or model object) names; throws RangeError for a bad spec. */
export function pcCpuModel(cpu: string | CpuModel | undefined): CpuModel {
  const model = typeof cpu === "string" ? modelFromSpec(cpu) : cpu ?? defaultModel();
  if (typeof model === "string") throw new RangeError(`--cpu: ${model}`);
  return model;
}

/** Guest memory with `bytes` of RAM in the PC layout. */
export function pcMemory(bytes: number): PhysicalMemory {
  const memory = new PhysicalMemory();
  for (const [base, size] of pcRamLayout(bytes)) {
    const r = memory.addRam(base, size, base === 0 ? "ram-low" : "ram-high");
    if (!r.ok) {
      throw new PluginConflictError(`RAM at 0x${base.toString(16)} refused (${r.error.kind})`);
    }
  }
  return memory;
}

/**
 * The `cpu/` vCPU with `model`, as the machine's engine factory: the
 * interpreter, with the block compiler attached for `engine` "jit"; one per
 * vCPU, with its APIC id and the topology CPUID reports.
 */
export function interpreterEngine(
  model: CpuModel,
  engine: EngineKind = DEFAULT_ENGINE,
  topology?: VcpuTopology,
  jitHot?: number,
): EngineFactory<Cpu, PhysicalMemory> {
  return (env) => {
    const cpu = new Cpu({
      memory: env.memory,
      exits: env.exits,
      now: env.now,
      stall: env.stall,
      spinWait: env.spinWait,
      model,
      apicId: env.index,
      cpuCount: env.count,
      threadsPerCore: topology?.threads ?? 1,
      coresPerSocket: topology?.cores ?? Math.ceil(env.count / (topology?.threads ?? 1)),
    });
    if (engine === "jit") cpu.jit = new JitEngine(jitHot);
    return cpu;
  };
}

/** The {@link Machine} options of a PC: PC RAM map, the interpreter with the spec's CPU model. */
export function pcMachineOptions(
  options: PcMachineOptions = {},
): MachineOptions<Cpu, PhysicalMemory> {
  const { memoryMiB, cpu, engine, jitHot, smp, ...rest } = options;
  const topology: VcpuTopology = typeof smp === "number" ? { cpus: smp } : smp ?? { cpus: 1 };
  const mib = memoryMiB ?? 128;
  if (!Number.isFinite(mib) || mib < 1 || mib > 65536) {
    throw new RangeError(`memory size ${mib} MiB is out of range (1..65536)`);
  }
  const model = pcCpuModel(cpu);
  return {
    ...rest,
    // Waking from S3 goes through the PC firmware's resume path.
    resume: rest.resume ?? pcFirmwareResume,
    memory: () => pcMemory(mib * 1024 * 1024),
    engine: interpreterEngine(model, engine, topology, jitHot),
    vcpus: rest.vcpus ?? topology.cpus,
  };
}

/** Build a PC machine (no devices unless `board`/`plugins` bring them). */
export function newPcMachine(options: PcMachineOptions = {}): PcMachine {
  return new Machine(pcMachineOptions(options));
}

/** Restore a PC machine from a snapshot (or a full snapshot and its deltas). */
export function restorePcMachine(
  snapshot: Uint8Array | readonly Uint8Array[],
  options: PcMachineOptions = {},
): Promise<PcMachine> {
  return Machine.restore(snapshot, pcMachineOptions(options));
}
