/**
 * The snapshot file format (version 1).
 *
 * ```
 * offset size  field
 *      0    8  magic "NESTVMSS"
 *      8    4  format version (u32 LE) = 1
 *     12    4  kind (u32 LE): 1 full, 2 delta
 *     16    8  uncompressed payload length (u64 LE)
 *     24    8  compressed payload length (u64 LE)
 *     32   32  SHA-256 of the compressed payload
 *     64  ...  payload, gzip-compressed (CompressionStream "gzip")
 * ```
 *
 * The payload is a sequence of sections, each `u32 tag, u32 reserved,
 * u64 length, bytes`: tag 1 is the machine state as UTF-8 JSON
 * ({@link SnapshotState}); tag 2 holds guest RAM pages as repeated
 * `u64 page number, 4096 bytes`. A delta snapshot carries the SHA-256 of
 * the snapshot it follows in its JSON (`parent`) and only the pages written
 * since then; restoring applies a base and its deltas in order.
 *
 * Every refusal (truncated, corrupted, foreign, future version, wrong
 * chain) is a {@link SnapshotError} with a message saying what is wrong.
 *
 * @module
 */

/** Magic bytes at the start of every snapshot. */
export const SNAPSHOT_MAGIC = "NESTVMSS";
/** The format version this build writes and reads. */
export const SNAPSHOT_VERSION = 1;
/** Size of the fixed header. */
export const HEADER_SIZE = 64;
/** Guest page size used in the RAM section. */
export const PAGE_SIZE = 4096;

/** Kinds of snapshot. */
export type SnapshotKind = "full" | "delta";

/** A snapshot could not be read or applied. */
export class SnapshotError extends Error {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "SnapshotError";
  }
}

/**
 * A well-formed snapshot that does not fit the machine it is restored into
 * (other RAM size, a stateful plugin missing or added, another state
 * version). The message lists only the differences.
 */
export class SnapshotMismatchError extends SnapshotError {
  /** Create the error from the list of differences. */
  constructor(
    /** One line per difference. */
    readonly differences: readonly string[],
  ) {
    super(`snapshot does not fit this machine: ${differences.join("; ")}`);
    this.name = "SnapshotMismatchError";
  }
}

/** Decoded snapshot contents. */
export interface SnapshotContents {
  readonly kind: SnapshotKind;
  /** SHA-256 (hex) of this snapshot's compressed payload: its identity in a chain. */
  readonly id: string;
  readonly state: Record<string, unknown>;
  /** Guest RAM pages by page number. */
  readonly pages: Map<number, Uint8Array>;
}

const TAG_STATE = 1;
const TAG_PAGES = 2;

async function pipe(
  data: Uint8Array,
  stream: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const out = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Encode a snapshot. */
export async function encodeSnapshot(
  kind: SnapshotKind,
  state: Record<string, unknown>,
  pages: Iterable<[number, Uint8Array]>,
): Promise<Uint8Array> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  const pageList = [...pages];
  const pagesLen = pageList.length * (8 + PAGE_SIZE);
  const payload = new Uint8Array(16 + json.length + 16 + pagesLen);
  const dv = new DataView(payload.buffer);
  let o = 0;
  dv.setUint32(o, TAG_STATE, true);
  dv.setBigUint64(o + 8, BigInt(json.length), true);
  payload.set(json, o + 16);
  o += 16 + json.length;
  dv.setUint32(o, TAG_PAGES, true);
  dv.setBigUint64(o + 8, BigInt(pagesLen), true);
  o += 16;
  for (const [n, bytes] of pageList) {
    if (bytes.length !== PAGE_SIZE) throw new RangeError(`page ${n} has ${bytes.length} bytes`);
    dv.setBigUint64(o, BigInt(n), true);
    payload.set(bytes, o + 8);
    o += 8 + PAGE_SIZE;
  }
  const compressed = await pipe(payload, new CompressionStream("gzip"));
  const out = new Uint8Array(HEADER_SIZE + compressed.length);
  const hv = new DataView(out.buffer);
  out.set(new TextEncoder().encode(SNAPSHOT_MAGIC), 0);
  hv.setUint32(8, SNAPSHOT_VERSION, true);
  hv.setUint32(12, kind === "full" ? 1 : 2, true);
  hv.setBigUint64(16, BigInt(payload.length), true);
  hv.setBigUint64(24, BigInt(compressed.length), true);
  out.set(await sha256(compressed), 32);
  out.set(compressed, HEADER_SIZE);
  return out;
}

