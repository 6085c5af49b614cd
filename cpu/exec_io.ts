/**
 * Handlers: port I/O. IN/OUT (and each element of INS/OUTS) become "io"
 * exits on the bus after the I/O permission checks (SDM Vol. 1 19.5):
 * the port's owner answers; an unowned port reads as all ones and drops
 * writes, as on a PC bus. Each access takes {@link PORT_IO_NS} of virtual
 * time (a bus cycle), unless it is a VM exit to L1.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Insn } from "./icache.ts";
import type { IoExit } from "../core/vmexit.ts";
import { ABANDON, gp } from "./fault.ts";
import { sysRead } from "./memory.ts";
import { setR8, setReg } from "./regs.ts";
import { noteIoAccess } from "./debug.ts";
import { PORT_IO_NS } from "../core/stall.ts";

/** I/O permission check: CPL > IOPL (or v86) consults the TSS I/O bitmap. */
export function ioCheck(c: Cpu, port: number, size: number): void {
  if ((c.cr0 & 1) === 0) return;
  const v86 = (c.fl & 0x20000) !== 0;
  if (!v86 && c.cpl <= ((c.fl >> 12) & 3)) return;
  const tr = c.seg[7];
  const type = tr.attrs & 0xf;
  if ((type !== 9 && type !== 11) || tr.limit < 0x67) gp(0);
  const base = sysRead(c, tr.base + 0x66, 2);
  const at = base + (port >>> 3);
  if (at + 1 > tr.limit) gp(0);
  const bits = sysRead(c, tr.base + at, 2);
  const mask = ((1 << size) - 1) << (port & 7);
  if ((bits & mask) !== 0) gp(0);
}

function makeIo(
  c: Cpu,
  port: number,
  size: number,
  dir: "in" | "out",
  value: number,
  i: Insn,
  lin: number,
  rep: boolean,
  str: boolean,
): IoExit {
  const e: IoExit = {
    kind: "io",
    level: c.nonRoot ? 2 : 1,
    instructionLength: i.len,
    port,
    size: size as 1 | 2 | 4,
    direction: dir,
    value,
    dxForm: !i.isImmPort,
    ...(str
      ? {
        string: {
          rep,
          linear: lin,
          addressSize: i.addrSize as 16 | 32 | 64,
          segment: dir === "in" ? 0 : i.seg,
        },
      }
      : {}),
  };
  return e;
}

/** Read a port through the exit bus ("pass": all ones). */
export function portIn(c: Cpu, port: number, size: number, i: Insn, lin = 0, rep = false): number {
  const e = makeIo(c, port, size, "in", 0, i, lin, rep, i.x >= 5 && i.isString);
  const r = c.exits(e);
  if (r === "reflected") throw ABANDON;
  c.stall(PORT_IO_NS);
  if (c.bpIo !== 0) noteIoAccess(c, port, size);
  const ones = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  if (r === "pass") return ones;
  return (e.value & ones) >>> 0;
}

/** Write a port through the exit bus ("pass": dropped). */
export function portOut(
  c: Cpu,
  port: number,
  size: number,
  v: number,
  i: Insn,
  lin = 0,
  rep = false,
): void {
  const e = makeIo(c, port, size, "out", v >>> 0, i, lin, rep, i.x >= 5 && i.isString);
  const r = c.exits(e);
  if (r === "reflected") throw ABANDON;
  c.stall(PORT_IO_NS);
  if (c.bpIo !== 0) noteIoAccess(c, port, size);
}

/** IN AL/eAX, imm8 / DX (i.y: 1 byte; i.isImmPort for the imm8 form). */
export function inOp(c: Cpu, i: Insn): void {
  const s = i.y === 1 ? 1 : i.osz === 2 ? 2 : 4;
  const port = i.isImmPort ? i.imm & 0xff : c.gpr[4] & 0xffff;
  ioCheck(c, port, s);
  const v = portIn(c, port, s, i);
  if (s === 1) setR8(c, 0, v);
  else setReg(c, 0, s, v, 0);
}

/** OUT imm8 / DX, AL/eAX. */
export function outOp(c: Cpu, i: Insn): void {
  const s = i.y === 1 ? 1 : i.osz === 2 ? 2 : 4;
  const port = i.isImmPort ? i.imm & 0xff : c.gpr[4] & 0xffff;
  ioCheck(c, port, s);
  const g = c.gpr;
  const v = s === 1 ? g[0] & 0xff : s === 2 ? g[0] & 0xffff : g[0];
  portOut(c, port, s, v, i);
}
