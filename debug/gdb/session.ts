/**
 * The GDB remote protocol's command set, as a pure state machine: a packet
 * in, replies and an action out. It reads and writes the vCPU and guest
 * memory and manages {@link DebugTraps}; running the machine is the
 * caller's business (see server.ts), driven by the returned action.
 *
 * Thread ids use the multiprocess form `p1.1` (one process, one vCPU)
 * unless gdb's `qSupported` leaves out `multiprocess+`.
 *
 * @module
 */

import type { Cpu } from "../../cpu/cpu.ts";
import { bytesToHex, escapeBinary, fromHex, hexToBytes, toHex } from "./packet.ts";
import { readAllRegisters, readRegisterHex, REGISTERS } from "./registers.ts";
import { targetXml } from "./target_xml.ts";
import { type DebugPhysMemory, readGuest, writeGuest } from "./guest_memory.ts";
import {
  type DebugTraps,
  type LevelFilter,
  levelOf,
  type TrapHit,
  type WatchKind,
} from "./traps.ts";

/** What the server must do after a packet. */
export type SessionAction =
  | { readonly kind: "none" }
  | { readonly kind: "continue" }
  | { readonly kind: "step" }
  | { readonly kind: "detach" }
  | { readonly kind: "kill" };

/** Replies (payloads, unframed) and the action for one packet. */
export interface SessionResult {
  /** Payloads to send, in order (already escaped where binary). */
  readonly replies: readonly string[];
  /** What to do next. */
  readonly action: SessionAction;
}

/** Why the guest stopped, for the stop reply. */
export type StopCause =
  | { readonly kind: "trap"; readonly hit: TrapHit }
  | { readonly kind: "step" }
  | { readonly kind: "interrupt" }
  | { readonly kind: "initial" }
  | { readonly kind: "halted" };

/** How the guest ended, for the final reply. */
export type EndCause =
  | { readonly kind: "exited"; readonly status: number }
  | { readonly kind: "terminated"; readonly signal: number };

const NONE: SessionAction = { kind: "none" };
const THREAD = "p1.1";
const WATCH_FIELD: Readonly<Record<WatchKind, string>> = {
  write: "watch",
  read: "rwatch",
  access: "awatch",
};

function hex64(n: number): string {
  if (n >= 0) return n.toString(16);
  return (BigInt.asUintN(64, BigInt(n))).toString(16);
}

/** Parse a hex address (up to 64 bits) into the canonical signed number form. */
export function parseAddress(text: string): number | undefined {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) return undefined;
  const v = BigInt.asIntN(64, BigInt("0x" + text));
  return Number(v);
}

/** Console text as an `O` packet payload. */
export function consolePacket(text: string): string {
  return "O" + toHex(text);
}

/** One debugger connection's protocol state. */
export class GdbSession {
  readonly #cpu: Cpu;
  readonly #mem: DebugPhysMemory;
  readonly #traps: DebugTraps;
  #noAck = false;
  /** gdb asked for multiprocess thread ids (`p1.1`); else plain `1`. */
  #multiprocess = true;

  /** A session over `cpu`, its memory, and the traps installed on it. */
  constructor(cpu: Cpu, mem: DebugPhysMemory, traps: DebugTraps) {
    this.#cpu = cpu;
    this.#mem = mem;
    this.#traps = traps;
  }

  /** True once gdb asked for no-ack mode. */
  get noAck(): boolean {
    return this.#noAck;
  }

