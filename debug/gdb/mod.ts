/**
 * The GDB remote stub: the TCP server that runs a machine in slices under
 * a debugger, its address syntax, the target description and the packet
 * framing. (The session, register table, traps and memory access are
 * internal: they work on the CPU engine's own class.)
 *
 * @module
 */

export { DEFAULT_GDB_ADDRESS, type GdbAddress, parseGdbAddress } from "./address.ts";
export { type GdbServerOptions, runWithGdb } from "./server.ts";
export type { BreakpointKind, LevelFilter, WatchKind } from "./traps.ts";
export { targetXml } from "./target_xml.ts";
export type { RegisterDef, RegisterFeature } from "./registers.ts";
export {
  bytesToHex,
  checksum,
  escapeBinary,
  framePacket,
  fromHex,
  hexToBytes,
  PacketReader,
  toHex,
  type WireEvent,
} from "./packet.ts";
