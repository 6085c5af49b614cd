/**
 * Writes trace events in the Chrome trace event format (JSON object form
 * with `traceEvents`), which Perfetto and chrome://tracing open. Streams:
 * events are serialized as they arrive and written in chunks, so memory
 * stays bounded however long the run.
 *
 * Layout: process 1 is vCPU 0; its threads are the tracks L1 (tid 1),
 * L2 (tid 2) and IRQ lines (tid 3). Spans are complete events (`X`), exits,
 * entries and line changes instants (`i`), rates counters (`C`).
 * Timestamps are virtual microseconds; wall times are in `args`.
 *
 * @module
 */

import type { TraceEvent, TraceSink, Track } from "./events.ts";

const TID: Readonly<Record<Track, number>> = { L1: 1, L2: 2, IRQ: 3 };
const FLUSH_BYTES = 1 << 16;

/** Virtual ns -> trace microseconds. */
function us(ns: number): number {
  return ns / 1000;
}

/** Round wall-clock ms for the args (µs resolution). */
function ms(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Streams Chrome trace JSON to `write` (called with chunks of text). */
export class ChromeTraceWriter implements TraceSink {
  readonly #write: (text: string) => void;
  #buf = "";
  #first = true;
  #closed = false;

  /** Start the document; `write` receives it in chunks. */
  constructor(write: (text: string) => void) {
    this.#write = write;
    this.#buf = '{"displayTimeUnit":"ns","otherData":{"producer":"nestvm",' +
      '"clock":"virtual time (ns of the guest clock) as µs; wall times in args"},' +
      '"traceEvents":[\n';
    this.#add({ ph: "M", pid: 1, tid: 0, name: "process_name", args: { name: "vCPU 0" } });
    for (const [track, tid] of Object.entries(TID)) {
      const name = track === "IRQ" ? "IRQ lines" : `${track} guest`;
      this.#add({ ph: "M", pid: 1, tid, name: "thread_name", args: { name } });
      this.#add({ ph: "M", pid: 1, tid, name: "thread_sort_index", args: { sort_index: tid } });
    }
  }

  #add(obj: unknown): void {
    this.#buf += (this.#first ? "" : ",\n") + JSON.stringify(obj);
    this.#first = false;
    if (this.#buf.length >= FLUSH_BYTES) this.#flush();
  }

  #flush(): void {
    if (this.#buf.length === 0) return;
    this.#write(this.#buf);
    this.#buf = "";
  }

  /** {@link TraceSink.event}. */
  event(e: TraceEvent): void {
    if (this.#closed) return;
    switch (e.kind) {
      case "span":
        this.#add({
          ph: "X",
          pid: 1,
          tid: TID[e.track],
          name: e.name,
          cat: "run",
          ts: us(e.start),
          dur: us(e.end - e.start),
          args: {
            virtual_ns: e.end - e.start,
            wall_ms: ms(e.wallEnd - e.wallStart),
            wall_start_ms: ms(e.wallStart),
          },
        });
        break;
      case "exit":
        this.#add({
          ph: "i",
          s: "t",
          pid: 1,
          tid: e.level,
          name: `exit ${e.reasonName}`,
          cat: "vmexit",
          ts: us(e.time),
          args: {
            reason: e.reason,
            reason_name: e.reasonName,
            path: e.path,
            kind: e.exitKind,
            detail: e.detail,
            exit: e.fields,
            virtual_ns: e.time,
            wall_ms: ms(e.wall),
          },
        });
        break;
      case "entry":
        this.#add({
          ph: "i",
          s: "t",
          pid: 1,
          tid: 2,
          name: `entry ${e.instruction}`,
          cat: "vmentry",
          ts: us(e.time),
          args: { instruction: e.instruction, virtual_ns: e.time, wall_ms: ms(e.wall) },
        });
        break;
      case "irq":
        this.#add({
          ph: "i",
          s: "t",
          pid: 1,
          tid: 3,
          name: `IRQ ${e.line} ${e.level ? "raised" : "lowered"}`,
          cat: "irq",
          ts: us(e.time),
          args: { line: e.line, level: e.level },
        });
        break;
      case "counter":
        this.#add({ ph: "C", pid: 1, name: "MIPS", ts: us(e.time), args: { MIPS: e.mips } });
        this.#add({
          ph: "C",
          pid: 1,
          name: "exits/s",
          ts: us(e.time),
          args: { "exits/s": e.exitsPerSecond },
        });
        break;
    }
  }

  /** {@link TraceSink.finish}: close the JSON document. */
  finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#buf += "\n]}\n";
    this.#flush();
  }
}

/** A writer that streams to a file opened for writing (synchronously; the recorder runs inside the run loop). */
export function fileWriter(file: { writeSync(p: Uint8Array): number }): (text: string) => void {
  const enc = new TextEncoder();
  return (text) => {
    const bytes = enc.encode(text);
    let off = 0;
    while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
  };
}