  /** The stop reply (`T` packet) for a stop. */
  stopReply(cause: StopCause): string {
    const level = levelOf(this.#cpu);
    let sig = "05";
    let extra = "";
    if (cause.kind === "interrupt") sig = "02";
    if (cause.kind === "trap") {
      const h = cause.hit;
      extra = h.kind === "breakpoint"
        ? (this.#traps.isSoftware(h.addr) ? "swbreak:;" : "hwbreak:;")
        : `${WATCH_FIELD[h.watch]}:${hex64(h.addr)};`;
    }
    return `T${sig}thread:${this.#thread()};${extra}nestvm-level:${level};`;
  }

  #thread(): string {
    return this.#multiprocess ? THREAD : "1";
  }

  /** The console line announcing a stop (sent as an `O` packet before the stop reply). */
  stopMessage(cause: StopCause): string {
    const level = levelOf(this.#cpu);
    const what = cause.kind === "trap"
      ? cause.hit.kind === "breakpoint"
        ? `breakpoint at 0x${hex64(cause.hit.addr)}`
        : `${cause.hit.watch} watchpoint at 0x${hex64(cause.hit.addr)}`
      : cause.kind === "step"
      ? "single step"
      : cause.kind === "interrupt"
      ? "interrupt"
      : cause.kind === "halted"
      ? "guest halted with no wake-up source"
      : "attached";
    return `nestvm: stopped in L${level} (${what})\n`;
  }

  /** The final packet when the guest ended. */
  endReply(end: EndCause): string {
    return end.kind === "exited"
      ? `W${(end.status & 0xff).toString(16).padStart(2, "0")}`
      : `X${end.signal.toString(16).padStart(2, "0")}`;
  }

  /** Handle one packet. `stopped` is the current stop (for `?`). */
  handle(packet: string, stopped: StopCause): SessionResult {
    const r = (reply: string, action: SessionAction = NONE): SessionResult => ({
      replies: [reply],
      action,
    });
    const head = packet[0];
    switch (head) {
      case "?":
        return r(this.stopReply(stopped));
      case "g":
        return r(readAllRegisters(this.#cpu));
      case "G":
        return r(this.#writeAll(packet.slice(1)));
      case "p": {
        const n = parseInt(packet.slice(1), 16);
        const def = REGISTERS[n];
        return r(def ? readRegisterHex(this.#cpu, def) : "E45");
      }
      case "P":
        return r(this.#writeOne(packet.slice(1)));
      case "m":
        return r(this.#readMemory(packet.slice(1)));
      case "M":
        return r(this.#writeMemory(packet.slice(1)));
      case "Z":
      case "z":
        return r(this.#breakpoint(packet));
      case "H":
      case "T":
        return r("OK");
      case "c":
        return r("", { kind: "continue" });
      case "s":
        return r("", { kind: "step" });
      case "D":
        return r("OK", { kind: "detach" });
      case "k":
        return { replies: [], action: { kind: "kill" } };
      case "q":
      case "Q":
        return this.#query(packet);
      case "v":
        return this.#vPacket(packet);
      default:
        return r("");
    }
  }

  #query(packet: string): SessionResult {
    const r = (reply: string): SessionResult => ({ replies: [reply], action: NONE });
    if (packet.startsWith("qSupported")) {
      this.#multiprocess = /[:;]multiprocess\+/.test(packet);
      return r(
        "PacketSize=4000;qXfer:features:read+;vContSupported+;multiprocess+;" +
          "swbreak+;hwbreak+;QStartNoAckMode+",
      );
    }
    if (packet === "QStartNoAckMode") {
      this.#noAck = true;
      return r("OK");
    }
    if (packet.startsWith("qXfer:features:read:")) return r(this.#xfer(packet));
    if (packet === "qfThreadInfo") return r(`m${this.#thread()}`);
    if (packet === "qsThreadInfo") return r("l");
    if (packet === "qC") return r(`QC${this.#thread()}`);
    if (packet.startsWith("qAttached")) return r("1");
    if (packet.startsWith("qSymbol")) return r("OK");
    if (packet.startsWith("qRcmd,")) return this.#monitor(fromHex(packet.slice(6)) ?? "");
    return r("");
  }

  #vPacket(packet: string): SessionResult {
    const r = (reply: string, action: SessionAction = NONE): SessionResult => ({
      replies: [reply],
      action,
    });
    if (packet === "vMustReplyEmpty") return r("");
    if (packet === "vCont?") return r("vCont;c;C;s;S;t");
    if (packet.startsWith("vKill")) return r("OK", { kind: "kill" });
    if (packet.startsWith("vCont;")) {
      // One vCPU: the first action that names us (or all threads) applies.
      for (const part of packet.slice(6).split(";")) {
        const [act, thread] = part.split(":");
        if (thread !== undefined && !threadIsOurs(thread)) continue;
        const a = act[0];
        if (a === "s" || a === "S") return { replies: [], action: { kind: "step" } };
        if (a === "c" || a === "C") return { replies: [], action: { kind: "continue" } };
        if (a === "t") return r(this.stopReply({ kind: "interrupt" }));
      }
      return r("E01");
    }
    return r("");
  }

  #xfer(packet: string): string {
    const m = /^qXfer:features:read:([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(packet);
    if (!m) return "E00";
    if (m[1] !== "target.xml") return "E00";
    const doc = targetXml();
    const off = parseInt(m[2], 16);
    const len = parseInt(m[3], 16);
    const chunk = doc.slice(off, off + len);
    return (off + len >= doc.length ? "l" : "m") + escapeBinary(chunk);
  }

  #monitor(command: string): SessionResult {
    const words = command.trim().split(/\s+/);
    const out = (text: string): SessionResult => ({
      replies: [consolePacket(text), "OK"],
      action: NONE,
    });
    if (words[0] === "level") {
      if (words.length === 1) {
        return out(
          `debugger level: ${this.#traps.level}; vCPU now in L${levelOf(this.#cpu)}\n`,
        );
      }
      const lv = words[1].toLowerCase();
      if (lv !== "l1" && lv !== "l2" && lv !== "any") {
        return out("usage: monitor level l1|l2|any\n");
      }
      this.#traps.level = lv as LevelFilter;
      return out(`debugger level set to ${lv} (vCPU now in L${levelOf(this.#cpu)})\n`);
    }
    return out(
      "nestvm monitor commands:\n" +
        "  level [l1|l2|any]   which guest level the debugger stops in and shows\n",
    );
  }

  #writeAll(hex: string): string {
    const bytes = hexToBytes(hex);
    if (!bytes) return "E01";
    let off = 0;
    for (const def of REGISTERS) {
      const n = def.bits / 8;
      if (off + n > bytes.length) break;
      def.write(this.#cpu, bytes.subarray(off, off + n));
      off += n;
    }
    return "OK";
  }

  #writeOne(body: string): string {
    const eq = body.indexOf("=");
    if (eq < 0) return "E01";
    const def = REGISTERS[parseInt(body.slice(0, eq), 16)];
    const bytes = hexToBytes(body.slice(eq + 1));
    if (!def || !bytes || bytes.length !== def.bits / 8) return "E01";
    return def.write(this.#cpu, bytes) ? "OK" : "E02";
  }

  #readMemory(body: string): string {
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(body);
    const addr = m ? parseAddress(m[1]) : undefined;
    if (!m || addr === undefined) return "E01";
    const len = Math.min(parseInt(m[2], 16), 0x1000);
    const res = readGuest(this.#cpu, this.#mem, addr, len);
    return res.ok ? bytesToHex(res.bytes) : "E14";
  }

  #writeMemory(body: string): string {
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(body);
    const addr = m ? parseAddress(m[1]) : undefined;
    const bytes = m ? hexToBytes(m[3]) : undefined;
    if (!m || addr === undefined || !bytes || bytes.length !== parseInt(m[2], 16)) return "E01";
    const res = writeGuest(this.#cpu, this.#mem, addr, bytes);
    return res.ok ? "OK" : "E14";
  }

  #breakpoint(packet: string): string {
    const m = /^([Zz])([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)/.exec(packet);
    const addr = m ? parseAddress(m[3]) : undefined;
    if (!m || addr === undefined) return "E01";
    const insert = m[1] === "Z";
    const type = Number(m[2]);
    if (type <= 1) {
      const kind = type === 0 ? "software" : "hardware";
      if (insert) this.#traps.addBreakpoint(addr, kind);
      else this.#traps.removeBreakpoint(addr, kind);
      return "OK";
    }
    const kind: WatchKind = type === 2 ? "write" : type === 3 ? "read" : "access";
    const w = { addr, len: Math.max(1, parseInt(m[4], 16)), kind };
    if (insert) this.#traps.addWatchpoint(w);
    else this.#traps.removeWatchpoint(w);
    return "OK";
  }
}

/** Whether a thread id (`p1.1`, `p-1.-1`, `1`, `-1`, `0`) names our one vCPU. */
function threadIsOurs(thread: string): boolean {
  const m = /^(?:p(-1|[0-9a-fA-F]+)\.)?(-1|[0-9a-fA-F]+)$/.exec(thread);
  if (!m) return false;
  const ours = (x: string | undefined): boolean =>
    x === undefined || x === "-1" || parseInt(x, 16) <= 1;
  return ours(m[1]) && ours(m[2]);
}
