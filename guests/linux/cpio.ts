/**
 * A writer of cpio "newc" archives (the format the Linux kernel unpacks as
 * an initramfs): directories, regular files, symbolic links and device
 * nodes, with fixed owners and timestamps so the same inputs give the same
 * bytes.
 *
 * @module
 */

/** One archive member. */
export type CpioEntry =
  | { readonly kind: "dir"; readonly path: string; readonly mode?: number }
  | {
    readonly kind: "file";
    readonly path: string;
    readonly data: Uint8Array;
    readonly mode?: number;
  }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | {
    readonly kind: "char" | "block";
    readonly path: string;
    readonly major: number;
    readonly minor: number;
    readonly mode?: number;
  };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

const enc = new TextEncoder();

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function member(
  ino: number,
  mode: number,
  name: string,
  data: Uint8Array,
  rdev: [number, number] = [0, 0],
  nlink = 1,
): Uint8Array[] {
  const nameBytes = enc.encode(name + "\0");
  const fields = [
    ino,
    mode,
    0,
    0,
    nlink,
    0,
    data.length,
    0,
    0,
    rdev[0],
    rdev[1],
    nameBytes.length,
    0,
  ];
  const header = enc.encode("070701" + fields.map(hex8).join(""));
  return [
    header,
    nameBytes,
    new Uint8Array(pad4(header.length + nameBytes.length)),
    data,
    new Uint8Array(pad4(data.length)),
  ];
}

/** Build a newc archive of `entries` (paths without a leading slash), ending with the trailer. */
export function buildCpio(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let ino = 1;
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, "");
    switch (e.kind) {
      case "dir":
        parts.push(
          ...member(ino++, S_IFDIR | (e.mode ?? 0o755), path, new Uint8Array(0), [0, 0], 2),
        );
        break;
      case "file":
        parts.push(...member(ino++, S_IFREG | (e.mode ?? 0o644), path, e.data));
        break;
      case "symlink":
        parts.push(...member(ino++, S_IFLNK | 0o777, path, enc.encode(e.target)));
        break;
      case "char":
      case "block": {
        const type = e.kind === "char" ? S_IFCHR : S_IFBLK;
        parts.push(
          ...member(ino++, type | (e.mode ?? 0o600), path, new Uint8Array(0), [e.major, e.minor]),
        );
        break;
      }
    }
  }
  parts.push(...member(0, 0, "TRAILER!!!", new Uint8Array(0), [0, 0], 1));
  const size = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
