/**
 * GDB remote serial protocol framing: `$payload#checksum` packets, the
 * `+`/`-` acknowledgements and the out-of-band interrupt byte 0x03
 * (Ctrl-C). Pure functions and a byte-stream reader; no I/O.
 *
 * @module
 */

/** One thing read from the byte stream. */
export type WireEvent =
  | { readonly kind: "packet"; readonly data: string }
  | { readonly kind: "bad-checksum"; readonly data: string }
  | { readonly kind: "interrupt" }
  | { readonly kind: "ack" }
  | { readonly kind: "nack" };

/** Modulo-256 sum of the payload's bytes, as two hex digits. */
export function checksum(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload.charCodeAt(i)) & 0xff;
  return sum.toString(16).padStart(2, "0");
}

/** Escape `$`, `#`, `}` and `*` (binary replies such as qXfer data). */
export function escapeBinary(payload: string): string {
  let out = "";
  for (const ch of payload) {
    if (ch === "$" || ch === "#" || ch === "}" || ch === "*") {
      out += "}" + String.fromCharCode(ch.charCodeAt(0) ^ 0x20);
    } else out += ch;
  }
  return out;
}

/** Frame a (already escaped) payload as `$payload#cs`. */
export function framePacket(payload: string): string {
  return `$${payload}#${checksum(payload)}`;
}

/** Hex-encode a byte string (each char code 0..255). */
export function toHex(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) out += text.charCodeAt(i).toString(16).padStart(2, "0");
  return out;
}

/** Decode hex to a string of char codes; undefined if malformed. */
export function fromHex(hex: string): string | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  let out = "";
  for (let i = 0; i < hex.length; i += 2) {
    out += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  }
  return out;
}

/** Bytes as lowercase hex. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Hex to bytes; undefined if malformed. */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Splits an incoming byte stream into {@link WireEvent}s. Feed it chunks as
 * they arrive; partial packets are kept until complete.
 */
export class PacketReader {
  #buf = "";

  /** Add received bytes; returns the events they complete. */
  feed(bytes: Uint8Array): WireEvent[] {
    for (const b of bytes) this.#buf += String.fromCharCode(b);
    const events: WireEvent[] = [];
    for (;;) {
      if (this.#buf.length === 0) break;
      const c = this.#buf[0];
      if (c === "+") {
        events.push({ kind: "ack" });
        this.#buf = this.#buf.slice(1);
      } else if (c === "-") {
        events.push({ kind: "nack" });
        this.#buf = this.#buf.slice(1);
      } else if (c === "\x03") {
        events.push({ kind: "interrupt" });
        this.#buf = this.#buf.slice(1);
      } else if (c === "$") {
        const hash = this.#buf.indexOf("#");
        if (hash < 0 || this.#buf.length < hash + 3) break;
        const raw = this.#buf.slice(1, hash);
        const sum = this.#buf.slice(hash + 1, hash + 3).toLowerCase();
        this.#buf = this.#buf.slice(hash + 3);
        const data = unescape(raw);
        events.push(
          sum === checksum(raw) ? { kind: "packet", data } : { kind: "bad-checksum", data },
        );
      } else {
        // Noise between packets: drop it.
        this.#buf = this.#buf.slice(1);
      }
    }
    return events;
  }
}

/** Undo `}` escapes in an incoming payload (binary X packets). */
function unescape(raw: string): string {
  if (!raw.includes("}")) return raw;
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === "}" && i + 1 < raw.length) {
      out += String.fromCharCode(raw.charCodeAt(++i) ^ 0x20);
    } else out += raw[i];
  }
  return out;
}
