import assert from "node:assert/strict";
import { streamInput } from "./host_input.ts";

Deno.test("host input: bytes reach the sink; wait resolves on data and at the end", async () => {
  const got: number[] = [];
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) });
  const input = streamInput(stream, { input: (b) => got.push(...b) });
  assert.equal(input.open, true);
  const w = input.wait();
  ctl.enqueue(new Uint8Array([0x68, 0x69]));
  await w;
  assert.deepEqual(got, [0x68, 0x69]);
  ctl.close();
  await input.wait();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(input.open, false);
  await input.wait(); // resolves at once after the end
});
