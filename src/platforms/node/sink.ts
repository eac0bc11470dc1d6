// The sink over a node:http ServerResponse (HTTP/1.1, and HTTP/2's compatibility API).
import type { ServerResponse } from 'node:http';
import type { Sink } from '../../connection/sink.js';
import { respondError } from '../../core/error-reply.js';
import type { Exchange } from '../../core/exchange.js';

export class NodeSink implements Sink {
  readonly #res: ServerResponse;
  readonly #exchange: Exchange;

  constructor(res: ServerResponse, exchange: Exchange) {
    this.#res = res;
    this.#exchange = exchange;
  }

  open(): void {
    const res = this.#res;
    // A handler that wrote the head itself through ctx.res keeps it; the stream follows it.
    if (res.headersSent) return;
    // Connection is hop-by-hop: meaningful for HTTP/1.1 keep-alive, forbidden in HTTP/2.
    if (res.req?.httpVersion === '1.1' && !res.hasHeader('connection')) res.setHeader('Connection', 'keep-alive');
    res.flushHeaders();
  }

  write(chunk: Uint8Array): boolean {
    return this.#res.write(chunk);
  }

  get buffered(): number {
    return this.#res.writableLength;
  }

  get needsDrain(): boolean {
    return this.#res.writableNeedDrain;
  }

  onDrain(listener: () => void): void {
    this.#res.on('drain', listener);
  }

  onClose(listener: () => void): void {
    this.#res.once('close', listener);
  }

  fail(err: unknown): void {
    respondError(this.#exchange, err);
  }

  end(): void {
    if (!this.#res.writableEnded) this.#res.end();
  }

  destroy(): void {
    this.#res.destroy();
  }
}
