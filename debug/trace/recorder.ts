/**
 * The trace recorder: a plugin that watches VM exits through the exit bus
 * (`ctx.exits.observe`) and interrupt lines (as an IRQ chip that only
 * listens), and reports {@link TraceEvent}s to its sinks.
 *
 * An observer sees an exit before anyone handles it; where it went shows
 * afterwards. So each exit is held until the next one arrives (or the run
 * ends) and then resolved with the VMX plugin's counters (the
 * `VMX_STATS` service): if its reason's L2->L1 count grew, the exit was
 * reflected to L1 (closing the L2 run span); if the entry count grew after
 * a VMLAUNCH/VMRESUME of L1, that was a VM entry. Without the service the
 * level the vCPU is at afterwards decides. A level change no observed exit
 * explains (an exit that did not pass the bus) is reported as an exit or
 * entry "not seen on the exit bus", with the reason from the counters.
 * Virtual time does not advance while nestvm handles an exit, so exits
 * are instants on the virtual axis.
 *
 * Tracks and nesting: on "L1" one span covers the run, inside it "in L2"
 * (L1 waits while L2 runs) and "L1 handles REASON" (from an L2->L1 exit to
 * the next entry); on "L2" the "L2 run" spans.
 *
 * @module
 */

import type { Plugin, PluginContext } from "../../core/plugin.ts";
import type { VmExit } from "../../core/vmexit.ts";
import { describeExit } from "../../core/exit_bus.ts";
import { basicReasonOf, REASON_NAMES, VMX_STATS, type VmxStats } from "../../vmx/stats.ts";
import type { TraceSink, Track } from "./events.ts";

/** Counter period in virtual ns. */
const COUNTER_PERIOD_NS = 10_000;

interface OpenSpan {
  readonly track: Track;
  readonly name: string;
  readonly depth: number;
  readonly start: number;
  readonly wallStart: number;
}

/**
 * An exit held until the next one settles where it went. What the trace
 * needs of it is copied when it is observed: the CPU reuses exit records
 * (an exit is valid only while it is dispatched).
 */
interface Pending {
  readonly level: 1 | 2;
  readonly kind: string;
  /** The VMX instruction for a "vmx" exit, else the kind (names the entry). */
  readonly instruction: string;
  readonly reason: number;
  readonly detail: string;
  readonly fields: Record<string, number | string | boolean>;
  readonly time: number;
  readonly wall: number;
}

/** The VMX counters the recorder compares between exits. */
class VmxCounts {
  entries = 0;
  readonly l2ToL1: Float64Array;
  constructor(size: number) {
    this.l2ToL1 = new Float64Array(size);
  }
  copyFrom(s: VmxStats): void {
    this.entries = s.entries;
    this.l2ToL1.set(s.l2ToL1);
  }
}

/** Copy an exit's scalar fields (cold: once per exit). */
function fieldsOf(exit: VmExit): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(exit)) {
    if (k === "kind" || k === "level") continue;
    if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") out[k] = v;
  }
  return out;
}

/** Records a run as trace events. Create it, pass {@link plugin} to the machine, call {@link finish} at the end. */
export class TraceRecorder {
  readonly #sinks: readonly TraceSink[];
  #ctx: PluginContext | null = null;
  #level: 1 | 2 = 1;
  #pending: Pending | null = null;
  readonly #open: OpenSpan[] = [];
  #counterTime = 0;
  #counterWall = 0;
  #counterRetired = 0;
  #counterExits = 0;
  #finished = false;
  #vmx: VmxStats | undefined;
  #seen: VmxCounts | undefined;

  /** A recorder reporting to `sinks`. */
  constructor(sinks: readonly TraceSink[]) {
    this.#sinks = sinks;
  }

  /** The plugin to add to the machine (first, so it observes before others act). */
  readonly plugin: Plugin = {
    name: "trace-recorder",
    version: "1.0.0",
    apiVersion: 1,
    setup: (ctx) => {
      this.#ctx = ctx;
      ctx.exits.observe((exit) => this.#observe(exit));
      ctx.irq.addChip({
        setIrq: (line, level) => this.#emit({ kind: "irq", line, level, time: ctx.clock.now }),
      });
    },
  };

  #emit(e: Parameters<TraceSink["event"]>[0]): void {
    for (const s of this.#sinks) s.event(e);
  }

  #start(): void {
    const ctx = this.#ctx!;
    this.#vmx = ctx.services.find(VMX_STATS);
    if (this.#vmx) {
      this.#seen = new VmxCounts(this.#vmx.l2ToL1.length);
      this.#seen.copyFrom(this.#vmx);
    }
    this.#level = ctx.vcpu.nonRoot ? 2 : 1;
    const now = ctx.clock.now;
    const wall = performance.now();
    this.#counterTime = now;
    this.#counterWall = wall;
    this.#counterRetired = ctx.vcpu.retired;
    this.#push("L1", "L1", now, wall);
    if (this.#level === 2) {
      this.#push("L1", "in L2", now, wall);
      this.#push("L2", "L2 run", now, wall);
    }
  }

