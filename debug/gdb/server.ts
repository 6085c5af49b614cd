/**
 * The GDB stub's server: listens on TCP, and runs the machine in bounded
 * slices inside an async loop so the socket is polled between slices (the
 * machine's run loop is synchronous). Breakpoint and watchpoint hits end a
 * slice early through `Machine.breakRun`.
 *
 * @module
 */

import type { PcMachine } from "../../plugins/pc_machine.ts";
import type { RunResult, StopReason } from "../../core/run_result.ts";
import { exitCodeFor } from "../../core/run_result.ts";
import { framePacket, PacketReader, type WireEvent } from "./packet.ts";
import { consolePacket, type EndCause, GdbSession, type StopCause } from "./session.ts";
import { DebugTraps, levelMatches } from "./traps.ts";
import { EventLoopYield } from "../../core/event_loop_yield.ts";

/** Where and how the stub listens. */
export interface GdbServerOptions {
  /** Address to listen on (default 127.0.0.1: loopback). */
  readonly host?: string;
  /** TCP port (0: any free port, reported through `onListening`). */
  readonly port: number;
  /** Stay stopped until the debugger continues (`-S`). */
  readonly startStopped: boolean;
  /** Instructions per slice between socket polls (default 2^18). */
  readonly sliceInstructions?: number;
  /** Told the bound address once listening. */
  readonly onListening?: (host: string, port: number) => void;
  /** Diagnostics (stderr in the CLI). */
  readonly log?: (line: string) => void;
}

/** Longest run of single instructions while waiting to reach the selected level. */
const LEVEL_SEEK_LIMIT = 5_000_000;

const enc = new TextEncoder();

