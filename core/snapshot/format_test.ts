import assert from "node:assert/strict";
import { decodeSnapshot, encodeSnapshot, HEADER_SIZE, SnapshotError } from "./format.ts";

const page = (fill: number) => new Uint8Array(4096).fill(fill);

async function sample(): Promise<Uint8Array> {
  return await encodeSnapshot("full", { hello: "world", n: 3 }, [[0, page(1)], [
    0x1234,
    page(0xab),
  ]]);
}

Deno.test("snapshot format round-trips state and pages", async () => {
  const bytes = await sample();
  const s = await decodeSnapshot(bytes);
  assert.equal(s.kind, "full");
  assert.deepEqual(s.state, { hello: "world", n: 3 });
  assert.equal(s.pages.size, 2);
  assert.equal(s.pages.get(0x1234)?.[4095], 0xab);
  assert.match(s.id, /^[0-9a-f]{64}$/);
});

Deno.test("snapshot refusals say what is wrong", async () => {
  const good = await sample();
  const refuse = async (bytes: Uint8Array, re: RegExp) => {
    await assert.rejects(
      () => decodeSnapshot(bytes),
      (e: unknown) => e instanceof SnapshotError && re.test(e.message),
    );
  };
  await refuse(good.subarray(0, 10), /truncated.*header/);
  await refuse(good.subarray(0, good.length - 5), /truncated/);
  const foreign = good.slice();
  foreign.set(new TextEncoder().encode("QEVM"), 0);
  await refuse(foreign, /not a nestvm snapshot/);
  const future = good.slice();
  new DataView(future.buffer).setUint32(8, 9, true);
  await refuse(future, /version 9 is newer.*expected 1/);
  const corrupt = good.slice();
  corrupt[HEADER_SIZE + 20] ^= 0xff;
  await refuse(corrupt, /corrupted/);
  const extra = new Uint8Array(good.length + 3);
  extra.set(good);
  await refuse(extra, /extra bytes/);
});
