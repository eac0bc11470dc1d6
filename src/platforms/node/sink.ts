// A sink over a node:http ServerResponse apart from its exchange, for platforms that adapt what
// the stream does (NestJS). A NodeExchange is its own sink; this one writes the same way.
import type { ServerResponse } from 'node:http';
import type { Sink, SinkCloseListener } from '../../connection/sink.js';
import { respondError } from '../../core/error-reply.js';
import { openStreamHead, writeCorked, type NodeExchange } from './exchange.js';

export class NodeSink implements Sink {
  readonly #res: ServerResponse;
  readonly #exchange: NodeExchange;

  constructor(res: ServerResponse, exchange: NodeExchange) {
    this.#res = res;
    this.#exchange = exchange;
  }

  open(): void {
    openStreamHead(this.#res);
  }

  write(chunk: Uint8Array): boolean {
    return writeCorked(this.#res, chunk);
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

  onClose(listener: SinkCloseListener): void {
    this.#exchange.onClose(listener);
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