/**
 * The identity of an encoded snapshot (hex SHA-256 of its payload, as the
 * header stores it), without decoding it.
 */
export function snapshotId(file: Uint8Array): string {
  if (file.length < HEADER_SIZE) throw new SnapshotError("snapshot is shorter than its header");
  return hex(file.subarray(32, 64));
}

/** Decode and verify a snapshot; throws {@link SnapshotError} naming the problem. */
export async function decodeSnapshot(file: Uint8Array): Promise<SnapshotContents> {
  if (file.length < HEADER_SIZE) {
    throw new SnapshotError(
      `snapshot is truncated: ${file.length} bytes, shorter than the ${HEADER_SIZE}-byte header`,
    );
  }
  const magic = new TextDecoder().decode(file.subarray(0, 8));
  if (magic !== SNAPSHOT_MAGIC) {
    throw new SnapshotError(
      `not a nestvm snapshot (magic "${
        magic.replace(/[^\x20-\x7e]/g, "?")
      }", expected "${SNAPSHOT_MAGIC}")`,
    );
  }
  const hv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = hv.getUint32(8, true);
  if (version !== SNAPSHOT_VERSION) {
    throw new SnapshotError(
      version > SNAPSHOT_VERSION
        ? `snapshot format version ${version} is newer than this nestvm supports (expected ${SNAPSHOT_VERSION})`
        : `snapshot format version ${version} is not supported (expected ${SNAPSHOT_VERSION})`,
    );
  }
  const kindCode = hv.getUint32(12, true);
  if (kindCode !== 1 && kindCode !== 2) {
    throw new SnapshotError(`unknown snapshot kind ${kindCode}`);
  }
  const rawLen = Number(hv.getBigUint64(16, true));
  const compLen = Number(hv.getBigUint64(24, true));
  if (file.length !== HEADER_SIZE + compLen) {
    throw new SnapshotError(
      `snapshot is ${
        file.length < HEADER_SIZE + compLen ? "truncated" : "followed by extra bytes"
      }: ` +
        `header announces ${compLen} payload bytes, file has ${file.length - HEADER_SIZE}`,
    );
  }
  const compressed = file.subarray(HEADER_SIZE);
  const digest = await sha256(compressed);
  if (hex(digest) !== hex(file.subarray(32, 64))) {
    throw new SnapshotError(
      "snapshot is corrupted: payload checksum (SHA-256) does not match the header",
    );
  }
  let payload: Uint8Array;
  try {
    payload = await pipe(compressed, new DecompressionStream("gzip"));
  } catch (error) {
    throw new SnapshotError(
      `snapshot payload does not decompress: ${error instanceof Error ? error.message : error}`,
    );
  }
  if (payload.length !== rawLen) {
    throw new SnapshotError(`snapshot payload is ${payload.length} bytes, header says ${rawLen}`);
  }
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let state: Record<string, unknown> | undefined;
  const pages = new Map<number, Uint8Array>();
  let o = 0;
  while (o < payload.length) {
    if (o + 16 > payload.length) {
      throw new SnapshotError("snapshot payload has a truncated section header");
    }
    const tag = dv.getUint32(o, true);
    const len = Number(dv.getBigUint64(o + 8, true));
    const body = payload.subarray(o + 16, o + 16 + len);
    if (body.length !== len) throw new SnapshotError(`snapshot section ${tag} is truncated`);
    if (tag === TAG_STATE) {
      try {
        state = JSON.parse(new TextDecoder().decode(body));
      } catch {
        throw new SnapshotError("snapshot state section is not valid JSON");
      }
    } else if (tag === TAG_PAGES) {
      if (len % (8 + PAGE_SIZE) !== 0) {
        throw new SnapshotError("snapshot RAM section has a partial page");
      }
      const bv = new DataView(body.buffer, body.byteOffset, body.byteLength);
      for (let p = 0; p < len; p += 8 + PAGE_SIZE) {
        pages.set(Number(bv.getBigUint64(p, true)), body.slice(p + 8, p + 8 + PAGE_SIZE));
      }
    } else {
      throw new SnapshotError(`snapshot has an unknown section tag ${tag}`);
    }
    o += 16 + len;
  }
  if (!state || typeof state !== "object") {
    throw new SnapshotError("snapshot has no machine state section");
  }
  return { kind: kindCode === 1 ? "full" : "delta", id: hex(digest), state, pages };
}
