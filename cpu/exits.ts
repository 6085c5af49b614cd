/**
 * How the CPU engine hands events to the exit bus: every exit, at both
 * levels, goes through `Cpu.exits` (the machine's bus), where observers see
 * it first, interceptors (the VMX plugin deciding L1 or L0) next, then
 * owners; "pass" leaves the CPU to apply the architectural default.
 *
 * Frequent exits without operands (HLT, PAUSE, RDTSC and the other simple
 * instructions; the window, NMI, external-interrupt and triple-fault
 * events) reuse one record each instead of allocating per instruction; the
 * bus contract (core/vmexit.ts) says an exit is valid only while it is
 * dispatched.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type {
  ExitDisposition,
  ExternalInterruptExit,
  SimpleInstructionExit,
  TripleFaultExit,
  VmExit,
  WindowExit,
} from "../core/vmexit.ts";
import { ABANDON } from "./fault.ts";

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The simple instruction exits (no operands beyond their kind). */
export type SimpleKind = SimpleInstructionExit["kind"] | "hlt";

/** The event exits raised at instruction boundaries (no instruction). */
export type EventKind = WindowExit["kind"] | ExternalInterruptExit["kind"] | "triple-fault";

const simple:
  | Writable<SimpleInstructionExit>
  | Writable<{ kind: "hlt"; level: 1 | 2; instructionLength: number }> = {
    kind: "rdtsc",
    level: 1,
    instructionLength: 0,
  };

const event: Writable<WindowExit> | Writable<ExternalInterruptExit> | Writable<TripleFaultExit> = {
  kind: "interrupt-window",
  level: 1,
  instructionLength: 0,
};

/**
 * Offer `exit` on the bus. Throws ABANDON when it was reflected to L1 (or
 * a plugin failed); returns true when a handler completed the instruction,
 * false when the CPU executes it natively.
 */
export function offerExit(c: Cpu, exit: VmExit): boolean {
  const r = c.exits(exit);
  if (r === "reflected") throw ABANDON;
  return r === "handled";
}

/**
 * Offer a simple instruction exit of `len` bytes at the current level
 * (reused record, no allocation). Same result as {@link offerExit}.
 */
export function offerSimple(c: Cpu, kind: SimpleKind, len: number): boolean {
  const e = simple as Writable<SimpleInstructionExit>;
  e.kind = kind as SimpleInstructionExit["kind"];
  e.level = c.nonRoot ? 2 : 1;
  e.instructionLength = len;
  const r = c.exits(e);
  if (r === "reflected") throw ABANDON;
  return r === "handled";
}

/**
 * Offer an event exit (window, NMI, external interrupt, triple fault) at
 * the current level (reused record). Returns the disposition: "reflected"
 * means a VM exit to L1 replaced the state and the event is not delivered.
 */
export function offerEvent(c: Cpu, kind: EventKind): ExitDisposition {
  const e = event as Writable<WindowExit>;
  e.kind = kind as WindowExit["kind"];
  e.level = c.nonRoot ? 2 : 1;
  e.instructionLength = 0;
  return c.exits(e);
}