  #push(track: Track, name: string, start: number, wallStart: number): void {
    const depth = this.#open.filter((s) => s.track === track).length;
    this.#open.push({ track, name, depth, start, wallStart });
  }

  /** Close the innermost open span of `track`. */
  #pop(track: Track, end: number, wallEnd: number): void {
    for (let i = this.#open.length - 1; i >= 0; i--) {
      const s = this.#open[i];
      if (s.track !== track) continue;
      this.#open.splice(i, 1);
      this.#emit({ kind: "span", ...s, end, wallEnd });
      return;
    }
  }

  #observe(exit: VmExit): void {
    if (this.#open.length === 0) this.#start();
    this.#resolve();
    const ctx = this.#ctx!;
    this.#pending = {
      level: exit.level === 2 ? 2 : 1,
      kind: exit.kind,
      instruction: exit.kind === "vmx" ? exit.instruction : exit.kind,
      reason: basicReasonOf(exit),
      detail: describeExit(exit),
      fields: fieldsOf(exit),
      time: ctx.clock.now,
      wall: performance.now(),
    };
    this.#counterExits++;
    this.#counters(false);
  }

  /** Settle the held exit (and any level change no exit explains). */
  #resolve(): void {
    const ctx = this.#ctx!;
    const after: 1 | 2 = ctx.vcpu.nonRoot ? 2 : 1;
    const vmx = this.#vmx;
    const seen = this.#seen;
    const p = this.#pending;
    this.#pending = null;
    if (p !== null) {
      const { level, reason, time, wall } = p;
      const name = REASON_NAMES[reason] ?? `reason ${reason}`;
      let reflected: boolean;
      let entered: boolean;
      if (vmx && seen) {
        reflected = level === 2 && vmx.l2ToL1[reason] > seen.l2ToL1[reason];
        if (reflected) seen.l2ToL1[reason]++;
        entered = level === 1 && vmx.entries > seen.entries;
        if (entered) seen.entries++;
      } else {
        reflected = level === 2 && after === 1;
        entered = level === 1 && after === 2;
      }
      this.#emit({
        kind: "exit",
        level,
        path: level === 1 ? "L1->L0" : reflected ? "L2->L1" : "L2->L0",
        exitKind: p.kind,
        reason,
        reasonName: name,
        detail: p.detail,
        fields: p.fields,
        time,
        wall,
      });
      if (entered && this.#level === 1) {
        this.#enterL2(p.instruction, time, wall);
      } else if (reflected && this.#level === 2) {
        this.#leaveL2(name, time, wall);
      }
    }
    // Exits to L1 that did not pass the bus: reported from the counters.
    if (vmx && seen) {
      for (let r = 0; r < seen.l2ToL1.length; r++) {
        while (vmx.l2ToL1[r] > seen.l2ToL1[r]) {
          seen.l2ToL1[r]++;
          this.#unobservedExit(r);
        }
      }
      seen.entries = vmx.entries;
    }
    if (after !== this.#level) {
      const now = ctx.clock.now;
      const wall = performance.now();
      if (after === 2) this.#enterL2("entry not seen on the exit bus", now, wall);
      else this.#leaveL2("exit not seen on the exit bus", now, wall);
    }
  }

  #unobservedExit(reason: number): void {
    const ctx = this.#ctx!;
    const now = ctx.clock.now;
    const wall = performance.now();
    const name = REASON_NAMES[reason] ?? `reason ${reason}`;
    this.#emit({
      kind: "exit",
      level: 2,
      path: "L2->L1",
      exitKind: "",
      reason,
      reasonName: name,
      detail: `L2 ${name} (not seen on the exit bus; time is when it was noticed)`,
      fields: {},
      time: now,
      wall,
    });
    if (this.#level === 2) this.#leaveL2(name, now, wall);
  }

  #enterL2(instruction: string, time: number, wall: number): void {
    // Close "L1 handles ..." if one is open (depth 1 on L1).
    if (this.#open.some((s) => s.track === "L1" && s.depth === 1)) this.#pop("L1", time, wall);
    this.#emit({ kind: "entry", instruction, time, wall });
    this.#push("L1", "in L2", time, wall);
    this.#push("L2", "L2 run", time, wall);
    this.#level = 2;
  }

  #leaveL2(reasonName: string, time: number, wall: number): void {
    this.#pop("L2", time, wall);
    this.#pop("L1", time, wall); // "in L2"
    this.#push("L1", `L1 handles ${reasonName}`, time, wall);
    this.#level = 1;
  }

  #counters(force: boolean): void {
    const ctx = this.#ctx!;
    const now = ctx.clock.now;
    if (!force && now - this.#counterTime < COUNTER_PERIOD_NS) return;
    const wall = performance.now();
    const retired = ctx.vcpu.retired;
    const dWall = wall - this.#counterWall;
    const dTime = now - this.#counterTime;
    this.#emit({
      kind: "counter",
      time: now,
      mips: dWall > 0 ? (retired - this.#counterRetired) / dWall / 1000 : 0,
      exitsPerSecond: dTime > 0 ? this.#counterExits / dTime * 1e9 : 0,
    });
    this.#counterTime = now;
    this.#counterWall = wall;
    this.#counterRetired = retired;
    this.#counterExits = 0;
  }

  /** The run ended: settle the last exit, close every span, flush the sinks. Idempotent. */
  finish(): void {
    if (this.#finished || this.#ctx === null) return;
    this.#finished = true;
    if (this.#open.length === 0) this.#start();
    this.#resolve();
    this.#counters(true);
    const now = this.#ctx.clock.now;
    const wall = performance.now();
    while (this.#open.length > 0) this.#pop(this.#open[this.#open.length - 1].track, now, wall);
    for (const s of this.#sinks) s.finish();
  }
}
