// The sink over one HTTP/2 stream. Writes go to the stream, whose buffer grows while the client's
// flow-control window is closed: the connection's bounds therefore hold for an HTTP/2 client that
// does not read exactly as for an HTTP/1.1 one.
import { constants, type Http2ServerResponse, type ServerHttp2Stream } from 'node:http2';
import type { Sink, SinkCloseListener } from '../../connection/sink.js';
import { respondError } from '../../core/error-reply.js';
import type { Http2Exchange } from './exchange.js';

export class Http2Sink implements Sink {
  readonly #res: Http2ServerResponse;
  readonly #exchange: Http2Exchange;

  constructor(res: Http2ServerResponse, exchange: Http2Exchange) {
    this.#res = res;
    this.#exchange = exchange;
  }

  open(first?: Uint8Array): void {
    // No Connection header: it is forbidden in HTTP/2 (each stream ends on its own).
    // flushHeaders exists on the compatibility response, though @types/node omits it.
    if (!this.#res.headersSent) (this.#res as unknown as { flushHeaders(): void }).flushHeaders();
    if (first !== undefined) this.write(first);
  }

  write(chunk: Uint8Array): boolean {
    return this.#res.write(chunk);
  }

  get buffered(): number {
    return this.#res.stream.writableLength;
  }

  get needsDrain(): boolean {
    return this.#res.stream.writableNeedDrain;
  }

  onDrain(listener: () => void): void {
    this.#res.stream.on('drain', listener);
  }

  onClose(listener: SinkCloseListener): void {
    this.#res.stream.once('close', () => listener.sinkClosed());
  }

  fail(err: unknown): void {
    respondError(this.#exchange, err);
  }

  end(): void {
    if (!this.#res.writableEnded) this.#res.end();
  }

  get owner(): unknown {
    return this.#exchange;
  }

  /** The exchange is the request's abort state. */
  abort(reason: unknown): void {
    this.#exchange.abort(reason);
  }

  /** Cuts the stream with RST_STREAM(CANCEL), so the client knows it was cut, not completed. */
  destroy(): void {
    cutStream(this.#res.stream);
  }
}

/** RST_STREAM(CANCEL) for this stream only: the session and its other streams carry on. */
export function cutStream(stream: ServerHttp2Stream): void {
  if (stream.destroyed) return;
  if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
  stream.destroy();
}
