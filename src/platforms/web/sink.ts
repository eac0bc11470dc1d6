// The sink over a web ReadableStream: the Response body a fetch host reads. Backpressure is the
// stream's own: `desiredSize` says how far the host is behind, `pull` says it caught up.
import type { Sink, SinkCloseListener } from '../../connection/sink.js';
import { respondError } from '../../core/error-reply.js';
import type { WebExchange } from './exchange.js';
import { unwatchQuiet, watchQuiet, type Guarded } from './quiet-guard.js';

/** Bytes the body queues before `write` asks the connection to wait (a socket's usual high-water mark). */
export const BODY_HIGH_WATER_MARK = 16 * 1024;
/**
 * An SSE comment line: what a quiet stream starts with on hosts that hold the head until a body
 * byte, and what keeps it alive on a host whose idle limit could not be lifted.
 */
const COMMENT = new Uint8Array([0x3a, 0x0a]);

export class WebSink implements Sink, Guarded {
  readonly #exchange: WebExchange;
  readonly #stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #onDrain: (() => void) | undefined;
  #onClose: SinkCloseListener | undefined;
  #wantDrain = false;
  #opened = false;
  #closed = false;
  #wrote = false;
  /** Something was written since the quiet guard last looked. */
  #wroteRecently = true;
  /** The host's idle limit this stream must stay under, when it could not be lifted. */
  #idleLimitMs: number | undefined;

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

  open(first?: Uint8Array): void {
    this.#openHead();
    if (first !== undefined) this.write(first);
  }

  #openHead(): void {
    if (this.#opened) return;
    this.#opened = true;
    this.#exchange.respond(this.#stream);
    const host = this.#exchange.host;
    this.#idleLimitMs = host.keepOpen();
    if (this.#idleLimitMs !== undefined) watchQuiet(this, this.#idleLimitMs);
    if (host.headWaitsForBody) {
      // Events of the handler's own turn are written by the flush pass of this turn, which may run
      // after open(): the check waits for the next turn, so only a stream that opens with nothing
      // to say gets the comment.
      setImmediate(() => {
        if (!this.#wrote && !this.#closed) this.#controller.enqueue(COMMENT);
      });
    }
  }

  takeWrote(): boolean {
    const wrote = this.#wroteRecently;
    this.#wroteRecently = false;
    return wrote;
  }

  keepAlive(): void {
    // Bytes still pending mean the host is not idle on this stream; a comment would only queue.
    if (!this.#closed && this.#controller.desiredSize === BODY_HIGH_WATER_MARK) this.#controller.enqueue(COMMENT);
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed) return false;
    this.#wrote = true;
    this.#wroteRecently = true;
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

  get owner(): unknown {
    return this.#exchange;
  }

  /** The exchange is the request's abort state. */
  abort(reason: unknown): void {
    this.#exchange.abort(reason);
  }

  onClose(listener: SinkCloseListener): void {
    this.#onClose = listener;
  }

  fail(err: unknown): void {
    respondError(this.#exchange, err);
  }

  end(): void {
    if (this.#closed) return;
    this.#closedNow();
    // Closed on the next turn, not now: a host handed a body that is already complete may send it
    // with a Content-Length (Bun does), and a stream must stay a stream.
    setImmediate(() => {
      try {
        this.#controller.close();
      } catch {
        // the host cancelled the body meanwhile
      }
    });
  }

  destroy(): void {
    if (this.#closed) return;
    if (!this.#opened) {
      // Cut before the head went out: the host gets a response whose body fails.
      this.#opened = true;
      this.#exchange.respond(this.#stream);
    }
    try {
      this.#controller.error(new Error('eventide cut this stream (a client that did not read, or the app closing): no action needed'));
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
    if (this.#idleLimitMs !== undefined) unwatchQuiet(this, this.#idleLimitMs);
    this.#exchange.finish();
    const listener = this.#onClose;
    this.#onClose = undefined;
    listener?.sinkClosed();
  }
}
