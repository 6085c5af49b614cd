/**
 * Debugging and seeing runs: a GDB remote stub (`debug/gdb/`) and trace
 * export as Chrome trace events and SVG timelines (`debug/trace/`).
 *
 * @example
 * ```ts ignore
 * import { createMachine } from "@nestvm/nestvm/plugins";
 * import { ChromeTraceWriter, TraceRecorder } from "@nestvm/nestvm/debug";
 * let json = "";
 * const recorder = new TraceRecorder([new ChromeTraceWriter((t) => json += t)]);
 * const machine = createMachine({ plugins: [recorder.plugin] });
 * // ... boot and run the machine ...
 * recorder.finish();
 * ```
 *
 * @module
 */

export * from "./gdb/mod.ts";
export * from "./trace/mod.ts";

/** Core contracts (types) this module's API is written against. */
export type * from "../core/mod.ts";

export type * from "../cpu/mod.ts";
export type * from "../mm/mod.ts";
export type * from "../plugins/mod.ts";
