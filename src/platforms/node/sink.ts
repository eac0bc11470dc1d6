// The sink over a node:http ServerResponse (HTTP/1.1, and HTTP/2's compatibility API).
import type { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Sink, SinkCloseListener } from '../../connection/sink.js';
import { respondError } from '../../core/error-reply.js';
import type { Exchange } from '../../core/exchange.js';
import { STREAM_HEADERS } from '../../core/stream-head.js';
import type { NodeExchange } from './exchange.js';

export class NodeSink implements Sink {
  readonly #res: ServerResponse;
  readonly #exchange: NodeExchange;

  constructor(res: ServerResponse, exchange: NodeExchange) {
    this.#res = res;
    this.#exchange = exchange;
  }

  open(): void {
    const res = this.#res;
    // A handler that wrote the head itself through ctx.res keeps it; the stream follows it.
    if (res.headersSent) return;
    // The stream's default headers, where the handler set none of its own, go straight into the
    // head: a response whose headers were all defaults then keeps no header map while it streams.
    const head: string[] = [];
    for (const [name, value] of STREAM_HEADERS) if (!res.hasHeader(name)) head.push(name, value);
    // Connection is hop-by-hop: meaningful for HTTP/1.1 keep-alive, forbidden in HTTP/2.
    if (res.req?.httpVersion === '1.1' && !res.hasHeader('connection')) head.push('Connection', 'keep-alive');
    res.writeHead(res.statusCode, head);
    res.flushHeaders();
  }

  write(chunk: Uint8Array): boolean {
    const res = this.#res;
    const socket = res.socket;
    // A connection writes once per flush. Corked around that one write, the chunk and its
    // chunked-encoding framing leave in a single writev at once; left to itself, node:http corks
    // the socket and schedules the uncork on process.nextTick for every response written, which a
    // fan-out to thousands of streams pays once per stream. Only a plain TCP socket that nobody
    // holds corked yet (HTTP/2's compatibility socket is not one).
    if (socket instanceof Socket && socket.writableCorked === 0) {
      socket.cork();
      try {
        return res.write(chunk);
      } finally {
        socket.uncork();
      }
    }
    return res.write(chunk);
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
