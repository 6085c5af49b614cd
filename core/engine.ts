/**
 * The CPU-engine contract of the core: what the {@link Machine}'s run loop
 * needs from the vCPU it is composed with, and the factory through which a
 * board supplies it. `cpu/` implements it; the core never names `cpu/`.
 *
 * @module
 */

import type { Vcpu } from "./vcpu.ts";
import type { ExitDisposition, VmExit } from "./vmexit.ts";

/** Why {@link CpuEngine.run} returned. */
export type EngineStop = "limit" | "halted" | "stop-requested" | "shutdown";

/** A vCPU the run loop can drive. */
export interface CpuEngine extends Vcpu {
  /**
   * Execute until `retired >= limit`, a halt, shutdown or
   * {@link requestStop}. Never throws for anything the guest does.
   */
  run(limit: number): EngineStop;
  /** Return from {@link run} at the next instruction boundary. */
  requestStop(): void;
  /** Power-on state. */
  reset(): void;
  /**
   * Power returns after a sleep state: the time-stamp counter starts from 0
   * and IA32_TSC_ADJUST is 0, as at RESET (not a WRMSR to the TSC, which
   * would move IA32_TSC_ADJUST by the change).
   */
  resetTsc(): void;
  /** RIP of the instruction being executed (where an abandoned instruction restarts). */
  readonly ip0: number;
  /** Exception vectors (bit mask) raised as `exception` exits at level 1. */
  watchedExceptions: number;
  /**
   * Abandon the instruction being executed without retiring it (an exit
   * handler failed); only valid while {@link run} executes an instruction.
   */
  abandonInstruction(): never;
  /** The engine's state as JSON-compatible data (snapshots). */
  saveState(): unknown;
  /**
   * Restore state saved by {@link saveState}. The parameter is the engine's
   * own state type (only data from the same engine's `saveState` is given
   * back), hence `never` here: any engine's `loadState` fits.
   */
  loadState(state: never): void;
}

/** What a CPU engine is built with. */
export interface EngineEnvironment<M> {
  /** The machine's guest memory. */
  readonly memory: M;
  /** Hand a VM exit to the machine's bus. */
  exits(exit: VmExit): ExitDisposition;
  /** Virtual time in ns. */
  now(): number;
  /**
   * Charge `ns` of virtual time beyond the current instruction's own (a
   * stall, such as a cache flush): the machine adds it to the time that
   * retires nothing, as it does for idle time (see `core/clock.ts`).
   */
  stall(ns: number): void;
  /**
   * The vCPU executed PAUSE, the spin-wait hint (SDM Vol. 2, PAUSE: it
   * marks a loop that waits for another processor). With several vCPUs the
   * machine ends this vCPU's turn after the instruction, so that the vCPUs
   * it may wait for run (see `core/smp_scheduler.ts`); with one it does
   * nothing. An engine without PAUSE never calls it.
   */
  spinWait(): void;
  /** This vCPU's index in the machine (its APIC id; 0 is the boot vCPU). */
  readonly index: number;
  /** Number of vCPUs in the machine. */
  readonly count: number;
}

/** Builds a vCPU of a machine, once per vCPU (a board decides which engine and CPU model). */
export type EngineFactory<C extends CpuEngine, M> = (env: EngineEnvironment<M>) => C;
