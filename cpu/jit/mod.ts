/**
 * The block compiler: guest x86 code translated to JavaScript functions
 * (`new Function`, compiled to machine code by V8), with the interpreter
 * as the fallback and the reference. Attach one with
 * `cpu.jit = new JitEngine()`; `Cpu.run` then uses its run loop.
 *
 * @module
 */

export { JitEngine } from "./engine.ts";
export type { JitBlock } from "./block.ts";
export type { JitStats } from "./compile.ts";
