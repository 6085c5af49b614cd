/**
 * What the trace recorder reports: typed events on a virtual-time axis
 * (nanoseconds of the machine's virtual clock, so a trace of a
 * deterministic run is itself deterministic), each with the host's wall
 * time beside it. Sinks (the Chrome trace writer, the SVG timeline) turn
 * them into files.
 *
 * @module
 */

/** Which way an exit went. */
export type ExitPath = "L1->L0" | "L2->L0" | "L2->L1";

/** A track of the vCPU: the guest levels, and the interrupt lines. */
export type Track = "L1" | "L2" | "IRQ";

/** A closed span of time on one track. */
export interface SpanEvent {
  /** Discriminant. */
  readonly kind: "span";
  /** Track (level) it belongs to. */
  readonly track: Track;
  /** e.g. "L1", "L2 run", "in L2", "L1 handles CPUID". */
  readonly name: string;
  /** Nesting depth on its track (0 = outermost). */
  readonly depth: number;
  /** Virtual start, ns. */
  readonly start: number;
  /** Virtual end, ns. */
  readonly end: number;
  /** Wall-clock start, ms (performance.now()). */
  readonly wallStart: number;
  /** Wall-clock end, ms. */
  readonly wallEnd: number;
}

/** One VM exit. */
export interface ExitEvent {
  /** Discriminant. */
  readonly kind: "exit";
  /** Level that executed the exiting instruction or event. */
  readonly level: 1 | 2;
  /** Where it was handled. */
  readonly path: ExitPath;
  /** The exit's kind on the bus ("io", "cpuid", ...); "" when it was not seen there. */
  readonly exitKind: string;
  /** Basic exit reason (SDM Vol. 3D Appendix C numbering). */
  readonly reason: number;
  /** Short reason name. */
  readonly reasonName: string;
  /** One-line description (port, MSR, CR, vector: what the qualification encodes). */
  readonly detail: string;
  /** The exit's own fields (port, size, msr, cr, vector, gpa...), as reported by the CPU. */
  readonly fields: Readonly<Record<string, number | string | boolean>>;
  /** Virtual time, ns. */
  readonly time: number;
  /** Wall time, ms. */
  readonly wall: number;
}

/** A VM entry into L2 (VMLAUNCH or VMRESUME that succeeded). */
export interface EntryEvent {
  /** Discriminant. */
  readonly kind: "entry";
  /** The instruction. */
  readonly instruction: string;
  /** Virtual time, ns. */
  readonly time: number;
  /** Wall time, ms. */
  readonly wall: number;
}

/** An interrupt line changed level. */
export interface IrqEvent {
  /** Discriminant. */
  readonly kind: "irq";
  /** Line (GSI). */
  readonly line: number;
  /** New level. */
  readonly level: boolean;
  /** Virtual time, ns. */
  readonly time: number;
}

/** Periodic rates. */
export interface CounterEvent {
  /** Discriminant. */
  readonly kind: "counter";
  /** Virtual time, ns. */
  readonly time: number;
  /** Million instructions per wall second over the last period. */
  readonly mips: number;
  /** VM exits per virtual second over the last period. */
  readonly exitsPerSecond: number;
}

/** Everything the recorder reports. */
export type TraceEvent = SpanEvent | ExitEvent | EntryEvent | IrqEvent | CounterEvent;

/** A consumer of trace events. */
export interface TraceSink {
  /** One event (spans arrive when they close). */
  event(e: TraceEvent): void;
  /** The run ended; write out what is left. */
  finish(): void;
}
