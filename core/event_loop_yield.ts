/**
 * Yielding to the host's event loop between run slices without a timer.
 * `setTimeout(0)` in a loop is clamped (nested timers wait a millisecond or
 * more each time), which left a long-running guest idle for a large share
 * of its wall time; a message through a `MessageChannel` is a macrotask
 * with no such delay, and I/O (stdin for the UART, the GDB stub's socket)
 * and timers still get their turn in between.
 *
 * @module
 */

/** A reusable yield point; {@link EventLoopYield.close} it when done. */
export class EventLoopYield {
  #channel: MessageChannel | null = null;
  #resume: (() => void) | null = null;

  /** Resolves after the event loop has run once (pending I/O and timers included). */
  next(): Promise<void> {
    if (this.#channel === null) {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        const resume = this.#resume;
        this.#resume = null;
        resume?.();
      };
      this.#channel = channel;
    }
    const channel = this.#channel;
    return new Promise((resolve) => {
      this.#resume = resolve;
      channel.port2.postMessage(0);
    });
  }

  /** Release the channel (an open port would keep the process alive). */
  close(): void {
    this.#channel?.port1.close();
    this.#channel?.port2.close();
    this.#channel = null;
  }
}
