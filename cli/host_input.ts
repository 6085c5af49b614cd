/**
 * Host input for the guest's COM1: bytes read from a stream (stdin) are
 * queued into the UART, and {@link Machine.runAsync} can wait for them
 * while the guest idles in HLT.
 *
 * @module
 */

import type { HostInput } from "../core/machine.ts";

/** Something that accepts host bytes (the UART plugin). */
export interface InputSink {
  /** Queue bytes for the guest. */
  input(bytes: Uint8Array): void;
}

/** Pump `stream` into `sink` in the background. */
export function streamInput(stream: ReadableStream<Uint8Array>, sink: InputSink): HostInput {
  let open = true;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  (async () => {
    try {
      for await (const chunk of stream) {
        sink.input(chunk);
        wake();
      }
    } catch {
      // A closed or broken stdin is simply the end of input.
    }
    open = false;
    wake();
  })();
  return {
    get open() {
      return open;
    },
    wait: () => open ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve(),
  };
}
