/**
 * QEMU's spelling of the stub's address: `-gdb tcp:[HOST]:PORT` (an empty
 * host means the loopback address here, so the stub is not reachable from
 * other machines unless a host is named), and `-s` for `tcp::1234`.
 *
 * @module
 */

/** Where the stub listens. */
export interface GdbAddress {
  /** Host name or address to bind. */
  readonly host: string;
  /** TCP port (0 = any free port). */
  readonly port: number;
}

/** The address `-s` stands for. */
export const DEFAULT_GDB_ADDRESS: GdbAddress = { host: "127.0.0.1", port: 1234 };

/** Parse `tcp:[HOST]:PORT`; a string says what is wrong. */
export function parseGdbAddress(spec: string): GdbAddress | string {
  const m = /^tcp:(.*):(\d+)$/.exec(spec.trim());
  if (!m) return `-gdb expects tcp:[HOST]:PORT, got "${spec}"`;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port > 65535) return `-gdb: port ${m[2]} is out of range`;
  let host = m[1];
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return { host: host === "" ? "127.0.0.1" : host, port };
}
