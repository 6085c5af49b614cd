/**
 * Trace export: the recorder plugin, the Chrome trace event writer and the
 * SVG timeline.
 *
 * @module
 */

export type {
  CounterEvent,
  EntryEvent,
  ExitEvent,
  ExitPath,
  IrqEvent,
  SpanEvent,
  TraceEvent,
  TraceSink,
  Track,
} from "./events.ts";
export { TraceRecorder } from "./recorder.ts";
export { ChromeTraceWriter, fileWriter } from "./chrome_trace.ts";
export { niceStep, TimelineCollector } from "./timeline.ts";
