import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { checksum, escapeBinary, framePacket, fromHex, PacketReader, toHex } from "./packet.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("packet: checksum and framing match the protocol's examples", () => {
  assertEquals(checksum("OK"), "9a");
  assertEquals(framePacket("OK"), "$OK#9a");
  assertEquals(framePacket(""), "$#00");
});

Deno.test("packet: reader splits acks, packets, interrupts and partial input", () => {
  const r = new PacketReader();
  assertEquals(r.feed(enc("+$qSupported:multiprocess+#c6\x03$g#6")), [
    { kind: "ack" },
    { kind: "packet", data: "qSupported:multiprocess+" },
    { kind: "interrupt" },
  ]);
  assertEquals(r.feed(enc("7")), [{ kind: "packet", data: "g" }]);
  assertEquals(r.feed(enc("$g#00")), [{ kind: "bad-checksum", data: "g" }]);
});

Deno.test("packet: escapes round-trip through the reader", () => {
  const payload = "a$b#c}d*e";
  const esc = escapeBinary(payload);
  assertEquals(esc, "a}\x04b}\x03c}]d}\x0ae");
  const r = new PacketReader();
  assertEquals(r.feed(enc(framePacket(esc))), [{ kind: "packet", data: payload }]);
});

Deno.test("packet: hex helpers", () => {
  assertEquals(toHex("level l2"), "6c6576656c206c32");
  assertEquals(fromHex("6c6576656c206c32"), "level l2");
  assertEquals(fromHex("6g"), undefined);
});