/** A connection: framing, acks and a queue of incoming events. */
class Wire {
  readonly #conn: Deno.Conn;
  readonly #reader = new PacketReader();
  readonly #queue: WireEvent[] = [];
  #closed = false;
  #wake: (() => void) | null = null;
  #last = "";
  noAck = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#pump();
  }

  get closed(): boolean {
    return this.#closed && this.#queue.length === 0;
  }

  async #pump(): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#queue.push(...this.#reader.feed(buf.subarray(0, n)));
        this.#wake?.();
      }
    } catch {
      // Reset by the peer: treated as closed.
    }
    this.#closed = true;
    this.#wake?.();
  }

  /** Next event, or undefined once the connection closed. */
  async next(): Promise<WireEvent | undefined> {
    while (this.#queue.length === 0 && !this.#closed) {
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = null;
    }
    return this.#queue.shift();
  }

  /** Take a pending interrupt (Ctrl-C) if one arrived; other events stay queued. */
  takeInterrupt(): boolean {
    const i = this.#queue.findIndex((e) => e.kind === "interrupt");
    if (i < 0) return false;
    this.#queue.splice(i, 1);
    return true;
  }

  async send(payload: string): Promise<void> {
    this.#last = framePacket(payload);
    await this.#write(this.#last);
  }

  async resend(): Promise<void> {
    if (this.#last !== "") await this.#write(this.#last);
  }

  async ack(): Promise<void> {
    if (!this.noAck) await this.#write("+");
  }

  async #write(text: string): Promise<void> {
    if (this.#closed) return;
    const bytes = enc.encode(text);
    try {
      let off = 0;
      while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
    } catch {
      this.#closed = true;
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** How the guest ended, if the stop reason ends it. */
function endOf(reason: StopReason): EndCause | undefined {
  switch (reason.kind) {
    case "exit":
    case "shutdown":
    case "reset":
      return { kind: "exited", status: exitCodeFor(reason) };
    case "triple-fault":
      return { kind: "terminated", signal: 11 };
    default:
      return undefined;
  }
}

/**
 * Serve one debugger connection (and run the guest) until the guest ends,
 * the debugger kills it, or it detaches and the guest then ends. Resolves
 * to the run's result like `Machine.run`.
 */
export async function runWithGdb(machine: PcMachine, opts: GdbServerOptions): Promise<RunResult> {
  const log = opts.log ?? (() => {});
  const slice = opts.sliceInstructions ?? 1 << 18;
  const start = machine.retired;
  const t0 = performance.now();
  const result = (reason: StopReason): RunResult => ({
    reason,
    instructions: machine.retired - start,
    totalInstructions: machine.retired,
    wallMs: performance.now() - t0,
    virtualNs: machine.virtualNs,
  });
  // The socket is polled between slices: a timer-free yield, so a guest
  // running under the stub is not slowed by clamped setTimeout(0) waits.
  const yieldPoint = new EventLoopYield();
  try {
    return await listenAndServe(machine, opts, slice, log, result, () => yieldPoint.next());
  } finally {
    yieldPoint.close();
  }
}

async function listenAndServe(
  machine: PcMachine,
  opts: GdbServerOptions,
  slice: number,
  log: (line: string) => void,
  result: (reason: StopReason) => RunResult,
  tick: () => Promise<void>,
): Promise<RunResult> {
  const host = opts.host ?? "127.0.0.1";
  const listener = Deno.listen({ hostname: host, port: opts.port, transport: "tcp" });
  const bound = listener.addr as Deno.NetAddr;
  opts.onListening?.(bound.hostname, bound.port);
  log(`nestvm: gdb stub listening on ${bound.hostname}:${bound.port}`);

  let conn: Deno.Conn | undefined;
  try {
    if (opts.startStopped) {
      conn = await listener.accept();
    } else {
      // Run until a debugger connects (or the guest ends first).
      let accepted: Deno.Conn | undefined;
      const pending = listener.accept().then((c) => accepted = c, () => undefined);
      for (;;) {
        const r = machine.run({ maxInstructions: slice });
        if (r.reason.kind !== "budget") {
          listener.close();
          await pending;
          accepted?.close();
          return result(r.reason);
        }
        await tick();
        if (accepted) break;
      }
      conn = accepted;
    }
  } finally {
    listener.close();
  }
  return await serve(machine, new Wire(conn!), slice, log, result, tick);
}

async function serve(
  machine: PcMachine,
  wire: Wire,
  slice: number,
  log: (line: string) => void,
  result: (reason: StopReason) => RunResult,
  tick: () => Promise<void>,
): Promise<RunResult> {
  const cpu = machine.cpu;
  const traps = new DebugTraps(cpu, () => machine.breakRun());
  traps.attach();
  const session = new GdbSession(cpu, machine.memory, traps);
  let stopped: StopCause = { kind: "initial" };

  const reportStop = async (cause: StopCause): Promise<void> => {
    stopped = cause;
    log(session.stopMessage(cause).trimEnd());
    await wire.send(consolePacket(session.stopMessage(cause)));
    await wire.send(session.stopReply(cause));
  };
  const finish = async (reason: StopReason): Promise<RunResult | undefined> => {
    const end = endOf(reason);
    if (end === undefined) return undefined;
    await wire.send(session.endReply(end));
    traps.detach();
    wire.close();
    return result(reason);
  };

  /** One instruction (stepping over a breakpoint at the current address). */
  const stepOnce = (): StopReason => {
    traps.skipAt = cpu.sbase[1] + cpu.rip;
    const r = machine.run({ maxInstructions: 1 });
    traps.skipAt = NaN;
    return r.reason;
  };

  /** Step until the vCPU is at the selected level (or something stops it). */
  const seekLevel = (): StopReason | undefined => {
    for (let n = 0; n < LEVEL_SEEK_LIMIT && !levelMatches(cpu, traps.level); n++) {
      const reason = stepOnce();
      if (reason.kind !== "budget") return reason;
    }
    return undefined;
  };

  /** Interpret a non-budget stop while running; undefined if it ended the guest. */
  const afterStop = async (reason: StopReason): Promise<RunResult | undefined> => {
    const done = await finish(reason);
    if (done) return done;
    const hit = traps.takeHit();
    if (reason.kind === "debug" && hit !== null) {
      await reportStop({ kind: "trap", hit });
    } else if (reason.kind === "halted") {
      await reportStop({ kind: "halted" });
    } else {
      await wire.send(consolePacket(`nestvm: ${reason.kind}\n`));
      await reportStop({ kind: "interrupt" });
    }
    return undefined;
  };

  const runContinue = async (): Promise<RunResult | undefined> => {
    traps.hit = null;
    // Leave a breakpoint at the current address behind first.
    let reason = stepOnce();
    for (;;) {
      if (reason.kind !== "budget" && reason.kind !== "debug") return await afterStop(reason);
      if (reason.kind === "debug" && traps.hit !== null) return await afterStop(reason);
      await tick();
      if (wire.takeInterrupt()) {
        const other = seekLevel();
        if (other !== undefined && other.kind !== "debug") return await afterStop(other);
        traps.hit = null;
        await reportStop({ kind: "interrupt" });
        return undefined;
      }
      if (wire.closed) return undefined;
      reason = machine.run({ maxInstructions: slice }).reason;
    }
  };

  const runStep = async (): Promise<RunResult | undefined> => {
    traps.hit = null;
    let reason = stepOnce();
    if (reason.kind === "budget" || reason.kind === "debug") {
      reason = seekLevel() ?? reason;
    }
    if (reason.kind !== "budget" && reason.kind !== "debug") return await afterStop(reason);
    const hit = traps.takeHit();
    await reportStop(
      hit !== null && hit.kind === "watchpoint" ? { kind: "trap", hit } : { kind: "step" },
    );
    return undefined;
  };

  for (;;) {
    const ev = await wire.next();
    if (ev === undefined) break; // connection closed: detach
    if (ev.kind === "nack") {
      await wire.resend();
      continue;
    }
    if (ev.kind !== "packet" && ev.kind !== "bad-checksum") continue;
    if (ev.kind === "bad-checksum") {
      await wire.send("");
      continue;
    }
    await wire.ack();
    const out = session.handle(ev.data, stopped);
    for (const reply of out.replies) await wire.send(reply);
    wire.noAck = session.noAck;
    const a = out.action;
    let done: RunResult | undefined;
    if (a.kind === "continue") done = await runContinue();
    else if (a.kind === "step") done = await runStep();
    else if (a.kind === "kill") {
      traps.detach();
      wire.close();
      return result({ kind: "debug" });
    } else if (a.kind === "detach") break;
    if (done) return done;
  }
  // Detached (or the connection dropped): let the guest run on.
  traps.detach();
  wire.close();
  log("nestvm: debugger detached; the guest continues");
  for (;;) {
    const r = machine.run({ maxInstructions: slice });
    if (r.reason.kind !== "budget") return result(r.reason);
    await tick();
  }
}
