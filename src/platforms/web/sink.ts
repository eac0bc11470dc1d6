// The sink over a web ReadableStream: the Response body a fetch host reads. Backpressure is the
// stream's own: `desiredSize` says how far the host is behind, `pull` says it caught up.
import type { Sink } from '../../connection/sink.js';
import { respondError } from '../../core/error-reply.js';
import type { WebExchange } from './exchange.js';

/** Bytes the body queues before `write` asks the connection to wait (a socket's usual high-water mark). */
export const BODY_HIGH_WATER_MARK = 16 * 1024;

export class WebSink implements Sink {
  readonly #exchange: WebExchange;
  readonly #stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #onDrain: (() => void) | undefined;
  #onClose: (() => void) | undefined;
  #wantDrain = false;
  #opened = false;
  #closed = false;

  constructor(exchange: WebExchange) {
    this.#exchange = exchange;
    this.#stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => {
          if (this.#wantDrain && !this.needsDrain) {
            this.#wantDrain = false;
            this.#onDrain?.();
          }
        },
        // The host cancels the body when the client goes away.
        cancel: () => this.#exchange.clientGone(),
      },
      { highWaterMark: BODY_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
    );
  }

  open(): void {
    if (this.#opened) return;
    this.#opened = true;
    this.#exchange.respond(this.#stream);
    this.#exchange.host.keepOpen();
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed) return false;
    this.#controller.enqueue(chunk);
    if (this.needsDrain) {
      this.#wantDrain = true;
      return false;
    }
    return true;
  }

  get buffered(): number {
    return Math.max(0, BODY_HIGH_WATER_MARK - (this.#controller.desiredSize ?? BODY_HIGH_WATER_MARK));
  }

  get needsDrain(): boolean {
    return (this.#controller.desiredSize ?? 0) <= 0;
  }

  onDrain(listener: () => void): void {
    this.#onDrain = listener;
  }

  onClose(listener: () => void): void {
    this.#onClose = listener;
  }

  fail(err: unknown): void {
    respondError(this.#exchange, err);
  }

  end(): void {
    if (this.#closed) return;
    try {
      this.#controller.close();
    } finally {
      this.#closedNow();
    }
  }

  destroy(): void {
    if (this.#closed) return;
    if (!this.#opened) {
      // Cut before the head went out: the host gets a response whose body fails.
      this.#opened = true;
      this.#exchange.respond(this.#stream);
    }
    try {
      this.#controller.error(new Error('eventide closed the stream'));
    } finally {
      this.#closedNow();
    }
  }

  /** The client is gone: nothing more can be written. */
  gone(): void {
    if (this.#closed) return;
    try {
      // Closed, not errored: the host has nobody to send to, and would log an error as a failure.
      this.#controller.close();
    } catch {
      // already cancelled by the host
    }
    this.#closedNow();
  }

  #closedNow(): void {
    this.#closed = true;
    this.#exchange.finish();
    const listener = this.#onClose;
    this.#onClose = undefined;
    listener?.();
  }
}
